package testkit_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit"
)

// helperEnv makes TestWithHelperProcess run: it is a test binary's test
// that must fail, run by TestWithFailsOnlyTheSubtest in a child process.
const helperEnv = "TESTKIT_WITH_HELPER_PROCESS"

// TestWithHelperProcess is a parent test whose parallel subtests share its
// server through As.With(t); one of them fails a helper. It only runs in
// the child process of TestWithFailsOnlyTheSubtest.
func TestWithHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("runs only as the child process of TestWithFailsOnlyTheSubtest")
	}
	as := testkit.Start(t)
	for _, name := range []string{"ok-1", "fails", "ok-2"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			as := as.With(t)
			tok, _ := as.AddToken(mockserver.Token{ExpiresIn: time.Hour})
			if name == "fails" {
				as.Revoke("never-added-token") // fails this subtest, from its goroutine
				t.Error("Revoke of an unknown token returned")
			}
			as.Revoke(tok)
			if as.Introspect(tok).Active {
				t.Error("revoked token active")
			}
		})
	}
}

// TestWithFailsOnlyTheSubtest runs TestWithHelperProcess in a child test
// binary: the subtest whose helper failed is marked failed (and its parent,
// as Go does), the other subtests pass, and nothing panics.
func TestWithFailsOnlyTheSubtest(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs a child test binary")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWithHelperProcess$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("child: %v; want exit status 1 (a failed test)\n%s", err, out)
	}
	for _, want := range []string{
		"--- FAIL: TestWithHelperProcess ",
		"--- FAIL: TestWithHelperProcess/fails ",
		"--- PASS: TestWithHelperProcess/ok-1 ",
		"--- PASS: TestWithHelperProcess/ok-2 ",
		`testkit: Revoke("neve…"): no such token`,
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"panic", "FailNow on a parent test", "Revoke of an unknown token returned"} {
		if bytes.Contains(out, []byte(bad)) {
			t.Errorf("child output holds %q:\n%s", bad, out)
		}
	}
	if n := bytes.Count(out, []byte("--- FAIL")); n != 2 {
		t.Errorf("child output has %d FAIL lines; want 2 (the subtest and its parent):\n%s", n, out)
	}
}

// TestWithSharesTheServer: a view is the same server, reporting elsewhere.
func TestWithSharesTheServer(t *testing.T) {
	t.Parallel()
	as := testkit.Start(t)
	r := &fatalRecorder{TB: t}
	view := as.With(r)
	tok, _ := view.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	if !as.Introspect(tok).Active {
		t.Error("a token added through the view is not in the server")
	}
	if view.URL() != as.URL() || view.ClientSecret() != as.ClientSecret() || view.Clock().Now().IsZero() {
		t.Error("the view is not the same server")
	}
	view.Remove("never-added-token")
	if len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "no such token") {
		t.Errorf("the view reported %q; want one failure to its own test", r.fatals)
	}
	view.Clock().Advance(time.Minute) // the view's clock reports to the view's test too
	// Without a test, the error is returned, not panicked.
	if err := as.With(nil).Revoke("never-added-token"); !errors.Is(err, mockserver.ErrNotFound) {
		t.Errorf("With(nil).Revoke of an unknown token = %v; want ErrNotFound", err)
	}
}

// fatalRecorder records Fatalf and Log instead of ending the test or
// logging.
type fatalRecorder struct {
	testing.TB
	mu     sync.Mutex
	fatals []string
	logs   []string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}

func (r *fatalRecorder) Log(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprint(args...))
}

func (r *fatalRecorder) logged() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.logs...)
}

// TestServerLogGoesToTheTest: by default Start sends the server's log, a
// line per request, to the test's log, without tokens or secrets;
// WithLogger sends it elsewhere, or (nil) nowhere.
func TestServerLogGoesToTheTest(t *testing.T) {
	t.Parallel()
	r := &fatalRecorder{TB: t}
	as := testkit.Start(r)
	tok, _ := as.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	as.Introspect(tok)
	as.FailNext(1, mockserver.Fault{Status: 503})
	as.Introspect(tok)
	logs := r.logged()
	line := regexp.MustCompile(`^introspectmock: level=DEBUG msg=call namespace="" endpoint=introspect status=200 client_id=testkit-rs auth=basic`)
	if len(logs) != 2 || !line.MatchString(logs[0]) || !strings.Contains(logs[1], `status=503`) || !strings.Contains(logs[1], `fault="status 503"`) {
		t.Errorf("the test's log holds %q; want a line for each introspection, the second with its fault", logs)
	}
	for _, l := range logs {
		if strings.Contains(l, tok) || strings.Contains(l, as.ClientSecret()) {
			t.Errorf("the test's log shows a token or a secret: %s", l)
		}
	}
	as.Close()
	if n := len(r.logged()); n != 2 {
		t.Errorf("%d lines logged after Close; want none", n-2)
	}

	var buf syncBuffer
	mine := &fatalRecorder{TB: t}
	other := testkit.Start(mine, testkit.WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	other.Introspect("any-token")
	if !strings.Contains(buf.String(), "endpoint=introspect") || len(mine.logged()) != 0 {
		t.Errorf("WithLogger: the logger got %q, the test's log %q; want the line in the logger only", buf.String(), mine.logged())
	}
	quiet := &fatalRecorder{TB: t}
	testkit.Start(quiet, testkit.WithLogger(nil)).Introspect("any-token")
	if logs := quiet.logged(); len(logs) != 0 {
		t.Errorf("WithLogger(nil): the test's log holds %q; want nothing", logs)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
