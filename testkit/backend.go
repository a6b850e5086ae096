package testkit

import (
	"fmt"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
)

// backend is what a Server controls: one namespace of an introspectmock,
// in this process (inproc) or behind its admin API (remote). Methods are
// safe for concurrent use. A false bool means the token is unknown.
type backend interface {
	addToken(t mockserver.Token) (string, error)
	revoke(token string) (bool, error)
	expire(token string) (bool, error)
	remove(token string) (bool, error)
	reset() error
	setScript(token string, steps []mockserver.Step) error
	failNext(endpoint string, n int, f mockserver.Fault) error
	setStub(f mockserver.Stub) error
	calls() ([]mockserver.Call, error)
	clearCalls() error

	clockNow() (clockState, error)
	clockFreeze() error
	clockResume() error
	clockAdvance(d time.Duration) error
	clockSet(t time.Time) error
}

// clockState is a reading of a server clock.
type clockState struct {
	now    time.Time
	frozen bool
}

var (
	_ backend = (*inproc)(nil)
	_ backend = (*remote)(nil)
)

// inproc is a backend over a namespace of a mockserver in this process.
type inproc struct {
	ns *mockserver.Namespace
}

func (b *inproc) addToken(t mockserver.Token) (string, error) { return b.ns.AddToken(t) }
func (b *inproc) revoke(token string) (bool, error)           { return b.ns.Revoke(token), nil }
func (b *inproc) expire(token string) (bool, error)           { return b.ns.Expire(token), nil }
func (b *inproc) remove(token string) (bool, error)           { return b.ns.Remove(token), nil }
func (b *inproc) reset() error                                { b.ns.Reset(); return nil }

func (b *inproc) setScript(token string, steps []mockserver.Step) error {
	return b.ns.SetScript(token, steps)
}

func (b *inproc) failNext(endpoint string, n int, f mockserver.Fault) (err error) {
	// The namespace panics on a fault the fixtures would refuse; the
	// remote backend gets a 400 for it. Report both alike.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	b.ns.FailNextAt(endpoint, n, f)
	return nil
}

func (b *inproc) setStub(f mockserver.Stub) error {
	b.ns.SetStub(f)
	return nil
}

func (b *inproc) calls() ([]mockserver.Call, error) { return b.ns.Calls(), nil }
func (b *inproc) clearCalls() error                 { b.ns.ClearCalls(); return nil }

func (b *inproc) clockNow() (clockState, error) {
	c := b.ns.Clock()
	// Frozen first: a clock frozen between the two reads then still
	// reports a time it showed.
	frozen := c.Frozen()
	return clockState{now: c.Now(), frozen: frozen}, nil
}

func (b *inproc) clockFreeze() error { b.ns.Clock().Freeze(); return nil }
func (b *inproc) clockResume() error { b.ns.Clock().Resume(); return nil }

func (b *inproc) clockAdvance(d time.Duration) error {
	b.ns.Clock().Advance(d)
	return nil
}

func (b *inproc) clockSet(t time.Time) error {
	b.ns.Clock().Set(t)
	return nil
}
