package testkit_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit"
)

// TestLifecycle runs the token lifecycle features in every mode: the
// remote mode only passes if the admin API receives Kind, Grant and
// IntrospectableBy (docs/conformance.md RV-5, TL-6).
func TestLifecycle(t *testing.T) {
	t.Parallel()
	for mode, start := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			t.Run("RV-5/Revoke of a refresh token ends its grant", func(t *testing.T) {
				t.Parallel()
				testGrantRevocation(t, start(t), func(s *testkit.Server, tok string) { s.Revoke(tok) })
			})
			t.Run("RV-5/RFC 7009 revocation of a refresh token ends its grant", func(t *testing.T) {
				t.Parallel()
				testGrantRevocation(t, start(t), func(s *testkit.Server, tok string) {
					a := postForm(t, s.Client(), s.RevocationURL(), s.ClientID(), s.ClientSecret(),
						url.Values{"token": {tok}, "token_type_hint": {"access_token"}}) // docs/conformance.md RV-4: a wrong hint
					if a.err != nil || a.status != http.StatusOK {
						t.Fatalf("revocation: status %d, err %v, body %s", a.status, a.err, a.body)
					}
				})
			})
			t.Run("TL-6/IntrospectableBy", func(t *testing.T) {
				t.Parallel()
				s := start(t)
				mine, _ := s.AddToken(mockserver.Token{Scope: "orders:read", ExpiresIn: time.Hour, IntrospectableBy: []string{"billing-rs", s.ClientID()}})
				theirs, _ := s.AddToken(mockserver.Token{Scope: "orders:read", ExpiresIn: time.Hour, IntrospectableBy: []string{"billing-rs"}})
				if m := introspect(t, s, mine).members(t); m["active"] != true || m["scope"] != "orders:read" {
					t.Errorf("token listing the caller: %v; want active", m)
				}
				introspect(t, s, theirs).wantInactive(t)
			})
		})
	}
}

// testGrantRevocation revokes a refresh token with revoke and checks that
// the access tokens of its grant went along, and nothing else.
func testGrantRevocation(t *testing.T, s *testkit.Server, revoke func(s *testkit.Server, tok string)) {
	refresh, _ := s.AddToken(mockserver.Token{Kind: mockserver.KindRefreshToken, Grant: "login-1", ClientID: s.ClientID(), ExpiresIn: 24 * time.Hour})
	access, _ := s.AddToken(mockserver.Token{Grant: "login-1", ClientID: s.ClientID(), Scope: "orders:read", ExpiresIn: time.Hour})
	other, _ := s.AddToken(mockserver.Token{Grant: "login-2", ClientID: s.ClientID(), ExpiresIn: time.Hour})
	// PF-19: an active refresh token introspects like an access token.
	if m := introspect(t, s, refresh).members(t); m["active"] != true || m["token_type"] != "Bearer" {
		t.Errorf("refresh token: %v; want active, token_type Bearer", m)
	}
	revoke(s, access) // an access token: only itself
	if !introspect(t, s, refresh).active(t) {
		t.Error("revoking an access token revoked its refresh token")
	}
	access2, _ := s.AddToken(mockserver.Token{Grant: "login-1", ClientID: s.ClientID(), ExpiresIn: time.Hour})
	revoke(s, refresh)
	introspect(t, s, refresh).wantInactive(t)
	introspect(t, s, access2).wantInactive(t)
	if !introspect(t, s, other).active(t) {
		t.Error("a token of another grant was revoked")
	}
}
