package compose_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestComposeExample runs run.sh: both images built from source, the
// compose file up, the resource server's answers for active, revoked,
// expired and missing tokens and after a revocation through the admin
// API, then everything torn down. It needs Docker and docker-compose (or
// the compose plugin); without them it skips, unless
// INTROSPECTMOCK_REQUIRE_DOCKER=1, as in CI.
func TestComposeExample(t *testing.T) {
	required := os.Getenv("INTROSPECTMOCK_REQUIRE_DOCKER") == "1"
	if testing.Short() && !required {
		t.Skip("skipping the compose example in -short mode")
	}
	if why := missingTools(); why != "" {
		if required {
			t.Fatalf("%s; INTROSPECTMOCK_REQUIRE_DOCKER=1 requires them", why)
		}
		t.Skipf("skipping: %s; set INTROSPECTMOCK_REQUIRE_DOCKER=1 to fail instead", why)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "./run.sh")
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	t.Logf("run.sh output:\n%s", out)
	if err != nil {
		t.Fatalf("run.sh: %v", err)
	}
	if !strings.Contains(string(out), "compose example passed") {
		t.Fatal("run.sh exited 0 without reporting success")
	}
}

// missingTools says what is missing to run the example, or "".
func missingTools() string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := exec.LookPath("docker"); err != nil {
		return "the docker command is not installed"
	}
	if out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		return "no Docker daemon (docker version: " + strings.TrimSpace(string(out)) + ")"
	}
	for _, tool := range []string{"go", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " is not installed"
		}
	}
	if exec.CommandContext(ctx, "docker", "compose", "version").Run() == nil {
		return ""
	}
	if _, err := exec.LookPath("docker-compose"); err != nil {
		return "neither 'docker compose' nor docker-compose is installed"
	}
	return ""
}
