// Package adminapi is introspectmock's admin HTTP API: its wire types,
// defined once here; Handler, which serves them over a mockserver.Server;
// and Client, which package testkit drives a server elsewhere with.
//
// Request bodies are in fixture format (package fixtures parses them on
// the server, so JSON and YAML are both taken and errors name line,
// column and field); answers are JSON. The routes are declared with the
// server's others in mockserver/routes.go; mockserver's package
// documentation lists them.
package adminapi

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// Token is a token in fixture format, the body of POST /admin/tokens.
type Token struct {
	Token            string         `json:"token,omitempty"`
	Scope            string         `json:"scope,omitempty"`
	ClientID         string         `json:"client_id,omitempty"`
	Username         string         `json:"username,omitempty"`
	Sub              string         `json:"sub,omitempty"`
	Aud              *Audience      `json:"aud,omitempty"`
	Iss              string         `json:"iss,omitempty"`
	TokenType        string         `json:"token_type,omitempty"`
	Iat              *Time          `json:"iat,omitempty"`
	Nbf              *Time          `json:"nbf,omitempty"`
	Exp              *Time          `json:"exp,omitempty"`
	Jti              string         `json:"jti,omitempty"`
	Claims           map[string]any `json:"claims,omitempty"`
	Kind             string         `json:"kind,omitempty"`
	Grant            string         `json:"grant,omitempty"`
	IntrospectableBy []string       `json:"introspectable_by,omitempty"`
	Script           []Step         `json:"script,omitempty"`
	Revoked          bool           `json:"revoked,omitempty"`
}

// TokenInfo is a token as the admin API shows it (GET /admin/tokens and
// /admin/tokens/{token}): the fixture format with absolute times, its
// state and its call count.
type TokenInfo struct {
	Token
	Revoked   bool   `json:"revoked"` // always shown in answers
	RevokedBy string `json:"revoked_by,omitempty"`
	State     string `json:"state"`
	Calls     int    `json:"calls"`
}

// RevokeBy is the body of POST /admin/revoke: one of Sub and ClientID.
type RevokeBy struct {
	Sub      string `json:"sub,omitempty"`
	ClientID string `json:"client_id,omitempty"`
}

// Revoked is the answer of POST /admin/revoke: how many tokens it
// revoked.
type Revoked struct {
	Revoked int `json:"revoked"`
}

// Audience is the aud member: a string, or a list (List, or more than one
// value).
type Audience struct {
	Values []string
	List   bool
}

// MarshalJSON writes a string or a list.
func (a Audience) MarshalJSON() ([]byte, error) {
	if len(a.Values) == 1 && !a.List {
		return json.Marshal(a.Values[0])
	}
	return json.Marshal(a.Values)
}

// UnmarshalJSON reads a string or a list.
func (a *Audience) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*a = Audience{Values: []string{s}}
		return nil
	}
	a.List = true
	return json.Unmarshal(b, &a.Values)
}

// Time is a fixture time: Unix seconds, or (in requests) Rel, a relative
// time such as "+1h0m0s" the server resolves against its clock, or "never"
// for exp.
type Time struct {
	Unix int64
	Rel  string
}

// MarshalJSON writes Rel as a string, else Unix as a number.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.Rel != "" {
		return json.Marshal(t.Rel)
	}
	return json.Marshal(t.Unix)
}

// UnmarshalJSON reads a number or a string.
func (t *Time) UnmarshalJSON(b []byte) error {
	if json.Unmarshal(b, &t.Rel) == nil {
		return nil
	}
	return json.Unmarshal(b, &t.Unix)
}

// Step is a script step in fixture format, with its one trigger.
type Step struct {
	AfterCalls *int   `json:"after_calls,omitempty"`
	OnCall     int    `json:"on_call,omitempty"`
	After      string `json:"after,omitempty"`
	State      string `json:"state,omitempty"`
	Respond    *Fault `json:"respond,omitempty"`
}

// Fault is a fault in fixture format.
type Fault struct {
	Status     int    `json:"status,omitempty"`
	RetryAfter string `json:"retry_after,omitempty"`
	Delay      string `json:"delay,omitempty"`
	Drop       bool   `json:"drop,omitempty"`
	Malformed  string `json:"malformed,omitempty"`
	Error      string `json:"error,omitempty"`
	JWT        string `json:"jwt,omitempty"`
}

// OAuthClient is a caller of the endpoints in fixture format (a fixture
// client), the body of POST /admin/clients.
type OAuthClient struct {
	ClientID            string   `json:"client_id,omitempty"`
	ClientSecret        string   `json:"client_secret,omitempty"`
	Bearer              string   `json:"bearer,omitempty"`
	Scopes              []string `json:"scopes,omitempty"`
	TokenLifetime       string   `json:"token_lifetime,omitempty"`
	AuthMethods         []string `json:"auth_methods,omitempty"`
	Introspect          *bool    `json:"introspect,omitempty"`
	RevocationOwnership bool     `json:"revocation_ownership,omitempty"`
	RevokeAccessTokens  *bool    `json:"revoke_access_tokens,omitempty"`
	// The authorization code flow's (fixture keys of the same names).
	RedirectURIs           []string `json:"redirect_uris,omitempty"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	LoginPage              bool     `json:"login_page,omitempty"`
	AllowPlainPKCE         bool     `json:"allow_plain_pkce,omitempty"`
}

// User is a user in fixture format: the body of POST /admin/users and an
// entry of GET /admin/users.
type User struct {
	Sub      string         `json:"sub"`
	Username string         `json:"username,omitempty"`
	Password string         `json:"password,omitempty"`
	Claims   map[string]any `json:"claims,omitempty"`
	Default  bool           `json:"default,omitempty"`
}

// NewUser returns u in wire form.
func NewUser(u fixtures.User) User {
	return User{Sub: u.Sub, Username: u.Username, Password: u.Password, Claims: u.Claims, Default: u.Default}
}

// Decode returns the user w describes.
func (w User) Decode() fixtures.User {
	return fixtures.User{Sub: w.Sub, Username: w.Username, Password: w.Password, Claims: w.Claims, Default: w.Default}
}

// Users is the answer of GET /admin/users.
type Users struct {
	Users []User `json:"users"`
}

// NextLogin is the body and answer of PUT /admin/next-login: who the next
// authorization request that names nobody logs in as (a sub or username).
type NextLogin struct {
	User string `json:"user"`
}

// Script is the body of PUT /admin/tokens/{token}/script.
type Script struct {
	Script []Step `json:"script"`
}

// FaultOrder is the body of POST /admin/faults: the next Count calls to
// Endpoint (default introspect) play Respond; a Count of 0 cancels.
type FaultOrder struct {
	Count    int    `json:"count"`
	Endpoint string `json:"endpoint,omitempty"`
	Respond  *Fault `json:"respond,omitempty"`
}

// Clock is a namespace clock's reading, the answer of the /admin/clock
// routes.
type Clock struct {
	Now    time.Time `json:"now"`
	Frozen bool      `json:"frozen"`
}

// ClockAdvance is the body of POST /admin/clock/advance: a Go duration
// such as "2h" or "-30s".
type ClockAdvance struct {
	By *string `json:"by"`
}

// ClockSet is the body of POST /admin/clock/set: an RFC 3339 time.
type ClockSet struct {
	Time *string `json:"time"`
}

// Journal is the answer of the /admin/journal routes; Size alone is the
// body of PUT /admin/journal.
type Journal struct {
	Size *int `json:"size"`
	Kept int  `json:"kept"`
}

// Tokens is the answer of GET /admin/tokens.
type Tokens struct {
	Tokens []TokenInfo `json:"tokens"`
}

// Created is the answer of POST /admin/tokens and POST /admin/clients.
type Created struct {
	Token    string `json:"token,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	Sub      string `json:"sub,omitempty"`
}

// Calls is the answer of GET /admin/calls.
type Calls struct {
	Calls []Call `json:"calls"`
}

// Call is a journaled call as the admin API sends it: mockserver.Call's
// JSON with the token raw (Call's own marshals it redacted), for the
// test's own view of the journal.
type Call struct {
	mockserver.Call
	Token string `json:"token"` // shadows Call.Token
}

// NewCall returns c in wire form.
func NewCall(c mockserver.Call) Call { return Call{Call: c, Token: c.Token.Raw()} }

// Decode returns the call w describes.
func (w Call) Decode() mockserver.Call {
	c := w.Call
	c.Token = mockserver.RedactedToken(w.Token)
	return c
}

// Namespace is the answer of the /admin/namespaces/{name} routes.
type Namespace struct {
	Namespace string `json:"namespace"`
}

// Namespaces is the answer of GET /admin/namespaces.
type Namespaces struct {
	Namespaces []string `json:"namespaces"`
}

// Error is an error answer (RFC 6749 §5.2 style).
type Error struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// NewToken returns t in wire form. Times go as Unix seconds; ExpiresIn as
// a relative exp (and iat "+0s" when unset), which the server resolves
// against its clock, or, when negative, as exp "never".
func NewToken(t mockserver.Token) Token {
	w := Token{
		Token: t.Token, Scope: t.Scope, ClientID: t.ClientID, Username: t.Username, Sub: t.Sub,
		Iss: t.Iss, TokenType: t.TokenType, Jti: t.Jti, Claims: t.Claims, Revoked: t.Revoked,
		Kind: t.Kind, Grant: t.Grant, IntrospectableBy: t.IntrospectableBy,
		Iat: unixTime(t.IssuedAt), Nbf: unixTime(t.NotBefore), Exp: unixTime(t.ExpiresAt),
	}
	if len(t.Aud) > 0 {
		w.Aud = &Audience{Values: t.Aud, List: t.AudList}
	}
	switch {
	case !t.ExpiresAt.IsZero():
	case t.ExpiresIn > 0:
		w.Exp = &Time{Rel: "+" + t.ExpiresIn.String()}
		if t.IssuedAt.IsZero() {
			w.Iat = &Time{Rel: "+0s"}
		}
	case t.ExpiresIn < 0:
		w.Exp = &Time{Rel: "never"}
	}
	for _, s := range t.Script {
		w.Script = append(w.Script, NewStep(s))
	}
	return w
}

// NewTokenInfo returns ti in wire form, as GET /admin/tokens answers it.
func NewTokenInfo(ti mockserver.TokenInfo) TokenInfo {
	return TokenInfo{Token: NewToken(ti.Token), Revoked: ti.Revoked, RevokedBy: ti.RevokedBy, State: ti.State, Calls: ti.Calls}
}

func unixTime(t time.Time) *Time {
	if t.IsZero() {
		return nil
	}
	return &Time{Unix: t.Unix()}
}

// Decode returns the token an answer describes. Its times must be
// absolute, as the server's are.
func (wi TokenInfo) Decode() (mockserver.TokenInfo, error) {
	w := wi.Token
	w.Revoked = wi.Revoked
	t := mockserver.Token{
		Token: w.Token, Scope: w.Scope, ClientID: w.ClientID, Username: w.Username, Sub: w.Sub,
		Iss: w.Iss, TokenType: w.TokenType, Jti: w.Jti, Claims: w.Claims, Revoked: w.Revoked,
		Kind: w.Kind, Grant: w.Grant, IntrospectableBy: w.IntrospectableBy,
	}
	if w.Aud != nil {
		t.Aud, t.AudList = w.Aud.Values, w.Aud.List
	}
	for _, f := range []struct {
		w  *Time
		to *time.Time
	}{{w.Iat, &t.IssuedAt}, {w.Nbf, &t.NotBefore}, {w.Exp, &t.ExpiresAt}} {
		switch {
		case f.w == nil:
		case f.w.Rel != "":
			return mockserver.TokenInfo{}, fmt.Errorf("token %s: relative time %q in an answer", mockserver.Redact(w.Token), f.w.Rel)
		default:
			*f.to = time.Unix(f.w.Unix, 0)
		}
	}
	for i, s := range w.Script {
		st, err := s.Decode()
		if err != nil {
			return mockserver.TokenInfo{}, fmt.Errorf("token %s: script[%d]: %w", mockserver.Redact(w.Token), i, err)
		}
		t.Script = append(t.Script, st)
	}
	return mockserver.TokenInfo{Token: t, State: wi.State, Calls: wi.Calls, RevokedBy: wi.RevokedBy}, nil
}

// NewStep returns s in wire form. A step without a trigger is sent
// without one, for the server to refuse.
func NewStep(s mockserver.Step) Step {
	w := Step{State: s.State}
	switch s.When.Kind() {
	case mockserver.TriggerAfterCalls:
		n := s.When.Calls()
		w.AfterCalls = &n
	case mockserver.TriggerOnCall:
		w.OnCall = s.When.Calls()
	case mockserver.TriggerAfter:
		w.After = s.When.Delay().String()
	}
	if s.Respond != nil {
		f := NewFault(*s.Respond)
		w.Respond = &f
	}
	return w
}

// Decode returns the step w describes, as the server reads it.
func (w Step) Decode() (mockserver.Step, error) {
	b, err := json.Marshal(Script{Script: []Step{w}})
	if err != nil {
		return mockserver.Step{}, err
	}
	steps, err := fixtures.ParseSteps("answer", b)
	if err != nil {
		return mockserver.Step{}, err
	}
	return mockserver.StepFromFixture(steps[0]), nil
}

// NewFault returns f in wire form.
func NewFault(f mockserver.Fault) Fault {
	w := Fault{Status: f.Status, Drop: f.Drop, Malformed: f.Malformed, Error: f.Error, JWT: f.JWT}
	if f.RetryAfter != 0 {
		w.RetryAfter = f.RetryAfter.String()
	}
	if f.Delay != 0 {
		w.Delay = f.Delay.String()
	}
	return w
}

// NewOAuthClient returns c in wire form. Keys (JWKS) and JWT response
// settings have no wire form here: such clients belong in fixture files.
func NewOAuthClient(c fixtures.Client) (OAuthClient, error) {
	if len(c.JWKS) > 0 || c.IntrospectionSignedResponseAlg != "" || c.IntrospectionEncryptedResponseAlg != "" {
		return OAuthClient{}, fmt.Errorf("client %q: keys and JWT response settings cannot be sent; put the client in a fixture file", c.ClientID)
	}
	w := OAuthClient{
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, Bearer: c.Bearer, Scopes: c.Scopes,
		AuthMethods: c.AuthMethods, RevocationOwnership: c.RevocationOwnership,
		RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
		LoginPage: c.LoginPage, AllowPlainPKCE: c.AllowPlainPKCE,
	}
	if c.TokenLifetime != 0 {
		w.TokenLifetime = c.TokenLifetime.String()
	}
	if c.NoIntrospect {
		w.Introspect = new(false)
	}
	if c.NoRevokeAccessTokens {
		w.RevokeAccessTokens = new(false)
	}
	return w, nil
}
