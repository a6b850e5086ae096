package mockserver_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// BenchmarkNew100k measures New with 100,000 fixture tokens shaped like
// the bench's (scope, client_id, username, sub, aud, iat, exp, jti and a
// claim): rendering every answer. Profile it with -cpuprofile and
// -memprofile; docs/performance.md has the figures.
func BenchmarkNew100k(b *testing.B) {
	set := &fixtures.Set{
		Clients: []fixtures.Client{{ClientID: rsID, ClientSecret: rsSecret}},
		Tokens:  make([]fixtures.Token, 100_000),
	}
	for i := range set.Tokens {
		set.Tokens[i] = fixtures.Token{
			Token: fmt.Sprintf("bench-token-%08d", i), Scope: "read write", ClientID: "bench-client", Username: "alice",
			Sub: fmt.Sprintf("user-%d", i), Aud: fixtures.Audience{Values: []string{"bench-api"}},
			Iat: fixtures.Relative(-5 * time.Minute), Exp: fixtures.Relative(time.Hour), Jti: fmt.Sprintf("jti-%d", i),
			Claims: map[string]any{"tenant": "acme"},
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := mockserver.New(mockserver.WithFixtures(set)); err != nil {
			b.Fatal(err)
		}
	}
}
