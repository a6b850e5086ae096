package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serverLimits are the limits of an http.Server, comparable.
type serverLimits struct {
	header, read, write, idle time.Duration
	maxHeaderBytes            int
}

func TestLimitFlags(t *testing.T) {
	defaults := serverLimits{header: 5 * time.Second, read: 10 * time.Second, write: 30 * time.Second,
		idle: 60 * time.Second, maxHeaderBytes: 64 << 10}
	tests := []struct {
		name         string
		give         []string
		env          map[string]string
		want         serverLimits
		wantShutdown time.Duration
	}{
		{name: "documented defaults", want: defaults, wantShutdown: 10 * time.Second},
		{
			name: "flags",
			give: []string{"--read-header-timeout", "100ms", "--read-timeout", "1s", "--write-timeout", "2s",
				"--idle-timeout", "3s", "--max-header-bytes", "4096", "--shutdown-timeout", "4s"},
			want:         serverLimits{header: 100 * time.Millisecond, read: time.Second, write: 2 * time.Second, idle: 3 * time.Second, maxHeaderBytes: 4096},
			wantShutdown: 4 * time.Second,
		},
		{
			name:         "environment, a flag wins",
			give:         []string{"--idle-timeout", "7s"},
			env:          map[string]string{"INTROSPECTMOCK_READ_HEADER_TIMEOUT": "250ms", "INTROSPECTMOCK_IDLE_TIMEOUT": "9s"},
			want:         serverLimits{header: 250 * time.Millisecond, read: defaults.read, write: defaults.write, idle: 7 * time.Second, maxHeaderBytes: defaults.maxHeaderBytes},
			wantShutdown: 10 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseServeConfig(tt.give, envMap(tt.env), &syncBuffer{})
			if err != nil {
				t.Fatal(err)
			}
			var srv http.Server
			cfg.limits.apply(&srv)
			got := serverLimits{srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout, srv.MaxHeaderBytes}
			if got != tt.want {
				t.Errorf("limits = %+v; want %+v", got, tt.want)
			}
			if got := cfg.limits.shutdown(); got != tt.wantShutdown {
				t.Errorf("shutdown timeout = %v; want %v", got, tt.wantShutdown)
			}
		})
	}

	t.Run("help shows every default", func(t *testing.T) {
		var stderr bytes.Buffer
		if _, err := parseServeConfig([]string{"-h"}, envMap(nil), &stderr); err == nil {
			t.Fatal("-h did not stop")
		}
		for _, want := range []string{"-read-header-timeout duration", "(default 5s)", "-read-timeout", "(default 10s)",
			"-write-timeout", "(default 30s)", "-idle-timeout", "(default 1m0s)", "-max-header-bytes bytes",
			"(default 65536)", "-shutdown-timeout", "$INTROSPECTMOCK_SHUTDOWN_TIMEOUT"} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("usage lacks %q:\n%s", want, stderr.String())
			}
		}
	})

	for _, bad := range [][]string{
		{"--read-header-timeout", "0s"}, {"--read-timeout", "-1s"}, {"--write-timeout", "soon"},
		{"--idle-timeout", "5"}, {"--max-header-bytes", "0"}, {"--max-header-bytes", "64k"}, {"--shutdown-timeout", ""},
	} {
		t.Run("rejects "+strings.Join(bad, " "), func(t *testing.T) {
			var stderr bytes.Buffer
			_, err := parseServeConfig(bad, envMap(nil), &stderr)
			if !errors.Is(err, errUsage) || !strings.Contains(stderr.String(), bad[0][2:]) {
				t.Errorf("parseServeConfig(%q) = %v, stderr %q; want a usage error naming the flag", bad, err, stderr.String())
			}
		})
	}
}

// limitsArgs starts the server on a free port with testdata/one.yaml
// (caller rs:rs-secret, active token one-active) and extra flags.
func limitsArgs(extra ...string) []string {
	return append([]string{"--addr", "127.0.0.1:0", "--fixtures", "testdata/one.yaml"}, extra...)
}

// rawIntrospection is a whole introspection request of token as rs.
func rawIntrospection(host, token string) string {
	body := "token=" + token
	return fmt.Sprintf("POST /introspect HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic cnM6cnMtc2VjcmV0\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", host, len(body), body)
}

// dialServer connects to the server of in.
func dialServer(t *testing.T, in *instance) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(in.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitClosed reads from c until the server closes it or within fails,
// and returns how long that took and what was read.
func waitClosed(t *testing.T, c net.Conn, within time.Duration) (time.Duration, []byte) {
	t.Helper()
	t0 := time.Now()
	_ = c.SetReadDeadline(t0.Add(within))
	got, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v (read %q)", within, got)
	}
	return time.Since(t0), got
}

// Slow-loris clients, dribbling header bytes and never finishing, are cut
// off by --read-header-timeout while another client keeps being served.
func TestSlowLoris(t *testing.T) {
	const timeout = 300 * time.Millisecond
	in := start(t, limitsArgs("--read-header-timeout", timeout.String()), nil)
	host := strings.TrimPrefix(in.url, "http://")

	const lorises = 8
	type cut struct {
		after time.Duration
		sent  int
		err   error
	}
	cuts := make(chan cut, lorises)
	stopDribbling := make(chan struct{})
	defer close(stopDribbling)
	for range lorises {
		// Timed from before the dial: the server's deadline cannot start
		// earlier, however late this goroutine runs on a busy machine.
		t0 := time.Now()
		c := dialServer(t, in)
		go func() {
			header := "POST /introspect HTTP/1.1\r\nHost: " + host + "\r\nX-Slow: " + strings.Repeat("z", 4000)
			closed := make(chan struct{})
			go func() {
				_, _ = io.Copy(io.Discard, c) // returns when the server closes
				close(closed)
			}()
			sent := 0
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-closed:
					cuts <- cut{after: time.Since(t0), sent: sent}
					return
				case <-stopDribbling:
					return
				case <-tick.C:
					if sent == len(header) {
						cuts <- cut{err: errors.New("sent the whole header block without being cut off")}
						return
					}
					if _, err := c.Write([]byte{header[sent]}); err == nil {
						sent++
					}
				}
			}
		}()
	}

	// Meanwhile a normal client is served, again and again: at least 5
	// times, and for as long as the attack lasts.
	served := 0
	for deadline := time.Now().Add(4 * timeout); served < 5 || time.Now().Before(deadline); served++ {
		if active, body := introspect(t, nil, in.url, "rs", "rs-secret", "one-active"); !active {
			t.Fatalf("introspection during the slow-loris attack: %s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for range lorises {
		select {
		case c := <-cuts:
			if c.err != nil {
				t.Fatal(c.err)
			}
			// Cut off by the header timeout: not before it (t0 precedes
			// the accept), and not long after (generous for a busy machine).
			if c.after < timeout || c.after > timeout+5*time.Second {
				t.Errorf("slow-loris connection cut after %v (%d header bytes sent); want about %v", c.after, c.sent, timeout)
			}
		case <-time.After(timeout + 5*time.Second):
			t.Fatal("a slow-loris connection was never cut off")
		}
	}
}

// A request whose body arrives slower than --read-timeout gets no answer
// about the token, and its connection ends.
func TestReadTimeout(t *testing.T) {
	const timeout = 400 * time.Millisecond
	in := start(t, limitsArgs("--read-timeout", timeout.String()), nil)
	t0 := time.Now() // the server's deadline starts after this, at accept
	c := dialServer(t, in)
	const body = "token=one-active&pad=" + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	fmt.Fprintf(c, "POST /introspect HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cnM6cnMtc2VjcmV0\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", len(body))
	go func() { // 20 ms per byte: about 2.5 s for the body
		for i := range len(body) {
			if _, err := c.Write([]byte{body[i]}); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	_, got := waitClosed(t, c, timeout+5*time.Second)
	took := time.Since(t0)
	if bytes.Contains(got, []byte(`"active":true`)) {
		t.Errorf("a body slower than --read-timeout was answered after %v: %q", took, got)
	}
	if took < timeout {
		t.Errorf("connection ended after %v, before --read-timeout %v: %q", took, timeout, got)
	}
}

// --write-timeout bounds an answer from the end of its request headers: a
// body dribbled for longer leaves no time to answer, while the same
// request within the bound is answered.
func TestWriteTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	in := start(t, limitsArgs("--write-timeout", timeout.String()), nil)
	send := func(c net.Conn, perByte time.Duration) {
		const body = "token=one-active"
		fmt.Fprintf(c, "POST /introspect HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cnM6cnMtc2VjcmV0\r\n"+
			"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", len(body))
		if perByte == 0 {
			io.WriteString(c, body)
			return
		}
		for i := range len(body) {
			if _, err := c.Write([]byte{body[i]}); err != nil {
				return
			}
			time.Sleep(perByte)
		}
	}

	fast := dialServer(t, in)
	send(fast, 0) // all at once
	res, err := http.ReadResponse(bufio.NewReader(fast), nil)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("request within --write-timeout: %v %v", res, err)
	}
	res.Body.Close()

	slow := dialServer(t, in)
	send(slow, 40*time.Millisecond) // about 640 ms, past the write deadline
	took, got := waitClosed(t, slow, 5*time.Second)
	if bytes.Contains(got, []byte(`"active":true`)) {
		t.Errorf("answer written past --write-timeout %v (connection ended %v after the body): %q", timeout, took, got)
	}

	t.Run("scripted delay", func(t *testing.T) {
		fixture := filepath.Join(t.TempDir(), "delay.yaml")
		if err := os.WriteFile(fixture, []byte(delayYAML), 0o600); err != nil {
			t.Fatal(err)
		}
		in := start(t, []string{"--addr", "127.0.0.1:0", "--fixtures", fixture, "--write-timeout", timeout.String()}, nil)
		if active, body := introspect(t, nil, in.url, "rs", "rs-secret", "quick"); !active {
			t.Fatalf("quick token: %s", body)
		}
		c := dialServer(t, in)
		t0 := time.Now() // the write deadline starts after this, once the headers are read
		if _, err := io.WriteString(c, rawIntrospection("x", "slow-1s")); err != nil {
			t.Fatal(err)
		}
		_, got := waitClosed(t, c, 5*time.Second)
		if took := time.Since(t0); len(got) > 0 || took < timeout {
			t.Errorf("a 1s scripted delay under --write-timeout %v: connection ended after %v with %q; want no answer", timeout, took, got)
		}
	})
}

// delayYAML has a token whose every introspection is delayed by 1s.
const delayYAML = `clients:
  - client_id: rs
    client_secret: rs-secret
tokens:
  - token: quick
    exp: +1h
  - token: slow-1s
    exp: +1h
    script:
      - after_calls: 0
        respond: {delay: 1s}
`

// An idle kept-alive connection is closed after --idle-timeout, not before.
func TestIdleTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	in := start(t, limitsArgs("--idle-timeout", timeout.String()), nil)
	c := dialServer(t, in)
	br := bufio.NewReader(c)
	// The server's idle time starts after its answer, so after this.
	t0 := time.Now()
	if _, err := io.WriteString(c, rawIntrospection("x", "one-active")); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Close {
		t.Fatalf("first request: %d, close %v; want 200 on a kept-alive connection", res.StatusCode, res.Close)
	}
	_ = c.SetReadDeadline(time.Now().Add(timeout + 5*time.Second))
	n, err := br.Read(make([]byte, 1))
	took := time.Since(t0)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("idle connection still open after %v", took)
	}
	if n != 0 || took < timeout {
		t.Errorf("idle connection closed after %v (read %d bytes, %v); want about %v", took, n, err, timeout)
	}
}

// Header blocks over --max-header-bytes get 431; smaller ones are served.
// The default (64 KiB) is checked as well.
func TestHeaderLimit(t *testing.T) {
	tests := []struct {
		name       string
		flags      []string
		pad        int
		wantStatus int
	}{
		// net/http allows 4096 bytes above MaxHeaderBytes for the request line and slack.
		{name: "under --max-header-bytes", flags: []string{"--max-header-bytes", "4096"}, pad: 3000, wantStatus: http.StatusOK},
		{name: "over --max-header-bytes", flags: []string{"--max-header-bytes", "4096"}, pad: 16 << 10, wantStatus: http.StatusRequestHeaderFieldsTooLarge},
		{name: "under the default", pad: 60 << 10, wantStatus: http.StatusOK},
		{name: "over the default", pad: 100 << 10, wantStatus: http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := start(t, limitsArgs(tt.flags...), nil)
			c := dialServer(t, in)
			req := strings.Replace(rawIntrospection("x", "one-active"), "\r\n\r\n", "\r\nX-Pad: "+strings.Repeat("p", tt.pad)+"\r\n\r\n", 1)
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			go io.WriteString(c, req) // the server may answer before reading it all
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.wantStatus {
				t.Errorf("%d header bytes: status %d; want %d", tt.pad, res.StatusCode, tt.wantStatus)
			}
		})
	}
}

// docs/conformance.md IQ-6: a body up to 1 MiB is read; one byte more is 413 with error
// JSON, whether announced by Content-Length or sent chunked.
func TestBodyLimit(t *testing.T) {
	in := start(t, limitsArgs(), nil)
	form := func(size int) string {
		const prefix = "token=one-active&pad="
		return prefix + strings.Repeat("p", size-len(prefix))
	}
	chunked := func(body string) string {
		var b strings.Builder
		for len(body) > 0 {
			n := min(len(body), 64<<10)
			fmt.Fprintf(&b, "%x\r\n%s\r\n", n, body[:n])
			body = body[n:]
		}
		b.WriteString("0\r\n\r\n")
		return b.String()
	}
	const head = "POST /introspect HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cnM6cnMtc2VjcmV0\r\n" +
		"Content-Type: application/x-www-form-urlencoded\r\n"
	tests := []struct {
		name       string
		request    string
		wantStatus int
		wantBody   string
	}{
		{name: "IQ-6/exactly 1 MiB", request: head + "Content-Length: 1048576\r\n\r\n" + form(1<<20),
			wantStatus: 200, wantBody: `"active":true`},
		{name: "IQ-6/1 MiB + 1", request: head + "Content-Length: 1048577\r\n\r\n" + form(1<<20+1),
			wantStatus: 413, wantBody: `"error":"invalid_request"`},
		{name: "IQ-6/chunked, 1 MiB", request: head + "Transfer-Encoding: chunked\r\n\r\n" + chunked(form(1<<20)),
			wantStatus: 200, wantBody: `"active":true`},
		{name: "IQ-6/chunked, 1 MiB + 1", request: head + "Transfer-Encoding: chunked\r\n\r\n" + chunked(form(1<<20+1)),
			wantStatus: 413, wantBody: `"error":"invalid_request"`},
		{name: "IQ-6/announced 16 MiB, never sent", request: head + "Content-Length: 16777216\r\n\r\ntoken=one-active",
			wantStatus: 413, wantBody: `"error":"invalid_request"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialServer(t, in)
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			go io.WriteString(c, tt.request) // the server may answer before reading it all
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.wantStatus || !strings.Contains(string(got), tt.wantBody) {
				t.Errorf("status %d %s; want %d with %s", res.StatusCode, got, tt.wantStatus, tt.wantBody)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q; want application/json", ct)
			}
		})
	}
}
