package mockserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/introspectmock/introspectmock/mockserver"
)

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the handler.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkIntrospect measures the hot path: an authenticated
// introspection of an active token, derived and configured issuer.
func BenchmarkIntrospect(b *testing.B) {
	for _, bb := range []struct {
		name string
		opts []mockserver.Option
	}{
		{"derived-issuer", []mockserver.Option{mockserver.WithFixtures(testSet())}},
		{"configured-issuer", []mockserver.Option{mockserver.WithFixtures(testSet()), mockserver.WithIssuer("https://auth.example.test")}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			srv, err := mockserver.New(bb.opts...)
			if err != nil {
				b.Fatal(err)
			}
			benchIntrospect(b, srv, "active-token")
		})
	}
}

// benchIntrospect measures srv's introspection of tok, an active token,
// by testSet's rs client.
func benchIntrospect(b *testing.B, srv *mockserver.Server, tok string) {
	benchServe(b, srv.ServeHTTP, tok)
}

// BenchmarkRouteIntrospect compares the fast path of POST /introspect
// (routes.go: router.ServeHTTP calls serveIntrospect) with the same
// request routed by the mux.Router, which declares the route too. The
// fast path stays only while it pays.
func BenchmarkRouteIntrospect(b *testing.B) {
	srv, err := mockserver.New(mockserver.WithFixtures(testSet()))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fast-path", func(b *testing.B) { benchServe(b, srv.ServeHTTP, "active-token") })
	b.Run("mux", func(b *testing.B) {
		benchServe(b, func(w http.ResponseWriter, r *http.Request) { mockserver.ServeViaRouter(srv, w, r) }, "active-token")
	})
}

// benchServe measures serve's introspection of tok, an active token, by
// testSet's rs client.
func benchServe(b *testing.B, serve http.HandlerFunc, tok string) {
	auth := basic(rsID, rsSecret)
	body := "token=" + tok
	newRequest := func() *http.Request {
		r, _ := http.NewRequest(http.MethodPost, "http://mock.test/introspect", strings.NewReader(body))
		r.Header.Set("Content-Type", formType)
		r.Header.Set("Authorization", auth)
		return r
	}
	// What is measured must be the active answer, not an error.
	w := httptest.NewRecorder()
	serve(w, newRequest())
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), `{"active":true`) {
		b.Fatalf("introspection = %d %s; want the active answer", w.Code, w.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		serve(&discardWriter{h: http.Header{}}, newRequest())
	}
}
