package mockserver_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// checkForbidden checks a 403 in the JSON error form that says want.
func checkForbidden(t *testing.T, name string, got resp, want string) {
	t.Helper()
	if got.status != http.StatusForbidden {
		t.Errorf("%s: status %d %s; want 403", name, got.status, got.body)
		return
	}
	checkJSONType(t, got)
	if e := decodeErr(t, got.body); e.Error != "forbidden" || !strings.Contains(e.Description, want) {
		t.Errorf("%s: %s; want error forbidden saying %q", name, got.body, want)
	}
}

// TestAdminCrossOrigin sends the requests a page on another site can make
// (a CORS simple request with Origin and Sec-Fetch-Site) to admin routes,
// at the root and under a namespace: each is 403 and changes nothing.
// Same-origin browser requests and clients without Origin work.
func TestAdminCrossOrigin(t *testing.T) {
	t.Parallel()
	ts, srv := adminServer(t)
	browser := func(kv ...string) []string {
		return append([]string{"Content-Type", "text/plain;charset=UTF-8"}, kv...)
	}
	for _, tt := range []struct {
		name, method, path, body string
		kv                       []string
	}{
		{"cross-site client", "POST", "/admin/clients", `{"client_id":"x","client_secret":"y"}`,
			browser("Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")},
		{"foreign Origin, no Sec-Fetch-Site", "POST", "/admin/clients", `{"client_id":"x","client_secret":"y"}`,
			browser("Origin", "https://evil.example")},
		{"same-site is not same-origin", "POST", "/admin/tokens", `{"token":"planted"}`,
			browser("Origin", "http://app.localhost", "Sec-Fetch-Site", "same-site")},
		{"cross-site revoke", "POST", "/admin/tokens/active-token/revoke", "", browser("Sec-Fetch-Site", "cross-site")},
		{"cross-site delete", "DELETE", "/admin/tokens/active-token", "", browser("Sec-Fetch-Site", "cross-site")},
		{"cross-site namespace", "PUT", "/admin/namespaces/evil", "", browser("Sec-Fetch-Site", "cross-site")},
		{"cross-site under a namespace", "POST", "/ns/evil/admin/tokens", `{"token":"planted"}`,
			browser("Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")},
		{"cross-site reset", "POST", "/admin/reset", "", browser("Sec-Fetch-Site", "cross-site")},
	} {
		checkForbidden(t, tt.name, admin(t, ts, tt.method, tt.path, tt.body, tt.kv...), "cross-origin")
	}
	if got := asRS(t, ts, "/introspect", "active-token"); !strings.Contains(got.body, `"active":true`) {
		t.Errorf("a refused request changed the token: %s", got.body)
	}
	if got := do(t, ts, req{header: hdr("Authorization", basic("x", "y")), body: form("token", "active-token")}); got.status != 401 {
		t.Errorf("a refused request added client x: %d %s", got.status, got.body)
	}
	if _, err := srv.Default().Lookup("planted"); err == nil {
		t.Error("a refused request added a token")
	}
	if names := srv.Namespaces(); len(names) != 0 {
		t.Errorf("refused requests made namespaces %q", names)
	}

	// Same origin (the Origin's host is the Host), and clients that send
	// neither header, as curl, Go and testkit do.
	origin := ts.URL
	for _, tt := range []struct {
		name string
		kv   []string
	}{
		{"same-origin page", []string{"Origin", origin, "Sec-Fetch-Site", "same-origin"}},
		{"Origin matching Host", []string{"Origin", origin}},
		{"user typed it", []string{"Sec-Fetch-Site", "none"}},
		{"curl", nil},
	} {
		tok := strings.ReplaceAll(tt.name, " ", "-")
		if got := admin(t, ts, "POST", "/admin/tokens", `{"token":"`+tok+`"}`, tt.kv...); got.status != 201 {
			t.Errorf("%s: %d %s; want 201", tt.name, got.status, got.body)
		}
	}
	// A cross-site read is no state change; the browser keeps the answer
	// from the page.
	if got := admin(t, ts, "GET", "/admin/clock", "", "Sec-Fetch-Site", "cross-site"); got.status != 200 {
		t.Errorf("cross-site GET: %d %s; want 200", got.status, got.body)
	}
}

// TestAdminRebindingHost checks the Host allow-list: a DNS-rebinding page
// (a name of its own resolving to the server) cannot read the admin API
// without the admin token, while the public endpoints answer any Host.
func TestAdminRebindingHost(t *testing.T) {
	t.Parallel()
	const tok = "s3cret-admin"
	open, _ := adminServer(t)
	guarded, _ := adminServer(t, mockserver.WithAdminToken(tok))
	listed, _ := adminServer(t, mockserver.WithAdminHosts("mock.example.test"))
	for _, path := range []string{"/admin/tokens", "/admin/calls", "/ns/team/admin/tokens"} {
		got := admin(t, open, "GET", path, "", "Host", "rebind.evil.example:8080")
		checkForbidden(t, "open "+path, got, "--admin-hosts")
		if strings.Contains(got.body, "active-token") {
			t.Errorf("%s: the refusal shows tokens: %s", path, got.body)
		}
		checkForbidden(t, "guarded, no token "+path, admin(t, guarded, "GET", path, "", "Host", "rebind.evil.example"), "--admin-hosts")
		checkForbidden(t, "guarded, wrong token "+path,
			admin(t, guarded, "GET", path, "", "Host", "rebind.evil.example", "Authorization", "Bearer wrong"), "INTROSPECTMOCK_ADMIN_HOSTS")
		if got := admin(t, guarded, "GET", path, "", "Host", "rebind.evil.example", "Authorization", "Bearer "+tok); got.status != 200 {
			t.Errorf("guarded, with the token: %s: %d %s; want 200", path, got.status, got.body)
		}
		if got := admin(t, listed, "GET", path, "", "Host", "Mock.Example.Test:8080"); got.status != 200 {
			t.Errorf("listed host: %s: %d %s; want 200", path, got.status, got.body)
		}
		checkForbidden(t, "listed server, other host "+path, admin(t, listed, "GET", path, "", "Host", "other.example.test"), "--admin-hosts")
	}
	for _, host := range []string{"127.0.0.1:9", "[::1]:8080", "localhost:8080", "api.localhost", "introspectmock:8080"} {
		if got := admin(t, open, "GET", "/admin/clock", "", "Host", host); got.status != 200 {
			t.Errorf("Host %s: %d %s; want 200", host, got.status, got.body)
		}
	}
	// The public endpoints are not the admin API's business.
	h := hdr("Authorization", basic(rsID, rsSecret), "Host", "rebind.evil.example")
	for _, ts := range []*httptest.Server{open, guarded} {
		if got := do(t, ts, req{header: h, body: form("token", "active-token")}); !strings.Contains(got.body, `"active":true`) {
			t.Errorf("introspection with a foreign Host: %d %s", got.status, got.body)
		}
		if got := do(t, ts, req{method: "GET", path: "/.well-known/oauth-authorization-server", header: hdr("Host", "rebind.evil.example")}); got.status != 200 {
			t.Errorf("discovery with a foreign Host: %d %s", got.status, got.body)
		}
	}
}

// TestWithAdminHostsNames checks that WithAdminHosts takes host names
// only: a wildcard, which the allow-list would match literally and so
// never, is refused with a message saying so, like anything else that is
// no host name.
func TestWithAdminHostsNames(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ host, wantErr string }{
		{"*.example.test", "wildcards are not supported"},
		{"mock.*", "wildcards are not supported"},
		{"http://mock.example.test", "invalid host name"},
		{"mock..example.test", "invalid host name"},
		{"mock example.test", "invalid host name"},
		{"", "invalid host name"},
		{"Mock.Example.Test.:8443", ""},
		{"my_service", ""},
		{"[fd00::1]", ""},
	} {
		_, err := mockserver.New(mockserver.WithAdminHosts(tt.host))
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("WithAdminHosts(%q): %v; want no error", tt.host, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("WithAdminHosts(%q): %v; want an error saying %q", tt.host, err, tt.wantErr)
		}
	}
}

// TestAdminTwoAuthorizationHeaders checks that the admin API refuses two
// Authorization headers (400) as the public endpoints do, rather than
// reading the first.
func TestAdminTwoAuthorizationHeaders(t *testing.T) {
	t.Parallel()
	const tok = "adm1n"
	guarded, gsrv := adminServer(t, mockserver.WithAdminToken(tok))
	open, _ := adminServer(t)
	for name, ts := range map[string]*httptest.Server{"with a token": guarded, "open": open} {
		for _, path := range []string{"/admin/clock", "/ns/two/admin/clock"} {
			got := admin(t, ts, "GET", path, "", "Authorization", "Bearer "+tok, "Authorization", "Bearer other")
			if e := decodeErr(t, got.body); got.status != 400 || e.Error != "invalid_request" || !strings.Contains(e.Description, "more than one Authorization header") {
				t.Errorf("%s %s: %d %s; want 400 invalid_request", name, path, got.status, got.body)
			}
		}
	}
	if names := gsrv.Namespaces(); len(names) != 0 {
		t.Errorf("refused requests made namespaces %q", names)
	}
	pub := do(t, guarded, req{header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
		"Authorization": {basic(rsID, rsSecret), basic(rsID, rsSecret)}}, body: form("token", "active-token")})
	if pub.status != 400 {
		t.Errorf("public endpoint: %d %s; want 400", pub.status, pub.body)
	}
}

// TestNamespacesBelongToTheAdmin checks who makes namespaces: with an admin
// token only the admin API does, and a public request to an unknown one is
// 404 and makes nothing; with the admin API open, first use makes one.
func TestNamespacesBelongToTheAdmin(t *testing.T) {
	t.Parallel()
	const tok = "adm1n"
	auth := []string{"Authorization", "Bearer " + tok}
	ts, srv := adminServer(t, mockserver.WithAdminToken(tok), mockserver.WithMaxNamespaces(2))
	rs := hdr("Authorization", basic(rsID, rsSecret))
	for _, r := range []req{
		{path: "/ns/zz/introspect", header: rs, body: form("token", "active-token")},
		{path: "/ns/zz/revoke", header: rs, body: form("token", "active-token")},
		{path: "/ns/zz/token", header: hdr("Authorization", basic(svcID, svcSecret)), body: form("grant_type", "client_credentials")},
		{method: "GET", path: "/ns/zz/.well-known/oauth-authorization-server"},
		{method: "GET", path: "/.well-known/oauth-authorization-server/ns/zz"},
		{method: "GET", path: "/ns/zz/jwks"},
		{method: "GET", path: "/ns/zz/../../admin/tokens"},
	} {
		for i := range 3 { // more than the namespace limit: none is used up
			got := do(t, ts, req{method: r.method, path: strings.Replace(r.path, "zz", fmt.Sprint("zz", i), 1), header: r.header, body: r.body})
			if got.status != 404 {
				t.Errorf("%s %s: %d %s; want 404", r.method, r.path, got.status, got.body)
			}
		}
	}
	if names := srv.Namespaces(); len(names) != 0 {
		t.Fatalf("public requests made namespaces %q", names)
	}
	got := do(t, ts, req{path: "/ns/zz/introspect", header: rs, body: form("token", "active-token")})
	if e := decodeErr(t, got.body); e.Error != "not_found" || !strings.Contains(e.Description, "PUT /admin/namespaces/{name}") {
		t.Errorf("unknown namespace: %s; want not_found pointing at the admin API", got.body)
	}

	// The admin makes them: PUT, or any authorised request under the prefix.
	if got := admin(t, ts, "PUT", "/admin/namespaces/team-a", "", auth...); got.status != 201 {
		t.Fatalf("PUT namespace: %d %s", got.status, got.body)
	}
	if got := admin(t, ts, "GET", "/ns/team-b/admin/clock", "", auth...); got.status != 200 {
		t.Fatalf("admin request under a new prefix: %d %s", got.status, got.body)
	}
	for _, name := range []string{"team-a", "team-b"} {
		if got := asRS(t, ts, "/ns/"+name+"/introspect", "active-token"); !strings.Contains(got.body, `"active":true`) {
			t.Errorf("%s: public request to a made namespace: %d %s", name, got.status, got.body)
		}
	}
	if got := admin(t, ts, "PUT", "/admin/namespaces/team-c", "", auth...); got.status != 400 || !strings.Contains(got.body, "--max-namespaces") {
		t.Errorf("past the limit: %d %s; want 400 naming --max-namespaces", got.status, got.body)
	}

	// Open admin API: first use makes one, as before.
	open, osrv := adminServer(t)
	if got := asRS(t, open, "/ns/first/introspect", "active-token"); !strings.Contains(got.body, `"active":true`) {
		t.Errorf("open admin API, first use: %d %s", got.status, got.body)
	}
	if names := osrv.Namespaces(); len(names) != 1 || names[0] != "first" {
		t.Errorf("open admin API: namespaces %q; want [first]", names)
	}
	// A path under a prefix that no route serves is no use: 404, and it
	// makes nothing, so a typo or a probe does not use up --max-namespaces.
	for _, path := range []string{"/ns/typo/introspekt", "/ns/zz/../../admin/tokens", "/ns/probe/"} {
		if got := do(t, open, req{method: "GET", path: path}); got.status != 404 || decodeErr(t, got.body).Description != "no such endpoint" {
			t.Errorf("open admin API, GET %s: %d %s; want 404 no such endpoint", path, got.status, got.body)
		}
	}
	if names := osrv.Namespaces(); len(names) != 1 {
		t.Errorf("open admin API: 404s made namespaces: %q; want [first]", names)
	}
	if got := do(t, open, req{method: "GET", path: "/ns/first/introspekt"}); got.status != 404 ||
		decodeErr(t, got.body).Description != "no such endpoint" {
		t.Errorf("an existing namespace's unknown path: %d %s; want 404 no such endpoint", got.status, got.body)
	}
	// The admin API off: nothing else could make one, so first use does.
	offSrv, err := mockserver.New(mockserver.WithFixtures(testSet()), mockserver.WithAdminToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	off := startHandler(t, offSrv) // no adminapi.Handler
	if got := asRS(t, off, "/ns/first/introspect", "active-token"); !strings.Contains(got.body, `"active":true`) {
		t.Errorf("admin off, first use: %d %s", got.status, got.body)
	}
	if names := offSrv.Namespaces(); len(names) != 1 {
		t.Errorf("admin off: namespaces %q; want [first]", names)
	}
}

// TestMaxTotalTokens checks the cap on the tokens of all namespaces
// together: adding a token, making a namespace (seeded with the fixtures)
// and /token are refused as past the per-namespace limit, and room made
// anywhere (a deleted token or namespace) is room again.
func TestMaxTotalTokens(t *testing.T) {
	t.Parallel()
	set := &fixtures.Set{
		Clients: []fixtures.Client{{ClientID: rsID, ClientSecret: rsSecret}, {ClientID: svcID, ClientSecret: svcSecret}},
		Tokens:  []fixtures.Token{{Token: "seed-1"}, {Token: "seed-2"}},
	}
	ts, srv := start(t, mockserver.WithFixtures(set), mockserver.WithMaxTotalTokens(6))
	for _, st := range []adminStep{
		{"namespace a, 4 tokens held", "PUT", "/admin/namespaces/a", "", 201, `{"namespace":"a"}`},
		{"a token in a", "POST", "/ns/a/admin/tokens", `{"token":"a-1"}`, 201, `{"token":"a-1"}`},
		{"a token at the root", "POST", "/admin/tokens", `{"token":"root-1"}`, 201, `{"token":"root-1"}`},
		{"full: no token", "POST", "/ns/a/admin/tokens", `{"token":"a-2"}`, 400,
			`{"error":"invalid_request","error_description":"the namespaces hold 6 tokens together, the limit (WithMaxTotalTokens, --max-total-tokens); delete some first: limit reached"}`},
		{"full: no namespace", "PUT", "/admin/namespaces/b", "", 400, "~--max-total-tokens"},
		{"full: no namespace on first use", "GET", "/ns/b/admin/clock", "", 400, "~--max-total-tokens"},
		{"delete a token", "DELETE", "/admin/tokens/root-1", "", 204, ""},
		{"room for one", "POST", "/ns/a/admin/tokens", `{"token":"a-2"}`, 201, `{"token":"a-2"}`},
		{"delete the namespace", "DELETE", "/admin/namespaces/a", "", 204, ""},
		{"room for a namespace", "PUT", "/admin/namespaces/b", "", 201, `{"namespace":"b"}`},
		{"and a token", "POST", "/admin/tokens", `{"token":"root-2"}`, 201, `{"token":"root-2"}`},
		{"reset frees what it drops", "POST", "/admin/reset", "", 204, ""},
		{"and one more", "POST", "/ns/b/admin/tokens", `{"token":"b-1"}`, 201, `{"token":"b-1"}`},
		{"full again", "POST", "/ns/b/admin/tokens", `{"token":"b-2"}`, 201, `{"token":"b-2"}`},
	} {
		st.check(t, ts)
	}
	got := do(t, ts, req{path: "/token", header: hdr("Authorization", basic(svcID, svcSecret)), body: form("grant_type", "client_credentials")})
	if got.status != 503 || !strings.Contains(got.body, "--max-total-tokens") || got.header.Get("Retry-After") == "" {
		t.Errorf("/token past the total: %d %s; want 503 naming --max-total-tokens, with Retry-After", got.status, got.body)
	}
	if _, err := srv.Default().AddToken(mockserver.Token{Token: "go-1"}); err == nil || !strings.Contains(err.Error(), "limit reached") {
		t.Errorf("AddToken past the total: %v; want ErrLimit", err)
	}
	if _, err := mockserver.New(mockserver.WithFixtures(set), mockserver.WithMaxTotalTokens(1)); err == nil {
		t.Error("fixtures over the total: New succeeded")
	}
}

// TestTotalTokensCountedTrue races every way of adding and dropping tokens
// (AddToken, Remove, /token, Reset, Reload, making and deleting
// namespaces) and checks that the total the cap is judged by is the number
// of tokens the namespaces hold.
func TestTotalTokensCountedTrue(t *testing.T) {
	t.Parallel()
	set := &fixtures.Set{
		Clients: []fixtures.Client{{ClientID: svcID, ClientSecret: svcSecret, TokenLifetime: time.Millisecond}},
		Tokens:  []fixtures.Token{{Token: "seed-1"}, {Token: "seed-2"}, {Token: "seed-3"}},
	}
	ts, srv := start(t, mockserver.WithFixtures(set), mockserver.WithMaxTotalTokens(60))
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := range 60 {
				name := fmt.Sprint("ns-", (w+i/6)%4) // one namespace for each round of the six steps
				ns, err := srv.Namespace(name)
				if err != nil {
					continue // the total or namespace limit: fine
				}
				tok := fmt.Sprint("t-", w, "-", i)
				switch i % 6 {
				case 0, 1:
					_, _ = ns.AddToken(mockserver.Token{Token: tok})
				case 2:
					ns.Remove(fmt.Sprint("t-", w, "-", i-2))
				case 3:
					do(t, ts, req{path: "/ns/" + name + "/token", header: hdr("Authorization", basic(svcID, svcSecret)), body: form("grant_type", "client_credentials")})
				case 4:
					if w%2 == 0 {
						ns.Reset()
					} else {
						srv.DeleteNamespace(name)
					}
				case 5:
					_ = srv.Reload(set)
				}
			}
		})
	}
	wg.Wait()
	if counted, stored := mockserver.HeldTokens(srv); counted != stored {
		t.Errorf("the total counts %d tokens; the namespaces hold %d", counted, stored)
	}
}
