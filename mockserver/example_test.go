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

// ExampleNew serves fixtures with httptest and introspects three tokens as
// a resource server would.
func ExampleNew() {
	srv, err := mockserver.New(mockserver.WithFixtures(&fixtures.Set{
		Issuer:  "https://auth.example.test",
		Clients: []fixtures.Client{{ClientID: "orders-api", ClientSecret: "orders-secret"}},
		Tokens: []fixtures.Token{
			{Token: "active-token", Scope: "orders:read", Sub: "alice", Exp: fixtures.Absolute(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))},
			{Token: "revoked-token", Revoked: true},
		},
	}))
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	for _, tok := range []string{"active-token", "revoked-token", "unknown-token"} {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/introspect", strings.NewReader(url.Values{"token": {tok}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("orders-api", "orders-secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, string(body))
	}
	// Output:
	// 200 {"active":true,"scope":"orders:read","token_type":"Bearer","exp":4102444800,"sub":"alice","iss":"https://auth.example.test"}
	// 200 {"active":false}
	// 200 {"active":false}
}
