package container

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// procs is this process's Docker connection and the containers it started.
// It is package state on purpose: sharing one container between the tests
// of a package is what it is for.
var procs = newRegistry()

func newRegistry() *registry {
	return &registry{entries: map[string]*entry{}, removed: map[string]bool{}}
}

// registry shares containers between the tests of this process, one per
// configuration key, reference-counted.
type registry struct {
	connectOnce sync.Once
	d           *dockerClient
	connectErr  error

	nsCount atomic.Int64 // namespaces handed out, for unique names

	mu      sync.Mutex // guards hold, entries and removed
	hold    bool       // keep idle containers (Main)
	entries map[string]*entry
	removed map[string]bool // keys whose container went idle and was removed
}

// entry is one shared container. ready is closed once c or err is set;
// they do not change afterwards.
type entry struct {
	refs  int // guarded by registry.mu
	ready chan struct{}
	c     *instance
	err   error
}

// docker returns the process's Docker connection, made (and pinged) on
// first use. An error means there is no usable daemon.
func (r *registry) docker() (*dockerClient, error) {
	r.connectOnce.Do(func() { r.d, r.connectErr = connectDocker() })
	return r.d, r.connectErr
}

// acquire returns the running container for key, starting it with o and
// files if no test of this process holds one, and a release function
// (idempotent) that the caller must call, even on error. A start failure
// is returned to every test waiting for that container; the next test
// after they are all gone tries again.
func (r *registry) acquire(tb testing.TB, d *dockerClient, key string, o options, files []fixtureFile) (*instance, func() error, error) {
	r.mu.Lock()
	e := r.entries[key]
	starter := e == nil
	if starter {
		e = &entry{ready: make(chan struct{})}
		r.entries[key] = e
	}
	e.refs++
	again := starter && r.removed[key] && !r.hold
	r.mu.Unlock()
	release := sync.OnceValue(func() error { return r.release(key, e) })

	if starter {
		func() {
			defer close(e.ready) // waiters go on even if start panics
			e.err = errors.New("start panicked")
			e.c, e.err = d.start(tb, o, files)
		}()
		if e.err != nil {
			return nil, release, e.err
		}
		if again {
			tb.Logf("container: started again: the last test using the previous one had ended, so it was removed; " +
				"call container.Main(m) from TestMain to keep one container for all the package's tests")
		}
		return e.c, release, nil
	}
	<-e.ready
	if e.err != nil {
		return nil, release, fmt.Errorf("shared container failed to start (see the first test that used it): %w", e.err)
	}
	return e.c, release, nil
}

// release drops one reference to e and removes its container when it was
// the last and idle containers are not kept (or it never started).
func (r *registry) release(key string, e *entry) error {
	<-e.ready
	r.mu.Lock()
	e.refs--
	drop := e.refs == 0 && (!r.hold || e.err != nil)
	if drop && r.entries[key] == e {
		delete(r.entries, key)
	}
	if drop && e.c != nil {
		r.removed[key] = true
	}
	r.mu.Unlock()
	if drop && e.c != nil {
		return e.c.remove()
	}
	return nil
}

func (r *registry) setHold(v bool) {
	r.mu.Lock()
	r.hold = v
	r.mu.Unlock()
}

// shutdown removes every container of the registry, in use or not.
func (r *registry) shutdown() error {
	r.mu.Lock()
	entries := r.entries
	r.entries = map[string]*entry{}
	r.mu.Unlock()
	var errs []error
	for _, e := range entries {
		<-e.ready
		if e.c != nil {
			errs = append(errs, e.c.remove())
		}
	}
	return errors.Join(errs...)
}

// configKey identifies a container configuration: tests whose image (named
// or built from the source), admin token and fixture files (names and
// contents) agree share a container.
func configKey(o options, files []fixtureFile) string {
	h := sha256.New()
	fmt.Fprintf(h, "image %q\ndev %q\nadmin %q\n", o.image, o.devRepo, o.adminToken)
	for _, f := range files {
		fmt.Fprintf(h, "file %q %d\n", f.name, len(f.data))
		h.Write(f.data)
	}
	return hex.EncodeToString(h.Sum(nil))
}
