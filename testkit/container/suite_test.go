package container_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit"
	"github.com/introspectmock/introspectmock/testkit/container"
	"github.com/introspectmock/introspectmock/testkit/internal/suite"
)

// TestSuite runs the behaviour suite of every mode against namespaces of
// one shared container.
func TestSuite(t *testing.T) {
	t.Parallel()
	suite.Run(t, func(tb testing.TB) *testkit.Server { return container.Start(tb) })
}

// TestFixtures: fixture files reach the container, each namespace is
// seeded from them, and Reset goes back to them.
func TestFixtures(t *testing.T) {
	t.Parallel()
	s := container.Start(t, container.WithFixtures("../testdata/tokens.yaml"))
	other := container.Start(t, container.WithFixtures("../testdata/tokens.yaml"))
	if !active(t, s, "orders-api", "orders-secret", "fixture-active") {
		t.Fatal("fixture token inactive with the fixture client")
	}
	if active(t, s, s.ClientID(), s.ClientSecret(), "fixture-expired") {
		t.Error("expired fixture token active")
	}
	s.Revoke("fixture-active")
	if active(t, s, s.ClientID(), s.ClientSecret(), "fixture-active") {
		t.Error("revoked fixture token active")
	}
	if !active(t, other, other.ClientID(), other.ClientSecret(), "fixture-active") {
		t.Error("revocation in one namespace shows in another")
	}
	s.Reset()
	if !active(t, s, s.ClientID(), s.ClientSecret(), "fixture-active") {
		t.Error("fixture token inactive after Reset")
	}
}

// TestTokenPatterns: token patterns of fixture files answer in the
// container as in process.
func TestTokenPatterns(t *testing.T) {
	t.Parallel()
	suite.Patterns(t, container.Start(t, container.WithFixtures("../testdata/patterns.yaml")))
}

// TestAdminToken: the admin API refuses callers without the token.
func TestAdminToken(t *testing.T) {
	t.Parallel()
	s := container.Start(t, container.WithAdminToken("suite-admin"))
	tests := []struct {
		name string
		give string // Authorization header
		want int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"wrong token", "Bearer nope", http.StatusUnauthorized},
		{"admin token", "Bearer suite-admin", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, s.URL()+"/admin/clock", nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.give != "" {
				req.Header.Set("Authorization", tt.give)
			}
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("GET /admin/clock: %d; want %d", resp.StatusCode, tt.want)
			}
		})
	}
	// The Server sends the token itself.
	tok, _ := s.AddToken(mockserver.Token{ExpiresIn: time.Hour})
	s.Revoke(tok)
}

// active asks s about token as id/secret.
func active(t *testing.T, s *testkit.Server, id, secret, token string) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.IntrospectionURL(), strings.NewReader("token="+token))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("introspect: %d %s", resp.StatusCode, body)
	}
	return strings.HasPrefix(string(body), `{"active":true`)
}
