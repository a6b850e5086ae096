package testkit_test

import (
	"fmt"
	"log"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit"
)

// Every token of one user goes inactive at once, wherever it came from;
// the journal says why each introspection answered inactive.
func ExampleServer_RevokeSubject() {
	as, err := testkit.New()
	if err != nil {
		log.Fatal(err)
	}
	defer as.Close()

	web, _ := as.AddToken(mockserver.Token{Sub: "alice", ClientID: "web", ExpiresIn: time.Hour})
	mobile, _ := as.AddToken(mockserver.Token{Sub: "alice", ClientID: "mobile", ExpiresIn: time.Hour})
	bob, _ := as.AddToken(mockserver.Token{Sub: "bob", ClientID: "web", Scope: "orders:read", ExpiresIn: time.Hour})
	n, _ := as.RevokeSubject("alice")
	fmt.Println("revoked:", n)
	for _, tok := range []string{web, mobile, bob} {
		fmt.Println(ask(as, tok))
	}
	calls := as.Calls()
	fmt.Println("why:", calls[0].Why)
	// Output:
	// revoked: 2
	// active=false
	// active=false
	// active=true sub=bob scope="orders:read"
	// why: revoked by subject
}

// A token pattern answers for any number of distinct tokens: load tests
// need no fixture file of millions of tokens.
func ExampleWithFixtureYAML_tokenPatterns() {
	as, err := testkit.New(testkit.WithFixtureYAML(`
token_patterns:
  - match: '^load-(?P<n>[0-9]{1,9})$'
    scope: read
    sub: 'user-{n}'
`))
	if err != nil {
		log.Fatal(err)
	}
	defer as.Close()

	for _, tok := range []string{"load-1", "load-123456789", "load-x"} {
		fmt.Printf("%s: %s\n", tok, ask(as, tok))
	}
	// Output:
	// load-1: active=true sub=user-1 scope="read"
	// load-123456789: active=true sub=user-123456789 scope="read"
	// load-x: active=false
}
