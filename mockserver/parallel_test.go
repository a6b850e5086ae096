package mockserver_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// TestParallelIntrospection runs many introspections at once while tokens
// are revoked, issued and fixtures reloaded: under -race this checks the
// store's locking, and every answer must still be exact.
func TestParallelIntrospection(t *testing.T) {
	t.Parallel()
	const tokens = 50
	set := testSet()
	for i := range tokens {
		set.Tokens = append(set.Tokens, fixtures.Token{Token: fmt.Sprintf("par-%d", i), Sub: fmt.Sprintf("user-%d", i)})
	}
	ts, srv := start(t, mockserver.WithFixtures(set), mockserver.WithIssuer("https://auth.example.test"))
	auth := basic(rsID, rsSecret)

	const workers, rounds = 16, 40
	var wg sync.WaitGroup
	errs := make(chan string, workers*rounds)
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				i := (w*rounds + r) % tokens
				tok := fmt.Sprintf("par-%d", i)
				got := do(t, ts, req{header: hdr("Authorization", auth), body: "token=" + tok})
				want := `{"active":true,"token_type":"Bearer","sub":"user-` + itoa(int64(i)) + `","iss":"https://auth.example.test"}`
				if got.status != 200 || (got.body != want && got.body != inactive) {
					errs <- fmt.Sprintf("%s: %d %s", tok, got.status, got.body)
				}
			}
		})
	}
	wg.Go(func() { // revoke every other token
		for i := 0; i < tokens; i += 2 {
			do(t, ts, req{path: "/revoke", header: hdr("Authorization", auth), body: fmt.Sprintf("token=par-%d", i)})
		}
	})
	wg.Go(func() { // issue tokens
		for range 20 {
			r := do(t, ts, req{path: "/token", header: hdr("Authorization", basic(svcID, svcSecret)), body: "grant_type=client_credentials"})
			if r.status != 200 {
				errs <- "token: " + r.body
			}
		}
	})
	wg.Go(func() { // count and reload the same fixtures
		for range 5 {
			_ = srv.TokenCount()
			if err := srv.Reload(set); err != nil {
				errs <- err.Error()
			}
		}
	})
	wg.Wait()
	close(errs)
	var msgs []string
	for e := range errs {
		msgs = append(msgs, e)
	}
	if len(msgs) > 0 {
		t.Errorf("%d bad answers, first: %s", len(msgs), strings.Join(msgs[:min(3, len(msgs))], "\n"))
	}
}
