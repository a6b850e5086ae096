package mockserver_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/introspectmock/introspectmock/mockserver"
)

// FuzzIntrospectRequest sends random methods, paths, headers and bodies to
// the handler: it must never panic, never answer 500 and always answer
// JSON (docs/conformance.md ER-4).
func FuzzIntrospectRequest(f *testing.F) {
	f.Add("POST", "/introspect", formType, basic(rsID, rsSecret), []byte("token=active-token"))
	f.Add("POST", "/introspect", formType, rawBasic(oddID, oddSecret), []byte("token=active-token&token_type_hint=access_token"))
	f.Add("POST", "/introspect", formType+"; charset=utf-8", "", []byte(form("token", "minimal-token", "client_id", rsID, "client_secret", rsSecret)))
	f.Add("POST", "/introspect", formType, "Bearer "+rsBearer, []byte("token=%"))
	f.Add("POST", "/introspect", formType, "Bearer", []byte("token=a&token=b"))
	f.Add("POST", "/introspect", formType, "Basic !!!", []byte("%zz=1"))
	f.Add("POST", "/introspect", formType, "Basic "+strings.Repeat("A", 100), []byte("token=x;y&&=&a=%2"))
	f.Add("POST", "/introspect", "application/json", "Digest x", []byte(`{"token":"x"}`))
	f.Add("POST", "/introspect", "text/plain; charset", "basic Og==", []byte("token=\x00\xff"))
	f.Add("GET", "/introspect?token=x", "", "", []byte(nil))
	f.Add("POST", "/revoke", formType, basic(rsID, rsSecret), []byte("token=active-token"))
	f.Add("POST", "/token", formType, basic(svcID, svcSecret), []byte("grant_type=client_credentials&scope=orders:read"))
	f.Add("POST", "/token", formType, basic(svcID, svcSecret), []byte("grant_type=client_credentials&scope=%22"))
	f.Add("GET", "/.well-known/openid-configuration/x", "", "", []byte(nil))
	f.Add("BREW", "//introspect/../x", "", "", []byte("token=x"))

	srv, err := mockserver.New(mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path, contentType, authorization string, body []byte) {
		if path == "" || path[0] != '/' {
			path = "/" + path
		}
		u, err := url.ParseRequestURI(path)
		if err != nil {
			u = &url.URL{Path: path}
		}
		r := &http.Request{
			Method:        method,
			URL:           u,
			Proto:         "HTTP/1.1",
			ProtoMajor:    1,
			ProtoMinor:    1,
			Header:        http.Header{},
			Body:          io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)),
			Host:          "mock.test",
			RemoteAddr:    "192.0.2.1:1234",
			RequestURI:    path,
		}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		if authorization != "" {
			r.Header.Set("Authorization", authorization)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		res := w.Result()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %q: status %d: %s", method, path, res.StatusCode, w.Body.String())
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s %q: Content-Type %q", method, path, ct)
		}
		if b := w.Body.Bytes(); len(b) > 0 && !json.Valid(b) {
			t.Fatalf("%s %q: body is no JSON: %q", method, path, b)
		}
		if w.Body.Len() == 0 && !(res.StatusCode == 200 && strings.HasPrefix(u.Path, "/revoke")) && method != http.MethodHead {
			t.Fatalf("%s %q: empty %d answer", method, path, res.StatusCode)
		}
		if res.StatusCode == 401 && len(res.Header.Values("WWW-Authenticate")) == 0 {
			t.Fatalf("401 without WWW-Authenticate")
		}
		if res.StatusCode == 405 && res.Header.Get("Allow") == "" {
			t.Fatalf("405 without Allow")
		}
	})
}
