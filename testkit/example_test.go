package testkit_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit"
)

// ask introspects token with the server's default caller, as a resource
// server would, and says what came back.
func ask(as *testkit.Server, token string) string {
	req, err := http.NewRequest(http.MethodPost, as.IntrospectionURL(),
		strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		return err.Error()
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(as.ClientID(), as.ClientSecret())
	resp, err := as.Client().Do(req)
	if err != nil {
		return "no answer"
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("%s, Retry-After: %s", resp.Status, resp.Header.Get("Retry-After"))
	}
	var ans map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		return err.Error()
	}
	if ans["active"] != true {
		return "active=false"
	}
	return fmt.Sprintf("active=true sub=%v scope=%q", ans["sub"], ans["scope"])
}

// A server with the tokens of a fixture file. In a test, write
// testkit.Start(t, ...): it fails the test on error and closes the server
// on cleanup.
func ExampleNew() {
	as, err := testkit.New(testkit.WithFixtures("testdata/tokens.yaml"))
	if err != nil {
		log.Fatal(err)
	}
	defer as.Close()

	for _, tok := range []string{"fixture-active", "fixture-revoked", "fixture-expired", "unknown"} {
		fmt.Printf("%s: %s\n", tok, ask(as, tok))
	}
	// Output:
	// fixture-active: active=true sub=user-alice scope="orders:read orders:write"
	// fixture-revoked: active=false
	// fixture-expired: active=false
	// unknown: active=false
}

// A token from code: zero fields are unset members, and the token string is
// random unless given.
func ExampleServer_AddToken() {
	as, err := testkit.New()
	if err != nil {
		log.Fatal(err)
	}
	defer as.Close()

	tok, _ := as.AddToken(mockserver.Token{Scope: "orders:read", Sub: "alice", ExpiresIn: time.Hour})
	fmt.Println(ask(as, tok))
	// Output:
	// active=true sub=alice scope="orders:read"
}

// Revocation in the middle of a test shows on the next introspection.
func ExampleServer_Revoke() {
	as, err := testkit.New()
	if err != nil {
		log.Fatal(err)
	}
	defer as.Close()

	tok, _ := as.AddToken(mockserver.Token{Sub: "alice", Scope: "orders:read", ExpiresIn: time.Hour})
	fmt.Println("before:", ask(as, tok))
	as.Revoke(tok)
	fmt.Println("after:", ask(as, tok))
	// Output:
	// before: active=true sub=alice scope="orders:read"
	// after: active=false
}

// The server clock judges exp: advance it past a token's lifetime and the
// token expires, without waiting.
func ExampleClock_Advance() {
	as, err := testkit.New(testkit.WithClock(time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)))
	if err != nil {
		log.Fatal(err)
	}
	defer as.Close()

	tok, _ := as.AddToken(mockserver.Token{Sub: "alice", Scope: "orders:read", ExpiresIn: time.Hour})
	fmt.Println(as.Clock().Now().Format(time.Kitchen), ask(as, tok))
	as.Clock().Advance(59 * time.Minute)
	fmt.Println(as.Clock().Now().Format(time.Kitchen), ask(as, tok))
	as.Clock().Advance(time.Minute)
	fmt.Println(as.Clock().Now().Format(time.Kitchen), ask(as, tok))
	// Output:
	// 9:00AM active=true sub=alice scope="orders:read"
	// 9:59AM active=true sub=alice scope="orders:read"
	// 10:00AM active=false
}

// A script makes the first introspection of a token fail with 503 and
// Retry-After; the next one answers normally.
func ExampleServer_Script() {
	as, err := testkit.New()
	if err != nil {
		log.Fatal(err)
	}
	defer as.Close()

	tok, _ := as.AddToken(mockserver.Token{Sub: "alice", Scope: "orders:read", ExpiresIn: time.Hour})
	as.Script(tok, mockserver.Step{
		When:    mockserver.OnCall(1),
		Respond: &mockserver.Fault{Status: http.StatusServiceUnavailable, RetryAfter: 2 * time.Second},
	})
	fmt.Println(ask(as, tok))
	fmt.Println(ask(as, tok))
	// Output:
	// 503 Service Unavailable, Retry-After: 2
	// active=true sub=alice scope="orders:read"
}

// FailNext breaks the next introspections whatever their token, e.g. to
// test a client's retries.
func ExampleServer_FailNext() {
	as, err := testkit.New(testkit.WithFixtures("testdata/tokens.yaml"))
	if err != nil {
		log.Fatal(err)
	}
	defer as.Close()

	as.FailNext(2, mockserver.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second})
	for range 3 {
		fmt.Println(ask(as, "fixture-active"))
	}
	// Output:
	// 429 Too Many Requests, Retry-After: 1
	// 429 Too Many Requests, Retry-After: 1
	// active=true sub=user-alice scope="orders:read orders:write"
}

// A revocation that fails with 503 and Retry-After revokes nothing (RFC
// 7009 §2.2.1); the client's retry does.
func ExampleServer_FailNextAt() {
	as, err := testkit.New(testkit.WithFixtures("testdata/tokens.yaml"))
	if err != nil {
		log.Fatal(err)
	}
	defer as.Close()

	revoke := func(token string) string {
		req, _ := http.NewRequest(http.MethodPost, as.RevocationURL(), strings.NewReader(url.Values{"token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(as.ClientID(), as.ClientSecret())
		resp, err := as.Client().Do(req)
		if err != nil {
			return "no answer"
		}
		resp.Body.Close()
		return fmt.Sprintf("revoke: %s, Retry-After: %q", resp.Status, resp.Header.Get("Retry-After"))
	}

	as.FailNextAt(mockserver.EndpointRevoke, 1, mockserver.Fault{Status: http.StatusServiceUnavailable, RetryAfter: 2 * time.Second})
	fmt.Println(revoke("fixture-active"))
	fmt.Println(ask(as, "fixture-active"))
	fmt.Println(revoke("fixture-active"))
	fmt.Println(ask(as, "fixture-active"))
	// Output:
	// revoke: 503 Service Unavailable, Retry-After: "2"
	// active=true sub=user-alice scope="orders:read orders:write"
	// revoke: 200 OK, Retry-After: ""
	// active=false
}

// The journal records every request with the server clock's time, the
// caller and how it authenticated, the token and the answer. In a test,
// as.AssertIntrospected(t, tok, 2) checks the count and reports
// `introspections of "abcd…" = 3; want 2` otherwise.
func ExampleServer_Calls() {
	as, err := testkit.New(testkit.WithClock(time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)))
	if err != nil {
		log.Fatal(err)
	}
	defer as.Close()

	tok, _ := as.AddToken(mockserver.Token{Sub: "alice", ExpiresIn: time.Hour})
	ask(as, tok)
	as.Clock().Advance(time.Hour)
	ask(as, tok)

	introspections := 0
	for _, c := range as.Calls() {
		if c.Endpoint == "introspect" && c.Token.Raw() == tok {
			introspections++
		}
		fmt.Println(c.Time.Format(time.TimeOnly), c.Endpoint, c.ClientID, c.AuthMethod, c.Status, "active:", c.Active)
	}
	fmt.Println("introspections:", introspections)
	// Output:
	// 09:00:00 introspect testkit-rs basic 200 active: true
	// 10:00:00 introspect testkit-rs basic 200 active: false
	// introspections: 2
}

// Start in a test: the server is listening when Start returns, a bad
// fixture fails the test, and t.Cleanup closes the server. (Start needs the
// test's t, so this example is compiled but not run; ExampleNew runs the same
// server without t.)
func ExampleStart() {
	testOrders := func(t *testing.T) {
		t.Parallel() // every test gets its own server: tokens, clock, journal
		as := testkit.Start(t, testkit.WithFixtures("testdata/tokens.yaml"))
		tok, _ := as.AddToken(mockserver.Token{Scope: "orders:read", Sub: "alice", ExpiresIn: time.Hour})

		// Point the service under test at as.IntrospectionURL() with
		// as.ClientID() and as.ClientSecret(), then call it with tok.
		as.Revoke(tok)
		// ... the service must now refuse tok.
		as.AssertIntrospected(t, tok, 2)
	}
	_ = testOrders
}

// AssertIntrospected checks the journal: how many times a token was asked
// about. A resource server that caches answers should ask once. (Compiled,
// not run: it reports through the test's t.)
func ExampleServer_AssertIntrospected() {
	testCache := func(t *testing.T) {
		as := testkit.Start(t)
		tok, _ := as.AddToken(mockserver.Token{Sub: "alice", ExpiresIn: time.Hour})
		start := as.Clock().Now()
		// ... call the service under test twice with tok.
		as.AssertIntrospected(t, tok, 1) // fails: introspections of "abcd…" = 2; want 1
		as.AssertNotIntrospectedAfter(t, tok, start.Add(time.Second))
	}
	_ = testCache
}

// One server for a test and its parallel subtests: each subtest uses a
// view bound to its own t, so a failing helper fails that subtest only.
// (Compiled, not run: it needs the test's t.)
func ExampleServer_With() {
	testOrders := func(t *testing.T) {
		as := testkit.Start(t) // closed when the test and all its subtests are done
		for _, scope := range []string{"orders:read", "orders:write"} {
			t.Run(scope, func(t *testing.T) {
				t.Parallel()
				as := as.With(t) // not the parent's t: failing it from here would panic
				tok, _ := as.AddToken(mockserver.Token{Scope: scope, ExpiresIn: time.Hour})
				// ... call the service under test with tok.
				as.AssertIntrospected(t, tok, 1)
			})
		}
	}
	_ = testOrders
}

// Introspect asks the server about a token as the resource server would,
// and decodes the answer: for checking a test's setup, or faults.
func ExampleServer_Introspect() {
	as, err := testkit.New()
	if err != nil {
		log.Fatal(err)
	}
	defer as.Close()

	tok, _ := as.AddToken(mockserver.Token{Scope: "orders:read", Sub: "alice", ExpiresIn: time.Hour})
	in := as.Introspect(tok)
	fmt.Println(in.Status, in.Active, in.Scope(), in.Sub())

	as.FailNext(1, mockserver.Fault{Status: http.StatusServiceUnavailable, RetryAfter: 2 * time.Second})
	in = as.Introspect(tok)
	fmt.Println(in.Status, in.Active, in.Header.Get("Retry-After"), in.Members["error"])

	fmt.Println(as.RevokeAsCaller(tok).Status, as.Introspect(tok).Active)
	// Output:
	// 200 true orders:read alice
	// 503 false 2 temporarily_unavailable
	// 200 false
}

// A filter picks calls of the journal by endpoint, token and time, as the
// admin API's /admin/calls?endpoint=&token= does.
func ExampleCallFilter() {
	as, err := testkit.New(testkit.WithClock(time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)))
	if err != nil {
		log.Fatal(err)
	}
	defer as.Close()

	tok, _ := as.AddToken(mockserver.Token{Token: "orders-token-1", ExpiresIn: time.Hour})
	as.Introspect(tok)
	as.Clock().Advance(time.Minute)
	since := as.Clock().Now()
	as.Introspect(tok)
	as.RevokeAsCaller(tok)

	fmt.Println(len(as.Calls()), "calls")
	fmt.Println(len(as.Calls(testkit.CallFilter{Endpoint: mockserver.EndpointIntrospect, Token: tok})), "introspections of tok")
	for _, c := range as.Calls(testkit.CallFilter{Since: since}) {
		fmt.Println(c) // the token is redacted however a Call is printed
	}
	// Output:
	// 3 calls
	// 2 introspections of tok
	// 2030-01-01T09:01:00Z introspect client="testkit-rs" auth=basic token=orde… status=200 active=true
	// 2030-01-01T09:01:00Z revoke client="testkit-rs" auth=basic token=orde… status=200
}

// Mutators return errors that errors.Is matches; a Server from New only
// returns them, and one from Start also fails its test.
func ExampleServer_Revoke_unknownToken() {
	as, err := testkit.New()
	if err != nil {
		log.Fatal(err)
	}
	defer as.Close()

	err = as.Revoke("never-added")
	fmt.Println(errors.Is(err, mockserver.ErrNotFound))
	fmt.Println(err)
	err = as.Script("never-added", mockserver.Step{State: mockserver.StateRevoked})
	fmt.Println(err != nil)
	// Output:
	// true
	// testkit: Revoke("neve…"): no such token
	// true
}
