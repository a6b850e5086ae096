// Package container runs introspectmock in Docker for integration tests and
// hands each test the same *testkit.Server that in-process tests get.
//
// Tests of one package share one container per configuration (image,
// fixtures, admin token): the first Start starts it, every test gets a
// fresh namespace of its own (/ns/{name}/...), so t.Parallel tests never see
// each other's tokens, clock, scripts or journal, and the last test to
// finish removes the container. Tests that do not overlap (run one after
// another, or under a low -parallel) then start one container each; with
// Main in TestMain the containers live until the package's tests are done
// instead, however the tests are scheduled. ID names a Server's container.
//
// Docker is reached as dockertest finds it (DOCKER_HOST, DOCKER_CERT_PATH or
// the default socket). Without a daemon Start skips the test, saying why;
// with INTROSPECTMOCK_REQUIRE_DOCKER=1 in the environment it fails it.
//
// Unless WithImage or INTROSPECTMOCK_IMAGE names an image, the image is
// built from this module's source, with the go command and the module's
// Dockerfile (no registry needed), and tagged introspectmock:dev-<hash>, a
// hash of the binary and the Dockerfile: a source change makes a new image,
// an unchanged source reuses the one there. An image named explicitly is
// used as given and never built.
//
// Only this package imports Docker code: in-process users of testkit never
// compile it.
package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/testkit"
)

// DefaultImage names the image built from this module's source, which
// Start runs unless ImageEnv or WithImage names another. It is a name, not
// a tag to run: Start runs introspectmock:dev-<hash> (see the package
// documentation), and naming DefaultImage with ImageEnv or WithImage is
// the same as naming none.
const DefaultImage = "introspectmock:dev"

// ImageEnv names the environment variable that, when set, names the image
// to run instead of one built from the source, e.g. an image built by an
// earlier CI stage. It is used as given, never built. WithImage wins over
// it.
const ImageEnv = "INTROSPECTMOCK_IMAGE"

// RequireDockerEnv names the environment variable that, set to 1 (or
// true), makes Start fail a test instead of skipping it when there is no
// Docker daemon. CI sets it so that container tests really run.
const RequireDockerEnv = "INTROSPECTMOCK_REQUIRE_DOCKER"

// Label is set to "1" on every container this package starts, so that
// `docker ps -a --filter label=introspectmock.test=1` finds leftovers.
// Label+".pid" and Label+".dir" name the process that started it and its
// working directory (the test's package directory).
const Label = "introspectmock.test"

// Option configures Start. Defaults apply first, then the options in the
// order given; an option that returns an error fails the test.
type Option func(*options) error

type options struct {
	image        string // named explicitly, or "": built from the source
	from         string // what named image: "WithImage" or "$INTROSPECTMOCK_IMAGE"
	devRepo      string // repository of the image built from the source
	fixtures     []string
	adminToken   string        // "": random per container
	startTimeout time.Duration // bound on start-to-healthy
}

// WithFixtures loads fixture files, or directories of *.yaml and *.yml
// files, into the container (see package fixtures for the format). They are
// validated here first, so errors name your files and lines, then copied
// into the container's /fixtures, read-only and readable by its non-root
// user. Each test's namespace is seeded from them. Tests with the same
// image, admin token and fixture contents share a container. Default: no
// fixtures (an empty server; not the image's demo fixtures).
func WithFixtures(paths ...string) Option {
	return func(o *options) error {
		for _, p := range paths {
			if p == "" {
				return errors.New("WithFixtures: empty path")
			}
		}
		o.fixtures = append(o.fixtures, paths...)
		return nil
	}
}

// WithImage runs image ref, as given, instead of one built from this
// module's source (or ImageEnv's). It is never built: when the daemon
// lacks it the test fails. WithImage(DefaultImage) is the default: the
// image built from the source.
func WithImage(ref string) Option {
	return func(o *options) error {
		if ref == "" {
			return errors.New("WithImage: empty image reference")
		}
		o.image, o.from = ref, "WithImage"
		return nil
	}
}

// WithAdminToken starts the container with --admin-token tok (the admin
// API then requires "Authorization: Bearer tok"), for tests that call the
// admin API themselves. Default: a random token per container, which the
// returned Server sends.
func WithAdminToken(tok string) Option {
	return func(o *options) error {
		if tok == "" {
			return errors.New("WithAdminToken: empty token")
		}
		o.adminToken = tok
		return nil
	}
}

// defaultStartTimeout bounds the wait for a new container to answer
// /healthz.
const defaultStartTimeout = 30 * time.Second

// Start returns a Server for a fresh namespace of a shared introspectmock
// container, starting the container (and building its image) if needed.
// It registers tb.Cleanup to delete the namespace and to release the
// container, which is removed once its last user is done (or, with Main,
// when the package's tests are done). Failures end the test with
// tb.Fatalf; if the container does not become healthy the message holds
// its last log lines and the container is removed. Without a Docker
// daemon the test is skipped (see RequireDockerEnv).
//
// The Server's helpers work as in testkit.Start, through the admin API,
// except Stub, which cannot run a Go function in a container. Its URL is
// the namespace's base URL, http://127.0.0.1:<random port>/ns/<name>, and
// ClientID and ClientSecret are a caller registered in the namespace.
func Start(tb testing.TB, opts ...Option) *testkit.Server {
	tb.Helper()
	return start(tb, procs, opts...)
}

// start is Start with containers shared through r.
func start(tb testing.TB, r *registry, opts ...Option) *testkit.Server {
	tb.Helper()
	var (
		srv     *testkit.Server
		release = func() error { return nil }
	)
	// Registered before anything can fail: a half-started Server or a
	// held container is released whatever happens below.
	tb.Cleanup(func() {
		err := srv.Close() // nil-safe; deletes the namespace, then releases
		if err2 := release(); err == nil {
			err = err2
		}
		if err != nil {
			tb.Errorf("container: cleanup: %v", err)
		}
	})

	o, err := newOptions(opts)
	if err != nil {
		tb.Fatalf("container: %v", err)
	}
	files, err := readFixtures(o.fixtures)
	if err != nil {
		tb.Fatalf("container: fixtures: %v", err)
	}
	d, err := r.docker()
	if err != nil {
		if requireDocker() {
			tb.Fatalf("container: %v (%s=1 requires Docker)", err, RequireDockerEnv)
		}
		tb.Skipf("container: skipping: %v; set %s=1 to fail instead", err, RequireDockerEnv)
	}

	c, rel, err := r.acquire(tb, d, configKey(o, files), o, files)
	release = rel
	if err != nil {
		tb.Fatalf("container: %v", err)
	}

	name := r.namespaceName(tb.Name())
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if err := c.createNamespace(ctx, name); err != nil {
		tb.Fatalf("container: %v%s", err, c.logTail())
	}
	srv, err = testkit.Connect(c.url+"/ns/"+name,
		testkit.WithTB(tb),
		testkit.WithAdminToken(c.adminToken),
		testkit.WithCloser(func() error {
			ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
			defer cancel()
			return c.deleteNamespace(ctx, name)
		}))
	if err != nil {
		tb.Fatalf("container: %v%s", err, c.logTail())
	}
	ids.Store(srv.URL(), c.id)
	tb.Cleanup(func() { ids.Delete(srv.URL()) })
	return srv
}

// ids maps the URL of each Server that Start returned, and is still in
// use, to its container's ID.
var ids sync.Map

// ID returns the ID of the Docker container that s, a Server from Start
// (or a view of one, s.With(t)), runs in: for docker logs, docker exec or
// docker inspect from a test. It returns "" for any other Server, and once
// the test that started s is done. Tests that share a container get the
// same ID.
func ID(s *testkit.Server) string {
	if s == nil {
		return ""
	}
	id, _ := ids.Load(s.URL())
	str, _ := id.(string)
	return str
}

// newOptions returns the defaults, ImageEnv's image and then opts applied.
func newOptions(opts []Option) (options, error) {
	o := options{devRepo: devRepository, startTimeout: defaultStartTimeout}
	if ref := os.Getenv(ImageEnv); ref != "" {
		o.image, o.from = ref, "$"+ImageEnv
	}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	if o.image == DefaultImage { // the name of the image built from the source
		o.image, o.from = "", ""
	}
	return o, nil
}

// adminTimeout bounds one admin call made by this package.
const adminTimeout = 30 * time.Second

// requireDocker reports whether RequireDockerEnv is set to a true value.
func requireDocker() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(RequireDockerEnv))) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

var nsUnsafe = regexp.MustCompile(`[^a-z0-9_-]+`)

// namespaceName returns a unique namespace name that shows which test
// holds it: "t12-testsuite-revoke-mid-test" for the 12th namespace, taken
// by TestSuite/Revoke_mid-test. Names match ^[a-z0-9][a-z0-9_-]{0,62}$.
func (r *registry) namespaceName(testName string) string {
	name := fmt.Sprintf("t%d-%s", r.nsCount.Add(1), nsUnsafe.ReplaceAllString(strings.ToLower(testName), "-"))
	if len(name) > 63 {
		name = name[:63]
	}
	return strings.TrimRight(name, "-_")
}

// Main runs the tests of a package that uses Start, keeping every
// container it starts until they are all done, then removes them and
// exits. Without Main a container is removed as soon as no test uses it,
// so tests that run one after another each start one; with Main they share
// it. Call it from TestMain:
//
//	func TestMain(m *testing.M) { container.Main(m) }
func Main(m *testing.M) {
	procs.setHold(true)
	code := m.Run()
	if err := Shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, "container:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Shutdown removes every container this process started with Start, in
// use or not, and stops keeping idle containers (see Main). Servers still
// using them stop working. It is safe to call more than once, and is for
// TestMain functions that do more than Main.
func Shutdown() error {
	procs.setHold(false)
	return procs.shutdown()
}
