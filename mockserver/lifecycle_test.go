package mockserver_test

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// lifecycleYAML models grants, refresh tokens, visibility and the opt-in
// revocation checks (docs/conformance.md RV-5, RV-6, TL-6).
const lifecycleYAML = `
clients:
  - client_id: rs
    client_secret: rs-secret
  - client_id: web-app
    client_secret: web-secret
    revocation_ownership: true
  - client_id: legacy-app
    client_secret: legacy-secret
    revoke_access_tokens: false
  - client_id: orders-rs
    client_secret: orders-secret
  - client_id: billing-rs
    client_secret: billing-secret
  - client_id: public-app
    revocation_ownership: true
  - bearer: rs-bearer
tokens:
  - {token: refresh-1, kind: refresh_token, client_id: web-app, grant: g1}
  - {token: refresh-1b, kind: refresh_token, client_id: web-app, grant: g1}
  - {token: access-1a, client_id: web-app, grant: g1, scope: orders:read}
  - {token: access-1b, kind: access_token, client_id: web-app, grant: g1}
  - {token: access-2, client_id: web-app, grant: g2}
  - {token: access-lone, client_id: web-app}
  - {token: refresh-lone, kind: refresh_token, client_id: web-app}
  - {token: revoked-refresh, kind: refresh_token, revoked: true, grant: g4}
  - {token: access-4, grant: g4}
  - {token: legacy-refresh, kind: refresh_token, client_id: legacy-app, grant: g3}
  - {token: legacy-access, client_id: legacy-app, grant: g3}
  - {token: mobile-token, client_id: mobile-app}
  - {token: public-token, client_id: public-app}
  - {token: no-client-token}
  - {token: typed-refresh, kind: refresh_token, token_type: refresh_token, client_id: web-app, sub: alice}
  - {token: orders-only, scope: orders:read, introspectable_by: [orders-rs, web-app]}
  - {token: orders-one, introspectable_by: orders-rs}
`

// lifecycleServer serves lifecycleYAML, loaded as the binary loads files,
// with the admin API on.
func lifecycleServer(t *testing.T) (*httptest.Server, *mockserver.Server) {
	t.Helper()
	set, err := fixtures.Load(t0, writeFixture(t, lifecycleYAML))
	if err != nil {
		t.Fatal(err)
	}
	return start(t, mockserver.WithFixtures(set), mockserver.WithClock(newClock()))
}

func writeFixture(t *testing.T, doc string) string {
	t.Helper()
	name := t.TempDir() + "/lifecycle.yaml"
	if err := os.WriteFile(name, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// lcIntrospect introspects tok with Basic credentials, or as a bearer
// when secret is "".
func lcIntrospect(t testing.TB, ts *httptest.Server, id, secret, tok string, kv ...string) resp {
	t.Helper()
	auth := "Bearer " + id
	if secret != "" {
		auth = basic(id, secret)
	}
	return do(t, ts, req{header: hdr("Authorization", auth), body: form(append([]string{"token", tok}, kv...)...)})
}

// lcRevoke revokes tok with Basic credentials, or as a bearer when secret
// is "".
func lcRevoke(t testing.TB, ts *httptest.Server, id, secret, tok string, kv ...string) resp {
	t.Helper()
	auth := "Bearer " + id
	if secret != "" {
		auth = basic(id, secret)
	}
	return do(t, ts, req{path: "/revoke", header: hdr("Authorization", auth), body: form(append([]string{"token", tok}, kv...)...)})
}

// activeTokens returns which of toks introspect active for rs.
func activeTokens(t testing.TB, ts *httptest.Server, toks ...string) []string {
	t.Helper()
	var out []string
	for _, tok := range toks {
		r := lcIntrospect(t, ts, "rs", "rs-secret", tok)
		if r.status != 200 {
			t.Fatalf("introspect %s: %d %s", tok, r.status, r.body)
		}
		if r.body != inactive {
			out = append(out, tok)
		}
	}
	return out
}

var grantTokens = []string{"refresh-1", "refresh-1b", "access-1a", "access-1b", "access-2", "access-lone", "refresh-lone"}

// TestRefreshRevokesGrant: revoking a refresh token, by every route, ends
// the access tokens of its grant, and only those (docs/conformance.md RV-5, TL-5).
func TestRefreshRevokesGrant(t *testing.T) {
	t.Parallel()
	routes := map[string]func(t *testing.T, ts *httptest.Server, srv *mockserver.Server, tok string){
		"RFC 7009": func(t *testing.T, ts *httptest.Server, _ *mockserver.Server, tok string) {
			if r := lcRevoke(t, ts, "rs", "rs-secret", tok); r.status != 200 || r.body != "" {
				t.Fatalf("revoke: %d %q; want 200, empty body", r.status, r.body)
			}
		},
		"RFC 7009 with a wrong hint": func(t *testing.T, ts *httptest.Server, _ *mockserver.Server, tok string) {
			// docs/conformance.md RV-4: the hint is advisory.
			if r := lcRevoke(t, ts, "rs", "rs-secret", tok, "token_type_hint", "access_token"); r.status != 200 {
				t.Fatalf("revoke: %d %s", r.status, r.body)
			}
		},
		"admin API": func(t *testing.T, ts *httptest.Server, _ *mockserver.Server, tok string) {
			if r := admin(t, ts, "POST", "/admin/tokens/"+tok+"/revoke", ""); r.status != 204 {
				t.Fatalf("admin revoke: %d %s", r.status, r.body)
			}
		},
		"Namespace.Revoke": func(t *testing.T, _ *httptest.Server, srv *mockserver.Server, tok string) {
			if err := srv.Default().Revoke(tok); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
		},
	}
	for name, revoke := range routes {
		t.Run("RV-5/"+name, func(t *testing.T) {
			t.Parallel()
			ts, srv := lifecycleServer(t)
			revoke(t, ts, srv, "refresh-1")
			// Its grant's access tokens go; the other refresh token of the
			// grant, another grant and tokens without one stay.
			want := []string{"refresh-1b", "access-2", "access-lone", "refresh-lone"}
			if got := activeTokens(t, ts, grantTokens...); !slices.Equal(got, want) {
				t.Errorf("active after revoking refresh-1: %v; want %v", got, want)
			}
		})
	}

	t.Run("RV-5/revoking an access token revokes only itself", func(t *testing.T) {
		t.Parallel()
		ts, _ := lifecycleServer(t)
		lcRevoke(t, ts, "rs", "rs-secret", "access-1a")
		want := []string{"refresh-1", "refresh-1b", "access-1b", "access-2", "access-lone", "refresh-lone"}
		if got := activeTokens(t, ts, grantTokens...); !slices.Equal(got, want) {
			t.Errorf("active after revoking access-1a: %v; want %v", got, want)
		}
	})
	t.Run("RV-5/revoked at load revokes only itself", func(t *testing.T) {
		t.Parallel()
		ts, _ := lifecycleServer(t)
		if got := activeTokens(t, ts, "revoked-refresh", "access-4"); !slices.Equal(got, []string{"access-4"}) {
			t.Errorf("active: %v; want [access-4]", got)
		}
	})
	t.Run("RV-5/a refresh token without grant revokes only itself", func(t *testing.T) {
		t.Parallel()
		ts, _ := lifecycleServer(t)
		lcRevoke(t, ts, "rs", "rs-secret", "refresh-lone")
		if got := activeTokens(t, ts, grantTokens...); slices.Contains(got, "refresh-lone") || len(got) != len(grantTokens)-1 {
			t.Errorf("active after revoking refresh-lone: %v; want all but it", got)
		}
	})
	t.Run("RV-5/AddToken grants", func(t *testing.T) {
		t.Parallel()
		ts, srv := lifecycleServer(t)
		ns := srv.Default()
		ref, err := ns.AddToken(mockserver.Token{Kind: mockserver.KindRefreshToken, Grant: "code-grant"})
		if err != nil {
			t.Fatal(err)
		}
		acc, err := ns.AddToken(mockserver.Token{Grant: "code-grant", ExpiresIn: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		lcRevoke(t, ts, "rs", "rs-secret", ref)
		if got := activeTokens(t, ts, ref, acc, "access-1a"); !slices.Equal(got, []string{"access-1a"}) {
			t.Errorf("active: %v; want only access-1a (another grant)", got)
		}
	})
}

// TestRefreshTokenAnswer: a refresh token introspects like any token; kind
// and grant are not members, token_type is what the fixture sets (docs/conformance.md
// PF-19, IR-6), and the hint changes nothing (docs/conformance.md IQ-4).
func TestRefreshTokenAnswer(t *testing.T) {
	t.Parallel()
	ts, _ := lifecycleServer(t)
	for _, hint := range []string{"", "access_token", "refresh_token", "bogus"} {
		r := lcIntrospect(t, ts, "rs", "rs-secret", "refresh-1", "token_type_hint", hint)
		var m map[string]any
		if err := json.Unmarshal([]byte(r.body), &m); err != nil {
			t.Fatal(err)
		}
		keys := slices.Sorted(maps.Keys(m))
		want := []string{"active", "client_id", "exp", "iss", "token_type"}
		if r.status != 200 || m["active"] != true || m["token_type"] != "Bearer" || !slices.Equal(keys, want) {
			t.Errorf("PF-19,IQ-4/hint %q: %d %s; want active with members %v, token_type Bearer", hint, r.status, r.body, want)
		}
	}
	r := lcIntrospect(t, ts, "rs", "rs-secret", "typed-refresh")
	if !strings.Contains(r.body, `"token_type":"refresh_token"`) {
		t.Errorf("PF-19/token_type as set: %s", r.body)
	}
}

// TestRevocationOwnership: a client with revocation_ownership may revoke
// only tokens whose client_id is its own (docs/conformance.md RV-6, RFC 7009 §2.1).
func TestRevocationOwnership(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		id, secret string
		token      string
		wantStatus int
		wantErr    string
		wantActive bool
	}{
		{"RV-6/other client's token is refused", "web-app", "web-secret", "mobile-token", 400, "unauthorized_client", true},
		{"RV-6/token without client_id is refused", "web-app", "web-secret", "no-client-token", 400, "unauthorized_client", true},
		{"RV-6/own token is revoked", "web-app", "web-secret", "access-lone", 200, "", false},
		{"RV-6,RV-3/unknown token is 200", "web-app", "web-secret", "no-such-token", 200, "", false},
		{"RV-6/a wrong hint changes nothing", "web-app", "web-secret", "mobile-token", 400, "unauthorized_client", true},
		{"RV-6/without the option any token", "rs", "rs-secret", "mobile-token", 200, "", false},
		{"RV-6/public client, own token", "public-app", "", "public-token", 200, "", false},
		{"RV-6/public client, other token", "public-app", "", "mobile-token", 400, "unauthorized_client", true},
		{"RV-6/fixture bearer has no options", "rs-bearer", "", "mobile-token", 200, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts, srv := lifecycleServer(t)
			var r resp
			switch {
			case tt.id == "public-app":
				r = do(t, ts, req{path: "/revoke", body: form("token", tt.token, "client_id", tt.id)})
			default:
				r = lcRevoke(t, ts, tt.id, tt.secret, tt.token, "token_type_hint", "refresh_token")
			}
			if r.status != tt.wantStatus {
				t.Fatalf("revoke: %d %s; want %d", r.status, r.body, tt.wantStatus)
			}
			if tt.wantErr != "" {
				if e := decodeErr(t, r.body); e.Error != tt.wantErr {
					t.Errorf("error %q; want %q", e.Error, tt.wantErr)
				}
				checkJSONType(t, r)
				checkNoStore(t, r)
				calls := callsOf(srv.Default())
				if last := calls[len(calls)-1]; last.Endpoint != mockserver.EndpointRevoke || last.Status != tt.wantStatus {
					t.Errorf("journal: %+v; want the refused revocation", last)
				}
			} else if r.body != "" {
				t.Errorf("body %q; want empty (docs/conformance.md RV-3)", r.body)
			}
			if tt.token != "no-such-token" {
				if got := len(activeTokens(t, ts, tt.token)) == 1; got != tt.wantActive {
					t.Errorf("%s active = %v; want %v", tt.token, got, tt.wantActive)
				}
			}
		})
	}

	t.Run("RV-6/issued bearer token counts as its client", func(t *testing.T) {
		t.Parallel()
		ts, _ := lifecycleServer(t)
		tr := do(t, ts, req{path: "/token", header: hdr("Authorization", basic("web-app", "web-secret")), body: "grant_type=client_credentials"})
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal([]byte(tr.body), &tok); err != nil || tok.AccessToken == "" {
			t.Fatalf("token: %d %s", tr.status, tr.body)
		}
		if r := lcRevoke(t, ts, tok.AccessToken, "", "mobile-token"); r.status != 400 || decodeErr(t, r.body).Error != "unauthorized_client" {
			t.Errorf("other token: %d %s; want 400 unauthorized_client", r.status, r.body)
		}
		if r := lcRevoke(t, ts, tok.AccessToken, "", "access-lone"); r.status != 200 {
			t.Errorf("own token: %d %s; want 200", r.status, r.body)
		}
		if got := activeTokens(t, ts, "mobile-token", "access-lone"); !slices.Equal(got, []string{"mobile-token"}) {
			t.Errorf("active: %v; want [mobile-token]", got)
		}
	})
	t.Run("RV-6/admin and Go revocation skip the client checks", func(t *testing.T) {
		t.Parallel()
		ts, srv := lifecycleServer(t)
		srv.Default().Revoke("mobile-token")
		admin(t, ts, "POST", "/admin/tokens/no-client-token/revoke", "")
		if got := activeTokens(t, ts, "mobile-token", "no-client-token"); len(got) != 0 {
			t.Errorf("active: %v; want none", got)
		}
	})
}

// TestRevokeAccessTokensFalse: a client with revoke_access_tokens: false
// cannot revoke access tokens (docs/conformance.md RV-6, RFC 7009 §2.2.1); its refresh
// token revocation leaves the grant's access tokens alone.
func TestRevokeAccessTokensFalse(t *testing.T) {
	t.Parallel()
	ts, _ := lifecycleServer(t)
	for _, hint := range []string{"", "refresh_token"} { // docs/conformance.md RV-4: the hint does not help
		r := lcRevoke(t, ts, "legacy-app", "legacy-secret", "legacy-access", "token_type_hint", hint)
		if r.status != 400 || decodeErr(t, r.body).Error != "unsupported_token_type" {
			t.Errorf("RV-6/access token, hint %q: %d %s; want 400 unsupported_token_type", hint, r.status, r.body)
		}
		checkNoStore(t, r)
	}
	if r := lcRevoke(t, ts, "legacy-app", "legacy-secret", "no-such-token"); r.status != 200 {
		t.Errorf("RV-6,RV-3/unknown token: %d %s; want 200", r.status, r.body)
	}
	if got := activeTokens(t, ts, "legacy-access"); len(got) != 1 {
		t.Fatal("RV-6/refused access token is no longer active")
	}
	if r := lcRevoke(t, ts, "legacy-app", "legacy-secret", "legacy-refresh"); r.status != 200 {
		t.Errorf("RV-6/refresh token: %d %s; want 200", r.status, r.body)
	}
	if got := activeTokens(t, ts, "legacy-refresh", "legacy-access"); !slices.Equal(got, []string{"legacy-access"}) {
		t.Errorf("RV-6/active after revoking legacy-refresh: %v; want [legacy-access] (no cascade for this client)", got)
	}
	// Another caller revokes access tokens as usual.
	if r := lcRevoke(t, ts, "rs", "rs-secret", "legacy-access"); r.status != 200 || len(activeTokens(t, ts, "legacy-access")) != 0 {
		t.Errorf("RV-6/rs revoking legacy-access: %d %s; want 200 and revoked", r.status, r.body)
	}
}

// TestIntrospectableBy: a token limited to some clients is inactive to
// every other caller (docs/conformance.md TL-6, IR-7).
func TestIntrospectableBy(t *testing.T) {
	t.Parallel()
	ts, srv := lifecycleServer(t)
	tr := do(t, ts, req{path: "/token", header: hdr("Authorization", basic("web-app", "web-secret")), body: "grant_type=client_credentials"})
	var issued struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(tr.body), &issued); err != nil || issued.AccessToken == "" {
		t.Fatalf("token: %d %s", tr.status, tr.body)
	}
	tests := []struct {
		name       string
		id, secret string
		token      string
		wantActive bool
	}{
		{"TL-6/listed client", "orders-rs", "orders-secret", "orders-only", true},
		{"TL-6/listed as a single string", "orders-rs", "orders-secret", "orders-one", true},
		{"TL-6,IR-7/other client", "billing-rs", "billing-secret", "orders-only", false},
		{"TL-6,IR-7/other client, single string", "web-app", "web-secret", "orders-one", false},
		{"TL-6/fixture bearer has no client_id", "rs-bearer", "", "orders-only", false},
		{"TL-6/issued bearer counts as its client", issued.AccessToken, "", "orders-only", true},
		{"TL-6/unlimited tokens for everyone", "billing-rs", "billing-secret", "access-lone", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := lcIntrospect(t, ts, tt.id, tt.secret, tt.token)
			if r.status != 200 {
				t.Fatalf("status %d %s; want 200", r.status, r.body)
			}
			switch {
			case !tt.wantActive && r.body != inactive:
				t.Errorf("body %s; want exactly %s", r.body, inactive)
			case tt.wantActive && !strings.HasPrefix(r.body, `{"active":true`):
				t.Errorf("body %s; want active", r.body)
			}
		})
	}
	t.Run("TL-6/a fault does not leak the answer", func(t *testing.T) {
		srv.Default().FailNext(1, mockserver.Fault{Malformed: fixtures.MalformedContentType})
		r := lcIntrospect(t, ts, "billing-rs", "billing-secret", "orders-only")
		if r.body != inactive {
			t.Errorf("wrong_content_type fault for another client: body %s; want %s", r.body, inactive)
		}
	})
	t.Run("TL-6/a script state does not widen it", func(t *testing.T) {
		if err := srv.Default().SetScript("orders-only", []mockserver.Step{{When: mockserver.Always(), State: mockserver.StateActive}}); err != nil {
			t.Fatal(err)
		}
		if r := lcIntrospect(t, ts, "billing-rs", "billing-secret", "orders-only"); r.body != inactive {
			t.Errorf("body %s; want %s", r.body, inactive)
		}
	})
	t.Run("TL-6/allow_anonymous callers have no client_id", func(t *testing.T) {
		set := &fixtures.Set{AllowAnonymous: true, Clients: []fixtures.Client{{ClientID: "orders-rs", ClientSecret: "s"}},
			Tokens: []fixtures.Token{{Token: "limited", IntrospectableBy: []string{"orders-rs"}}, {Token: "open"}}}
		ts, _ := start(t, mockserver.WithFixtures(set))
		if r := do(t, ts, req{body: "token=limited"}); r.body != inactive {
			t.Errorf("anonymous caller, limited token: %s; want %s", r.body, inactive)
		}
		if r := do(t, ts, req{body: "token=open"}); !strings.HasPrefix(r.body, `{"active":true`) {
			t.Errorf("anonymous caller, open token: %s; want active", r.body)
		}
	})
}

// TestLifecycleGoAPI: Token's Kind, Grant and IntrospectableBy go in
// through AddToken and come back from Lookup; a bad kind is an error.
func TestLifecycleGoAPI(t *testing.T) {
	t.Parallel()
	_, srv := lifecycleServer(t)
	ns := srv.Default()
	tok, err := ns.AddToken(mockserver.Token{Kind: mockserver.KindRefreshToken, Grant: "g9", IntrospectableBy: []string{"orders-rs"}})
	if err != nil {
		t.Fatal(err)
	}
	ti, err := ns.Lookup(tok)
	if err != nil || ti.Kind != mockserver.KindRefreshToken || ti.Grant != "g9" || !slices.Equal(ti.IntrospectableBy, []string{"orders-rs"}) {
		t.Errorf("Lookup = %+v, %v; want the kind, grant and introspectable_by given", ti.Token, err)
	}
	ti, _ = ns.Lookup("orders-only")
	if !slices.Equal(ti.IntrospectableBy, []string{"orders-rs", "web-app"}) || ti.Kind != "" {
		t.Errorf("fixture token: %+v", ti.Token)
	}
	_, err = ns.AddToken(mockserver.Token{Kind: "id_token"})
	if err == nil || !strings.Contains(err.Error(), `unknown kind "id_token"`) {
		t.Errorf("AddToken with a bad kind: %v; want an unknown kind error", err)
	}
	if errors.Is(err, mockserver.ErrExists) {
		t.Errorf("bad kind reported as %v", err)
	}
}

// TestLifecycleAdmin: the admin API takes and shows the same keys as
// fixtures.
func TestLifecycleAdmin(t *testing.T) {
	t.Parallel()
	ts, _ := lifecycleServer(t)
	steps := []adminStep{
		{"add a refresh token", "POST", "/admin/tokens", `{"token":"adm-refresh","kind":"refresh_token","grant":"ga","client_id":"web-app"}`, 201, `{"token":"adm-refresh"}`},
		{"add an access token of its grant", "POST", "/admin/tokens", `{"token":"adm-access","grant":"ga","introspectable_by":["rs"],"exp":"+1h"}`, 201, `{"token":"adm-access"}`},
		{"show the keys", "GET", "/admin/tokens/adm-access", "", 200, `~"grant":"ga","introspectable_by":["rs"]`},
		{"show the kind", "GET", "/admin/tokens/adm-refresh", "", 200, `~"kind":"refresh_token","grant":"ga"`},
		{"bad kind", "POST", "/admin/tokens", `{"kind":"refresh"}`, 400, `~kind: unknown kind 'refresh' (want access_token or refresh_token)`},
		{"empty introspectable_by", "POST", "/admin/tokens", `{"introspectable_by":[]}`, 400, `~introspectable_by: empty introspectable_by`},
		{"add a client with both options", "POST", "/admin/clients", `{"client_id":"adm-app","client_secret":"s","revocation_ownership":true,"revoke_access_tokens":false}`, 201, `{"client_id":"adm-app"}`},
		{"revoke the refresh token", "POST", "/admin/tokens/adm-refresh/revoke", "", 204, ""},
		{"its grant's access token is revoked", "GET", "/admin/tokens/adm-access", "", 200, `~"state":"revoked"`},
	}
	for _, st := range steps {
		st.check(t, ts)
	}
	// The client's options apply at once.
	if r := lcRevoke(t, ts, "adm-app", "s", "mobile-token"); r.status != 400 || decodeErr(t, r.body).Error != "unauthorized_client" {
		t.Errorf("RV-6/admin-added client: %d %s; want 400 unauthorized_client", r.status, r.body)
	}
}

// TestLifecycleBadKindInSet: a Set built in code with an unknown kind is
// refused by New, naming the token.
func TestLifecycleBadKindInSet(t *testing.T) {
	t.Parallel()
	_, err := mockserver.New(mockserver.WithFixtures(&fixtures.Set{Tokens: []fixtures.Token{{Token: "t", Kind: "refresh"}}}))
	if err == nil || !strings.Contains(err.Error(), `tokens[0]: kind: unknown kind "refresh"`) {
		t.Errorf("New: %v; want an unknown kind error for tokens[0]", err)
	}
}
