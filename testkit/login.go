package testkit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/introspectmock/introspectmock/fixtures"
)

// AuthorizationURL returns the URL of the authorization endpoint
// (/authorize), where users log in with the authorization code flow.
func (s *Server) AuthorizationURL() string { return s.base + "/authorize" }

// UserinfoURL returns the URL of the OpenID Connect userinfo endpoint.
func (s *Server) UserinfoURL() string { return s.base + "/userinfo" }

// LogoutURL returns the URL of the OpenID Connect end_session_endpoint
// (RP-initiated logout).
func (s *Server) LogoutURL() string { return s.base + "/logout" }

// Authorize requests authURL, an authorization request such as
// golang.org/x/oauth2's Config.AuthCodeURL makes, as a browser would but
// without following the redirect, and returns the query of the redirect to
// the client: code, state and iss, or error and error_description. A
// user is picked as the server does without a browser (login_hint, the
// next login, the default user). Any answer but a redirect (the error page
// of an untrusted redirect URI, the login page) is an error, which fails
// the test.
func (s *Server) Authorize(authURL string) (url.Values, error) {
	s.rep.Helper()
	q, err := s.authorize(authURL)
	if err != nil {
		return nil, s.fail("testkit: Authorize: %w", err)
	}
	return q, nil
}

// AddUser adds a user who may log in, as the fixtures' users: key does.
// A sub or username already there, or a second default user, is an error
// wrapping mockserver.ErrExists; it fails the test.
func (s *Server) AddUser(u fixtures.User) error {
	s.rep.Helper()
	if err := s.be.AddUser(u); err != nil {
		return s.fail("testkit: AddUser: %w", err)
	}
	return nil
}

// Users returns the users who may log in, in the order they were added
// (fixtures first), passwords included. An error fails the test.
func (s *Server) Users() ([]fixtures.User, error) {
	s.rep.Helper()
	users, err := s.be.Users()
	if err != nil {
		return nil, s.fail("testkit: Users: %w", err)
	}
	return users, nil
}

// SetNextLogin makes the next authorization request that names nobody (no
// login_hint) log in as who, a user's sub or username, once; "" cancels
// it. An unknown user (mockserver.ErrNotFound) fails the test.
func (s *Server) SetNextLogin(who string) error {
	s.rep.Helper()
	if err := s.be.SetNextLogin(who); err != nil {
		return s.fail("testkit: SetNextLogin: %w", err)
	}
	return nil
}

func (s *Server) authorize(authURL string) (url.Values, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callerTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, err
	}
	c := *s.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("GET %s: %w", authURL, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("GET %s: status %d, not a redirect to the client (a login page, or a redirect URI the server does not trust?)", authURL, resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return nil, fmt.Errorf("GET %s: Location: %w", authURL, err)
	}
	return loc.Query(), nil
}
