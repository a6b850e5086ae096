// Command baseline is the bare net/http server that introspectmock's load
// test (go run ./bench) measures the real binary against: the handler of
// bench/internal/plain, which parses the form, checks HTTP Basic
// credentials, looks the token up in a map and json.Marshals the answer on
// every request.
//
// Its tokens are generated, not read from YAML ("tok-0000000" …); the
// bench's generated fixture file gives introspectmock the same tokens, so
// both servers answer the same JSON.
//
// Usage:
//
//	baseline -addr 127.0.0.1:8081 -tokens 1000
//
// It serves GET /healthz and POST /introspect, prints "listening
// http://HOST:PORT" once it accepts connections, and stops on SIGINT or
// SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/introspectmock/introspectmock/bench/internal/plain"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "`host:port` to listen on")
	n := flag.Int("tokens", 1000, "number of generated tokens")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *n); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr string, n int) error {
	h := plain.Handler(n, time.Now())
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Printf("listening http://%s\n", ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}
