package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/introspectmock/introspectmock/mockserver"
)

// envPrefix starts the environment variable of every flag.
const envPrefix = "INTROSPECTMOCK_"

// envName returns the environment variable that sets flag name:
// "tls-ca-out" → "INTROSPECTMOCK_TLS_CA_OUT".
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// serveConfig is the configuration of the serve command.
type serveConfig struct {
	addr         string
	fixtures     []string // files or directories; empty: the embedded demo fixtures
	demoFallback bool
	issuer       string
	logLevel     slog.Level
	logFormat    string
	tls          bool
	tlsCAOut     string
	tlsCert      string
	tlsKey       string
	limits       limits // HTTP timeouts and header limit; zero fields: defaults (limits.go)

	admin       bool   // --admin: serve the admin API
	adminToken  string // --admin-token: bearer token the admin API requires; "" for none
	journalSize *int   // --journal-size: calls kept per namespace; nil: mockserver's default
	jwt         bool   // --jwt-introspection: RFC 9701 JWT answers on Accept
	loginPage   bool   // --login-page: the login page for every client
	// --max-namespaces, --max-tokens: the store limits; nil: mockserver's defaults.
	maxNamespaces, maxTokens *int
}

// newFlagSet returns a flag set that reports errors, and prints its usage,
// to stderr, returning them instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseServeConfig reads the serve command's flags from the environment,
// then from args, so that flags win.
func parseServeConfig(args []string, getenv func(string) string, stderr io.Writer) (*serveConfig, error) {
	var (
		cfg      = &serveConfig{logLevel: slog.LevelInfo}
		fixtures string
	)
	fs := newFlagSet("introspectmock", stderr)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "`host:port` to listen on; port 0 picks a free port")
	fs.StringVar(&fixtures, "fixtures", "", "comma-separated fixture `files or directories` (*.yaml, *.yml); default: the embedded demo fixtures")
	fs.BoolVar(&cfg.demoFallback, "demo-fallback", false, "serve the embedded demo fixtures when --fixtures names only missing or empty directories (set in the container image)")
	fs.StringVar(&cfg.issuer, "issuer", "", "issuer `URL`, byte for byte; overrides the fixtures' issuer; default: the server's base URL")
	fs.TextVar(&cfg.logLevel, "log-level", slog.LevelInfo, "log `level`: debug, info, warn or error")
	fs.StringVar(&cfg.logFormat, "log-format", "text", "log `format`: text or json")
	fs.BoolVar(&cfg.tls, "tls", false, "serve HTTPS with a self-signed certificate made at start (see --tls-ca-out)")
	fs.StringVar(&cfg.tlsCAOut, "tls-ca-out", "", "with --tls, write the PEM CA certificate that signed the server certificate to `file`")
	fs.StringVar(&cfg.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate `file` (with --tls-key) instead of a self-signed one")
	fs.StringVar(&cfg.tlsKey, "tls-key", "", "PEM private key `file` for --tls-cert")
	fs.BoolVar(&cfg.admin, "admin", true, "serve the admin API under /admin and /ns/{name}/admin (tokens, clock, scripts, faults, journal)")
	fs.BoolVar(&cfg.loginPage, "login-page", false, "show the login page at /authorize for every client (default: only clients with login_page: true; the others log the user in at once)")
	fs.BoolVar(&cfg.jwt, "jwt-introspection", true, "answer introspection with a signed JWT (RFC 9701) when Accept asks for application/token-introspection+jwt")
	fs.StringVar(&cfg.adminToken, "admin-token", "", "bearer `token` the admin API requires (Authorization: Bearer ...); default: none")
	intFlag(fs, &cfg.journalSize, "journal-size", 0,
		fmt.Sprintf("calls each namespace's journal keeps, the latest; 0 keeps none (default %d)", mockserver.DefaultJournalSize))
	intFlag(fs, &cfg.maxNamespaces, "max-namespaces", 0,
		fmt.Sprintf("hold at most `n` named namespaces (/ns/{name}/); 0 allows only the default one (default %d)", mockserver.DefaultMaxNamespaces))
	intFlag(fs, &cfg.maxTokens, "max-tokens", 1,
		fmt.Sprintf("hold at most `n` tokens per namespace, fixture, added and issued ones together (default %d)", mockserver.DefaultMaxTokens))
	cfg.limits.register(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText, "\nFlags of serve:\n")
		fs.PrintDefaults()
	}
	if err := parseWithEnv(fs, args, getenv); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return nil, errUsage
	}
	cfg.fixtures = splitList(fixtures)
	switch cfg.logFormat {
	case "text", "json":
	default:
		return nil, usageError(fs, "--log-format must be text or json, not %q", cfg.logFormat)
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return nil, usageError(fs, "--tls-cert and --tls-key go together")
	}
	if cfg.tlsCAOut != "" && cfg.tlsCert != "" {
		return nil, usageError(fs, "--tls-ca-out only applies to the self-signed certificate of --tls, not to --tls-cert")
	}
	if cfg.tlsCert != "" {
		cfg.tls = true
	}
	if cfg.tlsCAOut != "" && !cfg.tls {
		return nil, usageError(fs, "--tls-ca-out needs --tls")
	}
	return cfg, nil
}

// intFlag adds a flag that sets *dst to an integer of at least least.
func intFlag(fs *flag.FlagSet, dst **int, name string, least int, usage string) {
	fs.Func(name, usage, func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < least {
			return fmt.Errorf("%q is not a whole number >= %d", s, least)
		}
		*dst = &n
		return nil
	})
}

// parseWithEnv sets every flag of fs that has a non-empty environment
// variable, then parses args, so flags given on the command line win. Each
// flag's usage names its variable.
func parseWithEnv(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		f.Usage += " [$" + name + "]"
		v := getenv(name)
		if v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			// Secrets only sit in string flags, whose Set never fails.
			errs = append(errs, fmt.Errorf("environment %s: %w", name, err))
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage // the flag package has printed the problem and the usage
	}
	return nil
}

// usageError prints a message and the usage of fs and returns errUsage.
func usageError(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), format+"\n", args...)
	fs.Usage()
	return errUsage
}

// splitList splits a comma-separated list, dropping blanks around and
// between items.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
