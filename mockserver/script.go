package mockserver

import (
	"strconv"
	"strings"
	"time"
)

// script is a token's script with the time its After steps count from.
// It is immutable.
type script struct {
	steps    []Step
	loadedAt time.Time // fixture load or SetScript time
	descs    []string  // describeFault of each step's Respond, "" for none
}

// newScript returns the script of steps loaded at now; nil for none.
func newScript(steps []Step, now time.Time) *script {
	if len(steps) == 0 {
		return nil
	}
	sc := &script{steps: steps, loadedAt: now, descs: make([]string, len(steps))}
	for i := range steps {
		if f := steps[i].Respond; f != nil {
			sc.descs[i] = describeFault(f)
		}
	}
	return sc
}

// matches reports whether step s applies to introspection n (1-based) at
// now.
func (sc *script) matches(s *Step, n int64, now time.Time) bool {
	switch s.When.kind {
	case TriggerAfterCalls:
		return n > int64(s.When.n)
	case TriggerOnCall:
		return n == int64(s.When.n)
	case TriggerAfter:
		return !now.Before(sc.loadedAt.Add(s.When.d))
	}
	return false // checked when the script was set
}

// eval plays the script for introspection n at now: the first matching
// respond step wins (fault and its description); otherwise the last
// matching state step gives the state ("" for none).
func (sc *script) eval(n int64, now time.Time) (state string, fault *Fault, desc string) {
	for i := range sc.steps {
		s := &sc.steps[i]
		if !sc.matches(s, n, now) {
			continue
		}
		if s.Respond != nil {
			return "", s.Respond, sc.descs[i]
		}
		if s.State != "" {
			state = s.State
		}
	}
	return state, nil, ""
}

// describeFault says what a fault plays, for the journal: "delay 300ms,
// status 503".
func describeFault(f *Fault) string {
	var parts []string
	if f.Delay > 0 {
		parts = append(parts, "delay "+f.Delay.String())
	}
	if f.Status != 0 {
		parts = append(parts, "status "+strconv.Itoa(f.Status))
	}
	if f.Error != "" {
		parts = append(parts, "error "+f.Error)
	}
	if f.Drop {
		parts = append(parts, "drop")
	}
	if f.Malformed != "" {
		parts = append(parts, "malformed "+f.Malformed)
	}
	if f.JWT != "" {
		parts = append(parts, "jwt "+f.JWT)
	}
	return strings.Join(parts, ", ")
}
