package mockserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// This file is the authorization endpoint of the authorization code flow
// (RFC 6749 §4.1) with PKCE (RFC 7636): no browser is needed by default,
// the user is picked at once and the answer is a 302 to the client's
// redirect URI with the code. The login page (loginpage.go) is opt-in.

// codeLifetime is how long an authorization code may be redeemed. RFC
// 6749 §4.1.2 asks for a short lifetime, at most ten minutes.
const codeLifetime = time.Minute

// maxCodes bounds the unexpired codes of a namespace.
const maxCodes = 100_000

// authCode is an authorization code issued at /authorize and what the
// token endpoint checks when it is redeemed. Guarded by Namespace.mu.
type authCode struct {
	client *client
	// redirectURI is the authorization request's redirect_uri; "" when it
	// sent none (the client's only one was used), then the token request
	// need not send one (RFC 6749 §4.1.3).
	redirectURI string
	challenge   string // code_challenge; "" for none
	method      string // code_challenge_method: S256 or plain
	grant       *grantInfo
	exp         time.Time
	used        bool
}

// authzParams are the authorization request parameters the server reads.
var authzParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
	"code_challenge", "code_challenge_method", "login_hint", "prompt", "response_mode", "max_age"}

// authzRequest is an authorization request, trusted part by part as it
// is checked.
type authzRequest struct {
	v      url.Values
	client *client
	// redirect is where answers go once the redirect URI is trusted;
	// redirectGiven is the redirect_uri parameter as sent ("" for none).
	redirect, redirectGiven string
	scope                   string
	issuer                  string
	state                   string
}

// get returns the single value of parameter name ("" for none).
func (a *authzRequest) get(name string) string { return a.v.Get(name) }

// handleAuthorize handles the "GET /authorize" and "POST /authorize"
// routes. Until the client and its redirect URI are known to match, an
// error is a 400 HTML page; afterwards it is a redirect with error=
// (RFC 6749 §4.1.2.1), iss included (RFC 9207).
func (s *Server) handleAuthorize(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call) {
	v, status, perr := authzValues(r)
	if perr != "" {
		s.writePage(w, c, status, "Bad authorization request", perr)
		return
	}
	st := ns.state()
	a := &authzRequest{v: v, issuer: ns.issuer(r, st), state: v.Get("state")}
	for _, name := range []string{"client_id", "redirect_uri"} {
		if len(v[name]) > 1 {
			s.writePage(w, c, http.StatusBadRequest, "Bad authorization request", "parameter "+name+" is repeated (RFC 6749 section 3.1)")
			return
		}
	}
	id := v.Get("client_id")
	c.clientID = id
	a.client = st.clients[id]
	switch {
	case id == "":
		s.writePage(w, c, http.StatusBadRequest, "Bad authorization request", "client_id is missing")
		return
	case a.client == nil:
		s.writePage(w, c, http.StatusBadRequest, "Unknown client", "no client has this client_id")
		return
	}
	a.redirectGiven = v.Get("redirect_uri")
	var why string
	if a.redirect, why = a.client.redirectFor(a.redirectGiven); why != "" {
		s.writePage(w, c, http.StatusBadRequest, "Bad redirect URI", why)
		return
	}

	// From here on the redirect URI is trusted: errors go back to it.
	if e := checkAuthzRequest(a); e != nil {
		s.redirectError(w, c, a, e.code, e.desc)
		return
	}
	if p := ns.takeFault(slotAuthorize); p != nil {
		c.fault = p.desc
		if !s.playAuthorizeFault(ns, w, r, c, a, &p.f) {
			return
		}
	}

	var u *user
	var claims map[string]any
	page := s.cfg.loginPage || a.client.loginPage
	switch {
	case page && !slices.Contains(strings.Fields(a.get("prompt")), "none"):
		var done bool
		if u, claims, done = s.loginPage(ns, st, w, r, c, a); done {
			return
		}
	default:
		if u, why = ns.pickUser(st, a.get("login_hint")); u == nil {
			code := "access_denied"
			if hasScope(a.scope, "openid") {
				code = "login_required" // OpenID Connect Core §3.1.2.6
			}
			s.redirectError(w, c, a, code, why)
			return
		}
		claims = u.claims
	}

	code, e := ns.newCode(a, u, claims, c.time)
	if e != nil {
		s.redirectError(w, c, a, e.code, e.desc)
		return
	}
	s.redirect(w, c, a.redirect, "code", code, "state", a.state, "iss", a.issuer)
}

// authzValues reads the parameters of an authorization request: the query
// of a GET, the form body of a POST (OpenID Connect Core §3.1.2.1). On a
// problem it returns the status and message of the error page: 413 for a
// body over 1 MiB (RFC 9110 §15.5.14), else 400.
func authzValues(r *http.Request) (url.Values, int, string) {
	if r.Method != http.MethodPost {
		v, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, http.StatusBadRequest, "malformed query string"
		}
		return v, 0, ""
	}
	if checkFormType(r.Header.Get("Content-Type")) != nil {
		return nil, http.StatusBadRequest, "Content-Type must be application/x-www-form-urlencoded"
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	switch {
	case err != nil:
		return nil, http.StatusBadRequest, "cannot read the request body"
	case len(body) > maxBody:
		return nil, http.StatusRequestEntityTooLarge, "request body larger than 1 MiB"
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, http.StatusBadRequest, "malformed form body"
	}
	return v, 0, ""
}

// redirectFor returns where the client's answers go for a request's
// redirect_uri, or why it cannot be trusted: it must match a registered
// one exactly (RFC 6749 §3.1.2.3), but for the port of a loopback one
// (RFC 8252 §7.3); left out, the client's only one is used.
func (cl *client) redirectFor(given string) (string, string) {
	switch {
	case len(cl.redirectURIs) == 0:
		return "", "the client has no registered redirect URIs (fixture key redirect_uris)"
	case given == "" && len(cl.redirectURIs) == 1:
		return cl.redirectURIs[0], ""
	case given == "":
		return "", "redirect_uri is missing and the client has more than one"
	}
	for _, reg := range cl.redirectURIs {
		if given == reg || loopbackMatch(reg, given) {
			return given, ""
		}
	}
	return "", "redirect_uri is not one the client registered (exact match, RFC 6749 section 3.1.2)"
}

// loopbackMatch reports whether given is the registered loopback redirect
// URI reg on some port (RFC 8252 §7.3): http, the same loopback host,
// path and query.
func loopbackMatch(reg, given string) bool {
	ru, err1 := url.Parse(reg)
	gu, err2 := url.Parse(given)
	if err1 != nil || err2 != nil || ru.Scheme != "http" || gu.Scheme != "http" {
		return false
	}
	h := ru.Hostname()
	if h != gu.Hostname() || (h != "localhost" && !isLoopbackIP(h)) {
		return false
	}
	return ru.EscapedPath() == gu.EscapedPath() && ru.RawQuery == gu.RawQuery && gu.User == nil && gu.Fragment == ""
}

func isLoopbackIP(h string) bool {
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// checkAuthzRequest checks the parameters of a request whose redirect URI
// is trusted (RFC 6749 §4.1.1, RFC 7636 §4.3) and sets its scope.
func checkAuthzRequest(a *authzRequest) *oauthError {
	for _, name := range authzParams {
		if len(a.v[name]) > 1 {
			return errInvalidRequest("parameter " + name + " is repeated (RFC 6749 section 3.1)")
		}
	}
	cl := a.client
	switch rt := a.get("response_type"); {
	case rt == "":
		return errInvalidRequest("response_type is missing")
	case rt != "code":
		return &oauthError{code: "unsupported_response_type", desc: "only response_type=code is supported"}
	}
	if m := a.get("response_mode"); m != "" && m != "query" {
		return errInvalidRequest("only response_mode=query is supported")
	}
	challenge, method := a.get("code_challenge"), a.get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		return errInvalidRequest("code_challenge_method without code_challenge")
	case challenge == "" && cl.public():
		return errInvalidRequest("a public client must send a PKCE code_challenge (RFC 9700 section 2.1.1)")
	case challenge == "":
	case method != "" && method != "S256" && method != "plain":
		return errInvalidRequest("transform algorithm not supported: use code_challenge_method=S256 (RFC 7636 section 4.4.1)")
	case (method == "" || method == "plain") && !cl.plainPKCE:
		return errInvalidRequest("code_challenge_method plain is not allowed (missing means plain, RFC 7636 section 4.3): use S256")
	case !validVerifier(challenge):
		return errInvalidRequest("code_challenge must be 43 to 128 characters of A-Z, a-z, 0-9, -._~ (RFC 7636 section 4.2)")
	}
	if cl.introspectOnly {
		return &oauthError{code: "unauthorized_client", desc: "the client may not fetch tokens (scopes: [])"}
	}
	scope, e := grantScope(cl, a.get("scope"))
	if e != nil {
		return e
	}
	a.scope = scope
	if hasScope(scope, "openid") {
		return checkOpenIDRequest(a)
	}
	return nil
}

// checkOpenIDRequest checks what OpenID Connect Core asks of an
// authentication request (scope openid) beyond OAuth: a redirect_uri, a
// prompt that does not mix none with other values (§3.1.2.1), and an
// error for the request objects this server does not take (§6.1, §6.2),
// which discovery does not claim either. A plain OAuth request ignores
// these parameters (RFC 6749 §3.1).
func checkOpenIDRequest(a *authzRequest) *oauthError {
	switch prompt := strings.Fields(a.get("prompt")); {
	case a.redirectGiven == "":
		return errInvalidRequest("redirect_uri is required with scope openid (OpenID Connect Core section 3.1.2.1)")
	case slices.Contains(prompt, "none") && len(prompt) > 1:
		return errInvalidRequest("prompt=none goes with no other value (OpenID Connect Core section 3.1.2.1)")
	case a.get("request") != "":
		return &oauthError{code: "request_not_supported", desc: "request objects are not supported: send the parameters themselves (OpenID Connect Core section 6.1)"}
	case a.get("request_uri") != "":
		return &oauthError{code: "request_uri_not_supported", desc: "request_uri is not supported: send the parameters themselves (OpenID Connect Core section 6.2)"}
	}
	return nil
}

// validVerifier reports whether s has the syntax of a PKCE code_verifier
// or code_challenge: 43 to 128 unreserved characters (RFC 7636 §4.1).
func validVerifier(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// verifierMatches checks a code_verifier against the code's challenge
// (RFC 7636 §4.6), in constant time.
func (ac *authCode) verifierMatches(verifier string) bool {
	want := verifier
	if ac.method != "plain" {
		sum := sha256.Sum256([]byte(verifier))
		want = b64(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(ac.challenge)) == 1
}

// hasScope reports whether the space-separated scope holds s.
func hasScope(scope, s string) bool { return slices.Contains(strings.Fields(scope), s) }

// playAuthorizeFault plays a FailNextAt fault at the authorization
// endpoint and reports whether the request goes on (a bare delay): an
// error is sent to the redirect URI, a status is an error page, drop
// closes the connection.
func (s *Server) playAuthorizeFault(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call, a *authzRequest, f *Fault) bool {
	if f.Delay > 0 && !sleep(r.Context(), f.Delay) {
		return false
	}
	switch {
	case f.Drop:
		s.drop(ns, w, r, c)
	case f.Error != "":
		s.redirectError(w, c, a, f.Error, "injected fault")
	case f.Status != 0:
		s.writePage(w, c, f.Status, "Authorization server error", "injected fault")
	default:
		return true
	}
	return false
}

// newCode stores a code for the login of u with claims, by the trusted
// request a.
func (ns *Namespace) newCode(a *authzRequest, u *user, claims map[string]any, now time.Time) (string, *oauthError) {
	ac := &authCode{
		client:      a.client,
		redirectURI: a.redirectGiven,
		challenge:   a.get("code_challenge"),
		method:      a.get("code_challenge_method"),
		exp:         now.Add(codeLifetime),
		grant: &grantInfo{
			id: randomToken(), client: a.client, user: u, claims: claims,
			scope: a.scope, nonce: a.get("nonce"), authTime: now.Truncate(time.Second),
		},
	}
	if ac.challenge != "" && ac.method == "" {
		ac.method = "plain"
	}
	code := randomToken()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.codes == nil {
		ns.codes = make(map[string]*authCode)
	}
	if len(ns.codes) >= maxCodes {
		for k, o := range ns.codes {
			if !now.Before(o.exp) {
				delete(ns.codes, k)
			}
		}
		if len(ns.codes) >= maxCodes {
			return "", &oauthError{code: "temporarily_unavailable", desc: "too many unredeemed authorization codes"}
		}
	}
	ns.codes[code] = ac
	return code, nil
}

// redirect answers 302 to uri with the given name, value pairs added to
// its query (empty values left out); the query it has is kept (RFC 6749
// §3.1.2).
func (s *Server) redirect(w http.ResponseWriter, c *call, uri string, pairs ...string) {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			q.Set(pairs[i], pairs[i+1])
		}
	}
	loc := uri
	if enc := q.Encode(); enc != "" {
		switch {
		case !strings.Contains(loc, "?"):
			loc += "?" + enc
		case strings.HasSuffix(loc, "?") || strings.HasSuffix(loc, "&"):
			loc += enc
		default:
			loc += "&" + enc
		}
	}
	h := w.Header()
	h.Set("Location", loc)
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusFound)
	c.status = http.StatusFound
}

// redirectError sends an error to the trusted redirect URI of a (RFC 6749
// §4.1.2.1), with state and iss (RFC 9207).
func (s *Server) redirectError(w http.ResponseWriter, c *call, a *authzRequest, code, desc string) {
	s.redirect(w, c, a.redirect, "error", code, "error_description", string(appendSafe(nil, desc)),
		"state", a.state, "iss", a.issuer)
}
