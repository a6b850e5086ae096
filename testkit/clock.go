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
	st, err := c.s.be.ReadClock()
	if err != nil {
		c.s.fatalf("testkit: Clock.Now: %v", err)
	}
	return st.Now
}

// Frozen reports whether the clock is stopped.
func (c *Clock) Frozen() bool {
	c.s.rep.Helper()
	st, err := c.s.be.ReadClock()
	if err != nil {
		c.s.fatalf("testkit: Clock.Frozen: %v", err)
	}
	return st.Frozen
}

// Freeze stops the clock at the current instant; it stays there until
// Advance, Set or Resume. Freezing a frozen clock does nothing.
func (c *Clock) Freeze() error {
	c.s.rep.Helper()
	if err := c.s.be.FreezeClock(); err != nil {
		return c.s.fail("testkit: Clock.Freeze: %w", err)
	}
	return nil
}

// Resume lets a frozen clock run again, in real time from the instant it
// shows now.
func (c *Clock) Resume() error {
	c.s.rep.Helper()
	if err := c.s.be.ResumeClock(); err != nil {
		return c.s.fail("testkit: Clock.Resume: %w", err)
	}
	return nil
}

// Advance moves the clock by d, frozen or running; a frozen clock stays
// frozen. A negative d moves it back.
func (c *Clock) Advance(d time.Duration) error {
	c.s.rep.Helper()
	if err := c.s.be.AdvanceClock(d); err != nil {
		return c.s.fail("testkit: Clock.Advance(%v): %w", d, err)
	}
	return nil
}

// Set moves the clock to t, forward or back. A frozen clock stays frozen at
// t; a running one runs on from t.
func (c *Clock) Set(t time.Time) error {
	c.s.rep.Helper()
	if err := c.s.be.SetClock(t); err != nil {
		return c.s.fail("testkit: Clock.Set(%s): %w", t.Format(time.RFC3339Nano), err)
	}
	return nil
}
