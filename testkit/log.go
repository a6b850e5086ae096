package testkit

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// WithLogger sends the server's log to l: a line per request it serves
// (endpoint, status, caller, auth method, never a token or a secret) at
// debug level, and its warnings. Default: Start logs to its test's log
// (t.Log, shown for a failing test or with go test -v), at debug level;
// New logs nowhere. WithLogger(nil) logs nowhere.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		o.logger, o.loggerSet = l, true
		return nil
	}
}

// testLog is a slog.Handler writing each record as one line to a test's
// log, until the server is closed: a test's log must not be written after
// the test ends.
type testLog struct {
	tb     testing.TB
	closed *atomic.Bool
	mu     *sync.Mutex // guards buf
	buf    *bytes.Buffer
	h      slog.Handler // a text handler writing into buf
}

// newTestLog returns a logger writing to tb's log at debug level, and a
// function that stops it.
func newTestLog(tb testing.TB) (*slog.Logger, func()) {
	l := &testLog{tb: tb, closed: new(atomic.Bool), mu: new(sync.Mutex), buf: new(bytes.Buffer)}
	l.h = slog.NewTextHandler(l.buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{} // t.Log has its own ordering; the server clock is in the journal
			}
			return a
		},
	})
	return slog.New(l), func() { l.closed.Store(true) }
}

func (l *testLog) Enabled(ctx context.Context, level slog.Level) bool {
	return !l.closed.Load() && l.h.Enabled(ctx, level)
}

func (l *testLog) Handle(ctx context.Context, r slog.Record) error {
	if l.closed.Load() {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Reset()
	if err := l.h.Handle(ctx, r); err != nil {
		return err
	}
	l.tb.Log("introspectmock: " + strings.TrimSuffix(l.buf.String(), "\n"))
	return nil
}

func (l *testLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *l
	c.h = l.h.WithAttrs(attrs)
	return &c
}

func (l *testLog) WithGroup(name string) slog.Handler {
	c := *l
	c.h = l.h.WithGroup(name)
	return &c
}
