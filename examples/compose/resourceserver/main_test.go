package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit"
)

// TestHello runs the resource server against an in-process introspectmock
// seeded with the compose example's fixtures: what the compose example
// checks in Docker, in a millisecond.
func TestHello(t *testing.T) {
	as := testkit.Start(t, testkit.WithFixtures("../fixtures/tokens.yaml"))
	h, err := newHandler(as.IntrospectionURL(), as.ClientID(), as.ClientSecret(), as.Client())
	if err != nil {
		t.Fatal(err)
	}
	rs := httptest.NewServer(h)
	t.Cleanup(rs.Close)

	tests := []struct {
		name  string
		give  string // bearer token
		want  int
		setup func()
	}{
		{name: "active", give: "alice-token", want: http.StatusOK},
		{name: "revoked", give: "bob-revoked-token", want: http.StatusUnauthorized},
		{name: "expired", give: "carol-expired-token", want: http.StatusUnauthorized},
		{name: "unknown", give: "no-such-token", want: http.StatusUnauthorized},
		{name: "no token", give: "", want: http.StatusUnauthorized},
		{name: "PF-6/authorization server 503", give: "alice-token", want: http.StatusServiceUnavailable,
			setup: func() {
				as.FailNext(1, mockserver.Fault{Status: http.StatusServiceUnavailable, RetryAfter: time.Second})
			}},
		{name: "PF-1/active as a string", give: "alice-token", want: http.StatusServiceUnavailable,
			setup: func() { as.FailNext(1, mockserver.Fault{Malformed: "string_active"}) }},
		{name: "revoked mid-test", give: "alice-token", want: http.StatusUnauthorized,
			setup: func() { as.Revoke("alice-token") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			if got, body := hello(t, rs.URL, tt.give); got != tt.want {
				t.Errorf("GET /hello: %d %s; want %d", got, body, tt.want)
			}
		})
	}
	// Every request with a token asked the authorization server: no cache.
	as.AssertIntrospected(t, "alice-token", 4)
}

func hello(t *testing.T, base, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/hello", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
