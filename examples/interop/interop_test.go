// Package interop_test drives introspectmock with real OAuth client
// libraries: those of other languages through run.sh, the Go ones in
// go_clients_test.go.
package interop_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInterop runs run.sh once per client (Python authlib and
// requests-oauthlib; Ruby oauth2, rack-oauth2 and openid_connect; Apache
// with mod_auth_openidc and with mod_oauth2 as resource servers), each
// against a fresh binary over plain HTTP and over TLS: discovery,
// client_credentials tokens, introspection of active and inactive tokens
// and revocation, with client_secret_basic, client_secret_post and bearer
// callers. A client whose library is not installed is skipped, saying what
// to install, unless INTROSPECTMOCK_REQUIRE_INTEROP=1 (as in CI), which
// makes it fail.
func TestInterop(t *testing.T) {
	required := os.Getenv("INTROSPECTMOCK_REQUIRE_INTEROP") == "1"
	if testing.Short() && !required {
		t.Skip("skipping the interop clients in -short mode")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	list, err := exec.Command("./run.sh", "--list").Output()
	if err != nil {
		t.Fatalf("run.sh --list: %v", err)
	}
	names := strings.Fields(string(list))
	if len(names) == 0 {
		t.Fatal("run.sh --list named no client")
	}

	// One binary for every run (run.sh would build one per call).
	bin := filepath.Join(t.TempDir(), "introspectmock")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/introspectmock")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "./run.sh", name)
			cmd.Env = append(os.Environ(), "INTROSPECTMOCK_BIN="+bin)
			cmd.WaitDelay = 10 * time.Second
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if errors.As(err, &exit) && exit.ExitCode() == 3 && !required {
				t.Skipf("%s; set INTROSPECTMOCK_REQUIRE_INTEROP=1 to fail instead", firstLine(out, "SKIP "))
			}
			t.Logf("run.sh %s:\n%s", name, out)
			if err != nil {
				t.Fatalf("run.sh %s: %v", name, err)
			}
			// One pass per mode: plain HTTP and TLS.
			if !strings.Contains(string(out), "interop: 2 passed, 0 failed, 0 skipped") {
				t.Fatalf("run.sh %s exited 0 without reporting two passing runs", name)
			}
		})
	}
}

// firstLine returns the first line of out that starts with prefix, or out.
func firstLine(out []byte, prefix string) string {
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return strings.TrimSpace(string(out))
}
