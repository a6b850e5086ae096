package mockserver

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
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
// now. Every trigger that is set must hold; a zero AfterCalls (the Go zero
// value) and -1 (unset, as fixtures write it) hold for every n ≥ 1.
func (sc *script) matches(s *Step, n int64, now time.Time) bool {
	return (s.OnCall <= 0 || n == int64(s.OnCall)) &&
		(s.AfterCalls <= 0 || n > int64(s.AfterCalls)) &&
		(s.After <= 0 || !now.Before(sc.loadedAt.Add(s.After)))
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

// checkSteps reports the first bad step of a script given from Go, with
// the rules fixtures apply to YAML scripts: one trigger, one effect, a
// known state, a sound fault.
func checkSteps(steps []Step) error {
	for i := range steps {
		if err := checkStep(&steps[i]); err != nil {
			return fmt.Errorf("script[%d]: %w", i, err)
		}
	}
	return nil
}

func checkStep(s *Step) error {
	switch {
	case s.AfterCalls < -1:
		return fmt.Errorf("after_calls must be >= 0, got %d", s.AfterCalls)
	case s.OnCall < 0:
		return fmt.Errorf("on_call must be >= 1, got %d", s.OnCall)
	case s.After < 0:
		return fmt.Errorf("after must be positive, got %s", s.After)
	}
	var triggers []string
	if s.AfterCalls > 0 || s.AfterCalls == 0 && s.OnCall == 0 && s.After == 0 {
		triggers = append(triggers, "after_calls")
	}
	if s.OnCall > 0 {
		triggers = append(triggers, "on_call")
	}
	if s.After > 0 {
		triggers = append(triggers, "after")
	}
	if len(triggers) != 1 {
		return fmt.Errorf("a step needs exactly one trigger (after_calls, on_call or after), found %s", listOrNone(triggers))
	}
	switch {
	case s.State != "" && s.Respond != nil:
		return errors.New("a step needs exactly one effect (state or respond), found state and respond")
	case s.State == "" && s.Respond == nil:
		return errors.New("a step needs exactly one effect (state or respond), found none")
	case s.Respond != nil:
		if err := checkFault(s.Respond); err != nil {
			return fmt.Errorf("respond: %w", err)
		}
	default:
		switch s.State {
		case StateActive, StateRevoked, StateExpired, StateNotYetValid:
		default:
			return fmt.Errorf("unknown state %q (want %s, %s, %s or %s)", s.State, StateActive, StateRevoked, StateExpired, StateNotYetValid)
		}
	}
	return nil
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " and ")
}

// checkFault checks a fault as fixtures checks a respond mapping.
func checkFault(f *Fault) error {
	switch {
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("status must be a 4xx or 5xx code, got %d", f.Status)
	case f.RetryAfter < 0:
		return fmt.Errorf("retry_after must be positive, got %s", f.RetryAfter)
	case f.RetryAfter > 0 && f.Status == 0:
		return errors.New("retry_after goes with a status (429 or 503)")
	case f.Delay < 0:
		return fmt.Errorf("delay must be positive, got %s", f.Delay)
	case f.Delay > fixtures.MaxDelay:
		return fmt.Errorf("delay must be at most %dm, got %s", int(fixtures.MaxDelay/time.Minute), f.Delay)
	case f.Drop && (f.Status != 0 || f.Malformed != ""):
		return errors.New("drop sends no answer, so it cannot go with status or malformed")
	case f.Status != 0 && f.Malformed != "":
		return errors.New("malformed plays its own answer, so it cannot go with status")
	case f.Status == 0 && f.Delay == 0 && !f.Drop && f.Malformed == "":
		return errors.New("a fault needs status, delay, drop or malformed")
	}
	switch f.Malformed {
	case "", fixtures.MalformedInvalidJSON, fixtures.MalformedMissingActive, fixtures.MalformedStringActive,
		fixtures.MalformedContentType, fixtures.MalformedHTML, fixtures.MalformedOAuthErrorBody:
	default:
		return fmt.Errorf("unknown malformed kind %q (want %s, %s, %s, %s, %s or %s)", f.Malformed,
			fixtures.MalformedInvalidJSON, fixtures.MalformedMissingActive, fixtures.MalformedStringActive,
			fixtures.MalformedContentType, fixtures.MalformedHTML, fixtures.MalformedOAuthErrorBody)
	}
	return nil
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
	if f.Drop {
		parts = append(parts, "drop")
	}
	if f.Malformed != "" {
		parts = append(parts, "malformed "+f.Malformed)
	}
	return strings.Join(parts, ", ")
}
