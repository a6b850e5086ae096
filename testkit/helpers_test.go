package testkit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/testkit"
)

// answer is what a real http.Client got from an endpoint.
type answer struct {
	status int
	header http.Header
	body   []byte
	err    error // transport error: no answer at all
}

// introspect POSTs token to the introspection endpoint with the default
// caller's credentials in HTTP Basic, as most resource servers do.
func introspect(t testing.TB, s *testkit.Server, token string) answer {
	t.Helper()
	return introspectWith(t, s, s.Client(), token)
}

func introspectWith(t testing.TB, s *testkit.Server, c *http.Client, token string) answer {
	t.Helper()
	return postForm(t, c, s.IntrospectionURL(), s.ClientID(), s.ClientSecret(), url.Values{"token": {token}})
}

// postForm posts form to u with Basic credentials (none when id is "").
func postForm(t testing.TB, c *http.Client, u, id, secret string, form url.Values) answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{status: resp.StatusCode, header: resp.Header, err: err}
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}
}

// members decodes a well-formed 200 introspection answer (docs/conformance.md IR-1, IR-2)
// and fails t on anything else.
func (a answer) members(t testing.TB) map[string]any {
	t.Helper()
	if a.err != nil {
		t.Fatalf("introspection failed: %v", a.err)
	}
	if a.status != http.StatusOK {
		t.Fatalf("introspection status = %d; want 200 (body %s)", a.status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q; want application/json", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("introspection body %q: %v", a.body, err)
	}
	if _, ok := m["active"].(bool); !ok {
		t.Fatalf("introspection body %s: active is not a boolean", a.body)
	}
	return m
}

// active reports the answer's active member (see members).
func (a answer) active(t testing.TB) bool {
	t.Helper()
	return a.members(t)["active"].(bool)
}

// wantInactive checks the answer is exactly {"active":false} (docs/conformance.md IR-7).
func (a answer) wantInactive(t testing.TB) {
	t.Helper()
	a.members(t)
	if got := strings.TrimSpace(string(a.body)); got != `{"active":false}` {
		t.Errorf("body = %s; want {\"active\":false}", got)
	}
}

// oauthError checks an OAuth error answer with status and code.
func (a answer) oauthError(t testing.TB, status int, code string) {
	t.Helper()
	if a.err != nil {
		t.Fatalf("request failed: %v", a.err)
	}
	if a.status != status {
		t.Errorf("status = %d; want %d (body %s)", a.status, status, a.body)
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(a.body, &e); err != nil || e.Error != code {
		t.Errorf("body = %s; want error %q", a.body, code)
	}
}

// recorder is a testing.TB that records failures instead of failing, to
// test what testkit reports. Everything else goes to the real test.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	fatals []string
}

func newRecorder(t testing.TB) *recorder { return &recorder{TB: t} }

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// Fatalf records and ends the goroutine, as testing.T.Fatalf does; run
// testkit calls that may reach it inside r.do.
func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
	r.mu.Unlock()
	runtime.Goexit()
}

// do runs f in its own goroutine and returns the message of the Fatalf
// that ended it, or "" when f returned.
func (r *recorder) do(f func()) string {
	r.mu.Lock()
	n := len(r.fatals)
	r.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.fatals) == n {
		return ""
	}
	return r.fatals[n]
}

func (r *recorder) errorMessages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

// ordersAPI is a small resource server as users write them: it takes a
// bearer token, introspects it with its own credentials, and caches active
// answers until their exp, judged by now (the mock's clock here). Inactive
// answers are not cached.
type ordersAPI struct {
	introspectionURL string
	clientID, secret string
	client           *http.Client
	now              func() time.Time

	mu    sync.Mutex // guards cache
	cache map[string]time.Time
}

func newOrdersAPI(as *testkit.Server) *ordersAPI {
	return &ordersAPI{
		introspectionURL: as.IntrospectionURL(),
		clientID:         as.ClientID(),
		secret:           as.ClientSecret(),
		client:           as.Client(),
		now:              as.Clock().Now,
		cache:            map[string]time.Time{},
	}
}

func (a *ordersAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		http.Error(w, "no token", http.StatusUnauthorized)
		return
	}
	a.mu.Lock()
	exp, cached := a.cache[tok]
	a.mu.Unlock()
	if cached && a.now().Before(exp) {
		fmt.Fprintln(w, "orders (cached)")
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, a.introspectionURL,
		strings.NewReader(url.Values{"token": {tok}}.Encode()))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(a.clientID), url.QueryEscape(a.secret))
	resp, err := a.client.Do(req)
	if err != nil {
		http.Error(w, "authorization server unreachable", http.StatusServiceUnavailable)
		return
	}
	defer resp.Body.Close()
	var ans struct {
		Active *bool  `json:"active"`
		Exp    int64  `json:"exp"`
		Scope  string `json:"scope"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&ans) != nil || ans.Active == nil {
		http.Error(w, "authorization server failed", http.StatusServiceUnavailable)
		return
	}
	if !*ans.Active {
		a.mu.Lock()
		delete(a.cache, tok)
		a.mu.Unlock()
		http.Error(w, "inactive token", http.StatusUnauthorized)
		return
	}
	if !strings.Contains(" "+ans.Scope+" ", " orders:read ") {
		http.Error(w, "insufficient scope", http.StatusForbidden)
		return
	}
	if ans.Exp != 0 {
		a.mu.Lock()
		a.cache[tok] = time.Unix(ans.Exp, 0)
		a.mu.Unlock()
	}
	fmt.Fprintln(w, "orders")
}

// get calls the API with a bearer token and returns the status.
func get(t testing.TB, api string, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, api, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// mustToken returns the token of an AddToken that cannot fail: a Server
// from Start reports its failures through the test.
func mustToken(tok string, _ error) string { return tok }
