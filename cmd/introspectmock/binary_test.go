package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests run the built binary: exit codes, signals and what it logs
// are what a user sees of it.

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds the command once per test run and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "introspectmock-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "introspectmock")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// binEnv returns a clean environment plus kv ("NAME=value" entries), so
// that the caller's INTROSPECTMOCK_* variables do not leak in.
func binEnv(kv ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, kv...)
}

// runBinary runs the binary to its end (it must not start serving) and
// returns its exit code and stderr.
func runBinary(t *testing.T, args []string, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = binEnv(env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%q did not exit; stderr:\n%s", args, stderr.String())
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// process is a running binary.
type process struct {
	cmd  *exec.Cmd
	url  string
	log  *syncBuffer // stderr: JSON log lines
	done chan struct{}
}

// startBinary starts the binary (JSON log on stderr; --addr 127.0.0.1:0
// unless args set it) and returns once it listens. It is killed when the
// test ends if still running.
func startBinary(t *testing.T, args []string, env ...string) *process {
	t.Helper()
	args = append([]string{"--log-format", "json"}, args...)
	if !strings.Contains(strings.Join(args, " "), "--addr") {
		args = append(args, "--addr", "127.0.0.1:0")
	}
	p := &process{cmd: exec.Command(binary(t), args...), log: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = binEnv(env...)
	p.cmd.Stdout = io.Discard
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.log.Write(append(sc.Bytes(), '\n'))
			var line struct {
				Msg string `json:"msg"`
				URL string `json:"url"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "introspectmock listening" {
				urls <- line.URL
			}
		}
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	select {
	case p.url = <-urls:
		return p
	case <-p.done:
		t.Fatalf("the binary exited before listening:\n%s", p.log)
	case <-time.After(15 * time.Second):
		t.Fatalf("the binary did not listen within 15s:\n%s", p.log)
	}
	return nil
}

// logLine returns the first JSON log line whose msg contains msg, decoded,
// waiting for it up to 10 seconds.
func (p *process) logLine(t *testing.T, msg string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for l := range strings.SplitSeq(p.log.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && strings.Contains(fmt.Sprint(m["msg"]), msg) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line %q:\n%s", msg, p.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signal sends sig to the process.
func (p *process) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// wait waits up to d for the process to exit and returns its exit code.
func (p *process) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(d):
		t.Fatalf("the binary did not exit within %s:\n%s", d, p.log)
		return 0
	}
}

// call sends a request to the process and returns the status and body.
func (p *process) call(t *testing.T, method, path, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, p.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost && strings.HasPrefix(path, "/introspect") || strings.HasSuffix(path, "/introspect") {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" { // net/http sends req.Host, not the header
			req.Host = header[i+1]
			continue
		}
		req.Header.Add(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// introspect introspects tok at prefix (a namespace's, or "") as the demo
// resource server and returns the answer.
func (p *process) introspect(t *testing.T, prefix, tok string) string {
	t.Helper()
	_, body := p.call(t, "POST", prefix+"/introspect", "token="+tok, "Authorization", "Basic ZGVtby1yczpkZW1vLXNlY3JldA==") // demo-rs:demo-secret
	return body
}

// TestBinaryMisconfiguration checks that each misconfiguration exits 2 with
// a message naming the variable or flag and what it accepts.
func TestBinaryMisconfiguration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		args []string
		env  []string
		want []string
	}{
		{"empty admin token variable", nil, []string{"INTROSPECTMOCK_ADMIN_TOKEN="},
			[]string{"INTROSPECTMOCK_ADMIN_TOKEN is set but empty"}},
		{"blank admin token variable", nil, []string{"INTROSPECTMOCK_ADMIN_TOKEN=  "},
			[]string{"INTROSPECTMOCK_ADMIN_TOKEN is set but empty"}},
		{"empty admin token flag", []string{"--admin-token", ""}, nil, []string{"--admin-token is empty"}},
		{"empty admin token flag with =", []string{"--admin-token="}, []string{"INTROSPECTMOCK_ADMIN_TOKEN=set"}, []string{"--admin-token is empty"}},
		{"bad boolean variable", nil, []string{"INTROSPECTMOCK_ADMIN=maybe"},
			[]string{`INTROSPECTMOCK_ADMIN="maybe"`, "want true or false"}},
		{"bad boolean flag", []string{"--demo-fallback=maybe"}, nil, []string{"-demo-fallback", "want true or false"}},
		{"bad duration variable", nil, []string{"INTROSPECTMOCK_SHUTDOWN_TIMEOUT=30"},
			[]string{`INTROSPECTMOCK_SHUTDOWN_TIMEOUT="30"`, "Go duration such as 30s"}},
		{"bad duration flag", []string{"--read-timeout", "soon"}, nil, []string{"-read-timeout", "Go duration such as 30s"}},
		{"wildcard admin host", []string{"--admin-hosts", "mock.example.test,*.example.test"}, nil,
			[]string{"--admin-hosts (INTROSPECTMOCK_ADMIN_HOSTS)", "wildcards are not supported"}},
		{"URL as admin host variable", nil, []string{"INTROSPECTMOCK_ADMIN_HOSTS=http://mock.example.test"},
			[]string{"INTROSPECTMOCK_ADMIN_HOSTS", `invalid host name "http://mock.example.test"`}},
		{"issuer with a query", []string{"--issuer", "http://x/?q"}, nil,
			[]string{"--issuer (INTROSPECTMOCK_ISSUER)", "may not have a query"}},
		{"issuer variable with a fragment", nil, []string{"INTROSPECTMOCK_ISSUER=http://x/#f"},
			[]string{"INTROSPECTMOCK_ISSUER", "fragment"}},
		{"missing file with demo fallback", []string{"--fixtures", filepath.Join(dir, "missing.yaml"), "--demo-fallback"}, nil,
			[]string{"fixture file " + filepath.Join(dir, "missing.yaml") + " does not exist", "--fixtures"}},
		{"missing file with demo fallback from the environment", nil,
			[]string{"INTROSPECTMOCK_FIXTURES=" + dir + "," + filepath.Join(dir, "tokens.yml"), "INTROSPECTMOCK_DEMO_FALLBACK=true"},
			[]string{"fixture file " + filepath.Join(dir, "tokens.yml") + " does not exist", "INTROSPECTMOCK_FIXTURES"}},
	} {
		code, stderr := runBinary(t, append(tt.args, "--addr", "127.0.0.1:0"), tt.env...)
		if code != 2 {
			t.Errorf("%s: exit code %d; want 2\n%s", tt.name, code, stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr does not say %q:\n%s", tt.name, w, stderr)
			}
		}
	}
}

// TestBinaryStartupLog checks the startup log's admin key (open, token,
// off; never the token), the warning for an open admin API on a
// non-loopback address, and the warning for an unknown INTROSPECTMOCK_*
// variable naming the closest known one.
func TestBinaryStartupLog(t *testing.T) {
	t.Parallel()
	const tok = "very-secret-admin-token"
	const openWarn = "the admin API is open"
	for _, tt := range []struct {
		name     string
		args     []string
		env      []string
		want     string
		wantWarn bool
	}{
		{"open on loopback", nil, nil, "open", false},
		{"token", []string{"--admin-token", tok}, nil, "token", false},
		{"token from the environment", nil, []string{"INTROSPECTMOCK_ADMIN_TOKEN=" + tok}, "token", false},
		{"off", []string{"--admin=false"}, nil, "off", false},
		{"open on every address", []string{"--addr", "0.0.0.0:0"}, nil, "open", true},
		{"token on every address", []string{"--addr", "0.0.0.0:0"}, []string{"INTROSPECTMOCK_ADMIN_TOKEN=" + tok}, "token", false},
		{"off on every address", []string{"--addr", "0.0.0.0:0", "--admin=false"}, nil, "off", false},
	} {
		p := startBinary(t, tt.args, tt.env...)
		line := p.logLine(t, "introspectmock listening")
		if line["admin"] != tt.want {
			t.Errorf("%s: admin=%v; want %s", tt.name, line["admin"], tt.want)
		}
		log := p.log.String()
		if strings.Contains(log, tok) {
			t.Errorf("%s: the log shows the admin token:\n%s", tt.name, log)
		}
		if got := strings.Contains(log, openWarn); got != tt.wantWarn {
			t.Errorf("%s: warned about the open admin API: %v; want %v\n%s", tt.name, got, tt.wantWarn, log)
		}
		if tt.wantWarn {
			w := p.logLine(t, openWarn)
			if msg := w["msg"].(string); w["level"] != "WARN" || !strings.Contains(msg, "--admin-token") || !strings.Contains(msg, "127.0.0.1") {
				t.Errorf("%s: %v; want a WARN saying how to close it", tt.name, w)
			}
		}
	}

	p := startBinary(t, nil, "INTROSPECTMOCK_ADMN_TOKEN="+tok, "INTROSPECTMOCK_LOGLEVEL=debug", "INTROSPECTMOCK_REQUIRE_DOCKER=1")
	for _, want := range [][2]string{
		{"INTROSPECTMOCK_ADMN_TOKEN", "INTROSPECTMOCK_ADMIN_TOKEN"},
		{"INTROSPECTMOCK_LOGLEVEL", "INTROSPECTMOCK_LOG_LEVEL"},
	} {
		w := p.logLine(t, "unknown environment variable "+want[0])
		if msg := w["msg"].(string); w["level"] != "WARN" || !strings.Contains(msg, "did you mean "+want[1]+"?") {
			t.Errorf("%v; want a WARN naming %s", w, want[1])
		}
	}
	if log := p.log.String(); strings.Contains(log, "REQUIRE_DOCKER") || strings.Contains(log, tok) {
		t.Errorf("a known variable was warned about, or a value shown:\n%s", log)
	}
	if line := p.logLine(t, "introspectmock listening"); line["admin"] != "open" {
		t.Errorf("a misspelt admin token variable: admin=%v; want open", line["admin"])
	}
}

// TestBinaryDemoFallback checks --demo-fallback: the demo only when every
// --fixtures entry is a missing or empty directory, with a WARN.
func TestBinaryDemoFallback(t *testing.T) {
	t.Parallel()
	empty, full := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "notes.txt"), []byte("not a fixture"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "mine.yaml"), []byte("clients:\n  - {client_id: demo-rs, client_secret: demo-secret}\ntokens:\n  - token: mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const warn = "serving the embedded demo fixtures"

	p := startBinary(t, []string{"--fixtures", empty + "," + filepath.Join(empty, "absent-dir"), "--demo-fallback"})
	if w := p.logLine(t, warn); w["level"] != "WARN" {
		t.Errorf("fallback logged %v; want WARN", w)
	}
	if got := p.introspect(t, "", "demo-active"); !strings.Contains(got, `"active":true`) {
		t.Errorf("fallback: demo-active %s; want active", got)
	}

	p = startBinary(t, []string{"--fixtures", full, "--demo-fallback"}, "INTROSPECTMOCK_ADMIN=false")
	_ = p.logLine(t, "introspectmock listening")
	if strings.Contains(p.log.String(), warn) {
		t.Errorf("a directory with fixtures fell back to the demo:\n%s", p.log)
	}
	if got := p.introspect(t, "", "mine"); !strings.Contains(got, `"active":true`) {
		t.Errorf("own fixtures: mine %s; want active", got)
	}

	p = startBinary(t, nil) // no --fixtures: the demo, as documented, without a warning
	_ = p.logLine(t, "introspectmock listening")
	if strings.Contains(p.log.String(), warn) {
		t.Errorf("the plain demo warned:\n%s", p.log)
	}
}

// TestBinaryReloadKeepsNamespaces checks SIGHUP: the default namespace
// takes the new fixtures, named namespaces keep their state (revocations
// included) and the log says how many, namespaces made afterwards and
// reset ones start from the new fixtures.
func TestBinaryReloadKeepsNamespaces(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "tokens.yaml")
	const clients = "clients:\n  - {client_id: demo-rs, client_secret: demo-secret}\n"
	write := func(tokens ...string) {
		body := clients + "tokens:\n"
		for _, tok := range tokens {
			body += "  - token: " + tok + "\n"
		}
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("old-token")
	p := startBinary(t, []string{"--fixtures", file})
	for _, path := range []string{"/admin/namespaces/kept", "/admin/namespaces/other"} {
		if code, body := p.call(t, "PUT", path, ""); code != 201 {
			t.Fatalf("PUT %s: %d %s", path, code, body)
		}
	}
	if code, body := p.call(t, "POST", "/ns/kept/admin/tokens/old-token/revoke", ""); code != 204 {
		t.Fatalf("revoke: %d %s", code, body)
	}

	write("old-token", "new-token")
	p.signal(t, syscall.SIGHUP)
	line := p.logLine(t, "fixtures reloaded")
	if line["namespaces_kept"] != float64(2) {
		t.Errorf("reload log %v; want namespaces_kept=2", line)
	}
	for _, tt := range []struct{ prefix, tok, want string }{
		{"", "new-token", `"active":true`},          // the default namespace reloads
		{"/ns/kept", "old-token", `"active":false`}, // the revocation stays
		{"/ns/kept", "new-token", `"active":false`}, // not in the old fixtures
		{"/ns/fresh", "new-token", `"active":false`},
	} {
		if tt.prefix == "/ns/fresh" {
			if code, body := p.call(t, "PUT", "/admin/namespaces/fresh", ""); code != 201 {
				t.Fatalf("PUT fresh: %d %s", code, body)
			}
			tt.want = `"active":true` // made after the reload: the new fixtures
		}
		if got := p.introspect(t, tt.prefix, tt.tok); !strings.Contains(got, tt.want) {
			t.Errorf("%s %s: %s; want %s", tt.prefix, tt.tok, got, tt.want)
		}
	}
	if code, body := p.call(t, "POST", "/ns/kept/admin/reset", ""); code != 204 {
		t.Fatalf("reset: %d %s", code, body)
	}
	for _, tok := range []string{"old-token", "new-token"} {
		if got := p.introspect(t, "/ns/kept", tok); !strings.Contains(got, `"active":true`) {
			t.Errorf("after reset, %s: %s; want active (re-seeded from the new fixtures)", tok, got)
		}
	}
}

// TestBinarySecondSignal checks that a second SIGTERM or SIGINT during a
// long drain exits at once, non-zero, saying so; one signal drains and
// exits 0.
func TestBinarySecondSignal(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		p := startBinary(t, []string{"--shutdown-timeout", "60s", "--write-timeout", "60s"})
		if code, body := p.call(t, "POST", "/admin/faults", `{"respond":{"delay":"50s","status":503}}`); code != 204 {
			t.Fatalf("fault: %d %s", code, body)
		}
		inFlight := make(chan error, 1)
		go func() {
			req, _ := http.NewRequest("POST", p.url+"/introspect", strings.NewReader("token=demo-active"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth("demo-rs", "demo-secret")
			res, err := http.DefaultClient.Do(req)
			if err == nil {
				res.Body.Close()
				err = errors.New("answered")
			}
			inFlight <- err
		}()
		time.Sleep(300 * time.Millisecond) // the request is in its delay
		p.signal(t, sig)
		p.logLine(t, "shutting down")
		select {
		case <-p.done:
			t.Fatalf("%s: exited with a request in flight:\n%s", sig, p.log)
		case <-time.After(300 * time.Millisecond):
		}
		start := time.Now()
		p.signal(t, sig)
		if code := p.wait(t, 5*time.Second); code == 0 {
			t.Errorf("%s: exit code 0 after a second signal; want non-zero", sig)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %s to exit after the second signal", sig, d)
		}
		if w := p.logLine(t, "second signal"); w["level"] != "ERROR" {
			t.Errorf("%s: %v; want an ERROR line", sig, w)
		}
		<-inFlight
	}

	p := startBinary(t, nil)
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 10*time.Second); code != 0 {
		t.Errorf("one SIGTERM: exit code %d; want 0\n%s", code, p.log)
	}
	p.logLine(t, "stopped")
}

// TestBinaryAdminHostsAndTotal checks the flags and variables of the admin
// Host allow-list and of the total token cap on the running binary.
func TestBinaryAdminHostsAndTotal(t *testing.T) {
	t.Parallel()
	p := startBinary(t, []string{"--admin-hosts", "mock.example.test, other.example.test"}, "INTROSPECTMOCK_MAX_TOTAL_TOKENS=6")
	for host, want := range map[string]int{
		"mock.example.test:8080": 200, "OTHER.example.test": 200, "rebind.evil.example": 403, "localhost": 200,
	} {
		if code, body := p.call(t, "GET", "/admin/clock", "", "Host", host); code != want {
			t.Errorf("Host %s: %d %s; want %d", host, code, body, want)
		}
	}
	// The demo holds 4 tokens: a namespace seeded with them passes the 6.
	if code, body := p.call(t, "PUT", "/admin/namespaces/big", ""); code != 400 || !strings.Contains(body, "--max-total-tokens") {
		t.Errorf("a namespace past the total: %d %s; want 400 naming --max-total-tokens", code, body)
	}
	if code, body := p.call(t, "POST", "/admin/tokens", `{"token":"fifth"}`); code != 201 {
		t.Errorf("a token within the total: %d %s", code, body)
	}
}

// TestOtherEnvComplete checks that every INTROSPECTMOCK_* variable the
// rest of the repository reads (tests, tools, CI, the image) is a flag's
// or in otherEnv, so that the server never warns about the project's own.
func TestOtherEnvComplete(t *testing.T) {
	t.Parallel()
	name := regexp.MustCompile(`INTROSPECTMOCK_[A-Z0-9_]*[A-Z0-9]`)
	seen := map[string]string{}
	err := filepath.WalkDir("../..", func(path string, d iofs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && (d.Name() == ".git" || d.Name() == "docs" || path == filepath.Join("..", "..", "cmd", "introspectmock")):
			return filepath.SkipDir
		case d.IsDir() || strings.HasSuffix(path, ".md"):
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil || bytes.IndexByte(b, 0) >= 0 { // unreadable or binary
			return nil
		}
		for _, n := range name.FindAllString(string(b), -1) {
			seen[n] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 5 {
		t.Fatalf("found only %v", seen)
	}
	// Set but empty, a variable sets no flag; only its name is checked.
	var env environment
	for n := range seen {
		if n != envName("admin-token") { // empty, it is refused
			env = append(env, n+"=")
		}
	}
	cfg, err := parseServeConfig(nil, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range cfg.warnings {
		t.Errorf("%s; add the variable to otherEnv", w)
	}
}
