package mockserver

import (
	"io"
	"net/http"
	"slices"
	"time"
)

// handleIntrospect handles the "POST /introspect" route (RFC 7662).
// The answer is pre-rendered: the hot path takes a read lock for the
// lookup only and writes after releasing it.
//
// What answers, in order: a FailNext fault, the stub, the token's script
// (its first matching respond step, else its last matching state step
// over the stored state), the store.
func (s *Server) handleIntrospect(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call) {
	f, err := s.readForm(w, r, forIntrospect)
	if err != nil {
		s.writeError(w, c, err)
		return
	}
	c.token, c.hint = f.token, f.hint // docs/conformance.md IQ-4: the hint is journaled, never used

	st := ns.state()
	who, err := authenticate(ns, st, r, &f, c.time, forIntrospect)
	jt, err := s.jwtTargetFor(ns, st, r, &f, who, err) // non-nil: answer with a JWT (RFC 9701)
	if s.refuseCall(w, c, who, err, f.token) {
		return
	}
	active, body, fault, faultDesc, why := ns.introspectAs(who.client, f.token, c.time)
	c.why = why

	if p := ns.takeFault(slotIntrospect); p != nil {
		fault, faultDesc = &p.f, p.desc
	} else if stub := ns.stub.Load(); stub != nil {
		if a, ok := (*stub)(StubRequest{Token: f.token, TokenTypeHint: f.hint, ClientID: who.clientID,
			AuthMethod: string(who.method), Now: c.time}); ok {
			active, body, fault, faultDesc, c.why = a.Active, activeBody{}, nil, "", ""
			if !a.Active {
				c.why = "stub"
			}
			if a.Active {
				var rerr error
				if body, rerr = renderAnswer(&a.Token, c.time, st.issuer); rerr != nil {
					s.cfg.logger.ErrorContext(r.Context(), "stub answer", "namespace", ns.name, "err", rerr)
					s.writeError(w, c, &oauthError{status: http.StatusInternalServerError, code: "server_error",
						desc: "the stub's answer cannot be rendered"})
					return
				}
			}
			if a.Fault != nil {
				fault, faultDesc = a.Fault, describeFault(a.Fault)
			}
		}
	}

	broken := "" // a JWT fault's kind: how to break a JWT answer
	if fault != nil {
		c.fault, broken = faultDesc, fault.JWT
		if !s.playFault(ns, w, r, c, fault, active, body) {
			return
		}
	}
	if jt != nil && broken != JWTPlainJSON {
		s.writeJWTIntrospection(ns, w, r, c, jt, active, body, broken)
		return
	}
	s.writeIntrospection(ns, w, r, c, active, body) // also a JWT fault where no JWT was asked for
}

// introspectAs looks token up for the authenticated caller cl (nil for an
// anonymous one) at now, counting the call: whether it is active and its
// pre-rendered body, the fault its script plays (nil for none) with its
// description, and why it is inactive (for the journal; "" when active).
// It holds the read lock for the lookup only. A token the store does not
// hold is answered by the first token pattern that matches it, if any,
// after the lock is released.
func (ns *Namespace) introspectAs(cl *client, token string, now time.Time) (active bool, body activeBody, fault *Fault, desc, why string) {
	ns.mu.RLock()
	e := ns.tokens[token]
	if e == nil {
		st := ns.state()
		ns.mu.RUnlock()
		if p, m := st.matchPattern(token); p != nil {
			return p.introspect(token, m, cl, now)
		}
		return false, activeBody{}, nil, "", "unknown token"
	}
	defer ns.mu.RUnlock()
	n := e.calls.Add(1) // exactly once per authenticated introspection
	state := e.stateAt(now)
	scripted := false
	if e.script != nil {
		var override string
		override, fault, desc = e.script.eval(n, now)
		if override != "" {
			state, scripted = override, true
		}
	}
	// docs/conformance.md TL-6: a token limited to some callers is inactive to the
	// others, whatever its state or script says.
	visible := e.visibleTo(cl)
	if active = state == StateActive && visible; active {
		body = e.body // immutable after render: no copy needed
	}
	return active, body, fault, desc, whyInactive(e, state, scripted, visible)
}

// writeIntrospection writes the normal answer: the active body, or
// {"active":false} (docs/conformance.md IR-7).
func (s *Server) writeIntrospection(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call, active bool, body activeBody) {
	c.active = active
	switch {
	case !active:
		s.writeHeader(w, c, http.StatusOK, s.hdr.json, s.hdr.inactiveLen, true) // docs/conformance.md IR-7
		_, _ = io.WriteString(w, inactiveBody)
	case body.full != nil:
		s.writeHeader(w, c, http.StatusOK, s.hdr.json, body.fullLen, true)
		_, _ = w.Write(body.full)
	default:
		iss := ns.derivedIssuer(r).member
		s.writeHeader(w, c, http.StatusOK, s.hdr.json, s.lengths.get(len(body.head)+len(iss)+len(body.tail)), true)
		_, _ = w.Write(body.head)
		_, _ = w.Write(iss)
		_, _ = w.Write(body.tail)
	}
}

// answerBytes returns the normal answer as one slice.
func answerBytes(ns *Namespace, r *http.Request, active bool, body activeBody) []byte {
	switch {
	case !active:
		return []byte(inactiveBody)
	case body.full != nil:
		return body.full
	}
	iss := ns.derivedIssuer(r).member
	b := make([]byte, 0, len(body.head)+len(iss)+len(body.tail))
	return append(append(append(b, body.head...), iss...), body.tail...)
}

// handleRevoke handles the "POST /revoke" route (RFC 7009). Known tokens
// are revoked, a refresh token with the access tokens of its grant (docs/conformance.md
// RV-5); unknown ones are fine too: 200 with an empty body (docs/conformance.md RV-3).
// The hint is recorded and otherwise ignored (docs/conformance.md RV-4). A client may opt
// in to refusals (docs/conformance.md RV-6, revokeAs). A FailNextAt fault plays
// instead, and then nothing is revoked (docs/conformance.md RV-7) unless it is a bare
// delay.
func (s *Server) handleRevoke(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call) {
	f, err := s.readForm(w, r, forRevoke)
	if err != nil {
		s.writeError(w, c, err)
		return
	}
	c.token, c.hint = f.token, f.hint

	who, err := authenticate(ns, ns.state(), r, &f, c.time, forRevoke)
	if s.refuseCall(w, c, who, err, f.token) {
		return
	}
	if fault := ns.takeFault(slotRevoke); fault != nil {
		c.fault = fault.desc
		if !s.playFault(ns, w, r, c, &fault.f, false, activeBody{}) {
			return // nothing revoked
		}
		// A bare delay: revoke after it, as a slow server would.
	}
	if refused := ns.revokeAs(who.client, f.token); refused != nil {
		if refused.status == http.StatusServiceUnavailable { // a pattern's token past the store's limits
			s.cfg.logger.WarnContext(r.Context(), "revoke", "namespace", ns.name, "err", refused.desc)
		}
		s.writeError(w, c, refused)
		return
	}
	s.writeJSON(w, c, http.StatusOK, nil, true)
}

// revokeAs revokes the token for the revocation endpoint's authenticated
// caller cl (nil for an anonymous one), if the namespace holds it or a
// token pattern matches it (then the token is stored, revoked, within the
// store's limits: past them it is 503). A client that opted in refuses, leaving the token as it was (docs/conformance.md RV-6):
// with revocation_ownership, a token whose client_id is not the caller's
// is 400 unauthorized_client (RFC 7009 §2.1); with revoke_access_tokens:
// false, an access token is 400 unsupported_token_type (RFC 7009
// §2.2.1), and revoking a refresh token leaves its grant's access tokens
// active. It holds the write lock for the change only.
func (ns *Namespace) revokeAs(cl *client, token string) *oauthError {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	e := ns.tokens[token]
	stored := e != nil
	if !stored {
		e = ns.patternEntryLocked(token) // stored below, once revoked
	}
	if e == nil {
		return nil // docs/conformance.md RV-3
	}
	refresh := e.src.Kind == KindRefreshToken
	if cl != nil {
		switch {
		case cl.revokeOwnOnly && e.src.ClientID != cl.id:
			return &oauthError{status: http.StatusBadRequest, code: "unauthorized_client",
				desc: "the token was not issued to this client"}
		case cl.revokeRefreshOnly && !refresh:
			return &oauthError{status: http.StatusBadRequest, code: "unsupported_token_type",
				desc: "this server does not revoke access tokens"}
		}
	}
	if !stored {
		if err := ns.rememberLocked(token, e); err != nil {
			return refusePatternRevocation(err)
		}
	}
	ns.revokeEntryLocked(e, cl == nil || !cl.revokeRefreshOnly)
	return nil
}

// revokeEntryLocked revokes e. With cascade, a refresh token takes every
// access token of its grant along (RFC 7009 §2.1, docs/conformance.md RV-5); other
// refresh tokens of the grant stay. ns.mu must be held for writing.
func (ns *Namespace) revokeEntryLocked(e *entry, cascade bool) {
	e.revoke(RevokedDirect)
	if cascade && e.src.Kind == KindRefreshToken && e.src.Grant != "" {
		ns.cascadeLocked(e.src.Grant)
	}
}

// visibleTo reports whether the introspection caller cl (nil for an
// anonymous one) may see e (docs/conformance.md TL-6): any caller when the token lists
// none, else a client_id client it lists. Namespace.mu must be held.
func (e *entry) visibleTo(cl *client) bool {
	by := e.src.IntrospectableBy
	return len(by) == 0 || cl != nil && cl.id != "" && slices.Contains(by, cl.id)
}

// refuseCall journals the caller and answers a request that failed
// authentication (401 or 400 first, docs/conformance.md CA-1) or sent no token (400,
// docs/conformance.md IQ-3, RV-1); it reports whether it answered.
func (s *Server) refuseCall(w http.ResponseWriter, c *call, who caller, err *oauthError, token string) bool {
	c.clientID, c.authMethod = who.clientID, who.method
	switch {
	case err != nil:
		s.writeError(w, c, err)
	case token == "":
		s.writeError(w, c, errInvalidRequest("token is required"))
	default:
		return false
	}
	return true
}
