package mockserver_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// TestNewErrors checks that bad options and fixtures fail New with a
// message naming the problem.
func TestNewErrors(t *testing.T) {
	t.Parallel()
	set := func(f func(*fixtures.Set)) mockserver.Option {
		s := &fixtures.Set{}
		f(s)
		return mockserver.WithFixtures(s)
	}
	tests := []struct {
		name string
		give mockserver.Option
		want string // in the error
	}{
		{"issuer scheme", mockserver.WithIssuer("ftp://x"), "absolute http or https URL"},
		{"relative issuer", mockserver.WithIssuer("/p"), "absolute http or https URL"},
		{"MD-3/issuer with query", mockserver.WithIssuer("https://x/?a=b"), "query"},
		{"MD-3/issuer with empty query", mockserver.WithIssuer("https://x/?"), "query"},
		{"MD-3/issuer with fragment", mockserver.WithIssuer("https://x/#f"), "fragment"},
		{"issuer without host", mockserver.WithIssuer("https:///p"), "absolute http or https URL"},
		{"issuer with trailing space", mockserver.WithIssuer("https://x/p "), "white space"},
		{"fixture issuer", set(func(s *fixtures.Set) { s.Issuer = "auth.example.test" }), "absolute http or https URL"},
		{"nil set", mockserver.WithFixtures(nil), "nil"},
		{"empty token", set(func(s *fixtures.Set) { s.Tokens = []fixtures.Token{{}} }), "tokens[0]: empty token"},
		{"duplicate token", set(func(s *fixtures.Set) {
			s.Tokens = []fixtures.Token{{Token: "a"}, {Token: "a", Pos: fixtures.Pos{File: "t.yaml", Line: 3, Column: 5}}}
		}), "t.yaml:3:5: tokens[1]: duplicate token"},
		{"IR-8/claim shadows a member", set(func(s *fixtures.Set) {
			s.Tokens = []fixtures.Token{{Token: "a", Claims: map[string]any{"active": false}}}
		}), `claim "active"`},
		{"IR-8/claim called access_token", set(func(s *fixtures.Set) {
			s.Tokens = []fixtures.Token{{Token: "a", Claims: map[string]any{"access_token": "x"}}}
		}), `claim "access_token"`},
		{"claim that is no JSON", set(func(s *fixtures.Set) {
			s.Tokens = []fixtures.Token{{Token: "a", Claims: map[string]any{"c": make(chan int)}}}
		}), `claim "c"`},
		{"client without id or bearer", set(func(s *fixtures.Set) { s.Clients = []fixtures.Client{{ClientSecret: "x"}} }), "clients[0]"},
		{"client with id and bearer", set(func(s *fixtures.Set) { s.Clients = []fixtures.Client{{ClientID: "a", Bearer: "b"}} }), "both"},
		{"duplicate client", set(func(s *fixtures.Set) {
			s.Clients = []fixtures.Client{{ClientID: "a", ClientSecret: "1"}, {ClientID: "a", ClientSecret: "2"}}
		}), "clients[1]: duplicate client_id"},
		{"duplicate bearer", set(func(s *fixtures.Set) { s.Clients = []fixtures.Client{{Bearer: "a"}, {Bearer: "a"}} }), "duplicate bearer"},
		{"unknown auth method", set(func(s *fixtures.Set) {
			s.Clients = []fixtures.Client{{ClientID: "a", ClientSecret: "1", AuthMethods: []string{"tls_client_auth"}}}
		}), "tls_client_auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, err := mockserver.New(tt.give)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, %v; want an error containing %q", srv, err, tt.want)
			}
		})
	}
}

// TestReload checks that Reload swaps fixtures, and that a failed Reload
// changes nothing.
func TestReload(t *testing.T) {
	t.Parallel()
	ts, srv := start(t, mockserver.WithFixtures(testSet()))
	introspect := func(tok string) string {
		return do(t, ts, req{header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=" + tok}).body
	}
	count := srv.TokenCount()
	if count != len(testSet().Tokens) {
		t.Errorf("TokenCount = %d; want %d", count, len(testSet().Tokens))
	}
	bad := testSet()
	bad.Tokens = append(bad.Tokens, fixtures.Token{Token: "new"}, fixtures.Token{Token: "new"})
	if err := srv.Reload(bad); err == nil {
		t.Fatal("Reload of duplicate tokens succeeded")
	}
	if err := srv.Reload(nil); err == nil {
		t.Fatal("Reload(nil) succeeded")
	}
	if got := introspect("minimal-token"); !strings.HasPrefix(got, `{"active":true`) || srv.TokenCount() != count {
		t.Errorf("after a failed Reload: %s, %d tokens; want the old fixtures", got, srv.TokenCount())
	}
	good := &fixtures.Set{Clients: testSet().Clients, Tokens: []fixtures.Token{{Token: "new"}}}
	if err := srv.Reload(good); err != nil {
		t.Fatal(err)
	}
	if got := introspect("minimal-token"); got != inactive {
		t.Errorf("old token after Reload: %s; want inactive", got)
	}
	if got := introspect("new"); !strings.HasPrefix(got, `{"active":true`) || srv.TokenCount() != 1 {
		t.Errorf("new token after Reload: %s, %d tokens", got, srv.TokenCount())
	}
}

// TestAllowAnonymous checks the fixture opt-out of caller authentication
// (docs/conformance.md CA-1, PF-20).
func TestAllowAnonymous(t *testing.T) {
	t.Parallel()
	set := testSet()
	set.AllowAnonymous = true
	ts, _ := start(t, mockserver.WithFixtures(set), mockserver.WithClock(newClock()))
	tests := []struct {
		name       string
		give       req
		wantStatus int
		wantBody   string // prefix
	}{
		{"CA-1/no credentials introspect", req{body: "token=minimal-token"}, 200, `{"active":true`},
		{"CA-1/no credentials inactive", req{body: "token=expired-token"}, 200, inactive},
		{"CA-1/client_id alone", req{body: "token=minimal-token&client_id=whoever"}, 200, `{"active":true`},
		{"CA-9/wrong credentials stay 401", req{header: hdr("Authorization", basic(rsID, "x")), body: "token=minimal-token"}, 401, `{"error":"invalid_client"}`},
		{"CA-10/bad bearer stays 401", req{header: hdr("Authorization", "Bearer x"), body: "token=minimal-token"}, 401, `{"error":"invalid_token"}`},
		{"IQ-3/token still required", req{body: ""}, 400, `{"error":"invalid_request"`},
		{"RV-2/no credentials revoke", req{path: "/revoke", body: "token=revoked-token"}, 200, ""},
		{"TE-2/token endpoint still needs a client", req{path: "/token", body: "grant_type=client_credentials"}, 401, `{"error":"invalid_client"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := do(t, ts, tt.give)
			if got.status != tt.wantStatus || !strings.HasPrefix(got.body, tt.wantBody) {
				t.Errorf("got %d %s; want %d %s…", got.status, got.body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

// TestJournal checks what every request leaves in the journal.
func TestJournal(t *testing.T) {
	t.Parallel()
	srv, err := mockserver.New(mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()))
	if err != nil {
		t.Fatal(err)
	}
	ts := startHandler(t, srv)
	ns := srv.Default()
	ns.Clock().Freeze()
	tests := []struct {
		name string
		give req
		want mockserver.Call
	}{
		{"IQ-4/hint is journaled", req{header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=active-token&token_type_hint=refresh_token"},
			mockserver.Call{Endpoint: "introspect", ClientID: rsID, AuthMethod: "basic", Token: "active-token", TokenTypeHint: "refresh_token", Status: 200, Active: true}},
		{"CA-4/post", req{body: form("token", "x", "client_id", rsID, "client_secret", rsSecret)},
			mockserver.Call{Endpoint: "introspect", ClientID: rsID, AuthMethod: "post", Token: "x", Status: 200, Why: "unknown token"}},
		{"CA-5/bearer", req{header: hdr("Authorization", "Bearer "+rsBearer), body: "token=x"},
			mockserver.Call{Endpoint: "introspect", AuthMethod: "bearer", Token: "x", Status: 200, Why: "unknown token"}},
		{"CA-9/failed auth keeps the claimed client", req{header: hdr("Authorization", basic(rsID, "no")), body: "token=x"},
			mockserver.Call{Endpoint: "introspect", ClientID: rsID, AuthMethod: "basic", Token: "x", Status: 401}},
		{"CA-1/none", req{body: "token=x"},
			mockserver.Call{Endpoint: "introspect", AuthMethod: "none", Token: "x", Status: 401}},
		{"IQ-1/query token of a GET is not recorded", req{method: "GET", path: "/introspect?token=query-token"},
			mockserver.Call{Endpoint: "introspect", AuthMethod: "none", Status: 405}},
		{"RV-2/public revoke", req{path: "/revoke", body: form("token", "y", "client_id", "public-app")},
			mockserver.Call{Endpoint: "revoke", ClientID: "public-app", AuthMethod: "none", Token: "y", Status: 200}},
		{"TE-2/token", req{path: "/token", header: hdr("Authorization", basic(svcID, "no")), body: "grant_type=client_credentials"},
			mockserver.Call{Endpoint: "token", ClientID: svcID, AuthMethod: "basic", Status: 401}},
		{"MD-1/metadata", req{method: "GET", path: "/.well-known/openid-configuration"},
			mockserver.Call{Endpoint: "discovery", AuthMethod: "none", Status: 200}},
		{"MD-8/jwks", req{method: "GET", path: "/jwks"},
			mockserver.Call{Endpoint: "jwks", AuthMethod: "none", Status: 200}},
		{"ER-4/unknown path", req{method: "GET", path: "/nope"},
			mockserver.Call{Endpoint: "other", AuthMethod: "none", Status: 404}},
	}
	for _, tt := range tests { // sequential: one journal
		ns.ClearCalls()
		do(t, ts, tt.give)
		got := callsOf(ns)
		tt.want.Time = t0
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s: calls = %+v; want [%+v]", tt.name, got, tt.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLogging checks that debug logs name each call but never a token, a
// secret or a query (docs/conformance.md IQ-1).
func TestLogging(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts, _ := start(t, mockserver.WithFixtures(testSet()), mockserver.WithLogger(logger))
	do(t, ts, req{method: "GET", path: "/introspect?token=query-token-xyz&client_secret=query-secret"})
	do(t, ts, req{header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=active-token"})
	do(t, ts, req{body: form("token", "body-token-xyz", "client_id", rsID, "client_secret", rsSecret)})
	do(t, ts, req{header: hdr("Authorization", "Bearer "+rsBearer), body: "token=body-token-xyz"})
	tok := fetchToken(t, do(t, ts, req{path: "/token", header: hdr("Authorization", basic(svcID, svcSecret)), body: "grant_type=client_credentials"}))
	// Each call is logged before its answer is flushed, so all are in buf.
	out := buf.String()
	for _, secret := range []string{"query-token-xyz", "query-secret", "active-token", "body-token-xyz", rsSecret, rsBearer, svcSecret, tok.AccessToken} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
	if n := strings.Count(out, "msg=call"); n != 5 {
		t.Errorf("log has %d calls; want 5:\n%s", n, out)
	}
	if !strings.Contains(out, "endpoint=introspect status=405") {
		t.Errorf("log lacks the 405:\n%s", out)
	}
}
