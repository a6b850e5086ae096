package testkit_test

import (
	"testing"

	behaviour "github.com/introspectmock/introspectmock/testkit/internal/suite"
)

// TestSharedSuite runs the behaviour suite that testkit/container runs too
// (package testkit/internal/suite) in every mode of this package, so all
// modes pass the same cases.
func TestSharedSuite(t *testing.T) {
	t.Parallel()
	for mode, start := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			behaviour.Run(t, start)
		})
	}
}
