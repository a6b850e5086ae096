package mockserver

import "errors"

// Why a token was revoked, as TokenInfo.RevokedBy (and the admin token
// listing's revoked_by) says.
const (
	RevokedDirect  = "direct"  // at the revocation endpoint, or Revoke
	RevokedSubject = "subject" // RevokeSubject: every token of its sub
	RevokedClient  = "client"  // RevokeClient: every token of its client_id
	RevokedGrant   = "grant"   // with its grant: a revoked refresh token's access tokens, a reused code or refresh token
	RevokedFixture = "fixture" // revoked from the start: fixtures' revoked: true, AddToken's Revoked
	RevokedRotated = "rotated" // a refresh token exchanged for a new one
	RevokedLogout  = "logout"  // its user logged out (RP-initiated logout)
)

// revokedWhy is what the journal says of an introspection answered
// inactive because the token was revoked, by RevokedBy.
var revokedWhy = map[string]string{
	RevokedDirect:  "revoked directly",
	RevokedSubject: "revoked by subject",
	RevokedClient:  "revoked by client",
	RevokedGrant:   "revoked by grant cascade",
	RevokedFixture: "revoked in the fixtures",
	RevokedRotated: "revoked on rotation",
	RevokedLogout:  "revoked at logout",
}

// revoke revokes e for the reason why (a Revoked* name) and reports
// whether it was not revoked before; a token revoked already keeps its
// first reason. Namespace.mu must be held for writing.
func (e *entry) revoke(why string) bool {
	if e.revoked {
		return false
	}
	e.revoked, e.revokedBy = true, why
	return true
}

// RevokeSubject revokes every token the namespace holds whose sub is sub
// (fixture, added and issued ones, refresh tokens taking their grant's
// access tokens along) and drops the unredeemed authorization codes of
// that user, so that a revoked user gets no new tokens from them. Tokens
// issued later are not affected, nor the tokens of token patterns that
// are not stored (see Revoke). It returns how many tokens it revoked;
// an empty sub is an error.
func (ns *Namespace) RevokeSubject(sub string) (int, error) {
	if sub == "" {
		return 0, errors.New("RevokeSubject: empty sub")
	}
	return ns.revokeWhere(RevokedSubject, func(e *entry) bool { return e.src.Sub == sub },
		func(ac *authCode) bool { return ac.grant.user.sub == sub }), nil
}

// RevokeClient revokes every token the namespace holds whose client_id is
// clientID (fixture, added and issued ones, refresh tokens taking their
// grant's access tokens along) and drops that client's unredeemed
// authorization codes. Tokens issued later are not affected. It returns
// how many tokens it revoked; an empty clientID is an error.
func (ns *Namespace) RevokeClient(clientID string) (int, error) {
	if clientID == "" {
		return 0, errors.New("RevokeClient: empty client_id")
	}
	return ns.revokeWhere(RevokedClient, func(e *entry) bool { return e.src.ClientID == clientID },
		func(ac *authCode) bool { return ac.grant.client.id == clientID }), nil
}

// revokeWhere revokes the tokens match picks for the reason why, then the
// access tokens of the grants of the refresh tokens among them (reason
// RevokedGrant), and drops the unredeemed codes code picks. It returns how many
// tokens it revoked.
func (ns *Namespace) revokeWhere(why string, match func(*entry) bool, code func(*authCode) bool) int {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	n := 0
	var grants []string
	for _, e := range ns.tokens {
		if !match(e) {
			continue
		}
		if e.revoke(why) {
			n++
		}
		if e.src.Kind == KindRefreshToken && e.src.Grant != "" {
			grants = append(grants, e.src.Grant)
		}
	}
	for _, g := range grants {
		n += ns.cascadeLocked(g)
	}
	for c, ac := range ns.codes {
		if code(ac) && !ac.used { // a used one stays, to catch its reuse
			delete(ns.codes, c) // redeeming it is now an unknown code
		}
	}
	return n
}

// cascadeLocked revokes the access tokens of grant (RFC 7009 §2.1, docs/conformance.md
// RV-5) and returns how many it revoked. ns.mu must be held for writing.
func (ns *Namespace) cascadeLocked(grant string) int {
	n := 0
	for _, o := range ns.tokens {
		if o.src.Grant == grant && o.src.Kind != KindRefreshToken && o.revoke(RevokedGrant) {
			n++
		}
	}
	return n
}

// whyInactive says why an introspection of e answered inactive: its
// state (scripted when a script step set it) and whether the caller may
// see it.
func whyInactive(e *entry, state string, scripted, visible bool) string {
	switch {
	case scripted:
		return "script: " + state
	case state == StateRevoked:
		if why, ok := revokedWhy[e.revokedBy]; ok {
			return why
		}
		return "revoked"
	case state != StateActive:
		return state
	case !visible:
		return "not introspectable by this caller"
	}
	return ""
}
