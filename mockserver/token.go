package mockserver

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
)

// handleToken handles the "POST /token" route: the client_credentials
// grant (RFC 6749 §4.4) and, through redeem, the authorization_code and
// refresh_token grants of the login flow (grant.go), with one client
// authentication, FailNextAt fault and answer for all three. Issued tokens are random opaque strings that join
// the store like fixture tokens: introspectable with client_id and sub set
// to the client, revocable, and usable as bearer callers (docs/conformance.md CA-5). They
// leave the store a minute after they expire (prune.go).
func (s *Server) handleToken(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call) {
	f, err := s.readForm(w, r, forToken)
	if err != nil {
		s.writeError(w, c, err)
		return
	}

	st := ns.state()
	who, err := authenticate(ns, st, r, &f, c.time, forToken)
	c.clientID, c.authMethod = who.clientID, who.method
	var res issuedGrant
	if err == nil {
		if fault := ns.takeFault(slotToken); fault != nil { // plays instead of issuing
			c.fault = fault.desc
			if !s.playFault(ns, w, r, c, &fault.f, false, activeBody{}) {
				return // nothing issued
			}
			// A bare delay: issue after it, as a slow server would.
		}
		if userGrant(f.grantType) {
			res, err = ns.redeem(who.client, &f, c.time)
		} else {
			res.access, res.lifetime, res.scope, err = ns.issue(who.client, &f, c.time)
		}
	}
	c.token = res.access
	if err != nil {
		s.writeError(w, c, err)
		return
	}
	b := make([]byte, 0, 160)
	b = append(b, `{"access_token":`...)
	b = appendJSONString(b, res.access)
	b = append(b, `,"token_type":"Bearer","expires_in":`...)
	b = strconv.AppendInt(b, res.lifetime, 10)
	b = appendMember(b, "refresh_token", res.refresh)
	b = appendMember(b, "scope", res.scope)
	if res.grant != nil && hasScope(res.scope, "openid") {
		idt, ierr := s.idToken(ns.issuer(r, st), res.grant, res.access, res.iat, res.lifetime)
		if ierr != nil {
			s.cfg.logger.ErrorContext(r.Context(), "id_token", "err", ierr)
			s.writeError(w, c, &oauthError{status: http.StatusInternalServerError, code: "server_error"})
			return
		}
		b = appendMember(b, "id_token", idt)
	}
	b = append(b, '}')
	s.writeJSON(w, c, http.StatusOK, b, true) // docs/conformance.md TE-3
}

// issue checks a client_credentials request of the authenticated client
// cl and stores a new token for it. It holds the write lock for the check
// against the store and the change.
func (ns *Namespace) issue(cl *client, f *form, now time.Time) (tok string, lifetime int64, scope string, _ *oauthError) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return issueLocked(ns, ns.state(), cl, f, now)
}

// issueLocked checks a token request of an authenticated client and stores
// a new token for it (docs/conformance.md TE-2…TE-6). ns.mu must be held for writing.
func issueLocked(ns *Namespace, st *state, cl *client, f *form, now time.Time) (tok string, lifetime int64, scope string, _ *oauthError) {
	switch {
	case f.grantType == "":
		return "", 0, "", errInvalidRequest("grant_type is required")
	case f.grantType != "client_credentials":
		return "", 0, "", &oauthError{status: http.StatusBadRequest, code: "unsupported_grant_type",
			desc: "supported grant types: authorization_code, refresh_token and client_credentials"}
	case cl.introspectOnly:
		return "", 0, "", &oauthError{status: http.StatusBadRequest, code: "unauthorized_client",
			desc: "client may not fetch tokens"}
	}
	scope, err := grantScope(cl, f.scope)
	if err != nil {
		return "", 0, "", err
	}
	lifetime = int64((cl.lifetime + time.Second - 1) / time.Second) // whole seconds, rounded up
	iat := now.Truncate(time.Second)
	exp := iat.Add(time.Duration(lifetime) * time.Second) // docs/conformance.md TE-4: exp = iat + expires_in
	if err := ns.roomLocked(now, 1); err != nil {
		return "", 0, "", err
	}
	tok = randomToken()
	e, rerr := newEntry(&fixtures.Token{
		Token: tok, Scope: scope, ClientID: cl.id, Sub: cl.id, TokenType: "Bearer",
		Iat: fixtures.Absolute(iat), Exp: fixtures.Absolute(exp),
	}, nil, now, st.issuer)
	if rerr != nil { // cannot happen: no claims, strings only
		ns.holdLocked(-1)
		return "", 0, "", &oauthError{status: http.StatusInternalServerError, code: "server_error"}
	}
	e.issuedTo = cl
	ns.tokens[tok] = e
	ns.issued.push(issuedToken{exp: exp, tok: tok, e: e})
	return tok, lifetime, scope, nil
}

// roomLocked makes room for n more tokens issued at /token and counts
// them in the server's total (holdLocked): it prunes expired ones, and
// sweeps a full store. The caller gives back (holdLocked(-k)) what it
// then does not store. ns.mu must be held for writing.
func (ns *Namespace) roomLocked(now time.Time, n int) *oauthError {
	ns.pruneIssuedLocked(now)
	if len(ns.tokens)+n > ns.sh.maxTokens && !ns.sweepLocked(now, n) {
		return &oauthError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable",
			desc: "the token store of this namespace is full: " + strconv.Itoa(ns.sh.maxTokens) + " tokens, the limit (WithMaxTokens, --max-tokens)", retryAfter: "1"}
	}
	if !ns.holdLocked(n) && (!ns.sweepLocked(now, n) || !ns.holdLocked(n)) {
		ns.sweptAt = time.Now() // no sweep for a second: other namespaces hold the tokens
		return &oauthError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable",
			desc: "the token stores of all namespaces are full: " + strconv.Itoa(ns.sh.maxTotal) + " tokens, the limit (WithMaxTotalTokens, --max-total-tokens)", retryAfter: "1"}
	}
	return nil
}

// sweepLocked makes room in a full store by deleting the tokens issued at
// /token that are no longer active at now, and reports whether there is
// room. After a sweep that left the store full, none is tried for a second.
// ns.mu must be held for writing.
func (ns *Namespace) sweepLocked(now time.Time, n int) bool {
	if time.Since(ns.sweptAt) < time.Second {
		return false
	}
	for tok, e := range ns.tokens {
		if (e.issuedTo != nil || e.grant != nil) && !e.activeAt(now) {
			delete(ns.tokens, tok)
			ns.holdLocked(-1)
		}
	}
	if len(ns.tokens)+n > ns.sh.maxTokens {
		ns.sweptAt = time.Now()
		return false
	}
	return true
}

// grantScope returns the scope to grant for a request: the requested one
// if the client may have it (any, when the client's scopes are not
// limited), or all of the client's scopes when none is requested.
func grantScope(cl *client, requested string) (string, *oauthError) {
	var want []string
	for _, s := range strings.Fields(requested) {
		if fixtures.CheckScopeToken(s) != nil {
			return "", &oauthError{status: http.StatusBadRequest, code: "invalid_scope", desc: "malformed scope"}
		}
		if !slices.Contains(want, s) {
			want = append(want, s)
		}
	}
	if cl.scopes == nil {
		return strings.Join(want, " "), nil
	}
	if len(want) == 0 {
		return strings.Join(cl.scopes, " "), nil
	}
	for _, s := range want {
		if !slices.Contains(cl.scopes, s) {
			return "", &oauthError{status: http.StatusBadRequest, code: "invalid_scope",
				desc: "scope " + s + " is not allowed for this client"}
		}
	}
	return strings.Join(want, " "), nil
}

// randomToken returns 32 random bytes, base64url without padding.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
