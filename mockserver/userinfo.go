package mockserver

import (
	"net/http"
	"strings"
	"time"
)

// challengeInsufficientScope is the challenge of a userinfo request whose
// token lacks the openid scope (RFC 6750 §3.1).
const challengeInsufficientScope = `Bearer realm="` + realm + `", error="insufficient_scope", scope="openid"`

// handleUserinfo handles the "GET /userinfo" and "POST /userinfo" routes
// (OpenID Connect Core §5.3): the claims of the user an access token of
// the authorization code flow was issued for, given as a bearer token
// (RFC 6750 §2.1). A token that is unknown, not active or not of the
// flow is 401 invalid_token; one without the openid scope 403
// insufficient_scope.
func (s *Server) handleUserinfo(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call) {
	c.authMethod = authBearer
	var tok string
	switch authz := r.Header["Authorization"]; {
	case len(authz) == 1:
		scheme, creds, _ := strings.Cut(authz[0], " ")
		if strings.EqualFold(scheme, "Bearer") {
			tok = strings.TrimSpace(creds)
		}
	case len(authz) > 1:
		s.writeError(w, c, &oauthError{status: http.StatusBadRequest, code: "invalid_request",
			desc: "more than one Authorization header", challenges: []string{challengeBearerNoAuth}})
		return
	}
	if tok == "" {
		// RFC 6750 §3.1: no credentials, no error code in the challenge.
		s.writeError(w, c, &oauthError{status: http.StatusUnauthorized, code: "invalid_token",
			desc: "a bearer access token is required", challenges: []string{challengeBearer}})
		return
	}
	c.token = tok
	g, scope := ns.userGrant(tok, c.time)
	if g != nil {
		c.clientID = g.client.id
	}
	switch {
	case g == nil:
		s.writeError(w, c, &oauthError{status: http.StatusUnauthorized, code: "invalid_token",
			desc: "the access token is unknown, not active, or not issued to a user", challenges: []string{challengeBearerBad}})
		return
	case !hasScope(scope, "openid"):
		s.writeError(w, c, &oauthError{status: http.StatusForbidden, code: "insufficient_scope",
			desc: "the access token lacks the openid scope", challenges: []string{challengeInsufficientScope}})
		return
	}
	b, err := marshalJSON(userClaims(g))
	if err != nil {
		s.writeError(w, c, &oauthError{status: http.StatusInternalServerError, code: "server_error"})
		return
	}
	s.writeJSON(w, c, http.StatusOK, b, true)
}

// userGrant returns the grant of a user's access token active at now, and
// the token's scope; nil for any other token.
func (ns *Namespace) userGrant(tok string, now time.Time) (*grantInfo, string) {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	if e := ns.tokens[tok]; e != nil && e.grant != nil && e.src.Kind != KindRefreshToken && e.activeAt(now) {
		return e.grant, e.src.Scope
	}
	return nil, ""
}
