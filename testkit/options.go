package testkit

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
)

// Option configures Start and New. Defaults apply first, then the options in
// the order given; an option that returns an error makes Start fail the test
// and New return the error.
type Option func(*options) error

type options struct {
	fixturePaths   []string
	fixtureYAML    []string
	tls            bool
	clockStart     time.Time // zero: real time
	issuer         string
	allowAnonymous bool
	journalSize    int // 0: the mockserver default
	loginPage      bool
	logger         *slog.Logger
	loggerSet      bool // WithLogger was given (logger may be nil: discard)
}

// WithFixtures loads fixture files, or directories of *.yaml and *.yml
// files, into the server (see package fixtures for the format). Several
// calls add up; a token or client declared twice is an error naming both
// places. Relative times (exp: +1h) resolve against the server clock at start
// and again on Reset. Default: no fixtures (only the default caller).
func WithFixtures(paths ...string) Option {
	return func(o *options) error {
		for _, p := range paths {
			if p == "" {
				return errors.New("WithFixtures: empty path")
			}
		}
		o.fixturePaths = append(o.fixturePaths, paths...)
		return nil
	}
}

// WithFixtureYAML adds fixtures written inline, for tests without testdata
// files. Errors name the document "inline.yaml" (the second call's
// "inline-2.yaml", and so on) with line and column. It combines with
// WithFixtures. Default: none.
func WithFixtureYAML(yaml string) Option {
	return func(o *options) error {
		o.fixtureYAML = append(o.fixtureYAML, yaml)
		return nil
	}
}

// WithTLS serves HTTPS (httptest.NewTLSServer) with a certificate that
// Server.Client trusts. Default: plain HTTP on loopback.
func WithTLS() Option {
	return func(o *options) error {
		o.tls = true
		return nil
	}
}

// WithClock starts the server clock frozen at start: relative fixture times
// resolve against start, and time moves only when the test calls
// Clock().Advance, Set or Resume. Default: real time, running.
func WithClock(start time.Time) Option {
	return func(o *options) error {
		if start.IsZero() {
			return errors.New("WithClock: zero start time")
		}
		o.clockStart = start
		return nil
	}
}

// WithIssuer sets the issuer reported in discovery documents and as the
// default iss, overriding an issuer in the fixtures. Default: the fixtures'
// issuer, else the server's URL (Server.URL).
func WithIssuer(iss string) Option {
	return func(o *options) error {
		o.issuer = iss
		return nil
	}
}

// WithAllowAnonymous lets callers introspect and revoke without credentials,
// like the fixture key allow_anonymous: true. Default: every caller must
// authenticate (the default caller is Server.ClientID).
func WithAllowAnonymous() Option {
	return func(o *options) error {
		o.allowAnonymous = true
		return nil
	}
}

// WithLoginPage shows the login page at the authorization endpoint for
// every client, for tests that drive a browser (see
// mockserver.WithLoginPage). Default: users log in at once, no browser
// needed; a client with the fixture key login_page: true gets the page
// anyway.
func WithLoginPage() Option {
	return func(o *options) error {
		o.loginPage = true
		return nil
	}
}

// WithJournalSize sets how many calls the journal keeps; older calls are
// dropped first. Default: the mockserver default (10000).
func WithJournalSize(n int) Option {
	return func(o *options) error {
		if n <= 0 {
			return fmt.Errorf("WithJournalSize: size %d, want > 0", n)
		}
		o.journalSize = n
		return nil
	}
}

// fixtureSet reads the configured fixtures, judging mixed relative and
// absolute times against now. With no fixtures it returns an empty set.
func (o *options) fixtureSet(now time.Time) (*fixtures.Set, error) {
	var sets []*fixtures.Set
	if len(o.fixturePaths) > 0 {
		set, err := fixtures.Load(now, o.fixturePaths...)
		if err != nil {
			return nil, err
		}
		sets = append(sets, set)
	}
	for i, y := range o.fixtureYAML {
		name := "inline.yaml"
		if i > 0 {
			name = fmt.Sprintf("inline-%d.yaml", i+1)
		}
		set, err := fixtures.Parse(now, name, []byte(y))
		if err != nil {
			return nil, err
		}
		sets = append(sets, set)
	}
	switch len(sets) {
	case 0:
		return &fixtures.Set{}, nil
	case 1:
		return sets[0], nil
	default:
		return fixtures.Merge(sets...)
	}
}
