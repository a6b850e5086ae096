package container

import (
	"archive/tar"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	dc "github.com/ory/dockertest/v3/docker"
)

// modulePath is this module's path; the image is built from its source.
const modulePath = "github.com/introspectmock/introspectmock"

// buildTimeout bounds building the image (go build and docker build).
const buildTimeout = 10 * time.Minute

// devRepository is the repository of the images built from the module
// source: introspectmock:dev-<hash>.
const devRepository = "introspectmock"

// keepDevImages is how many images of the dev repository a build keeps:
// the new one and the most recent others (another checkout's, the one
// before a `git switch`); older ones are removed unless a container uses
// them.
const keepDevImages = 4

// image returns the image to run for o. An image named explicitly (o.from
// says by what) is used as given, never built: it must exist. Otherwise it
// is the image of this module's source, built if missing (see devImage).
func (d *dockerClient) image(tb testing.TB, o options) (string, error) {
	if o.from == "" {
		return d.devImage(tb, o.devRepo)
	}
	ok, err := d.hasImage(o.image)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("image %s (named by %s) not found: an image named explicitly is used as given, never built; "+
			"build or pull it first, or name none to run one built from this module's source", o.image, o.from)
	}
	return o.image, nil
}

// devImage returns repo:dev-<hash>, the image of this module's source, and
// builds it if the daemon lacks it. The hash is of the binary that the go
// command builds from the source now and of the Dockerfile, so a source
// change makes a new tag and no test runs a stale image; when nothing
// changed, go build is a cache hit and the image is reused.
//
// The tag is found once per process; later calls only check that the image
// is still there. The check and any build are serialised within this
// process and, through a lock file in os.TempDir, across the test binaries
// that go test runs at once; whoever waited checks again, so an image is
// built once.
func (d *dockerClient) devImage(tb testing.TB, repo string) (string, error) {
	d.buildMu.Lock()
	defer d.buildMu.Unlock()
	if ref := d.devRefs[repo]; ref != "" {
		if ok, err := d.hasImage(ref); ok || err != nil {
			return ref, err
		}
	}
	unlock, err := lockFile(filepath.Join(os.TempDir(), fmt.Sprintf("introspectmock-image-build-%d.lock", os.Getuid())))
	if err != nil {
		return "", fmt.Errorf("lock for building the image: %w", err)
	}
	defer unlock()

	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	t0 := time.Now()
	dir, err := moduleDir(ctx)
	if err != nil {
		return "", err
	}
	goarch := d.goarch()
	bin, done, err := binPath(dir, goarch)
	if err != nil {
		return "", err
	}
	defer done()
	src, err := buildSource(ctx, dir, goarch, bin)
	if err != nil {
		return "", err
	}
	ref := repo + ":" + devTag(src.binary, src.dockerfile)
	ok, err := d.hasImage(ref)
	if err != nil {
		return "", err
	}
	if ok {
		tb.Logf("container: image %s is this module's source (%s; checked in %v)", ref, src.dir, time.Since(t0).Round(time.Millisecond))
	} else {
		tb.Logf("container: image %s not found; building it from the module source in %s", ref, src.dir)
		if err := d.buildImage(ctx, ref, src); err != nil {
			return "", fmt.Errorf("build image %s: %w", ref, err)
		}
		tb.Logf("container: built image %s in %v", ref, time.Since(t0).Round(time.Millisecond))
		d.pruneDevImages(tb, repo, ref, keepDevImages)
	}
	if d.devRefs == nil {
		d.devRefs = map[string]string{}
	}
	d.devRefs[repo] = ref
	return ref, nil
}

// devTag returns the tag of the image holding binary, built with
// dockerfile: "dev-" and the first 12 hex digits of a SHA-256 of both.
func devTag(binary, dockerfile []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "introspectmock binary %d\n", len(binary))
	h.Write(binary)
	fmt.Fprintf(h, "\nDockerfile %d\n", len(dockerfile))
	h.Write(dockerfile)
	return "dev-" + hex.EncodeToString(h.Sum(nil))[:12]
}

// source is what an image is built from.
type source struct {
	dir        string // the module's source directory
	binary     []byte // ./cmd/introspectmock, static, for the daemon's platform
	dockerfile []byte
}

// buildSource builds the binary of the module in dir at bin with the go
// command (static, for goarch, -trimpath and without VCS stamping, so that
// it depends on the source alone, not on where it is nor on commits) and
// reads the module's Dockerfile. When bin holds the binary of an unchanged
// source, go build is a cache hit that leaves it alone (no link).
//
// It also opens the Dockerfile, go.mod, go.sum and the directories (and
// embedded files) of the module's packages that the binary is built from,
// so that go test's result cache, which sees the files a test opens, runs
// the test again after any of them changed instead of reporting a result
// for the old source.
func buildSource(ctx context.Context, dir, goarch, bin string) (*source, error) {
	dockerfile, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch,
		"GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false")

	// The file list, beside the build: it takes a fraction of its time.
	var (
		listOut []byte
		listErr error
		listed  = make(chan struct{})
	)
	go func() {
		defer close(listed)
		var stderr bytes.Buffer
		list := exec.CommandContext(ctx, goCommand(), "list", "-deps", "-f",
			`{{with .Module}}{{if .Main}}{{$.Dir}}{{range $.EmbedFiles}}{{"\n"}}{{$.Dir}}/{{.}}{{end}}{{"\n"}}{{end}}{{end}}`,
			"./cmd/introspectmock")
		list.Dir, list.Env, list.Stderr = dir, env, &stderr
		if listOut, listErr = list.Output(); listErr != nil {
			listErr = fmt.Errorf("go list -deps ./cmd/introspectmock in %s: %w\n%s", dir, listErr, stderr.Bytes())
		}
	}()

	cmd := exec.CommandContext(ctx, goCommand(), "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/introspectmock")
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	<-listed
	if err != nil {
		return nil, fmt.Errorf("go build ./cmd/introspectmock in %s: %w\n%s", dir, err, out)
	}
	if listErr != nil {
		return nil, listErr
	}
	binary, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	for _, p := range append(strings.Split(string(listOut), "\n"), filepath.Join(dir, "go.mod"), filepath.Join(dir, "go.sum")) {
		if p == "" {
			continue
		}
		if f, err := os.Open(p); err == nil { // only for go test's cache
			f.Close()
		}
	}
	return &source{dir: dir, binary: binary, dockerfile: dockerfile}, nil
}

// binPath returns where devImage has the go command write the binary of
// the module in dir for goarch, and a function to call when done with it:
// a path of their own in the user's cache directory (the temporary
// directory without one), kept between runs so that an unchanged source
// is not linked again. Where lockFile cannot exclude other processes, a
// new temporary directory instead, removed by done.
func binPath(dir, goarch string) (bin string, done func(), err error) {
	if !lockExcludes {
		tmp, err := os.MkdirTemp("", "introspectmock-build-")
		if err != nil {
			return "", nil, err
		}
		return filepath.Join(tmp, "introspectmock"), func() { os.RemoveAll(tmp) }, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	key := sha256.Sum256([]byte(dir + "\x00" + goarch))
	bin = filepath.Join(base, "introspectmock", "testkit-container", hex.EncodeToString(key[:6]), "introspectmock")
	return bin, func() {}, os.MkdirAll(filepath.Dir(bin), 0o700)
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

// buildImage builds image ref from src with a build context holding just
// its binary and Dockerfile.
func (d *dockerClient) buildImage(ctx context.Context, ref string, src *source) error {
	var buildCtx bytes.Buffer
	tw := tar.NewWriter(&buildCtx)
	now := time.Now()
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{
		{"Dockerfile", 0o644, src.dockerfile},
		{"introspectmock", 0o755, src.binary},
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

// pruneDevImages removes the images of repo:dev-* but the keep most
// recent (current among them). It never forces: Docker refuses to remove
// an image that a container, running or stopped, uses, and such an image
// stays. Failures are logged, not returned: a build succeeded.
func (d *dockerClient) pruneDevImages(tb testing.TB, repo, current string, keep int) {
	images, err := d.pool.Client.ListImages(dc.ListImagesOptions{Filters: map[string][]string{"reference": {repo + ":dev-*"}}})
	if err != nil {
		tb.Logf("container: list older images to remove: %v", err)
		return
	}
	slices.SortFunc(images, func(a, b dc.APIImages) int {
		if slices.Contains(a.RepoTags, current) != slices.Contains(b.RepoTags, current) {
			if slices.Contains(a.RepoTags, current) {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.Created, a.Created) // newest first
	})
	for _, img := range images[min(keep, len(images)):] {
		for _, tag := range img.RepoTags {
			if !strings.HasPrefix(tag, repo+":dev-") || tag == current {
				continue
			}
			if err := d.pool.Client.RemoveImageExtended(tag, dc.RemoveImageOptions{}); err != nil {
				tb.Logf("container: kept older image %s: %v", tag, err)
			} else {
				tb.Logf("container: removed older image %s", tag)
			}
		}
	}
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
