package container

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	dc "github.com/ory/dockertest/v3/docker"
)

// modulePath is this module's path; the image is built from its source.
const modulePath = "github.com/introspectmock/introspectmock"

// buildTimeout bounds building a missing image (go build and docker build).
const buildTimeout = 10 * time.Minute

// ensureImage builds image ref from the module source unless the daemon
// has it. Builds are serialised within this process and, through a lock
// file in os.TempDir, across the test binaries that go test runs at once;
// whoever waited checks again, so the image is built once.
func (d *dockerClient) ensureImage(tb testing.TB, ref string) error {
	d.buildMu.Lock()
	defer d.buildMu.Unlock()
	if ok, err := d.hasImage(ref); ok || err != nil {
		return err
	}
	unlock, err := lockFile(filepath.Join(os.TempDir(), fmt.Sprintf("introspectmock-image-build-%d.lock", os.Getuid())))
	if err != nil {
		return fmt.Errorf("lock for building image %s: %w", ref, err)
	}
	defer unlock()
	if ok, err := d.hasImage(ref); ok || err != nil {
		return err // built by another process meanwhile
	}
	tb.Logf("container: image %s not found; building it from the module source", ref)
	t0 := time.Now()
	if err := d.buildImage(ref); err != nil {
		return fmt.Errorf("image %s not found; building it: %w", ref, err)
	}
	tb.Logf("container: built image %s in %v", ref, time.Since(t0).Round(time.Millisecond))
	return nil
}

func (d *dockerClient) hasImage(ref string) (bool, error) {
	_, err := d.pool.Client.InspectImage(ref)
	switch {
	case errors.Is(err, dc.ErrNoSuchImage):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("inspect image %s: %w", ref, err)
	}
	return true, nil
}

// buildImage builds the binary with the go command (static, for the
// daemon's platform) from the module source, then image ref from the
// module's Dockerfile with a build context holding just the two.
func (d *dockerClient) buildImage(ref string) error {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	dir, err := moduleDir(ctx)
	if err != nil {
		return err
	}
	dockerfile, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "introspectmock-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "introspectmock")
	cmd := exec.CommandContext(ctx, goCommand(), "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/introspectmock")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"CGO_ENABLED=0", "GOOS=linux", "GOARCH="+d.goarch(),
		"GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/introspectmock in %s: %w\n%s", dir, err, out)
	}
	binary, err := os.ReadFile(bin)
	if err != nil {
		return err
	}

	var buildCtx bytes.Buffer
	tw := tar.NewWriter(&buildCtx)
	now := time.Now()
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{
		{"Dockerfile", 0o644, dockerfile},
		{"introspectmock", 0o755, binary},
	} {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: now})
		tw.Write(f.data)
	}
	tw.Close() // writes to a bytes.Buffer cannot fail

	var out bytes.Buffer
	if err := d.pool.Client.BuildImage(dc.BuildImageOptions{
		Context:             ctx,
		Name:                ref,
		InputStream:         &buildCtx,
		OutputStream:        &out,
		RmTmpContainer:      true,
		ForceRmTmpContainer: true,
	}); err != nil {
		return fmt.Errorf("docker build: %w\n%s", err, lastLines(out.String(), 20))
	}
	if ok, err := d.hasImage(ref); !ok || err != nil {
		return fmt.Errorf("docker build reported success but image is missing (%v)\n%s", err, lastLines(out.String(), 20))
	}
	return nil
}

// moduleDir returns the directory of this module's source: the main
// module when testing this repository, the module cache (or a replace
// directory) when a user's module requires it. It asks the go command in
// the test's working directory, that is, in the module under test.
func moduleDir(ctx context.Context) (string, error) {
	var errs []error
	// -mod=mod: a vendor directory holds no cmd/ nor Dockerfile of ours.
	for _, args := range [][]string{
		{"list", "-m", "-f", "{{.Dir}}", modulePath},
		{"list", "-mod=mod", "-m", "-f", "{{.Dir}}", modulePath},
	} {
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, goCommand(), args...)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		dir := strings.TrimSpace(string(out))
		if err == nil && dir != "" {
			return dir, nil
		}
		if err == nil {
			err = errors.New("no directory")
		}
		errs = append(errs, fmt.Errorf("go %s: %w %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String())))
	}
	return "", fmt.Errorf("cannot find the source of %s to build the image; build it yourself (see its Dockerfile) or name one with WithImage: %w",
		modulePath, errors.Join(errs...))
}

// goCommand returns the go command: the one on PATH, else the one of the
// toolchain that built this test.
func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// goarch returns the GOARCH of the daemon's machine, so that a daemon on
// another platform (an arm64 VM, a remote host) gets a binary it runs.
func (d *dockerClient) goarch() string {
	info, err := d.pool.Client.Info()
	if err != nil {
		return runtime.GOARCH
	}
	switch info.Architecture {
	case "x86_64", "amd64":
		return "amd64"
	case "aarch64", "arm64":
		return "arm64"
	case "armv7l", "armv6l", "arm":
		return "arm"
	case "s390x", "ppc64le", "riscv64":
		return info.Architecture
	}
	return runtime.GOARCH
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
