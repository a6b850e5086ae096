// Package suite is the behaviour suite that every way of getting a
// *testkit.Server passes: in-process (testkit.Start), remote
// (testkit.Connect) and in a container (testkit/container). It is written
// once and run by the tests of each mode:
//
//	func TestSuite(t *testing.T) {
//		suite.Run(t, func(tb testing.TB) *testkit.Server { return testkit.Start(tb) })
//	}
//
// The cases use only tokens they add from code, with random strings, so
// any fresh server passes whatever fixtures it was seeded with.
package suite

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit"
)

// Start returns a fresh server, isolated from every other server it
// returns, whose clock runs in real time; tb.Cleanup closes it. Cases
// call it from parallel subtests.
type Start func(tb testing.TB) *testkit.Server

// Run runs every case of the suite as a parallel subtest of t, each with
// servers from start.
func Run(t *testing.T, start Start) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, start)
		})
	}
}

// cases are named after docs/conformance.md IDs where one applies.
var cases = []struct {
	name string
	run  func(t *testing.T, start Start)
}{
	{"IR-4/active", testActive},
	{"TL-2/expired by clock advance", testExpiredByClock},
	{"TL-5/revoked mid-test", testRevokedMidTest},
	{"ER-5/scripted 503 then recovery", testScriptedFault},
	{"ER-5/FailNext then recovery", testFailNext},
	{"RV-7/FailNextAt revoke 503, token stays active", testFailNextAtRevoke},
	{"journal", testJournal},
	{"isolation under t.Parallel", testIsolation},
	{"journal filters", testCallFilters},
	{"journal holds only the test's calls", testJournalOnlyTestCalls},
	{"Introspect and RevokeAsCaller", testCallerHelpers},
	{"one server shared by parallel subtests through With", testSharedWith},
	{"RFC 9701/JWT answers broken on cue", testJWTFaults},
	{"RevokeSubject and RevokeClient", testRevokeSubjectClient},
	{"a script step needs a trigger", testStepNeedsTrigger},
}

// t0 is a whole second, so that times compare exactly after the
// server's truncation to seconds.
var t0 = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

func testActive(t *testing.T, start Start) {
	s := start(t)
	s.Clock().Freeze()
	s.Clock().Set(t0)
	tok, _ := s.AddToken(mockserver.Token{
		Scope: "orders:read orders:write", ClientID: "web-app", Username: "alice", Sub: "user-alice",
		Aud: []string{"orders-api"}, ExpiresIn: time.Hour,
		Claims: map[string]any{"tenant": "acme", "roles": []any{"admin"}},
	})
	a := introspect(t, s, tok)
	if a.status != http.StatusOK || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q; want 200 application/json", a.status, a.header.Get("Content-Type"))
	}
	if !strings.HasPrefix(string(a.body), `{"active":true`) {
		t.Errorf("body %s; want it to start with the JSON boolean active", a.body)
	}
	want := map[string]any{
		"active": true, "scope": "orders:read orders:write", "client_id": "web-app",
		"username": "alice", "sub": "user-alice", "aud": "orders-api",
		"iss": s.Issuer(), "exp": float64(t0.Add(time.Hour).Unix()), "iat": float64(t0.Unix()),
		"tenant": "acme", "roles": []any{"admin"},
	}
	got := a.members(t)
	for k, v := range want {
		if fmt.Sprint(got[k]) != fmt.Sprint(v) {
			t.Errorf("%s = %#v; want %#v", k, got[k], v)
		}
	}
	introspect(t, s, "suite-never-added").wantInactive(t)
}

func testExpiredByClock(t *testing.T, start Start) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{Scope: "orders:read", ExpiresIn: time.Hour})
	if !introspect(t, s, tok).active(t) {
		t.Fatal("fresh token inactive")
	}
	s.Clock().Freeze()
	s.Clock().Advance(59 * time.Minute)
	if !introspect(t, s, tok).active(t) {
		t.Error("one minute before exp: inactive; want active")
	}
	s.Clock().Advance(time.Minute) // clock == exp: inactive (docs/conformance.md TL-2)
	introspect(t, s, tok).wantInactive(t)
	s.Clock().Set(s.Clock().Now().Add(-2 * time.Minute)) // the clock may move back
	if !introspect(t, s, tok).active(t) {
		t.Error("clock set back before exp: inactive; want active")
	}
}

func testRevokedMidTest(t *testing.T, start Start) {
	s := start(t)
	byHelper, _ := s.AddToken(mockserver.Token{Scope: "orders:read", ExpiresIn: time.Hour})
	byEndpoint, _ := s.AddToken(mockserver.Token{Scope: "orders:read", ExpiresIn: time.Hour})
	for _, tok := range []string{byHelper, byEndpoint} {
		if !introspect(t, s, tok).active(t) {
			t.Fatal("fresh token inactive")
		}
	}
	s.Revoke(byHelper)
	introspect(t, s, byHelper).wantInactive(t)

	// RFC 7009 revocation by a resource server shows at once, too.
	a := post(t, s, s.RevocationURL(), url.Values{"token": {byEndpoint}})
	if a.status != http.StatusOK {
		t.Fatalf("POST /revoke: %d %s; want 200", a.status, a.body)
	}
	introspect(t, s, byEndpoint).wantInactive(t)
}

func testScriptedFault(t *testing.T, start Start) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{Scope: "orders:read", ExpiresIn: time.Hour})
	s.Script(tok,
		mockserver.Step{When: mockserver.OnCall(1), Respond: &mockserver.Fault{Status: http.StatusServiceUnavailable, RetryAfter: 2 * time.Second}},
		mockserver.Step{When: mockserver.AfterCalls(2), State: "revoked"},
	)
	a := introspect(t, s, tok)
	a.wantError(t, http.StatusServiceUnavailable, "temporarily_unavailable")
	if got := a.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q; want \"2\"", got)
	}
	if !introspect(t, s, tok).active(t) {
		t.Error("call 2: inactive; want recovery to active")
	}
	introspect(t, s, tok).wantInactive(t) // call 3: revoked by the script
}

func testFailNext(t *testing.T, start Start) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	s.FailNext(2, mockserver.Fault{Status: http.StatusInternalServerError})
	introspect(t, s, tok).wantError(t, http.StatusInternalServerError, "server_error")
	introspect(t, s, "suite-any-token").wantError(t, http.StatusInternalServerError, "server_error")
	if !introspect(t, s, tok).active(t) {
		t.Error("third call: inactive; want recovery")
	}
}

// testFailNextAtRevoke injects a 503 at /revoke: the revocation answers
// 503 with Retry-After and revokes nothing (docs/conformance.md RV-7), introspection is
// not faulted, the journal names the fault, and the next revocation works.
func testFailNextAtRevoke(t *testing.T, start Start) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	s.FailNextAt(mockserver.EndpointRevoke, 1, mockserver.Fault{Status: http.StatusServiceUnavailable, RetryAfter: 3 * time.Second})

	if !introspect(t, s, tok).active(t) {
		t.Fatal("introspection under a revoke fault: inactive; want active, unfaulted")
	}
	a := post(t, s, s.RevocationURL(), url.Values{"token": {tok}})
	a.wantError(t, http.StatusServiceUnavailable, "temporarily_unavailable")
	if got := a.header.Get("Retry-After"); got != "3" {
		t.Errorf("Retry-After = %q; want \"3\"", got)
	}
	if !introspect(t, s, tok).active(t) {
		t.Error("after the faulted revocation: inactive; want the token still active (RV-7)")
	}
	var revokes []mockserver.Call
	for _, c := range s.Calls() {
		if c.Endpoint == mockserver.EndpointRevoke {
			revokes = append(revokes, c)
		}
	}
	if len(revokes) != 1 || revokes[0].Status != http.StatusServiceUnavailable || revokes[0].Fault != "status 503" {
		t.Errorf("journal revocations %v; want one, 503 with fault \"status 503\"", revokes)
	}

	if a := post(t, s, s.RevocationURL(), url.Values{"token": {tok}}); a.status != http.StatusOK || len(a.body) != 0 {
		t.Fatalf("next revocation: %d %s; want 200 with an empty body", a.status, a.body)
	}
	introspect(t, s, tok).wantInactive(t)
}

func testJournal(t *testing.T, start Start) {
	s := start(t)
	s.Clock().Freeze()
	s.Clock().Set(t0)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	other, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	s.Revoke(other)
	introspect(t, s, tok)
	introspect(t, s, tok)
	introspect(t, s, other)

	s.AssertIntrospected(t, tok, 2)
	s.AssertIntrospected(t, other, 1)
	s.AssertNotIntrospectedAfter(t, tok, t0)
	calls := s.Calls()
	if len(calls) != 3 {
		t.Fatalf("journal holds %d calls; want 3 (admin calls are not journaled):\n%v", len(calls), calls)
	}
	for i, want := range []struct {
		token  string
		active bool
	}{{tok, true}, {tok, true}, {other, false}} {
		c := calls[i]
		if c.Endpoint != "introspect" || c.Token.Raw() != want.token || c.Active != want.active ||
			c.Status != http.StatusOK || c.ClientID != s.ClientID() || c.AuthMethod != "basic" || !c.Time.Equal(t0) {
			t.Errorf("call %d = %v at %v (client %q, %s); want introspect of token %d, active %v, 200, client %q, basic, at %v",
				i, c, c.Time, c.ClientID, c.AuthMethod, i/2+1, want.active, s.ClientID(), t0)
		}
	}
	if str := fmt.Sprint(calls[0]); strings.Contains(str, tok) {
		t.Errorf("a printed Call shows the token: %s", str)
	}

	// A failing assertion says what it saw.
	r := &recorder{TB: t}
	s.AssertIntrospected(r, tok, 5)
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "= 2; want 5") {
		t.Errorf("AssertIntrospected(tok, 5) reported %q; want one error saying = 2; want 5", r.errors)
	}
	s.Clock().Advance(time.Second)
	introspect(t, s, tok)
	r = &recorder{TB: t}
	s.AssertNotIntrospectedAfter(r, tok, t0)
	if len(r.errors) != 1 {
		t.Errorf("AssertNotIntrospectedAfter after a later call reported %q; want one error", r.errors)
	}

	s.ClearCalls()
	if n := len(s.Calls()); n != 0 {
		t.Errorf("after ClearCalls the journal holds %d calls", n)
	}
}

// testIsolation starts parallel servers that all add the same token
// string, then change it, the clock and the faults each their own way:
// none may see another's tokens, clock, faults or journal.
func testIsolation(t *testing.T, start Start) {
	const n = 4
	const shared = "suite-same-token-everywhere"
	for i := range n {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			s := start(t)
			at := t0.Add(time.Duration(i) * 24 * time.Hour)
			s.Clock().Freeze()
			s.Clock().Set(at)
			tok, _ := s.AddToken(mockserver.Token{Token: shared, Sub: fmt.Sprint("user-", i), ExpiresIn: time.Hour})
			if i%2 == 1 {
				s.Revoke(tok)
			}
			if i == 2 {
				s.FailNext(100, mockserver.Fault{Status: http.StatusServiceUnavailable})
			}
			// Give the other servers time to make their changes.
			for range 5 {
				time.Sleep(20 * time.Millisecond)
				a := introspect(t, s, tok)
				switch {
				case i == 2:
					a.wantError(t, http.StatusServiceUnavailable, "temporarily_unavailable")
				case i%2 == 1:
					a.wantInactive(t)
				default:
					if got := a.members(t)["sub"]; got != fmt.Sprint("user-", i) {
						t.Errorf("sub = %v; want user-%d (another server's token?)", got, i)
					}
				}
			}
			if now := s.Clock().Now(); !now.Equal(at) {
				t.Errorf("clock = %v; want %v (moved by another server?)", now, at)
			}
			s.AssertIntrospected(t, tok, 5)
			for _, c := range s.Calls() {
				if !c.Time.Equal(at) {
					t.Errorf("journal holds a call at %v; want only calls at %v", c.Time, at)
				}
			}
		})
	}
}

// answer is a server's answer to one request.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// introspect asks s about token as its default caller, with HTTP Basic.
func introspect(t testing.TB, s *testkit.Server, token string) answer {
	t.Helper()
	return post(t, s, s.IntrospectionURL(), url.Values{"token": {token}})
}

// post sends form to u as s's default caller, with HTTP Basic, and the
// header lines kv (name, value, …).
func post(t testing.TB, s *testkit.Server, u string, form url.Values, kv ...string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(s.ClientID()), url.QueryEscape(s.ClientSecret()))
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: read body: %v", u, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}
}

// members decodes a 200 JSON answer.
func (a answer) members(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if a.status != http.StatusOK {
		t.Fatalf("status %d %s; want 200", a.status, a.body)
	}
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("body %s: %v", a.body, err)
	}
	return m
}

// active reports the answer's active member, which must be a JSON boolean.
func (a answer) active(t testing.TB) bool {
	t.Helper()
	v, ok := a.members(t)["active"].(bool)
	if !ok {
		t.Fatalf("body %s: active is not a JSON boolean", a.body)
	}
	return v
}

// wantInactive checks the exact inactive answer (docs/conformance.md IR-7).
func (a answer) wantInactive(t testing.TB) {
	t.Helper()
	if a.status != http.StatusOK || string(a.body) != `{"active":false}` {
		t.Errorf("status %d, body %s; want 200 {\"active\":false}", a.status, a.body)
	}
}

// wantError checks an OAuth error answer (docs/conformance.md ER-1).
func (a answer) wantError(t testing.TB, status int, code string) {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if a.status != status || json.Unmarshal(a.body, &e) != nil || e.Error != code {
		t.Errorf("status %d, body %s; want %d with error %q", a.status, a.body, status, code)
	}
}

// recorder is a testing.TB that records Errorf and Fatalf instead of
// failing, to check the messages of failing assertions and helpers.
type recorder struct {
	testing.TB
	errors []string
	fatals []string
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// testCallFilters checks Calls' filters against a journal of known calls.
func testCallFilters(t *testing.T, start Start) {
	s := start(t)
	s.Clock().Freeze()
	s.Clock().Set(t0)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	other, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	introspect(t, s, tok)
	introspect(t, s, other)
	s.Clock().Advance(time.Minute)
	introspect(t, s, tok)
	post(t, s, s.RevocationURL(), url.Values{"token": {tok}})

	count := func(f ...testkit.CallFilter) int { return len(s.Calls(f...)) }
	for _, tt := range []struct {
		name   string
		filter []testkit.CallFilter
		want   int
	}{
		{"none", nil, 4},
		{"endpoint", []testkit.CallFilter{{Endpoint: mockserver.EndpointIntrospect}}, 3},
		{"token", []testkit.CallFilter{{Token: tok}}, 3},
		{"endpoint and token", []testkit.CallFilter{{Endpoint: mockserver.EndpointIntrospect, Token: tok}}, 2},
		{"since", []testkit.CallFilter{{Since: t0.Add(time.Minute)}}, 2},
		{"since, endpoint and token", []testkit.CallFilter{{Endpoint: mockserver.EndpointIntrospect, Token: tok, Since: t0.Add(time.Minute)}}, 1},
		{"either of two", []testkit.CallFilter{{Token: other}, {Endpoint: mockserver.EndpointRevoke}}, 2},
		{"nothing matches", []testkit.CallFilter{{Endpoint: mockserver.EndpointToken}}, 0},
	} {
		if got := count(tt.filter...); got != tt.want {
			t.Errorf("Calls(%s) holds %d calls; want %d", tt.name, got, tt.want)
		}
	}
	for _, c := range s.Calls(testkit.CallFilter{Token: other}) {
		if c.Token.Raw() != other {
			t.Errorf("Calls(token) returned a call of another token: %v", c)
		}
	}
	// A misspelt endpoint fails the test rather than matching nothing.
	r := &recorder{TB: t}
	if calls := s.With(r).Calls(testkit.CallFilter{Endpoint: "introspection"}); len(calls) != 0 ||
		len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "unknown endpoint 'introspection'") {
		t.Errorf("Calls(endpoint introspection): %d calls, failures %q; want one naming the unknown endpoint", len(calls), r.fatals)
	}
}

// testJournalOnlyTestCalls: the requests testkit makes on its own (Issuer
// on a remote server reads the discovery document) stay out of Calls,
// while the same request made by the test is in it.
func testJournalOnlyTestCalls(t *testing.T, start Start) {
	s := start(t)
	s.Clock().Freeze()
	s.Clock().Set(t0)
	if s.Issuer() == "" {
		t.Fatal("no issuer")
	}
	if calls := s.Calls(); len(calls) != 0 {
		t.Fatalf("after Issuer the journal holds %v; want nothing: testkit's own requests are not the test's", calls)
	}
	// The test's own discovery GET, at the same instant: it shows, once.
	resp, err := s.Client().Get(s.URL() + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.Issuer() // read once: no request
	if calls := s.Calls(testkit.CallFilter{Endpoint: mockserver.EndpointDiscovery}); len(calls) != 1 {
		t.Errorf("after the test's own discovery GET the journal holds %v; want that one call", calls)
	}
	s.ClearCalls()
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	introspect(t, s, tok)
	if calls := s.Calls(); len(calls) != 1 || calls[0].Endpoint != mockserver.EndpointIntrospect {
		t.Errorf("after ClearCalls and one introspection the journal holds %v; want that introspection", calls)
	}
}

// testCallerHelpers: Introspect and RevokeAsCaller call the endpoints as
// the resource server does and decode the answer.
func testCallerHelpers(t *testing.T, start Start) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{Scope: "orders:read", Sub: "alice", ExpiresIn: time.Hour, Claims: map[string]any{"tenant": "acme"}})
	in := s.Introspect(tok)
	if in.Status != http.StatusOK || !in.Active || in.Scope() != "orders:read" || in.Sub() != "alice" ||
		in.Members["tenant"] != "acme" || in.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Introspect(active token) = %+v (body %s)", in, in.Body)
	}
	if in := s.Introspect("suite-unknown-token"); in.Status != http.StatusOK || in.Active || string(in.Body) != `{"active":false}` {
		t.Errorf("Introspect(unknown token) = %+v (body %s); want inactive", in, in.Body)
	}
	s.FailNext(1, mockserver.Fault{Status: http.StatusServiceUnavailable})
	if in := s.Introspect(tok); in.Status != http.StatusServiceUnavailable || in.Active || in.Members["error"] != "temporarily_unavailable" {
		t.Errorf("Introspect under a 503 fault = %+v (body %s)", in, in.Body)
	}
	s.FailNext(1, mockserver.Fault{Malformed: mockserver.MalformedStringActive})
	if in := s.Introspect(tok); in.Status != http.StatusOK || in.Active {
		t.Errorf("Introspect of a string active = %+v (body %s); want not active", in, in.Body)
	}

	if rv := s.RevokeAsCaller(tok); rv.Status != http.StatusOK || rv.Error != "" {
		t.Errorf("RevokeAsCaller = %+v (body %s); want 200", rv, rv.Body)
	}
	if in := s.Introspect(tok); in.Active {
		t.Error("after RevokeAsCaller the token is active")
	}
	s.FailNextAt(mockserver.EndpointRevoke, 1, mockserver.Fault{Status: http.StatusServiceUnavailable})
	if rv := s.RevokeAsCaller(tok); rv.Status != http.StatusServiceUnavailable || rv.Error != "temporarily_unavailable" {
		t.Errorf("RevokeAsCaller under a fault = %+v (body %s)", rv, rv.Body)
	}
	// They are real calls: the journal holds them.
	s.AssertIntrospected(t, tok, 4)
	if n := len(s.Calls(testkit.CallFilter{Endpoint: mockserver.EndpointRevoke})); n != 2 {
		t.Errorf("journal holds %d revocations; want 2", n)
	}
}

// testSharedWith: subtests of one test share its server, each through a
// view bound to itself.
func testSharedWith(t *testing.T, start Start) {
	s := start(t)
	for i := range 3 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			s := s.With(t)
			tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
			if !s.Introspect(tok).Active {
				t.Fatal("fresh token inactive")
			}
			s.Revoke(tok)
			if s.Introspect(tok).Active {
				t.Error("revoked token active")
			}
			s.AssertIntrospected(t, tok, 2)
		})
	}
}

// testStepNeedsTrigger: a step without a trigger is an error that says
// so, and leaves the token as it was, instead of matching every call;
// Always() is the explicit trigger for that.
func testStepNeedsTrigger(t *testing.T, start Start) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	err := s.With(nil).Script(tok, mockserver.Step{State: mockserver.StateRevoked})
	if err == nil || !strings.Contains(err.Error(), "trigger") {
		t.Fatalf("Script with a step without a trigger: %v; want an error naming the missing trigger", err)
	}
	if !s.Introspect(tok).Active {
		t.Error("the refused script changed the token")
	}
	r := &recorder{TB: t}
	s.With(r).Script(tok, mockserver.Step{Respond: &mockserver.Fault{Status: http.StatusServiceUnavailable}})
	if len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "trigger") {
		t.Errorf("through a view bound to a test, the failure reported %q; want one naming the trigger", r.fatals)
	}
	s.Script(tok, mockserver.Step{When: mockserver.Always(), State: mockserver.StateRevoked})
	if s.Introspect(tok).Active || s.Introspect(tok).Active {
		t.Error("a step with the Always trigger did not apply to every call")
	}
}

// Patterns checks token patterns through s, a server seeded with
// testkit/testdata/patterns.yaml: distinct tokens of a pattern answer
// their own members, the exact token wins, and revoking one token of a
// pattern, directly or at the revocation endpoint, changes that one only.
func Patterns(t *testing.T, s *testkit.Server) {
	t.Helper()
	for _, n := range []string{"1", "42", "999999999"} {
		in := s.Introspect("load-" + n)
		if !in.Active || in.Sub() != "user-"+n || in.Members["username"] != "user"+n || in.Members["shard"] != "shard-"+n ||
			in.Scope() != "read" || in.Members["client_id"] != "load-client" {
			t.Errorf("load-%s: %d %s", n, in.Status, in.Body)
		}
	}
	if in := s.Introspect("load-0"); in.Sub() != "the-exact-one" {
		t.Errorf("the exact token load-0: %s", in.Body)
	}
	if in := s.Introspect("svc-orders"); !in.Active || in.Scope() != "svc:orders" {
		t.Errorf("svc-orders: %s", in.Body)
	}
	for _, tok := range []string{"load-", "load-1234567890", "svc-Orders"} {
		if in := s.Introspect(tok); in.Active {
			t.Errorf("%s matches no pattern but answers %s", tok, in.Body)
		}
	}
	s.Revoke("load-2")
	if rv := s.RevokeAsCaller("load-3"); rv.Status != http.StatusOK {
		t.Fatalf("RevokeAsCaller(load-3): %d %s", rv.Status, rv.Body)
	}
	for tok, want := range map[string]bool{"load-2": false, "load-3": false, "load-4": true, "load-20": true} {
		if got := s.Introspect(tok).Active; got != want {
			t.Errorf("%s active = %v after revoking load-2 and load-3; want %v", tok, got, want)
		}
	}
	s.Reset()
	if !s.Introspect("load-2").Active {
		t.Error("load-2 inactive after Reset")
	}
}
