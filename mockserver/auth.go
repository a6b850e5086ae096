package mockserver

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// realm is the realm of every WWW-Authenticate challenge.
const realm = "introspectmock"

// WWW-Authenticate challenges (docs/conformance.md CA-9, CA-10, CA-11).
const (
	challengeBasic        = `Basic realm="` + realm + `"`
	challengeBearer       = `Bearer realm="` + realm + `"`
	challengeBearerBad    = `Bearer realm="` + realm + `", error="invalid_token"`
	challengeBearerNoAuth = `Bearer realm="` + realm + `", error="invalid_request"`
)

// authMethod is how a caller authenticated, as the journal records it.
type authMethod string

// Auth methods of a call.
const (
	authNone   authMethod = "none"
	authBasic  authMethod = "basic"
	authPost   authMethod = "post"
	authBearer authMethod = "bearer"
)

// endpointKind tells authenticate which endpoint is asking: each accepts
// different callers.
type endpointKind int

const (
	forIntrospect endpointKind = iota // any method; needs the right to introspect
	forRevoke                         // any method; a public client may send client_id alone
	forToken                          // client_secret_basic, client_secret_post or private_key_jwt
)

// caller is an authenticated caller.
type caller struct {
	method   authMethod
	clientID string  // "" for anonymous callers and fixture bearers
	client   *client // nil for anonymous callers
}

// authenticate identifies the caller of r (docs/conformance.md CA-1…CA-11). Call it
// before taking ns.mu: it takes the read lock itself for the one lookup it
// needs (a bearer token issued here), so that a slow check (a
// private_key_jwt signature) holds no lock. On failure it still returns
// what the caller claimed, for the journal.
func authenticate(ns *Namespace, st *state, r *http.Request, f *form, now time.Time, kind endpointKind) (caller, *oauthError) {
	var scheme, creds string
	switch authz := r.Header["Authorization"]; len(authz) {
	case 0:
	case 1:
		scheme, creds, _ = strings.Cut(authz[0], " ")
		if scheme == "" {
			return caller{method: authNone}, errClient("malformed Authorization header", challengeBasic, challengeBearer)
		}
	default:
		return caller{method: authNone}, errInvalidRequest("more than one Authorization header")
	}
	basic := strings.EqualFold(scheme, "Basic")
	bearer := strings.EqualFold(scheme, "Bearer")
	if scheme != "" && !basic && !bearer {
		return caller{method: authNone}, errClient("unsupported authorization scheme", challengeBasic, challengeBearer)
	}

	// docs/conformance.md CA-6: one method per request. A client_id in the body may
	// accompany Basic credentials of the same client.
	if f.clientSecret != "" && scheme != "" {
		return caller{method: authNone}, errInvalidRequest("more than one client authentication method")
	}
	if bearer && f.clientID != "" {
		return caller{method: authNone}, errInvalidRequest("client_id sent with a bearer token")
	}

	if f.clientAssertion != "" || f.clientAssertionType != "" {
		if scheme != "" || f.clientSecret != "" {
			return caller{method: authPrivateKeyJWT}, errInvalidRequest("more than one client authentication method")
		}
		return authAssertion(ns, st, r, f, now, kind) // docs/conformance.md CA-12
	}

	switch {
	case basic:
		return authBasicCreds(st, strings.TrimSpace(creds), f.clientID, kind)
	case bearer:
		if kind == forToken {
			return caller{method: authBearer}, errClient("the token endpoint does not accept bearer tokens", challengeBasic)
		}
		return authBearerToken(ns, st, strings.TrimSpace(creds), now, kind)
	case f.clientSecret != "":
		c := caller{method: authPost, clientID: f.clientID}
		cl := st.clients[f.clientID]
		if f.clientID == "" || !secretMatches(cl, f.clientSecret) {
			return c, errClient("", challengeBasic)
		}
		if !cl.post {
			return c, errClient("client may not use client_secret_post", challengeBasic)
		}
		return allowed(c, cl, kind)
	case f.clientID != "":
		// docs/conformance.md CA-7: client_id alone does not authenticate, except for a
		// registered public client at the revocation endpoint (docs/conformance.md RV-2).
		cl := st.clients[f.clientID]
		if (kind == forRevoke || kind == forToken && userGrant(f.grantType)) && cl != nil && cl.public() {
			// A public client at the token endpoint: the code's PKCE
			// verifier, or the refresh token bound to it, stands in for
			// authentication (RFC 6749 §4.1.3, §6; RFC 7636).
			return caller{method: authNone, clientID: cl.id, client: cl}, nil
		}
		if st.allowAnonymous && kind != forToken {
			return caller{method: authNone}, nil
		}
		return caller{method: authNone, clientID: f.clientID}, errClient("client_id without a client_secret does not authenticate", challengeBasic)
	default:
		if st.allowAnonymous && kind != forToken {
			return caller{method: authNone}, nil
		}
		if kind == forToken {
			return caller{method: authNone}, errClient("client authentication required", challengeBasic)
		}
		return caller{method: authNone}, errClient("client authentication required", challengeBasic, challengeBearer)
	}
}

// authBasicCreds checks client_secret_basic credentials. The id and the
// secret are form-decoded (RFC 6749 §2.3.1, docs/conformance.md CA-2); the raw values
// are tried as well, for clients that skip the encoding (docs/conformance.md CA-3).
// Credentials that fit are decoded on the stack: the secret is never
// copied to the heap, and only a client_id naming no client is.
func authBasicCreds(st *state, creds, bodyClientID string, kind endpointKind) (caller, *oauthError) {
	c := caller{method: authBasic}
	var srcBuf, dstBuf [96]byte
	src := append(srcBuf[:0], creds...)
	dst := dstBuf[:]
	if n := base64.RawStdEncoding.DecodedLen(len(src)); n > len(dst) {
		dst = make([]byte, n)
	}
	n, err := base64.StdEncoding.Decode(dst, src)
	if err != nil {
		n, err = base64.RawStdEncoding.Decode(dst, src)
	}
	if err != nil {
		return c, errClient("malformed Basic credentials", challengeBasic)
	}
	rawID, rawSecret, ok := bytes.Cut(dst[:n], []byte{':'})
	if !ok {
		return c, errClient("malformed Basic credentials", challengeBasic)
	}
	id, secret := rawID, rawSecret
	if isEscaped(id) && validEscapes(id) {
		id = []byte(unescapeBytes(id))
	}
	if isEscaped(secret) && validEscapes(secret) {
		secret = []byte(unescapeBytes(secret))
	}
	cl := st.clients[string(id)]
	if cl == nil && !bytes.Equal(id, rawID) {
		if cl = st.clients[string(rawID)]; cl != nil {
			id = rawID
		}
	}
	if cl != nil {
		c.clientID = cl.id // the same bytes, without a copy
	} else {
		c.clientID = string(id)
	}
	if bodyClientID != "" && bodyClientID != c.clientID {
		return c, errInvalidRequest("client_id in the body differs from the Basic credentials")
	}
	// Both comparisons always run, so timing does not tell which matched.
	m1 := secretMatches(cl, secret)
	m2 := secretMatches(cl, rawSecret)
	if !m1 && !m2 {
		return c, errClient("", challengeBasic)
	}
	if !cl.basic {
		return c, errClient("client may not use client_secret_basic", challengeBasic)
	}
	return allowed(c, cl, kind)
}

// secretMatches compares secret with cl's in constant time. A missing
// client or a public one (no secret) never matches.
func secretMatches[T string | []byte](cl *client, secret T) bool {
	if cl == nil || cl.secret == "" {
		subtle.ConstantTimeCompare([]byte(secret), []byte(secret)) // same work either way
		return false
	}
	return subtle.ConstantTimeCompare([]byte(cl.secret), []byte(secret)) == 1
}

// authBearerToken checks a bearer caller: a fixture bearer, or an active
// token issued here by client_credentials (docs/conformance.md CA-5). Failures answer 401
// invalid_token with a Bearer challenge, insufficient rights too (docs/conformance.md
// CA-10); an empty token is 400 invalid_request (docs/conformance.md CA-11).
func authBearerToken(ns *Namespace, st *state, tok string, now time.Time, kind endpointKind) (caller, *oauthError) {
	c := caller{method: authBearer}
	if tok == "" {
		return c, &oauthError{status: http.StatusBadRequest, code: "invalid_request",
			desc: "empty bearer token", challenges: []string{challengeBearerNoAuth}}
	}
	var found *client
	for _, b := range st.bearers {
		if subtle.ConstantTimeCompare([]byte(b.bearer), []byte(tok)) == 1 {
			found = b
		}
	}
	if found == nil {
		if found = ns.issuedTo(tok, now); found != nil {
			c.clientID = found.id
		}
	}
	if found == nil || (kind == forIntrospect && !found.introspect) {
		return c, &oauthError{status: http.StatusUnauthorized, code: "invalid_token",
			challenges: []string{challengeBearerBad}}
	}
	c.client = found
	return c, nil
}

// issuedTo returns the client a token issued at /token (client
// credentials) belongs to, while the token is active at now; nil for any
// other token. Such tokens authenticate bearer callers (docs/conformance.md CA-5).
func (ns *Namespace) issuedTo(tok string, now time.Time) *client {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	if e := ns.tokens[tok]; e != nil && e.issuedTo != nil && e.grant == nil && e.activeAt(now) {
		return e.issuedTo
	}
	return nil
}

// allowed checks what an authenticated client may do (docs/conformance.md CA-8, TE-6
// is checked by the token endpoint).
func allowed(c caller, cl *client, kind endpointKind) (caller, *oauthError) {
	if kind == forIntrospect && !cl.introspect {
		return c, errClient("client may not introspect", challengeBasic)
	}
	c.client = cl
	return c, nil
}
