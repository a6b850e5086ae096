package mockserver_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// revokeBySet has alice's access and refresh tokens (the refresh token's
// grant also holds bob's token), bob's own token, carol's token revoked
// in the fixtures, and the svc client that fetches tokens.
func revokeBySet() *fixtures.Set {
	return &fixtures.Set{
		Clients: []fixtures.Client{{ClientID: rsID, ClientSecret: rsSecret}, {ClientID: svcID, ClientSecret: svcSecret}},
		Tokens: []fixtures.Token{
			{Token: "alice-access", Sub: "alice", ClientID: "web", Exp: fixtures.Relative(3600e9)},
			{Token: "alice-refresh", Sub: "alice", ClientID: "web", Kind: fixtures.KindRefreshToken, Grant: "g1", Exp: fixtures.Relative(3600e9)},
			{Token: "grant-access", Sub: "bob", ClientID: "web", Grant: "g1", Exp: fixtures.Relative(3600e9)},
			{Token: "bob-access", Sub: "bob", ClientID: "mobile", Exp: fixtures.Relative(3600e9)},
			{Token: "carol-access", Sub: "carol", ClientID: "web", Revoked: true, Exp: fixtures.Relative(3600e9)},
		},
	}
}

// adminRevokeBy posts body to /admin/revoke and returns the answer.
func adminRevokeBy(t *testing.T, ts *httptest.Server, body string) resp {
	t.Helper()
	return do(t, ts, req{path: "/admin/revoke", header: hdr("Content-Type", "application/json"), body: body})
}

// svcToken gets a client_credentials token for svc at /token.
func svcToken(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	return fetchToken(t, do(t, ts, req{path: "/token", header: hdr("Authorization", basic(svcID, svcSecret)), body: "grant_type=client_credentials"})).AccessToken
}

// TestRevokeBySubjectAndClient: POST /admin/revoke revokes every token of
// a subject (fixture, added; a refresh token's grant along) or of a client
// (issued at /token), answers how many, leaves later tokens alone; the
// admin token listing and the journal say why each token is inactive.
func TestRevokeBySubjectAndClient(t *testing.T) {
	t.Parallel()
	ts, srv := start(t, mockserver.WithFixtures(revokeBySet()), mockserver.WithClock(newClock()))
	ns := srv.Default()
	if r := do(t, ts, req{path: "/admin/tokens", header: hdr("Content-Type", "application/json"),
		body: `{"token": "alice-added", "sub": "alice", "client_id": "cli", "exp": "+1h"}`}); r.status != http.StatusCreated {
		t.Fatalf("add token: %d %s", r.status, r.body)
	}
	issued := svcToken(t, ts)

	r := adminRevokeBy(t, ts, `{"sub": "alice"}`)
	if r.status != http.StatusOK || r.body != `{"revoked":4}` {
		t.Fatalf(`revoke {"sub":"alice"}: %d %s; want 200 {"revoked":4} (3 of alice's, 1 of the grant)`, r.status, r.body)
	}
	r = adminRevokeBy(t, ts, `{"client_id": "svc"}`)
	if r.status != http.StatusOK || r.body != `{"revoked":1}` {
		t.Fatalf(`revoke {"client_id":"svc"}: %d %s; want 200 {"revoked":1}`, r.status, r.body)
	}
	if r := adminRevokeBy(t, ts, `{"sub": "alice"}`); r.body != `{"revoked":0}` {
		t.Errorf("revoking alice again: %s; want 0", r.body)
	}
	later := svcToken(t, ts)
	if _, err := ns.AddToken(mockserver.Token{Token: "alice-later", Sub: "alice"}); err != nil {
		t.Fatal(err)
	}
	do(t, ts, req{path: "/revoke", header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=bob-access"})

	ns.ClearCalls()
	tests := []struct {
		tok, why, revokedBy string // why "" means active
	}{
		{"alice-access", "revoked by subject", mockserver.RevokedSubject},
		{"alice-refresh", "revoked by subject", mockserver.RevokedSubject},
		{"alice-added", "revoked by subject", mockserver.RevokedSubject},
		{"grant-access", "revoked by grant cascade", mockserver.RevokedGrant},
		{issued, "revoked by client", mockserver.RevokedClient},
		{"bob-access", "revoked directly", mockserver.RevokedDirect},
		{"carol-access", "revoked in the fixtures", mockserver.RevokedFixture},
		{later, "", ""},
		{"alice-later", "", ""},
	}
	listing := map[string]map[string]any{}
	var list struct {
		Tokens []map[string]any `json:"tokens"`
	}
	if err := json.Unmarshal([]byte(do(t, ts, req{method: http.MethodGet, path: "/admin/tokens"}).body), &list); err != nil {
		t.Fatal(err)
	}
	for _, ti := range list.Tokens {
		listing[ti["token"].(string)] = ti
	}
	for _, tt := range tests {
		got := do(t, ts, req{header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=" + tt.tok})
		if active := strings.HasPrefix(got.body, `{"active":true`); active != (tt.why == "") {
			t.Errorf("%s: %s", mockserver.Redact(tt.tok), got.body)
		}
		calls := callsOf(ns)
		if last := calls[len(calls)-1]; last.Why != tt.why || !strings.Contains(last.String(), tt.why) {
			t.Errorf("%s: the journal says why %q; want %q", mockserver.Redact(tt.tok), last.Why, tt.why)
		}
		if by, _ := listing[tt.tok]["revoked_by"].(string); by != tt.revokedBy {
			t.Errorf("%s: GET /admin/tokens says revoked_by %q; want %q", mockserver.Redact(tt.tok), by, tt.revokedBy)
		}
	}
	if info, err := ns.Lookup("grant-access"); err != nil || info.RevokedBy != mockserver.RevokedGrant {
		t.Errorf("Lookup(grant-access) = %+v, %v", info, err)
	}
}

// TestRevokeByErrors: a body without exactly one of sub and client_id is
// 400 with an error that says so, and revokes nothing.
func TestRevokeByErrors(t *testing.T) {
	t.Parallel()
	ts, srv := start(t, mockserver.WithFixtures(revokeBySet()))
	tests := []struct{ give, want string }{
		{``, "got nothing"},
		{`{}`, "missing sub or client_id"},
		{`{"sub": "alice", "client_id": "web"}`, "not both"},
		{`{"sub": ""}`, "empty sub"},
		{`{"subject_id": "alice"}`, "unknown key"},
		{`["alice"]`, "want a mapping"},
	}
	for _, tt := range tests {
		r := adminRevokeBy(t, ts, tt.give)
		if e := decodeErr(t, r.body); r.status != http.StatusBadRequest || !strings.Contains(e.Description, tt.want) {
			t.Errorf("%s: %d %s; want 400 with %q", tt.give, r.status, r.body, tt.want)
		}
	}
	for _, ti := range tokensOf(srv.Default()) {
		if ti.Token.Token != "carol-access" && ti.State != mockserver.StateActive {
			t.Errorf("%s is %s after refused requests", ti.Token.Token, ti.State)
		}
	}
	if _, err := srv.Default().RevokeSubject(""); err == nil {
		t.Error("RevokeSubject(\"\"): no error")
	}
	if _, err := srv.Default().RevokeClient(""); err == nil {
		t.Error("RevokeClient(\"\"): no error")
	}
}

// BenchmarkRevokeSubject measures RevokeSubject on stores of 10k and 100k
// tokens: it looks at every token once.
func BenchmarkRevokeSubject(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n/1000)+"k", func(b *testing.B) {
			set := &fixtures.Set{Tokens: make([]fixtures.Token, n)}
			for i := range set.Tokens {
				set.Tokens[i] = fixtures.Token{Token: "tok-" + strconv.Itoa(i), Sub: "user-" + strconv.Itoa(i%1000), ClientID: "web"}
			}
			srv, err := mockserver.New(mockserver.WithFixtures(set))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := srv.Default().RevokeSubject("user-7"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestRevokeSubjectLoginFlow: the tokens a user got through the
// authorization code flow go inactive with RevokeSubject, and a code
// issued before but not yet redeemed gives no tokens afterwards.
func TestRevokeSubjectLoginFlow(t *testing.T) {
	t.Parallel()
	ts, srv := start(t, mockserver.WithFixtures(flowSet()))
	c := noRedirects(ts)
	code := func() string {
		return authorize(t, c, ts.URL+"/authorize?response_type=code&client_id=web&state=s").Get("code")
	}
	exchange := func(form string) resp {
		return do(t, ts, req{path: "/token", header: hdr("Authorization", basic("web", "web-secret")), body: form})
	}
	first := exchange("grant_type=authorization_code&code=" + code())
	var tok struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}
	decodeJSON(t, first.body, &tok)
	pending := code()

	if n, err := srv.Default().RevokeSubject("u-alice"); n != 2 || err != nil {
		t.Fatalf("RevokeSubject(u-alice) = %d, %v; want the access and refresh token", n, err)
	}
	for _, tk := range []string{tok.Access, tok.Refresh} {
		if introspectJSON(t, ts, tk)["active"] != false {
			t.Errorf("a token of alice's login is still active")
		}
	}
	if got := exchange("grant_type=refresh_token&refresh_token=" + tok.Refresh); got.status != http.StatusBadRequest {
		t.Errorf("refresh after RevokeSubject: %d %s", got.status, got.body)
	}
	if got := exchange("grant_type=authorization_code&code=" + pending); got.status != http.StatusBadRequest ||
		!strings.Contains(got.body, "unknown or expired authorization code") {
		t.Errorf("a code from before RevokeSubject: %d %s", got.status, got.body)
	}
	later := exchange("grant_type=authorization_code&code=" + code())
	decodeJSON(t, later.body, &tok)
	if introspectJSON(t, ts, tok.Access)["active"] != true {
		t.Error("a login after RevokeSubject gives an inactive token")
	}
}
