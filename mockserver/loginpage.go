package mockserver

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"html/template"
	"maps"
	"net/http"
	"strconv"
	"strings"
)

// This file is the login page: plain server-rendered HTML, no script,
// usable with a keyboard. It is shown at the authorization endpoint for
// clients with login_page: true, or for all with WithLoginPage.

//go:embed loginpage.html
var loginPageHTML string

var pageTemplate = template.Must(template.New("page").Parse(loginPageHTML))

// pageData fills the template: a login form (Form) or a message page.
type pageData struct {
	Title, Message string
	Form           bool
	Error          string
	ClientID       string
	Scope          string
	Hidden         []hiddenField
	Users          []pageUser
	Username       string
	Claims         string
}

type hiddenField struct{ Name, Value string }

type pageUser struct {
	Sub, Label string
	Checked    bool
}

// WithLoginPage shows the login page at the authorization endpoint for
// every client, as a client's login_page: true does for that client.
// Default: false, the user is picked at once (login_hint, the next login,
// the default user) and no browser is needed.
func WithLoginPage(enabled bool) Option {
	return func(c *config) error {
		c.loginPage = enabled
		return nil
	}
}

// writePage answers an HTML page with a title and a message: the errors
// of the authorization endpoint before the redirect URI is trusted, and
// the logout page.
func (s *Server) writePage(w http.ResponseWriter, c *call, status int, title, msg string) {
	s.renderPage(w, c, status, &pageData{Title: title, Message: msg, Error: errorMark(status)})
}

// errorMark marks an error page for the template.
func errorMark(status int) string {
	if status >= 400 {
		return "error"
	}
	return ""
}

func (s *Server) renderPage(w http.ResponseWriter, c *call, status int, d *pageData) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil { // cannot happen: the template is fixed
		s.writeError(w, c, &oauthError{status: http.StatusInternalServerError, code: "server_error"})
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	s.writeHeader(w, c, status, []string{"text/html; charset=utf-8"}, []string{strconv.Itoa(buf.Len())}, true)
	_, _ = w.Write(buf.Bytes())
}

// loginPage shows the login form for the trusted request a, or reads its
// submission. It returns the user who logged in with this login's claims,
// or done when it answered (the form, or a redirect after Deny).
func (s *Server) loginPage(ns *Namespace, st *state, w http.ResponseWriter, r *http.Request, c *call, a *authzRequest) (u *user, claims map[string]any, done bool) {
	action := ""
	if r.Method == http.MethodPost {
		action = a.get("login_action")
	}
	switch action {
	case "deny":
		s.redirectError(w, c, a, "access_denied", "the user denied the request")
		return nil, nil, true
	case "login":
		u, claims, msg := readLogin(st, a)
		if msg == "" {
			return u, claims, false
		}
		s.showLogin(ns, st, w, c, a, http.StatusOK, msg)
		return nil, nil, true
	}
	s.showLogin(ns, st, w, c, a, http.StatusOK, "")
	return nil, nil, true
}

// readLogin reads a login form submission: username (and password, when
// the user has one) or a picked user, and the claims edits.
func readLogin(st *state, a *authzRequest) (*user, map[string]any, string) {
	var u *user
	if name := strings.TrimSpace(a.get("username")); name != "" {
		u = st.findUser(name)
		if u == nil || u.password != "" && a.get("password") != u.password {
			return nil, nil, "Wrong username or password."
		}
	} else if u = st.users[a.get("login_user")]; u == nil {
		return nil, nil, "Pick a user, or enter a username."
	}
	claims := u.claims
	if text := strings.TrimSpace(a.get("claims")); text != "" && text != "{}" {
		var edits map[string]any
		dec := json.NewDecoder(strings.NewReader(text))
		dec.UseNumber()
		if err := dec.Decode(&edits); err != nil || edits == nil {
			return nil, nil, "The claims are not a JSON object."
		}
		claims = maps.Clone(u.claims)
		if claims == nil {
			claims = map[string]any{}
		}
		for k, v := range edits {
			if v == nil {
				delete(claims, k)
			} else {
				claims[k] = v
			}
		}
		if err := checkUserClaims(claims); err != nil {
			return nil, nil, "Claims: " + err.Error() + "."
		}
	}
	return u, claims, ""
}

// showLogin renders the login form for a, with an error message if msg
// is set. The user login_hint names, else the next login, else the
// default user is preselected.
func (s *Server) showLogin(ns *Namespace, st *state, w http.ResponseWriter, c *call, a *authzRequest, status int, msg string) {
	d := &pageData{Title: "Sign in", Form: true, Error: msg, ClientID: a.client.id, Scope: a.scope,
		Username: a.get("username"), Claims: a.get("claims")}
	for _, name := range authzParams {
		if v := a.get(name); v != "" {
			d.Hidden = append(d.Hidden, hiddenField{name, v})
		}
	}
	pre := st.findUser(a.get("login_hint"))
	if pre == nil {
		if next := ns.nextLogin.Load(); next != nil {
			pre = st.findUser(*next)
		}
	}
	if pre == nil {
		pre = st.defaultUser
	}
	if picked := st.users[a.get("login_user")]; picked != nil {
		pre = picked
	}
	for _, u := range st.userList {
		label := u.sub
		if u.username != "" {
			label = u.username + " (sub " + u.sub + ")"
		}
		d.Users = append(d.Users, pageUser{Sub: u.sub, Label: label, Checked: u == pre})
	}
	if d.Claims == "" {
		d.Claims = "{}"
	}
	s.renderPage(w, c, status, d)
}
