package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// envPrefix starts the environment variable of every flag.
const envPrefix = "INTROSPECTMOCK_"

// environment is the process environment as os.Environ gives it:
// "NAME=value" entries.
type environment []string

// lookup returns the value of the variable name and whether it is set
// (the first entry wins, as in os.Getenv).
func (e environment) lookup(name string) (string, bool) {
	for _, kv := range e {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// otherEnv are INTROSPECTMOCK_* variables that are no flag: the project's
// tests and tools read them, so the server does not warn about them.
// TestOtherEnvComplete keeps the list true.
var otherEnv = []string{
	"INTROSPECTMOCK_BIN", "INTROSPECTMOCK_CHROMIUM", "INTROSPECTMOCK_IMAGE",
	"INTROSPECTMOCK_REQUIRE_CHROMIUM", "INTROSPECTMOCK_REQUIRE_DOCKER", "INTROSPECTMOCK_REQUIRE_INTEROP",
}

// configError is a misconfiguration found before serving: the program
// exits 2 with its message.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

// misconfigured returns a configError.
func misconfigured(format string, args ...any) error {
	return &configError{fmt.Sprintf(format, args...)}
}

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

	admin       bool     // --admin: serve the admin API
	adminToken  string   // --admin-token: bearer token the admin API requires; "" for none
	adminHosts  []string // --admin-hosts: more Host names the admin API answers without its token
	journalSize *int     // --journal-size: calls kept per namespace; nil: mockserver's default
	jwt         bool     // --jwt-introspection: RFC 9701 JWT answers on Accept
	loginPage   bool     // --login-page: the login page for every client
	// --max-namespaces, --max-tokens, --max-total-tokens: the store
	// limits; nil: mockserver's defaults.
	maxNamespaces, maxTokens, maxTotalTokens *int
	// warnings are problems of the configuration that do not stop the
	// server (unknown INTROSPECTMOCK_* variables); serve logs them.
	warnings []string
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
func parseServeConfig(args []string, env environment, stderr io.Writer) (*serveConfig, error) {
	var (
		cfg                     = &serveConfig{logLevel: slog.LevelInfo}
		fixtureList, adminHosts string
	)
	fs := newFlagSet("introspectmock", stderr)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "`host:port` to listen on; port 0 picks a free port")
	fs.StringVar(&fixtureList, "fixtures", "", "comma-separated fixture `files or directories` (*.yaml, *.yml); default: the embedded demo fixtures")
	boolFlag(fs, &cfg.demoFallback, "demo-fallback", false, "serve the embedded demo fixtures when every --fixtures entry is a missing or empty directory (set in the container image)")
	fs.StringVar(&cfg.issuer, "issuer", "", "issuer `URL`, byte for byte; overrides the fixtures' issuer; default: the server's base URL")
	fs.TextVar(&cfg.logLevel, "log-level", slog.LevelInfo, "log `level`: debug, info, warn or error")
	fs.StringVar(&cfg.logFormat, "log-format", "text", "log `format`: text or json")
	boolFlag(fs, &cfg.tls, "tls", false, "serve HTTPS with a self-signed certificate made at start (see --tls-ca-out)")
	fs.StringVar(&cfg.tlsCAOut, "tls-ca-out", "", "with --tls, write the PEM CA certificate that signed the server certificate to `file`")
	fs.StringVar(&cfg.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate `file` (with --tls-key) instead of a self-signed one")
	fs.StringVar(&cfg.tlsKey, "tls-key", "", "PEM private key `file` for --tls-cert")
	boolFlag(fs, &cfg.admin, "admin", true, "serve the admin API under /admin and /ns/{name}/admin (tokens, clock, scripts, faults, journal)")
	boolFlag(fs, &cfg.loginPage, "login-page", false, "show the login page at /authorize for every client (default: only clients with login_page: true; the others log the user in at once)")
	boolFlag(fs, &cfg.jwt, "jwt-introspection", true, "answer introspection with a signed JWT (RFC 9701) when Accept asks for application/token-introspection+jwt")
	fs.StringVar(&cfg.adminToken, "admin-token", "", "bearer `token` the admin API requires (Authorization: Bearer ...); default: none, the admin API is open")
	fs.StringVar(&adminHosts, "admin-hosts", "", "comma-separated host `names` the admin API answers without its token, besides IP addresses, localhost, *.localhost and single-label names")
	intFlag(fs, &cfg.journalSize, "journal-size", 0,
		fmt.Sprintf("calls each namespace's journal keeps, the latest; 0 keeps none (default %d)", mockserver.DefaultJournalSize))
	intFlag(fs, &cfg.maxNamespaces, "max-namespaces", 0,
		fmt.Sprintf("hold at most `n` named namespaces (/ns/{name}/); 0 allows only the default one (default %d)", mockserver.DefaultMaxNamespaces))
	intFlag(fs, &cfg.maxTokens, "max-tokens", 1,
		fmt.Sprintf("hold at most `n` tokens per namespace, fixture, added and issued ones together (default %d)", mockserver.DefaultMaxTokens))
	intFlag(fs, &cfg.maxTotalTokens, "max-total-tokens", 1,
		fmt.Sprintf("hold at most `n` tokens in all namespaces together (default %d)", mockserver.DefaultMaxTotalTokens))
	cfg.limits.register(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText, "\nFlags of serve:\n")
		fs.PrintDefaults()
	}
	if err := parseWithEnv(fs, args, env.lookup); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return nil, errUsage
	}
	if err := checkAdminToken(fs, env, cfg.adminToken); err != nil {
		return nil, err
	}
	cfg.warnings = unknownEnv(fs, env)
	cfg.fixtures = splitList(fixtureList)
	cfg.adminHosts = splitList(adminHosts)
	for _, h := range cfg.adminHosts {
		if err := mockserver.CheckAdminHost(h); err != nil {
			return nil, misconfigured("--admin-hosts (%s): %v", envName("admin-hosts"), err)
		}
	}
	if cfg.issuer != "" {
		if err := fixtures.CheckIssuer(cfg.issuer); err != nil {
			return nil, misconfigured("--issuer (%s): %v", envName("issuer"), err)
		}
	}
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

// checkAdminToken refuses an admin token that is empty (or white space)
// although given: an INTROSPECTMOCK_ADMIN_TOKEN set to "" (an unset
// variable in a compose file) or --admin-token "" would leave the admin
// API open when its user meant to close it.
func checkAdminToken(fs *flag.FlagSet, env environment, tok string) error {
	name := envName("admin-token")
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "admin-token" })
	v, set := env.lookup(name)
	switch {
	case set && strings.TrimSpace(v) == "" && tok == v: // not overridden by the flag
		return misconfigured("%s is set but empty; give a token, or unset it for an open admin API", name)
	case given && strings.TrimSpace(tok) == "":
		return misconfigured("--admin-token is empty; give a token, or leave the flag out for an open admin API")
	case strings.TrimSpace(tok) != tok:
		return misconfigured("--admin-token (%s) has leading or trailing white space", name)
	}
	return nil
}

// unknownEnv returns a warning for each INTROSPECTMOCK_* variable that no
// flag of fs reads, naming the closest known variable.
func unknownEnv(fs *flag.FlagSet, env environment) []string {
	known := slices.Clone(otherEnv)
	fs.VisitAll(func(f *flag.Flag) { known = append(known, envName(f.Name)) })
	var warnings []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, envPrefix) || slices.Contains(known, name) {
			continue
		}
		closest := fixtures.Closest(strings.TrimPrefix(name, envPrefix), trimmed(known))
		warnings = append(warnings, fmt.Sprintf("unknown environment variable %s is ignored; did you mean %s?", name, envPrefix+closest))
	}
	return warnings
}

// trimmed returns names without the INTROSPECTMOCK_ prefix.
func trimmed(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimPrefix(n, envPrefix)
	}
	return out
}

// boolValue is a boolean flag whose error says what it accepts.
type boolValue struct{ p *bool }

func (b boolValue) String() string {
	if b.p == nil {
		return "false"
	}
	return strconv.FormatBool(*b.p)
}

func (b boolValue) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	*b.p = v
	return nil
}

func (b boolValue) IsBoolFlag() bool { return true }

// boolFlag adds a boolean flag (--name, --name=false) whose bad values,
// from the command line or the environment, say what it accepts.
func boolFlag(fs *flag.FlagSet, dst *bool, name string, def bool, usage string) {
	*dst = def
	fs.Var(boolValue{dst}, name, usage)
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
func parseWithEnv(fs *flag.FlagSet, args []string, lookup func(string) (string, bool)) error {
	var errs []string
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		f.Usage += " [$" + name + "]"
		v, _ := lookup(name)
		if v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			// Secrets only sit in string flags, whose Set never fails.
			errs = append(errs, fmt.Sprintf("%s=%q: %v", name, v, err))
		}
	})
	if len(errs) > 0 {
		return misconfigured("%s", strings.Join(errs, "\n"))
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
