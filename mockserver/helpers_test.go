package mockserver_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/internal/adminapi"
	"github.com/introspectmock/introspectmock/mockserver"
)

const (
	formType = "application/x-www-form-urlencoded"
	inactive = `{"active":false}`
)

// t0 is the start of every test clock; its half second checks that times
// are truncated to whole seconds.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 5e8, time.UTC)

// testClock is a Clock the test sets.
type testClock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

func newClock() *testClock { return &testClock{now: t0} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Client credentials of testSet.
const (
	rsID, rsSecret     = "rs", "rs-secret"
	oddID, oddSecret   = "odd id", "s3:cr+t%/é" // needs form-encoding; its raw form has a bad %-escape
	plusID, plusSecret = "plus", "a+b"          // raw '+' means a space once form-decoded
	svcID, svcSecret   = "svc", "svc-secret"
	rsBearer           = "rs-bearer"
)

// testSet returns fixtures exercising every kind of token and client.
func testSet() *fixtures.Set {
	return &fixtures.Set{
		Clients: []fixtures.Client{
			{ClientID: rsID, ClientSecret: rsSecret},
			{ClientID: oddID, ClientSecret: oddSecret},
			{ClientID: plusID, ClientSecret: plusSecret},
			{ClientID: "post-only", ClientSecret: "p", AuthMethods: []string{fixtures.AuthPost}},
			{ClientID: "basic-only", ClientSecret: "b", AuthMethods: []string{fixtures.AuthBasic}},
			{ClientID: "no-introspect", ClientSecret: "n", NoIntrospect: true},
			{ClientID: "public-app"},
			{Bearer: rsBearer},
			{Bearer: "weak-bearer", NoIntrospect: true},
			{ClientID: svcID, ClientSecret: svcSecret, Scopes: []string{"orders:read", "orders:write"}, TokenLifetime: 10 * time.Minute},
			{ClientID: "any-scope", ClientSecret: "a"},
			{ClientID: "rs-only", ClientSecret: "ro", Scopes: []string{}},
		},
		Tokens: []fixtures.Token{
			{
				Token: "active-token", Scope: "read write", ClientID: "web-app", Username: "alice", Sub: "user-123",
				Aud: fixtures.Audience{Values: []string{"orders-api"}}, Jti: "0f1e",
				Iat: fixtures.Relative(-5 * time.Minute), Nbf: fixtures.Relative(-5 * time.Minute), Exp: fixtures.Relative(time.Hour),
				Claims: map[string]any{"tenant": "acme", "roles": []any{"admin"}, "level": 3, "ok": true, "html": "<a&b>"},
			},
			{Token: "minimal-token"},
			{Token: "expired-token", Exp: fixtures.Relative(-time.Minute)},
			{Token: "future-token", Nbf: fixtures.Relative(10 * time.Minute), Exp: fixtures.Relative(time.Hour)},
			{Token: "revoked-token", Revoked: true, Exp: fixtures.Relative(time.Hour)},
			{Token: "list-aud-token", Aud: fixtures.Audience{Values: []string{"a"}, List: true}},
			{Token: "multi-aud-token", Aud: fixtures.Audience{Values: []string{"a", "b"}, List: true}},
			{Token: "own-iss-token", Iss: "https://other.example", TokenType: "N_A", Scope: " a   b "},
			{Token: "edge-token", Exp: fixtures.Absolute(t0.Add(30 * time.Second))},
		},
	}
}

// start serves a new mockserver with the admin API (adminapi.Handler) on
// httptest; Cleanup closes it.
func start(t testing.TB, opts ...mockserver.Option) (*httptest.Server, *mockserver.Server) {
	t.Helper()
	srv, err := mockserver.New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(adminapi.Handler(srv))
	t.Cleanup(ts.Close)
	return ts, srv
}

// startHandler serves h on httptest; Cleanup closes it.
func startHandler(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// startAt serves a mockserver whose options need its URL (an issuer).
func startAt(t testing.TB, opts func(base string) []mockserver.Option) (*httptest.Server, *mockserver.Server) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	srv, err := mockserver.New(opts("http://" + ts.Listener.Addr().String())...)
	if err != nil {
		ts.Close()
		t.Fatalf("New: %v", err)
	}
	ts.Config.Handler = adminapi.Handler(srv)
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, srv
}

// req is one request of a table test.
type req struct {
	method string      // default POST
	path   string      // default /introspect
	header http.Header // default Content-Type: form
	body   string
}

// resp is what came back, raw.
type resp struct {
	status int
	header http.Header
	body   string
}

// do sends r to ts.
func do(t testing.TB, ts *httptest.Server, r req) resp {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	if r.path == "" {
		r.path = "/introspect"
	}
	hr, err := http.NewRequest(r.method, ts.URL+r.path, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if r.header == nil {
		r.header = http.Header{"Content-Type": {formType}}
	}
	for k, vs := range r.header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	if h := hr.Header.Get("Host"); h != "" { // net/http sends r.Host, not the header
		hr.Host = h
		hr.Header.Del("Host")
	}
	res, err := ts.Client().Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

// hdr builds a header; Content-Type is form unless given.
func hdr(kv ...string) http.Header {
	h := http.Header{"Content-Type": {formType}}
	for i := 0; i < len(kv); i += 2 {
		if kv[i] == "Content-Type" {
			h.Del("Content-Type")
		}
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// basic is an Authorization value with form-encoded id and secret (RFC 6749 §2.3.1).
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// rawBasic is an Authorization value without form-encoding (RFC 7617 only).
func rawBasic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// oauthErr decodes an OAuth error body.
type oauthErr struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func decodeErr(t testing.TB, body string) oauthErr {
	t.Helper()
	var e oauthErr
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e
}

// checkJSONType fails unless the answer is application/json without charset (docs/conformance.md IR-1).
func checkJSONType(t testing.TB, r resp) {
	t.Helper()
	if got := r.header.Values("Content-Type"); len(got) != 1 || got[0] != "application/json" {
		t.Errorf("Content-Type = %q; want exactly application/json", got)
	}
}

// checkNoStore fails unless the answer carries no-store and no-cache (docs/conformance.md IR-1, TE-3, ER-1).
func checkNoStore(t testing.TB, r resp) {
	t.Helper()
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", got)
	}
	if got := r.header.Get("Pragma"); got != "no-cache" {
		t.Errorf("Pragma = %q; want no-cache", got)
	}
}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

// handlers caches adminapi.Handler per server for in-process requests.
var handlers sync.Map // *mockserver.Server → http.Handler

// handlerOf returns adminapi.Handler(srv), built once.
func handlerOf(srv *mockserver.Server) http.Handler {
	if h, ok := handlers.Load(srv); ok {
		return h.(http.Handler)
	}
	h, _ := handlers.LoadOrStore(srv, adminapi.Handler(srv))
	return h.(http.Handler)
}

// callsOf returns ns's journal (Calls never fails in process).
func callsOf(ns *mockserver.Namespace) []mockserver.Call {
	calls, _ := ns.Calls()
	return calls
}

// tokensOf returns ns's tokens (Tokens never fails in process).
func tokensOf(ns *mockserver.Namespace) []mockserver.TokenInfo {
	infos, _ := ns.Tokens()
	return infos
}
