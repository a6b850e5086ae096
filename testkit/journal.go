package testkit

import (
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
)

// CallFilter selects calls of the journal for Server.Calls, as the admin
// API's GET /admin/calls?endpoint=&token= does. Zero fields match any call.
type CallFilter struct {
	// Endpoint is one of the mockserver.Endpoint* names; another fails
	// the test (mockserver.CheckEndpoint) rather than matching nothing.
	Endpoint string
	// Token is the token asked about (or, at the token endpoint, issued).
	Token string
	// Since keeps the calls at or after it, on the server clock.
	Since time.Time
}

func (f CallFilter) match(c mockserver.Call) bool {
	return (f.Endpoint == "" || c.Endpoint == f.Endpoint) &&
		(f.Token == "" || c.Token.Raw() == f.Token) &&
		(f.Since.IsZero() || !c.Time.Before(f.Since))
}

// callMatcher is a backend that filters the journal itself
// (adminapi.Client, through GET /admin/calls?endpoint=&token=).
type callMatcher interface {
	CallsMatching(endpoint, token string) ([]mockserver.Call, error)
}

// journal returns the journal without testkit's own calls, filtered: the
// calls that match any filter, or all with none.
func (s *Server) journal(filters []CallFilter) ([]mockserver.Call, error) {
	for _, f := range filters {
		if f.Endpoint != "" {
			if err := mockserver.CheckEndpoint(f.Endpoint); err != nil {
				return nil, err // in process as remote, rather than no calls
			}
		}
	}
	var calls []mockserver.Call
	var err error
	if m, ok := s.be.(callMatcher); ok && len(filters) == 1 {
		// A remote server filters by endpoint and token itself: only the
		// calls asked for cross the network.
		calls, err = m.CallsMatching(filters[0].Endpoint, filters[0].Token)
	} else {
		calls, err = s.be.Calls()
	}
	if err != nil {
		return nil, err
	}
	calls = s.withoutOwnCalls(calls)
	if len(filters) == 0 {
		return calls, nil
	}
	out := calls[:0]
	for _, c := range calls {
		for _, f := range filters {
			if f.match(c) {
				out = append(out, c)
				break
			}
		}
	}
	return out, nil
}

// noteOwnCall remembers the latest journaled call to endpoint without a
// caller, which testkit has just made itself (such as Issuer's discovery
// GET), so that Calls leaves it out. A call the service under test made at
// the same moment looks the same: which of the two is left out does not
// change what Calls returns.
func (s *Server) noteOwnCall(endpoint string) error {
	calls, err := s.be.Calls()
	if err != nil {
		return err
	}
	for i := len(calls) - 1; i >= 0; i-- {
		if c := calls[i]; c.Endpoint == endpoint && c.ClientID == "" && c.Token == "" {
			s.ownMu.Lock()
			s.ownCalls = append(s.ownCalls, c)
			s.ownMu.Unlock()
			return nil
		}
	}
	return nil // the journal keeps no calls (size 0) or already dropped it
}

// withoutOwnCalls returns calls without one match for each call testkit
// made on its own. It may reuse calls' array.
func (s *Server) withoutOwnCalls(calls []mockserver.Call) []mockserver.Call {
	s.ownMu.Lock()
	own := append([]mockserver.Call(nil), s.ownCalls...)
	s.ownMu.Unlock()
	if len(own) == 0 {
		return calls
	}
	out := calls[:0]
	for _, c := range calls {
		dropped := false
		for i, o := range own {
			if sameCall(c, o) {
				own = append(own[:i], own[i+1:]...)
				dropped = true
				break
			}
		}
		if !dropped {
			out = append(out, c)
		}
	}
	return out
}

func sameCall(a, b mockserver.Call) bool {
	return a.Time.Equal(b.Time) && a.Namespace == b.Namespace && a.Endpoint == b.Endpoint &&
		a.ClientID == b.ClientID && a.AuthMethod == b.AuthMethod && a.Token == b.Token &&
		a.TokenTypeHint == b.TokenTypeHint && a.Status == b.Status && a.Active == b.Active && a.Fault == b.Fault
}

// forgetOwnCalls drops the record of testkit's own calls, once the journal
// they were in is cleared.
func (s *Server) forgetOwnCalls() {
	s.ownMu.Lock()
	s.ownCalls = nil
	s.ownMu.Unlock()
}
