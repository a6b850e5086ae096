package mockserver

import (
	"sync"
	"sync/atomic"
	"time"
)

// Clock tells a Server what time it is. Token state (nbf, exp) is judged
// against it on every request, and relative fixture times are resolved
// against it when fixtures are loaded. Now must be safe for concurrent use.
type Clock interface {
	Now() time.Time
}

// realClock is the default Clock: the system's time.
type realClock struct{}

// Now returns time.Now().
func (realClock) Now() time.Time { return time.Now() }

// VirtualClock is a Clock a test drives: it follows a base clock at an
// offset, or stands still (frozen). Each Namespace owns one over the
// server's base clock (WithClock). It is safe for concurrent use; Now
// takes no lock. Its zero value runs on real time.
type VirtualClock struct {
	mu   sync.Mutex // serializes writers; readers only load st
	base Clock
	st   atomic.Pointer[clockState]
}

// clockState is one immutable reading rule of a VirtualClock. A running
// clock that was moved reads at plus the base clock's time elapsed since
// base, not base time plus an offset: an offset (a Duration) cannot reach
// times more than 292 years away and would wrap or saturate silently.
type clockState struct {
	frozen bool
	moved  bool      // running, and set, advanced or resumed: read at + elapsed since base
	at     time.Time // the frozen instant; for a moved clock, its time at base
	base   time.Time // the base clock's reading when a moved clock showed at
}

var runningState = &clockState{}

// NewVirtualClock returns a running clock that reads base (nil: real time)
// with no offset.
func NewVirtualClock(base Clock) *VirtualClock {
	if base == nil {
		base = realClock{}
	}
	c := &VirtualClock{base: base}
	c.st.Store(runningState)
	return c
}

func (c *VirtualClock) state() *clockState {
	if s := c.st.Load(); s != nil {
		return s
	}
	return runningState
}

func (c *VirtualClock) baseNow() time.Time {
	if c.base == nil {
		return time.Now()
	}
	return c.base.Now()
}

// Now returns the clock's time.
func (c *VirtualClock) Now() time.Time {
	s := c.state()
	switch {
	case s.frozen:
		return s.at
	case !s.moved:
		return c.baseNow()
	default:
		return s.at.Add(c.baseNow().Sub(s.base))
	}
}

// Freeze stops the clock at the current instant. Freezing a frozen clock
// does nothing.
func (c *VirtualClock) Freeze() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state().frozen {
		return
	}
	c.st.Store(&clockState{frozen: true, at: c.Now().Round(0)})
}

// Resume lets a frozen clock run again from the instant it shows. Resuming
// a running clock does nothing.
func (c *VirtualClock) Resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.state()
	if !s.frozen {
		return
	}
	c.st.Store(&clockState{moved: true, at: s.at, base: c.baseNow()})
}

// Advance moves the clock by d, frozen or running. A negative d moves it
// back, which is allowed: tokens then judged at the earlier time.
func (c *VirtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.state()
	switch {
	case s.frozen:
		c.st.Store(&clockState{frozen: true, at: s.at.Add(d)})
	case s.moved:
		c.st.Store(&clockState{moved: true, at: s.at.Add(d), base: s.base})
	default:
		b := c.baseNow()
		c.st.Store(&clockState{moved: true, at: b.Round(0).Add(d), base: b})
	}
}

// Set jumps to t. A frozen clock stays frozen at t; a running one runs on
// from t.
func (c *VirtualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state().frozen {
		c.st.Store(&clockState{frozen: true, at: t.Round(0)})
		return
	}
	c.st.Store(&clockState{moved: true, at: t.Round(0), base: c.baseNow()})
}

// Frozen reports whether the clock stands still.
func (c *VirtualClock) Frozen() bool { return c.state().frozen }
