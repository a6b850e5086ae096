package testkit

import "time"

// Clock is a Server's clock: it judges every exp and nbf (clock == exp is
// already expired), resolves relative fixture times on Reset, times
// script steps with After, and timestamps the journal. It runs in real
// time unless frozen. Get it from Server.Clock; it works the same for
// in-process and remote servers, and is safe for concurrent use. Failures
// (a remote server gone) are reported like the Server's own.
type Clock struct {
	s *Server
}

// Now returns the server's current time.
func (c *Clock) Now() time.Time {
	c.s.rep.Helper()
	st, err := c.s.be.clockNow()
	if err != nil {
		c.s.fatalf("testkit: Clock.Now: %v", err)
	}
	return st.now
}

// Frozen reports whether the clock is stopped.
func (c *Clock) Frozen() bool {
	c.s.rep.Helper()
	st, err := c.s.be.clockNow()
	if err != nil {
		c.s.fatalf("testkit: Clock.Frozen: %v", err)
	}
	return st.frozen
}

// Freeze stops the clock at the current instant; it stays there until
// Advance, Set or Resume. Freezing a frozen clock does nothing.
func (c *Clock) Freeze() {
	c.s.rep.Helper()
	if err := c.s.be.clockFreeze(); err != nil {
		c.s.fatalf("testkit: Clock.Freeze: %v", err)
	}
}

// Resume lets a frozen clock run again, in real time from the instant it
// shows now.
func (c *Clock) Resume() {
	c.s.rep.Helper()
	if err := c.s.be.clockResume(); err != nil {
		c.s.fatalf("testkit: Clock.Resume: %v", err)
	}
}

// Advance moves the clock by d, frozen or running; a frozen clock stays
// frozen. A negative d moves it back.
func (c *Clock) Advance(d time.Duration) {
	c.s.rep.Helper()
	if err := c.s.be.clockAdvance(d); err != nil {
		c.s.fatalf("testkit: Clock.Advance(%v): %v", d, err)
	}
}

// Set moves the clock to t, forward or back. A frozen clock stays frozen at
// t; a running one runs on from t.
func (c *Clock) Set(t time.Time) {
	c.s.rep.Helper()
	if err := c.s.be.clockSet(t); err != nil {
		c.s.fatalf("testkit: Clock.Set(%s): %v", t.Format(time.RFC3339Nano), err)
	}
}
