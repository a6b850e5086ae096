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

// clockState is one immutable reading rule of a VirtualClock.
type clockState struct {
	frozen bool
	at     time.Time     // the frozen instant
	offset time.Duration // added to the base clock while running
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
	case s.offset == 0:
		return c.baseNow()
	default:
		return c.baseNow().Add(s.offset)
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
	c.st.Store(&clockState{offset: s.at.Sub(c.baseNow())})
}

// Advance moves the clock by d, frozen or running. A negative d moves it
// back, which is allowed: tokens then judged at the earlier time.
func (c *VirtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.state()
	if s.frozen {
		c.st.Store(&clockState{frozen: true, at: s.at.Add(d)})
		return
	}
	c.st.Store(&clockState{offset: s.offset + d})
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
	c.st.Store(&clockState{offset: t.Sub(c.baseNow())})
}

// Frozen reports whether the clock stands still.
func (c *VirtualClock) Frozen() bool { return c.state().frozen }
