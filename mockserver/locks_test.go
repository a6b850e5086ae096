package mockserver_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
)

// TestAuthenticationTakesNoLock checks that callers are authenticated
// before the namespace's lock is taken: while a change holds the write
// lock, a revocation or token request with bad credentials (a wrong
// secret, a private_key_jwt assertion signed by a stranger's key) is
// refused at once, and a good one waits for the lock only to make its
// change.
func TestAuthenticationTakesNoLock(t *testing.T) {
	t.Parallel()
	ts, srv := start(t, mockserver.WithFixtures(pkjwtSet()), mockserver.WithClock(newClock()))
	now := t0.Unix()
	stranger := signAssertion(t, "RS256", "rsa-1", otherRSAKey(), map[string]any{
		"iss": "jwt-rs", "sub": "jwt-rs", "aud": ts.URL, "exp": now + 60, "iat": now})
	refused := []struct {
		name string
		r    req
	}{
		{"revoke, wrong secret", req{path: "/revoke", header: hdr("Authorization", basic(rsID, "wrong")), body: form("token", "active-token")}},
		{"revoke, stranger's assertion", req{path: "/revoke", body: form("token", "active-token",
			"client_assertion_type", assertionType, "client_assertion", stranger)}},
		{"token, wrong secret", req{path: "/token", header: hdr("Authorization", basic(svcID, "wrong")), body: form("grant_type", "client_credentials")}},
		{"introspect, wrong secret", req{header: hdr("Authorization", basic(rsID, "wrong")), body: form("token", "active-token")}},
	}

	release := mockserver.HoldWriteLock(srv.Default())
	for _, tt := range refused {
		done := make(chan resp, 1)
		go func() { done <- do(t, ts, tt.r) }()
		select {
		case got := <-done:
			if got.status != http.StatusUnauthorized {
				t.Errorf("%s: %d %s; want 401", tt.name, got.status, got.body)
			}
		case <-time.After(5 * time.Second):
			release()
			t.Fatalf("%s: no answer while the namespace's write lock is held: authentication waits for it", tt.name)
		}
	}
	good := make(chan resp, 1)
	go func() {
		good <- do(t, ts, req{path: "/revoke", header: hdr("Authorization", basic(rsID, rsSecret)), body: form("token", "active-token")})
	}()
	select {
	case got := <-good:
		t.Fatalf("a revocation changed the store while the write lock was held: %d %s", got.status, got.body)
	case <-time.After(50 * time.Millisecond):
	}
	release()
	if got := <-good; got.status != http.StatusOK {
		t.Errorf("revocation after the lock: %d %s", got.status, got.body)
	}
	if got := asRS(t, ts, "/introspect", "active-token"); got.body != inactive {
		t.Errorf("revoked token introspects %s", got.body)
	}
}
