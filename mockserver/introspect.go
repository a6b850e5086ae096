package mockserver

import (
	"io"
	"net/http"
	"strconv"
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
	c.token, c.hint = f.token, f.hint // SPEC IQ-4: the hint is journaled, never used

	var (
		body      activeBody
		active    bool
		fault     *Fault
		faultDesc string
	)
	ns.mu.RLock()
	st := ns.state()
	who, err := authenticate(ns, st, r, &f, c.time, forIntrospect)
	jt, err := s.jwtTargetFor(ns, st, r, &f, who, err) // non-nil: answer with a JWT (RFC 9701)
	if err == nil && f.token != "" {
		if e := ns.tokens[f.token]; e != nil {
			n := e.calls.Add(1) // exactly once per authenticated introspection
			state := e.stateAt(c.time)
			if e.script != nil {
				var override string
				override, fault, faultDesc = e.script.eval(n, c.time)
				if override != "" {
					state = override
				}
			}
			if active = state == StateActive; active {
				body = e.body // immutable after render: no copy needed
			}
		}
	}
	ns.mu.RUnlock()

	c.clientID, c.authMethod = who.clientID, who.method
	switch {
	case err != nil:
		s.writeError(w, c, err)
		return
	case f.token == "":
		s.writeError(w, c, errInvalidRequest("token is required"))
		return
	}

	if p := ns.takeFault(slotIntrospect); p != nil {
		fault, faultDesc = &p.f, p.desc
	} else if stub := ns.stub.Load(); stub != nil {
		if a, ok := (*stub)(StubRequest{Token: f.token, TokenTypeHint: f.hint, ClientID: who.clientID,
			AuthMethod: string(who.method), Now: c.time}); ok {
			active, body, fault, faultDesc = a.Active, activeBody{}, nil, ""
			if a.Active {
				var rerr error
				if body, rerr = renderAnswer(&a.Token, c.time, st.issuer); rerr != nil {
					s.logger.ErrorContext(r.Context(), "stub answer", "namespace", ns.name, "err", rerr)
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

	if fault != nil {
		c.fault = faultDesc
		if !s.playFault(ns, w, r, c, fault, active, body) {
			return
		}
	}
	if jt != nil {
		s.writeJWTIntrospection(ns, w, r, c, jt, active, body)
		return
	}
	s.writeIntrospection(ns, w, r, c, active, body)
}

// writeIntrospection writes the normal answer: the active body, or
// {"active":false} (SPEC IR-7).
func (s *Server) writeIntrospection(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call, active bool, body activeBody) {
	c.active = active
	switch {
	case !active:
		s.writeHeader(w, c, http.StatusOK, s.hdr.inactiveLen, true) // SPEC IR-7
		_, _ = io.WriteString(w, inactiveBody)
	case body.full != nil:
		s.writeHeader(w, c, http.StatusOK, body.fullLen, true)
		_, _ = w.Write(body.full)
	default:
		iss := ns.derivedIssuer(r).member
		s.writeHeader(w, c, http.StatusOK, []string{strconv.Itoa(len(body.head) + len(iss) + len(body.tail))}, true)
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

// take consumes one pending fault; false when none is left.
func (p *pendingFaults) take() bool {
	for {
		n := p.left.Load()
		if n <= 0 {
			return false
		}
		if p.left.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// handleRevoke handles the "POST /revoke" route (RFC 7009). Known tokens
// are revoked; unknown ones are fine too: 200 with an empty body (SPEC
// RV-3). The hint is recorded and otherwise ignored (SPEC RV-4). A
// FailNextAt fault plays instead, and then nothing is revoked (SPEC RV-7)
// unless it is a bare delay.
func (s *Server) handleRevoke(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call) {
	f, err := s.readForm(w, r, forRevoke)
	if err != nil {
		s.writeError(w, c, err)
		return
	}
	c.token, c.hint = f.token, f.hint

	var fault *pendingFaults
	ns.mu.Lock()
	st := ns.state()
	who, err := authenticate(ns, st, r, &f, c.time, forRevoke)
	if err == nil && f.token != "" {
		if fault = ns.takeFault(slotRevoke); fault == nil {
			ns.revokeLocked(f.token)
		}
	}
	ns.mu.Unlock()

	c.clientID, c.authMethod = who.clientID, who.method
	switch {
	case err != nil:
		s.writeError(w, c, err)
		return
	case f.token == "":
		s.writeError(w, c, errInvalidRequest("token is required"))
		return
	}
	if fault != nil {
		c.fault = fault.desc
		if !s.playFault(ns, w, r, c, &fault.f, false, activeBody{}) {
			return
		}
		ns.mu.Lock() // a bare delay: revoke after it, as a slow server would
		ns.revokeLocked(f.token)
		ns.mu.Unlock()
	}
	s.writeJSON(w, c, http.StatusOK, nil, true)
}

// revokeLocked revokes the token, if the namespace holds it. ns.mu must be
// held for writing.
func (ns *Namespace) revokeLocked(token string) {
	if e := ns.tokens[token]; e != nil {
		e.revoked = true
	}
}
