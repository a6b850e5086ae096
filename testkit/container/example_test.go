package container_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit/container"
)

// A test against introspectmock in Docker reads like an in-process one:
// container.Start returns the same *testkit.Server. Parallel tests share
// one container, each in a namespace of its own. (Not run here: it needs
// a test's t and Docker.)
func ExampleStart() {
	var t *testing.T // your test's t

	as := container.Start(t, container.WithFixtures("testdata/tokens.yaml"))
	tok, _ := as.AddToken(mockserver.Token{Scope: "orders:read", Sub: "alice", ExpiresIn: time.Hour})

	// The service under test introspects at as.IntrospectionURL() as
	// as.ClientID() with as.ClientSecret(), like this:
	req, _ := http.NewRequest(http.MethodPost, as.IntrospectionURL(), strings.NewReader("token="+tok))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(as.ClientID(), as.ClientSecret())
	resp, err := as.Client().Do(req) // 200 {"active":true,"scope":"orders:read",...}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	as.Revoke(tok)                    // from now on {"active":false}
	as.Clock().Advance(2 * time.Hour) // the namespace's clock; others keep theirs
	as.AssertIntrospected(t, tok, 1)
}
