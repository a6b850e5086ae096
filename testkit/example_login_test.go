package testkit_test

import (
	"context"
	"fmt"
	"log"

	"golang.org/x/oauth2"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/testkit"
)

// A user logs in without a browser: Authorize follows the authorization
// URL golang.org/x/oauth2 makes to the redirect with the code, which the
// client exchanges with its PKCE verifier; the access token is the user's.
func ExampleServer_Authorize() {
	as, err := testkit.New(testkit.WithFixtureYAML(`
users:
  - {sub: user-123, username: alice, default: true}
clients:
  - {client_id: spa, token_endpoint_auth_method: none, redirect_uris: [http://127.0.0.1/callback]}
`))
	if err != nil {
		log.Fatal(err)
	}
	defer as.Close()
	if err := as.AddUser(fixtures.User{Sub: "user-456", Username: "bob"}); err != nil {
		log.Fatal(err)
	}
	if err := as.SetNextLogin("bob"); err != nil {
		log.Fatal(err)
	}

	conf := &oauth2.Config{ClientID: "spa", RedirectURL: "http://127.0.0.1:3000/callback",
		Endpoint: oauth2.Endpoint{AuthURL: as.AuthorizationURL(), TokenURL: as.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}}
	verifier := oauth2.GenerateVerifier()
	q, err := as.Authorize(conf.AuthCodeURL("xyz", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("state:", q.Get("state"), "iss is the issuer:", q.Get("iss") == as.Issuer())

	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, as.Client())
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		log.Fatal(err)
	}
	got := as.Introspect(tok.AccessToken)
	fmt.Println("active:", got.Active, "sub:", got.Sub(), "refresh token:", tok.RefreshToken != "")
	// Output:
	// state: xyz iss is the issuer: true
	// active: true sub: user-456 refresh token: true
}
