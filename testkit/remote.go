package testkit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
)

// RemoteOption configures Connect.
type RemoteOption func(*remoteOptions) error

type remoteOptions struct {
	adminToken string
	id, secret string
	client     *http.Client
	closers    []func() error
	tb         testing.TB
}

// WithAdminToken sends "Authorization: Bearer tok" on every admin API call,
// for a server started with --admin-token. Default: none.
func WithAdminToken(tok string) RemoteOption {
	return func(o *remoteOptions) error {
		o.adminToken = tok
		return nil
	}
}

// WithCredentials makes ClientID and ClientSecret return id and secret, a
// caller the server's fixtures already hold. Default: Connect registers
// DefaultClientID (or, when that id is taken, DefaultClientID plus a random
// suffix) with a random secret through the admin API.
func WithCredentials(id, secret string) RemoteOption {
	return func(o *remoteOptions) error {
		if id == "" || secret == "" {
			return errors.New("WithCredentials: empty client_id or secret")
		}
		o.id, o.secret = id, secret
		return nil
	}
}

// WithHTTPClient sets the client used for admin calls and returned by
// Server.Client, e.g. one trusting the server's TLS certificate. Close
// leaves it open. Default: a new client with its own transport, whose idle
// connections Close closes.
func WithHTTPClient(c *http.Client) RemoteOption {
	return func(o *remoteOptions) error {
		if c == nil {
			return errors.New("WithHTTPClient: nil client")
		}
		o.client = c
		return nil
	}
}

// WithCloser adds f to what Server.Close runs (once, in the order given),
// e.g. removing a container. Default: none.
func WithCloser(f func() error) RemoteOption {
	return func(o *remoteOptions) error {
		if f != nil {
			o.closers = append(o.closers, f)
		}
		return nil
	}
}

// WithTB makes the Server report failures of its helpers through tb.Fatalf,
// as Start does, instead of panicking. It does not register a cleanup.
// Default: panic.
func WithTB(tb testing.TB) RemoteOption {
	return func(o *remoteOptions) error {
		o.tb = tb
		return nil
	}
}

// Connect returns a Server driving an introspectmock that runs elsewhere
// (another process, a container) through its admin HTTP API, which must be
// enabled. baseURL is the server's base URL, optionally with a namespace
// prefix ("http://127.0.0.1:8080/ns/orders-test"); every method then acts on
// that namespace only. Connect checks that the admin API answers and
// registers a caller unless WithCredentials is given.
//
// Connect always returns a non-nil Server, even with an error, and the
// caller must Close it: Close runs the WithCloser functions, so what the
// caller set up is released whatever happened. Stub is not available
// remotely.
func Connect(baseURL string, opts ...RemoteOption) (*Server, error) {
	var o remoteOptions
	var optErr error
	for _, opt := range opts {
		if err := opt(&o); err != nil && optErr == nil {
			optErr = err
		}
	}
	s := newServer(&core{}, o.tb)
	s.closers = append(s.closers, o.closers...)
	if optErr != nil {
		return s, fmt.Errorf("testkit: connect: %w", optErr)
	}
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return s, fmt.Errorf("testkit: connect: %w", err)
	}
	client := o.client
	if client == nil {
		client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		s.closers = append(s.closers, func() error { client.CloseIdleConnections(); return nil })
	}
	r := &remote{base: base, client: client, adminToken: o.adminToken}
	s.be, s.base, s.client = r, base, client
	s.fetchIss = r.discoverIssuer

	if _, err := r.clockNow(); err != nil {
		return s, fmt.Errorf("testkit: connect to %s: %w", base, err)
	}
	s.id, s.secret = o.id, o.secret
	if s.id == "" {
		s.id, s.secret, err = r.registerCaller()
		if err != nil {
			return s, fmt.Errorf("testkit: connect to %s: %w", base, err)
		}
	}
	return s, nil
}

func parseBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("base URL %q: want http:// or https:// with a host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("base URL %q: has a query or fragment", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}

// remote is a backend speaking the admin API of an introspectmock at base
// (which may end in /ns/{name}).
type remote struct {
	base       string
	client     *http.Client
	adminToken string

	mu     sync.Mutex // guards caller
	caller *callerJSON
}

// adminTimeout bounds one admin call.
const adminTimeout = 30 * time.Second

// apiError is an admin API answer other than 2xx.
type apiError struct {
	Op          string // "POST /admin/tokens", tokens redacted
	Status      int
	Code        string // OAuth-style "error"
	Description string
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("%s: %d", e.Op, e.Status)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// call sends one admin request to r.base+path with in as JSON (nil: no
// body) and decodes a 2xx JSON answer into out (nil: ignored). show is path
// as printed in errors, with tokens redacted.
func (r *remote) call(method, path, show string, in, out any) error {
	op := method + " " + show
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if r.adminToken != "" {
		req.Header.Set("Authorization", "Bearer "+r.adminToken)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		// The URL in a *url.Error may hold a token: say it without.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s: reading answer: %w", op, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		ae := &apiError{Op: op, Status: resp.StatusCode}
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(data, &e) == nil {
			ae.Code, ae.Description = e.Error, e.Description
		}
		if resp.StatusCode == http.StatusNotFound && ae.Code == "" {
			ae.Description = "no admin API here (is it enabled?)"
		}
		return ae
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s: decoding answer: %w", op, err)
		}
	}
	return nil
}

func tokenPath(token, suffix string) (path, show string) {
	return "/admin/tokens/" + url.PathEscape(token) + suffix, "/admin/tokens/" + redact(token) + suffix
}

// callerJSON is a client in fixture format, for POST /admin/clients.
type callerJSON struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// registerCaller adds DefaultClientID with a random secret, or a suffixed
// id when DefaultClientID is taken.
func (r *remote) registerCaller() (id, secret string, err error) {
	c := &callerJSON{ClientID: DefaultClientID, ClientSecret: randomString()}
	err = r.call(http.MethodPost, "/admin/clients", "/admin/clients", c, nil)
	if statusOf(err) == http.StatusConflict {
		var b [4]byte
		rand.Read(b[:])
		c.ClientID = DefaultClientID + "-" + hex.EncodeToString(b[:])
		err = r.call(http.MethodPost, "/admin/clients", "/admin/clients", c, nil)
	}
	if err != nil {
		return "", "", fmt.Errorf("registering caller: %w", err)
	}
	r.mu.Lock()
	r.caller = c
	r.mu.Unlock()
	return c.ClientID, c.ClientSecret, nil
}

func (r *remote) discoverIssuer() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	u := r.base + "/.well-known/oauth-authorization-server"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	var md struct {
		Issuer string `json:"issuer"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil {
		return "", fmt.Errorf("GET %s: %w", u, err)
	}
	if md.Issuer == "" {
		return "", fmt.Errorf("GET %s: no issuer", u)
	}
	return md.Issuer, nil
}

func (r *remote) addToken(t mockserver.Token) (string, error) {
	if t.Token == "" {
		t.Token = randomString()
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := r.call(http.MethodPost, "/admin/tokens", "/admin/tokens", tokenJSON(t), &out); err != nil {
		return "", err
	}
	if out.Token == "" {
		out.Token = t.Token
	}
	return out.Token, nil
}

// tokenAction POSTs to a token's action (revoke, expire) or DELETEs it.
func (r *remote) tokenAction(method, token, suffix string) (bool, error) {
	path, show := tokenPath(token, suffix)
	err := r.call(method, path, show, nil, nil)
	if statusOf(err) == http.StatusNotFound {
		return false, nil
	}
	return err == nil, err
}

func (r *remote) revoke(token string) (bool, error) {
	return r.tokenAction(http.MethodPost, token, "/revoke")
}

func (r *remote) expire(token string) (bool, error) {
	return r.tokenAction(http.MethodPost, token, "/expire")
}

func (r *remote) remove(token string) (bool, error) {
	return r.tokenAction(http.MethodDelete, token, "")
}

func (r *remote) reset() error {
	if err := r.call(http.MethodPost, "/admin/reset", "/admin/reset", struct{}{}, nil); err != nil {
		return err
	}
	// Put back the caller Connect registered, in case the server's reset
	// removed it with the other state.
	r.mu.Lock()
	c := r.caller
	r.mu.Unlock()
	if c == nil {
		return nil
	}
	err := r.call(http.MethodPost, "/admin/clients", "/admin/clients", c, nil)
	if statusOf(err) == http.StatusConflict {
		return nil
	}
	return err
}

func (r *remote) setScript(token string, steps []mockserver.Step) error {
	path, show := tokenPath(token, "/script")
	body := struct {
		Script []map[string]any `json:"script"`
	}{Script: stepsJSON(steps)}
	err := r.call(http.MethodPut, path, show, body, nil)
	if statusOf(err) == http.StatusNotFound {
		return errors.New("no such token")
	}
	return err
}

func (r *remote) failNext(endpoint string, n int, f mockserver.Fault) error {
	if endpoint == "" { // the admin API would take it for its default
		return errors.New("endpoint: unknown endpoint '' (want introspect, revoke or token)")
	}
	body := struct {
		Count    int            `json:"count"`
		Endpoint string         `json:"endpoint"`
		Respond  map[string]any `json:"respond,omitempty"`
	}{Count: max(n, 0), Endpoint: endpoint}
	if n > 0 {
		body.Respond = faultJSON(f)
	}
	return r.call(http.MethodPost, "/admin/faults", "/admin/faults", body, nil)
}

func (r *remote) setStub(mockserver.Stub) error {
	return fmt.Errorf("a stub is Go code and runs only in-process; %s is remote: use Script or FailNext", r.base)
}

func (r *remote) calls() ([]mockserver.Call, error) {
	var out struct {
		Calls []mockserver.Call `json:"calls"` // the admin API sends Call's own JSON
	}
	if err := r.call(http.MethodGet, "/admin/calls", "/admin/calls", nil, &out); err != nil {
		return nil, err
	}
	return out.Calls, nil
}

func (r *remote) clearCalls() error {
	return r.call(http.MethodDelete, "/admin/calls", "/admin/calls", nil, nil)
}

// clockJSON is the admin API's clock reading.
type clockJSON struct {
	Now    time.Time `json:"now"`
	Frozen bool      `json:"frozen"`
}

func (r *remote) clockNow() (clockState, error) {
	var c clockJSON
	if err := r.call(http.MethodGet, "/admin/clock", "/admin/clock", nil, &c); err != nil {
		return clockState{}, err
	}
	return clockState{now: c.Now, frozen: c.Frozen}, nil
}

func (r *remote) clockPost(action string, in any) error {
	p := "/admin/clock/" + action
	return r.call(http.MethodPost, p, p, in, &clockJSON{})
}

func (r *remote) clockFreeze() error { return r.clockPost("freeze", struct{}{}) }
func (r *remote) clockResume() error { return r.clockPost("resume", struct{}{}) }

func (r *remote) clockAdvance(d time.Duration) error {
	return r.clockPost("advance", map[string]string{"by": d.String()})
}

func (r *remote) clockSet(t time.Time) error {
	return r.clockPost("set", map[string]string{"time": t.Format(time.RFC3339Nano)})
}

// tokenJSON renders t as a token object in fixture format (JSON is YAML).
// Times go as Unix seconds; ExpiresIn as a relative exp (and iat "+0s"
// when unset), which the server resolves against its clock, or, when
// negative, as exp "never".
func tokenJSON(t mockserver.Token) map[string]any {
	m := map[string]any{"token": t.Token}
	str := func(key, v string) {
		if v != "" {
			m[key] = v
		}
	}
	str("scope", t.Scope)
	str("client_id", t.ClientID)
	str("username", t.Username)
	str("sub", t.Sub)
	str("iss", t.Iss)
	str("token_type", t.TokenType)
	str("jti", t.Jti)
	switch {
	case len(t.Aud) == 1 && !t.AudList:
		m["aud"] = t.Aud[0]
	case len(t.Aud) > 0:
		m["aud"] = t.Aud
	}
	unix := func(key string, v time.Time) {
		if !v.IsZero() {
			m[key] = v.Unix()
		}
	}
	unix("iat", t.IssuedAt)
	unix("nbf", t.NotBefore)
	unix("exp", t.ExpiresAt)
	switch {
	case !t.ExpiresAt.IsZero():
	case t.ExpiresIn > 0:
		m["exp"] = "+" + t.ExpiresIn.String()
		if t.IssuedAt.IsZero() {
			m["iat"] = "+0s"
		}
	case t.ExpiresIn < 0:
		m["exp"] = "never"
	}
	if len(t.Claims) > 0 {
		m["claims"] = t.Claims
	}
	if t.Revoked {
		m["revoked"] = true
	}
	str("kind", t.Kind)
	str("grant", t.Grant)
	if len(t.IntrospectableBy) > 0 {
		m["introspectable_by"] = t.IntrospectableBy
	}
	if len(t.Script) > 0 {
		m["script"] = stepsJSON(t.Script)
	}
	return m
}

// stepsJSON renders steps in fixture format: each trigger that is set, and
// the effect. A zero AfterCalls beside OnCall or After is the Go zero
// value, which counts as unset, as it does in-process (mockserver.Step).
func stepsJSON(steps []mockserver.Step) []map[string]any {
	out := make([]map[string]any, 0, len(steps))
	for _, st := range steps {
		m := map[string]any{}
		if st.AfterCalls != -1 && (st.AfterCalls != 0 || st.OnCall == 0 && st.After == 0) {
			m["after_calls"] = st.AfterCalls
		}
		if st.OnCall != 0 {
			m["on_call"] = st.OnCall
		}
		if st.After != 0 {
			m["after"] = st.After.String()
		}
		if st.State != "" {
			m["state"] = st.State
		}
		if st.Respond != nil {
			m["respond"] = faultJSON(*st.Respond)
		}
		out = append(out, m)
	}
	return out
}

// faultJSON renders f in fixture format.
func faultJSON(f mockserver.Fault) map[string]any {
	m := map[string]any{}
	if f.Status != 0 {
		m["status"] = f.Status
	}
	if f.RetryAfter != 0 {
		m["retry_after"] = f.RetryAfter.String()
	}
	if f.Delay != 0 {
		m["delay"] = f.Delay.String()
	}
	if f.Drop {
		m["drop"] = true
	}
	if f.Malformed != "" {
		m["malformed"] = f.Malformed
	}
	return m
}
