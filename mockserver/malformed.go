package mockserver

import "github.com/introspectmock/introspectmock/fixtures"

// Malformed answer kinds, for Fault.Malformed: each answers an
// introspection with status 200 and a broken body, to test that the
// resource server refuses the request instead of trusting the answer.
// Next to each, how zitadel/oidc's resource server (rs.Introspect) takes
// it, as TestMalformedZitadel checks; other clients differ, which is the
// point of testing yours.
const (
	// MalformedInvalidJSON is the first half of the normal answer, never
	// valid JSON. zitadel/oidc: an error.
	MalformedInvalidJSON = fixtures.MalformedInvalidJSON
	// MalformedMissingActive is the normal answer without its "active"
	// member. zitadel/oidc: no error, an inactive token (a missing bool
	// is false) — safe, but a client that defaults to active is not.
	MalformedMissingActive = fixtures.MalformedMissingActive
	// MalformedStringActive is the answer with "active":"false", a string.
	// zitadel/oidc: an error.
	MalformedStringActive = fixtures.MalformedStringActive
	// MalformedContentType is the normal answer labelled
	// text/plain; charset=utf-8. zitadel/oidc: accepted as the normal
	// answer (it does not check Content-Type).
	MalformedContentType = fixtures.MalformedContentType
	// MalformedHTML is an HTML error page (text/html), such as a proxy
	// in front of a server might send. zitadel/oidc: an error.
	MalformedHTML = fixtures.MalformedHTML
	// MalformedOAuthErrorBody is {"error":"server_error",...} with status
	// 200. zitadel/oidc: no error, an inactive token (the error member
	// lands among the claims).
	MalformedOAuthErrorBody = fixtures.MalformedOAuthErrorBody
)
