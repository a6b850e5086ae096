package mockserver_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// A user logs in without a browser: the authorization endpoint picks the
// next login (else the default user) and redirects to the client with a
// code, which the token endpoint redeems for tokens of that user.
func ExampleNamespace_SetNextLogin() {
	srv, err := mockserver.New(mockserver.WithFixtures(&fixtures.Set{
		Users: []fixtures.User{{Sub: "u-1", Username: "alice", Default: true}, {Sub: "u-2", Username: "bob"}},
		Clients: []fixtures.Client{
			{ClientID: "web", ClientSecret: "web-secret", RedirectURIs: []string{"https://web.example/callback"}},
			{ClientID: "api", ClientSecret: "api-secret"},
		},
	}))
	if err != nil {
		panic(err)
	}
	if err := srv.Default().SetNextLogin("bob"); err != nil {
		panic(err)
	}
	call := func(method, target, auth, form string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "http://as.example"+target, strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if auth != "" {
			req.SetBasicAuth(auth, auth+"-secret")
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}

	rec := call("GET", "/authorize?response_type=code&client_id=web&state=s1", "", "")
	loc, _ := url.Parse(rec.Header().Get("Location"))
	fmt.Println(rec.Code, loc.Host+loc.Path, loc.Query().Get("state"), loc.Query().Get("iss"))

	var tok struct {
		AccessToken string `json:"access_token"`
	}
	rec = call("POST", "/token", "web", "grant_type=authorization_code&code="+loc.Query().Get("code"))
	_ = json.Unmarshal(rec.Body.Bytes(), &tok)
	var intro struct {
		Active   bool   `json:"active"`
		Sub      string `json:"sub"`
		Username string `json:"username"`
	}
	_ = json.Unmarshal(call("POST", "/introspect", "api", "token="+tok.AccessToken).Body.Bytes(), &intro)
	fmt.Println(intro.Active, intro.Sub, intro.Username)
	// Output:
	// 302 web.example/callback s1 http://as.example
	// true u-2 bob
}
