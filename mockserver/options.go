package mockserver

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/introspectmock/introspectmock/fixtures"
)

// config collects what the options set.
type config struct {
	set           *fixtures.Set // WithFixtures; New moves it to Server.seed
	issuer        string        // WithIssuer; "" means not overridden
	clock         Clock
	logger        *slog.Logger
	adminToken    string
	adminHosts    []string // WithAdminHosts
	journalSize   int
	maxNamespaces int
	maxTokens     int
	maxTotal      int  // WithMaxTotalTokens
	jwtDisabled   bool // WithJWTIntrospection(false)
	loginPage     bool // WithLoginPage
}

// Defaults of the limits.
const (
	DefaultMaxNamespaces = 1000
	DefaultMaxTokens     = 1_000_000
	// DefaultMaxTotalTokens bounds the tokens of all namespaces together,
	// about 1 GiB of memory (some 1 KiB a token): however many namespaces
	// are seeded or filled, a small container stays alive, and one
	// namespace may still hold DefaultMaxTokens.
	DefaultMaxTotalTokens = 1_000_000
)

// Option configures a Server in New.
type Option func(*config) error

// WithFixtures serves the tokens and clients of set, which must not be
// modified afterwards. Default: an empty set (no tokens and no clients, so
// introspection, revocation and the token endpoint answer 401).
func WithFixtures(set *fixtures.Set) Option {
	return func(c *config) error {
		if set == nil {
			return errors.New("WithFixtures: nil set")
		}
		c.set = set
		return nil
	}
}

// WithIssuer sets the issuer, overriding the fixtures' one. It must be an
// absolute http or https URL without query or fragment; it is reported byte
// for byte (a trailing slash is kept). Default: "", meaning the fixtures'
// issuer or, if they set none, the base URL of each request (scheme and
// Host header, no trailing slash).
func WithIssuer(issuer string) Option {
	return func(c *config) error {
		if issuer == "" {
			return nil
		}
		if err := fixtures.CheckIssuer(issuer); err != nil {
			return fmt.Errorf("WithIssuer: %w", err)
		}
		c.issuer = issuer
		return nil
	}
}

// WithClock sets the clock that judges token state and resolves relative
// fixture times. Default (and with nil): real time.
func WithClock(clock Clock) Option {
	return func(c *config) error {
		if clock == nil {
			clock = realClock{}
		}
		c.clock = clock
		return nil
	}
}

// WithLogger sets the logger. The server logs each request at debug level
// (endpoint, status, caller, auth method, hint), never a token or a secret.
// Default (and with nil): discard.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			l = discardLogger()
		}
		c.logger = l
		return nil
	}
}

// WithAdminToken makes the admin API (which Handler serves; package
// internal/adminapi mounts it) require "Authorization: Bearer tok",
// compared in constant time; other callers get 401. Default: "", no token
// required.
func WithAdminToken(tok string) Option {
	return func(c *config) error {
		if strings.TrimSpace(tok) != tok {
			return errors.New("WithAdminToken: token has leading or trailing white space")
		}
		c.adminToken = tok
		return nil
	}
}

// WithAdminHosts adds host names (without port; case and a final dot do
// not matter) that may reach the admin API without its admin token. By
// default such requests must name, in their Host header, an IP address,
// localhost, a *.localhost name or a single-label name (a compose service):
// a page that makes its own name resolve to the server (DNS rebinding) is
// refused 403. Requests with the valid admin token pass with any Host.
// Each name is matched exactly: CheckAdminHost refuses a wildcard such as
// *.example.test, and anything that is not a host name.
func WithAdminHosts(hosts ...string) Option {
	return func(c *config) error {
		for _, h := range hosts {
			h = strings.TrimSpace(h)
			if err := CheckAdminHost(h); err != nil {
				return fmt.Errorf("WithAdminHosts: %w", err)
			}
			c.adminHosts = append(c.adminHosts, h)
		}
		return nil
	}
}

// CheckAdminHost reports what is wrong with a name for WithAdminHosts: a
// wildcard (names are matched exactly), or anything that is not a host
// name or IP address, with or without a port.
func CheckAdminHost(name string) error {
	switch {
	case strings.Contains(name, "*"):
		return fmt.Errorf("%q: wildcards are not supported; list each host name", name)
	case !validHostName(name):
		return fmt.Errorf("invalid host name %q", name)
	}
	return nil
}

// WithJournalSize sets how many calls each namespace's journal keeps (the
// latest ones); 0 keeps none. Memory grows with the calls kept, up to n
// per namespace; Namespace.SetJournalSize changes one namespace's.
// Default: DefaultJournalSize (10000).
func WithJournalSize(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("WithJournalSize: negative size %d", n)
		}
		c.journalSize = n
		return nil
	}
}

// WithMaxNamespaces limits the named namespaces a server holds (the
// default namespace aside); creating one more fails with ErrLimit (over
// HTTP: 400 with a message). 0 allows none. Default:
// DefaultMaxNamespaces (1000).
func WithMaxNamespaces(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("WithMaxNamespaces: negative limit %d", n)
		}
		c.maxNamespaces = n
		return nil
	}
}

// WithMaxTokens limits the tokens of each namespace, fixture, added and
// issued ones together. Fixtures over it fail New; AddToken fails with
// ErrLimit; the token endpoint first drops its own expired and revoked
// tokens, then answers 503. Tokens it issued leave the store a minute
// after they expire in any case, so expired ones never fill it.
// Default: DefaultMaxTokens (1,000,000).
func WithMaxTokens(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("WithMaxTokens: limit %d is not positive", n)
		}
		c.maxTokens = n
		return nil
	}
}

// WithMaxTotalTokens limits the tokens of all namespaces together, the
// default one included: fixture tokens seeding a new namespace, added and
// issued ones. Past it, as past WithMaxTokens, making a namespace and
// AddToken fail with ErrLimit and the token endpoint answers 503; fixtures
// over it fail New. Default: DefaultMaxTotalTokens (1,000,000).
func WithMaxTotalTokens(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("WithMaxTotalTokens: limit %d is not positive", n)
		}
		c.maxTotal = n
		return nil
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
