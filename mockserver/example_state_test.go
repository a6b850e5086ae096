package mockserver_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// introspectAs asks the server at base (which may end in a namespace
// prefix) about tok as orders-api and prints status, Retry-After and body.
func introspectAs(base, tok string) {
	req, _ := http.NewRequest(http.MethodPost, base+"/introspect", strings.NewReader(url.Values{"token": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("orders-api", "orders-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After"), string(body))
}

// ExampleNamespace_AddToken adds a token from code, revokes it, and moves
// the clock past the expiry of another.
func ExampleNamespace_AddToken() {
	srv, _ := mockserver.New(mockserver.WithFixtures(&fixtures.Set{
		Issuer:  "https://auth.example.test",
		Clients: []fixtures.Client{{ClientID: "orders-api", ClientSecret: "orders-secret"}},
	}))
	ts := httptest.NewServer(srv)
	defer ts.Close()

	ns := srv.Default()
	ns.Clock().Freeze()
	ns.Clock().Set(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	tok, _ := ns.AddToken(mockserver.Token{Token: "tok-1", Scope: "orders:read", Sub: "alice", ExpiresIn: time.Hour})
	introspectAs(ts.URL, tok)
	ns.Clock().Advance(time.Hour)
	introspectAs(ts.URL, tok)
	fmt.Println(len(callsOf(ns)), "calls;", callsOf(ns)[0])
	// Output:
	// 200  {"active":true,"scope":"orders:read","token_type":"Bearer","exp":1893459600,"iat":1893456000,"sub":"alice","iss":"https://auth.example.test"}
	// 200  {"active":false}
	// 2 calls; 2030-01-01T00:00:00Z introspect client="orders-api" auth=basic token=… status=200 active=true
}

// ExampleNamespace_SetScript plays a 503 on the first introspection of a
// token, then recovery, and fails the next call of any token.
func ExampleNamespace_SetScript() {
	srv, _ := mockserver.New(mockserver.WithFixtures(&fixtures.Set{
		Clients: []fixtures.Client{{ClientID: "orders-api", ClientSecret: "orders-secret"}},
		Tokens:  []fixtures.Token{{Token: "flaky-token", Sub: "alice"}},
	}), mockserver.WithIssuer("https://auth.example.test"))
	ts := httptest.NewServer(srv)
	defer ts.Close()

	ns := srv.Default()
	_ = ns.SetScript("flaky-token", []mockserver.Step{
		{When: mockserver.OnCall(1), Respond: &mockserver.Fault{Status: 503, RetryAfter: 2 * time.Second}},
	})
	introspectAs(ts.URL, "flaky-token")
	introspectAs(ts.URL, "flaky-token")
	ns.FailNext(1, mockserver.Fault{Malformed: fixtures.MalformedStringActive})
	introspectAs(ts.URL, "flaky-token")
	// Output:
	// 503 2 {"error":"temporarily_unavailable","error_description":"injected fault"}
	// 200  {"active":true,"token_type":"Bearer","sub":"alice","iss":"https://auth.example.test"}
	// 200  {"active":"false","token_type":"Bearer","sub":"alice","iss":"https://auth.example.test"}
}

// ExampleServer_Namespace serves two isolated namespaces from one server:
// a revocation in one is not seen in the other.
func ExampleServer_Namespace() {
	srv, _ := mockserver.New(mockserver.WithFixtures(&fixtures.Set{
		Clients: []fixtures.Client{{ClientID: "orders-api", ClientSecret: "orders-secret"}},
		Tokens:  []fixtures.Token{{Token: "shared-token", Sub: "alice"}},
	}), mockserver.WithIssuer("https://auth.example.test"))
	ts := httptest.NewServer(srv)
	defer ts.Close()

	a, _ := srv.Namespace("test-a")
	a.Revoke("shared-token")
	introspectAs(ts.URL+"/ns/test-a", "shared-token")
	introspectAs(ts.URL+"/ns/test-b", "shared-token")
	fmt.Println(srv.Namespaces())
	// Output:
	// 200  {"active":false}
	// 200  {"active":true,"token_type":"Bearer","sub":"alice","iss":"https://auth.example.test/ns/test-b"}
	// [test-a test-b]
}
