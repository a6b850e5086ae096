package mockserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAdminHostAllowed checks the Host allow-list against DNS rebinding:
// IP literals, localhost names and single-label names pass; other names
// only when listed.
func TestAdminHostAllowed(t *testing.T) {
	t.Parallel()
	extra := map[string]bool{canonicalHost("Mock.Example.Test"): true}
	for host, want := range map[string]bool{
		"":                       true,
		"127.0.0.1":              true,
		"127.0.0.1:8080":         true,
		"10.1.2.3:80":            true,
		"[::1]:8080":             true,
		"[::1]":                  true,
		"localhost":              true,
		"LOCALHOST:8080":         true,
		"localhost.":             true,
		"app.localhost:3000":     true,
		"introspectmock:8080":    true,
		"introspectmock":         true,
		"mock.example.test":      true,
		"MOCK.example.test.:443": true,
		"evil.example":           false,
		"evil.example:8080":      false,
		"127.0.0.1.nip.io":       false,
		"localhost.evil.example": false,
		"example.test":           false,
	} {
		if got := adminHostAllowed(host, extra); got != want {
			t.Errorf("adminHostAllowed(%q) = %v; want %v", host, got, want)
		}
	}
}

// TestAdminGuardAlone checks the middleware on its own: cross-site
// state-changing requests and rebinding hosts reach deny, the valid token
// lets any host through, and the rest reaches the handler.
func TestAdminGuardAlone(t *testing.T) {
	t.Parallel()
	var denied string
	guard := adminGuard([]string{"ok.example"},
		func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer good" },
		func(w http.ResponseWriter, r *http.Request, desc string) {
			denied = desc
			w.WriteHeader(http.StatusForbidden)
		})
	h := guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	for _, tt := range []struct {
		name, method, host string
		header             map[string]string
		want               int
		wantDesc           string
	}{
		{"curl", "POST", "127.0.0.1:8080", nil, http.StatusTeapot, ""},
		{"same origin", "POST", "127.0.0.1:8080", map[string]string{"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"}, http.StatusTeapot, ""},
		{"cross site", "POST", "127.0.0.1:8080", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, "cross-origin"},
		{"foreign origin", "POST", "127.0.0.1:8080", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden, "cross-origin"},
		{"cross site with the token", "PUT", "127.0.0.1:8080", map[string]string{"Sec-Fetch-Site": "cross-site", "Authorization": "Bearer good"}, http.StatusForbidden, "cross-origin"},
		{"cross site read", "GET", "127.0.0.1:8080", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusTeapot, ""},
		{"rebinding", "GET", "evil.example:8080", nil, http.StatusForbidden, "--admin-hosts"},
		{"rebinding, same origin", "POST", "evil.example:8080", map[string]string{"Origin": "http://evil.example:8080"}, http.StatusForbidden, "--admin-hosts"},
		{"rebinding with the token", "GET", "evil.example:8080", map[string]string{"Authorization": "Bearer good"}, http.StatusTeapot, ""},
		{"rebinding with a wrong token", "GET", "evil.example:8080", map[string]string{"Authorization": "Bearer bad"}, http.StatusForbidden, "--admin-hosts"},
		{"listed host", "GET", "ok.example", nil, http.StatusTeapot, ""},
	} {
		denied = ""
		r := httptest.NewRequest(tt.method, "http://"+tt.host+"/admin/clients", nil)
		for k, v := range tt.header {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("%s: status %d; want %d", tt.name, w.Code, tt.want)
		}
		if tt.wantDesc != "" && !strings.Contains(denied, tt.wantDesc) {
			t.Errorf("%s: denied with %q; want it to say %q", tt.name, denied, tt.wantDesc)
		}
	}
}
