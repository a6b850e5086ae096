package mockserver

import (
	"net/http"
	"strings"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
)

// This file is the token endpoint's side of the authorization code flow:
// the authorization_code grant (RFC 6749 §4.1.3, RFC 7636 §4.6) and the
// refresh_token grant with rotation (RFC 6749 §6, RFC 9700 §4.14.2).

// refreshLifetime is the lifetime of refresh tokens.
const refreshLifetime = 24 * time.Hour

// grantInfo is one login: the authorization grant every token of the
// flow (access and refresh, before and after rotation) belongs to. Never
// modified once made.
type grantInfo struct {
	id       string // the tokens' Grant: revocation cascades along it
	client   *client
	user     *user
	claims   map[string]any // the user's claims, with this login's edits
	scope    string         // granted at /authorize
	nonce    string
	authTime time.Time
}

// userGrant reports whether a grant_type is one of the flow's, which a
// public client may use with its client_id alone.
func userGrant(grantType string) bool {
	return grantType == "authorization_code" || grantType == "refresh_token"
}

// issuedGrant is what a token request of the flow issued.
type issuedGrant struct {
	access, refresh string
	lifetime        int64
	scope           string
	grant           *grantInfo
	iat             time.Time
}

// errGrant is a 400 invalid_grant (RFC 6749 §5.2).
func errGrant(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_grant", desc: desc}
}

// redeem checks a code or refresh token of the authenticated client cl and
// issues the grant's new tokens, holding the write lock for that only.
func (ns *Namespace) redeem(cl *client, f *form, now time.Time) (issuedGrant, *oauthError) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.redeemLocked(ns.state(), cl, f, now)
}

// redeemLocked checks a code or refresh token of client cl and issues the
// grant's new tokens. ns.mu must be held for writing.
func (ns *Namespace) redeemLocked(st *state, cl *client, f *form, now time.Time) (issuedGrant, *oauthError) {
	if cl.introspectOnly {
		return issuedGrant{}, &oauthError{status: http.StatusBadRequest, code: "unauthorized_client",
			desc: "client may not fetch tokens"}
	}
	if f.grantType == "refresh_token" {
		return ns.refreshLocked(st, cl, f, now)
	}
	if f.code == "" {
		return issuedGrant{}, errInvalidRequest("code is required")
	}
	ac := ns.codes[f.code]
	switch {
	case ac == nil || !now.Before(ac.exp):
		delete(ns.codes, f.code)
		return issuedGrant{}, errGrant("unknown or expired authorization code")
	case ac.client.id != cl.id:
		return issuedGrant{}, errGrant("the authorization code was issued to another client")
	case ac.used:
		// RFC 6749 §4.1.2: a code used twice revokes what it gave.
		ns.revokeGrantLocked(ac.grant.id)
		return issuedGrant{}, errGrant("authorization code already used; the tokens issued for it are revoked (RFC 6749 section 4.1.2)")
	case ac.redirectURI != "" && f.redirectURI != ac.redirectURI:
		return issuedGrant{}, errGrant("redirect_uri differs from the authorization request's (RFC 6749 section 4.1.3)")
	case ac.challenge == "" && f.codeVerifier != "":
		return issuedGrant{}, errGrant("code_verifier sent, but the authorization request had no code_challenge (RFC 9700 section 2.1.1)")
	case ac.challenge != "" && f.codeVerifier == "":
		return issuedGrant{}, errGrant("code_verifier is required: the authorization request had a code_challenge (RFC 7636 section 4.5)")
	case ac.challenge != "" && (!validVerifier(f.codeVerifier) || !ac.verifierMatches(f.codeVerifier)):
		return issuedGrant{}, errGrant("code_verifier does not match the code_challenge (RFC 7636 section 4.6)")
	}
	res, err := ns.issueGrantLocked(st, ac.grant, ac.grant.scope, ac.grant.scope, now)
	if err == nil {
		ac.used = true
	}
	return res, err
}

// refreshLocked redeems a refresh token: rotation, and a rotated token
// presented again revokes its whole family (RFC 9700 §4.14.2). ns.mu must
// be held for writing.
func (ns *Namespace) refreshLocked(st *state, cl *client, f *form, now time.Time) (issuedGrant, *oauthError) {
	if f.refreshToken == "" {
		return issuedGrant{}, errInvalidRequest("refresh_token is required")
	}
	e := ns.tokens[f.refreshToken]
	switch {
	case e == nil || e.grant == nil || e.src.Kind != KindRefreshToken:
		return issuedGrant{}, errGrant("unknown refresh token")
	case e.grant.client.id != cl.id:
		return issuedGrant{}, errGrant("the refresh token was issued to another client")
	case e.rotated:
		ns.revokeGrantLocked(e.grant.id)
		return issuedGrant{}, errGrant("refresh token already used: every token of its grant is revoked (RFC 9700 section 4.14.2)")
	case !e.activeAt(now):
		return issuedGrant{}, errGrant("refresh token is " + strings.ReplaceAll(e.stateAt(now), "_", " "))
	}
	// The new access token may be narrowed; the new refresh token keeps the
	// scope of the one presented (RFC 6749 §6), so a later refresh without
	// scope gets it all back.
	scope := e.src.Scope
	if f.scope != "" {
		for _, sc := range strings.Fields(f.scope) {
			if !hasScope(e.grant.scope, sc) {
				return issuedGrant{}, &oauthError{status: http.StatusBadRequest, code: "invalid_scope",
					desc: "scope " + sc + " was not granted (RFC 6749 section 6)"}
			}
		}
		scope = strings.Join(strings.Fields(f.scope), " ")
	}
	res, err := ns.issueGrantLocked(st, e.grant, scope, e.src.Scope, now)
	if err == nil {
		e.rotated = true
		e.revoke(RevokedRotated)
	}
	return res, err
}

// revokeGrantLocked revokes every token of the grant id, refresh tokens
// included, and burns its codes. ns.mu must be held for writing.
func (ns *Namespace) revokeGrantLocked(id string) {
	for _, e := range ns.tokens {
		if e.grant != nil && e.grant.id == id {
			e.revoke(RevokedGrant)
		}
	}
	for _, ac := range ns.codes {
		if ac.grant.id == id {
			ac.used = true
		}
	}
}

// issueGrantLocked stores a new access token of grant g with scope, and a
// refresh token with refreshScope. ns.mu must be held for writing.
func (ns *Namespace) issueGrantLocked(st *state, g *grantInfo, scope, refreshScope string, now time.Time) (issuedGrant, *oauthError) {
	if err := ns.roomLocked(now, 2); err != nil {
		return issuedGrant{}, err
	}
	lifetime := int64((g.client.lifetime + time.Second - 1) / time.Second)
	iat := now.Truncate(time.Second)
	res := issuedGrant{lifetime: lifetime, scope: scope, grant: g, iat: iat}
	for i, kind := range []string{KindAccessToken, KindRefreshToken} {
		exp, sc := iat.Add(time.Duration(lifetime)*time.Second), scope
		if kind == KindRefreshToken {
			exp, sc = iat.Add(refreshLifetime), refreshScope
		}
		tok := randomToken()
		e, err := newEntry(&fixtures.Token{
			Token: tok, Scope: sc, ClientID: g.client.id, Sub: g.user.sub, Username: g.user.username,
			TokenType: "Bearer", Iat: fixtures.Absolute(iat), Exp: fixtures.Absolute(exp),
			Claims: g.claims, Kind: kind, Grant: g.id,
		}, nil, now, st.issuer)
		if err != nil { // checked when the user or the login's claims came in
			ns.holdLocked(i - 2) // give back what was not stored
			return issuedGrant{}, &oauthError{status: http.StatusInternalServerError, code: "server_error", desc: err.Error()}
		}
		e.grant = g
		ns.tokens[tok] = e
		ns.issued.push(issuedToken{exp: exp, tok: tok, e: e})
		if kind == KindAccessToken {
			res.access = tok
		} else {
			res.refresh = tok
		}
	}
	return res, nil
}

// endUserGrants is endUserGrantsLocked holding the write lock.
func (ns *Namespace) endUserGrants(sub string) int {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.endUserGrantsLocked(sub)
}

// endUserGrantsLocked revokes every token of the flow issued for the user
// sub, and burns the user's codes (RP-initiated logout). It returns how
// many tokens it revoked. ns.mu must be held for writing.
func (ns *Namespace) endUserGrantsLocked(sub string) int {
	n := 0
	for _, e := range ns.tokens {
		if e.grant != nil && e.grant.user.sub == sub && e.revoke(RevokedLogout) {
			n++
		}
	}
	for _, ac := range ns.codes {
		if ac.grant.user.sub == sub {
			ac.used = true
		}
	}
	return n
}
