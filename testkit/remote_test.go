package testkit_test

import (
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/internal/adminapi"
	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit"
)

// mustServer returns a mockserver of its own, seeded from the suite
// fixtures.
func mustServer(t *testing.T, opts ...mockserver.Option) *mockserver.Server {
	t.Helper()
	set, err := fixtures.Load(time.Now(), suiteFixtures)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := mockserver.New(append([]mockserver.Option{mockserver.WithFixtures(set)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// adminServer serves mustServer with the admin API behind httptest.
func adminServer(t *testing.T, opts ...mockserver.Option) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(adminapi.Handler(mustServer(t, opts...)))
	t.Cleanup(ts.Close)
	return ts
}

// connect is Connect for a test: fails it on error, closes on cleanup.
func connect(t *testing.T, base string, opts ...testkit.RemoteOption) *testkit.Server {
	t.Helper()
	s, err := testkit.Connect(base, append([]testkit.RemoteOption{testkit.WithTB(t)}, opts...)...)
	t.Cleanup(func() { s.Close() })
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return s
}

func TestConnectDefaultNamespace(t *testing.T) {
	t.Parallel()
	ts := adminServer(t)
	s := connect(t, ts.URL+"/")
	if s.URL() != ts.URL || s.IntrospectionURL() != ts.URL+"/introspect" {
		t.Errorf("URL() = %q, IntrospectionURL() = %q; want them under %q", s.URL(), s.IntrospectionURL(), ts.URL)
	}
	tok, _ := s.AddToken(mockserver.Token{Scope: "orders:read", ExpiresIn: time.Hour})
	if !introspect(t, s, tok).active(t) {
		t.Fatal("token added through the admin API: inactive")
	}
	s.Revoke(tok)
	introspect(t, s, tok).wantInactive(t)
	// Only the two introspections: testkit's admin calls are left out.
	if calls := s.Calls(); len(calls) != 2 {
		t.Errorf("journal = %v; want the 2 introspections only", calls)
	}
	if s.Issuer() != ts.URL {
		t.Errorf("Issuer() = %q; want %q", s.Issuer(), ts.URL)
	}
}

func TestConnectNamespaceIssuer(t *testing.T) {
	t.Parallel()
	ts := adminServer(t, mockserver.WithIssuer("https://auth.example.test"))
	s := connect(t, ts.URL+"/ns/orders")
	if want := "https://auth.example.test/ns/orders"; s.Issuer() != want {
		t.Errorf("Issuer() = %q; want %q", s.Issuer(), want)
	}
}

func TestConnectAdminToken(t *testing.T) {
	t.Parallel()
	ts := adminServer(t, mockserver.WithAdminToken("let-me-in"))
	for name, opts := range map[string][]testkit.RemoteOption{
		"none":  nil,
		"wrong": {testkit.WithAdminToken("wrong-token")},
	} {
		s, err := testkit.Connect(ts.URL, opts...)
		s.Close()
		if err == nil || !strings.Contains(err.Error(), "401") {
			t.Errorf("%s admin token: err %v; want a 401", name, err)
		}
	}
	s := connect(t, ts.URL, testkit.WithAdminToken("let-me-in"))
	if !introspect(t, s, "fixture-active").active(t) {
		t.Error("inactive")
	}
}

func TestConnectFailures(t *testing.T) {
	t.Parallel()
	noAdmin := httptest.NewServer(mustServer(t)) // admin off: a bare mockserver.Server
	t.Cleanup(noAdmin.Close)
	tests := []struct {
		name string
		give string
		opts []testkit.RemoteOption
		want string
	}{
		{"admin disabled", noAdmin.URL, nil, "404"},
		{"scheme", "ftp://127.0.0.1:1", nil, "http"},
		{"not a URL", "::", nil, "::"},
		{"query", noAdmin.URL + "?x=1", nil, "query"},
		{"empty credentials", noAdmin.URL, []testkit.RemoteOption{testkit.WithCredentials("id", "")}, "WithCredentials"},
		{"nil client", noAdmin.URL, []testkit.RemoteOption{testkit.WithHTTPClient(nil)}, "WithHTTPClient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var closed atomic.Int32
			closer := testkit.WithCloser(func() error { closed.Add(1); return nil })
			s, err := testkit.Connect(tt.give, append([]testkit.RemoteOption{closer}, tt.opts...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Connect: err %v; want one mentioning %q", err, tt.want)
			}
			if s == nil {
				t.Fatal("Connect returned a nil Server; want one to Close")
			}
			s.Close()
			s.Close()
			if n := closed.Load(); n != 1 {
				t.Errorf("WithCloser func ran %d times; want 1", n)
			}
		})
	}
}

func TestConnectCloser(t *testing.T) {
	t.Parallel()
	ts := adminServer(t)
	var order []string
	s, err := testkit.Connect(ts.URL,
		testkit.WithCloser(func() error { order = append(order, "first"); return fmt.Errorf("first failed") }),
		testkit.WithCloser(func() error { order = append(order, "second"); return nil }))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Close(); err == nil || !strings.Contains(err.Error(), "first failed") {
			t.Errorf("Close: %v; want the closer's error", err)
		}
	}
	if strings.Join(order, ",") != "first,second" {
		t.Errorf("closers ran %v; want first,second once", order)
	}
}

func TestConnectCredentials(t *testing.T) {
	t.Parallel()
	ts := adminServer(t)
	s := connect(t, ts.URL, testkit.WithCredentials("orders-api", "orders-secret"))
	if s.ClientID() != "orders-api" || s.ClientSecret() != "orders-secret" {
		t.Errorf("credentials %q: want the given ones", s.ClientID())
	}
	if !introspect(t, s, "fixture-active").active(t) {
		t.Error("fixture credentials refused")
	}
}

// Two Servers on one namespace each get a caller of their own.
func TestConnectCallerTaken(t *testing.T) {
	t.Parallel()
	ts := adminServer(t)
	a := connect(t, ts.URL+"/ns/same")
	b := connect(t, ts.URL+"/ns/same")
	if a.ClientID() != testkit.DefaultClientID || !strings.HasPrefix(b.ClientID(), testkit.DefaultClientID+"-") {
		t.Errorf("callers %q, %q; want %q and a suffixed one", a.ClientID(), b.ClientID(), testkit.DefaultClientID)
	}
	for _, s := range []*testkit.Server{a, b} {
		if !introspect(t, s, "fixture-active").active(t) {
			t.Errorf("caller %q refused", s.ClientID())
		}
	}
	a.Reset() // the caller survives a reset
	if !introspect(t, a, "fixture-active").active(t) {
		t.Error("caller refused after Reset")
	}
}

func TestConnectStubFails(t *testing.T) {
	t.Parallel()
	ts := adminServer(t)
	r := newRecorder(t)
	s := connect(t, ts.URL, testkit.WithTB(r))
	msg := r.do(func() {
		s.Stub(func(mockserver.StubRequest) (mockserver.Answer, bool) { return mockserver.Answer{}, false })
	})
	if !strings.Contains(msg, "Stub") || !strings.Contains(msg, "in-process") {
		t.Errorf("Stub on a remote server: fatal %q; want it to say stubs run in-process only", msg)
	}
}

// Admin API errors reach the test with the server's description.
func TestConnectAdminErrors(t *testing.T) {
	t.Parallel()
	ts := adminServer(t)
	r := newRecorder(t)
	s := connect(t, ts.URL, testkit.WithTB(r))
	msg := r.do(func() {
		s.AddToken(mockserver.Token{Token: "shadowing-token", Claims: map[string]any{"scope": "admin"}})
	})
	if !strings.Contains(msg, "AddToken") || !strings.Contains(msg, "400") || !strings.Contains(msg, "scope") {
		t.Errorf("claim shadowing a member: fatal %q; want AddToken, 400 and the field", msg)
	}
	if strings.Contains(msg, "shadowing-token") {
		t.Errorf("fatal %q shows the token", msg)
	}
}

// Without WithTB, a remote Server's mutators return an error when the
// server is gone, and its reads panic.
func TestConnectServerGone(t *testing.T) {
	t.Parallel()
	ts := adminServer(t)
	s, err := testkit.Connect(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts.Close()
	if err := s.Clock().Advance(time.Hour); err == nil || !strings.Contains(err.Error(), "Clock.Advance") {
		t.Errorf("Advance = %v; want an error naming Clock.Advance", err)
	}
	defer func() {
		if msg := fmt.Sprint(recover()); !strings.Contains(msg, "Clock.Now") {
			t.Errorf("panic %q; want one naming Clock.Now", msg)
		}
	}()
	s.Clock().Now()
	t.Error("no panic")
}

// The remote backend must send what the admin API expects: compare a
// token's answer in-process and through Connect.
func TestRemoteMatchesInProcess(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tok := mockserver.Token{
		Token: "same-token-both-ways", Scope: "a b", ClientID: "c", Username: "u", Sub: "s",
		Aud: []string{"x", "y"}, Iss: "https://i.example.test", TokenType: "Bearer", Jti: "j",
		IssuedAt: at.Add(-time.Minute), NotBefore: at, ExpiresAt: at.Add(time.Hour),
		Claims: map[string]any{"tenant": "acme", "n": 1},
	}
	in := testkit.Start(t, testkit.WithClock(at))
	rem := connect(t, adminServer(t).URL)
	frozenAt(rem, at)
	in.AddToken(tok)
	rem.AddToken(tok)
	a, b := introspect(t, in, tok.Token), introspect(t, rem, tok.Token)
	if string(a.body) != string(b.body) {
		t.Errorf("in-process answer %s\nremote answer     %s", a.body, b.body)
	}
}

// Over TLS, WithHTTPClient brings the trust; without it Connect fails.
func TestConnectTLS(t *testing.T) {
	t.Parallel()
	ts := httptest.NewUnstartedServer(adminapi.Handler(mustServer(t)))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	ts.StartTLS()
	t.Cleanup(ts.Close)

	if s, err := testkit.Connect(ts.URL); err == nil {
		t.Error("Connect over TLS without a trusting client succeeded")
	} else {
		s.Close()
	}
	s := connect(t, ts.URL+"/ns/tls", testkit.WithHTTPClient(ts.Client()))
	if s.Client() != ts.Client() {
		t.Error("Client() is not the given client")
	}
	if !introspect(t, s, "fixture-active").active(t) {
		t.Error("inactive over TLS")
	}
	if want := ts.URL + "/ns/tls"; s.Issuer() != want {
		t.Errorf("Issuer() = %q; want %q", s.Issuer(), want)
	}
}
