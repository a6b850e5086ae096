package testkit

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/internal/adminapi"
	"github.com/introspectmock/introspectmock/mockserver"
)

// DefaultClientID is the client_id of the caller every in-process Server
// registers (with a random secret), so Server.ClientID and
// Server.ClientSecret always authenticate.
const DefaultClientID = "testkit-rs"

// Server is a running introspectmock authorization server seen from a
// test: its URLs, a caller's credentials, and control of its tokens, clock,
// scripts, faults and journal.
//
// Start, New and Connect create Servers; the zero value is not usable. All
// methods are safe for concurrent use.
//
// Errors: every method that changes the server (AddToken, Revoke, Script,
// FailNext, Reset, …) returns an error, matched with errors.Is against
// mockserver.ErrNotFound (an unknown token) and mockserver.ErrExists, for
// in-process and remote servers alike; nothing panics on bad input. A
// Server with a test (from Start, Connect with WithTB, or With) also
// reports the error to that test with Fatalf, which must be called from
// the test's own goroutine, so such a test may drop the result. Reads
// without an error result (Calls, Issuer, Clock().Now) report to the test
// the same way when a remote server cannot be reached, and panic on a
// Server without one (New, Connect without WithTB).
type Server struct {
	*core          // the server itself, shared by every view (With)
	rep   reporter // where helpers report failures; never nil
	clock *Clock   // reports through rep
}

// core is what every view of one server shares.
type core struct {
	be     backend
	ts     *httptest.Server
	base   string // no trailing slash
	id     string
	secret string
	client *http.Client

	issuerOnce sync.Once
	issuer     string
	issuerErr  error
	fetchIss   func() (string, error) // remote: read from discovery

	// afterReset runs after a Reset (remote: put back the caller Connect
	// registered); nil for none.
	afterReset func() error

	ownMu    sync.Mutex        // guards ownCalls
	ownCalls []mockserver.Call // journaled calls testkit made on its own, left out of Calls

	closeOnce sync.Once
	closeErr  error
	closers   []func() error // run in order by Close
}

// reporter is where a Server's helpers report failures: a testing.TB, or
// panicking for a Server without one.
type reporter interface {
	Helper()
	Fatalf(format string, args ...any)
}

// panicking is the reporter of a Server without a test: failures are bugs
// in the test, so they panic.
type panicking struct{}

func (panicking) Helper() {}

func (panicking) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// newServer returns the first view of c, reporting to rep (nil: panic).
func newServer(c *core, rep reporter) *Server {
	if rep == nil {
		rep = panicking{}
	}
	s := &Server{core: c, rep: rep}
	s.clock = &Clock{s: s}
	return s
}

// With returns a view of the server whose helpers report their failures to
// tb instead of the Server's own test: for a server shared by subtests
// (t.Run), above all parallel ones, or started in TestMain. The view is
// the same server — same tokens, clock, journal and Close — only the
// reporting differs:
//
//	as := testkit.Start(t)
//	t.Run("revoked", func(t *testing.T) {
//		t.Parallel()
//		as := as.With(t) // failures end this subtest, not the parent
//		tok, _ := as.AddToken(mockserver.Token{}) // an error ends this subtest
//		as.Revoke(tok)
//	})
//
// With(nil) returns a view without a test, like a Server from New: its
// mutators only return their errors.
func (s *Server) With(tb testing.TB) *Server {
	if tb == nil {
		return newServer(s.core, nil)
	}
	return newServer(s.core, tb)
}

// Start starts an in-process server on httptest.NewServer (or NewTLSServer
// with WithTLS) and registers tb.Cleanup to close it. Failures, including a
// bad fixture, end the test with tb.Fatalf. By default the server logs
// every request it serves to tb's log (tokens and secrets never appear),
// so a failing test shows what the server saw; see WithLogger.
//
// Helpers of the returned Server that have no t parameter report to tb
// with Fatalf, so call them from tb's goroutine only. A subtest that uses
// a server its parent started must go through a view bound to itself,
// as.With(t): failing the parent from a subtest's goroutine is an error
// the testing package reports, and a panic when the subtest is parallel.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := start(tb, opts)
	tb.Cleanup(func() { s.Close() }) // before the check: Close is nil-safe
	if err != nil {
		tb.Fatalf("%v", err) // "testkit: …"
	}
	return s.With(tb)
}

// New starts an in-process server like Start, without a testing.TB: for a
// server shared from TestMain. The caller must call Close. Mutators of the
// returned Server return their errors (reads without an error result
// panic on failure); each test that uses it should take as.With(t), whose
// helpers also fail that test. New
// logs nowhere unless WithLogger says where.
func New(opts ...Option) (*Server, error) {
	return start(nil, opts)
}

// start starts an in-process server; tb, when not nil, is the test whose
// log gets the server's log by default.
func start(tb testing.TB, opts []Option) (*Server, error) {
	var o options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("testkit: %w", err)
		}
	}
	now := time.Now()
	if !o.clockStart.IsZero() {
		now = o.clockStart
	}
	set, err := o.fixtureSet(now)
	if err != nil {
		return nil, fmt.Errorf("testkit: fixtures: %w", err)
	}
	if o.allowAnonymous {
		set.AllowAnonymous = true
	}
	id, secret, err := addDefaultClient(set)
	if err != nil {
		return nil, fmt.Errorf("testkit: %w", err)
	}

	msOpts := []mockserver.Option{mockserver.WithFixtures(set)}
	if o.issuer != "" {
		msOpts = append(msOpts, mockserver.WithIssuer(o.issuer))
	}
	if !o.clockStart.IsZero() {
		// The base clock reads start at New, so relative fixture times
		// resolve against it; the namespace clock is then frozen at start.
		msOpts = append(msOpts, mockserver.WithClock(shiftedClock{shift: time.Until(o.clockStart)}))
	}
	if o.journalSize > 0 {
		msOpts = append(msOpts, mockserver.WithJournalSize(o.journalSize))
	}
	if o.loginPage {
		msOpts = append(msOpts, mockserver.WithLoginPage(true))
	}
	stopLog := func() {}
	switch {
	case o.loggerSet:
		msOpts = append(msOpts, mockserver.WithLogger(o.logger))
	case tb != nil:
		var l *slog.Logger
		l, stopLog = newTestLog(tb)
		msOpts = append(msOpts, mockserver.WithLogger(l))
	}
	ms, err := mockserver.New(msOpts...)
	if err != nil {
		return nil, fmt.Errorf("testkit: %w", err)
	}
	ns := ms.Default()
	if !o.clockStart.IsZero() {
		ns.Clock().Freeze()
		ns.Clock().Set(o.clockStart)
	}

	ts := httptest.NewUnstartedServer(adminapi.Handler(ms))
	ts.Config.DisableGeneralOptionsHandler = true // "OPTIONS *" answers JSON too (docs/conformance.md ER-4)
	if o.tls {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	issuer := o.issuer
	if issuer == "" {
		issuer = set.Issuer
	}
	if issuer == "" {
		issuer = ts.URL
	}
	s := newServer(&core{
		be:     ns,
		ts:     ts,
		base:   ts.URL,
		id:     id,
		secret: secret,
		client: ts.Client(),
		issuer: issuer,
	}, nil)
	s.issuerOnce.Do(func() {}) // issuer known
	s.closers = append(s.closers, func() error {
		// Cut open connections first so a scripted delay cannot hold
		// Close up; then wait for the handlers to return.
		ts.CloseClientConnections()
		ts.Close()
		stopLog() // no handler runs any more; the test may end
		return nil
	})
	return s, nil
}

// addDefaultClient appends the default caller with a random secret to set,
// or uses the fixtures' own entry for DefaultClientID.
func addDefaultClient(set *fixtures.Set) (id, secret string, err error) {
	for _, c := range set.Clients {
		if c.ClientID != DefaultClientID {
			continue
		}
		if c.ClientSecret == "" {
			return "", "", fmt.Errorf("%s: client %q has no client_secret; testkit needs one for Server.ClientSecret", c.Pos, DefaultClientID)
		}
		return c.ClientID, c.ClientSecret, nil
	}
	secret = randomString()
	set.Clients = append(set.Clients, fixtures.Client{ClientID: DefaultClientID, ClientSecret: secret})
	return DefaultClientID, secret, nil
}

// shiftedClock is real time moved by shift.
type shiftedClock struct{ shift time.Duration }

func (c shiftedClock) Now() time.Time { return time.Now().Add(c.shift) }

// randomString returns 32 random bytes, base64url without padding.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Close shuts the server down: in-process, it cuts open connections (so a
// scripted delay cannot hold it up) and waits for handlers to return;
// remote, it runs the WithCloser function. Close is idempotent, safe on a nil
// Server, and returns the first call's result to every call.
func (s *Server) Close() error {
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() {
		var errs []error
		for _, f := range s.closers {
			if err := f(); err != nil {
				errs = append(errs, err)
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// URL returns the base URL, without a trailing slash, e.g.
// "http://127.0.0.1:38529" (or, for Connect, the URL given, which may end
// in /ns/{name}).
func (s *Server) URL() string { return s.base }

// Issuer returns the issuer the server reports: WithIssuer's, else the
// fixtures', else URL. For a remote server it is read once from the
// discovery document; Calls leaves that request out.
func (s *Server) Issuer() string {
	s.rep.Helper()
	s.issuerOnce.Do(func() {
		s.issuer, s.issuerErr = s.fetchIss()
		if s.issuerErr == nil {
			s.issuerErr = s.noteOwnCall(mockserver.EndpointDiscovery)
		}
	})
	if s.issuerErr != nil {
		s.fatalf("testkit: issuer: %v", s.issuerErr)
	}
	return s.issuer
}

// IntrospectionURL returns the RFC 7662 introspection endpoint, URL +
// "/introspect".
func (s *Server) IntrospectionURL() string { return s.base + "/introspect" }

// RevocationURL returns the RFC 7009 revocation endpoint, URL + "/revoke".
func (s *Server) RevocationURL() string { return s.base + "/revoke" }

// TokenURL returns the client_credentials token endpoint, URL + "/token".
func (s *Server) TokenURL() string { return s.base + "/token" }

// ClientID returns the client_id of a caller allowed to introspect and
// revoke: DefaultClientID unless Connect was given WithCredentials.
func (s *Server) ClientID() string { return s.id }

// ClientSecret returns the secret of ClientID, for HTTP Basic or
// client_secret_post. It is random per Server unless the fixtures (or
// WithCredentials) set it.
func (s *Server) ClientSecret() string { return s.secret }

// Client returns an HTTP client for talking to the server: it trusts the
// TLS certificate under WithTLS, and Close closes its idle connections. It
// sends no credentials by itself.
func (s *Server) Client() *http.Client { return s.client }

// AddToken adds a token from code and returns its string (random, 32 bytes
// base64url, when t.Token is ""). Zero fields are unset members. ExpiresIn
// sets exp (and a zero iat) from the server clock's now; with neither
// ExpiresAt nor ExpiresIn the token lives fixtures.DefaultLifetime (1h), and
// a negative ExpiresIn leaves exp out. A duplicate token
// (mockserver.ErrExists) or an invalid one (a claim shadowing a member, exp
// not after iat, a script step without a trigger) is an error.
func (s *Server) AddToken(t mockserver.Token) (string, error) {
	s.rep.Helper()
	tok, err := s.be.AddToken(t)
	if err != nil {
		return "", s.fail("testkit: AddToken: %w", redactErr(err, t.Token))
	}
	return tok, nil
}

// Revoke revokes token, as RFC 7009 revocation would: the next
// introspection answers {"active":false}. An unknown token is
// mockserver.ErrNotFound.
func (s *Server) Revoke(token string) error {
	s.rep.Helper()
	return s.tokenOp("Revoke", token, s.be.Revoke)
}

// RevokeSubject revokes every token the server holds whose sub is sub:
// fixture, added and issued ones (a refresh token with its grant's access
// tokens), as POST /admin/revoke {"sub":…} does; tokens issued later are
// not affected. It returns how many tokens it revoked; Tokens and Calls
// say why each is inactive (mockserver.RevokedSubject). An empty sub is an
// error.
func (s *Server) RevokeSubject(sub string) (int, error) {
	s.rep.Helper()
	return s.revokeBy("RevokeSubject", sub, s.be.RevokeSubject)
}

// RevokeClient revokes every token the server holds whose client_id is
// clientID, as RevokeSubject does for a subject (mockserver.RevokedClient).
func (s *Server) RevokeClient(clientID string) (int, error) {
	s.rep.Helper()
	return s.revokeBy("RevokeClient", clientID, s.be.RevokeClient)
}

// revokeBy runs RevokeSubject or RevokeClient (op) of who on the backend.
func (s *Server) revokeBy(op, who string, f func(string) (int, error)) (int, error) {
	s.rep.Helper()
	n, err := f(who)
	if err != nil {
		return 0, s.fail("testkit: %s(%q): %w", op, who, err)
	}
	return n, nil
}

// Expire sets token's exp to the server clock's now, so it is inactive from
// now on. An unknown token is mockserver.ErrNotFound.
func (s *Server) Expire(token string) error {
	s.rep.Helper()
	return s.tokenOp("Expire", token, s.be.Expire)
}

// Remove deletes token from the store: it becomes unknown (inactive). An
// unknown token is mockserver.ErrNotFound.
func (s *Server) Remove(token string) error {
	s.rep.Helper()
	return s.tokenOp("Remove", token, s.be.Remove)
}

func (s *Server) tokenOp(op, token string, f func(string) error) error {
	s.rep.Helper()
	if err := f(token); err != nil {
		if errors.Is(err, mockserver.ErrNotFound) {
			// Said once, whichever backend said it how.
			err = &described{msg: "no such token", err: err}
		}
		return s.fail("testkit: %s(%q): %w", op, redact(token), redactErr(err, token))
	}
	return nil
}

// Reset puts the tokens back to the fixtures (relative times resolved
// against the clock now) and clears scripts, faults, the stub and the
// journal. The clock is left as it is.
func (s *Server) Reset() error {
	s.rep.Helper()
	if err := s.be.Reset(); err != nil {
		return s.fail("testkit: Reset: %w", err)
	}
	if s.afterReset != nil {
		if err := s.afterReset(); err != nil {
			return s.fail("testkit: Reset: %w", err)
		}
	}
	s.forgetOwnCalls()
	return nil
}

// Clock returns the server clock, which judges every exp and nbf and
// timestamps the journal. It runs in real time unless WithClock froze it.
func (s *Server) Clock() *Clock { return s.clock }

// Script replaces token's script and restarts its call count; the step
// times of After are counted from now. With no steps the script is removed.
// Every step needs a trigger (mockserver.Always(), AfterCalls, OnCall or
// After). An unknown token (mockserver.ErrNotFound) or a bad step is an
// error.
func (s *Server) Script(token string, steps ...mockserver.Step) error {
	s.rep.Helper()
	if err := s.be.SetScript(token, steps); err != nil {
		return s.fail("testkit: Script(%q): %w", redact(token), redactErr(err, token))
	}
	return nil
}

// FailNext makes the next n introspections, whatever their token, play f
// instead of answering. It comes before the stub and scripts; a later call
// replaces the pending faults, and n <= 0 cancels them. A fault the
// fixtures would refuse (a Drop with a Status, say) is an error. A JWT
// kind (mockserver.JWTBadSignature, …) breaks a JWT answer in that one
// way, for a resource server that asks for JWT answers to prove it rejects
// it. It is FailNextAt(mockserver.EndpointIntrospect, n, f).
func (s *Server) FailNext(n int, f mockserver.Fault) error {
	s.rep.Helper()
	if err := s.be.FailNextAt(mockserver.EndpointIntrospect, n, f); err != nil {
		return s.fail("testkit: FailNext: %w", err)
	}
	return nil
}

// FailNextAt makes the next n authenticated calls to endpoint
// (mockserver.EndpointIntrospect, EndpointRevoke or EndpointToken) play f
// instead of answering; a later call for the same endpoint replaces its
// pending faults, and n <= 0 cancels them. A faulted revocation revokes
// nothing and a faulted token request issues nothing, unless f is a bare
// Delay, which only slows the call. Malformed and JWT are for
// introspection only; an unknown endpoint or a fault the fixtures would
// refuse is an error.
func (s *Server) FailNextAt(endpoint string, n int, f mockserver.Fault) error {
	s.rep.Helper()
	if err := s.be.FailNextAt(endpoint, n, f); err != nil {
		return s.fail("testkit: FailNextAt(%q): %w", endpoint, err)
	}
	return nil
}

// Stub installs f to decide introspection answers before the token store
// (f returning ok=false falls through to it); nil removes the stub. f runs
// on the server's goroutines, concurrently. Only an in-process server can
// run a Go function: on a remote one Stub is an error.
func (s *Server) Stub(f mockserver.Stub) error {
	s.rep.Helper()
	if err := s.be.SetStub(f); err != nil {
		return s.fail("testkit: Stub: %w", err)
	}
	return nil
}

// Calls returns the journal, oldest first: every request to the protocol
// endpoints (introspect, revoke, token, discovery, jwks) with its time on
// the server clock, caller, auth method, token, hint, status, answer and
// injected fault, as many as the journal keeps. With a filter, only the
// calls it matches; with several, the calls that match any of them.
//
// The journal holds the calls of the service under test (and of the
// test's own Introspect and RevokeAsCaller): admin API calls are not
// journaled, and the requests testkit makes on its own (the discovery GET
// behind Issuer on a remote server) are left out, so both kinds of Server
// show the same journal.
func (s *Server) Calls(filter ...CallFilter) []mockserver.Call {
	s.rep.Helper()
	calls, err := s.journal(filter)
	if err != nil {
		s.fatalf("testkit: Calls: %v", err)
	}
	return calls
}

// ClearCalls empties the journal.
func (s *Server) ClearCalls() error {
	s.rep.Helper()
	if err := s.be.ClearCalls(); err != nil {
		return s.fail("testkit: ClearCalls: %w", err)
	}
	s.forgetOwnCalls()
	return nil
}

// AssertIntrospected fails t (with Errorf, so the test goes on) unless the
// journal holds exactly n introspections of token, whatever their answer:
//
//	introspections of "abcd…" = 3; want 2
func (s *Server) AssertIntrospected(t testing.TB, token string, n int) {
	t.Helper()
	calls, err := s.journal([]CallFilter{{Endpoint: mockserver.EndpointIntrospect, Token: token}})
	if err != nil {
		t.Fatalf("testkit: AssertIntrospected: %v", err)
	}
	if len(calls) != n {
		t.Errorf("introspections of %q = %d; want %d", redact(token), len(calls), n)
	}
}

// AssertNotIntrospectedAfter fails t (with Errorf) if the journal holds an
// introspection of token later than after on the server clock:
//
//	introspections of "abcd…" after 2030-01-01T10:00:00Z = 2 (last at 2030-01-01T11:00:00Z); want 0
func (s *Server) AssertNotIntrospectedAfter(t testing.TB, token string, after time.Time) {
	t.Helper()
	calls, err := s.journal([]CallFilter{{Endpoint: mockserver.EndpointIntrospect, Token: token}})
	if err != nil {
		t.Fatalf("testkit: AssertNotIntrospectedAfter: %v", err)
	}
	got := 0
	var last time.Time
	for _, c := range calls {
		if c.Time.After(after) {
			got++
			last = c.Time
		}
	}
	if got != 0 {
		t.Errorf("introspections of %q after %s = %d (last at %s); want 0",
			redact(token), after.Format(time.RFC3339Nano), got, last.Format(time.RFC3339Nano))
	}
}

// fail returns the error of a mutator's failure, fmt.Errorf(format,
// args...), after reporting it to the Server's test, if it has one, with
// Fatalf: such a test stops there.
func (s *Server) fail(format string, args ...any) error {
	s.rep.Helper()
	err := fmt.Errorf(format, args...)
	if _, ok := s.rep.(panicking); !ok {
		s.rep.Fatalf("%v", err)
	}
	return err
}

// fatalf reports the failure of a read without an error result: to the
// Server's test, or by panicking on a Server without one.
func (s *Server) fatalf(format string, args ...any) {
	s.rep.Helper()
	s.rep.Fatalf(format, args...)
}

// redactIn returns err's message with token redacted.
func redactIn(err error, token string) string {
	if token == "" {
		return err.Error()
	}
	return strings.ReplaceAll(err.Error(), token, redact(token))
}

// redactErr is err with token redacted from its message; errors.Is still
// sees what err wraps.
func redactErr(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return &described{msg: redactIn(err, token), err: err}
}

// described is err with another message.
type described struct {
	msg string
	err error
}

func (e *described) Error() string { return e.msg }
func (e *described) Unwrap() error { return e.err }

// redact shows a token's first 4 characters and "…", or only "…" when it
// is shorter than 8, as mockserver.Call.String does.
func redact(token string) string {
	if token == "" {
		return "…"
	}
	return mockserver.Redact(token)
}
