// Command resourceserver is the resource server of the compose example: a
// tiny API that accepts opaque bearer tokens by asking an authorization
// server about them with RFC 7662 token introspection.
//
// GET /hello answers 200 with the token's sub and scope when introspection
// says it is active, 401 with a Bearer challenge when it is not (or no
// token is sent), and 503 when the authorization server cannot answer. GET
// /healthz answers 200. It asks on every request: it caches nothing, so a
// revocation shows at once.
//
// Usage:
//
//	resourceserver               serve
//	resourceserver healthcheck   GET /healthz of the running server; exit 0 on 200
//
// Configuration, from the environment:
//
//	RS_ADDR               host:port to listen on (default 0.0.0.0:8081)
//	RS_INTROSPECTION_URL  the introspection endpoint (required)
//	RS_CLIENT_ID          this server's client_id at the authorization server (required)
//	RS_CLIENT_SECRET      its client_secret (required)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "resourceserver:", err)
		os.Exit(1)
	}
}

// run is the whole program: args without the program name, the
// environment through getenv, logs to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	addr := getenv("RS_ADDR")
	if addr == "" {
		addr = "0.0.0.0:8081"
	}
	switch {
	case len(args) == 1 && args[0] == "healthcheck":
		return healthcheck(ctx, addr)
	case len(args) > 0:
		return fmt.Errorf("unexpected arguments %q; usage: resourceserver [healthcheck]", args)
	}
	h, err := newHandler(getenv("RS_INTROSPECTION_URL"), getenv("RS_CLIENT_ID"), getenv("RS_CLIENT_SECRET"), http.DefaultClient)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdownCtx)
	}()
	log.Info("listening", "addr", ln.Addr().String(), "introspection_url", h.introspectionURL)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// handler serves /hello and /healthz.
type handler struct {
	introspectionURL string
	clientID, secret string
	client           *http.Client
	mux              *http.ServeMux
}

func newHandler(introspectionURL, clientID, secret string, client *http.Client) (*handler, error) {
	if introspectionURL == "" || clientID == "" || secret == "" {
		return nil, errors.New("RS_INTROSPECTION_URL, RS_CLIENT_ID and RS_CLIENT_SECRET are required")
	}
	h := &handler{introspectionURL: introspectionURL, clientID: clientID, secret: secret, client: client, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /hello", h.handleHello)
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// handleHello handles "GET /hello".
func (h *handler) handleHello(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="example"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing bearer token"})
		return
	}
	info, err := h.introspect(r.Context(), token)
	if err != nil {
		// An authorization server that cannot answer is an outage, not an
		// inactive token (docs/conformance.md PF-6).
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "cannot check the token: " + err.Error()})
		return
	}
	if !info.Active {
		w.Header().Set("WWW-Authenticate", `Bearer realm="example", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"hello": info.Sub, "scope": info.Scope})
}

// tokenInfo is the part of an RFC 7662 answer this server uses.
type tokenInfo struct {
	Active bool   `json:"active"`
	Sub    string `json:"sub"`
	Scope  string `json:"scope"`
}

// introspect asks the authorization server about token, authenticating
// with client_secret_basic (id and secret form-encoded, RFC 6749 §2.3.1).
func (h *handler) introspect(ctx context.Context, token string) (tokenInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.introspectionURL,
		strings.NewReader(url.Values{"token": {token}, "token_type_hint": {"access_token"}}.Encode()))
	if err != nil {
		return tokenInfo{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(h.clientID), url.QueryEscape(h.secret))
	resp, err := h.client.Do(req)
	if err != nil {
		return tokenInfo{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return tokenInfo{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return tokenInfo{}, fmt.Errorf("introspection answered %s", resp.Status)
	}
	// active must be a JSON boolean: {"active":"false"} fails to decode
	// rather than pass a truthy check (docs/conformance.md PF-1).
	var raw struct {
		Active *bool `json:"active"`
		tokenInfo
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return tokenInfo{}, fmt.Errorf("introspection answer: %w", err)
	}
	if raw.Active == nil {
		return tokenInfo{}, errors.New("introspection answer has no active member")
	}
	info := raw.tokenInfo
	info.Active = *raw.Active
	return info, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// healthcheck GETs /healthz of the server listening on addr (a wildcard
// host is called on loopback); the image's HEALTHCHECK runs it, as the
// image has no shell.
func healthcheck(ctx context.Context, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz: %s", resp.Status)
	}
	return nil
}
