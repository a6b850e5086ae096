// Package mockserver is a mock OAuth 2.0 authorization server for tests: an
// http.Handler that answers RFC 7662 token introspection, RFC 7009
// revocation, RFC 8414 discovery, a token endpoint (client_credentials,
// and the authorization code flow with PKCE, refresh token rotation and
// OpenID Connect, where users log in without a browser) from fixtures (see
// package fixtures), with a clock, token scripts, faults and a request
// journal a test drives from Go or over an admin HTTP API.
//
// A Server owns no listener: serve it with net/http/httptest in a test, or
// with an http.Server in a binary.
//
// To test a service, start with package testkit (testkit.Start: a Server on
// httptest, driven from the test) or testkit/container (the same in Docker);
// the introspectmock command serves it over the network. Their methods take
// this package's Token, Step and Fault.
//
// Errors: every method that changes a Namespace or the Server returns an
// error; nothing panics on bad input. Match them with errors.Is against
// ErrNotFound (no such token or namespace), ErrExists (a token, client or
// namespace already there) and ErrLimit (a WithMax* limit reached); any
// other error is bad input, and then nothing changed. Messages name the
// method ("Revoke abcd…: token not found") and carry no package prefix,
// so that callers wrap them in their own.
//
// Routes (each also under the issuer's path when the issuer has one):
//
//	POST /introspect                               RFC 7662
//	POST /revoke                                   RFC 7009
//	POST /token                                    client_credentials, authorization_code (PKCE), refresh_token (rotation)
//	GET|POST /authorize                            RFC 6749 §4.1: picks the user (login_hint, SetNextLogin, the default) and redirects
//	GET|POST /userinfo                             OpenID Connect Core §5.3, bearer access token
//	GET|POST /logout                               OpenID Connect RP-Initiated Logout: ends the user's grants
//	GET  /.well-known/oauth-authorization-server   RFC 8414 (+ /.well-known/oauth-authorization-server/{issuer path})
//	GET  /.well-known/openid-configuration         same members plus subject_types_supported, id_token_signing_alg_values_supported
//	GET  /jwks                                     RSA signing key (jwks_uri), listed for RS256 and PS256
//	GET  /healthz                                  {"status":"ok"} (root only)
//	     /admin/...                                admin API, when mounted (Handler; package internal/adminapi)
//
// Every answer is application/json, errors included, except the JWT
// introspection answers below, the authorization endpoint's redirects and
// its HTML pages (errors before the redirect URI is trusted, the login
// page of WithLoginPage) and the logout page; unknown paths are 404 and wrong methods 405
// with an Allow header. Token state (revoked, nbf,
// exp) is judged on every request against the namespace's clock.
//
// Callers of /introspect and /revoke authenticate with client_secret_basic
// (form-encoded as RFC 6749 §2.3.1 says, or raw), client_secret_post, or a
// bearer token: a fixture bearer, or a token issued at /token to a client
// allowed to introspect. Fixtures may allow anonymous callers. /token takes
// client_secret_basic and client_secret_post. Clients with keys (fixture
// jwks) may use private_key_jwt at every endpoint (RFC 7523): a JWS signed
// RS256, PS256 or ES256 with iss = sub = client_id, aud the issuer, the
// token endpoint URL or the endpoint's URL, exp after the namespace clock's
// now; a jti is single-use in its namespace while the assertion is valid. A client whose Scopes is
// an explicit empty list (YAML `scopes: []`) is introspect-only: /token
// answers it 400 unauthorized_client.
//
// # JWT introspection responses
//
// An introspection whose Accept names application/token-introspection+jwt
// (q > 0, not below application/json's) is answered with a signed JWT
// (RFC 9701), Content-Type application/token-introspection+jwt: header typ
// token-introspection+jwt, alg RS256 (or the client's
// introspection_signed_response_alg, PS256), kid of the jwks_uri entry;
// claims iss (the namespace's issuer), aud (the caller's client_id), iat
// (the namespace clock's now) and token_introspection, the JSON answer
// byte for byte ({"active":false} for inactive tokens). A client with
// introspection_encrypted_response_alg gets it encrypted to its jwks key
// (RSA-OAEP-256, A128CBC-HS256 or A256GCM; a Nested JWT, cty JWT). The
// JWT needs a caller with a client_id: without credentials the answer is
// 400 invalid_request (allow_anonymous too), a fixture bearer 400, a
// bearer token issued at /token speaks for its client; failed credentials
// stay 401. Faults and scripts apply as to JSON answers; fault answers
// stay as they are. WithJWTIntrospection(false) turns it off.
//
// Without a configured issuer, the issuer is derived from each request:
// https when it came over TLS, else http, and its Host header. Forwarding
// headers (X-Forwarded-*) are not read.
//
// # Namespaces
//
// A Server holds isolated namespaces, each with its own tokens (seeded from
// the fixtures), clients, clock (a VirtualClock over the WithClock base),
// scripts, faults, stub and journal. Default serves the paths above; a
// named namespace serves them under /ns/{name}/ (healthz aside), and its
// issuer is the server's (configured or derived) plus /ns/{name}, so its
// discovery documents point under the prefix. A namespace is made by
// Server.Namespace or by the admin API (PUT /admin/namespaces/{name}, or
// any admin request under its prefix); while the admin API is open (no
// WithAdminToken) or not mounted, the first public request to one of its
// endpoints makes one too (a path no route serves makes none), and with an
// admin token such a request to an unknown namespace is 404 and makes
// nothing. Names match ^[a-z0-9][a-z0-9_-]{0,62}$.
// WithMaxNamespaces, WithMaxTokens (per namespace) and WithMaxTotalTokens
// (all namespaces together) bound them.
//
// # What answers an introspection
//
// For an authenticated introspection of a token, in this order: a pending
// FailNext fault (FailNextAt faults revocation and /token calls too); the stub (SetStub), unless it passes; the token's script;
// the stored state (revoked, nbf, exp). Each authenticated introspection
// of a stored token counts once, atomically, as that token's call n
// (1-based). A script step matches when its trigger (Step.When) holds: OnCall(k) when
// n == k, AfterCalls(k) when n > k (Always is AfterCalls(0)), After(d)
// when clock ≥ load time + d (load time: fixture load,
// AddToken, SetScript or Reset). The first matching respond step plays its
// fault; otherwise the last matching state step sets the state.
//
// Faults: a status answers an OAuth error body (503 and 429:
// temporarily_unavailable, other 5xx: server_error, 401: invalid_client,
// other 4xx: invalid_request), with Retry-After when retry_after is set and
// always for 429 and 503 (1 second by default); a delay waits, holding no
// lock, and ends the request with no answer if the client goes away; drop
// closes the connection (HTTP/2: resets the stream); malformed answers 200
// with a broken body (see fixtures); jwt breaks a JWT answer (RFC 9701) in
// one way, each failing one check of the resource server (JWTBadSignature
// and the other JWT* kinds), and plays the JSON answer to a caller that
// did not ask for a JWT.
//
// # Token patterns and revoking a user or a client
//
// Fixtures' token_patterns answer for every token an expression matches
// that the store does not hold, storing nothing until one of them is
// revoked, expired or scripted (then it alone is stored, within
// WithMaxTokens). RevokeSubject and RevokeClient revoke every stored token
// of a sub or client_id; every revoked token says why (TokenInfo.RevokedBy,
// RevokedSubject and the other Revoked* names), and the journal says why
// an introspection answered inactive (Call.Why).
//
// # Journal
//
// Each namespace keeps its latest calls to the protocol endpoints in a
// ring (WithJournalSize, default 10000; SetJournalSize and the admin API
// change one namespace's), allocated as calls come: time by its clock,
// endpoint, caller, auth method, token, hint, status, answer, fault. A
// call takes about 200 bytes plus its token (cut to 4 KiB). Admin API
// requests are not journaled, so counts of introspections are exact.
// Tokens are redacted however a Call is printed (fmt, encoding/json,
// log/slog; Call.Token.Raw gives it whole) and never logged; secrets are
// never kept.
//
// # Admin API
//
// Served by Handler with an Admin (the introspectmock command's --admin and
// testkit mount internal/adminapi's); a Server alone, as an http.Handler,
// answers its paths 404. JSON in and out, under /admin (default namespace)
// and /ns/{name}/admin; WithAdminToken makes it require
// "Authorization: Bearer <token>". Bodies use the fixture format (JSON is
// YAML), so their errors read like fixture errors ("body:1:7: by: invalid
// duration …"). Errors are {"error":…,"error_description":…}: 400
// invalid_request (two Authorization headers too), 404 not_found, 409
// conflict, 401 invalid_token, 403 forbidden.
//
// The admin API turns away web pages: a state-changing request that a
// browser marks cross-site (Sec-Fetch-Site), or whose Origin is not its
// Host, is 403 (net/http's CrossOriginProtection); and a request without
// the valid admin token must name in its Host an IP address, localhost, a
// *.localhost name, a single-label name or a WithAdminHosts name, so that
// a DNS-rebinding page is 403 too. Clients that send no Origin (curl, Go,
// testkit) are not affected, nor are the protocol endpoints.
//
// Its routes, bodies and answers, each with a curl line, are in the
// repository's docs/admin-api.md; in Go, testkit.Connect drives it.
package mockserver
