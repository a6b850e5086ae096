package mockserver

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
)

// Step is one step of a token's script: a trigger (When) and one effect,
// State or Respond. Steps are evaluated on each authenticated
// introspection of the token: the first matching Respond step is played,
// else the last matching State step sets the state.
type Step struct {
	// When says when the step applies: Always(), AfterCalls(n), OnCall(n)
	// or After(d). The zero Trigger is no trigger, and such a step is an
	// error.
	When Trigger
	// State is the token's state while the step applies: StateActive,
	// StateRevoked, StateExpired or StateNotYetValid.
	State string
	// Respond is a fault played instead of the answer while the step
	// applies.
	Respond *Fault
}

// Trigger says when a script Step applies. Make one with Always,
// AfterCalls, OnCall or After; the zero value is no trigger.
type Trigger struct {
	kind TriggerKind
	n    int
	d    time.Duration
}

// TriggerKind is the kind of a Trigger.
type TriggerKind int

// Trigger kinds.
const (
	NoTrigger         TriggerKind = iota // the zero Trigger: an error in a Step
	TriggerAfterCalls                    // AfterCalls(n): calls n+1, n+2, …
	TriggerOnCall                        // OnCall(n): call n only
	TriggerAfter                         // After(d): once the clock reaches script start + d
)

// Always returns the trigger of a step that applies on every call; it is
// AfterCalls(0), fixture `after_calls: 0`.
func Always() Trigger { return AfterCalls(0) }

// AfterCalls returns the trigger of a step that applies from introspection
// n+1 on (fixture after_calls). n must be 0 or more.
func AfterCalls(n int) Trigger { return Trigger{kind: TriggerAfterCalls, n: n} }

// OnCall returns the trigger of a step that applies on introspection n
// only, counting from 1 (fixture on_call).
func OnCall(n int) Trigger { return Trigger{kind: TriggerOnCall, n: n} }

// After returns the trigger of a step that applies once the namespace
// clock reaches the time the script was loaded plus d (fixture after). d
// must be positive.
func After(d time.Duration) Trigger { return Trigger{kind: TriggerAfter, d: d} }

// Kind returns the trigger's kind; NoTrigger for the zero Trigger.
func (t Trigger) Kind() TriggerKind { return t.kind }

// Calls returns n of AfterCalls(n) or OnCall(n); 0 for other kinds.
func (t Trigger) Calls() int { return t.n }

// Delay returns d of After(d); 0 for other kinds.
func (t Trigger) Delay() time.Duration { return t.d }

// String returns the trigger as Go code: "OnCall(2)", "After(30s)".
func (t Trigger) String() string {
	switch t.kind {
	case TriggerAfterCalls:
		return "AfterCalls(" + strconv.Itoa(t.n) + ")"
	case TriggerOnCall:
		return "OnCall(" + strconv.Itoa(t.n) + ")"
	case TriggerAfter:
		return "After(" + t.d.String() + ")"
	}
	return "no trigger"
}

// errNoTrigger is the error of a step without a trigger.
var errNoTrigger = errors.New("a step needs a trigger (When: Always(), AfterCalls(n), OnCall(n) or After(d))")

// Validate reports what is wrong with the step, by the fixtures' rules
// (fixtures.Step.Validate): a trigger in range and exactly one effect.
func (s Step) Validate() error {
	switch {
	case s.When.kind == NoTrigger:
		return errNoTrigger
	case s.When.kind == TriggerAfterCalls && s.When.n < 0:
		// -1 is the fixtures' "unset": say it here.
		return fmt.Errorf("after_calls must be 0 or more, got %d", s.When.n)
	}
	return s.fixture().Validate()
}

// fixture returns the step in fixture form, for its validation.
func (s Step) fixture() fixtures.Step {
	fs := fixtures.Step{AfterCalls: -1, State: s.State, Respond: s.Respond}
	switch s.When.kind {
	case TriggerAfterCalls:
		fs.AfterCalls = s.When.n
	case TriggerOnCall:
		fs.OnCall = s.When.n
	case TriggerAfter:
		fs.After = s.When.d
	}
	return fs
}

// StepFromFixture converts a parsed fixture step (fixtures.ParseSteps, a
// fixture file's script) to a Step. It is the one place the fixtures'
// "unset" markers (AfterCalls -1, OnCall 0, After 0) are read; a fixture
// step names exactly one trigger, since the parser checked it.
func StepFromFixture(fs fixtures.Step) Step {
	s := Step{State: fs.State}
	if fs.Respond != nil {
		f := *fs.Respond
		s.Respond = &f
	}
	switch {
	case fs.OnCall > 0:
		s.When = OnCall(fs.OnCall)
	case fs.After > 0:
		s.When = After(fs.After)
	default:
		s.When = AfterCalls(max(fs.AfterCalls, 0))
	}
	return s
}

// StepsFromFixtures converts a fixture script with StepFromFixture; nil
// for none.
func StepsFromFixtures(steps []fixtures.Step) []Step {
	if len(steps) == 0 {
		return nil
	}
	out := make([]Step, len(steps))
	for i := range steps {
		out[i] = StepFromFixture(steps[i])
	}
	return out
}

// checkSteps reports the first bad step of a script.
func checkSteps(steps []Step) error {
	for i := range steps {
		if err := steps[i].Validate(); err != nil {
			return fmt.Errorf("script[%d]: %w", i, err)
		}
	}
	return nil
}
