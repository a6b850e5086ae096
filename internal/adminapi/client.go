package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// Client drives one namespace of an introspectmock through its admin API.
// Its methods are those of *mockserver.Namespace, with the same errors
// (errors.Is ErrNotFound, ErrExists), so that package testkit drives both
// alike. It is safe for concurrent use.
type Client struct {
	base       string // base URL, maybe ending in /ns/{name}; no trailing slash
	hc         *http.Client
	adminToken string
}

// NewClient returns a client of the admin API at base, the server's base
// URL without a trailing slash, optionally with a namespace prefix
// ("http://127.0.0.1:8080/ns/orders"). adminToken is sent as a bearer
// token when not "".
func NewClient(base string, hc *http.Client, adminToken string) *Client {
	return &Client{base: base, hc: hc, adminToken: adminToken}
}

// Timeout bounds one admin call.
const Timeout = 30 * time.Second

// APIError is an admin API answer other than 2xx. It matches
// mockserver.ErrNotFound (404) and ErrExists (409) with errors.Is.
type APIError struct {
	Op          string // "POST /admin/tokens", tokens redacted
	Status      int
	Code        string // OAuth-style "error"
	Description string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s: %d", e.Op, e.Status)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// Unwrap returns the mockserver sentinel of the status, if any.
func (e *APIError) Unwrap() error {
	switch e.Status {
	case http.StatusNotFound:
		return mockserver.ErrNotFound
	case http.StatusConflict:
		return mockserver.ErrExists
	}
	return nil
}

// do sends one admin request to base+path with in as JSON (nil: no body)
// and decodes a 2xx JSON answer into out (nil: ignored). show is path as
// printed in errors, with tokens redacted.
func (c *Client) do(method, path, show string, in, out any) error {
	op := method + " " + show
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.adminToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.adminToken)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// The URL in a *url.Error may hold a token: say it without.
		if ue, ok := errors.AsType[*url.Error](err); ok {
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
		ae := &APIError{Op: op, Status: resp.StatusCode}
		var e Error
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

// tokenPath returns the path of a token route and how errors show it.
func tokenPath(token, suffix string) (path, show string) {
	return "/admin/tokens/" + url.PathEscape(token) + suffix, "/admin/tokens/" + mockserver.Redact(token) + suffix
}

// AddToken adds t as Namespace.AddToken does; "" picks a random token on
// the server.
func (c *Client) AddToken(t mockserver.Token) (string, error) {
	var out Created
	if err := c.do(http.MethodPost, "/admin/tokens", "/admin/tokens", NewToken(t), &out); err != nil {
		return "", err
	}
	return out.Token, nil
}

// Tokens returns every token of the namespace, sorted by token string.
func (c *Client) Tokens() ([]mockserver.TokenInfo, error) {
	var out Tokens
	if err := c.do(http.MethodGet, "/admin/tokens", "/admin/tokens", nil, &out); err != nil {
		return nil, err
	}
	infos := make([]mockserver.TokenInfo, 0, len(out.Tokens))
	for _, w := range out.Tokens {
		ti, err := w.Decode()
		if err != nil {
			return nil, fmt.Errorf("GET /admin/tokens: %w", err)
		}
		infos = append(infos, ti)
	}
	return infos, nil
}

// Lookup returns the token; ErrNotFound when the namespace does not hold
// it.
func (c *Client) Lookup(token string) (mockserver.TokenInfo, error) {
	path, show := tokenPath(token, "")
	var out TokenInfo
	if err := c.do(http.MethodGet, path, show, nil, &out); err != nil {
		return mockserver.TokenInfo{}, err
	}
	return out.Decode()
}

// Revoke revokes the token as Namespace.Revoke does.
func (c *Client) Revoke(token string) error {
	path, show := tokenPath(token, "/revoke")
	return c.do(http.MethodPost, path, show, nil, nil)
}

// RevokeSubject revokes every token of sub as Namespace.RevokeSubject
// does: POST /admin/revoke {"sub":…}.
func (c *Client) RevokeSubject(sub string) (int, error) {
	if sub == "" {
		return 0, errors.New("RevokeSubject: empty sub")
	}
	return c.revokeBy(RevokeBy{Sub: sub})
}

// RevokeClient revokes every token of clientID as
// Namespace.RevokeClient does: POST /admin/revoke {"client_id":…}.
func (c *Client) RevokeClient(clientID string) (int, error) {
	if clientID == "" {
		return 0, errors.New("RevokeClient: empty client_id")
	}
	return c.revokeBy(RevokeBy{ClientID: clientID})
}

func (c *Client) revokeBy(by RevokeBy) (int, error) {
	var out Revoked
	err := c.do(http.MethodPost, "/admin/revoke", "/admin/revoke", by, &out)
	return out.Revoked, err
}

// Expire expires the token as Namespace.Expire does.
func (c *Client) Expire(token string) error {
	path, show := tokenPath(token, "/expire")
	return c.do(http.MethodPost, path, show, nil, nil)
}

// Remove deletes the token as Namespace.Remove does.
func (c *Client) Remove(token string) error {
	path, show := tokenPath(token, "")
	return c.do(http.MethodDelete, path, show, nil, nil)
}

// SetScript replaces the token's script as Namespace.SetScript does.
func (c *Client) SetScript(token string, steps []mockserver.Step) error {
	path, show := tokenPath(token, "/script")
	body := Script{Script: make([]Step, 0, len(steps))}
	for _, s := range steps {
		body.Script = append(body.Script, NewStep(s))
	}
	return c.do(http.MethodPut, path, show, body, nil)
}

// AddClient adds a caller as Namespace.AddClient does. Clients with keys
// cannot be sent (NewOAuthClient).
func (c *Client) AddClient(cl fixtures.Client) error {
	w, err := NewOAuthClient(cl)
	if err != nil {
		return err
	}
	return c.do(http.MethodPost, "/admin/clients", "/admin/clients", w, nil)
}

// AddUser adds a user as Namespace.AddUser does.
func (c *Client) AddUser(u fixtures.User) error {
	return c.do(http.MethodPost, "/admin/users", "/admin/users", NewUser(u), nil)
}

// Users lists the users as Namespace.Users does.
func (c *Client) Users() ([]fixtures.User, error) {
	var out Users
	if err := c.do(http.MethodGet, "/admin/users", "/admin/users", nil, &out); err != nil {
		return nil, err
	}
	users := make([]fixtures.User, 0, len(out.Users))
	for _, u := range out.Users {
		users = append(users, u.Decode())
	}
	return users, nil
}

// SetNextLogin sets who the next authorization request that names nobody
// logs in as, as Namespace.SetNextLogin does; "" cancels it.
func (c *Client) SetNextLogin(who string) error {
	if who == "" {
		return c.do(http.MethodDelete, "/admin/next-login", "/admin/next-login", nil, nil)
	}
	return c.do(http.MethodPut, "/admin/next-login", "/admin/next-login", NextLogin{User: who}, nil)
}

// Reset resets the namespace as Namespace.Reset does.
func (c *Client) Reset() error {
	return c.do(http.MethodPost, "/admin/reset", "/admin/reset", nil, nil)
}

// FailNext is FailNextAt for introspection.
func (c *Client) FailNext(count int, f mockserver.Fault) error {
	return c.FailNextAt(mockserver.EndpointIntrospect, count, f)
}

// FailNextAt plays f at the next count calls to endpoint as
// Namespace.FailNextAt does.
func (c *Client) FailNextAt(endpoint string, count int, f mockserver.Fault) error {
	if endpoint == "" { // the admin API would take it for its default
		return errors.New("endpoint: unknown endpoint '' (want introspect, revoke, token or authorize)")
	}
	o := FaultOrder{Count: max(count, 0), Endpoint: endpoint}
	if count > 0 {
		w := NewFault(f)
		o.Respond = &w
	}
	return c.do(http.MethodPost, "/admin/faults", "/admin/faults", o, nil)
}

// ClearFaults cancels the pending faults of every endpoint.
func (c *Client) ClearFaults() error {
	return c.do(http.MethodDelete, "/admin/faults", "/admin/faults", nil, nil)
}

// SetStub fails: a stub is Go code, which runs only in the server's
// process.
func (c *Client) SetStub(mockserver.Stub) error {
	return fmt.Errorf("a stub is Go code and runs only in-process; %s is remote: use a script or FailNext", c.base)
}

// Calls returns the namespace's journal, oldest first.
func (c *Client) Calls() ([]mockserver.Call, error) { return c.CallsMatching("", "") }

// CallsMatching returns the calls of the journal to endpoint about token,
// oldest first, filtered by the server (GET /admin/calls?endpoint=&token=);
// "" matches any.
func (c *Client) CallsMatching(endpoint, token string) ([]mockserver.Call, error) {
	q := url.Values{}
	if endpoint != "" {
		q.Set("endpoint", endpoint)
	}
	if token != "" {
		q.Set("token", token)
	}
	path, show := "/admin/calls", "/admin/calls"
	if len(q) > 0 {
		path += "?" + q.Encode()
		if token != "" {
			q.Set("token", mockserver.Redact(token))
		}
		show += "?" + q.Encode()
	}
	var out Calls
	if err := c.do(http.MethodGet, path, show, nil, &out); err != nil {
		return nil, err
	}
	calls := make([]mockserver.Call, len(out.Calls))
	for i, w := range out.Calls {
		calls[i] = w.Decode()
	}
	return calls, nil
}

// ClearCalls empties the journal.
func (c *Client) ClearCalls() error {
	return c.do(http.MethodDelete, "/admin/calls", "/admin/calls", nil, nil)
}

// SetJournalSize sets how many calls the journal keeps, as
// Namespace.SetJournalSize does.
func (c *Client) SetJournalSize(n int) error {
	return c.do(http.MethodPut, "/admin/journal", "/admin/journal", Journal{Size: &n}, nil)
}

// ReadClock reads the namespace clock.
func (c *Client) ReadClock() (mockserver.ClockReading, error) {
	var out Clock
	if err := c.do(http.MethodGet, "/admin/clock", "/admin/clock", nil, &out); err != nil {
		return mockserver.ClockReading{}, err
	}
	return mockserver.ClockReading{Now: out.Now, Frozen: out.Frozen}, nil
}

func (c *Client) clock(action string, in any) error {
	p := "/admin/clock/" + action
	return c.do(http.MethodPost, p, p, in, &Clock{})
}

// FreezeClock stops the namespace clock.
func (c *Client) FreezeClock() error { return c.clock("freeze", nil) }

// ResumeClock lets the namespace clock run again.
func (c *Client) ResumeClock() error { return c.clock("resume", nil) }

// AdvanceClock moves the namespace clock by d.
func (c *Client) AdvanceClock(d time.Duration) error {
	by := d.String()
	return c.clock("advance", ClockAdvance{By: &by})
}

// SetClock sets the namespace clock to t.
func (c *Client) SetClock(t time.Time) error {
	s := t.Format(time.RFC3339Nano)
	return c.clock("set", ClockSet{Time: &s})
}
