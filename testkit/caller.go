package testkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Introspection is an answer of the introspection endpoint, as the
// resource server under test would receive it.
type Introspection struct {
	// Status is the HTTP status: 200, or what a fault or a refused
	// caller got (401 invalid_client, 503 temporarily_unavailable, …).
	Status int
	// Header holds the answer's headers (Content-Type, Retry-After, …).
	Header http.Header
	// Body is the answer as sent.
	Body []byte
	// Members is the body decoded as a JSON object, with numbers as
	// float64; nil when it is not one (a malformed answer, a JWT).
	Members map[string]any
	// Active is the "active" member when it is the JSON true; false
	// otherwise, as RFC 7662 §2.2 asks a resource server to take it.
	Active bool
}

// Scope returns the "scope" member, "" when absent.
func (i Introspection) Scope() string { s, _ := i.Members["scope"].(string); return s }

// Sub returns the "sub" member, "" when absent.
func (i Introspection) Sub() string { s, _ := i.Members["sub"].(string); return s }

// Revocation is an answer of the revocation endpoint.
type Revocation struct {
	// Status is the HTTP status: 200 for a revoked or unknown token
	// (RFC 7009 §2.2), or the error's.
	Status int
	// Error is the "error" member of an error answer
	// (unsupported_token_type, invalid_client, …); "" on success.
	Error string
	// Body is the answer as sent.
	Body []byte
}

// callerTimeout bounds one Introspect or RevokeAsCaller request, which a
// scripted delay may hold up.
const callerTimeout = time.Minute

// Introspect asks the introspection endpoint about token, as the resource
// server under test would: POST with HTTP Basic credentials ClientID and
// ClientSecret, through Client. It is a real call: scripts count it,
// pending faults play on it and the journal records it, so it is for
// checking a test's own setup, or for tests that have no resource server.
// A non-200 answer is returned, not a failure; a request that gets no
// answer at all (a dropped connection, a timeout) fails.
func (s *Server) Introspect(token string) Introspection {
	s.rep.Helper()
	resp, body, err := s.postAsCaller(s.IntrospectionURL(), token)
	if err != nil {
		s.fatalf("testkit: Introspect(%q): %v", redact(token), redactIn(err, token))
	}
	in := Introspection{Status: resp.StatusCode, Header: resp.Header, Body: body}
	if json.Unmarshal(body, &in.Members) == nil {
		in.Active = in.Members["active"] == true
	}
	return in
}

// RevokeAsCaller revokes token through the revocation endpoint, as a client
// of the server would (RFC 7009): POST with HTTP Basic credentials
// ClientID and ClientSecret. Unlike Revoke, which changes the token
// directly, it goes through the endpoint: revocation rules, pending faults
// and the journal apply. A non-200 answer is returned, not a failure.
func (s *Server) RevokeAsCaller(token string) Revocation {
	s.rep.Helper()
	resp, body, err := s.postAsCaller(s.RevocationURL(), token)
	if err != nil {
		s.fatalf("testkit: RevokeAsCaller(%q): %v", redact(token), redactIn(err, token))
	}
	rv := Revocation{Status: resp.StatusCode, Body: body}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil {
			rv.Error = e.Error
		}
	}
	return rv
}

// postAsCaller POSTs token to endpoint with the Server's caller
// credentials, form-encoded into HTTP Basic as RFC 6749 §2.3.1 says.
func (s *Server) postAsCaller(endpoint, token string) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callerTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint,
		strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(s.id), url.QueryEscape(s.secret))
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its URL is ours; the message says the rest
		}
		return nil, nil, fmt.Errorf("POST %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("POST %s: reading the answer: %w", endpoint, err)
	}
	return resp, body, nil
}
