package mockserver_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// flowSet is a fixture set for the authorization code flow: users, a
// confidential and a public client, and a resource server.
func flowSet() *fixtures.Set {
	return &fixtures.Set{
		Users: []fixtures.User{
			{Sub: "u-alice", Username: "alice", Default: true, Claims: map[string]any{"email": "alice@example.com"}},
			{Sub: "u-bob", Username: "bob", Password: "builder", Claims: map[string]any{"email": "bob@example.com"}},
		},
		Clients: []fixtures.Client{
			{ClientID: rsID, ClientSecret: rsSecret},
			{ClientID: "web", ClientSecret: "web-secret", RedirectURIs: []string{"http://127.0.0.1/callback"}},
			{ClientID: "spa", AuthMethods: []string{fixtures.AuthNone}, RedirectURIs: []string{"http://127.0.0.1/spa", "https://spa.example/cb?x=1"},
				PostLogoutRedirectURIs: []string{"https://spa.example/bye"}},
		},
	}
}

// noRedirects is a client that shows redirects instead of following them:
// the code comes back in a Location header, no browser needed.
func noRedirects(ts *httptest.Server) *http.Client {
	c := *ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// authorize calls the authorization URL and returns the redirect's query.
func authorize(t *testing.T, c *http.Client, authURL string) url.Values {
	t.Helper()
	res, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("GET %s: status %d; want 302", authURL, res.StatusCode)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc.Query()
}

// TestAuthCodeFlowXOAuth2GoOIDC is the whole flow with golang.org/x/oauth2
// and github.com/coreos/go-oidc/v3: discovery, PKCE S256 authorization with
// a nonce and no browser, the code exchanged, the id_token verified
// (signature by jwks_uri's kid, iss, aud, exp, nonce, at_hash), userinfo,
// the access token introspected, a refresh with rotation, and the old
// refresh token presented again revoking the whole family (RFC 9700
// §4.14.2).
func TestAuthCodeFlowXOAuth2GoOIDC(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(flowSet()))
	ctx := oidc.ClientContext(context.Background(), ts.Client())

	provider, err := oidc.NewProvider(ctx, ts.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var disco struct {
		Methods []string `json:"code_challenge_methods_supported"`
		EndSess string   `json:"end_session_endpoint"`
	}
	if err := provider.Claims(&disco); err != nil || len(disco.Methods) != 1 || disco.Methods[0] != "S256" || disco.EndSess != ts.URL+"/logout" {
		t.Errorf("discovery: %+v, %v", disco, err)
	}
	for _, tc := range []struct{ name, id, secret string }{{"confidential", "web", "web-secret"}, {"public", "spa", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			redirect := "http://127.0.0.1:8123/callback" // any loopback port (RFC 8252 §7.3)
			if tc.id == "spa" {
				redirect = "http://127.0.0.1:9/spa"
			}
			conf := &oauth2.Config{ClientID: tc.id, ClientSecret: tc.secret, Endpoint: provider.Endpoint(),
				RedirectURL: redirect, Scopes: []string{oidc.ScopeOpenID, "email"}}
			verifier := oauth2.GenerateVerifier()
			q := authorize(t, noRedirects(ts), conf.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n-1")))
			if q.Get("state") != "st-1" || q.Get("iss") != ts.URL || q.Get("code") == "" {
				t.Fatalf("authorization response %v; want code, state st-1 and iss %s (RFC 9207)", q, ts.URL)
			}
			tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := provider.Verifier(&oidc.Config{ClientID: tc.id}).Verify(ctx, raw)
			if err != nil {
				t.Fatalf("id_token: %v", err)
			}
			var claims struct {
				Email    string `json:"email"`
				Username string `json:"preferred_username"`
				AuthTime int64  `json:"auth_time"`
			}
			if err := idt.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			if idt.Subject != "u-alice" || idt.Nonce != "n-1" || claims.Email != "alice@example.com" || claims.Username != "alice" || claims.AuthTime == 0 {
				t.Errorf("id_token sub %q nonce %q claims %+v", idt.Subject, idt.Nonce, claims)
			}
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Errorf("at_hash: %v", err)
			}
			info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil || info.Subject != "u-alice" || info.Email != "alice@example.com" {
				t.Errorf("userinfo = %+v, %v", info, err)
			}

			intro := introspectJSON(t, ts, tok.AccessToken)
			if intro["active"] != true || intro["sub"] != "u-alice" || intro["username"] != "alice" || intro["client_id"] != tc.id ||
				intro["email"] != "alice@example.com" || intro["scope"] != "openid email" {
				t.Errorf("introspection = %v", intro)
			}

			// Refresh: a new access token and a new refresh token.
			old := tok.RefreshToken
			fresh, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: old}).Token()
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if fresh.RefreshToken == "" || fresh.RefreshToken == old || fresh.AccessToken == tok.AccessToken {
				t.Fatalf("refresh did not rotate: %+v", fresh)
			}
			if introspectJSON(t, ts, fresh.AccessToken)["active"] != true || introspectJSON(t, ts, old)["active"] != false {
				t.Errorf("after rotation: new access token inactive, or old refresh token still active")
			}
			// The rotated refresh token again: invalid_grant, and the family is gone.
			_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: old}).Token()
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Fatalf("reused refresh token: %v; want invalid_grant", err)
			}
			for name, tk := range map[string]string{"first access": tok.AccessToken, "new access": fresh.AccessToken, "new refresh": fresh.RefreshToken} {
				if introspectJSON(t, ts, tk)["active"] != false {
					t.Errorf("%s token still active after refresh token reuse (RFC 9700 §4.14.2)", name)
				}
			}
			if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken}).Token(); err == nil {
				t.Error("the family's newest refresh token still works after reuse")
			}
		})
	}
}

// introspectJSON introspects tok as the resource server.
func introspectJSON(t *testing.T, ts *httptest.Server, tok string) map[string]any {
	t.Helper()
	got := do(t, ts, req{header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=" + url.QueryEscape(tok)})
	if got.status != 200 {
		t.Fatalf("introspect: %d %s", got.status, got.body)
	}
	var m map[string]any
	decodeJSON(t, got.body, &m)
	return m
}

// TestAuthCodeExchangeByHand drives the token endpoint's checks
// (RFC 6749 §4.1.3, RFC 7636 §4.6): a second use of a code revokes what
// the first gave; a wrong verifier, another client or another redirect
// URI is invalid_grant.
func TestAuthCodeExchangeByHand(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(flowSet()))
	c := noRedirects(ts)
	verifier := oauth2.GenerateVerifier()
	challenge := oauth2.S256ChallengeFromVerifier(verifier)
	code := func() string {
		q := authorize(t, c, ts.URL+"/authorize?response_type=code&client_id=spa&redirect_uri="+url.QueryEscape("http://127.0.0.1:5000/spa")+
			"&code_challenge="+challenge+"&code_challenge_method=S256&scope=read")
		return q.Get("code")
	}
	exchange := func(form string) resp {
		return do(t, ts, req{path: "/token", body: "grant_type=authorization_code&client_id=spa&" + form})
	}
	redir := "&redirect_uri=" + url.QueryEscape("http://127.0.0.1:5000/spa")

	k := code()
	for _, tc := range []struct{ name, form, want string }{
		{"no verifier", "code=" + k + redir, "code_verifier is required"},
		{"wrong verifier", "code=" + k + redir + "&code_verifier=" + oauth2.GenerateVerifier(), "does not match"},
		{"other redirect", "code=" + k + "&redirect_uri=http://127.0.0.1:5000/other&code_verifier=" + verifier, "redirect_uri differs"},
		{"no code", redir, "code is required"},
	} {
		got := exchange(tc.form)
		if got.status != 400 || !strings.Contains(got.body, tc.want) {
			t.Errorf("%s: %d %s; want 400 with %q", tc.name, got.status, got.body, tc.want)
		}
	}
	got := do(t, ts, req{path: "/token", header: hdr("Authorization", basic("web", "web-secret")),
		body: "grant_type=authorization_code&code=" + k + redir + "&code_verifier=" + verifier})
	if got.status != 400 || !strings.Contains(got.body, `"invalid_grant"`) || !strings.Contains(got.body, "another client") {
		t.Errorf("another client: %d %s", got.status, got.body)
	}
	first := exchange("code=" + k + redir + "&code_verifier=" + verifier)
	if first.status != 200 {
		t.Fatalf("exchange: %d %s", first.status, first.body)
	}
	var tok struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
		IDToken string `json:"id_token"`
	}
	decodeJSON(t, first.body, &tok)
	if tok.IDToken != "" {
		t.Error("id_token without the openid scope")
	}
	if introspectJSON(t, ts, tok.Access)["active"] != true {
		t.Fatal("issued access token inactive")
	}
	again := exchange("code=" + k + redir + "&code_verifier=" + verifier)
	if again.status != 400 || !strings.Contains(again.body, "already used") {
		t.Errorf("second use: %d %s", again.status, again.body)
	}
	for _, tk := range []string{tok.Access, tok.Refresh} {
		if introspectJSON(t, ts, tk)["active"] != false {
			t.Error("a token of a code used twice is still active (RFC 6749 §4.1.2)")
		}
	}
	// A confidential client's code without PKCE; a verifier sent anyway is refused.
	q := authorize(t, c, ts.URL+"/authorize?response_type=code&client_id=web&state=s")
	got = do(t, ts, req{path: "/token", header: hdr("Authorization", basic("web", "web-secret")),
		body: "grant_type=authorization_code&code=" + q.Get("code") + "&code_verifier=" + verifier})
	if got.status != 400 || !strings.Contains(got.body, "had no code_challenge") {
		t.Errorf("verifier without challenge: %d %s", got.status, got.body)
	}
}

// TestRefreshNarrowsOnlyTheAccessToken covers RFC 6749 §6: a refresh
// may narrow the new access token's scope, but the new refresh token keeps
// the scope of the one presented, so a later refresh without scope gets
// the whole grant back; more than was granted stays invalid_scope.
func TestRefreshNarrowsOnlyTheAccessToken(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(flowSet()))
	q := authorize(t, noRedirects(ts), ts.URL+"/authorize?response_type=code&client_id=web&scope=read+write")
	web := hdr("Authorization", basic("web", "web-secret"))
	var tok struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
		Scope   string `json:"scope"`
	}
	step := func(name, form string, wantScope string) {
		t.Helper()
		got := do(t, ts, req{path: "/token", header: web, body: form})
		if got.status != 200 {
			t.Fatalf("%s: %d %s", name, got.status, got.body)
		}
		decodeJSON(t, got.body, &tok)
		if tok.Scope != wantScope {
			t.Errorf("%s: scope %q; want %q", name, tok.Scope, wantScope)
		}
		if sc := introspectJSON(t, ts, tok.Access)["scope"]; sc != wantScope {
			t.Errorf("%s: the access token introspects scope %v; want %q", name, sc, wantScope)
		}
		if sc := introspectJSON(t, ts, tok.Refresh)["scope"]; sc != "read write" {
			t.Errorf("%s: the refresh token introspects scope %v; want the grant's %q", name, sc, "read write")
		}
	}
	step("code", "grant_type=authorization_code&code="+q.Get("code"), "read write")
	step("narrowed refresh", "grant_type=refresh_token&scope=read&refresh_token="+tok.Refresh, "read")
	step("refresh without scope", "grant_type=refresh_token&refresh_token="+tok.Refresh, "read write")
	got := do(t, ts, req{path: "/token", header: web, body: "grant_type=refresh_token&scope=read+admin&refresh_token=" + tok.Refresh})
	if got.status != 400 || !strings.Contains(got.body, `"invalid_scope"`) {
		t.Errorf("wider than the grant: %d %s; want 400 invalid_scope", got.status, got.body)
	}
}

// TestAuthorizeErrors covers RFC 6749 §4.1.2.1: before the redirect URI
// is trusted, a 400 page; after, a redirect with error, state and iss.
func TestAuthorizeErrors(t *testing.T) {
	t.Parallel()
	ts, srv := start(t, mockserver.WithFixtures(flowSet()))
	c := noRedirects(ts)
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	for _, tc := range []struct{ name, query, want string }{
		{"no client_id", "response_type=code", "client_id is missing"},
		{"unknown client", "response_type=code&client_id=nobody", "no client has this client_id"},
		{"unregistered redirect", "response_type=code&client_id=web&redirect_uri=https://evil.example/cb", "not one the client registered"},
		{"loopback other path", "response_type=code&client_id=web&redirect_uri=http://127.0.0.1:80/other", "not one the client registered"},
		{"no redirect URIs", "response_type=code&client_id=" + rsID, "no registered redirect URIs"},
		{"two client_ids", "response_type=code&client_id=web&client_id=spa", "repeated"},
	} {
		res, err := c.Get(ts.URL + "/authorize?" + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, res)
		if res.StatusCode != 400 || !strings.Contains(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s %s; want a 400 page with %q", tc.name, res.StatusCode, res.Header.Get("Content-Type"), body, tc.want)
		}
	}
	for _, tc := range []struct{ name, query, code, desc string }{
		{"no response_type", "client_id=web", "invalid_request", "response_type is missing"},
		{"token response_type", "client_id=web&response_type=token", "unsupported_response_type", ""},
		{"public without PKCE", "client_id=spa&response_type=code&redirect_uri=http://127.0.0.1/spa", "invalid_request", "PKCE"},
		{"plain PKCE", "client_id=spa&response_type=code&redirect_uri=http://127.0.0.1/spa&code_challenge=" + challenge + "&code_challenge_method=plain", "invalid_request", "plain is not allowed"},
		{"unknown login_hint", "client_id=web&response_type=code&login_hint=zed", "access_denied", "login_hint"},
		{"openid unknown login_hint", "client_id=web&response_type=code&scope=openid&redirect_uri=http://127.0.0.1/callback&login_hint=zed", "login_required", ""},
		// OpenID Connect Core §3.1.2.1, §6.1, §6.2: refused, not ignored, with scope openid.
		{"openid prompt none with login", "client_id=web&response_type=code&scope=openid&redirect_uri=http://127.0.0.1/callback&prompt=none+login", "invalid_request", "prompt=none"},
		{"openid request object", "client_id=web&response_type=code&scope=openid&redirect_uri=http://127.0.0.1/callback&request=eyJhbGciOiJub25lIn0.e30.", "request_not_supported", ""},
		{"openid request_uri", "client_id=web&response_type=code&scope=openid&redirect_uri=http://127.0.0.1/callback&request_uri=" + url.QueryEscape("https://rp.example/req.jwt"), "request_uri_not_supported", ""},
	} {
		q := authorize(t, c, ts.URL+"/authorize?state=xyz&"+tc.query)
		if q.Get("error") != tc.code || q.Get("state") != "xyz" || q.Get("iss") != ts.URL || !strings.Contains(q.Get("error_description"), tc.desc) || q.Get("code") != "" {
			t.Errorf("%s: redirect query %v; want error %s (%q), state and iss", tc.name, q, tc.code, tc.desc)
		}
	}
	// A body over 1 MiB is 413 (RFC 9110 §15.5.14), at /logout too.
	big := "client_id=web&state=" + strings.Repeat("a", 1<<20)
	for _, path := range []string{"/authorize", "/logout"} {
		res, err := c.Post(ts.URL+path, "application/x-www-form-urlencoded", strings.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		if body := readAll(t, res); res.StatusCode != 413 || !strings.Contains(body, "larger than 1 MiB") {
			t.Errorf("POST %s of 1 MiB and more: %d %s; want a 413 page", path, res.StatusCode, body)
		}
	}
	// Without openid they are unknown OAuth parameters, ignored (RFC 6749 §3.1).
	if q := authorize(t, c, ts.URL+"/authorize?response_type=code&client_id=web&request_uri=x&request=y"); q.Get("code") == "" {
		t.Errorf("OAuth request with request and request_uri: %v; want a code", q)
	}
	// A redirect URI with a query keeps it (RFC 6749 §3.1.2).
	res, err := c.Get(ts.URL + "/authorize?response_type=code&client_id=spa&redirect_uri=" + url.QueryEscape("https://spa.example/cb?x=1") + "&code_challenge=" + challenge + "&code_challenge_method=S256")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "https://spa.example/cb?x=1&") || !strings.Contains(loc, "code=") {
		t.Errorf("Location = %s", loc)
	}

	// Who logs in: login_hint, then the next login, then the default user.
	ns := srv.Default()
	sub := func(extra string) string {
		q := authorize(t, c, ts.URL+"/authorize?response_type=code&client_id=web"+extra)
		got := do(t, ts, req{path: "/token", header: hdr("Authorization", basic("web", "web-secret")), body: "grant_type=authorization_code&code=" + q.Get("code")})
		var tok struct {
			Access string `json:"access_token"`
		}
		decodeJSON(t, got.body, &tok)
		s, _ := introspectJSON(t, ts, tok.Access)["sub"].(string)
		return s
	}
	if got := sub(""); got != "u-alice" {
		t.Errorf("default user: sub %q", got)
	}
	if got := sub("&login_hint=bob"); got != "u-bob" {
		t.Errorf("login_hint=bob: sub %q", got)
	}
	if err := ns.SetNextLogin("bob"); err != nil {
		t.Fatal(err)
	}
	if got := sub(""); got != "u-bob" {
		t.Errorf("next login bob: sub %q", got)
	}
	if got := sub(""); got != "u-alice" {
		t.Errorf("the next login applies once: sub %q", got)
	}
	if err := ns.SetNextLogin("nobody"); !errors.Is(err, mockserver.ErrNotFound) {
		t.Errorf("SetNextLogin(nobody) = %v; want ErrNotFound", err)
	}
}

// TestFlowFaults scripts the flow's failures as FailNextAt faults: an
// error at authorize, invalid_grant on the next refresh, a slow token
// endpoint; and a fixture fault order at load.
func TestFlowFaults(t *testing.T) {
	t.Parallel()
	set := flowSet()
	set.Faults = []fixtures.FaultOrder{{Count: 1, Endpoint: "authorize", Respond: fixtures.Fault{Error: "temporarily_unavailable"}}}
	ts, srv := start(t, mockserver.WithFixtures(set))
	ns := srv.Default()
	c := noRedirects(ts)
	authz := ts.URL + "/authorize?response_type=code&client_id=web&state=s1"
	if q := authorize(t, c, authz); q.Get("error") != "temporarily_unavailable" || q.Get("state") != "s1" {
		t.Errorf("fixture fault: %v", q)
	}
	ns.FailNextAt(mockserver.EndpointAuthorize, 1, mockserver.Fault{Error: "access_denied"})
	if q := authorize(t, c, authz); q.Get("error") != "access_denied" || q.Get("error_description") != "injected fault" {
		t.Errorf("access_denied fault: %v", q)
	}
	q := authorize(t, c, authz)
	got := do(t, ts, req{path: "/token", header: hdr("Authorization", basic("web", "web-secret")), body: "grant_type=authorization_code&code=" + q.Get("code")})
	var tok struct {
		Refresh string `json:"refresh_token"`
	}
	decodeJSON(t, got.body, &tok)
	ns.FailNextAt(mockserver.EndpointToken, 1, mockserver.Fault{Error: "invalid_grant"})
	refresh := func() resp {
		return do(t, ts, req{path: "/token", header: hdr("Authorization", basic("web", "web-secret")), body: "grant_type=refresh_token&refresh_token=" + tok.Refresh})
	}
	if got := refresh(); got.status != 400 || !strings.Contains(got.body, `"error":"invalid_grant"`) {
		t.Errorf("invalid_grant fault: %d %s", got.status, got.body)
	}
	// The fault issued nothing and rotated nothing: the token still works.
	got = refresh()
	if got.status != 200 {
		t.Errorf("refresh after the fault: %d %s", got.status, got.body)
	}
	decodeJSON(t, got.body, &tok) // the rotated refresh token
	// A slow token endpoint: the delay, then the normal answer.
	ns.FailNextAt(mockserver.EndpointToken, 1, mockserver.Fault{Delay: 50 * time.Millisecond})
	if got := refresh(); got.status != 200 || !strings.Contains(got.body, `"refresh_token"`) {
		t.Errorf("refresh after a delay: %d %s", got.status, got.body)
	}
	calls := callsOf(ns)
	var faulted []string
	for _, c := range calls {
		if c.Fault != "" {
			faulted = append(faulted, c.Endpoint+": "+c.Fault)
		}
	}
	if strings.Join(faulted, "; ") != "authorize: error temporarily_unavailable; authorize: error access_denied; token: error invalid_grant; token: delay 50ms" {
		t.Errorf("journal faults: %q", faulted)
	}
}

// readAll reads and closes a response body.
func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, res.Body); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
