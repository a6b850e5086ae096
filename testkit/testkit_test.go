package testkit_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit"
)

func TestStartClosesOnCleanup(t *testing.T) {
	t.Parallel()
	var s *testkit.Server
	t.Run("user", func(t *testing.T) {
		s = testkit.Start(t)
		if !introspect(t, s, "none").wantInactiveOK(t) {
			t.Fatal("server not answering")
		}
	})
	if a := introspect(t, s, "none"); a.err == nil {
		t.Errorf("after the test's cleanup the server still answers %d", a.status)
	}
	if err := s.Close(); err != nil { // idempotent after cleanup
		t.Errorf("Close after cleanup: %v", err)
	}
}

// wantInactiveOK reports whether the answer is a well-formed inactive one.
func (a answer) wantInactiveOK(t testing.TB) bool {
	t.Helper()
	return a.err == nil && a.status == http.StatusOK && strings.TrimSpace(string(a.body)) == `{"active":false}`
}

func TestNewClose(t *testing.T) {
	t.Parallel()
	s, err := testkit.New()
	if err != nil {
		t.Fatal(err)
	}
	if !introspect(t, s, "none").wantInactiveOK(t) {
		t.Fatal("server not answering")
	}
	for i := range 2 {
		if err := s.Close(); err != nil {
			t.Errorf("Close #%d: %v", i+1, err)
		}
	}
	if a := introspect(t, s, "none"); a.err == nil {
		t.Errorf("closed server answers %d", a.status)
	}
	var nilServer *testkit.Server
	if err := nilServer.Close(); err != nil {
		t.Errorf("nil Close: %v", err)
	}
}

// Close must not wait out a scripted delay: it cuts the connection.
func TestCloseCutsDelayedCall(t *testing.T) {
	t.Parallel()
	s, err := testkit.New()
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	s.FailNext(1, mockserver.Fault{Delay: 10 * time.Minute}) // the longest delay allowed
	got := make(chan answer, 1)
	go func() { got <- introspect(t, s, tok) }()
	time.Sleep(50 * time.Millisecond) // let the call reach the delay (the test holds either way)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(10 * time.Second): // well under the client's own 30s timeout
		t.Fatal("Close is waiting out a ten-minute delay")
	}
	if a := <-got; a.err == nil {
		t.Errorf("delayed call answered %d after Close; want a cut connection", a.status)
	}
}

func TestStartFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give []testkit.Option
		want []string // in the failure message
	}{
		{"fixture error names file, line and field",
			[]testkit.Option{testkit.WithFixtureYAML("tokens:\n  - token: x\n    exp: 1 hour\n")},
			[]string{"inline.yaml:3:", "tokens[0].exp"}},
		{"second inline document",
			[]testkit.Option{testkit.WithFixtureYAML("tokens:\n  - token: a\n"), testkit.WithFixtureYAML("tokens:\n  - token: a\n")},
			[]string{"inline.yaml", "inline-2.yaml"}},
		{"missing fixture file",
			[]testkit.Option{testkit.WithFixtures("testdata/no-such-file.yaml")},
			[]string{"no-such-file.yaml"}},
		{"zero clock", []testkit.Option{testkit.WithClock(time.Time{})}, []string{"WithClock"}},
		{"journal size", []testkit.Option{testkit.WithJournalSize(0)}, []string{"WithJournalSize"}},
		{"default caller without secret",
			[]testkit.Option{testkit.WithFixtureYAML("clients:\n  - client_id: testkit-rs\n")},
			[]string{"testkit-rs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRecorder(t)
			msg := r.do(func() { testkit.Start(r, tt.give...) })
			if msg == "" {
				t.Fatal("Start succeeded; want a failure")
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("failure %q does not mention %q", msg, w)
				}
			}
			if _, err := testkit.New(tt.give...); err == nil {
				t.Error("New succeeded; want an error")
			}
		})
	}
}

func TestWithFixtureYAML(t *testing.T) {
	t.Parallel()
	s := testkit.Start(t,
		testkit.WithFixtureYAML("tokens:\n  - token: inline-one\n    exp: +1h\n"),
		testkit.WithFixtureYAML("tokens:\n  - token: inline-two\n    revoked: true\n"),
		testkit.WithFixtures("testdata/tokens.yaml"))
	for tok, want := range map[string]bool{"inline-one": true, "inline-two": false, "fixture-active": true} {
		if got := introspect(t, s, tok).active(t); got != want {
			t.Errorf("%s active = %v; want %v", tok, got, want)
		}
	}
}

func TestWithTLS(t *testing.T) {
	t.Parallel()
	s := testkit.Start(t, testkit.WithTLS(), testkit.WithFixtures("testdata/tokens.yaml"))
	if !strings.HasPrefix(s.URL(), "https://") || !strings.HasPrefix(s.IntrospectionURL(), "https://") {
		t.Fatalf("URL %q: want https", s.URL())
	}
	if !introspect(t, s, "fixture-active").active(t) {
		t.Error("Client() over TLS: inactive")
	}
	untrusting := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	defer untrusting.CloseIdleConnections()
	if a := introspectWith(t, s, untrusting, "fixture-active"); a.err == nil {
		t.Error("a client without the test certificate connected; want a TLS error")
	}
	if s.Issuer() != s.URL() {
		t.Errorf("Issuer() = %q; want %q", s.Issuer(), s.URL())
	}
}

func TestWithClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	s := testkit.Start(t, testkit.WithClock(start), testkit.WithFixtures("testdata/tokens.yaml"))
	if got := s.Clock().Now(); !got.Equal(start) || !s.Clock().Frozen() {
		t.Fatalf("clock = %v (frozen %v); want frozen at %v", got, s.Clock().Frozen(), start)
	}
	m := introspect(t, s, "fixture-active").members(t)
	if m["exp"] != float64(start.Add(time.Hour).Unix()) {
		t.Errorf("fixture exp +1h = %v; want %d (start + 1h)", m["exp"], start.Add(time.Hour).Unix())
	}
	time.Sleep(5 * time.Millisecond)
	if got := s.Clock().Now(); !got.Equal(start) {
		t.Errorf("frozen clock moved to %v", got)
	}
	s.Clock().Resume()
	if got := s.Clock().Now(); got.Before(start) || got.After(start.Add(time.Minute)) {
		t.Errorf("resumed clock = %v; want running on from %v", got, start)
	}
}

func TestWithIssuer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give []testkit.Option
		want string
	}{
		{"option", []testkit.Option{testkit.WithIssuer("https://auth.example.test")}, "https://auth.example.test"},
		{"fixtures", []testkit.Option{testkit.WithFixtureYAML("issuer: https://fixture.example.test\n")}, "https://fixture.example.test"},
		{"option over fixtures", []testkit.Option{
			testkit.WithFixtureYAML("issuer: https://fixture.example.test\n"),
			testkit.WithIssuer("https://auth.example.test/tenant"),
		}, "https://auth.example.test/tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := testkit.Start(t, tt.give...)
			if got := s.Issuer(); got != tt.want {
				t.Errorf("Issuer() = %q; want %q", got, tt.want)
			}
			tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
			if got := introspect(t, s, tok).members(t)["iss"]; got != tt.want {
				t.Errorf("default iss = %v; want %q", got, tt.want)
			}
		})
	}
}

func TestWithAllowAnonymous(t *testing.T) {
	t.Parallel()
	form := url.Values{"token": {"fixture-active"}}
	strict := testkit.Start(t, testkit.WithFixtures("testdata/tokens.yaml"))
	postForm(t, strict.Client(), strict.IntrospectionURL(), "", "", form).oauthError(t, http.StatusUnauthorized, "invalid_client")

	lax := testkit.Start(t, testkit.WithFixtures("testdata/tokens.yaml"), testkit.WithAllowAnonymous())
	if !postForm(t, lax.Client(), lax.IntrospectionURL(), "", "", form).active(t) {
		t.Error("anonymous introspection with WithAllowAnonymous: inactive")
	}
}

func TestWithJournalSize(t *testing.T) {
	t.Parallel()
	s := testkit.Start(t, testkit.WithJournalSize(3))
	for i := range 5 {
		introspect(t, s, fmt.Sprintf("token-%d", i))
	}
	var got []string
	for _, c := range s.Calls() {
		got = append(got, c.Token.Raw())
	}
	if want := "token-2 token-3 token-4"; strings.Join(got, " ") != want {
		t.Errorf("journal of 3 after 5 calls = %v; want the last three (%s)", got, want)
	}
}

func TestDefaultCaller(t *testing.T) {
	t.Parallel()
	// Fixtures with clients of their own still get the default caller.
	a := testkit.Start(t, testkit.WithFixtures("testdata/tokens.yaml"))
	b := testkit.Start(t, testkit.WithFixtures("testdata/tokens.yaml"))
	if a.ClientID() != testkit.DefaultClientID || a.ClientSecret() == b.ClientSecret() {
		t.Errorf("callers %q/%q: want %q with a secret per server", a.ClientID(), b.ClientID(), testkit.DefaultClientID)
	}
	if !introspect(t, a, "fixture-active").active(t) {
		t.Error("default caller refused")
	}
	if a := postForm(t, a.Client(), a.IntrospectionURL(), a.ClientID(), b.ClientSecret(), url.Values{"token": {"x"}}); a.status != http.StatusUnauthorized {
		t.Errorf("another server's secret: status %d; want 401", a.status)
	}
	// Fixtures that declare the default caller keep their secret.
	c := testkit.Start(t, testkit.WithFixtureYAML("clients:\n  - client_id: testkit-rs\n    client_secret: from-fixture\n"))
	if c.ClientSecret() != "from-fixture" {
		t.Errorf("ClientSecret() = %q; want the fixture's", c.ClientSecret())
	}
	if !introspect(t, c, "x").wantInactiveOK(t) {
		t.Error("fixture-declared default caller refused")
	}
}

func TestStub(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s := testkit.Start(t, testkit.WithClock(start), testkit.WithFixtures("testdata/tokens.yaml"))
	var mu sync.Mutex
	var seen []mockserver.StubRequest
	s.Stub(func(r mockserver.StubRequest) (mockserver.Answer, bool) {
		mu.Lock()
		seen = append(seen, r)
		mu.Unlock()
		switch {
		case strings.HasPrefix(r.Token, "user-"):
			return mockserver.Answer{Active: true, Token: mockserver.Token{
				Sub: strings.TrimPrefix(r.Token, "user-"), Scope: "orders:read", ExpiresAt: r.Now.Add(time.Minute),
			}}, true
		case r.Token == "broken":
			return mockserver.Answer{Fault: &mockserver.Fault{Status: http.StatusServiceUnavailable, RetryAfter: time.Second}}, true
		case r.Token == "denied":
			return mockserver.Answer{Active: false}, true
		}
		return mockserver.Answer{}, false // the store decides
	})
	m := introspect(t, s, "user-carol").members(t)
	if m["active"] != true || m["sub"] != "carol" || m["exp"] != float64(start.Add(time.Minute).Unix()) {
		t.Errorf("stubbed answer = %v; want active, sub carol, exp start+1m", m)
	}
	introspect(t, s, "broken").oauthError(t, http.StatusServiceUnavailable, "temporarily_unavailable")
	introspect(t, s, "denied").wantInactive(t)
	if !introspect(t, s, "fixture-active").active(t) {
		t.Error("fall-through to the store: inactive")
	}
	mu.Lock()
	first := seen[0]
	mu.Unlock()
	if first.Token != "user-carol" || first.ClientID != s.ClientID() || first.AuthMethod != "basic" || !first.Now.Equal(start) {
		t.Errorf("stub saw %+v; want token, caller, basic and the server clock", first)
	}
	s.Stub(nil)
	introspect(t, s, "user-carol").wantInactive(t)
}

// A Server from New has no testing.TB: its mutators return errors,
// naming the call, matched with errors.Is; nothing panics.
func TestNewHelpersReturnErrors(t *testing.T) {
	t.Parallel()
	s, err := testkit.New()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, err := range map[string]error{
		"Revoke": s.Revoke("no-such-token"),
		"Expire": s.Expire("no-such-token"),
		"Remove": s.Remove("no-such-token"),
		"Script": s.Script("no-such-token", mockserver.Step{When: mockserver.Always(), State: mockserver.StateRevoked}),
	} {
		if !errors.Is(err, mockserver.ErrNotFound) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s of an unknown token = %v; want ErrNotFound, naming %s", name, err, name)
		}
	}
	tok, err := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddToken(mockserver.Token{Token: tok}); !errors.Is(err, mockserver.ErrExists) {
		t.Errorf("AddToken of a token twice = %v; want ErrExists", err)
	}
	for name, err := range map[string]error{
		"FailNextAt":  s.FailNextAt(mockserver.EndpointJWKS, 1, mockserver.Fault{Status: 500}),
		"FailNext":    s.FailNext(1, mockserver.Fault{Drop: true, Status: 500}),
		"Script":      s.Script(tok, mockserver.Step{State: mockserver.StateRevoked}),
		"Clock().Set": s.Clock().Set(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)),
	} {
		if err == nil {
			t.Errorf("%s of bad input: no error", name)
		}
	}
}

// Many parallel tests, each with its own server and clock, under -race.
func TestManyParallelServers(t *testing.T) {
	t.Parallel()
	for i := range 24 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
			s := testkit.Start(t, testkit.WithClock(start))
			tok, _ := s.AddToken(mockserver.Token{Token: fmt.Sprintf("shared-name-%d", i%3), ExpiresIn: time.Duration(i+1) * time.Minute})
			if !introspect(t, s, tok).active(t) {
				t.Fatal("inactive")
			}
			s.Clock().Advance(time.Duration(i+1) * time.Minute)
			introspect(t, s, tok).wantInactive(t)
			if got := s.Clock().Now(); !got.Equal(start.Add(time.Duration(i+1) * time.Minute)) {
				t.Errorf("clock = %v; another server moved it?", got)
			}
			s.AssertIntrospected(t, tok, 2)
		})
	}
}

// Control calls and introspections at once, on one server, under -race.
func TestConcurrentControl(t *testing.T) {
	t.Parallel()
	s := testkit.Start(t, testkit.WithFixtures("testdata/tokens.yaml"))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
			for range 5 {
				introspect(t, s, tok)
				introspect(t, s, "fixture-active")
				s.Calls()
				s.Clock().Now()
			}
			if i%2 == 0 {
				s.Revoke(tok)
			}
			s.Script(tok, mockserver.Step{When: mockserver.OnCall(1), State: "revoked"})
		})
	}
	wg.Wait()
	if n := len(s.Calls()); n != 80 {
		t.Errorf("journal has %d calls; want 80", n)
	}
}
