package mockserver_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/introspectmock/introspectmock/mockserver"
)

// FuzzAdminAPI sends random methods, admin paths and JSON bodies to the
// admin API: it must never panic, never answer 5xx, and answer JSON (or
// 204 with no body).
func FuzzAdminAPI(f *testing.F) {
	seeds := []struct{ method, path, body string }{
		{"POST", "tokens", `{"token":"t1","scope":["a"],"exp":"+1h","claims":{"x":[1,{"y":null}]},"script":[{"on_call":1,"respond":{"status":503}}]}`},
		{"POST", "tokens", `{}`},
		{"POST", "tokens", `{"token":"t2","iat":1893456000,"exp":"2030-01-01T00:00:00Z"}`},
		{"GET", "tokens/active-token", ``},
		{"PUT", "tokens/active-token/script", `{"script":[{"after":"10m","state":"expired"}]}`},
		{"POST", "tokens/a%2Fb/revoke", ``},
		{"POST", "clock/advance", `{"by":"-2h"}`},
		{"POST", "clock/set", `{"time":"2030-01-02T15:04:05Z"}`},
		{"POST", "faults", `{"count":3,"respond":{"malformed":"html"}}`},
		{"POST", "faults", `{"count":1,"endpoint":"revoke","respond":{"status":503,"retry_after":"2s"}}`},
		{"POST", "clients", `{"client_id":"c","client_secret":"s"}`},
		{"GET", "calls?endpoint=introspect&token=%ff", ``},
		{"PUT", "namespaces/x", ``},
		{"DELETE", "namespaces/x", ``},
		{"POST", "reset", `{"token":`},
		{"PATCH", "tokens//", "\x00"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, []byte(s.body))
	}
	srv, err := mockserver.New(mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()),
		mockserver.WithMaxTokens(1000), mockserver.WithMaxNamespaces(10))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		for _, prefix := range []string{"/admin/", "/ns/fuzz/admin/"} {
			u, err := url.ParseRequestURI(prefix + strings.TrimLeft(path, "/"))
			if err != nil {
				return
			}
			r := &http.Request{Method: method, URL: u, Header: http.Header{"Content-Type": {"application/json"}},
				Body: http.NoBody, Host: "mock.test", RequestURI: u.RequestURI()}
			if len(body) > 0 {
				r.Body = nopCloser{bytes.NewReader(body)}
				r.ContentLength = int64(len(body))
			}
			w := httptest.NewRecorder()
			handlerOf(srv).ServeHTTP(w, r)
			if w.Code >= 500 {
				t.Fatalf("%s %s %q: %d %s", method, u, body, w.Code, w.Body)
			}
			if w.Code == http.StatusNoContent {
				if w.Body.Len() != 0 {
					t.Fatalf("204 with a body: %s", w.Body)
				}
				continue
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" || !json.Valid(w.Body.Bytes()) {
				t.Fatalf("%s %s %q: %d %q %s", method, u, body, w.Code, ct, w.Body)
			}
			var e struct {
				Desc string `json:"error_description"`
			}
			if w.Code >= 400 && json.Unmarshal(w.Body.Bytes(), &e) == nil && strings.ContainsFunc(e.Desc, func(r rune) bool {
				return r < 0x20 || r > 0x7e || r == '"' || r == '\\'
			}) {
				t.Fatalf("ER-1: %s %s %q: error_description %q", method, u, body, e.Desc)
			}
		}
		if srv.TokenCount() > 900 {
			srv.Default().Reset()
		}
	})
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
