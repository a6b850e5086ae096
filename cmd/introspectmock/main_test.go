package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// instance is a run of the binary's run function inside the test.
type instance struct {
	url            string
	stdout, stderr *syncBuffer
	reload         chan os.Signal
	cancel         context.CancelFunc
	done           chan error // receives run's result once
}

// envMap returns the environment of m.
func envMap(m map[string]string) environment {
	var env environment
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	return env
}

// start runs the server with args and env until the test ends, and returns
// once it listens.
func start(t *testing.T, args []string, env map[string]string) *instance {
	t.Helper()
	return startHooked(t, args, env, hooks{})
}

// startHooked is start with h's connState.
func startHooked(t *testing.T, args []string, env map[string]string, h hooks) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{
		stdout: &syncBuffer{},
		stderr: &syncBuffer{},
		reload: make(chan os.Signal, 1),
		cancel: cancel,
		done:   make(chan error, 1),
	}
	urls := make(chan string, 1)
	h.onListen = func(u string) { urls <- u }
	h.reload = in.reload
	go func() { in.done <- runWith(ctx, args, envMap(env), in.stdout, in.stderr, h) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-in.done:
		case <-time.After(shutdownTimeout + 5*time.Second):
			t.Errorf("run did not return after cancel; log:\n%s", in.stderr)
		}
	})
	select {
	case in.url = <-urls:
		return in
	case err := <-in.done:
		in.done <- err // for Cleanup
		t.Fatalf("run returned before listening: %v\nlog:\n%s", err, in.stderr)
	case <-time.After(10 * time.Second):
		t.Fatalf("run did not listen within 10s; log:\n%s", in.stderr)
	}
	return nil
}

// stop cancels the run and returns its result.
func (in *instance) stop(t *testing.T) error {
	t.Helper()
	in.cancel()
	select {
	case err := <-in.done:
		in.done <- err // for Cleanup
		return err
	case <-time.After(shutdownTimeout + 5*time.Second):
		t.Fatalf("run did not return after cancel; log:\n%s", in.stderr)
		return nil
	}
}

// waitLog waits until the log contains s, n times in all.
func (in *instance) waitLog(t *testing.T, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(in.stderr.String(), s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("log never showed %q %d times:\n%s", s, n, in.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// post sends a form POST with HTTP Basic credentials (user "" for none)
// and returns the status and body.
func post(t *testing.T, c *http.Client, u, user, pass string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	return do(t, c, req)
}

// get sends a GET and returns the status and body.
func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, c, req)
}

func do(t *testing.T, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, string(body)
}

// introspect asks the server about token as caller user:pass and returns
// the JSON "active" member, failing on anything but a 200 JSON object.
func introspect(t *testing.T, c *http.Client, base, user, pass, token string) (active bool, body string) {
	t.Helper()
	status, body := post(t, c, base+"/introspect", user, pass, url.Values{"token": {token}})
	if status != http.StatusOK {
		t.Fatalf("introspect %s: status %d, body %s", token, status, body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("introspect %s: body %q: %v", token, body, err)
	}
	a, ok := m["active"].(bool)
	if !ok {
		t.Fatalf("introspect %s: active is not a boolean: %s", token, body)
	}
	return a, body
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name       string
		give       error
		want       int
		wantStderr string
	}{
		{name: "success", give: nil, want: 0},
		{name: "help", give: flag.ErrHelp, want: 0},
		{name: "usage", give: errUsage, want: 2},
		{name: "failure", give: errors.New("boom"), want: 1, wantStderr: "introspectmock: boom\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if got := exitCode(tt.give, &stderr); got != tt.want {
				t.Errorf("exitCode(%v) = %d; want %d", tt.give, got, tt.want)
			}
			if stderr.String() != tt.wantStderr {
				t.Errorf("stderr = %q; want %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

func TestCommandLineMistakes(t *testing.T) {
	tests := []struct {
		name string
		give []string
		env  map[string]string
		want int
	}{
		{name: "unknown command", give: []string{"serv"}, want: 2},
		{name: "unknown flag", give: []string{"--adress", "127.0.0.1:0"}, want: 2},
		{name: "extra argument", give: []string{"--addr", "127.0.0.1:0", "extra"}, want: 2},
		{name: "bad log format", give: []string{"--log-format", "xml"}, want: 2},
		{name: "bad log level", give: []string{"--log-level", "loud"}, want: 2},
		{name: "cert without key", give: []string{"--tls-cert", "c.pem"}, want: 2},
		{name: "ca-out without tls", give: []string{"--tls-ca-out", "ca.pem"}, want: 2},
		{name: "ca-out with own cert", give: []string{"--tls", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-ca-out", "ca.pem"}, want: 2},
		{name: "bad boolean in env", env: map[string]string{"INTROSPECTMOCK_TLS": "maybe"}, want: 2},
		{name: "missing fixture file", give: []string{"--addr", "127.0.0.1:0", "--fixtures", "testdata/no-such.yaml"}, want: 1},
		{name: "validate without files", give: []string{"validate"}, want: 2},
		{name: "help", give: []string{"-h"}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // nothing may start serving
			err := run(ctx, tt.give, envMap(tt.env), &stdout, &stderr)
			if got := exitCode(err, &stderr); got != tt.want {
				t.Errorf("run(%q) exit code = %d (err %v); want %d\nstderr:\n%s", tt.give, got, err, tt.want, stderr.String())
			}
			if tt.want != 0 && stderr.Len() == 0 {
				t.Errorf("run(%q) failed without a word on stderr", tt.give)
			}
		})
	}
}
