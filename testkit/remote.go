package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/internal/adminapi"
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
// as Start does, besides returning them. It does not register a cleanup.
// Default: mutators only return their errors; reads without an error
// result panic.
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
	ac := adminapi.NewClient(base, client, o.adminToken)
	s.be, s.base, s.client = ac, base, client
	s.fetchIss = func() (string, error) { return discoverIssuer(client, base) }

	if _, err := ac.ReadClock(); err != nil {
		return s, fmt.Errorf("testkit: connect to %s: %w", base, err)
	}
	s.id, s.secret = o.id, o.secret
	if s.id == "" {
		caller, err := registerCaller(ac)
		if err != nil {
			return s, fmt.Errorf("testkit: connect to %s: %w", base, err)
		}
		s.id, s.secret = caller.ClientID, caller.ClientSecret
		// The namespace's reset drops the clients added since its
		// fixtures: put the caller back.
		s.afterReset = func() error {
			if err := ac.AddClient(caller); err != nil && !errors.Is(err, mockserver.ErrExists) {
				return err
			}
			return nil
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

// registerCaller adds DefaultClientID with a random secret, or a suffixed
// id when DefaultClientID is taken.
func registerCaller(ac *adminapi.Client) (fixtures.Client, error) {
	c := fixtures.Client{ClientID: DefaultClientID, ClientSecret: randomString()}
	err := ac.AddClient(c)
	if errors.Is(err, mockserver.ErrExists) {
		var b [4]byte
		rand.Read(b[:])
		c.ClientID = DefaultClientID + "-" + hex.EncodeToString(b[:])
		err = ac.AddClient(c)
	}
	if err != nil {
		return fixtures.Client{}, fmt.Errorf("registering caller: %w", err)
	}
	return c, nil
}

// discoverIssuer reads the issuer from the server's discovery document.
func discoverIssuer(client *http.Client, base string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), adminapi.Timeout)
	defer cancel()
	u := base + "/.well-known/oauth-authorization-server"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
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
