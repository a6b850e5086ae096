package container_test

import (
	"testing"

	"github.com/introspectmock/introspectmock/testkit/container"
)

// TestMain keeps each container for all the tests of this package, then
// removes it.
func TestMain(m *testing.M) { container.Main(m) }
