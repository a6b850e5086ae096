package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// curlLine matches the curl lines printed for the demo fixtures.
var curlLine = regexp.MustCompile(`^\s*curl -u ([^:\s]+):(\S+) -d token=(\S+) (http://\S+)\s+# (.*)$`)

func TestServeDemo(t *testing.T) {
	in := start(t, []string{"--addr", "127.0.0.1:0"}, nil)

	t.Run("healthz", func(t *testing.T) {
		if status, body := get(t, nil, in.url+"/healthz"); status != http.StatusOK {
			t.Errorf("GET /healthz = %d %s; want 200", status, body)
		}
	})

	// Every printed curl line works as printed: the active one answers
	// active, the others exactly {"active":false} (docs/conformance.md IR-7).
	t.Run("IR-7/printed curl lines", func(t *testing.T) {
		var n int
		for _, line := range strings.Split(in.stdout.String(), "\n") {
			if !strings.Contains(line, "curl ") {
				continue
			}
			m := curlLine.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("curl line not in the expected shape: %q", line)
				continue
			}
			n++
			user, pass, token, target, comment := m[1], m[2], m[3], m[4], m[5]
			if !strings.HasPrefix(target, in.url+"/") {
				t.Errorf("curl line %q calls %s; want the server's URL %s", line, target, in.url)
			}
			active, body := introspect(t, nil, in.url, user, pass, token)
			wantActive := strings.HasPrefix(comment, "active: true")
			if active != wantActive {
				t.Errorf("%s: active = %v (%s); the line promises %q", token, active, body, comment)
			}
			if !wantActive && body != `{"active":false}` {
				t.Errorf("%s: body = %s; want exactly {\"active\":false}", token, body)
			}
		}
		if n != 3 {
			t.Errorf("printed %d curl lines; want 3 (active, expired, revoked):\n%s", n, in.stdout)
		}
	})

	t.Run("IR-7/demo tokens", func(t *testing.T) {
		tests := []struct {
			give string
			want bool
		}{
			{give: "demo-active", want: true},
			{give: "demo-expired", want: false},
			{give: "demo-revoked", want: false},
			{give: "demo-not-yet-valid", want: false},
			{give: "no-such-token", want: false},
		}
		for _, tt := range tests {
			if got, body := introspect(t, nil, in.url, "demo-rs", "demo-secret", tt.give); got != tt.want {
				t.Errorf("introspect %s: active = %v (%s); want %v", tt.give, got, body, tt.want)
			}
		}
	})

	t.Run("CA-5/demo bearer caller", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, in.url+"/introspect", strings.NewReader("token=demo-active"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer demo-rs-bearer")
		if status, body := do(t, nil, req); status != http.StatusOK || !strings.Contains(body, `"active":true`) {
			t.Errorf("bearer introspection = %d %s; want 200 active", status, body)
		}
	})

	t.Run("TE-4/demo client_credentials", func(t *testing.T) {
		status, body := post(t, nil, in.url+"/token", "demo-client", "demo-client-secret",
			url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}})
		if status != http.StatusOK {
			t.Fatalf("POST /token = %d %s; want 200", status, body)
		}
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal([]byte(body), &tok); err != nil || tok.AccessToken == "" {
			t.Fatalf("POST /token body %s: no access_token (%v)", body, err)
		}
		if active, body := introspect(t, nil, in.url, "demo-rs", "demo-secret", tok.AccessToken); !active {
			t.Errorf("issued token introspects inactive: %s", body)
		}
	})

	// The demo sets no issuer, so the issuer is the base URL (docs/conformance.md MD-3).
	t.Run("MD-3/issuer is the base URL", func(t *testing.T) {
		status, body := get(t, nil, in.url+"/.well-known/oauth-authorization-server")
		if status != http.StatusOK {
			t.Fatalf("discovery = %d %s", status, body)
		}
		var md struct {
			Issuer string `json:"issuer"`
		}
		if err := json.Unmarshal([]byte(body), &md); err != nil {
			t.Fatal(err)
		}
		if md.Issuer != in.url {
			t.Errorf("issuer = %q; want the base URL %q", md.Issuer, in.url)
		}
	})

	t.Run("startup log", func(t *testing.T) {
		log := in.stderr.String()
		for _, want := range []string{"url=" + in.url, "tokens=4", "fixtures=[embedded:demo/demo.yaml]"} {
			if !strings.Contains(log, want) {
				t.Errorf("startup log lacks %q:\n%s", want, log)
			}
		}
	})
}

func TestEnvAndFlags(t *testing.T) {
	t.Run("env sets what no flag sets", func(t *testing.T) {
		in := start(t, nil, map[string]string{
			"INTROSPECTMOCK_ADDR":     "127.0.0.1:0",
			"INTROSPECTMOCK_FIXTURES": "testdata/one.yaml, testdata/two.yaml",
		})
		if active, body := introspect(t, nil, in.url, "rs", "rs-secret", "one-active"); !active {
			t.Errorf("one-active from INTROSPECTMOCK_FIXTURES is inactive: %s", body)
		}
		if active, body := introspect(t, nil, in.url, "rs2", "rs2-secret", "two-active"); !active {
			t.Errorf("two-active from INTROSPECTMOCK_FIXTURES is inactive: %s", body)
		}
	})
	t.Run("flag wins over env", func(t *testing.T) {
		in := start(t, []string{"--fixtures", "testdata/two.yaml"}, map[string]string{
			"INTROSPECTMOCK_ADDR":     "127.0.0.1:0",
			"INTROSPECTMOCK_FIXTURES": "testdata/one.yaml",
		})
		if active, _ := introspect(t, nil, in.url, "rs2", "rs2-secret", "two-active"); !active {
			t.Error("token of --fixtures is inactive")
		}
		if active, _ := introspect(t, nil, in.url, "rs2", "rs2-secret", "one-active"); active {
			t.Error("token of INTROSPECTMOCK_FIXTURES is active although --fixtures overrides it")
		}
	})
	t.Run("MD-3/issuer from env", func(t *testing.T) {
		const issuer = "https://auth.example.test/tenant"
		in := start(t, []string{"--addr", "127.0.0.1:0"}, map[string]string{"INTROSPECTMOCK_ISSUER": issuer})
		status, body := get(t, nil, in.url+"/.well-known/openid-configuration")
		if status != http.StatusOK || !strings.Contains(body, `"issuer":"`+issuer+`"`) {
			t.Errorf("discovery = %d %s; want issuer %q", status, body, issuer)
		}
	})

	tests := []struct {
		name string
		args []string
		env  map[string]string
		want serveConfig
	}{
		{
			name: "defaults",
			want: serveConfig{addr: "127.0.0.1:8080", logFormat: "text", admin: true, jwt: true},
		},
		{
			name: "env only",
			env: map[string]string{
				"INTROSPECTMOCK_ADDR": "0.0.0.0:9000", "INTROSPECTMOCK_ISSUER": "https://env.test",
				"INTROSPECTMOCK_LOG_FORMAT": "json", "INTROSPECTMOCK_TLS": "true", "INTROSPECTMOCK_ADMIN": "false",
				"INTROSPECTMOCK_DEMO_FALLBACK": "1",
			},
			want: serveConfig{addr: "0.0.0.0:9000", issuer: "https://env.test", logFormat: "json", tls: true, demoFallback: true, jwt: true},
		},
		{
			name: "flags win",
			args: []string{"--addr", "127.0.0.1:7000", "--issuer", "https://flag.test", "--log-format", "text", "--tls=false", "--admin"},
			env: map[string]string{
				"INTROSPECTMOCK_ADDR": "0.0.0.0:9000", "INTROSPECTMOCK_ISSUER": "https://env.test",
				"INTROSPECTMOCK_LOG_FORMAT": "json", "INTROSPECTMOCK_TLS": "true", "INTROSPECTMOCK_ADMIN": "false",
			},
			want: serveConfig{addr: "127.0.0.1:7000", issuer: "https://flag.test", logFormat: "text", admin: true, jwt: true},
		},
		{
			name: "own certificate implies tls",
			env:  map[string]string{"INTROSPECTMOCK_TLS_CERT": "c.pem", "INTROSPECTMOCK_TLS_KEY": "k.pem"},
			want: serveConfig{addr: "127.0.0.1:8080", logFormat: "text", admin: true, tls: true, tlsCert: "c.pem", tlsKey: "k.pem", jwt: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseServeConfig(tt.args, envMap(tt.env), &syncBuffer{})
			if err != nil {
				t.Fatalf("parseServeConfig: %v", err)
			}
			got.logLevel, got.fixtures = 0, nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("parseServeConfig(%q, %v) = %+v; want %+v", tt.args, tt.env, *got, tt.want)
			}
		})
	}
	t.Run("log level and fixtures list", func(t *testing.T) {
		got, err := parseServeConfig([]string{"--log-level", "debug"},
			envMap(map[string]string{"INTROSPECTMOCK_LOG_LEVEL": "error", "INTROSPECTMOCK_FIXTURES": " a.yaml,,dir/ "}), &syncBuffer{})
		if err != nil {
			t.Fatal(err)
		}
		if got.logLevel.String() != "DEBUG" {
			t.Errorf("log level = %v; want DEBUG from the flag", got.logLevel)
		}
		if strings.Join(got.fixtures, "|") != "a.yaml|dir/" {
			t.Errorf("fixtures = %q; want [a.yaml dir/]", got.fixtures)
		}
	})
}

func TestDemoFallback(t *testing.T) {
	empty := t.TempDir()
	withFile := t.TempDir()
	data, err := os.ReadFile("testdata/one.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(withFile, "one.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	// The files Load reads decide, not a glob: a dot file is no fixture,
	// an upper-case extension is.
	dotOnly, upper := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(dotOnly, ".one.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(upper, "ONE.YAML"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		fixtures  string
		wantToken string
	}{
		{name: "empty directory", fixtures: empty, wantToken: "demo-active"},
		{name: "missing directory", fixtures: filepath.Join(empty, "missing"), wantToken: "demo-active"},
		{name: "directory with a fixture", fixtures: withFile, wantToken: "one-active"},
		{name: "directory with a dot file only", fixtures: dotOnly, wantToken: "demo-active"},
		{name: "directory with an upper-case fixture", fixtures: upper, wantToken: "one-active"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := start(t, []string{"--addr", "127.0.0.1:0", "--demo-fallback"},
				map[string]string{"INTROSPECTMOCK_FIXTURES": tt.fixtures})
			user, pass := "rs", "rs-secret"
			if strings.HasPrefix(tt.wantToken, "demo-") {
				user, pass = "demo-rs", "demo-secret"
			}
			if active, body := introspect(t, nil, in.url, user, pass, tt.wantToken); !active {
				t.Errorf("%s inactive: %s", tt.wantToken, body)
			}
		})
	}
	t.Run("no fallback: missing directory fails", func(t *testing.T) {
		err := run(t.Context(), []string{"--addr", "127.0.0.1:0", "--fixtures", filepath.Join(empty, "missing")}, envMap(nil), &syncBuffer{}, &syncBuffer{})
		if err == nil {
			t.Fatal("run served a missing fixtures directory without --demo-fallback")
		}
	})
}

// SIGHUP reloads the fixture files; a broken file leaves the old ones
// serving and its problems in the log.
func TestReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.yaml")
	write := func(name string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("one.yaml")
	in := start(t, []string{"--addr", "127.0.0.1:0", "--fixtures", path}, nil)
	if active, _ := introspect(t, nil, in.url, "rs", "rs-secret", "one-active"); !active {
		t.Fatal("one-active inactive before any reload")
	}

	write("two.yaml")
	in.reload <- syscall.SIGHUP
	in.waitLog(t, "fixtures reloaded", 1)
	if active, _ := introspect(t, nil, in.url, "rs2", "rs2-secret", "two-active"); !active {
		t.Error("two-active inactive after reloading two.yaml")
	}
	if active, _ := introspect(t, nil, in.url, "rs2", "rs2-secret", "one-active"); active {
		t.Error("one-active still active after reloading two.yaml")
	}

	write("broken.yaml")
	in.reload <- syscall.SIGHUP
	in.waitLog(t, "reload failed", 1)
	if active, _ := introspect(t, nil, in.url, "rs2", "rs2-secret", "two-active"); !active {
		t.Error("two-active inactive after a failed reload; the old fixtures must keep serving")
	}
	if log := in.stderr.String(); !strings.Contains(log, path+":") || !strings.Contains(log, "tokens[1].exp") {
		t.Errorf("failed reload does not log the problem with file and field:\n%s", log)
	}
}

func TestGracefulShutdown(t *testing.T) {
	active := make(chan struct{}, 8)
	in := startHooked(t, []string{"--addr", "127.0.0.1:0", "--fixtures", "testdata/slow.yaml"}, nil, hooks{
		connState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateActive {
				active <- struct{}{}
			}
		},
	})
	// An idle kept-alive connection must not hold the shutdown up.
	idle := &http.Client{Transport: &http.Transport{}}
	if status, _ := get(t, idle, in.url+"/healthz"); status != http.StatusOK {
		t.Fatalf("healthz = %d", status)
	}
	<-active

	// A request in flight (its answer scripted to take 500ms) is answered.
	answered := make(chan string, 1)
	go func() {
		client := &http.Client{Transport: &http.Transport{}}
		resp, err := client.PostForm(in.url+"/introspect", url.Values{
			"token": {"slow-token"}, "client_id": {"rs"}, "client_secret": {"rs-secret"}})
		if err != nil {
			answered <- err.Error()
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			answered <- err.Error()
			return
		}
		answered <- resp.Status + " " + string(body)
	}()
	<-active // the slow request's connection is being served
	if err := in.stop(t); err != nil {
		t.Fatalf("run after cancel = %v; want nil", err)
	}
	select {
	case got := <-answered:
		if !strings.HasPrefix(got, "200 ") || !strings.Contains(got, `"active":true`) {
			t.Errorf("request in flight during shutdown got %s; want its active answer", got)
		}
	case <-time.After(10 * time.Second):
		t.Error("request in flight during shutdown never got an answer")
	}
	if !strings.Contains(in.stderr.String(), "msg=stopped") {
		t.Errorf("log lacks the stop message:\n%s", in.stderr)
	}
	host := strings.TrimPrefix(in.url, "http://")
	if c, err := net.Dial("tcp", host); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after shutdown", host)
	}
}

func TestBaseURL(t *testing.T) {
	tests := []struct {
		addr  string
		bound string
		tls   bool
		want  string
	}{
		{addr: "127.0.0.1:0", bound: "127.0.0.1:41000", want: "http://127.0.0.1:41000"},
		{addr: ":8080", bound: "[::]:8080", want: "http://127.0.0.1:8080"},
		{addr: "0.0.0.0:8080", bound: "0.0.0.0:8080", tls: true, want: "https://127.0.0.1:8080"},
		{addr: "[::]:0", bound: "[::]:5000", want: "http://[::1]:5000"},
		{addr: "localhost:0", bound: "127.0.0.1:5001", want: "http://localhost:5001"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			bound, err := net.ResolveTCPAddr("tcp", tt.bound)
			if err != nil {
				t.Fatal(err)
			}
			if got := baseURL(&serveConfig{addr: tt.addr, tls: tt.tls}, bound); got != tt.want {
				t.Errorf("baseURL(%q, %s) = %q; want %q", tt.addr, tt.bound, got, tt.want)
			}
		})
	}
}
