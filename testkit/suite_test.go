package testkit_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/internal/adminapi"
	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit"
)

// modes are the ways a test gets a *testkit.Server. The behaviour suite
// below runs in every mode; each constructor gives a fresh, isolated
// server seeded from testdata/tokens.yaml, closed by tb.Cleanup, with its
// clock running in real time. Another mode (a container) is one more entry.
var modes = map[string]func(testing.TB) *testkit.Server{
	"inproc": startInProc,
	"remote": startRemote,
}

const suiteFixtures = "testdata/tokens.yaml"

// startInProc is testkit.Start: a server of its own on httptest.
func startInProc(tb testing.TB) *testkit.Server {
	tb.Helper()
	return testkit.Start(tb, testkit.WithFixtures(suiteFixtures))
}

// shared is one admin-enabled mockserver behind httptest that every
// "remote" test shares, each in a namespace of its own, as a container is
// shared; TestMain closes it.
var shared struct {
	once sync.Once
	ts   *httptest.Server
	err  error
	n    atomic.Int64 // namespaces handed out
}

const sharedAdminToken = "suite-admin-token"

func sharedServer(tb testing.TB) *httptest.Server {
	tb.Helper()
	shared.once.Do(func() {
		set, err := fixtures.Load(time.Now(), suiteFixtures)
		if err != nil {
			shared.err = err
			return
		}
		ms, err := mockserver.New(mockserver.WithFixtures(set),
			mockserver.WithAdminToken(sharedAdminToken))
		if err != nil {
			shared.err = err
			return
		}
		shared.ts = httptest.NewServer(adminapi.Handler(ms))
	})
	if shared.err != nil {
		tb.Fatalf("shared mockserver: %v", shared.err)
	}
	return shared.ts
}

// startRemote is testkit.Connect to a fresh namespace of the shared server,
// deleted through the admin API on Close.
func startRemote(tb testing.TB) *testkit.Server {
	tb.Helper()
	ts := sharedServer(tb)
	name := fmt.Sprintf("t%d", shared.n.Add(1))
	s, err := testkit.Connect(ts.URL+"/ns/"+name,
		testkit.WithTB(tb),
		testkit.WithAdminToken(sharedAdminToken),
		testkit.WithCloser(func() error { return deleteNamespace(ts.URL, name) }))
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	return s
}

func deleteNamespace(base, name string) error {
	req, err := http.NewRequest(http.MethodDelete, base+"/admin/namespaces/"+name, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+sharedAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("DELETE namespace %s: %s", name, resp.Status)
	}
	return nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.ts != nil {
		shared.ts.Close()
	}
	os.Exit(code)
}

// TestSuite runs every behaviour test in every mode, all in parallel.
func TestSuite(t *testing.T) {
	t.Parallel()
	for mode, start := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			for _, tc := range suite {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, start)
				})
			}
		})
	}
}

// suite is the behaviour suite: each test gets the constructor of its mode
// and starts the servers it needs.
var suite = []struct {
	name string
	run  func(t *testing.T, start func(testing.TB) *testkit.Server)
}{
	{"IR-7/fixture tokens", testFixtureTokens},
	{"IR-4/AddToken members", testAddTokenMembers},
	{"AddToken random token", testAddTokenRandom},
	{"AddToken duplicate fails", testAddTokenDuplicate},
	{"TL-5/Revoke mid-test", testRevoke},
	{"Expire", testExpire},
	{"Remove", testRemove},
	{"unknown token fails", testUnknownTokenFails},
	{"Reset", testReset},
	{"TL-2/clock advance to expiry", testClockExpiry},
	{"TL-2/nbf by clock", testClockNotBefore},
	{"clock freeze set resume", testClockControls},
	{"TL-3/relative times resolve against the clock", testRelativeTimes},
	{"script/on_call respond", testScriptOnCall},
	{"script/after_calls state", testScriptAfterCalls},
	{"script/after by clock", testScriptAfterClock},
	{"script/states", testScriptStates},
	{"script/respond beats state, last state wins", testScriptPrecedence},
	{"script/from fixtures", testScriptFromFixtures},
	{"script/restarts the count", testScriptRestart},
	{"script/exact count under concurrency", testScriptConcurrent},
	{"script/bad step fails", testScriptBadStep},
	{"ER-5/fault status", testFaultStatus},
	{"fault delay", testFaultDelay},
	{"fault delay cut by client timeout", testFaultDelayTimeout},
	{"fault drop", testFaultDrop},
	{"fault malformed", testFaultMalformed},
	{"FailNext count then recovery", testFailNextCount},
	{"FailNext bad fault fails", testFailNextBadFault},
	{"ER-5/FailNextAt token, cancelled per endpoint", testFailNextAtToken},
	{"FailNextAt bad endpoint or fault fails", testFailNextAtBad},
	{"journal", testJournal},
	{"journal AssertIntrospected", testAssertIntrospected},
	{"journal AssertNotIntrospectedAfter", testAssertNotIntrospectedAfter},
	{"CA-2/credentials", testCredentials},
	{"MD-3/issuer and URLs", testIssuerAndURLs},
	{"TE-4/token endpoint", testTokenEndpoint},
	{"RV-3/revocation endpoint", testRevocationEndpoint},
	{"isolation", testIsolation},
	{"end to end resource server", testEndToEnd},
}

// t0 is a whole second, so relative times resolve exactly.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// frozenAt freezes s's clock at at.
func frozenAt(s *testkit.Server, at time.Time) {
	s.Clock().Freeze()
	s.Clock().Set(at)
}

func testFixtureTokens(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	m := introspect(t, s, "fixture-active").members(t)
	want := map[string]any{
		"active": true, "scope": "orders:read orders:write", "client_id": "web-app",
		"username": "alice", "sub": "user-alice", "aud": "orders-api", "tenant": "acme",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("fixture-active %s = %v; want %v", k, m[k], v)
		}
	}
	for _, tok := range []string{"fixture-revoked", "fixture-expired", "no-such-token"} {
		introspect(t, s, tok).wantInactive(t)
	}
}

func testAddTokenMembers(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	iat, nbf, exp := t0.Add(-time.Minute), t0.Add(-time.Minute), t0.Add(time.Hour)
	frozenAt(s, t0)
	tok, _ := s.AddToken(mockserver.Token{
		Token: "code-token-1", Scope: "orders:read orders:write", ClientID: "web-app",
		Username: "bob", Sub: "user-bob", Aud: []string{"orders-api"}, AudList: true,
		Iss: "https://issuer.example.test", TokenType: "Bearer", Jti: "j-1",
		IssuedAt: iat, NotBefore: nbf, ExpiresAt: exp,
		Claims: map[string]any{"tenant": "acme", "roles": []any{"admin"}, "level": 3.0},
	})
	if tok != "code-token-1" {
		t.Fatalf("AddToken = %q; want the given token", tok)
	}
	m := introspect(t, s, tok).members(t)
	want := map[string]any{
		"active": true, "scope": "orders:read orders:write", "client_id": "web-app",
		"username": "bob", "sub": "user-bob", "aud": []any{"orders-api"},
		"iss": "https://issuer.example.test", "token_type": "Bearer", "jti": "j-1",
		"iat": float64(iat.Unix()), "nbf": float64(nbf.Unix()), "exp": float64(exp.Unix()),
		"tenant": "acme", "roles": []any{"admin"}, "level": 3.0,
	}
	for k, v := range want {
		if fmt.Sprint(m[k]) != fmt.Sprint(v) {
			t.Errorf("%s = %#v; want %#v", k, m[k], v)
		}
	}
	// A single audience without AudList is a string (docs/conformance.md IR-5).
	one, _ := s.AddToken(mockserver.Token{Aud: []string{"orders-api"}, ExpiresIn: time.Hour})
	if got := introspect(t, s, one).members(t)["aud"]; got != "orders-api" {
		t.Errorf("aud = %#v; want the string \"orders-api\"", got)
	}
	// Without exp, a token lives fixtures.DefaultLifetime from now; a
	// negative ExpiresIn leaves exp out.
	m = introspect(t, s, mustToken(s.AddToken(mockserver.Token{}))).members(t)
	if m["exp"] != float64(t0.Add(fixtures.DefaultLifetime).Unix()) {
		t.Errorf("no ExpiresAt, no ExpiresIn: exp = %v; want now + %v", m["exp"], fixtures.DefaultLifetime)
	}
	m = introspect(t, s, mustToken(s.AddToken(mockserver.Token{ExpiresIn: -1}))).members(t)
	if exp, ok := m["exp"]; ok || m["active"] != true {
		t.Errorf("ExpiresIn < 0: exp = %v, active %v; want no exp, active", exp, m["active"])
	}
	// ExpiresIn counts from the server clock, which also sets iat.
	m = introspect(t, s, one).members(t)
	if m["exp"] != float64(t0.Add(time.Hour).Unix()) || m["iat"] != float64(t0.Unix()) {
		t.Errorf("ExpiresIn: iat, exp = %v, %v; want %d, %d", m["iat"], m["exp"], t0.Unix(), t0.Add(time.Hour).Unix())
	}
}

func testAddTokenRandom(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	a, _ := s.AddToken(mockserver.Token{Scope: "x", ExpiresIn: time.Hour})
	b, _ := s.AddToken(mockserver.Token{Scope: "x", ExpiresIn: time.Hour})
	if a == b || len(a) < 32 {
		t.Errorf("random tokens %q, %q: want distinct and at least 32 characters", a, b)
	}
	if !introspect(t, s, a).active(t) || !introspect(t, s, b).active(t) {
		t.Error("random tokens are not active")
	}
}

func testAddTokenDuplicate(t *testing.T, start func(testing.TB) *testkit.Server) {
	r := newRecorder(t)
	s := start(r)
	msg := r.do(func() { s.AddToken(mockserver.Token{Token: "fixture-active"}) })
	if !strings.Contains(msg, "AddToken") {
		t.Errorf("duplicate AddToken: fatal %q; want a failure naming AddToken", msg)
	}
	if strings.Contains(msg, "fixture-active") {
		t.Errorf("message %q shows the token unredacted", msg)
	}
}

func testRevoke(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{Scope: "orders:read", ExpiresIn: time.Hour})
	if !introspect(t, s, tok).active(t) {
		t.Fatal("new token inactive")
	}
	s.Revoke(tok)
	introspect(t, s, tok).wantInactive(t)
	s.Revoke("fixture-active")
	introspect(t, s, "fixture-active").wantInactive(t)
}

func testExpire(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	frozenAt(s, t0)
	tok, _ := s.AddToken(mockserver.Token{ExpiresAt: t0.Add(time.Hour)})
	s.Expire(tok)
	introspect(t, s, tok).wantInactive(t)
	// Expired stays expired when the clock moves on, and is not revoked:
	// moving back before the new exp shows it active again.
	s.Clock().Advance(time.Minute)
	introspect(t, s, tok).wantInactive(t)
	s.Clock().Set(t0.Add(-time.Second))
	if !introspect(t, s, tok).active(t) {
		t.Error("before its exp the expired token is inactive; want active")
	}
}

func testRemove(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	s.Remove("fixture-active")
	introspect(t, s, "fixture-active").wantInactive(t)
	tok, _ := s.AddToken(mockserver.Token{Token: "fixture-active", ExpiresIn: time.Hour})
	if !introspect(t, s, tok).active(t) {
		t.Error("token added again after Remove is inactive")
	}
}

func testUnknownTokenFails(t *testing.T, start func(testing.TB) *testkit.Server) {
	r := newRecorder(t)
	s := start(r)
	for name, f := range map[string]func(){
		"Revoke": func() { s.Revoke("no-such-token") },
		"Expire": func() { s.Expire("no-such-token") },
		"Remove": func() { s.Remove("no-such-token") },
		"Script": func() {
			s.Script("no-such-token", mockserver.Step{When: mockserver.OnCall(1), State: fixtures.StateRevoked})
		},
	} {
		msg := r.do(f)
		if !strings.Contains(msg, name) || !strings.Contains(msg, `"no-s…"`) {
			t.Errorf("%s of an unknown token: fatal %q; want it named, token redacted", name, msg)
		}
	}
}

func testReset(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	frozenAt(s, t0)
	added, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	s.Revoke("fixture-active")
	s.Script("fixture-expired", mockserver.Step{When: mockserver.OnCall(1), State: fixtures.StateActive})
	s.FailNext(5, mockserver.Fault{Status: http.StatusServiceUnavailable})
	introspect(t, s, added)
	s.Reset()
	if n := len(s.Calls()); n != 0 {
		t.Errorf("journal after Reset has %d calls; want 0", n)
	}
	introspect(t, s, added).wantInactive(t)             // gone, and no fault pending
	introspect(t, s, "fixture-expired").wantInactive(t) // script cleared
	if !introspect(t, s, "fixture-active").active(t) {
		t.Error("fixture-active still revoked after Reset")
	}
	if got := s.Clock().Now(); !got.Equal(t0) || !s.Clock().Frozen() {
		t.Errorf("clock after Reset = %v (frozen %v); want untouched %v, frozen", got, s.Clock().Frozen(), t0)
	}
}

func testClockExpiry(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	frozenAt(s, t0)
	tok, _ := s.AddToken(mockserver.Token{ExpiresAt: t0.Add(time.Hour)})
	s.Clock().Advance(time.Hour - time.Second)
	if !introspect(t, s, tok).active(t) {
		t.Fatal("inactive a second before exp")
	}
	s.Clock().Advance(time.Second) // clock == exp: expired, no leeway
	introspect(t, s, tok).wantInactive(t)
}

func testClockNotBefore(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	frozenAt(s, t0)
	tok, _ := s.AddToken(mockserver.Token{NotBefore: t0.Add(10 * time.Minute), ExpiresAt: t0.Add(time.Hour)})
	introspect(t, s, tok).wantInactive(t)
	s.Clock().Advance(10 * time.Minute) // clock == nbf: valid
	if !introspect(t, s, tok).active(t) {
		t.Error("inactive at nbf")
	}
}

func testClockControls(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	c := s.Clock()
	if c.Frozen() {
		t.Fatal("new server clock is frozen; want real time")
	}
	if d := time.Since(c.Now()); d < -time.Minute || d > time.Minute {
		t.Errorf("clock reads %v; want about real time", c.Now())
	}
	c.Freeze()
	a := c.Now()
	time.Sleep(5 * time.Millisecond)
	if b := c.Now(); !b.Equal(a) || !c.Frozen() {
		t.Errorf("frozen clock moved from %v to %v", a, b)
	}
	c.Advance(90 * time.Minute)
	if got := c.Now(); !got.Equal(a.Add(90 * time.Minute)) {
		t.Errorf("after Advance(90m) clock = %v; want %v", got, a.Add(90*time.Minute))
	}
	c.Advance(-30 * time.Minute)
	if got := c.Now(); !got.Equal(a.Add(time.Hour)) {
		t.Errorf("after Advance(-30m) clock = %v; want %v", got, a.Add(time.Hour))
	}
	c.Set(t0)
	if got := c.Now(); !got.Equal(t0) || !c.Frozen() {
		t.Errorf("after Set clock = %v (frozen %v); want %v, still frozen", got, c.Frozen(), t0)
	}
	c.Resume()
	time.Sleep(5 * time.Millisecond)
	if got := c.Now(); c.Frozen() || !got.After(t0) || got.After(t0.Add(time.Minute)) {
		t.Errorf("after Resume clock = %v (frozen %v); want running on from %v", got, c.Frozen(), t0)
	}
	// Set on a running clock runs on from there.
	c.Set(t0.Add(24 * time.Hour))
	if got := c.Now(); c.Frozen() || got.Before(t0.Add(24*time.Hour)) || got.After(t0.Add(24*time.Hour+time.Minute)) {
		t.Errorf("Set on a running clock: now %v (frozen %v); want running from %v", got, c.Frozen(), t0.Add(24*time.Hour))
	}
}

func testRelativeTimes(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	frozenAt(s, t0)
	s.Reset() // fixtures again, "exp: +1h" now against t0
	m := introspect(t, s, "fixture-active").members(t)
	if m["exp"] != float64(t0.Add(time.Hour).Unix()) || m["iat"] != float64(t0.Add(-5*time.Minute).Unix()) {
		t.Errorf("iat, exp = %v, %v; want %d, %d", m["iat"], m["exp"], t0.Add(-5*time.Minute).Unix(), t0.Add(time.Hour).Unix())
	}
	s.Clock().Advance(time.Hour)
	introspect(t, s, "fixture-active").wantInactive(t)
}

func testScriptOnCall(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	s.Script(tok, mockserver.Step{When: mockserver.OnCall(2), Respond: &mockserver.Fault{Status: http.StatusServiceUnavailable, RetryAfter: 2 * time.Second}})
	if !introspect(t, s, tok).active(t) {
		t.Error("call 1 inactive")
	}
	a := introspect(t, s, tok)
	a.oauthError(t, http.StatusServiceUnavailable, "temporarily_unavailable")
	if got := a.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q; want 2", got)
	}
	if !introspect(t, s, tok).active(t) {
		t.Error("call 3 inactive; want recovery after the scripted call")
	}
}

func testScriptAfterCalls(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	s.Script(tok, mockserver.Step{When: mockserver.AfterCalls(2), State: fixtures.StateRevoked})
	for i, want := range []bool{true, true, false, false} {
		if got := introspect(t, s, tok).active(t); got != want {
			t.Errorf("call %d active = %v; want %v", i+1, got, want)
		}
	}
}

func testScriptAfterClock(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	frozenAt(s, t0)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: 24 * time.Hour})
	s.Script(tok, mockserver.Step{When: mockserver.After(10 * time.Minute), State: fixtures.StateExpired})
	s.Clock().Advance(10*time.Minute - time.Second)
	if !introspect(t, s, tok).active(t) {
		t.Error("inactive before load time + after")
	}
	s.Clock().Advance(time.Second)
	introspect(t, s, tok).wantInactive(t)
}

func testScriptStates(t *testing.T, start func(testing.TB) *testkit.Server) {
	tests := []struct {
		give       string
		wantActive bool
	}{
		{fixtures.StateActive, true},
		{fixtures.StateRevoked, false},
		{fixtures.StateExpired, false},
		{fixtures.StateNotYetValid, false},
	}
	s := start(t)
	for _, tt := range tests {
		// From a revoked token, so "active" visibly overrides the store.
		tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour, Revoked: true})
		s.Script(tok, mockserver.Step{When: mockserver.Always(), State: tt.give})
		if got := introspect(t, s, tok).active(t); got != tt.wantActive {
			t.Errorf("state %s: active = %v; want %v", tt.give, got, tt.wantActive)
		}
	}
}

func testScriptPrecedence(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	s.Script(tok,
		mockserver.Step{When: mockserver.Always(), State: fixtures.StateRevoked},
		mockserver.Step{When: mockserver.AfterCalls(1), State: fixtures.StateActive},
		mockserver.Step{When: mockserver.OnCall(3), Respond: &mockserver.Fault{Status: http.StatusInternalServerError}},
		mockserver.Step{When: mockserver.OnCall(3), Respond: &mockserver.Fault{Status: http.StatusTooManyRequests}},
	)
	introspect(t, s, tok).wantInactive(t) // only the revoked step matches
	if !introspect(t, s, tok).active(t) { // both match: the last wins
		t.Error("call 2: want the last matching state (active)")
	}
	introspect(t, s, tok).oauthError(t, http.StatusInternalServerError, "server_error") // first respond wins
}

func testScriptFromFixtures(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	frozenAt(s, t0)
	s.Reset() // load time = t0 for the "after: 10m" step
	a := introspect(t, s, "goes-bad")
	a.oauthError(t, http.StatusServiceUnavailable, "temporarily_unavailable")
	if got := a.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q; want 2", got)
	}
	if !introspect(t, s, "goes-bad").active(t) {
		t.Error("call 2 inactive")
	}
	introspect(t, s, "goes-bad").wantInactive(t) // revoked from call 3
	s.Clock().Advance(10 * time.Minute)
	introspect(t, s, "goes-bad").wantInactive(t)
}

func testScriptRestart(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	introspect(t, s, tok)
	introspect(t, s, tok)
	s.Script(tok, mockserver.Step{When: mockserver.OnCall(1), Respond: &mockserver.Fault{Status: http.StatusInternalServerError}})
	introspect(t, s, tok).oauthError(t, http.StatusInternalServerError, "server_error")
	s.Script(tok) // no steps: script removed
	if !introspect(t, s, tok).active(t) {
		t.Error("inactive after removing the script")
	}
}

func testScriptConcurrent(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	const calls = 40
	s.Script(tok,
		mockserver.Step{When: mockserver.OnCall(7), Respond: &mockserver.Fault{Status: http.StatusServiceUnavailable}},
		mockserver.Step{When: mockserver.AfterCalls(30), State: fixtures.StateRevoked})
	var wg sync.WaitGroup
	answers := make([]answer, calls)
	for i := range answers {
		wg.Go(func() { answers[i] = introspect(t, s, tok) })
	}
	wg.Wait()
	var faults, active, inactive int
	for _, a := range answers {
		switch {
		case a.status == http.StatusServiceUnavailable:
			faults++
		case a.active(t):
			active++
		default:
			inactive++
		}
	}
	if faults != 1 || active != 29 || inactive != 10 {
		t.Errorf("%d concurrent calls: %d faults, %d active, %d inactive; want 1, 29, 10", calls, faults, active, inactive)
	}
	s.AssertIntrospected(t, tok, calls)
}

func testScriptBadStep(t *testing.T, start func(testing.TB) *testkit.Server) {
	r := newRecorder(t)
	s := start(r)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	for name, st := range map[string]mockserver.Step{
		"no trigger":    {State: fixtures.StateRevoked},
		"no effect":     {When: mockserver.OnCall(1)},
		"unknown state": {When: mockserver.OnCall(1), State: "sleepy"},
		"two effects":   {When: mockserver.OnCall(1), State: fixtures.StateRevoked, Respond: &mockserver.Fault{Status: 503}},
	} {
		if msg := r.do(func() { s.Script(tok, st) }); !strings.Contains(msg, "Script") {
			t.Errorf("%s: fatal %q; want a failure naming Script", name, msg)
		}
	}
	if !introspect(t, s, tok).active(t) {
		t.Error("a rejected script changed the token")
	}
}

func testFaultStatus(t *testing.T, start func(testing.TB) *testkit.Server) {
	tests := []struct {
		name           string
		give           mockserver.Fault
		wantStatus     int
		wantError      string
		wantRetryAfter string
	}{
		{"503", mockserver.Fault{Status: 503, RetryAfter: 2 * time.Second}, 503, "temporarily_unavailable", "2"},
		{"429 rounds Retry-After up", mockserver.Fault{Status: 429, RetryAfter: 1500 * time.Millisecond}, 429, "temporarily_unavailable", "2"},
		{"500", mockserver.Fault{Status: 500}, 500, "server_error", ""},
	}
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	for _, tt := range tests {
		s.FailNext(1, tt.give)
		a := introspect(t, s, tok)
		a.oauthError(t, tt.wantStatus, tt.wantError)
		if got := a.header.Get("Retry-After"); got != tt.wantRetryAfter {
			t.Errorf("%s: Retry-After = %q; want %q", tt.name, got, tt.wantRetryAfter)
		}
		if !introspect(t, s, tok).active(t) {
			t.Errorf("%s: token inactive after the fault", tt.name)
		}
	}
}

func testFaultDelay(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	const delay = 50 * time.Millisecond
	s.FailNext(1, mockserver.Fault{Delay: delay})
	begin := time.Now()
	a := introspect(t, s, tok)
	if took := time.Since(begin); took < delay {
		t.Errorf("delayed answer took %v; want at least %v", took, delay)
	}
	if !a.active(t) {
		t.Error("a delay alone changed the answer")
	}
}

func testFaultDelayTimeout(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	s.FailNext(1, mockserver.Fault{Delay: 10 * time.Minute}) // the longest delay allowed
	impatient := &http.Client{Transport: s.Client().Transport, Timeout: 50 * time.Millisecond}
	a := introspectWith(t, s, impatient, tok)
	var ne net.Error
	if !errors.As(a.err, &ne) || !ne.Timeout() {
		t.Fatalf("introspection delayed by 10m with a 50ms client timeout: err %v, status %d; want a timeout", a.err, a.status)
	}
	// The server is not stuck behind the delayed call.
	if !introspect(t, s, tok).active(t) {
		t.Error("next call inactive")
	}
}

func testFaultDrop(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	s.FailNext(1, mockserver.Fault{Drop: true})
	if a := introspect(t, s, tok); a.err == nil {
		t.Fatalf("dropped connection: got status %d, body %s; want a transport error", a.status, a.body)
	}
	if !introspect(t, s, tok).active(t) {
		t.Error("next call inactive")
	}
}

func testFaultMalformed(t *testing.T, start func(testing.TB) *testkit.Server) {
	type check func(t *testing.T, a answer)
	jsonBody := func(t *testing.T, a answer) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(a.body, &m); err != nil {
			t.Fatalf("body %q: %v", a.body, err)
		}
		return m
	}
	tests := []struct {
		give  string
		check check
	}{
		{fixtures.MalformedInvalidJSON, func(t *testing.T, a answer) {
			var v any
			if json.Unmarshal(a.body, &v) == nil {
				t.Errorf("body %q is valid JSON", a.body)
			}
		}},
		{fixtures.MalformedMissingActive, func(t *testing.T, a answer) {
			if _, ok := jsonBody(t, a)["active"]; ok {
				t.Errorf("body %s has active", a.body)
			}
		}},
		{fixtures.MalformedStringActive, func(t *testing.T, a answer) {
			if got := jsonBody(t, a)["active"]; got != "false" {
				t.Errorf("active = %#v; want the string \"false\"", got)
			}
		}},
		{fixtures.MalformedContentType, func(t *testing.T, a answer) {
			if ct := a.header.Get("Content-Type"); strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q; want a wrong one", ct)
			}
			if _, ok := jsonBody(t, a)["active"].(bool); !ok {
				t.Errorf("body %s: want a good answer under the wrong type", a.body)
			}
		}},
		{fixtures.MalformedHTML, func(t *testing.T, a answer) {
			if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q; want text/html", ct)
			}
			if !strings.Contains(strings.ToLower(string(a.body)), "<html") {
				t.Errorf("body %q: want an HTML page", a.body)
			}
		}},
		{fixtures.MalformedOAuthErrorBody, func(t *testing.T, a answer) {
			if got := jsonBody(t, a)["error"]; got != "server_error" {
				t.Errorf("error = %#v; want server_error", got)
			}
		}},
	}
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			// Each kind both from FailNext and from a script step.
			s.FailNext(1, mockserver.Fault{Malformed: tt.give})
			a := introspect(t, s, tok)
			if a.err != nil || a.status != http.StatusOK {
				t.Fatalf("FailNext: status %d, err %v; want 200", a.status, a.err)
			}
			tt.check(t, a)
			s.Script(tok, mockserver.Step{When: mockserver.OnCall(1), Respond: &mockserver.Fault{Malformed: tt.give}})
			a = introspect(t, s, tok)
			if a.err != nil || a.status != http.StatusOK {
				t.Fatalf("script: status %d, err %v; want 200", a.status, a.err)
			}
			tt.check(t, a)
			if !introspect(t, s, tok).active(t) {
				t.Error("no recovery after the malformed answer")
			}
		})
	}
}

func testFailNextCount(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	s.FailNext(2, mockserver.Fault{Status: http.StatusServiceUnavailable, RetryAfter: time.Second})
	introspect(t, s, tok).oauthError(t, 503, "temporarily_unavailable")
	introspect(t, s, "fixture-active").oauthError(t, 503, "temporarily_unavailable") // any token
	if !introspect(t, s, tok).active(t) {
		t.Error("third call: want recovery")
	}
	s.FailNext(3, mockserver.Fault{Status: http.StatusInternalServerError})
	s.FailNext(0, mockserver.Fault{}) // cancels
	if !introspect(t, s, tok).active(t) {
		t.Error("FailNext(0) left faults pending")
	}
	var faulted int
	for _, c := range s.Calls() {
		if c.Fault != "" {
			faulted++
		}
	}
	if faulted != 2 {
		t.Errorf("journal shows %d faulted calls; want 2", faulted)
	}
}

func testFailNextBadFault(t *testing.T, start func(testing.TB) *testkit.Server) {
	r := newRecorder(t)
	s := start(r)
	msg := r.do(func() { s.FailNext(1, mockserver.Fault{Drop: true, Status: http.StatusServiceUnavailable}) })
	if !strings.Contains(msg, "FailNext") || !strings.Contains(msg, "drop") {
		t.Errorf("drop with a status: fatal %q; want FailNext and the reason", msg)
	}
	if !introspect(t, s, "fixture-active").active(t) {
		t.Error("a refused fault was installed")
	}
}

func testFailNextAtToken(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	token := func() answer {
		return postForm(t, s.Client(), s.TokenURL(), s.ClientID(), s.ClientSecret(), url.Values{"grant_type": {"client_credentials"}})
	}
	s.FailNextAt(mockserver.EndpointToken, 2, mockserver.Fault{Status: http.StatusInternalServerError})
	s.FailNextAt(mockserver.EndpointRevoke, 2, mockserver.Fault{Status: http.StatusServiceUnavailable})
	s.FailNextAt(mockserver.EndpointRevoke, 0, mockserver.Fault{}) // cancels the revoke faults only
	s.FailNext(0, mockserver.Fault{})                              // cancels introspection faults only
	token().oauthError(t, 500, "server_error")
	if a := postForm(t, s.Client(), s.RevocationURL(), s.ClientID(), s.ClientSecret(), url.Values{"token": {"fixture-active"}}); a.status != 200 {
		t.Errorf("revoke after its faults were cancelled: %d %s; want 200", a.status, a.body)
	}
	token().oauthError(t, 500, "server_error")
	if a := token(); a.status != 200 || !strings.Contains(string(a.body), `"access_token"`) {
		t.Errorf("third token request: %d %s; want a token", a.status, a.body)
	}
	var faulted []string
	for _, c := range s.Calls() {
		if c.Fault != "" {
			faulted = append(faulted, c.Endpoint+" "+c.Fault)
		}
	}
	if want := []string{"token status 500", "token status 500"}; !slices.Equal(faulted, want) {
		t.Errorf("journal faults %q; want %q", faulted, want)
	}
}

func testFailNextAtBad(t *testing.T, start func(testing.TB) *testkit.Server) {
	r := newRecorder(t)
	s := start(r)
	for _, tt := range []struct {
		endpoint string
		f        mockserver.Fault
		want     string
	}{
		{mockserver.EndpointJWKS, mockserver.Fault{Status: 500}, "unknown endpoint"},
		{"", mockserver.Fault{Status: 500}, "unknown endpoint"},
		{mockserver.EndpointRevoke, mockserver.Fault{Malformed: fixtures.MalformedHTML}, "malformed"},
		{mockserver.EndpointToken, mockserver.Fault{Delay: time.Hour}, "at most 10m"},
	} {
		msg := r.do(func() { s.FailNextAt(tt.endpoint, 1, tt.f) })
		if !strings.Contains(msg, "FailNextAt") || !strings.Contains(msg, tt.want) {
			t.Errorf("FailNextAt(%q, %+v): fatal %q; want FailNextAt and %q", tt.endpoint, tt.f, msg, tt.want)
		}
	}
	a := postForm(t, s.Client(), s.TokenURL(), s.ClientID(), s.ClientSecret(), url.Values{"grant_type": {"client_credentials"}})
	if a.status != 200 {
		t.Errorf("token after refused faults: %d %s; want 200", a.status, a.body)
	}
}

func testJournal(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	frozenAt(s, t0)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	introspect(t, s, tok)
	// client_secret_post with a hint, then the revocation endpoint.
	postForm(t, s.Client(), s.IntrospectionURL(), "", "", url.Values{
		"token": {"fixture-revoked"}, "token_type_hint": {"access_token"},
		"client_id": {s.ClientID()}, "client_secret": {s.ClientSecret()},
	})
	postForm(t, s.Client(), s.RevocationURL(), s.ClientID(), s.ClientSecret(), url.Values{"token": {tok}})
	postForm(t, s.Client(), s.IntrospectionURL(), "", "", url.Values{"token": {tok}}) // no credentials

	// The journal's fields a user relies on, per call.
	type entry struct {
		Endpoint, ClientID, AuthMethod, Token, TokenTypeHint string
		Status                                               int
		Active                                               bool
	}
	want := []entry{
		{"introspect", s.ClientID(), "basic", tok, "", 200, true},
		{"introspect", s.ClientID(), "post", "fixture-revoked", "access_token", 200, false},
		{"revoke", s.ClientID(), "basic", tok, "", 200, false},
		{"introspect", "", "none", tok, "", 401, false},
	}
	calls := s.Calls()
	if len(calls) != len(want) {
		t.Fatalf("journal has %d calls; want %d:\n%v", len(calls), len(want), calls)
	}
	for i, c := range calls {
		got := entry{c.Endpoint, c.ClientID, c.AuthMethod, c.Token.Raw(), c.TokenTypeHint, c.Status, c.Active}
		if want[i].Status == http.StatusUnauthorized {
			got.Token = want[i].Token // whether a refused call names its token is the server's choice
		}
		if got != want[i] {
			t.Errorf("call %d = %+v; want %+v", i, got, want[i])
		}
		if !c.Time.Equal(t0) {
			t.Errorf("call %d time = %v; want the server clock %v", i, c.Time, t0)
		}
		if c.Fault != "" {
			t.Errorf("call %d fault = %q; want none", i, c.Fault)
		}
	}
	// Printing a call never shows the token.
	if str := fmt.Sprint(calls[0]); strings.Contains(str, tok) {
		t.Errorf("Call printed as %q shows the token", str)
	}
	s.ClearCalls()
	if n := len(s.Calls()); n != 0 {
		t.Errorf("after ClearCalls: %d calls; want 0", n)
	}
}

func testAssertIntrospected(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{Token: "abcdefgh-secret-part", ExpiresIn: time.Hour})
	for range 3 {
		introspect(t, s, tok)
	}
	introspect(t, s, "fixture-active")
	// Other endpoints do not count.
	postForm(t, s.Client(), s.RevocationURL(), s.ClientID(), s.ClientSecret(), url.Values{"token": {tok}})
	s.AssertIntrospected(t, tok, 3) // passes
	s.AssertIntrospected(t, "never-asked", 0)

	r := newRecorder(t)
	s.AssertIntrospected(r, tok, 2)
	want := []string{`introspections of "abcd…" = 3; want 2`}
	if got := r.errorMessages(); !slices.Equal(got, want) {
		t.Errorf("AssertIntrospected reported %q; want %q", got, want)
	}
}

func testAssertNotIntrospectedAfter(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	frozenAt(s, t0)
	tok, _ := s.AddToken(mockserver.Token{Token: "abcdefgh-secret-part", ExpiresIn: time.Hour})
	introspect(t, s, tok)
	s.AssertNotIntrospectedAfter(t, tok, t0) // at t0 is not after t0
	s.Clock().Advance(time.Minute)
	introspect(t, s, tok)
	introspect(t, s, tok)

	r := newRecorder(t)
	s.AssertNotIntrospectedAfter(r, tok, t0)
	want := []string{`introspections of "abcd…" after 2030-01-02T03:04:05Z = 2 (last at 2030-01-02T03:05:05Z); want 0`}
	if got := r.errorMessages(); !slices.Equal(got, want) {
		t.Errorf("AssertNotIntrospectedAfter reported %q; want %q", got, want)
	}
}

func testCredentials(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	if s.ClientID() == "" || len(s.ClientSecret()) < 16 {
		t.Fatalf("credentials %q/%d chars: want an id and a random secret", s.ClientID(), len(s.ClientSecret()))
	}
	form := url.Values{"token": {"fixture-active"}}
	if !postForm(t, s.Client(), s.IntrospectionURL(), s.ClientID(), s.ClientSecret(), form).active(t) {
		t.Error("Basic with ClientID/ClientSecret: inactive")
	}
	post := url.Values{"token": {"fixture-active"}, "client_id": {s.ClientID()}, "client_secret": {s.ClientSecret()}}
	if !postForm(t, s.Client(), s.IntrospectionURL(), "", "", post).active(t) {
		t.Error("client_secret_post with ClientID/ClientSecret: inactive")
	}
	postForm(t, s.Client(), s.IntrospectionURL(), s.ClientID(), "wrong", form).oauthError(t, 401, "invalid_client")
	// Fixture clients work too.
	if !postForm(t, s.Client(), s.IntrospectionURL(), "orders-api", "orders-secret", form).active(t) {
		t.Error("fixture client: inactive")
	}
}

func testIssuerAndURLs(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	if s.Issuer() != s.URL() {
		t.Errorf("Issuer() = %q; want URL() %q (no issuer configured)", s.Issuer(), s.URL())
	}
	resp, err := s.Client().Get(s.URL() + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var md map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"issuer":                 s.Issuer(),
		"introspection_endpoint": s.IntrospectionURL(),
		"revocation_endpoint":    s.RevocationURL(),
		"token_endpoint":         s.TokenURL(),
	} {
		if md[key] != want {
			t.Errorf("discovery %s = %v; want %q", key, md[key], want)
		}
	}
}

func testTokenEndpoint(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	a := postForm(t, s.Client(), s.TokenURL(), s.ClientID(), s.ClientSecret(), url.Values{"grant_type": {"client_credentials"}})
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if a.err != nil || a.status != 200 || json.Unmarshal(a.body, &tr) != nil || tr.AccessToken == "" {
		t.Fatalf("token endpoint: status %d, err %v, body %s", a.status, a.err, a.body)
	}
	m := introspect(t, s, tr.AccessToken).members(t)
	if m["active"] != true || m["client_id"] != s.ClientID() {
		t.Errorf("issued token introspects as %v; want active, client_id %q", m, s.ClientID())
	}
	s.Revoke(tr.AccessToken) // issued tokens are in the store
	introspect(t, s, tr.AccessToken).wantInactive(t)
}

func testRevocationEndpoint(t *testing.T, start func(testing.TB) *testkit.Server) {
	s := start(t)
	a := postForm(t, s.Client(), s.RevocationURL(), s.ClientID(), s.ClientSecret(), url.Values{"token": {"fixture-active"}})
	if a.err != nil || a.status != 200 {
		t.Fatalf("revocation: status %d, err %v", a.status, a.err)
	}
	introspect(t, s, "fixture-active").wantInactive(t)
}

// testIsolation: two servers of one mode share nothing (in container mode,
// two namespaces of one container).
func testIsolation(t *testing.T, start func(testing.TB) *testkit.Server) {
	a, b := start(t), start(t)
	tok, _ := a.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	a.Revoke("fixture-active")
	a.Clock().Freeze()
	a.Clock().Advance(48 * time.Hour)
	a.FailNext(10, mockserver.Fault{Status: 503})
	introspect(t, b, tok).wantInactive(t)
	if !introspect(t, b, "fixture-active").active(t) {
		t.Error("revocation in one server shows in another")
	}
	if b.Clock().Frozen() || b.Clock().Now().After(time.Now().Add(time.Hour)) {
		t.Error("clock change in one server shows in another")
	}
	b.AssertIntrospected(t, tok, 1)
	a.AssertIntrospected(t, tok, 0)
	if n := len(a.Calls()); n != 0 {
		t.Errorf("server a journal has %d calls from server b", n)
	}
}

// testEndToEnd plays issue 4's scenario against a resource server that
// caches active answers until exp: expiry by the clock, revocation while
// the cache is cold, and why a warm cache hides a revocation.
func testEndToEnd(t *testing.T, start func(testing.TB) *testkit.Server) {
	as := start(t)
	frozenAt(as, t0)
	api := httptest.NewServer(newOrdersAPI(as))
	t.Cleanup(api.Close)

	// Expiry by the clock.
	tok, _ := as.AddToken(mockserver.Token{Scope: "orders:read", Sub: "alice", ExpiresIn: time.Hour})
	if got := get(t, api.URL, tok); got != http.StatusOK {
		t.Fatalf("fresh token: %d; want 200", got)
	}
	as.Clock().Advance(59 * time.Minute)
	if got := get(t, api.URL, tok); got != http.StatusOK {
		t.Errorf("cached token before exp: %d; want 200", got)
	}
	as.AssertIntrospected(t, tok, 1) // the second answer came from the cache
	as.Clock().Advance(time.Minute)  // clock == exp
	if got := get(t, api.URL, tok); got != http.StatusUnauthorized {
		t.Errorf("token at exp: %d; want 401", got)
	}
	as.AssertIntrospected(t, tok, 2)

	// Revocation while the cache is cold: the API asks and refuses.
	cold, _ := as.AddToken(mockserver.Token{Scope: "orders:read", Sub: "bob", ExpiresIn: time.Hour})
	as.Revoke(cold)
	if got := get(t, api.URL, cold); got != http.StatusUnauthorized {
		t.Errorf("revoked token, cold cache: %d; want 401", got)
	}
	as.AssertIntrospected(t, cold, 1)

	// A warm cache serves a revoked token until exp, never asking again.
	warm, _ := as.AddToken(mockserver.Token{Scope: "orders:read", Sub: "carol", ExpiresIn: time.Hour})
	get(t, api.URL, warm)
	revokedAt := as.Clock().Now()
	as.Revoke(warm)
	if got := get(t, api.URL, warm); got != http.StatusOK {
		t.Errorf("revoked token, warm cache: %d; want 200 (cached)", got)
	}
	as.AssertNotIntrospectedAfter(t, warm, revokedAt)

	// Scope and outage handling of the same API.
	narrow, _ := as.AddToken(mockserver.Token{Scope: "profile", ExpiresIn: time.Hour})
	if got := get(t, api.URL, narrow); got != http.StatusForbidden {
		t.Errorf("token without orders:read: %d; want 403", got)
	}
	as.FailNext(1, mockserver.Fault{Status: http.StatusServiceUnavailable, RetryAfter: time.Second})
	if got := get(t, api.URL, narrow); got != http.StatusServiceUnavailable {
		t.Errorf("authorization server 503: %d; want 503", got)
	}
}
