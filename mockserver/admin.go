package mockserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
)

// Admin API challenges.
const (
	adminRealm          = realm + "-admin"
	challengeAdmin      = `Bearer realm="` + adminRealm + `"`
	challengeAdminWrong = `Bearer realm="` + adminRealm + `", error="invalid_token"`
)

func sum(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// adminReq is one admin API request being served.
type adminReq struct {
	s     *Server
	ns    *Namespace
	w     http.ResponseWriter
	r     *http.Request
	route string // route pattern, for logs: "tokens/{token}/revoke"
	c     call   // status holder for the write helpers; never journaled
}

// serveAdmin serves the admin API of ns at r's path (/admin/…, with the
// namespace prefix already stripped). Admin requests are not journaled;
// they are logged at debug level with their route pattern, never a token.
func (s *Server) serveAdmin(ns *Namespace, w http.ResponseWriter, r *http.Request) {
	a := &adminReq{s: s, ns: ns, w: w, r: r, route: "?"}
	defer func() {
		s.cfg.logger.LogAttrs(r.Context(), slog.LevelDebug, "admin",
			slog.String("namespace", ns.name), slog.String("method", r.Method),
			slog.String("route", a.route), slog.Int("status", a.c.status))
	}()
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/admin")
	rest = strings.TrimSuffix(strings.TrimPrefix(rest, "/"), "/")
	var segs []string
	if rest != "" {
		segs = strings.Split(rest, "/")
	}
	for i, seg := range segs {
		v, ok := unescapeSegment(seg)
		if !ok {
			a.fail(http.StatusBadRequest, "invalid_request", "malformed percent-encoding in the path")
			return
		}
		segs[i] = v
	}
	a.dispatch(segs)
}

// open reports whether the admin request may be served: the admin API is
// on, the request has at most one Authorization header and, with an admin
// token, carries it. Otherwise it answers 404, 400 or 401.
func (a *adminReq) open() bool {
	switch {
	case !a.s.cfg.admin:
		a.fail(http.StatusNotFound, "not_found", "the admin API is disabled")
		return false
	case len(a.r.Header["Authorization"]) > 1:
		a.fail(http.StatusBadRequest, "invalid_request", "more than one Authorization header")
		return false
	}
	return a.s.adminTokenSum == nil || a.authorized()
}

// adminOpen is adminReq.open for a request to the admin API of the
// namespace called name, before the namespace is resolved: ServeHTTP
// calls it first, so that a refused request makes no namespace.
func (s *Server) adminOpen(w http.ResponseWriter, r *http.Request, name string) bool {
	a := &adminReq{s: s, w: w, r: r, route: "?"}
	if a.open() {
		return true
	}
	s.cfg.logger.LogAttrs(r.Context(), slog.LevelDebug, "admin",
		slog.String("namespace", clipName(name)), slog.String("method", r.Method),
		slog.String("route", a.route), slog.Int("status", a.c.status))
	return false
}

// authorized checks the admin token in constant time (the SHA-256 sums are
// compared, so not even the length leaks), answering 401 when it fails.
func (a *adminReq) authorized() bool {
	tok := adminBearer(a.r)
	if tok == "" {
		a.w.Header().Add("WWW-Authenticate", challengeAdmin)
		a.fail(http.StatusUnauthorized, "invalid_token", "the admin API needs Authorization: Bearer <admin token>")
		return false
	}
	if subtle.ConstantTimeCompare(sum(tok), a.s.adminTokenSum) != 1 {
		a.w.Header().Add("WWW-Authenticate", challengeAdminWrong)
		a.fail(http.StatusUnauthorized, "invalid_token", "wrong admin token")
		return false
	}
	return true
}

// adminBearer returns the bearer token of r's one Authorization header;
// "" for none.
func adminBearer(r *http.Request) string {
	h := r.Header["Authorization"]
	if len(h) != 1 {
		return ""
	}
	scheme, tok, _ := strings.Cut(h[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// hasAdminToken reports whether r carries the valid admin token.
func (s *Server) hasAdminToken(r *http.Request) bool {
	tok := adminBearer(r)
	return s.adminTokenSum != nil && tok != "" && subtle.ConstantTimeCompare(sum(tok), s.adminTokenSum) == 1
}

// denyAdmin answers an admin request the guard refuses: 403 in the JSON
// error form.
func (s *Server) denyAdmin(w http.ResponseWriter, r *http.Request, desc string) {
	s.cfg.logger.LogAttrs(r.Context(), slog.LevelDebug, "admin refused",
		slog.String("method", r.Method), slog.Int("status", http.StatusForbidden), slog.String("err", desc))
	s.writeError(w, &call{}, &oauthError{status: http.StatusForbidden, code: "forbidden", desc: desc})
}

// dispatch routes an admin request by its path segments (after /admin).
func (a *adminReq) dispatch(segs []string) {
	n := len(segs)
	at := func(i int) string {
		if i < n {
			return segs[i]
		}
		return ""
	}
	switch {
	case n == 1 && at(0) == "tokens":
		a.route = "tokens"
		a.methods(map[string]func(){http.MethodGet: a.listTokens, http.MethodPost: a.addToken})
	case n == 2 && at(0) == "tokens":
		a.route = "tokens/{token}"
		tok := segs[1]
		a.methods(map[string]func(){
			http.MethodGet:    func() { a.getToken(tok) },
			http.MethodDelete: func() { a.tokenAction(tok, a.ns.Remove) },
		})
	case n == 3 && at(0) == "tokens" && (at(2) == "revoke" || at(2) == "expire"):
		a.route = "tokens/{token}/" + segs[2]
		tok, act := segs[1], a.ns.Revoke
		if segs[2] == "expire" {
			act = a.ns.Expire
		}
		a.methods(map[string]func(){http.MethodPost: func() { a.tokenAction(tok, act) }})
	case n == 3 && at(0) == "tokens" && at(2) == "script":
		a.route = "tokens/{token}/script"
		a.methods(map[string]func(){http.MethodPut: func() { a.setScript(segs[1]) }})
	case n == 1 && at(0) == "clients":
		a.route = "clients"
		a.methods(map[string]func(){http.MethodPost: a.addClient})
	case n == 1 && at(0) == "clock":
		a.route = "clock"
		a.methods(map[string]func(){http.MethodGet: a.writeClock})
	case n == 2 && at(0) == "clock" && (at(1) == "freeze" || at(1) == "resume" || at(1) == "advance" || at(1) == "set"):
		a.route = "clock/" + segs[1]
		a.methods(map[string]func(){http.MethodPost: func() { a.clock(segs[1]) }})
	case n == 1 && at(0) == "calls":
		a.route = "calls"
		a.methods(map[string]func(){
			http.MethodGet:    a.listCalls,
			http.MethodDelete: func() { a.ns.ClearCalls(); a.noContent() },
		})
	case n == 1 && at(0) == "journal":
		a.route = "journal"
		a.methods(map[string]func(){http.MethodGet: a.writeJournal, http.MethodPut: a.setJournal})
	case n == 1 && at(0) == "faults":
		a.route = "faults"
		a.methods(map[string]func(){
			http.MethodPost:   a.failNext,
			http.MethodDelete: func() { a.ns.clearFaults(); a.noContent() },
		})
	case n == 1 && at(0) == "reset":
		a.route = "reset"
		a.methods(map[string]func(){http.MethodPost: func() { a.ns.Reset(); a.noContent() }})
	case n == 1 && at(0) == "namespaces" && a.ns == a.s.def:
		a.route = "namespaces"
		a.methods(map[string]func(){http.MethodGet: func() {
			a.writeJSON(http.StatusOK, struct {
				Namespaces []string `json:"namespaces"`
			}{a.s.Namespaces()})
		}})
	case n == 2 && at(0) == "namespaces" && a.ns == a.s.def:
		a.route = "namespaces/{name}"
		name := segs[1]
		a.methods(map[string]func(){
			http.MethodGet:    func() { a.getNamespace(name) },
			http.MethodPut:    func() { a.putNamespace(name) },
			http.MethodDelete: func() { a.deleteNamespace(name) },
		})
	default:
		a.fail(http.StatusNotFound, "not_found", "no such admin endpoint")
	}
}

// methods runs the handler of the request's method, or answers 405 with
// Allow.
func (a *adminReq) methods(h map[string]func()) {
	if f := h[a.r.Method]; f != nil {
		f()
		return
	}
	allow := make([]string, 0, len(h))
	for m := range h {
		allow = append(allow, m)
	}
	sort.Strings(allow)
	a.s.writeError(a.w, &a.c, &oauthError{status: http.StatusMethodNotAllowed, code: "invalid_request",
		desc: "method not allowed; use " + strings.Join(allow, ", "), allow: strings.Join(allow, ", ")})
}

func (a *adminReq) fail(status int, code, desc string) {
	a.s.writeError(a.w, &a.c, &oauthError{status: status, code: code, desc: desc}) // made safe by writeError (SPEC ER-1)
}

// failErr answers an error of the Namespace API: 404 for ErrNotFound, 409
// for ErrExists, else 400.
func (a *adminReq) failErr(err error) {
	desc := strings.TrimPrefix(err.Error(), "mockserver: ")
	switch {
	case errors.Is(err, ErrNotFound):
		a.fail(http.StatusNotFound, "not_found", desc)
	case errors.Is(err, ErrExists):
		a.fail(http.StatusConflict, "conflict", desc)
	default:
		a.fail(http.StatusBadRequest, "invalid_request", desc)
	}
}

// writeJSON answers v as JSON without HTML escaping (marshalJSON).
func (a *adminReq) writeJSON(status int, v any) {
	b, err := marshalJSON(v)
	if err != nil { // cannot happen: claims were JSON once
		a.fail(http.StatusInternalServerError, "server_error", "cannot encode the answer")
		return
	}
	a.s.writeJSON(a.w, &a.c, status, b, true)
}

func (a *adminReq) noContent() {
	a.w.Header()["Cache-Control"] = a.s.hdr.noStore
	a.w.WriteHeader(http.StatusNoContent)
	a.c.status = http.StatusNoContent
}

// body reads the request body (at most maxBody, as the protocol
// endpoints); false when it answered an error.
func (a *adminReq) body() ([]byte, bool) {
	if a.r.Body == nil {
		return nil, true
	}
	data, err := io.ReadAll(http.MaxBytesReader(a.w, a.r.Body, maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			a.s.writeError(a.w, &a.c, errTooLarge())
		} else {
			a.fail(http.StatusBadRequest, "invalid_request", "cannot read the request body")
		}
		return nil, false
	}
	return data, true
}

// tokenJSON is a token as the admin API shows it: the fixture format
// (times as unix seconds) plus its state and call count.
type tokenJSON struct {
	Token     string         `json:"token"`
	Scope     string         `json:"scope,omitempty"`
	ClientID  string         `json:"client_id,omitempty"`
	Username  string         `json:"username,omitempty"`
	Sub       string         `json:"sub,omitempty"`
	Aud       any            `json:"aud,omitempty"`
	Iss       string         `json:"iss,omitempty"`
	TokenType string         `json:"token_type,omitempty"`
	Iat       *int64         `json:"iat,omitempty"`
	Nbf       *int64         `json:"nbf,omitempty"`
	Exp       *int64         `json:"exp,omitempty"`
	Jti       string         `json:"jti,omitempty"`
	Claims    map[string]any `json:"claims,omitempty"`
	Revoked   bool           `json:"revoked"`
	Script    []stepJSON     `json:"script,omitempty"`
	State     string         `json:"state"`
	Calls     int            `json:"calls"`

	// The lifecycle keys (SPEC RV-5, TL-6), as in fixtures.
	Kind             string   `json:"kind,omitempty"`
	Grant            string   `json:"grant,omitempty"`
	IntrospectableBy []string `json:"introspectable_by,omitempty"`
}

// stepJSON is a script step in fixture format.
type stepJSON struct {
	AfterCalls *int       `json:"after_calls,omitempty"`
	OnCall     int        `json:"on_call,omitempty"`
	After      string     `json:"after,omitempty"`
	State      string     `json:"state,omitempty"`
	Respond    *faultJSON `json:"respond,omitempty"`
}

// faultJSON is a fault in fixture format.
type faultJSON struct {
	Status     int    `json:"status,omitempty"`
	RetryAfter string `json:"retry_after,omitempty"`
	Delay      string `json:"delay,omitempty"`
	Drop       bool   `json:"drop,omitempty"`
	Malformed  string `json:"malformed,omitempty"`
}

func newTokenJSON(ti TokenInfo) tokenJSON {
	t := ti.Token
	j := tokenJSON{
		Token: t.Token, Scope: t.Scope, ClientID: t.ClientID, Username: t.Username, Sub: t.Sub,
		Iss: t.Iss, TokenType: t.TokenType, Jti: t.Jti, Claims: t.Claims, Revoked: t.Revoked,
		State: ti.State, Calls: ti.Calls,
		Kind: t.Kind, Grant: t.Grant, IntrospectableBy: t.IntrospectableBy,
	}
	switch {
	case len(t.Aud) == 1 && !t.AudList:
		j.Aud = t.Aud[0]
	case len(t.Aud) > 0:
		j.Aud = t.Aud
	}
	unix := func(t time.Time) *int64 {
		if t.IsZero() {
			return nil
		}
		u := t.Unix()
		return &u
	}
	j.Iat, j.Nbf, j.Exp = unix(t.IssuedAt), unix(t.NotBefore), unix(t.ExpiresAt)
	for i := range t.Script {
		j.Script = append(j.Script, newStepJSON(&t.Script[i]))
	}
	return j
}

// newStepJSON renders a step with its one trigger, as Step.Validate counts it.
func newStepJSON(s *Step) stepJSON {
	var j stepJSON
	switch {
	case s.OnCall > 0:
		j.OnCall = s.OnCall
	case s.After > 0:
		j.After = s.After.String()
	default:
		n := max(s.AfterCalls, 0)
		j.AfterCalls = &n
	}
	j.State = s.State
	if f := s.Respond; f != nil {
		j.Respond = &faultJSON{Status: f.Status, Drop: f.Drop, Malformed: f.Malformed}
		if f.RetryAfter > 0 {
			j.Respond.RetryAfter = f.RetryAfter.String()
		}
		if f.Delay > 0 {
			j.Respond.Delay = f.Delay.String()
		}
	}
	return j
}

// listTokens handles "GET /admin/tokens".
func (a *adminReq) listTokens() {
	infos := a.ns.Tokens()
	out := struct {
		Tokens []tokenJSON `json:"tokens"`
	}{make([]tokenJSON, 0, len(infos))}
	for _, ti := range infos {
		out.Tokens = append(out.Tokens, newTokenJSON(ti))
	}
	a.writeJSON(http.StatusOK, out)
}

// addToken handles "POST /admin/tokens": one token object in fixture
// format; no token member makes a random token. 201 {"token":"…"}.
func (a *adminReq) addToken() {
	data, ok := a.body()
	if !ok {
		return
	}
	now := a.ns.clock.Now()
	ft, err := fixtures.ParseToken(now, "body", data)
	if err != nil {
		a.failErr(err)
		return
	}
	t := Token{
		Token: ft.Token, Scope: ft.Scope, ClientID: ft.ClientID, Username: ft.Username, Sub: ft.Sub,
		Aud: ft.Aud.Values, AudList: ft.Aud.List, Iss: ft.Iss, TokenType: ft.TokenType, Jti: ft.Jti,
		IssuedAt: ft.Iat.Resolve(now), NotBefore: ft.Nbf.Resolve(now), ExpiresAt: ft.Exp.Resolve(now),
		Claims: ft.Claims, Revoked: ft.Revoked, Script: ft.Script,
		Kind: ft.Kind, Grant: ft.Grant, IntrospectableBy: ft.IntrospectableBy,
	}
	if !ft.Exp.IsSet() { // `exp: never`: the parser set the default otherwise
		t.ExpiresIn = -1
	}
	tok, err := a.ns.AddToken(t)
	if err != nil {
		a.failErr(err)
		return
	}
	a.writeJSON(http.StatusCreated, struct {
		Token string `json:"token"`
	}{tok})
}

// getToken handles "GET /admin/tokens/{token}".
func (a *adminReq) getToken(tok string) {
	ti, ok := a.ns.Lookup(tok)
	if !ok {
		a.fail(http.StatusNotFound, "not_found", "no such token")
		return
	}
	a.writeJSON(http.StatusOK, newTokenJSON(ti))
}

// tokenAction handles the token routes that act and answer 204 or 404.
func (a *adminReq) tokenAction(tok string, act func(string) bool) {
	if !act(tok) {
		a.fail(http.StatusNotFound, "not_found", "no such token")
		return
	}
	a.noContent()
}

// setScript handles "PUT /admin/tokens/{token}/script": {"script":[…]}.
func (a *adminReq) setScript(tok string) {
	data, ok := a.body()
	if !ok {
		return
	}
	steps, err := fixtures.ParseSteps("body", data)
	if err != nil {
		a.failErr(err)
		return
	}
	if err := a.ns.SetScript(tok, steps); err != nil {
		if errors.Is(err, ErrNotFound) {
			a.fail(http.StatusNotFound, "not_found", "no such token")
			return
		}
		a.failErr(err)
		return
	}
	a.noContent()
}

// addClient handles "POST /admin/clients": one client object in fixture
// format. 201 {"client_id":"…"}; 409 when the client_id or bearer exists.
func (a *adminReq) addClient() {
	data, ok := a.body()
	if !ok {
		return
	}
	c, err := fixtures.ParseClient("body", data)
	if err != nil {
		a.failErr(err)
		return
	}
	if err := a.ns.AddClient(c); err != nil {
		a.failErr(err)
		return
	}
	a.writeJSON(http.StatusCreated, struct {
		ClientID string `json:"client_id,omitempty"`
	}{c.ClientID})
}

// clockJSON is a reading of a namespace clock.
type clockJSON struct {
	Now    string `json:"now"`
	Frozen bool   `json:"frozen"`
}

// writeClock handles "GET /admin/clock" and ends the clock actions.
func (a *adminReq) writeClock() {
	c := a.ns.clock
	frozen := c.Frozen() // first: a clock frozen between the reads shows a time it had
	a.writeJSON(http.StatusOK, clockJSON{Now: c.Now().UTC().Format(time.RFC3339Nano), Frozen: frozen})
}

// clock handles "POST /admin/clock/{freeze,resume,advance,set}".
func (a *adminReq) clock(action string) {
	c := a.ns.clock
	switch action {
	case "freeze":
		c.Freeze()
	case "resume":
		c.Resume()
	case "advance":
		data, ok := a.body()
		if !ok {
			return
		}
		d, err := fixtures.ParseClockAdvance(c.Now(), "body", data)
		if err != nil {
			a.failErr(err)
			return
		}
		c.Advance(d)
	case "set":
		data, ok := a.body()
		if !ok {
			return
		}
		t, err := fixtures.ParseClockSet("body", data)
		if err != nil {
			a.failErr(err)
			return
		}
		c.Set(t)
	}
	a.writeClock()
}

// quote quotes s for an error_description, which may not hold '"' (SPEC
// ER-1): 'like this', cut to 64 bytes.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return "'" + s + "'"
}

// listCalls handles "GET /admin/calls[?endpoint=…&token=…]". Tokens go
// out raw: the admin API is the test's own view of the journal.
func (a *adminReq) listCalls() {
	q := a.r.URL.Query()
	endpoint, tok := q.Get("endpoint"), q.Get("token")
	calls := a.ns.Calls()
	out := struct {
		Calls []callJSON `json:"calls"`
	}{make([]callJSON, 0, len(calls))}
	for _, c := range calls {
		if (endpoint == "" || c.Endpoint == endpoint) && (tok == "" || c.Token.Raw() == tok) {
			out.Calls = append(out.Calls, callJSON{
				Time: c.Time, Namespace: c.Namespace, Endpoint: c.Endpoint, ClientID: c.ClientID,
				AuthMethod: c.AuthMethod, Token: c.Token.Raw(), TokenTypeHint: c.TokenTypeHint,
				Status: c.Status, Active: c.Active, Fault: c.Fault,
			})
		}
	}
	a.writeJSON(http.StatusOK, out)
}

// callJSON is a Call as the admin API sends it: Call's JSON with the token
// raw (Call's own marshals it redacted). It decodes back into a Call.
type callJSON struct {
	Time          time.Time `json:"time"`
	Namespace     string    `json:"namespace"`
	Endpoint      string    `json:"endpoint"`
	ClientID      string    `json:"client_id"`
	AuthMethod    string    `json:"auth_method"`
	Token         string    `json:"token"`
	TokenTypeHint string    `json:"token_type_hint"`
	Status        int       `json:"status"`
	Active        bool      `json:"active"`
	Fault         string    `json:"fault"`
}

// journalJSON describes a namespace's journal: how many calls it keeps at
// most, and how many it holds.
type journalJSON struct {
	Size int `json:"size"`
	Kept int `json:"kept"`
}

// writeJournal handles "GET /admin/journal" and ends "PUT /admin/journal".
func (a *adminReq) writeJournal() {
	size, kept := a.ns.journal.stats()
	a.writeJSON(http.StatusOK, journalJSON{Size: size, Kept: kept})
}

// setJournal handles "PUT /admin/journal": {"size":N} keeps the latest N
// calls from now on (0 none), dropping the oldest beyond N.
func (a *adminReq) setJournal() {
	data, ok := a.body()
	if !ok {
		return
	}
	n, err := fixtures.ParseJournalSize("body", data)
	if err != nil {
		a.failErr(err)
		return
	}
	_ = a.ns.SetJournalSize(n) // not negative
	a.writeJournal()
}

// failNext handles "POST /admin/faults":
// {"count":2,"respond":{…},"endpoint":"revoke"}; endpoint defaults to
// introspect, and a count of 0 cancels that endpoint's faults.
func (a *adminReq) failNext() {
	data, ok := a.body()
	if !ok {
		return
	}
	o, err := fixtures.ParseFaultOrder("body", data)
	if err != nil {
		a.failErr(err)
		return
	}
	if o.Endpoint == "" {
		o.Endpoint = EndpointIntrospect
	}
	if err := a.ns.failNextAt(o.Endpoint, o.Count, o.Respond); err != nil {
		a.fail(http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	a.noContent()
}

// getNamespace handles "GET /admin/namespaces/{name}".
func (a *adminReq) getNamespace(name string) {
	a.s.nsMu.RLock()
	ns := a.s.spaces[name]
	a.s.nsMu.RUnlock()
	if ns == nil {
		a.fail(http.StatusNotFound, "not_found", "no such namespace")
		return
	}
	a.writeJSON(http.StatusOK, namespaceJSON{Namespace: name})
}

type namespaceJSON struct {
	Namespace string `json:"namespace"`
}

// putNamespace handles "PUT /admin/namespaces/{name}": 201 when made, 200
// when it existed.
func (a *adminReq) putNamespace(name string) {
	if !validName(name) {
		a.fail(http.StatusBadRequest, "invalid_request", "invalid namespace name: "+nameRule)
		return
	}
	_, created, err := a.s.namespace(name)
	if err != nil {
		a.failErr(err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	a.writeJSON(status, namespaceJSON{Namespace: name})
}

// deleteNamespace handles "DELETE /admin/namespaces/{name}".
func (a *adminReq) deleteNamespace(name string) {
	if !a.s.DeleteNamespace(name) {
		a.fail(http.StatusNotFound, "not_found", "no such namespace")
		return
	}
	a.noContent()
}
