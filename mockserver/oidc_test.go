package mockserver_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/introspectmock/introspectmock/mockserver"
)

// openIDLogin logs alice in to spa with scope openid and returns the token
// response.
func openIDLogin(t *testing.T, do func(path, form string) resp, get func(string) url.Values, base string) (access, refresh, idToken string) {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	q := get(base + "/authorize?response_type=code&client_id=spa&scope=openid&nonce=n&redirect_uri=" + url.QueryEscape("http://127.0.0.1/spa") +
		"&code_challenge=" + oauth2.S256ChallengeFromVerifier(verifier) + "&code_challenge_method=S256")
	got := do("/token", "grant_type=authorization_code&client_id=spa&code="+q.Get("code")+"&code_verifier="+verifier+"&redirect_uri="+url.QueryEscape("http://127.0.0.1/spa"))
	var tok struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
		IDToken string `json:"id_token"`
	}
	decodeJSON(t, got.body, &tok)
	if tok.IDToken == "" {
		t.Fatalf("no id_token: %d %s", got.status, got.body)
	}
	return tok.Access, tok.Refresh, tok.IDToken
}

// TestUserinfoAndLogout covers GET/POST /userinfo (OpenID Connect Core
// §5.3) and RP-initiated logout ending the user's grants.
func TestUserinfoAndLogout(t *testing.T) {
	t.Parallel()
	ts, srv := start(t, mockserver.WithFixtures(flowSet()))
	c := noRedirects(ts)
	post := func(path, form string) resp { return do(t, ts, req{path: path, body: form}) }
	get := func(u string) url.Values { return authorize(t, c, u) }
	access, refresh, idt := openIDLogin(t, post, get, ts.URL)

	for _, method := range []string{"GET", "POST"} {
		got := do(t, ts, req{method: method, path: "/userinfo", header: hdr("Authorization", "Bearer "+access)})
		var m map[string]any
		decodeJSON(t, got.body, &m)
		if got.status != 200 || m["sub"] != "u-alice" || m["email"] != "alice@example.com" || m["preferred_username"] != "alice" {
			t.Errorf("%s /userinfo: %d %s", method, got.status, got.body)
		}
	}
	for _, tc := range []struct{ name, auth, want string }{
		{"no token", "", `Bearer realm="introspectmock"`},
		{"refresh token", "Bearer " + refresh, `error="invalid_token"`},
		{"unknown", "Bearer nope", `error="invalid_token"`},
	} {
		h := hdr()
		if tc.auth != "" {
			h = hdr("Authorization", tc.auth)
		}
		got := do(t, ts, req{method: "GET", path: "/userinfo", header: h})
		if got.status != 401 || got.header.Get("WWW-Authenticate") != tc.want && !strings.Contains(got.header.Get("WWW-Authenticate"), tc.want) {
			t.Errorf("%s: %d %q %s", tc.name, got.status, got.header.Get("WWW-Authenticate"), got.body)
		}
	}

	// Logout with an unregistered post_logout_redirect_uri: a 400 page, nothing ends.
	got := do(t, ts, req{method: "GET", path: "/logout?id_token_hint=" + idt + "&post_logout_redirect_uri=https://evil.example/"})
	if got.status != 400 || introspectJSON(t, ts, access)["active"] != true {
		t.Fatalf("unregistered post_logout_redirect_uri: %d %s", got.status, got.body)
	}
	got = do(t, ts, req{method: "GET", path: "/logout?id_token_hint=forged." + idt[strings.Index(idt, ".")+1:]})
	if got.status != 400 {
		t.Errorf("forged id_token_hint: %d", got.status)
	}
	res, err := c.Get(ts.URL + "/logout?state=bye-1&id_token_hint=" + idt + "&post_logout_redirect_uri=" + url.QueryEscape("https://spa.example/bye"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 302 || res.Header.Get("Location") != "https://spa.example/bye?state=bye-1" {
		t.Errorf("logout: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	for _, tk := range []string{access, refresh} {
		if introspectJSON(t, ts, tk)["active"] != false {
			t.Error("a token of the user is active after logout")
		}
	}
	if got := post("/token", "grant_type=refresh_token&client_id=spa&refresh_token="+refresh); got.status != 400 {
		t.Errorf("refresh after logout: %d %s", got.status, got.body)
	}
	// logout_hint names the user without an id_token.
	access2, _, _ := openIDLogin(t, post, get, ts.URL)
	got = do(t, ts, req{path: "/logout", body: "logout_hint=alice"})
	if got.status != 200 || !strings.Contains(got.body, "signed out") || introspectJSON(t, ts, access2)["active"] != false {
		t.Errorf("logout_hint: %d %s", got.status, got.body)
	}
	// Naming nobody, or nobody who exists, ends nothing, and the page says so.
	for _, path := range []string{"/logout", "/logout?logout_hint=nobody"} {
		if got := do(t, ts, req{method: "GET", path: path}); got.status != 200 || !strings.Contains(got.body, "no grant ended") {
			t.Errorf("GET %s: %d %s; want a page saying no grant ended", path, got.status, got.body)
		}
	}
	var logouts int
	for _, c := range callsOf(srv.Default()) {
		if c.Endpoint == mockserver.EndpointLogout {
			logouts++
		}
	}
	if logouts != 6 {
		t.Errorf("journal has %d logout calls; want 6", logouts)
	}
}

// TestLoginPageForm submits the login page as a browser would, without
// one: the form, a wrong password, claims edited for this login, Deny.
func TestLoginPageForm(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(flowSet()), mockserver.WithLoginPage(true))
	c := noRedirects(ts)
	authz := "response_type=code&client_id=web&state=s&redirect_uri=" + url.QueryEscape("http://127.0.0.1/callback")
	got := do(t, ts, req{method: "GET", path: "/authorize?" + authz})
	for _, want := range []string{`<form method="post" action="authorize">`, `name="login_user" value="u-alice" checked`,
		`name="login_user" value="u-bob"`, `<input type="hidden" name="state" value="s">`, `id="claims"`, "<label"} {
		if !strings.Contains(got.body, want) {
			t.Errorf("login page lacks %s:\n%s", want, got.body)
		}
	}
	if got.status != 200 || !strings.HasPrefix(got.header.Get("Content-Type"), "text/html") || strings.Contains(got.body, "<script") {
		t.Errorf("login page: %d %s", got.status, got.header.Get("Content-Type"))
	}
	submit := func(extra string) (int, string, string) {
		res, err := c.Post(ts.URL+"/authorize", "application/x-www-form-urlencoded", strings.NewReader(authz+"&"+extra))
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, res.Header.Get("Location"), readAll(t, res)
	}
	if st, _, body := submit("login_action=login&username=bob&password=wrong"); st != 200 || !strings.Contains(body, "Wrong username or password") {
		t.Errorf("wrong password: %d %s", st, body)
	}
	if st, _, body := submit("login_action=login&login_user=u-bob&claims=" + url.QueryEscape(`{"sub":"x"}`)); st != 200 || !strings.Contains(body, "shadows a registered member") {
		t.Errorf("registered claim: %d %s", st, body)
	}
	st, loc, _ := submit("login_action=login&username=bob&password=builder&claims=" + url.QueryEscape(`{"roles":["admin"],"email":null}`))
	u, _ := url.Parse(loc)
	if st != 302 || u.Query().Get("code") == "" || u.Query().Get("state") != "s" {
		t.Fatalf("login: %d %s", st, loc)
	}
	tok := do(t, ts, req{path: "/token", header: hdr("Authorization", basic("web", "web-secret")),
		body: "grant_type=authorization_code&code=" + u.Query().Get("code") + "&redirect_uri=" + url.QueryEscape("http://127.0.0.1/callback")})
	var tr struct {
		Access string `json:"access_token"`
	}
	decodeJSON(t, tok.body, &tr)
	m := introspectJSON(t, ts, tr.Access)
	if m["sub"] != "u-bob" || m["email"] != nil || strings.Join(anyStrings(m["roles"]), ",") != "admin" {
		t.Errorf("login with edited claims: %v", m)
	}
	if _, loc, _ := submit("login_action=deny"); !strings.Contains(loc, "error=access_denied") {
		t.Errorf("deny: %s", loc)
	}
	// prompt=none skips the page (OpenID Connect Core §3.1.2.1).
	if q := authorize(t, c, ts.URL+"/authorize?prompt=none&"+authz); q.Get("code") == "" {
		t.Errorf("prompt=none: %v", q)
	}
}

func anyStrings(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// TestFlowInNamespace runs the flow in a named namespace: its issuer
// (with the /ns/{name} prefix) is the iss of the redirect and of the
// id_token, and its tokens are its own.
func TestFlowInNamespace(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(flowSet()))
	base := ts.URL + "/ns/team-a"
	ctx := oidc.ClientContext(context.Background(), ts.Client())
	provider, err := oidc.NewProvider(ctx, base)
	if err != nil {
		t.Fatalf("discovery of the namespace: %v", err)
	}
	conf := &oauth2.Config{ClientID: "web", ClientSecret: "web-secret", Endpoint: provider.Endpoint(),
		RedirectURL: "http://127.0.0.1/callback", Scopes: []string{oidc.ScopeOpenID}}
	if conf.Endpoint.AuthURL != base+"/authorize" {
		t.Fatalf("authorization_endpoint %s", conf.Endpoint.AuthURL)
	}
	q := authorize(t, noRedirects(ts), conf.AuthCodeURL("s"))
	if q.Get("iss") != base {
		t.Errorf("iss %q; want %q", q.Get("iss"), base)
	}
	tok, err := conf.Exchange(ctx, q.Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.Verifier(&oidc.Config{ClientID: "web"}).Verify(ctx, tok.Extra("id_token").(string)); err != nil {
		t.Errorf("id_token of the namespace: %v", err)
	}
	got := do(t, ts, req{path: "/ns/team-a/introspect", header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=" + tok.AccessToken})
	if !strings.Contains(got.body, `"active":true`) || introspectJSON(t, ts, tok.AccessToken)["active"] != false {
		t.Errorf("the namespace's token: %s there; the default namespace must not know it", got.body)
	}
}
