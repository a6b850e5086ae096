package mockserver

import (
	"errors"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
)

// Errors a caller may branch on (with errors.Is).
var (
	// ErrNotFound: no such token or namespace.
	ErrNotFound = errors.New("not found")
	// ErrExists: the token, client or namespace already exists.
	ErrExists = errors.New("already exists")
	// ErrLimit: a limit of WithMaxTokens or WithMaxNamespaces is reached.
	ErrLimit = errors.New("limit reached")
)

// Token is a token added from code (Namespace.AddToken). Zero fields are
// unset members, left out of answers.
type Token struct {
	// Token is the token string; "" makes AddToken pick a random opaque
	// one (32 random bytes, base64url).
	Token    string
	Scope    string // space-separated
	ClientID string
	Username string
	Sub      string
	// Aud is rendered as a string when it has one value, unless AudList.
	Aud       []string
	AudList   bool
	Iss       string // "" means the issuer
	TokenType string // "" means Bearer
	Jti       string
	IssuedAt  time.Time
	NotBefore time.Time
	ExpiresAt time.Time
	// ExpiresIn, when ExpiresAt is zero and ExpiresIn > 0, sets ExpiresAt
	// to the namespace clock's now + ExpiresIn, and IssuedAt (if zero) to
	// now. With both zero, the token expires as a fixture token without
	// exp does: fixtures.DefaultLifetime (1h) after the latest of now,
	// IssuedAt and NotBefore (docs/conformance.md TL-3). A negative ExpiresIn leaves exp
	// out (fixture `exp: never`).
	ExpiresIn time.Duration
	// Claims are extension members, returned at top level; they may not
	// shadow the members above (docs/conformance.md IR-8).
	Claims  map[string]any
	Revoked bool
	// Kind is KindAccessToken or KindRefreshToken; "" means an access
	// token. It is no answer member (TokenType is, and resource servers
	// may take an active refresh token for an access token: docs/conformance.md PF-19);
	// it decides what revocation does (docs/conformance.md RV-5, RV-6).
	Kind string
	// Grant names the authorization grant the token belongs to; "" for
	// none. Revoking a refresh token revokes every access token of its
	// grant (docs/conformance.md RV-5); Revoked set here revokes this token only.
	Grant string
	// IntrospectableBy lists the client_ids that see the token; other
	// callers get {"active":false} (docs/conformance.md TL-6). Nil or empty lets every
	// caller see it. Fixture-bearer and anonymous callers have no
	// client_id; a bearer token issued at /token counts as its client.
	// The ids are not checked against the namespace's clients, which
	// AddClient may add later. TokenInfo.State does not depend on it.
	IntrospectableBy []string
	// Script changes the token's state or answer on cue; see Step.
	Script []Step
}

// Token kinds (Token.Kind), named like RFC 7009 token_type_hint values.
const (
	KindAccessToken  = fixtures.KindAccessToken
	KindRefreshToken = fixtures.KindRefreshToken
)

// Token states, as TokenInfo.State reports them and script steps set them.
const (
	StateActive      = fixtures.StateActive
	StateRevoked     = fixtures.StateRevoked
	StateExpired     = fixtures.StateExpired
	StateNotYetValid = fixtures.StateNotYetValid
)

// TokenInfo is a token as a namespace holds it now. Times are absolute;
// ExpiresIn is never set.
type TokenInfo struct {
	Token
	// State is what the next introspection would answer by the stored
	// state and the script (faults aside): StateActive, StateRevoked,
	// StateExpired or StateNotYetValid.
	State string
	// Calls counts the authenticated introspections of the token since it
	// was loaded, added or last given a script (SetScript).
	Calls int
	// RevokedBy says why the token is revoked: RevokedDirect,
	// RevokedSubject, RevokedClient, RevokedGrant, RevokedFixture,
	// RevokedRotated or RevokedLogout; "" when it is not.
	RevokedBy string
}

// Fault is an answer a client must survive, played instead of the normal
// one: a status with an OAuth error body, a delay, a dropped connection or
// a malformed answer. See fixtures.Fault for its fields.
type Fault = fixtures.Fault

// StubRequest is what a Stub is asked: an authenticated introspection.
type StubRequest struct {
	Token         string
	TokenTypeHint string
	ClientID      string // the caller; "" for anonymous and fixture-bearer callers
	AuthMethod    string // "basic", "post", "bearer", "private_key_jwt" or "none"
	Now           time.Time
}

// Answer is what a Stub decides. With Active, the members of Token are
// rendered as for AddToken (Token.Token itself is not). With Fault, the
// fault is played (a Delay alone delays the answer).
type Answer struct {
	Active bool
	Token  Token
	Fault  *Fault
}

// Stub decides the answer to an introspection before the token store does;
// ok=false falls through to the store. It runs without any server lock
// held, concurrently with itself.
type Stub func(StubRequest) (a Answer, ok bool)
