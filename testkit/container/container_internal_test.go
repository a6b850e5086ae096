package container

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
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
		t.Skipf("skipping: %v", err)
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
		a.Close() // one user done: the container stays for the other
		if !exists(t, d, id) {
			t.Fatal("container removed while a test still uses it")
		}
		tok := b.AddToken(mockserver.Token{ExpiresIn: time.Hour})
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
	if err := d.ensureImage(t, DefaultImage); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cmd     string // CMD of an image FROM DefaultImage
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
			ref := buildTestImage(t, d, "FROM "+DefaultImage+"\nCMD "+tt.cmd+"\n")
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

func TestBuildsMissingImageOnce(t *testing.T) {
	d := dockerForTest(t)
	ref := fmt.Sprintf("introspectmock-buildtest:%d", os.Getpid())
	t.Cleanup(func() { removeImage(t, d, ref) })
	removeImage(t, d, ref)
	r := newRegistry()
	fs := make([]*fakeTB, 2)
	var wg sync.WaitGroup
	for i := range fs {
		fs[i] = &fakeTB{TB: t}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fs[i].run(func(tb testing.TB) {
				// Two admin tokens: two containers, both needing the image.
				s := start(tb, r, WithImage(ref), WithAdminToken(fmt.Sprint("admin-", i)))
				tok := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
				if !introspect(t, s, s.ClientID(), s.ClientSecret(), tok) {
					tb.Errorf("token inactive in a container of the built image")
				}
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
	base := options{image: DefaultImage}
	tests := []struct {
		name      string
		o1, o2    options
		f1, f2    []fixtureFile
		wantEqual bool
	}{
		{"same", base, base, a, a, true},
		{"content", base, base, a, b, false},
		{"no fixtures", base, base, a, nil, false},
		{"image", base, options{image: "other:1"}, a, a, false},
		{"admin token", base, options{image: DefaultImage, adminToken: "x"}, a, a, false},
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
