package container

import (
	"strings"
	"sync"
	"testing"

	"github.com/introspectmock/introspectmock/testkit"
)

// TestIDNamesTheContainer: ID gives the container a Server runs in, the
// same for every test sharing it and for views, and nothing for other
// Servers or after the test.
func TestIDNamesTheContainer(t *testing.T) {
	d := dockerForTest(t)
	r := newRegistry()
	var a *testkit.Server
	t.Run("users", func(t *testing.T) {
		a = start(t, r)
		b := start(t, r)
		ids := containerIDs(r)
		if len(ids) != 1 {
			t.Fatalf("%d containers; want 1", len(ids))
		}
		if ID(a) != ids[0] || ID(b) != ids[0] || ID(a.With(t)) != ids[0] {
			t.Errorf("ID = %q, %q, view %q; want the container %q for both tests and the view", ID(a), ID(b), ID(a.With(t)), ids[0])
		}
		info, err := d.pool.Client.InspectContainer(ID(a))
		if err != nil || info.Config.Labels[Label] != "1" {
			t.Errorf("docker inspect %s: %v, labels %v; want one of ours", ID(a), err, info.Config.Labels)
		}
	})
	if id := ID(a); id != "" {
		t.Errorf("ID after the test = %q; want \"\"", id)
	}
	in := testkit.Start(t)
	if id := ID(in); id != "" || ID(nil) != "" {
		t.Errorf("ID of an in-process Server = %q; want \"\"", id)
	}
}

// logRecorder records what a test logs.
type logRecorder struct {
	*testing.T
	mu   sync.Mutex
	logs []string
}

func (r *logRecorder) Logf(format string, args ...any) {
	r.mu.Lock()
	r.logs = append(r.logs, format)
	r.mu.Unlock()
	r.T.Logf(format, args...)
}

func (r *logRecorder) said(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.logs {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// TestStartedAgainSaysHowToKeepIt: without Main, a container whose last
// test ended is removed, and a later test starts another; that test's log
// says so, and how to keep one container. With Main (hold), neither.
func TestStartedAgainSaysHowToKeepIt(t *testing.T) {
	dockerForTest(t)
	for _, hold := range []bool{false, true} {
		r := newRegistry()
		r.setHold(hold)
		t.Cleanup(func() { r.shutdown() })
		var logs [2]*logRecorder
		var ids [2]string
		for i := range logs {
			t.Run("test", func(t *testing.T) {
				logs[i] = &logRecorder{T: t}
				ids[i] = ID(start(logs[i], r))
			})
		}
		switch {
		case !hold && (ids[0] == ids[1] || logs[0].said("Main") || !logs[1].said("container.Main(m)")):
			t.Errorf("without Main: containers %.12s, %.12s; hints %v, %v; want two containers and a hint in the second test only",
				ids[0], ids[1], logs[0].logs, logs[1].logs)
		case hold && (ids[0] != ids[1] || logs[1].said("Main")):
			t.Errorf("with Main: containers %.12s, %.12s; second test's log %v; want one container, no hint", ids[0], ids[1], logs[1].logs)
		}
	}
}
