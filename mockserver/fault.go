package mockserver

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
)

// playFault plays f in place of an answer and reports whether the normal
// answer is still to be written (a bare delay). For an introspection,
// (active, body) is the normal answer a malformed fault breaks. It never
// holds a lock: a delay only waits, and ends early when the client goes
// away (then nothing is written).
func (s *Server) playFault(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call, f *Fault, active bool, body activeBody) bool {
	if f.Delay > 0 && !sleep(r.Context(), f.Delay) {
		return false // the client is gone; c.status stays 0
	}
	switch {
	case f.Drop:
		s.drop(ns, w, r, c)
		return false
	case f.Status != 0 || f.Error != "":
		s.writeFaultStatus(w, c, f)
		return false
	case f.Malformed != "":
		s.writeMalformed(w, c, f.Malformed, answerBytes(ns, r, active, body), active)
		return false
	}
	return true
}

// faultEndpoints are the endpoints FailNextAt takes, in the order of
// Namespace.faults.
var faultEndpoints = [...]string{EndpointIntrospect, EndpointRevoke, EndpointToken, EndpointAuthorize}

// Slots of Namespace.faults.
const (
	slotIntrospect = iota
	slotRevoke
	slotToken
	slotAuthorize
)

// faultSlot returns the slot of endpoint in Namespace.faults, or -1 when
// FailNextAt does not take it.
func faultSlot(endpoint string) int {
	for i, e := range faultEndpoints {
		if e == endpoint {
			return i
		}
	}
	return -1
}

// FailNextAt makes the next count authenticated calls to endpoint
// (EndpointIntrospect, EndpointRevoke or EndpointToken) in the namespace
// play f instead of their answer, replacing the faults still pending
// there; a count ≤ 0 cancels them. Other endpoints' faults are left as
// they are. A faulted call does nothing but play f: a revocation that
// answers 503 (docs/conformance.md RV-7) or drops the connection leaves the token as it
// was, and a faulted /token call issues no token. A bare Delay only slows
// the call, which then does its work and answers as usual.
//
// At introspection, f is played as FailNext says. At revoke and token,
// Malformed and JWT are refused: those answers have no introspection body
// to break. An unknown endpoint, or a fault fixtures would refuse (see Step),
// is an error, and then nothing changes.
func (ns *Namespace) FailNextAt(endpoint string, count int, f Fault) error {
	if err := checkFault(endpoint, count, f); err != nil {
		return err
	}
	slot := faultSlot(endpoint)
	if count <= 0 {
		ns.faults[slot].Store(nil)
		return nil
	}
	p := &pendingFaults{f: f, desc: describeFault(&f)}
	p.left.Store(int64(count))
	ns.faults[slot].Store(p)
	return nil
}

// checkFault reports what FailNextAt would refuse.
func checkFault(endpoint string, count int, f Fault) error {
	slot := faultSlot(endpoint)
	if slot < 0 {
		return fmt.Errorf("endpoint: unknown endpoint %s (want %s, %s, %s or %s)", quote(endpoint),
			EndpointIntrospect, EndpointRevoke, EndpointToken, EndpointAuthorize)
	}
	if count <= 0 {
		return nil
	}
	if err := f.Validate(); err != nil {
		return fmt.Errorf("respond: %w", err)
	}
	if key, msg := f.IntrospectOnlyAt(endpoint); key != "" {
		return fmt.Errorf("respond.%s: %s", key, msg)
	}
	return nil
}

// ClearFaults cancels the pending faults of every endpoint. It never
// fails in process.
func (ns *Namespace) ClearFaults() error {
	for i := range ns.faults {
		ns.faults[i].Store(nil)
	}
	return nil
}

// takeFault consumes one pending fault of the endpoint in slot and returns
// it; nil when none is pending.
func (ns *Namespace) takeFault(slot int) *pendingFaults {
	if p := ns.faults[slot].Load(); p != nil && p.take() {
		return p
	}
	return nil
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

// sleep waits d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// drop closes the connection without an answer: it hijacks it (HTTP/1.x)
// or, where that is impossible (HTTP/2), aborts the handler with
// http.ErrAbortHandler, which net/http turns into a reset stream.
func (s *Server) drop(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		s.record(r.Context(), ns, c) // the panic skips the record of endpoint
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// faultCode returns the OAuth error code of an injected status: RFC 6749
// §4.1.2.1 codes for 5xx and 429, invalid_client for 401, else
// invalid_request.
func faultCode(status int) string {
	switch {
	case status == http.StatusServiceUnavailable, status == http.StatusTooManyRequests:
		return "temporarily_unavailable"
	case status >= 500:
		return "server_error"
	case status == http.StatusUnauthorized:
		return "invalid_client"
	}
	return "invalid_request"
}

// writeFaultStatus answers an injected status with an OAuth error body.
// 429 and 503 always carry Retry-After (docs/conformance.md ER-5): f.RetryAfter in whole
// seconds rounded up, 1 when unset; other statuses only when it is set. A
// 401 carries a Basic challenge and a 405 an Allow header (docs/conformance.md ER-3).
func (s *Server) writeFaultStatus(w http.ResponseWriter, c *call, f *Fault) {
	e := &oauthError{status: f.Status, code: faultCode(f.Status), desc: "injected fault"}
	if f.Error != "" {
		e.code = f.Error
		if e.status == 0 {
			e.status = http.StatusBadRequest
		}
	}
	switch f.Status {
	case http.StatusUnauthorized:
		e.challenges = []string{challengeBasic}
	case http.StatusMethodNotAllowed:
		e.allow = http.MethodPost
	}
	retry := f.RetryAfter
	if retry <= 0 && (f.Status == http.StatusTooManyRequests || f.Status == http.StatusServiceUnavailable) {
		retry = time.Second
	}
	if retry > 0 {
		e.retryAfter = strconv.FormatInt(int64((retry+time.Second-1)/time.Second), 10)
	}
	s.writeError(w, c, e)
}

// htmlErrorPage is the body of the html malformed answer: what a proxy or
// a login page in front of a server may send.
const htmlErrorPage = "<!DOCTYPE html>\n<html><head><title>Error</title></head>" +
	"<body><h1>Something went wrong</h1><p>Please try again later.</p></body></html>\n"

// writeMalformed answers 200 with a broken answer of kind, made from the
// normal answer:
//   - invalid_json: the first half of it (never valid JSON);
//   - missing_active: it without the active member;
//   - string_active: it with "active":"false", a string;
//   - wrong_content_type: it, labelled text/plain;
//   - html: an HTML error page (text/html);
//   - oauth_error_200: {"error":"server_error",...}.
func (s *Server) writeMalformed(w http.ResponseWriter, c *call, kind string, normal []byte, active bool) {
	var body []byte
	ctype := "application/json"
	switch kind {
	case fixtures.MalformedInvalidJSON:
		body = normal[:len(normal)/2]
	case fixtures.MalformedMissingActive:
		body = withoutActive(normal, active)
	case fixtures.MalformedStringActive:
		body = []byte(`{"active":"false"}`)
		if rest := withoutActive(normal, active); len(rest) > 2 {
			body = append([]byte(`{"active":"false",`), rest[1:]...)
		}
	case fixtures.MalformedContentType:
		body, ctype = normal, "text/plain; charset=utf-8"
	case fixtures.MalformedHTML:
		body, ctype = []byte(htmlErrorPage), "text/html; charset=utf-8"
	case fixtures.MalformedOAuthErrorBody:
		body = []byte(`{"error":"server_error","error_description":"injected fault"}`)
	default: // checked when the fault was set
		body = normal
	}
	s.writeHeader(w, c, http.StatusOK, []string{ctype}, []string{strconv.Itoa(len(body))}, true)
	_, _ = w.Write(body)
}

// withoutActive returns the normal answer without its active member:
// {} for an inactive answer, {<members>} for an active one.
func withoutActive(normal []byte, active bool) []byte {
	const prefix = `{"active":true`
	if !active || !bytes.HasPrefix(normal, []byte(prefix)) {
		return []byte(`{}`)
	}
	rest := normal[len(prefix):] // `,"scope":...}` or `}`
	if len(rest) > 0 && rest[0] == ',' {
		rest = rest[1:]
	}
	return append([]byte{'{'}, rest...)
}
