package testkit_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/internal/adminapi"
	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit"
	behaviour "github.com/introspectmock/introspectmock/testkit/internal/suite"
)

// TestTokenPatterns runs the token pattern checks in-process and against a
// remote server through the admin API (testkit/container runs them in a
// container).
func TestTokenPatterns(t *testing.T) {
	t.Parallel()
	t.Run("inproc", func(t *testing.T) {
		t.Parallel()
		behaviour.Patterns(t, testkit.Start(t, testkit.WithFixtures("testdata/patterns.yaml")))
	})
	t.Run("remote", func(t *testing.T) {
		t.Parallel()
		set, err := fixtures.Load(time.Now(), "testdata/patterns.yaml")
		if err != nil {
			t.Fatal(err)
		}
		ms, err := mockserver.New(mockserver.WithFixtures(set))
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(adminapi.Handler(ms))
		t.Cleanup(ts.Close)
		behaviour.Patterns(t, connect(t, ts.URL))
	})
}
