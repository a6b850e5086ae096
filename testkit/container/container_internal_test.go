package container

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dc "github.com/ory/dockertest/v3/docker"

	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit"
)

// dockerForTest returns the process's Docker connection, or skips (fails
// with INTROSPECTMOCK_REQUIRE_DOCKER=1) without one.
func dockerForTest(t *testing.T) *dockerClient {
	t.Helper()
	d, err := procs.docker()
	if err != nil {
		if requireDocker() {
			t.Fatalf("%v (%s=1 requires Docker)", err, RequireDockerEnv)
		}
		t.Skipf("skipping: %v; set %s=1 to fail instead", err, RequireDockerEnv)
	}
	return d
}

// exists reports whether container id exists.
func exists(t *testing.T, d *dockerClient, id string) bool {
	t.Helper()
	_, err := d.pool.Client.InspectContainer(id)
	var missing *dc.NoSuchContainer
	switch {
	case errors.As(err, &missing):
		return false
	case err != nil:
		t.Fatalf("inspect %s: %v", id, err)
	}
	return true
}

// containerIDs returns the ids of r's containers.
func containerIDs(r *registry) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, e := range r.entries {
		select {
		case <-e.ready:
			if e.c != nil {
				ids = append(ids, e.c.id)
			}
		default:
		}
	}
	return ids
}

// hostOf returns scheme://host:port of a Server URL.
func hostOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Scheme + "://" + u.Host
}

func TestSharedContainerRemovedWithLastUser(t *testing.T) {
	d := dockerForTest(t)
	r := newRegistry()
	var id string
	t.Run("users", func(t *testing.T) {
		a, b := start(t, r), start(t, r)
		if hostOf(t, a.URL()) != hostOf(t, b.URL()) || a.URL() == b.URL() {
			t.Fatalf("URLs %s and %s: want one container, two namespaces", a.URL(), b.URL())
		}
		ids := containerIDs(r)
		if len(ids) != 1 {
			t.Fatalf("%d containers; want 1", len(ids))
		}
		id = ids[0]
		info, err := d.pool.Client.InspectContainer(id)
		if err != nil {
			t.Fatal(err)
		}
		wd, _ := os.Getwd()
		for k, want := range map[string]string{Label: "1", Label + ".pid": fmt.Sprint(os.Getpid()), Label + ".dir": wd} {
			if got := info.Config.Labels[k]; got != want {
				t.Errorf("label %s = %q; want %q (it tells leftovers' origin)", k, got, want)
			}
		}
		a.Close() // one user done: the container stays for the other
		if !exists(t, d, id) {
			t.Fatal("container removed while a test still uses it")
		}
		tok, _ := b.AddToken(mockserver.Token{ExpiresIn: time.Hour})
		if !introspect(t, b, b.ClientID(), b.ClientSecret(), tok) {
			t.Error("token inactive in the remaining namespace")
		}
	})
	if id == "" {
		t.FailNow()
	}
	if exists(t, d, id) {
		t.Errorf("container %.12s still exists after its last user's cleanup", id)
	}
	if n := len(containerIDs(r)); n != 0 {
		t.Errorf("registry holds %d containers; want 0", n)
	}
}

func TestHoldKeepsContainerUntilShutdown(t *testing.T) {
	d := dockerForTest(t)
	r := newRegistry()
	r.setHold(true) // as Main does
	t.Cleanup(func() { r.shutdown() })
	var ids [2][]string
	for i := range ids {
		t.Run(fmt.Sprint("test", i), func(t *testing.T) {
			start(t, r)
			ids[i] = containerIDs(r)
		})
	}
	if len(ids[0]) != 1 || fmt.Sprint(ids[0]) != fmt.Sprint(ids[1]) {
		t.Fatalf("containers of two tests in a row: %v, %v; want the same one", ids[0], ids[1])
	}
	if !exists(t, d, ids[0][0]) {
		t.Fatal("container removed although held")
	}
	if err := r.shutdown(); err != nil {
		t.Fatal(err)
	}
	if exists(t, d, ids[0][0]) {
		t.Error("container exists after shutdown")
	}
}

func TestFixturesKeyTheContainer(t *testing.T) {
	dockerForTest(t)
	dir := t.TempDir()
	write := func(name, who string) string {
		p := filepath.Join(dir, name)
		yaml := fmt.Sprintf("clients:\n  - client_id: rs-%s\n    client_secret: secret-%s\ntokens:\n  - token: tok-%s\n    exp: +1h\n", who, who, who)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil { // not world-readable: copied anyway
			t.Fatal(err)
		}
		return p
	}
	pathA, pathB := write("a.yaml", "a"), write("b.yaml", "b")
	sameAsA := write("copy/a.yaml", "a") // same name and content elsewhere: a directory of it
	r := newRegistry()
	a := start(t, r, WithFixtures(pathA))
	b := start(t, r, WithFixtures(pathB))
	a2 := start(t, r, WithFixtures(filepath.Dir(sameAsA)))
	if hostOf(t, a.URL()) == hostOf(t, b.URL()) {
		t.Errorf("different fixtures share container %s", hostOf(t, a.URL()))
	}
	if hostOf(t, a.URL()) != hostOf(t, a2.URL()) {
		t.Errorf("same fixtures in two places: containers %s and %s; want one", hostOf(t, a.URL()), hostOf(t, a2.URL()))
	}
	tests := []struct {
		name         string
		s            *testkit.Server
		id, secret   string
		token        string
		wantActive   bool
		wantNoAccess bool
	}{
		{name: "a own token", s: a, id: "rs-a", secret: "secret-a", token: "tok-a", wantActive: true},
		{name: "a other token", s: a, id: "rs-a", secret: "secret-a", token: "tok-b"},
		{name: "b own token", s: b, id: "rs-b", secret: "secret-b", token: "tok-b", wantActive: true},
		{name: "b default caller", s: b, id: b.ClientID(), secret: b.ClientSecret(), token: "tok-b", wantActive: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := introspect(t, tt.s, tt.id, tt.secret, tt.token); got != tt.wantActive {
				t.Errorf("active = %v; want %v", got, tt.wantActive)
			}
		})
	}
}

func TestFailureShowsLogsAndRemovesContainer(t *testing.T) {
	d := dockerForTest(t)
	base, err := d.devImage(t, devRepository)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cmd     string // CMD of an image FROM the one built from the source
		wantErr string
		wantLog string
	}{
		{"exits", `["--tls-cert=/missing.pem", "--tls-key=/missing.pem"]`, "container exited", "missing.pem"},
		// Listening on the container's loopback: never reachable.
		{"never healthy", `["--addr=127.0.0.1:8080"]`, "not healthy within 3s", "127.0.0.1:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ref := buildTestImage(t, d, "FROM "+base+"\nCMD "+tt.cmd+"\n")
			f := &fakeTB{TB: t}
			f.run(func(tb testing.TB) {
				start(tb, newRegistry(), WithImage(ref), func(o *options) error {
					o.startTimeout = 3 * time.Second
					return nil
				})
			})
			t.Logf("failure message:\n%s", f.fatal)
			for _, want := range []string{tt.wantErr, "container log lines:", tt.wantLog} {
				if !strings.Contains(f.fatal, want) {
					t.Errorf("failure message does not contain %q:\n%s", want, f.fatal)
				}
			}
			left, err := d.pool.Client.ListContainers(dc.ListContainersOptions{All: true, Filters: map[string][]string{"ancestor": {ref}}})
			if err != nil {
				t.Fatal(err)
			}
			if len(left) > 0 {
				t.Errorf("%d containers of %s left behind", len(left), ref)
			}
		})
	}
}

// buildTestImage builds an image from dockerfile alone, removed by
// t.Cleanup, and returns its tag.
func buildTestImage(t *testing.T, d *dockerClient, dockerfile string) string {
	t.Helper()
	ref := fmt.Sprintf("introspectmock-test:%d-%d", os.Getpid(), testImages.Add(1))
	t.Cleanup(func() { removeImage(t, d, ref) })
	var buildCtx bytes.Buffer
	tw := tar.NewWriter(&buildCtx)
	tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile))})
	tw.Write([]byte(dockerfile))
	tw.Close()
	var out bytes.Buffer
	d.buildMu.Lock() // the shared client is not safe for concurrent builds
	defer d.buildMu.Unlock()
	if err := d.pool.Client.BuildImage(dc.BuildImageOptions{Name: ref, InputStream: &buildCtx, OutputStream: &out, RmTmpContainer: true, ForceRmTmpContainer: true}); err != nil {
		t.Fatalf("build %s: %v\n%s", ref, err, out.String())
	}
	return ref
}

var testImages atomic.Int64

func removeImage(t *testing.T, d *dockerClient, ref string) {
	err := d.pool.Client.RemoveImageExtended(ref, dc.RemoveImageOptions{Force: true})
	if err != nil && !errors.Is(err, dc.ErrNoSuchImage) {
		t.Errorf("remove image %s: %v", ref, err)
	}
}

func TestBadFixturesFailBeforeDocker(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("tokens:\n  - token: x\n    exp: 1 hour\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newRegistry()
	f := &fakeTB{TB: t}
	f.run(func(tb testing.TB) { start(tb, r, WithFixtures(bad)) })
	if !strings.Contains(f.fatal, "bad.yaml:3:") || !strings.Contains(f.fatal, "exp") {
		t.Errorf("failure %q; want the file, line and field of the mistake", f.fatal)
	}
	if r.d != nil || len(r.entries) != 0 {
		t.Error("a container was started for bad fixtures")
	}
}

func TestNoDaemon(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	t.Setenv("DOCKER_CERT_PATH", "")
	tests := []struct {
		name       string
		give       string // INTROSPECTMOCK_REQUIRE_DOCKER
		wantSkip   bool
		wantInText string
	}{
		{"skips", "", true, "set INTROSPECTMOCK_REQUIRE_DOCKER=1 to fail instead"},
		{"fails when required", "1", false, "INTROSPECTMOCK_REQUIRE_DOCKER=1 requires Docker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(RequireDockerEnv, tt.give)
			f := &fakeTB{TB: t}
			f.run(func(tb testing.TB) { start(tb, newRegistry()) })
			got := f.fatal
			if tt.wantSkip {
				got = f.skip
			}
			for _, want := range []string{"no Docker daemon at unix:///nonexistent/docker.sock", tt.wantInText} {
				if !strings.Contains(got, want) {
					t.Errorf("skip %q, fatal %q; want the %s message to contain %q", f.skip, f.fatal, tt.name, want)
				}
			}
		})
	}
}

// devRepoForTest returns a repository of its own for images built from the
// source, removed with all its images by t.Cleanup, and an Option that
// makes Start use it.
func devRepoForTest(t *testing.T, d *dockerClient) (string, Option) {
	t.Helper()
	repo := fmt.Sprintf("introspectmock-test-%d-%d", os.Getpid(), testImages.Add(1))
	removeAll := func() {
		images, err := d.pool.Client.ListImages(dc.ListImagesOptions{Filters: map[string][]string{"reference": {repo}}})
		if err != nil {
			t.Errorf("list images of %s: %v", repo, err)
		}
		for _, img := range images {
			for _, tag := range img.RepoTags {
				removeImage(t, d, tag)
			}
		}
	}
	removeAll()
	t.Cleanup(removeAll)
	return repo, func(o *options) error { o.devRepo = repo; return nil }
}

func TestBuildsImageFromSourceOnce(t *testing.T) {
	d := dockerForTest(t)
	repo, useRepo := devRepoForTest(t, d)
	r := newRegistry()
	fs := make([]*fakeTB, 2)
	images := make([]string, len(fs))
	var wg sync.WaitGroup
	for i := range fs {
		fs[i] = &fakeTB{TB: t}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fs[i].run(func(tb testing.TB) {
				// Two admin tokens: two containers, both needing the image.
				s := start(tb, r, useRepo, WithAdminToken(fmt.Sprint("admin-", i)))
				tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
				if !introspect(t, s, s.ClientID(), s.ClientSecret(), tok) {
					tb.Errorf("token inactive in a container of the built image")
				}
				images[i] = imageOf(t, d, s)
			})
		}()
	}
	wg.Wait()
	builds := 0
	for _, f := range fs {
		if f.fatal != "" || len(f.errors) > 0 {
			t.Errorf("fatal %q, errors %q", f.fatal, f.errors)
		}
		for _, l := range f.logs {
			if strings.Contains(l, "building it from the module source") {
				builds++
			}
		}
	}
	if builds != 1 {
		t.Errorf("image built %d times; want once", builds)
	}
	want := regexp.MustCompile("^" + regexp.QuoteMeta(repo) + ":dev-[0-9a-f]{12}$")
	if images[0] != images[1] || !want.MatchString(images[0]) {
		t.Errorf("containers of images %q; want one image matching %s", images, want)
	}

	// The image is there: another process (a fresh registry and
	// connection) finds the same tag and builds nothing.
	f := &fakeTB{TB: t}
	f.run(func(tb testing.TB) {
		s := start(tb, newRegistry(), useRepo)
		if got := imageOf(t, d, s); got != images[0] {
			tb.Errorf("second run's image %s; want %s", got, images[0])
		}
	})
	for _, l := range f.logs {
		if strings.Contains(l, "building") {
			t.Errorf("image built again for an unchanged source: %s", l)
		}
	}
	if f.fatal != "" || len(f.errors) > 0 {
		t.Errorf("second run: fatal %q, errors %q", f.fatal, f.errors)
	}
}

// imageOf returns the image (as named when it was created) of the
// container behind s.
func imageOf(t *testing.T, d *dockerClient, s *testkit.Server) string {
	t.Helper()
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	list, err := d.pool.Client.ListContainers(dc.ListContainersOptions{All: true, Filters: map[string][]string{"label": {Label + "=1"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		for _, p := range c.Ports {
			if fmt.Sprint(p.PublicPort) == u.Port() && p.PrivatePort == 8080 {
				return c.Image
			}
		}
	}
	t.Fatalf("no container publishes %s", u.Host)
	return ""
}

func TestNamedImageIsNeverBuilt(t *testing.T) {
	d := dockerForTest(t)
	missing := fmt.Sprintf("introspectmock-test-missing:%d", os.Getpid())
	removeImage(t, d, missing)
	base, err := d.devImage(t, devRepository)
	if err != nil {
		t.Fatal(err)
	}
	present := buildTestImage(t, d, "FROM "+base+"\nLABEL introspectmock.test.named=1\n")
	tests := []struct {
		name      string
		env       string // INTROSPECTMOCK_IMAGE
		opts      []Option
		wantFatal []string // "": starts a container of wantImage
		wantImage string
	}{
		{name: "WithImage missing", opts: []Option{WithImage(missing)},
			wantFatal: []string{"image " + missing + " (named by WithImage) not found", "never built"}},
		{name: "env missing", env: missing,
			wantFatal: []string{"image " + missing + " (named by $INTROSPECTMOCK_IMAGE) not found", "never built"}},
		{name: "WithImage present", opts: []Option{WithImage(present)}, wantImage: present},
		{name: "env present", env: present, wantImage: present},
		{name: "WithImage wins over env", env: missing, opts: []Option{WithImage(present)}, wantImage: present},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(ImageEnv, tt.env)
			f := &fakeTB{TB: t}
			f.run(func(tb testing.TB) {
				s := start(tb, newRegistry(), tt.opts...)
				if got := imageOf(t, d, s); got != tt.wantImage {
					tb.Errorf("container of image %s; want %s", got, tt.wantImage)
				}
			})
			for _, want := range tt.wantFatal {
				if !strings.Contains(f.fatal, want) {
					t.Errorf("failure %q; want it to contain %q", f.fatal, want)
				}
			}
			if tt.wantFatal == nil && f.fatal != "" || len(f.errors) > 0 {
				t.Errorf("fatal %q, errors %q", f.fatal, f.errors)
			}
			for _, l := range f.logs {
				if strings.Contains(l, "build") || strings.Contains(l, "module source") {
					t.Errorf("log %q: the image built from the source was looked for", l)
				}
			}
			if ok, err := d.hasImage(missing); ok || err != nil {
				t.Errorf("image %s exists (%v): built although named", missing, err)
			}
		})
	}
}

func TestNewOptionsImage(t *testing.T) {
	tests := []struct {
		name     string
		env      string
		opts     []Option
		wantRef  string
		wantFrom string
	}{
		{name: "none: built from the source"},
		{name: "env", env: "ci/introspectmock:123", wantRef: "ci/introspectmock:123", wantFrom: "$INTROSPECTMOCK_IMAGE"},
		{name: "WithImage", opts: []Option{WithImage("mine:1")}, wantRef: "mine:1", wantFrom: "WithImage"},
		{name: "WithImage wins", env: "ci/introspectmock:123", opts: []Option{WithImage("mine:1")}, wantRef: "mine:1", wantFrom: "WithImage"},
		{name: "env names the default", env: DefaultImage},
		{name: "WithImage names the default", env: "ci/introspectmock:123", opts: []Option{WithImage(DefaultImage)}},
		{name: "a dev tag is explicit", opts: []Option{WithImage(DefaultImage + "-0123456789ab")}, wantRef: DefaultImage + "-0123456789ab", wantFrom: "WithImage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(ImageEnv, tt.env)
			o, err := newOptions(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if o.image != tt.wantRef || o.from != tt.wantFrom || o.devRepo != devRepository {
				t.Errorf("image %q from %q, dev repository %q; want %q from %q, %q", o.image, o.from, o.devRepo, tt.wantRef, tt.wantFrom, devRepository)
			}
		})
	}
}

func TestDevTag(t *testing.T) {
	valid := regexp.MustCompile(`^dev-[0-9a-f]{12}$`)
	bin, df := []byte("\x7fELF binary"), []byte("FROM scratch\n")
	tests := []struct {
		name      string
		bin1, df1 []byte
		bin2, df2 []byte
		wantEqual bool
	}{
		{"same input", bin, df, bytes.Clone(bin), bytes.Clone(df), true},
		{"binary changed", bin, df, []byte("\x7fELF binarY"), df, false},
		{"Dockerfile changed", bin, df, bin, []byte("FROM scratch\nUSER 1\n"), false},
		{"bytes moved between them", []byte("ab"), []byte("c"), []byte("a"), []byte("bc"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tag1, tag2 := devTag(tt.bin1, tt.df1), devTag(tt.bin2, tt.df2)
			if !valid.MatchString(tag1) || !valid.MatchString(tag2) {
				t.Errorf("tags %q, %q; want them to match %s", tag1, tag2, valid)
			}
			if (tag1 == tag2) != tt.wantEqual {
				t.Errorf("tags %q and %q: equal = %v; want %v", tag1, tag2, tag1 == tag2, tt.wantEqual)
			}
		})
	}
}

// TestSourceChangeMakesNewTag builds the binary from copies of the
// module's source as devImage does: the same source gives the same tag,
// also in another directory; a change to Go code or to an embedded file
// gives a new one.
func TestSourceChangeMakesNewTag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary three times")
	}
	ctx := context.Background()
	dir, err := moduleDir(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tagOf := func(t *testing.T, dir string) string {
		t.Helper()
		src, err := buildSource(ctx, dir, runtime.GOARCH, filepath.Join(t.TempDir(), "introspectmock"))
		if err != nil {
			t.Fatal(err)
		}
		return devTag(src.binary, src.dockerfile)
	}
	orig := copySource(t, dir)
	want := tagOf(t, orig)
	if got := tagOf(t, orig); got != want {
		t.Fatalf("same source built twice: tags %s and %s", want, got)
	}
	if got := tagOf(t, copySource(t, dir)); got != want {
		t.Errorf("same source in another directory: tag %s; want %s", got, want)
	}
	tests := []struct {
		name     string
		file     string // in the module
		old, new string
	}{
		{"Go code", "cmd/introspectmock/version.go", `"(devel)"`, `"(devel, changed)"`},
		{"embedded fixture", "cmd/introspectmock/demo/demo.yaml", "demo-active", "demo-Active"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed := copySource(t, dir)
			p := filepath.Join(changed, filepath.FromSlash(tt.file))
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(data, []byte(tt.old)) {
				t.Fatalf("%s holds no %q to change", tt.file, tt.old)
			}
			if err := os.WriteFile(p, bytes.Replace(data, []byte(tt.old), []byte(tt.new), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := tagOf(t, changed); got == want {
				t.Errorf("tag %s after changing %s; want a new one", got, tt.file)
			}
		})
	}
}

// copySource copies what the binary is built from (go.mod, go.sum, the
// Dockerfile and the module's packages that ./cmd/introspectmock imports,
// without tests) from the module in dir to a new directory.
func copySource(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command(goCommand(), "list", "-deps", "-f", "{{with .Module}}{{if .Main}}{{$.Dir}}{{end}}{{end}}", "./cmd/introspectmock")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dst := t.TempDir()
	copyFile := func(from, to string) {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"go.mod", "go.sum", "Dockerfile"} {
		copyFile(filepath.Join(dir, f), filepath.Join(dst, f))
	}
	for _, pkg := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		err := filepath.WalkDir(pkg, func(p string, e fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case e.IsDir() && e.Name() == "testdata":
				return filepath.SkipDir
			case e.IsDir() || strings.HasSuffix(p, "_test.go"):
				return nil
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			copyFile(p, filepath.Join(dst, rel))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestPruneDevImages(t *testing.T) {
	d := dockerForTest(t)
	base, err := d.devImage(t, devRepository)
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := devRepoForTest(t, d)
	tag := func(name string) string {
		ref := buildTestImage(t, d, fmt.Sprintf("FROM %s\nLABEL introspectmock.test.prune=%s\n", base, name))
		if err := d.pool.Client.TagImage(ref, dc.TagImageOptions{Repo: repo, Tag: name}); err != nil {
			t.Fatal(err)
		}
		removeImage(t, d, ref) // untags it: repo:name is its only tag
		return repo + ":" + name
	}
	old, inUse, other, current := tag("dev-000000000001"), tag("dev-000000000002"), tag("other"), tag("dev-000000000003")
	c, err := d.pool.Client.CreateContainer(dc.CreateContainerOptions{Config: &dc.Config{Image: inUse, Labels: map[string]string{Label: "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.pool.Client.RemoveContainer(dc.RemoveContainerOptions{ID: c.ID, Force: true})
		removeImage(t, d, inUse) // after its container
	})

	f := &fakeTB{TB: t}
	d.pruneDevImages(f, repo, current, 1)
	t.Logf("prune log: %q", f.logs)
	for _, tt := range []struct {
		ref  string
		want bool
	}{{old, false}, {inUse, true}, {other, true}, {current, true}} {
		if ok, err := d.hasImage(tt.ref); ok != tt.want || err != nil {
			t.Errorf("after prune, image %s exists = %v (%v); want %v", tt.ref, ok, err, tt.want)
		}
	}
}

func TestLockFileExcludes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	p := filepath.Join(t.TempDir(), "build.lock")
	unlock, err := lockFile(p)
	if err != nil {
		t.Fatal(err)
	}
	acquired := make(chan func())
	go func() {
		u, err := lockFile(p) // another open file description: as another process
		if err != nil {
			t.Error(err)
		}
		acquired <- u
	}()
	select {
	case u := <-acquired:
		u()
		t.Fatal("second lock taken while the first is held")
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	(<-acquired)()
}

func TestModuleDir(t *testing.T) {
	dir, err := moduleDir(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(mod), "module "+modulePath+"\n") {
		t.Errorf("%s/go.mod starts %q; want module %s", dir, strings.SplitN(string(mod), "\n", 2)[0], modulePath)
	}
	if _, err := os.Stat(filepath.Join(dir, "Dockerfile")); err != nil {
		t.Error(err)
	}
}

func TestPublishHost(t *testing.T) {
	tests := []struct {
		give               string
		wantHost, wantBind string
	}{
		{"unix:///var/run/docker.sock", "127.0.0.1", "127.0.0.1"},
		{"npipe:////./pipe/docker_engine", "127.0.0.1", "127.0.0.1"},
		{"tcp://127.0.0.1:2375", "127.0.0.1", "127.0.0.1"},
		{"tcp://localhost:2375", "127.0.0.1", "127.0.0.1"},
		{"tcp://[::1]:2375", "127.0.0.1", "127.0.0.1"},
		{"tcp://build-host.example:2376", "build-host.example", ""},
		{"https://10.0.0.5:2376", "10.0.0.5", ""},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			host, bind := publishHost(tt.give)
			if host != tt.wantHost || bind != tt.wantBind {
				t.Errorf("publishHost = %q, %q; want %q, %q", host, bind, tt.wantHost, tt.wantBind)
			}
		})
	}
}

func TestNamespaceName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	r := newRegistry()
	tests := []struct {
		give string
		want string
	}{
		{"TestSuite/TL-5/revoked_mid-test", "t1-testsuite-tl-5-revoked_mid-test"},
		{"TestX/#00", "t2-testx-00"},
		{strings.Repeat("TestLong", 20), "t3-" + strings.Repeat("testlong", 20)[:60]},
		{"Test Ünïcode", "t4-test-n-code"},
	}
	for _, tt := range tests {
		got := r.namespaceName(tt.give)
		if got != tt.want || !valid.MatchString(got) {
			t.Errorf("namespaceName(%q) = %q; want %q, matching %s", tt.give, got, tt.want, valid)
		}
	}
}

func TestConfigKey(t *testing.T) {
	a := []fixtureFile{{name: "000-a.yaml", data: []byte("tokens: []\n")}}
	b := []fixtureFile{{name: "000-a.yaml", data: []byte("tokens: [] \n")}}
	base := options{devRepo: devRepository}
	tests := []struct {
		name      string
		o1, o2    options
		f1, f2    []fixtureFile
		wantEqual bool
	}{
		{"same", base, base, a, a, true},
		{"content", base, base, a, b, false},
		{"no fixtures", base, base, a, nil, false},
		{"named image", base, options{image: "other:1", devRepo: devRepository}, a, a, false},
		{"dev repository", base, options{devRepo: "other"}, a, a, false},
		{"admin token", base, options{devRepo: devRepository, adminToken: "x"}, a, a, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := configKey(tt.o1, tt.f1) == configKey(tt.o2, tt.f2); got != tt.wantEqual {
				t.Errorf("keys equal = %v; want %v", got, tt.wantEqual)
			}
		})
	}
}

// introspect asks s about token as id/secret and reports whether it is
// active.
func introspect(t testing.TB, s *testkit.Server, id, secret, token string) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.IntrospectionURL(), strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	switch string(body) {
	case `{"active":false}`:
		return false
	default:
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), `{"active":true`) {
			t.Fatalf("introspection: %d %s", resp.StatusCode, body)
		}
		return true
	}
}

// fakeTB is a testing.TB that records Fatalf, Skipf, Errorf and Logf
// instead of acting on them, and runs its cleanups when run returns.
type fakeTB struct {
	testing.TB // the real test: Name, TempDir

	mu       sync.Mutex
	fatal    string
	skip     string
	errors   []string
	logs     []string
	cleanups []func()
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.fatal = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.mu.Lock()
	f.skip = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

func (f *fakeTB) Logf(format string, args ...any) {
	f.mu.Lock()
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	f.cleanups = append(f.cleanups, fn)
	f.mu.Unlock()
}

// run calls fn on a goroutine of its own, as the testing package runs a
// test, then the cleanups, last registered first.
func (f *fakeTB) run(fn func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}
