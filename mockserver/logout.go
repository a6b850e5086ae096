package mockserver

import (
	"net/http"
	"slices"
)

// handleLogout handles the "GET /logout" and "POST /logout" routes, the
// end_session_endpoint of OpenID Connect RP-Initiated Logout 1.0 (§2):
// the user named by id_token_hint (an ID Token this server signed,
// expired or not) or logout_hint (a username or sub) is logged out, which
// in a server without sessions means every grant of the user ends: all
// tokens of the authorization code flow issued for them are revoked. With
// a registered post_logout_redirect_uri the answer is a 302 there, with
// state; otherwise a page says it is done.
func (s *Server) handleLogout(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call) {
	v, status, perr := authzValues(r)
	if perr != "" {
		s.writePage(w, c, status, "Bad logout request", perr)
		return
	}
	for _, name := range []string{"id_token_hint", "logout_hint", "client_id", "post_logout_redirect_uri", "state"} {
		if len(v[name]) > 1 {
			s.writePage(w, c, http.StatusBadRequest, "Bad logout request", "parameter "+name+" is repeated")
			return
		}
	}
	st := ns.state()
	clientID := v.Get("client_id")
	var sub string
	if hint := v.Get("id_token_hint"); hint != "" {
		hsub, aud, err := s.readIDToken(hint)
		if err != nil {
			s.writePage(w, c, http.StatusBadRequest, "Bad logout request", "id_token_hint is not an ID Token of this server: "+err.Error())
			return
		}
		if clientID != "" && clientID != aud {
			s.writePage(w, c, http.StatusBadRequest, "Bad logout request", "client_id differs from the aud of id_token_hint")
			return
		}
		sub, clientID = hsub, aud
	} else if hint := v.Get("logout_hint"); hint != "" {
		if u := st.findUser(hint); u != nil {
			sub = u.sub
		}
	}
	// What the page says: a test that names nobody, or a user who does not
	// exist, must not read that someone's grants ended.
	done := "You are signed out: the grants of this user have ended."
	switch {
	case sub == "" && v.Get("logout_hint") != "":
		done = "No user has the username or sub that logout_hint names: no grant ended."
	case sub == "":
		done = "You are signed out. No user was named (id_token_hint or logout_hint): no grant ended."
	}
	c.clientID = clientID
	target := v.Get("post_logout_redirect_uri")
	if target != "" {
		cl := st.clients[clientID]
		switch {
		case clientID == "":
			s.writePage(w, c, http.StatusBadRequest, "Bad logout request", "post_logout_redirect_uri needs client_id or id_token_hint to know the client")
			return
		case cl == nil || !slices.Contains(cl.postLogoutURIs, target):
			s.writePage(w, c, http.StatusBadRequest, "Bad logout request", "post_logout_redirect_uri is not registered for the client (fixture key post_logout_redirect_uris)")
			return
		}
	}
	if sub != "" {
		ns.endUserGrants(sub)
	}
	if target != "" {
		s.redirect(w, c, target, "state", v.Get("state"))
		return
	}
	s.writePage(w, c, http.StatusOK, "Signed out", done)
}
