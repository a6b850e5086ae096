package mockserver_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// TestNamespaceIsolation runs parallel tests, each in its own namespace of
// one server, that use the same token string, revoke, move their clock and
// read their journal: none may see another's.
func TestNamespaceIsolation(t *testing.T) {
	t.Parallel()
	ts, srv := adminServer(t)
	const n = 8
	t.Run("group", func(t *testing.T) {
		for i := range n {
			name := fmt.Sprintf("iso-%d", i)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				p := "/ns/" + name
				if got := admin(t, ts, "POST", p+"/admin/tokens", `{"token":"shared","sub":"`+name+`","exp":"+1h"}`); got.status != 201 {
					t.Fatalf("add: %d %s", got.status, got.body)
				}
				if got := asRS(t, ts, p+"/introspect", "shared"); !strings.Contains(got.body, `"sub":"`+name+`"`) ||
					!strings.Contains(got.body, `"iss":"https://auth.example.test/ns/`+name+`"`) {
					t.Errorf("own token: %s", got.body)
				}
				if i%2 == 0 { // half of them revoke a fixture token
					do(t, ts, req{path: p + "/revoke", header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=active-token"})
				}
				wantActive := i%2 != 0
				if got := asRS(t, ts, p+"/introspect", "active-token"); strings.HasPrefix(got.body, `{"active":true`) != wantActive {
					t.Errorf("fixture token after own revocation (%t): %s", !wantActive, got.body)
				}
				hours := time.Duration(i) * time.Hour
				admin(t, ts, "POST", p+"/admin/clock/freeze", "")
				admin(t, ts, "POST", p+"/admin/clock/advance", `{"by":"`+hours.String()+`"}`)
				var c struct{ Now time.Time }
				json.Unmarshal([]byte(admin(t, ts, "GET", p+"/admin/clock", "").body), &c)
				if !c.Now.Equal(t0.Add(hours)) {
					t.Errorf("own clock: %v; want %v", c.Now, t0.Add(hours))
				}
				// The shared token has exp +1h: expired where the clock moved an hour or more.
				if got := asRS(t, ts, p+"/introspect", "shared"); strings.HasPrefix(got.body, `{"active":true`) != (i == 0) {
					t.Errorf("shared token at +%v: %s", hours, got.body)
				}
				var calls struct{ Calls []mockserver.Call }
				json.Unmarshal([]byte(admin(t, ts, "GET", p+"/admin/calls", "").body), &calls)
				wantCalls := 3
				if i%2 == 0 {
					wantCalls = 4
				}
				if len(calls.Calls) != wantCalls {
					t.Errorf("own journal has %d calls; want %d", len(calls.Calls), wantCalls)
				}
				for _, c := range calls.Calls {
					if c.Namespace != name {
						t.Errorf("own journal holds a call of %q", c.Namespace)
					}
				}
			})
		}
	})
	if _, err := srv.Default().Lookup("shared"); err == nil {
		t.Error("the default namespace has a token added in a named one")
	}
	if n := len(callsOf(srv.Default())); n != 0 {
		t.Errorf("the default journal holds %d calls of named namespaces", n)
	}
	if got := asRS(t, ts, "/introspect", "active-token"); !strings.HasPrefix(got.body, `{"active":true`) {
		t.Errorf("default namespace sees a named one's revocation: %s", got.body)
	}
	if !srv.Default().Clock().Now().Equal(t0) {
		t.Errorf("default clock moved with named ones: %v", srv.Default().Clock().Now())
	}
	want := make([]string, n)
	for i := range n {
		want[i] = fmt.Sprintf("iso-%d", i)
	}
	if got := srv.Namespaces(); !slices.Equal(got, want) {
		t.Errorf("Namespaces = %v; want %v", got, want)
	}
}

// TestNamespaceDiscovery checks a namespace's discovery documents at every
// placement: the issuer includes the prefix, and its endpoints work.
func TestNamespaceDiscovery(t *testing.T) {
	t.Parallel()
	derived, _ := start(t, mockserver.WithFixtures(testSet()))
	configured, _ := start(t, mockserver.WithFixtures(testSet()), mockserver.WithIssuer("https://auth.example.test/p/"))
	tests := []struct {
		name       string
		ts         *httptest.Server
		path       string
		wantIssuer string // "BASE" is the server URL
	}{
		{"MD-3/prefix", derived, "/ns/orders/.well-known/oauth-authorization-server", "BASE/ns/orders"},
		{"MD-1/openid prefix", derived, "/ns/orders/.well-known/openid-configuration", "BASE/ns/orders"},
		{"MD-2/RFC 8414 path", derived, "/.well-known/oauth-authorization-server/ns/orders", "BASE/ns/orders"},
		{"MD-2/openid path", derived, "/.well-known/openid-configuration/ns/orders", "BASE/ns/orders"},
		{"MD-3/configured issuer", configured, "/p/ns/orders/.well-known/oauth-authorization-server", "https://auth.example.test/p/ns/orders"},
		{"MD-3/configured issuer, root prefix", configured, "/ns/orders/.well-known/openid-configuration", "https://auth.example.test/p/ns/orders"},
		{"MD-2/configured issuer, RFC 8414 path", configured, "/.well-known/oauth-authorization-server/p/ns/orders", "https://auth.example.test/p/ns/orders"},
		{"MD-3/default unchanged", configured, "/.well-known/oauth-authorization-server/p", "https://auth.example.test/p/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := do(t, tt.ts, req{method: "GET", path: tt.path})
			var md map[string]any
			if err := json.Unmarshal([]byte(got.body), &md); err != nil || got.status != 200 {
				t.Fatalf("%d %s (%v)", got.status, got.body, err)
			}
			iss := strings.Replace(tt.wantIssuer, "BASE", tt.ts.URL, 1)
			if md["issuer"] != iss {
				t.Errorf("issuer %v; want %s", md["issuer"], iss)
			}
			if want := strings.TrimSuffix(iss, "/") + "/introspect"; md["introspection_endpoint"] != want {
				t.Errorf("introspection_endpoint %v; want %s", md["introspection_endpoint"], want)
			}
		})
	}
	// The advertised endpoints of a derived issuer are reachable.
	for _, path := range []string{"/ns/orders/introspect", "/ns/orders/jwks"} {
		method := "POST"
		if strings.HasSuffix(path, "jwks") {
			method = "GET"
		}
		got := do(t, derived, req{method: method, path: path, header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=active-token"})
		if got.status != 200 {
			t.Errorf("MD-4/%s: %d %s", path, got.status, got.body)
		}
	}
	if got := asRS(t, configured, "/p/ns/orders/introspect", "active-token"); !strings.Contains(got.body, `"iss":"https://auth.example.test/p/ns/orders"`) {
		t.Errorf("IR-6/iss in a namespace under an issuer path: %s", got.body)
	}
	for _, path := range []string{"/ns/orders/healthz", "/ns/orders/nope", "/ns/orders"} {
		if got := do(t, derived, req{method: "GET", path: path}); got.status != 404 || !strings.Contains(got.body, "not_found") {
			t.Errorf("%s: %d %s; want 404 JSON", path, got.status, got.body)
		}
	}
	if got := do(t, derived, req{method: "GET", path: "/healthz"}); got.status != 200 {
		t.Errorf("/healthz: %d", got.status)
	}
}

// TestNamespaceAPI checks the Go API: names, creation, deletion.
func TestNamespaceAPI(t *testing.T) {
	t.Parallel()
	ts, srv := adminServer(t)
	if ns, err := srv.Namespace(""); err != nil || ns != srv.Default() || ns.Name() != "" {
		t.Errorf(`Namespace("") = %v, %v; want the default`, ns, err)
	}
	for _, bad := range []string{"Bad", "-x", "_x", "é", strings.Repeat("a", 64), "a b"} {
		if _, err := srv.Namespace(bad); err == nil {
			t.Errorf("Namespace(%q): no error", bad)
		}
		if got := asRS(t, ts, "/ns/"+bad+"/introspect", "x"); got.status != 404 || !strings.Contains(got.body, "invalid namespace name") {
			t.Errorf("/ns/%s/introspect: %d %s; want 404 naming the problem", bad, got.status, got.body)
		}
	}
	a, err := srv.Namespace("a-1_b")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := srv.Namespace("a-1_b"); again != a || a.Name() != "a-1_b" {
		t.Error("Namespace returns a new namespace on second use")
	}
	if _, err := a.Lookup("active-token"); err != nil {
		t.Error("a new namespace is not seeded from the fixtures")
	}
	a.AddToken(mockserver.Token{Token: "only-in-a"})
	if got := asRS(t, ts, "/ns/a-1_b/introspect", "only-in-a"); !strings.HasPrefix(got.body, `{"active":true`) {
		t.Errorf("token added in Go, asked over HTTP: %s", got.body)
	}
	for _, name := range []string{"", "nope"} {
		if err := srv.DeleteNamespace(name); !errors.Is(err, mockserver.ErrNotFound) {
			t.Errorf("DeleteNamespace(%q) = %v; want ErrNotFound", name, err)
		}
	}
	if err := srv.DeleteNamespace("a-1_b"); err != nil {
		t.Fatalf("DeleteNamespace: %v", err)
	}
	if len(srv.Namespaces()) != 0 {
		t.Errorf("Namespaces after delete: %v", srv.Namespaces())
	}
	if got := asRS(t, ts, "/ns/a-1_b/introspect", "only-in-a"); got.body != inactive {
		t.Errorf("a deleted namespace comes back with its tokens: %s", got.body)
	}

	for _, st := range []adminStep{
		{"create", "PUT", "/admin/namespaces/made", "", 201, `{"namespace":"made"}`},
		{"exists", "PUT", "/admin/namespaces/made", "", 200, `{"namespace":"made"}`},
		{"get", "GET", "/admin/namespaces/made", "", 200, `{"namespace":"made"}`},
		{"list", "GET", "/admin/namespaces", "", 200, `{"namespaces":["a-1_b","made"]}`},
		{"delete", "DELETE", "/admin/namespaces/made", "", 204, ""},
		{"gone", "GET", "/admin/namespaces/made", "", 404, `~no such namespace`},
	} {
		st.check(t, ts)
	}
}

// TestLimits checks the namespace and token limits and their errors.
func TestLimits(t *testing.T) {
	t.Parallel()
	fixtureTokens := len(testSet().Tokens)
	ts, srv := adminServer(t, mockserver.WithMaxNamespaces(2), mockserver.WithMaxTokens(fixtureTokens+2))

	for _, name := range []string{"one", "two"} {
		if got := asRS(t, ts, "/ns/"+name+"/introspect", "x"); got.status != 200 {
			t.Fatalf("namespace %s: %d %s", name, got.status, got.body)
		}
	}
	got := asRS(t, ts, "/ns/three/introspect", "x")
	if got.status != 400 || !strings.Contains(got.body, "2 namespaces exist, the limit") {
		t.Errorf("over the namespace limit: %d %s", got.status, got.body)
	}
	if _, err := srv.Namespace("three"); !errors.Is(err, mockserver.ErrLimit) {
		t.Errorf("Namespace over the limit: %v; want ErrLimit", err)
	}
	adminStep{"namespace limit", "PUT", "/admin/namespaces/three", "", 400, "~limit"}.check(t, ts)
	if mockserver.NamespaceCount(srv) != 2 {
		t.Errorf("%d namespaces; want 2", mockserver.NamespaceCount(srv))
	}
	srv.DeleteNamespace("one")
	if _, err := srv.Namespace("three"); err != nil {
		t.Errorf("after a delete: %v", err)
	}

	ns := srv.Default()
	ns.Clock().Freeze()
	issue := func() resp {
		return do(t, ts, req{path: "/token", header: hdr("Authorization", basic(svcID, svcSecret)), body: "grant_type=client_credentials"})
	}
	if got := issue(); got.status != 200 {
		t.Fatalf("token 1: %d %s", got.status, got.body)
	}
	if _, err := ns.AddToken(mockserver.Token{Token: "last-one"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ns.AddToken(mockserver.Token{}); !errors.Is(err, mockserver.ErrLimit) {
		t.Errorf("AddToken over the limit: %v; want ErrLimit", err)
	}
	adminStep{"token limit", "POST", "/admin/tokens", `{}`, 400, "~limit"}.check(t, ts)
	ns.Clock().Advance(11 * time.Minute) // the issued token (10m) expires: the token endpoint may drop it
	if got := issue(); got.status != 200 {
		t.Errorf("token endpoint after its token expired: %d %s; want room made", got.status, got.body)
	}
	got = issue()
	if got.status != 503 || decodeErr(t, got.body).Error != "temporarily_unavailable" || got.header.Get("Retry-After") == "" {
		t.Errorf("token endpoint over the limit: %d %s", got.status, got.body)
	}
	if srv.TokenCount() != fixtureTokens+2 {
		t.Errorf("TokenCount = %d; want %d", srv.TokenCount(), fixtureTokens+2)
	}

	if _, err := mockserver.New(mockserver.WithFixtures(testSet()), mockserver.WithMaxTokens(fixtureTokens-1)); !errors.Is(err, mockserver.ErrLimit) {
		t.Errorf("fixtures over the token limit: %v; want ErrLimit", err)
	}
	for _, opt := range []mockserver.Option{mockserver.WithMaxTokens(0), mockserver.WithMaxNamespaces(-1)} {
		if _, err := mockserver.New(opt); err == nil {
			t.Error("a bad limit: no error")
		}
	}
	none, _ := start(t, mockserver.WithFixtures(testSet()), mockserver.WithMaxNamespaces(0))
	if got := asRS(t, none, "/ns/x/introspect", "x"); got.status != 400 {
		t.Errorf("WithMaxNamespaces(0): %d", got.status)
	}
	if got := asRS(t, none, "/introspect", "active-token"); got.status != 200 {
		t.Errorf("WithMaxNamespaces(0) default namespace: %d", got.status)
	}
}

// TestNamespaceSeeds checks that named namespaces are seeded from the
// fixtures as reloaded, and resolve relative times against their own
// clock.
func TestNamespaceSeeds(t *testing.T) {
	t.Parallel()
	_, srv := adminServer(t)
	if err := srv.Reload(&fixtures.Set{Tokens: []fixtures.Token{{Token: "reloaded", Exp: fixtures.Relative(time.Hour)}}}); err != nil {
		t.Fatal(err)
	}
	ns, _ := srv.Namespace("after-reload")
	ti, err := ns.Lookup("reloaded")
	if err != nil || !ti.ExpiresAt.Equal(t0.Add(time.Hour).Truncate(time.Second)) {
		t.Errorf("seeded token %+v, %v", ti, err)
	}
	ns.Clock().Advance(24 * time.Hour)
	ns.Reset()
	if ti, _ := ns.Lookup("reloaded"); !ti.ExpiresAt.Equal(t0.Add(25 * time.Hour).Truncate(time.Second)) {
		t.Errorf("TL-3/Reset resolves against the namespace clock: exp %v", ti.ExpiresAt)
	}
}
