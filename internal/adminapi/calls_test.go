package adminapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/internal/adminapi"
	"github.com/introspectmock/introspectmock/mockserver"
)

// TestCallsMatching: the server filters the journal by endpoint and token
// (a token that needs escaping included), and the client gets the raw
// tokens back.
func TestCallsMatching(t *testing.T) {
	t.Parallel()
	srv, err := mockserver.New(mockserver.WithClock(fixedClock{}))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(adminapi.Handler(srv))
	t.Cleanup(ts.Close)
	c := adminapi.NewClient(ts.URL, ts.Client(), "")
	if err := c.AddClient(fixtures.Client{ClientID: "rs", ClientSecret: "rs-secret"}); err != nil {
		t.Fatal(err)
	}
	odd := "a b&token=c+d%"
	for _, tok := range []string{odd, "other-token"} {
		if _, err := c.AddToken(mockserver.Token{Token: tok}); err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/introspect", strings.NewReader(url.Values{"token": {tok}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("rs", "rs-secret")
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/revoke", strings.NewReader(url.Values{"token": {odd}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("rs", "rs-secret")
	if resp, err := ts.Client().Do(req); err == nil {
		resp.Body.Close()
	}

	for _, tt := range []struct {
		endpoint, token string
		want            int
	}{
		{"", "", 3},
		{mockserver.EndpointIntrospect, "", 2},
		{"", odd, 2},
		{mockserver.EndpointIntrospect, odd, 1},
		{mockserver.EndpointToken, "", 0},
	} {
		calls, err := c.CallsMatching(tt.endpoint, tt.token)
		if err != nil {
			t.Fatalf("CallsMatching(%q, %q): %v", tt.endpoint, tt.token, err)
		}
		if len(calls) != tt.want {
			t.Errorf("CallsMatching(%q, %q) = %v; want %d calls", tt.endpoint, tt.token, calls, tt.want)
		}
		for _, call := range calls {
			if tt.token != "" && call.Token.Raw() != tt.token || tt.endpoint != "" && call.Endpoint != tt.endpoint {
				t.Errorf("CallsMatching(%q, %q) returned %v (token %q)", tt.endpoint, tt.token, call, call.Token.Raw())
			}
		}
	}
}
