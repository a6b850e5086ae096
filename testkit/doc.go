// Package testkit runs an introspectmock authorization server inside a Go
// test, the way net/http/httptest runs an HTTP server: one call, already
// listening, closed by tb.Cleanup.
//
//	as := testkit.Start(t, testkit.WithFixtures("testdata/tokens.yaml"))
//	tok, _ := as.AddToken(mockserver.Token{Scope: "orders:read", Sub: "alice", ExpiresIn: time.Hour})
//	api := newOrdersAPI(as.IntrospectionURL(), as.ClientID(), as.ClientSecret())
//	// ... call api with tok: 200
//	as.Revoke(tok)
//	// ... call api with tok: 401
//	as.AssertIntrospected(t, tok, 2)
//
// A Server answers RFC 7662 introspection, RFC 7009 revocation, a
// client_credentials token endpoint and RFC 8414 discovery. The test drives
// it from Go: tokens from fixture files or code (AddToken), revocation and
// expiry (Revoke, Expire), one clock for every exp and nbf (Clock), per-token
// scripts and server-wide faults (Script, FailNext), a Go function deciding
// answers (Stub), and a journal of every request (Calls, AssertIntrospected).
//
// Users log in with the authorization code flow and PKCE, without a
// browser: AddUser, SetNextLogin (who the next login is), Authorize (the
// redirect's code for an authorization URL such as golang.org/x/oauth2
// makes) and AuthorizationURL; the tokens are introspected, revoked and
// scripted like any other, and FailNextAt scripts the flow's failures
// (mockserver.EndpointAuthorize, mockserver.EndpointToken).
//
// Start and New serve an in-process server on httptest. Connect drives an
// introspectmock running elsewhere (another process, a container) through
// its admin HTTP API, with the same methods; testkit/container builds on it.
//
// Every Server from Start or New is independent: its own tokens, clock,
// scripts and journal, so parallel tests each start their own. Servers that
// Connect to the same URL share that server's (or namespace's) state, which
// outlives them. Methods are safe for concurrent
// use. Tokens and secrets are redacted in every message testkit prints.
//
// # Errors
//
// Every method that changes the server (AddToken, Revoke, Script,
// FailNext, Reset, Clock().Set, …) returns an error; match it with
// errors.Is against mockserver.ErrNotFound (an unknown token) or
// mockserver.ErrExists, in-process or remote alike. Nothing panics on bad
// input: a step without a trigger, a fault the fixtures would refuse or an
// unknown token is an error.
//
// # Whole suites
//
// A Server with a test (Start, Connect with WithTB, With) also reports
// each failure to that test with Fatalf, from that test's goroutine only,
// so the test may drop the error: tok, _ := as.AddToken(…). Subtests that share their parent's server, and tests
// that share one server from TestMain, each take a view bound to
// themselves: as.With(t) is the same server, reporting to t.
//
// Start sends the server's log (a line per request, never a token or a
// secret) to the test's log, which go test shows for a failing test;
// WithLogger sends it elsewhere.
//
// Introspect and RevokeAsCaller call the endpoints as the service under
// test would, and decode the answer. Calls returns the journal (all of it,
// or the calls a CallFilter picks), without the requests testkit makes on
// its own; a Call prints its token redacted however it is formatted.
package testkit
