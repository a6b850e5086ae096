// Command introspectmock runs a mock OAuth 2.0 authorization server that
// answers RFC 7662 token introspection, RFC 7009 revocation, RFC 8414
// discovery and client_credentials token requests from YAML fixtures.
//
// Usage:
//
//	introspectmock [flags]                  serve (default: embedded demo fixtures on 127.0.0.1:8080)
//	introspectmock validate FILE_OR_DIR...  check fixture files; exit 1 listing every problem
//	introspectmock healthcheck [flags]      GET /healthz of a running server; exit 0 on 200
//	introspectmock version                  print the build version
//
// Every flag can also be set from the environment as INTROSPECTMOCK_<NAME>
// (upper case, "-" as "_"), e.g. INTROSPECTMOCK_ADDR; flags win over the
// environment. Misconfiguration exits 2 naming the flag or variable: a bad
// value, an admin token given but empty, a missing fixture file with
// --demo-fallback; an unknown INTROSPECTMOCK_* variable is warned about.
// The startup log says how the admin API is exposed (admin=open, token or
// off) and warns when it is open on a non-loopback address.
//
// SIGINT and SIGTERM shut the server down gracefully; a second one during
// the drain stops it at once (exit status 1). SIGHUP reloads the fixture
// files into the default namespace; named namespaces keep their state,
// and namespaces made or reset afterwards start from the new fixtures.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// The first SIGINT or SIGTERM cancels ctx: the server drains. A second
	// one goes to again: the server stops at once.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	again := make(chan os.Signal, 1)
	go func() {
		<-sigs
		cancel()
		again <- <-sigs
	}()
	err := runWith(ctx, os.Args[1:], environment(os.Environ()), os.Stdout, os.Stderr, hooks{again: again})
	os.Exit(exitCode(err, os.Stderr))
}

// errUsage marks a command-line mistake whose message the flag package (or
// the command) has already printed together with the usage text.
var errUsage = errors.New("usage")

// exitCode reports err on stderr and maps it to the process exit code:
// 0 for success and -h, 2 for usage errors and misconfiguration, 1 for
// everything else.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.As(err, new(*configError)):
		fmt.Fprintln(stderr, "introspectmock:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "introspectmock:", err)
		return 1
	}
}

// hooks lets tests observe and drive run; the zero value is what main uses.
type hooks struct {
	// onListen, if set, is called with the base URL (e.g.
	// "http://127.0.0.1:41234") once the server accepts connections and
	// has written its startup log and demo curl lines.
	onListen func(baseURL string)
	// reload, if set, replaces SIGHUP as the trigger to reload fixtures.
	reload <-chan os.Signal
	// connState, if set, is the http.Server's ConnState hook.
	connState func(net.Conn, http.ConnState)
	// again, if set, delivers a signal that comes after the one that
	// cancelled ctx: it ends the drain at once.
	again <-chan os.Signal
}

// run is the whole program: it parses args (without the program name) and
// the environment env (as os.Environ gives it), writes user-facing output to stdout
// and logs and problems to stderr, and serves until ctx is done.
func run(ctx context.Context, args []string, env environment, stdout, stderr io.Writer) error {
	return runWith(ctx, args, env, stdout, stderr, hooks{})
}

func runWith(ctx context.Context, args []string, env environment, stdout, stderr io.Writer, h hooks) error {
	if len(args) > 0 {
		switch args[0] {
		case "validate":
			return runValidate(args[1:], stdout, stderr)
		case "healthcheck":
			return runHealthcheck(ctx, args[1:], env, stdout, stderr)
		case "version":
			return runVersion(args[1:], stdout, stderr)
		case "serve":
			args = args[1:]
		case "help":
			fmt.Fprint(stdout, usageText)
			return nil
		default:
			if len(args[0]) > 0 && args[0][0] != '-' {
				fmt.Fprintf(stderr, "unknown command %q\n%s", args[0], usageText)
				return errUsage
			}
		}
	}
	cfg, err := parseServeConfig(args, env, stderr)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, stdout, stderr, h)
}

const usageText = `Usage:
  introspectmock [serve] [flags]           serve fixtures (default: the embedded demo fixtures)
  introspectmock validate FILE_OR_DIR...   check fixture files; exit 1 listing every problem
  introspectmock healthcheck [flags]       GET /healthz of a running server; exit 0 on 200
  introspectmock version                   print the build version

Every flag can also be set as INTROSPECTMOCK_<NAME> in the environment; flags win.
Run "introspectmock -h" or "introspectmock healthcheck -h" for the flags.
`
