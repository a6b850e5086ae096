package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// runHealthcheck GETs /healthz of a running server and fails unless it
// answers 200. It needs no shell, so the container's HEALTHCHECK runs it.
// The server is found like the server finds its address: --addr or
// INTROSPECTMOCK_ADDR, with a wildcard host called on loopback, over HTTPS
// when --tls or --tls-cert is set; or --url names the URL to GET.
func runHealthcheck(ctx context.Context, args []string, env environment, stdout, stderr io.Writer) error {
	var (
		addr, rawURL, tlsCert string
		useTLS                bool
		timeout               time.Duration
	)
	fs := newFlagSet("introspectmock healthcheck", stderr)
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "`host:port` the server listens on; a wildcard host is called on loopback")
	fs.StringVar(&rawURL, "url", "", "`URL` to GET instead of http(s)://<addr>/healthz")
	fs.BoolVar(&useTLS, "tls", false, "the server serves HTTPS; loopback certificates are not verified")
	fs.StringVar(&tlsCert, "tls-cert", "", "the server serves HTTPS with this certificate `file` (only its presence matters here)")
	fs.DurationVar(&timeout, "timeout", 2*time.Second, "give up after this `duration`")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: introspectmock healthcheck [flags]\n\nGETs /healthz; exit status 0 on 200, else 1.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	// The --url flag has no INTROSPECTMOCK_URL; the others share the
	// server's variables so a container needs no extra configuration.
	if err := parseWithEnv(fs, args, func(name string) (string, bool) {
		if name == envName("url") || name == envName("timeout") {
			return "", false
		}
		return env.lookup(name)
	}); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fs, "unexpected argument %q", fs.Arg(0))
	}
	target := rawURL
	if target == "" {
		u, err := healthURL(addr, useTLS || tlsCert != "")
		if err != nil {
			return usageError(fs, "--addr: %v", err)
		}
		target = u
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return usageError(fs, "--url %q is not an absolute URL", target)
	}

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // always call the server directly
	if isLoopback(u.Hostname()) {
		// The certificate is self-signed or names another host; on
		// loopback there is nobody in between to verify against.
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}
	}
	client := &http.Client{Transport: tr, Timeout: timeout}
	defer tr.CloseIdleConnections()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: GET %s: %s", target, resp.Status)
	}
	fmt.Fprintf(stdout, "ok: GET %s: %s\n", target, resp.Status)
	return nil
}

// healthURL returns the /healthz URL of a server listening on addr.
func healthURL(addr string, useTLS bool) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(dialHost(host), port) + "/healthz", nil
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
