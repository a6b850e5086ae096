package mockserver_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
)

// tokenAnswer is a successful token response.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// TestTokenEndpoint covers the client_credentials grant (docs/conformance.md TE-1…TE-6).
func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()))
	svc := basic(svcID, svcSecret)
	tests := []struct {
		name           string
		give           req
		wantStatus     int
		wantErr        string // OAuth error code; "" for success
		wantChallenges []string
		wantScope      string // granted scope, on success
		wantExpiresIn  int64
	}{
		{name: "TE-2/Basic", give: req{header: hdr("Authorization", svc), body: "grant_type=client_credentials&scope=orders:read"},
			wantStatus: 200, wantScope: "orders:read", wantExpiresIn: 600},
		{name: "TE-2/client_secret_post", give: req{body: form("grant_type", "client_credentials", "client_id", svcID, "client_secret", svcSecret)},
			wantStatus: 200, wantScope: "orders:read orders:write", wantExpiresIn: 600},
		{name: "TE-2/raw Basic", give: req{header: hdr("Authorization", rawBasic(plusID, plusSecret)), body: "grant_type=client_credentials"},
			wantStatus: 200, wantExpiresIn: 3600},
		{name: "TE-2/scope order kept, duplicates dropped", give: req{header: hdr("Authorization", svc), body: form("grant_type", "client_credentials", "scope", "orders:write orders:read orders:write")},
			wantStatus: 200, wantScope: "orders:write orders:read", wantExpiresIn: 600},
		{name: "TE-2/any scope for an unlimited client", give: req{header: hdr("Authorization", basic("any-scope", "a")), body: form("grant_type", "client_credentials", "scope", "x y")},
			wantStatus: 200, wantScope: "x y", wantExpiresIn: 3600},
		{name: "TE-1/unknown parameters ignored, empty is absent", give: req{header: hdr("Authorization", svc), body: "grant_type=client_credentials&scope=&foo=bar&foo=baz"},
			wantStatus: 200, wantScope: "orders:read orders:write", wantExpiresIn: 600},
		{name: "TE-1/GET is 405", give: req{method: "GET", header: hdr("Authorization", svc)},
			wantStatus: 405, wantErr: "invalid_request"},
		{name: "TE-1/repeated grant_type is 400", give: req{header: hdr("Authorization", svc), body: "grant_type=client_credentials&grant_type=client_credentials"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "TE-1/repeated scope is 400", give: req{header: hdr("Authorization", svc), body: "grant_type=client_credentials&scope=orders:read&scope=orders:write"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "TE-1/JSON body is 400", give: req{header: hdr("Authorization", svc, "Content-Type", "application/json"), body: `{"grant_type":"client_credentials"}`},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "TE-1/bad escape is 400", give: req{header: hdr("Authorization", svc), body: "grant_type=client_credentials%"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "TE-5/missing grant_type is 400", give: req{header: hdr("Authorization", svc), body: "scope=orders:read"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "TE-5/other grant is 400", give: req{header: hdr("Authorization", svc), body: "grant_type=password&username=a&password=b"},
			wantStatus: 400, wantErr: "unsupported_grant_type"},
		{name: "TE-5/scope not allowed is 400", give: req{header: hdr("Authorization", svc), body: "grant_type=client_credentials&scope=orders:delete"},
			wantStatus: 400, wantErr: "invalid_scope"},
		{name: "TE-5/malformed scope is 400", give: req{header: hdr("Authorization", basic("any-scope", "a")), body: form("grant_type", "client_credentials", "scope", `a"b`)},
			wantStatus: 400, wantErr: "invalid_scope"},
		{name: "TE-5/wrong secret is 401", give: req{header: hdr("Authorization", basic(svcID, "x")), body: "grant_type=client_credentials"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic},
		{name: "TE-5/no credentials is 401", give: req{body: "grant_type=client_credentials"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic},
		{name: "TE-5/client_id alone is 401", give: req{body: form("grant_type", "client_credentials", "client_id", "public-app")},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic},
		{name: "TE-5/bearer is 401", give: req{header: hdr("Authorization", "Bearer "+rsBearer), body: "grant_type=client_credentials"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic},
		{name: "TE-5/auth method not allowed is 401", give: req{header: hdr("Authorization", basic("post-only", "p")), body: "grant_type=client_credentials"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic},
		{name: "TE-2/two methods is 400", give: req{header: hdr("Authorization", svc), body: form("grant_type", "client_credentials", "client_id", svcID, "client_secret", svcSecret)},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "TE-6/introspect-only client is 400", give: req{header: hdr("Authorization", basic("rs-only", "ro")), body: "grant_type=client_credentials"},
			wantStatus: 400, wantErr: "unauthorized_client"},
		{name: "TE-6/a client without the right to introspect may fetch tokens", give: req{header: hdr("Authorization", basic("no-introspect", "n")), body: "grant_type=client_credentials"},
			wantStatus: 200, wantExpiresIn: 3600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.give.path = "/token"
			got := do(t, ts, tt.give)
			if got.status != tt.wantStatus {
				t.Errorf("status = %d; want %d (body %s)", got.status, tt.wantStatus, got.body)
			}
			checkJSONType(t, got)
			checkNoStore(t, got)
			checkChallenges(t, got, tt.wantChallenges)
			if tt.wantErr != "" {
				checkErrorBody(t, got, tt.wantErr)
				return
			}
			checkTokenAnswer(t, got.body, tt.wantScope, tt.wantExpiresIn)
		})
	}
}

// checkTokenAnswer checks a token response (docs/conformance.md TE-3) and returns the token.
func checkTokenAnswer(t *testing.T, body, wantScope string, wantExpiresIn int64) string {
	t.Helper()
	var members map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &members); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	want := []string{"access_token", "expires_in", "token_type"}
	if wantScope != "" {
		want = append(want, "scope")
	}
	var keys []string
	for k := range members {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("members = %q; want %q (body %s)", keys, want, body)
	}
	if got := string(members["expires_in"]); got != itoa(wantExpiresIn) {
		t.Errorf("expires_in = %s; want the integer %d", got, wantExpiresIn)
	}
	var a tokenAnswer
	_ = json.Unmarshal([]byte(body), &a)
	if a.TokenType != "Bearer" {
		t.Errorf("token_type = %q; want Bearer", a.TokenType)
	}
	if a.Scope != wantScope {
		t.Errorf("scope = %q; want %q", a.Scope, wantScope)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(a.AccessToken) {
		t.Errorf("access_token %q is not 32 bytes base64url", a.AccessToken)
	}
	return a.AccessToken
}

// fetchToken gets a token for id/secret at /token.
func fetchToken(t *testing.T, r resp) tokenAnswer {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	var a tokenAnswer
	if err := json.Unmarshal([]byte(r.body), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestIssuedTokens checks that tokens from /token are store tokens:
// introspectable, revocable, and bearer callers (docs/conformance.md TE-4, CA-5, TL-5).
func TestIssuedTokens(t *testing.T) {
	t.Parallel()
	clock := newClock()
	ts, srv := start(t, mockserver.WithFixtures(testSet()), mockserver.WithClock(clock))
	before := srv.TokenCount()
	issue := func(id, secret, scope string) tokenAnswer {
		return fetchToken(t, do(t, ts, req{path: "/token", header: hdr("Authorization", basic(id, secret)), body: form("grant_type", "client_credentials", "scope", scope)}))
	}
	introspect := func(auth, tok string) resp {
		return do(t, ts, req{header: hdr("Authorization", auth), body: form("token", tok)})
	}
	svcTok := issue(svcID, svcSecret, "orders:read")
	weakTok := issue("no-introspect", "n", "")
	if got := srv.TokenCount(); got != before+2 {
		t.Errorf("TokenCount = %d; want %d", got, before+2)
	}
	if svcTok.AccessToken == weakTok.AccessToken {
		t.Errorf("two tokens are equal: %s", svcTok.AccessToken)
	}

	t.Run("TE-4/introspects active with client_id, sub, scope, iss, iat, exp = iat + expires_in", func(t *testing.T) {
		got := introspect(basic(rsID, rsSecret), svcTok.AccessToken)
		want := `{"active":true,"scope":"orders:read","client_id":"svc","token_type":"Bearer","exp":` + itoa(unixT0+svcTok.ExpiresIn) +
			`,"iat":` + itoa(unixT0) + `,"sub":"svc","iss":"` + ts.URL + `"}`
		if got.body != want {
			t.Errorf("body = %s\nwant   %s", got.body, want)
		}
	})
	t.Run("CA-5/issued token of a client that may introspect is a bearer caller", func(t *testing.T) {
		got := introspect("Bearer "+svcTok.AccessToken, "active-token")
		if got.status != 200 || !strings.HasPrefix(got.body, `{"active":true`) {
			t.Errorf("got %d %s; want 200 active", got.status, got.body)
		}
	})
	t.Run("CA-5,CA-10/issued token of a client that may not introspect is 401", func(t *testing.T) {
		got := introspect("Bearer "+weakTok.AccessToken, "active-token")
		if got.status != 401 || got.body != `{"error":"invalid_token"}` {
			t.Errorf("got %d %s; want 401 invalid_token", got.status, got.body)
		}
		checkChallenges(t, got, challengeBadBear)
	})
	t.Run("CA-5/expired issued token is no bearer caller", func(t *testing.T) {
		clock.Set(t0.Add(11 * time.Minute))
		defer clock.Set(t0)
		if got := introspect("Bearer "+svcTok.AccessToken, "active-token"); got.status != 401 {
			t.Errorf("got %d %s; want 401", got.status, got.body)
		}
		if got := introspect(basic(rsID, rsSecret), svcTok.AccessToken); got.body != inactive {
			t.Errorf("introspection of the expired token = %s; want inactive", got.body)
		}
	})
	t.Run("TL-5/issued token is revocable, then no bearer caller", func(t *testing.T) {
		tok := issue(svcID, svcSecret, "")
		r := do(t, ts, req{path: "/revoke", header: hdr("Authorization", "Bearer "+tok.AccessToken), body: form("token", tok.AccessToken)})
		if r.status != 200 {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		if got := introspect(basic(rsID, rsSecret), tok.AccessToken); got.body != inactive {
			t.Errorf("after revoke: %s; want inactive", got.body)
		}
		if got := introspect("Bearer "+tok.AccessToken, "active-token"); got.status != 401 {
			t.Errorf("revoked bearer: %d %s; want 401", got.status, got.body)
		}
	})
}
