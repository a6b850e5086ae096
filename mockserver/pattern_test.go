package mockserver_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// patternFixtures has an exact token, patterns taking every kind of
// member, a catch-all for a prefix, a revoked, an expiring and a
// restricted pattern.
const patternFixtures = `clients:
  - client_id: rs
    client_secret: rs-secret
  - client_id: gateway
    client_secret: gw-secret
tokens:
  - token: load-7
    sub: exact
token_patterns:
  - match: '^load-(?P<n>[0-9]{1,9})$'
    scope: 'read shard:{n}'
    client_id: web-app
    sub: 'user-{n}'
    username: 'user{n}'
    aud: ['api', 'api-{n}']
    jti: 'jti-{n}'
    iat: -5m
    exp: +1h
    claims: {tenant: 'acme-{1}', shard: {id: '{n}', tags: ['t{n}', 7]}, flag: true}
  - match: '^load-'
    sub: 'other'
  - match: '^any-(?P<a>.*)$'
    sub: 'any {a}'
    aud: '{a}'
    claims: {echo: '{a}'}
  - match: '^scope-(?P<s>.*)$'
    scope: 'x{s} y'
    aud: [a, '{s}']
  - match: '^gone-[0-9]+$'
    revoked: true
  - match: '^soon-[0-9]+$'
    script:
      - after: 10m
        state: expired
  - match: '^gw-[0-9]+$'
    introspectable_by: gateway
`

func patternSet(t testing.TB) *fixtures.Set {
	t.Helper()
	set, err := fixtures.Parse(t0, "patterns.yaml", []byte(patternFixtures))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func startPatterns(t *testing.T, opts ...mockserver.Option) (*httptest.Server, *mockserver.Server, *testClock) {
	t.Helper()
	clock := newClock()
	ts, srv := start(t, append([]mockserver.Option{mockserver.WithFixtures(patternSet(t)), mockserver.WithClock(clock)}, opts...)...)
	return ts, srv, clock
}

// patternIntrospect returns the answer to an introspection of tok by id,
// at the host as.test (so the derived iss is the same on every server).
func patternIntrospect(t *testing.T, ts *httptest.Server, id, secret, tok string) string {
	t.Helper()
	r := do(t, ts, req{header: hdr("Authorization", basic(id, secret), "Host", "as.test"), body: "token=" + url.QueryEscape(tok)})
	if r.status != http.StatusOK {
		t.Fatalf("introspect %q: %d %s", tok, r.status, r.body)
	}
	return r.body
}

func introspectRS(t *testing.T, ts *httptest.Server, tok string) string {
	t.Helper()
	return patternIntrospect(t, ts, "rs", "rs-secret", tok)
}

// exactTwin returns the fixture token a pattern makes of tok, as an exact
// token: what the pattern's answer must equal.
func exactTwin(t *testing.T, set *fixtures.Set, tok string) fixtures.Token {
	t.Helper()
	for _, p := range set.Patterns {
		re, err := p.Regexp()
		if err != nil {
			t.Fatal(err)
		}
		if m := re.FindStringSubmatch(tok); m != nil {
			return p.Fill(tok, func(name string) string { return m[fixtures.GroupIndex(re, name)] })
		}
	}
	t.Fatalf("no pattern matches %q", tok)
	return fixtures.Token{}
}

// TestPatternAnswers: a pattern's token answers exactly what the same
// token written out under tokens would, on the fast path (groups of
// plain ASCII) and the slow one (spaces, quotes, Unicode, empty groups);
// an exact token wins; the first matching pattern decides.
func TestPatternAnswers(t *testing.T) {
	set := patternSet(t)
	toks := []string{"load-42", "load-999999999", "load-0", "any-abc", "any-a b", `any-q"uo\te`, "any-é€\u2028", "any-",
		"any-<&>", "gw-1", "scope-s1", "scope-a  b", "scope-"}
	twins := &fixtures.Set{Clients: set.Clients}
	for _, tok := range toks {
		twins.Tokens = append(twins.Tokens, exactTwin(t, set, tok))
	}
	for _, issuer := range []string{"", "https://as.example"} { // iss derived per request, and configured
		opts := []mockserver.Option{mockserver.WithIssuer(issuer)}
		ts, _, _ := startPatterns(t, opts...)
		exact, _ := start(t, append(opts, mockserver.WithFixtures(twins), mockserver.WithClock(newClock()))...)
		for _, tok := range toks {
			got, want := patternIntrospect(t, ts, "gateway", "gw-secret", tok), patternIntrospect(t, exact, "gateway", "gw-secret", tok)
			if got != want || !strings.HasPrefix(got, `{"active":true`) {
				t.Errorf("%q answers\n%s\nwant the exact token's\n%s", tok, got, want)
			}
		}
	}
	ts, _, _ := startPatterns(t)
	var a map[string]any
	if err := json.Unmarshal([]byte(introspectRS(t, ts, "load-42")), &a); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"active": true, "scope": "read shard:42", "client_id": "web-app", "username": "user42",
		"token_type": "Bearer", "sub": "user-42", "aud": []any{"api", "api-42"}, "jti": "jti-42",
		"tenant": "acme-42", "shard": map[string]any{"id": "42", "tags": []any{"t42", 7.0}}, "flag": true,
		"exp": float64(t0.Add(time.Hour).Unix()), "iat": float64(t0.Add(-5 * time.Minute).Unix())}
	delete(a, "iss")
	if !reflect.DeepEqual(a, want) {
		t.Errorf("load-42 answers %v\nwant %v", a, want)
	}

	tests := []struct {
		give, want string // want: a substring of the answer
	}{
		{"load-7", `"sub":"exact"`}, // the exact token wins
		{"load-x", `"sub":"other"`}, // the first pattern does not match; the second does
		{"load-1234567890", `"sub":"other"`},
		{"nothing-1", inactive},
		{"gone-1", inactive},
		{"soon-1", `"active":true`},
		{"gw-1", inactive},      // introspectable by gateway only
		{`scope-a"b`, inactive}, // no scope token may hold '"' (RFC 6749 §3.3)
		{"scope-é", inactive},
	}
	for _, tt := range tests {
		if got := introspectRS(t, ts, tt.give); !strings.Contains(got, tt.want) {
			t.Errorf("%q answers %s; want %s in it", tt.give, got, tt.want)
		}
	}
}

// TestPatternScriptAndClock: a pattern's after step applies to every
// token of it once the clock passes it.
func TestPatternScriptAndClock(t *testing.T) {
	ts, _, clock := startPatterns(t)
	clock.Set(t0.Add(11 * time.Minute))
	if got := introspectRS(t, ts, "soon-5"); got != inactive {
		t.Errorf("after 11m: %s; want inactive", got)
	}
	clock.Set(t0.Add(61 * time.Minute))
	if got := introspectRS(t, ts, "load-5"); got != inactive {
		t.Errorf("after exp: %s; want inactive", got)
	}
}

// TestPatternRevoke: revoking one token of a pattern, at /revoke or
// through the admin API, makes that one inactive and stores it alone;
// Reset forgets it.
func TestPatternRevoke(t *testing.T) {
	ts, srv, _ := startPatterns(t)
	for i := range 1000 {
		introspectRS(t, ts, "load-"+strings.Repeat("1", 1+i%9))
	}
	if toks, _ := srv.Default().Tokens(); len(toks) != 1 {
		n := len(toks)
		t.Fatalf("the store holds %d tokens after introspecting pattern tokens; want the 1 fixture token", n)
	}
	r := do(t, ts, req{path: "/revoke", header: hdr("Authorization", basic("rs", "rs-secret")), body: "token=load-42"})
	if r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if got := introspectRS(t, ts, "load-42"); got != inactive {
		t.Errorf("revoked load-42: %s", got)
	}
	if got := introspectRS(t, ts, "load-43"); !strings.Contains(got, `"sub":"user-43"`) {
		t.Errorf("load-43 after revoking load-42: %s", got)
	}
	r = do(t, ts, req{path: "/admin/tokens/load-44/revoke"})
	if r.status != http.StatusNoContent && r.status != http.StatusOK {
		t.Fatalf("admin revoke: %d %s", r.status, r.body)
	}
	if got := introspectRS(t, ts, "load-44"); got != inactive {
		t.Errorf("admin-revoked load-44: %s", got)
	}
	info, err := srv.Default().Lookup("load-42")
	if err != nil || info.State != mockserver.StateRevoked || info.Token.Sub != "user-42" {
		t.Errorf("Lookup(load-42) = %+v, %v", info, err)
	}
	if info, err := srv.Default().Lookup("load-45"); err != nil || info.State != mockserver.StateActive || info.Token.Sub != "user-45" {
		t.Errorf("Lookup(load-45) = %+v, %v", info, err)
	}
	if toks, _ := srv.Default().Tokens(); len(toks) != 3 {
		n := len(toks)
		t.Errorf("the store holds %d tokens; want the fixture token and the 2 revoked", n)
	}
	srv.Default().Reset()
	if got := introspectRS(t, ts, "load-42"); !strings.Contains(got, `"active":true`) {
		t.Errorf("load-42 after Reset: %s", got)
	}
}

// TestPatternScriptOneToken: scripting one token of a pattern through the
// admin API changes that one only.
func TestPatternScriptOneToken(t *testing.T) {
	ts, _, _ := startPatterns(t)
	r := do(t, ts, req{method: http.MethodPut, path: "/admin/tokens/load-5/script", header: hdr("Content-Type", "application/json"),
		body: `{"script":[{"on_call":1,"respond":{"status":503}}]}`})
	if r.status >= 300 {
		t.Fatalf("PUT script: %d %s", r.status, r.body)
	}
	rs := do(t, ts, req{header: hdr("Authorization", basic("rs", "rs-secret")), body: "token=load-5"})
	if rs.status != http.StatusServiceUnavailable {
		t.Errorf("scripted load-5: %d %s; want 503", rs.status, rs.body)
	}
	if got := introspectRS(t, ts, "load-5"); !strings.Contains(got, `"sub":"user-5"`) {
		t.Errorf("load-5, second call: %s", got)
	}
	if got := introspectRS(t, ts, "load-6"); !strings.Contains(got, `"sub":"user-6"`) {
		t.Errorf("load-6: %s", got)
	}
}

// TestPatternRememberBound: past the store's limit a revocation of a
// pattern's token is refused with 503 and an error and a log line that
// name the limit; the token stays active.
func TestPatternRememberBound(t *testing.T) {
	var logs bytes.Buffer
	ts, srv, _ := startPatterns(t, mockserver.WithMaxTokens(3),
		mockserver.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	for _, tok := range []string{"load-1", "load-2"} {
		if r := do(t, ts, req{path: "/revoke", header: hdr("Authorization", basic("rs", "rs-secret")), body: "token=" + tok}); r.status != http.StatusOK {
			t.Fatalf("revoke %s: %d %s", tok, r.status, r.body)
		}
	}
	r := do(t, ts, req{path: "/revoke", header: hdr("Authorization", basic("rs", "rs-secret")), body: "token=load-3"})
	e := decodeErr(t, r.body)
	if r.status != http.StatusServiceUnavailable || e.Error != "temporarily_unavailable" || !strings.Contains(e.Description, "limit") ||
		r.header.Get("Retry-After") == "" {
		t.Errorf("revoke past the bound: %d %s", r.status, r.body)
	}
	if got := introspectRS(t, ts, "load-3"); !strings.Contains(got, `"active":true`) {
		t.Errorf("load-3 after a refused revocation: %s", got)
	}
	if !strings.Contains(logs.String(), "cannot remember pattern token") || strings.Contains(logs.String(), "load-3") {
		t.Errorf("log: %q; want the bound named and the token redacted", logs.String())
	}
	if err := srv.Default().SetScript("load-4", []mockserver.Step{{When: mockserver.Always(), State: mockserver.StateRevoked}}); err == nil ||
		!strings.Contains(err.Error(), "cannot remember") {
		t.Errorf("SetScript past the bound: %v", err)
	}
}

// BenchmarkIntrospectPattern compares one in-process introspection of an
// exact token with one of a token pattern's distinct tokens.
func BenchmarkIntrospectPattern(b *testing.B) {
	set, err := fixtures.Parse(t0, "p.yaml", []byte(`clients: [{client_id: rs, client_secret: rs-secret}]
tokens:
  - {token: exact-token, scope: read write, client_id: bench-client, username: alice, sub: user-1, aud: api, jti: j-1, claims: {tenant: acme}}
token_patterns:
  - {match: '^load-(?P<n>[0-9]{9})$', scope: read write, client_id: bench-client, username: alice, sub: 'user-{n}', aud: api, jti: 'j-{n}', claims: {tenant: acme}}
`))
	if err != nil {
		b.Fatal(err)
	}
	srv, err := mockserver.New(mockserver.WithFixtures(set))
	if err != nil {
		b.Fatal(err)
	}
	for _, tok := range []string{"exact-token", "load-123456789"} {
		b.Run(strings.SplitN(tok, "-", 2)[0], func(b *testing.B) { benchIntrospect(b, srv, tok) })
	}
}
