package mockserver_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// TestVirtualClock drives a clock over a base the test sets.
func TestVirtualClock(t *testing.T) {
	t.Parallel()
	base := newClock()
	c := mockserver.NewVirtualClock(base)
	check := func(step string, want time.Time, frozen bool) {
		t.Helper()
		if got := c.Now(); !got.Equal(want) {
			t.Errorf("%s: Now = %v; want %v", step, got, want)
		}
		if c.Frozen() != frozen {
			t.Errorf("%s: Frozen = %t; want %t", step, c.Frozen(), frozen)
		}
	}
	check("TL-1/follows the base", t0, false)
	base.Set(t0.Add(time.Minute))
	check("running", t0.Add(time.Minute), false)
	c.Advance(time.Hour)
	check("advanced while running", t0.Add(time.Hour+time.Minute), false)
	base.Set(t0.Add(2 * time.Minute))
	check("offset kept", t0.Add(time.Hour+2*time.Minute), false)
	c.Freeze()
	base.Set(t0.Add(time.Hour))
	check("frozen", t0.Add(time.Hour+2*time.Minute), true)
	c.Freeze()
	check("frozen twice", t0.Add(time.Hour+2*time.Minute), true)
	c.Advance(-time.Hour)
	check("moved back while frozen", t0.Add(2*time.Minute), true)
	at := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	c.Set(at)
	check("set while frozen", at, true)
	c.Resume()
	check("resumed", at, false)
	base.Set(t0.Add(time.Hour + time.Second))
	check("runs on from where it stood", at.Add(time.Second), false)
	c.Set(at)
	base.Set(t0.Add(time.Hour + 3*time.Second))
	check("set while running", at.Add(2*time.Second), false)

	var zero mockserver.VirtualClock
	if d := time.Since(zero.Now()); d < 0 || d > time.Minute {
		t.Errorf("zero VirtualClock is %v off real time", d)
	}
}

// nsServer serves testSet with a clock frozen at t0 and returns the
// default namespace too.
func nsServer(t *testing.T, opts ...mockserver.Option) (*testServer, *mockserver.Namespace) {
	t.Helper()
	opts = append([]mockserver.Option{mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()),
		mockserver.WithIssuer("https://auth.example.test")}, opts...)
	ts, srv := start(t, opts...)
	ns := srv.Default()
	ns.Clock().Freeze()
	return &testServer{t: t, URL: ts.URL, srv: srv, do: func(r req) resp { return do(t, ts, r) }}, ns
}

// testServer bundles what the state tests use.
type testServer struct {
	t   *testing.T
	URL string
	srv *mockserver.Server
	do  func(req) resp
}

// ask introspects tok as the rs client under prefix ("" or "/ns/x").
func (s *testServer) ask(prefix, tok string) resp {
	s.t.Helper()
	return s.do(req{path: prefix + "/introspect", header: hdr("Authorization", basic(rsID, rsSecret)), body: form("token", tok)})
}

// TestAddToken checks tokens added from code: every member rendered,
// random strings, relative expiry and the errors.
func TestAddToken(t *testing.T) {
	t.Parallel()
	s, ns := nsServer(t)
	tok, err := ns.AddToken(mockserver.Token{
		Token: "code-token", Scope: " orders:read  orders:write ", ClientID: "web", Username: "bob", Sub: "u-1",
		Aud: []string{"api"}, TokenType: "N_A", Jti: "j-1", ExpiresIn: time.Hour,
		NotBefore: t0.Add(-time.Minute), Claims: map[string]any{"tenant": "acme"},
	})
	if err != nil || tok != "code-token" {
		t.Fatalf("AddToken = %q, %v", tok, err)
	}
	want := `{"active":true,"scope":"orders:read orders:write","client_id":"web","username":"bob","token_type":"N_A",` +
		`"exp":` + itoa(t0.Add(time.Hour).Unix()) + `,"iat":` + itoa(t0.Unix()) + `,"nbf":` + itoa(t0.Add(-time.Minute).Unix()) +
		`,"sub":"u-1","aud":"api","iss":"https://auth.example.test","jti":"j-1","tenant":"acme"}`
	if got := s.ask("", tok); got.body != want {
		t.Errorf("IR-4/answer\n got %s\nwant %s", got.body, want)
	}

	list, err := ns.AddToken(mockserver.Token{Aud: []string{"a"}, AudList: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 43 || strings.ContainsAny(list, "+/=") {
		t.Errorf("random token %q: want 43 base64url characters", list)
	}
	if got := s.ask("", list); !strings.Contains(got.body, `"aud":["a"]`) {
		t.Errorf("IR-5/AudList: %s", got.body)
	}
	other, _ := ns.AddToken(mockserver.Token{})
	if other == list {
		t.Errorf("two random tokens are both %q", list)
	}
	if got := s.ask("", other); got.body != `{"active":true,"token_type":"Bearer","exp":`+itoa(t0.Add(time.Hour).Unix())+`,"iss":"https://auth.example.test"}` {
		t.Errorf("TL-3/default exp: %s", got.body)
	}
	never, _ := ns.AddToken(mockserver.Token{ExpiresIn: -1, NotBefore: t0.Add(-time.Second)})
	if got := s.ask("", never); got.body != `{"active":true,"token_type":"Bearer","nbf":`+itoa(t0.Add(-time.Second).Unix())+`,"iss":"https://auth.example.test"}` {
		t.Errorf("negative ExpiresIn: %s; want no exp", got.body)
	}

	ns.Clock().Advance(time.Hour)
	if got := s.ask("", tok); got.body != inactive {
		t.Errorf("TL-2/ExpiresIn: at exp: %s", got.body)
	}

	tests := []struct {
		name string
		give mockserver.Token
		want string
	}{
		{"duplicate", mockserver.Token{Token: "active-token"}, "already exists"},
		{"IR-8/shadowing claim", mockserver.Token{Claims: map[string]any{"sub": "x"}}, `claim "sub" shadows`},
		{"TL-4/exp before iat", mockserver.Token{IssuedAt: t0, ExpiresAt: t0.Add(-time.Second)}, "exp"},
		{"TL-4/nbf after exp", mockserver.Token{NotBefore: t0, ExpiresAt: t0}, "nbf"},
		{"bad scope", mockserver.Token{Scope: `a "b"`}, "scope"},
		{"white space", mockserver.Token{Token: " x"}, "white space"},
		{"bad step", mockserver.Token{Script: []mockserver.Step{{When: mockserver.OnCall(1)}}}, "script[0]: a step needs exactly one effect"},
		{"no trigger", mockserver.Token{Script: []mockserver.Step{{State: "revoked"}}}, "script[0]: a step needs a trigger"},
		{"negative after_calls", mockserver.Token{Script: []mockserver.Step{{When: mockserver.AfterCalls(-1), State: "revoked"}}}, "after_calls must be 0 or more, got -1"},
		{"bad state", mockserver.Token{Script: []mockserver.Step{{When: mockserver.Always(), State: "gone"}}}, `unknown state "gone"`},
		{"bad fault", mockserver.Token{Script: []mockserver.Step{{When: mockserver.Always(), Respond: &mockserver.Fault{Status: 200}}}}, "4xx or 5xx"},
	}
	for _, tt := range tests {
		if _, err := ns.AddToken(tt.give); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v; want it to mention %q", tt.name, err, tt.want)
		}
	}
	if _, err := ns.AddToken(mockserver.Token{Token: "active-token"}); !errors.Is(err, mockserver.ErrExists) {
		t.Errorf("duplicate: %v is not ErrExists", err)
	}
}

// TestTokenState checks Revoke, Expire, Remove, Lookup and Tokens, and
// that each shows on the next introspection (docs/conformance.md TL-5).
func TestTokenState(t *testing.T) {
	t.Parallel()
	s, ns := nsServer(t)
	for _, tok := range []string{"a-token-1", "a-token-2", "a-token-3"} {
		if _, err := ns.AddToken(mockserver.Token{Token: tok, ExpiresIn: time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	if ns.Revoke("a-token-1") != nil || ns.Expire("a-token-2") != nil || ns.Remove("a-token-3") != nil {
		t.Fatal("Revoke, Expire or Remove of a known token failed")
	}
	for name, err := range map[string]error{
		"Revoke": ns.Revoke("nope"), "Expire": ns.Expire("nope"), "Remove": ns.Remove("nope"), "Remove again": ns.Remove("a-token-3"),
	} {
		if !errors.Is(err, mockserver.ErrNotFound) {
			t.Errorf("%s of an unknown token = %v; want ErrNotFound", name, err)
		}
	}
	for _, tok := range []string{"a-token-1", "a-token-2", "a-token-3"} {
		if got := s.ask("", tok); got.body != inactive {
			t.Errorf("TL-5/%s: %s; want inactive", tok, got.body)
		}
	}
	tests := []struct {
		tok       string
		wantState string
		wantCalls int
	}{
		{"a-token-1", mockserver.StateRevoked, 1},
		{"a-token-2", mockserver.StateExpired, 1},
		{"active-token", mockserver.StateActive, 0},
		{"expired-token", mockserver.StateExpired, 0},
		{"future-token", mockserver.StateNotYetValid, 0},
		{"revoked-token", mockserver.StateRevoked, 0},
	}
	for _, tt := range tests {
		ti, err := ns.Lookup(tt.tok)
		if err != nil || ti.State != tt.wantState || ti.Calls != tt.wantCalls || ti.Token.Token != tt.tok {
			t.Errorf("Lookup(%s) = %+v, %v; want state %s, %d calls", tt.tok, ti, err, tt.wantState, tt.wantCalls)
		}
	}
	if ti, _ := ns.Lookup("a-token-2"); !ti.ExpiresAt.Equal(ns.Clock().Now()) {
		t.Errorf("Expire: ExpiresAt = %v; want the clock's now %v", ti.ExpiresAt, ns.Clock().Now())
	}
	if _, err := ns.Lookup("a-token-3"); err == nil {
		t.Error("Lookup finds a removed token")
	}
	ti, _ := ns.Lookup("active-token")
	if ti.Scope != "read write" || ti.Sub != "user-123" || ti.Claims["tenant"] != "acme" || !ti.IssuedAt.Equal(t0.Add(-5*time.Minute).Truncate(time.Second)) {
		t.Errorf("Lookup(active-token) = %+v", ti)
	}
	all := tokensOf(ns)
	if len(all) != len(testSet().Tokens)+2 {
		t.Errorf("Tokens has %d; want %d", len(all), len(testSet().Tokens)+2)
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].Token.Token >= all[i].Token.Token {
			t.Errorf("Tokens not sorted: %q before %q", all[i-1].Token.Token, all[i].Token.Token)
		}
	}
}

// TestReset checks that Reset puts back the fixtures, re-resolving
// relative times against the clock, and clears the rest but the clock.
func TestReset(t *testing.T) {
	t.Parallel()
	s, ns := nsServer(t)
	ns.AddToken(mockserver.Token{Token: "added-token"})
	ns.Revoke("active-token")
	ns.SetScript("minimal-token", []mockserver.Step{{When: mockserver.Always(), State: mockserver.StateRevoked}})
	ns.FailNext(5, mockserver.Fault{Status: 503})
	ns.SetStub(func(mockserver.StubRequest) (mockserver.Answer, bool) { return mockserver.Answer{}, true })
	ns.AddClient(fixtures.Client{ClientID: "extra", ClientSecret: "extra-secret"})
	s.ask("", "x")
	ns.Clock().Advance(2 * time.Hour) // active-token's exp (+1h) is past
	now := ns.Clock().Now()

	ns.Reset()
	if !ns.Clock().Now().Equal(now) || !ns.Clock().Frozen() {
		t.Errorf("Reset moved the clock: %v, frozen %t; want %v frozen", ns.Clock().Now(), ns.Clock().Frozen(), now)
	}
	if n := len(callsOf(ns)); n != 0 {
		t.Errorf("journal after Reset holds %d calls", n)
	}
	if _, err := ns.Lookup("added-token"); err == nil {
		t.Error("added token survives Reset")
	}
	got := s.ask("", "active-token")
	wantExp := `"exp":` + itoa(now.Add(time.Hour).Unix())
	if !strings.Contains(got.body, `"active":true`) || !strings.Contains(got.body, wantExp) {
		t.Errorf("TL-3/fixture token after Reset: %s; want active with %s", got.body, wantExp)
	}
	if got := s.ask("", "minimal-token"); !strings.Contains(got.body, `"active":true`) {
		t.Errorf("script survives Reset: %s", got.body)
	}
	if got := s.do(req{header: hdr("Authorization", basic("extra", "extra-secret")), body: "token=x"}); got.status != 401 {
		t.Errorf("client added by AddClient survives Reset: %d", got.status)
	}
}

// TestAddClient checks callers added from code.
func TestAddClient(t *testing.T) {
	t.Parallel()
	s, ns := nsServer(t)
	if err := ns.AddClient(fixtures.Client{ClientID: "new-rs", ClientSecret: "new-secret"}); err != nil {
		t.Fatal(err)
	}
	if err := ns.AddClient(fixtures.Client{Bearer: "new-bearer"}); err != nil {
		t.Fatal(err)
	}
	if got := s.do(req{header: hdr("Authorization", basic("new-rs", "new-secret")), body: "token=active-token"}); !strings.HasPrefix(got.body, `{"active":true`) {
		t.Errorf("CA-2/added client: %d %s", got.status, got.body)
	}
	if got := s.do(req{header: hdr("Authorization", "Bearer new-bearer"), body: "token=active-token"}); !strings.HasPrefix(got.body, `{"active":true`) {
		t.Errorf("CA-5/added bearer: %d %s", got.status, got.body)
	}
	for _, c := range []fixtures.Client{{ClientID: rsID, ClientSecret: "x"}, {Bearer: rsBearer}} {
		if err := ns.AddClient(c); !errors.Is(err, mockserver.ErrExists) {
			t.Errorf("AddClient(%s) = %v; want ErrExists", c.ClientID, err)
		} else if strings.Contains(err.Error(), rsBearer) {
			t.Errorf("error shows the bearer: %v", err)
		}
	}
	if err := ns.AddClient(fixtures.Client{}); err == nil {
		t.Error("AddClient of an empty client: no error")
	}
}

// TestJournalRing checks that the journal keeps the latest calls only.
func TestJournalRing(t *testing.T) {
	t.Parallel()
	s, ns := nsServer(t, mockserver.WithJournalSize(5))
	for i := range 12 {
		s.ask("", fmt.Sprintf("tok-%02d", i))
	}
	calls := callsOf(ns)
	if len(calls) != 5 {
		t.Fatalf("journal holds %d calls; want 5", len(calls))
	}
	for i, c := range calls {
		if want := fmt.Sprintf("tok-%02d", 7+i); c.Token.Raw() != want {
			t.Errorf("calls[%d].Token = %q; want %q (oldest first)", i, c.Token.Raw(), want)
		}
	}
	ns.ClearCalls()
	if n := len(callsOf(ns)); n != 0 {
		t.Errorf("after ClearCalls: %d calls", n)
	}

	s0, ns0 := nsServer(t, mockserver.WithJournalSize(0))
	s0.ask("", "x")
	if n := len(callsOf(ns0)); n != 0 {
		t.Errorf("WithJournalSize(0) keeps %d calls", n)
	}
	if _, err := mockserver.New(mockserver.WithJournalSize(-1)); err == nil {
		t.Error("WithJournalSize(-1): no error")
	}

	// A long token is journaled cut, and does not pin the request body.
	long := strings.Repeat("L", 5000)
	s.ask("", long)
	if c := callsOf(ns); len(c) != 1 || c[0].Token.Raw() != long[:4096] {
		t.Errorf("long token journaled as %d bytes; want 4096", len(c[0].Token))
	}
}
