package testkit

import (
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/internal/adminapi"
	"github.com/introspectmock/introspectmock/mockserver"
)

// backend is what a Server controls: one namespace of an introspectmock,
// in this process (*mockserver.Namespace) or behind its admin API
// (*adminapi.Client), which both meet it directly with the same errors.
type backend interface {
	AddToken(t mockserver.Token) (string, error)
	Revoke(token string) error
	RevokeSubject(sub string) (int, error)
	RevokeClient(clientID string) (int, error)
	Expire(token string) error
	Remove(token string) error
	Reset() error
	SetScript(token string, steps []mockserver.Step) error
	FailNextAt(endpoint string, n int, f mockserver.Fault) error
	SetStub(f mockserver.Stub) error
	Calls() ([]mockserver.Call, error)
	ClearCalls() error
	AddClient(c fixtures.Client) error
	AddUser(u fixtures.User) error
	Users() ([]fixtures.User, error)
	SetNextLogin(who string) error

	ReadClock() (mockserver.ClockReading, error)
	FreezeClock() error
	ResumeClock() error
	AdvanceClock(d time.Duration) error
	SetClock(t time.Time) error
}

var (
	_ backend = (*mockserver.Namespace)(nil)
	_ backend = (*adminapi.Client)(nil)
)
