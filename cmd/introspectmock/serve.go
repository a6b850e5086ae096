package main

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/internal/adminapi"
	"github.com/introspectmock/introspectmock/mockserver"
)

// Default HTTP server limits, each overridden by a flag (limits.go). Slow or
// oversized clients are cut off; WriteTimeout bounds a whole answer,
// scripted delays included.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 64 << 10
	// shutdownTimeout bounds the graceful shutdown after SIGINT/SIGTERM;
	// connections still open then are closed.
	shutdownTimeout = 10 * time.Second
)

// demoFS holds the demo fixtures served when no --fixtures is given.
//
//go:embed demo/demo.yaml
var demoFS embed.FS

// demoPath is the demo fixture file inside demoFS.
const demoPath = "demo/demo.yaml"

// serve listens on cfg.addr and serves the fixtures until ctx is done, then
// shuts down gracefully. Fixtures are reloaded on SIGHUP (or h.reload).
func serve(ctx context.Context, cfg *serveConfig, stdout, stderr io.Writer, h hooks) error {
	logger := newLogger(cfg, stderr)
	for _, w := range cfg.warnings {
		logger.Warn(w)
	}
	reload := h.reload
	if reload == nil {
		// Before anything else: SIGHUP's default action ends the process.
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGHUP)
		defer signal.Stop(ch)
		reload = ch
	}

	set, demo, err := loadFixtures(time.Now(), cfg.fixtures, cfg.demoFallback)
	if list := (fixtures.ErrorList)(nil); errors.As(err, &list) {
		// As validate prints them: one problem a line, then the count.
		for _, p := range problemLines(err) {
			fmt.Fprintln(stderr, p)
		}
		return fmt.Errorf("fixtures: %s", plural(len(list), "problem"))
	}
	if err != nil {
		return err
	}
	if demo && len(cfg.fixtures) > 0 {
		logger.Warn("no fixture files in --fixtures; serving the embedded demo fixtures, whose tokens and credentials anyone can read",
			"fixtures", cfg.fixtures)
	}
	opts := []mockserver.Option{mockserver.WithFixtures(set), mockserver.WithLogger(logger)}
	if cfg.issuer != "" {
		opts = append(opts, mockserver.WithIssuer(cfg.issuer))
	}
	opts = append(opts, mockserver.WithAdminToken(cfg.adminToken), mockserver.WithAdminHosts(cfg.adminHosts...),
		mockserver.WithJWTIntrospection(cfg.jwt), mockserver.WithLoginPage(cfg.loginPage))
	if cfg.journalSize != nil {
		opts = append(opts, mockserver.WithJournalSize(*cfg.journalSize))
	}
	if cfg.maxNamespaces != nil {
		opts = append(opts, mockserver.WithMaxNamespaces(*cfg.maxNamespaces))
	}
	if cfg.maxTokens != nil {
		opts = append(opts, mockserver.WithMaxTokens(*cfg.maxTokens))
	}
	if cfg.maxTotalTokens != nil {
		opts = append(opts, mockserver.WithMaxTotalTokens(*cfg.maxTotalTokens))
	}
	mock, err := mockserver.New(opts...)
	if err != nil {
		return fmt.Errorf("start server: %w", err)
	}

	var tlsCfg *tls.Config
	if cfg.tls {
		if tlsCfg, err = tlsConfig(cfg); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	var handler http.Handler = mock // the protocol endpoints; admin paths answer 404
	if cfg.admin {
		handler = adminapi.Handler(mock)
	}
	srv := &http.Server{
		Handler:   handler,
		TLSConfig: tlsCfg,
		ErrorLog:  slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ConnState: h.connState,
		// "OPTIONS *" reaches the handler (a JSON 404) instead of net/http's
		// empty 200 without a Content-Type (docs/conformance.md ER-4).
		DisableGeneralOptionsHandler: true,
	}
	cfg.limits.apply(srv) // timeouts and header limit (limits.go)
	url := baseURL(cfg, ln.Addr())

	serveErr := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			serveErr <- srv.ServeTLS(ln, "", "")
		} else {
			serveErr <- srv.Serve(ln)
		}
	}()
	if adminState(cfg) == "open" && !ln.Addr().(*net.TCPAddr).IP.IsLoopback() {
		logger.Warn("the admin API is open to anyone who can reach this address, and can change every answer: "+
			"set --admin-token (INTROSPECTMOCK_ADMIN_TOKEN), or listen on 127.0.0.1 only (in Docker: -p 127.0.0.1:8080:8080)",
			"addr", ln.Addr().String())
	}
	logger.Info("introspectmock listening",
		"url", url,
		"addr", ln.Addr().String(),
		"tls", cfg.tls,
		"issuer", issuerForLog(cfg.issuer, set.Issuer),
		"fixtures", fixtureFiles(set, demo),
		"tokens", mock.TokenCount(),
		"clients", len(set.Clients), "users", len(set.Users),
		"admin", adminState(cfg))
	if cfg.tlsCAOut != "" {
		logger.Info("wrote TLS CA certificate", "file", cfg.tlsCAOut)
	}
	if demo {
		printDemoCurls(stdout, url, cfg)
	}
	if h.onListen != nil {
		h.onListen(url)
	}

	for {
		select {
		case err := <-serveErr:
			return fmt.Errorf("serve: %w", err)
		case <-reload:
			reloadFixtures(logger, mock, cfg)
		case <-ctx.Done():
			return drain(logger, srv, serveErr, cfg.limits.shutdown(), h.again)
		}
	}
}

// drain shuts srv down gracefully, giving in-flight requests timeout; a
// signal on again (a second SIGINT or SIGTERM) closes every connection at
// once and fails.
func drain(logger *slog.Logger, srv *http.Server, serveErr <-chan error, timeout time.Duration, again <-chan os.Signal) error {
	logger.Info("shutting down", "timeout", timeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(sctx) }()
	select {
	case err := <-done:
		if err != nil {
			srv.Close()
			return fmt.Errorf("shutdown: %w", err)
		}
	case sig := <-again:
		logger.Error("second signal: stopping at once, in-flight requests are cut off", "signal", sig.String())
		srv.Close()
		return fmt.Errorf("stopped at once by a second %s", sig)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// adminState says how the admin API is exposed: off, token (it requires
// the admin token) or open.
func adminState(cfg *serveConfig) string {
	switch {
	case !cfg.admin:
		return "off"
	case cfg.adminToken != "":
		return "token"
	}
	return "open"
}

// reloadFixtures loads the fixtures again and swaps them in; on any problem
// it logs every error and the server keeps the fixtures it has.
func reloadFixtures(logger *slog.Logger, mock *mockserver.Server, cfg *serveConfig) {
	set, demo, err := loadFixtures(time.Now(), cfg.fixtures, cfg.demoFallback)
	if err == nil {
		err = mock.Reload(set)
	}
	if err != nil {
		problems := problemLines(err)
		for _, p := range problems {
			logger.Error("fixture problem", "problem", p)
		}
		logger.Error("reload failed; still serving the previous fixtures", "problems", len(problems))
		return
	}
	// Named namespaces keep their state (a running test keeps its
	// revocations); namespaces made or reset from now on get these fixtures.
	logger.Info("fixtures reloaded", "fixtures", fixtureFiles(set, demo), "tokens", mock.TokenCount(), "clients", len(set.Clients), "users", len(set.Users),
		"namespaces_kept", len(mock.Namespaces()))
}

// loadFixtures loads the fixture files or directories in paths. With no
// paths, or with fallback and paths that are each a missing or empty
// directory, it loads the embedded demo fixtures and reports demo; with
// fallback, a path that names a missing fixture file is a configError. A
// large set is followed by a garbage collection (collectYAML).
func loadFixtures(now time.Time, paths []string, fallback bool) (set *fixtures.Set, demo bool, err error) {
	found := false
	if fallback {
		var missing string
		if found, missing = anyFixtureFile(paths); missing != "" {
			return nil, false, misconfigured("--fixtures (INTROSPECTMOCK_FIXTURES): fixture file %s does not exist; "+
				"--demo-fallback serves the demo only for missing or empty directories", missing)
		}
	}
	if len(paths) == 0 || fallback && !found {
		set, err = fixtures.LoadFS(now, demoFS, demoPath)
		if err != nil {
			return nil, true, fmt.Errorf("embedded demo fixtures: %w", err)
		}
		return set, true, nil
	}
	set, err = fixtures.Load(now, paths...)
	if err != nil {
		return nil, false, err
	}
	collectYAML(set)
	return set, false, nil
}

// bigFixtures is the number of tokens from which collectYAML collects.
const bigFixtures = 10_000

// collectYAML runs the garbage collector after a large fixture set was
// loaded: the YAML node trees it was parsed from, some 20 times the size of
// the files, are garbage now. Collected, their memory is reused for the
// rendered answers; otherwise those would take new memory before the next
// collection (100,000 tokens: peak RSS 780 MiB instead of 600 MiB).
func collectYAML(set *fixtures.Set) {
	if len(set.Tokens) >= bigFixtures {
		runtime.GC()
	}
}

// anyFixtureFile reports whether paths name a file, or a directory holding
// a fixture file as fixtures.Load picks them (*.yaml or *.yml in any case,
// not a dot file, not a directory), that exists; and the first path that
// names a fixture file (by its extension) that does not exist, "" for
// none.
func anyFixtureFile(paths []string) (found bool, missing string) {
	for _, p := range paths {
		info, err := os.Stat(p)
		switch {
		case err != nil:
			if isFixtureName(p) && missing == "" {
				missing = p
			}
			continue
		case !info.IsDir():
			found = true
			continue
		}
		entries, _ := os.ReadDir(p)
		for _, e := range entries {
			if !e.IsDir() && isFixtureName(e.Name()) && !strings.HasPrefix(e.Name(), ".") {
				found = true
			}
		}
	}
	return found, missing
}

// isFixtureName reports whether a file name has a fixture file's
// extension: .yaml or .yml in any case.
func isFixtureName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// problemLines splits a fixtures error into one line per problem.
func problemLines(err error) []string {
	var list fixtures.ErrorList
	if errors.As(err, &list) {
		lines := make([]string, 0, len(list))
		for _, e := range list {
			lines = append(lines, e.Error())
		}
		return lines
	}
	return strings.Split(err.Error(), "\n")
}

// fixtureFiles names the files the set came from, for the log.
func fixtureFiles(set *fixtures.Set, demo bool) []string {
	if !demo {
		return set.Files
	}
	files := make([]string, 0, len(set.Files))
	for _, f := range set.Files {
		files = append(files, "embedded:"+f)
	}
	return files
}

// issuerForLog describes the issuer in effect.
func issuerForLog(flag, fromFixtures string) string {
	switch {
	case flag != "":
		return flag
	case fromFixtures != "":
		return fromFixtures
	default:
		return "(base URL of each request)"
	}
}

// newLogger returns the logger of cfg writing to w.
func newLogger(cfg *serveConfig, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	if cfg.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// baseURL is the URL clients reach the server at: the --addr host (its
// loopback address for a wildcard, see dialHost) and the port actually
// bound.
func baseURL(cfg *serveConfig, bound net.Addr) string {
	scheme := "http"
	if cfg.tls {
		scheme = "https"
	}
	host, _, _ := net.SplitHostPort(cfg.addr)
	_, port, _ := net.SplitHostPort(bound.String())
	return scheme + "://" + net.JoinHostPort(dialHost(host), port)
}

// dialHost returns the host to call a server listening on host at: host
// itself, or for a wildcard ("", 0.0.0.0, ::) the loopback address of its
// family.
func dialHost(host string) string {
	switch ip := net.ParseIP(host); {
	case host == "":
		return "127.0.0.1"
	case ip != nil && ip.IsUnspecified() && ip.To4() != nil:
		return "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		return "::1"
	}
	return host
}

// demoCurl is one ready-to-paste request against the demo fixtures.
type demoCurl struct {
	args    string // curl arguments before the URL
	path    string
	comment string
}

// demoCurls returns the requests printed for the demo fixtures;
// docs/endpoints.md shows the same lines and the tests run them.
func demoCurls() []demoCurl {
	return []demoCurl{
		{"-u demo-rs:demo-secret -d token=demo-active", "/introspect", `active: true, with its claims`},
		{"-u demo-rs:demo-secret -d token=demo-expired", "/introspect", `{"active":false}: expired`},
		{"-u demo-rs:demo-secret -d token=demo-revoked", "/introspect", `{"active":false}: revoked`},
	}
}

// printDemoCurls prints curl lines a newcomer can paste to try the demo.
func printDemoCurls(w io.Writer, url string, cfg *serveConfig) {
	extra := ""
	switch {
	case cfg.tlsCAOut != "":
		extra = "--cacert " + shellQuote(cfg.tlsCAOut) + " "
	case cfg.tls && cfg.tlsCert == "":
		extra = "--insecure "
	}
	fmt.Fprintf(w, "introspectmock is serving the demo fixtures at %s; try:\n", url)
	for _, c := range demoCurls() {
		fmt.Fprintf(w, "  curl %s%s %s%s    # %s\n", extra, c.args, url, c.path, c.comment)
	}
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
