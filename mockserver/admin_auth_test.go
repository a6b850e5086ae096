package mockserver_test

import (
	"testing"

	"github.com/introspectmock/introspectmock/mockserver"
)

// TestAdminRefusedMakesNoNamespace checks that a namespaced admin request
// refused for its admin token (401), or with the admin API off (404),
// creates no namespace: the token is checked before the namespace is
// resolved (docs/conformance.md ER-3).
func TestAdminRefusedMakesNoNamespace(t *testing.T) {
	t.Parallel()
	const tok = "adm1n-t0ken"
	ts, srv := adminServer(t, mockserver.WithAdminToken(tok))
	for _, tt := range []struct {
		name string
		kv   []string
	}{
		{"ER-3/no token", nil},
		{"ER-3/wrong token", []string{"Authorization", "Bearer nope"}},
	} {
		for _, path := range []string{"/ns/sneaky/admin/clock", "/ns/sneaky/admin/tokens", "/ns/sneaky/admin", "/ns/Bad%20Name/admin/clock"} {
			got := admin(t, ts, "GET", path, "", tt.kv...)
			if got.status != 401 || got.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: %s: %d %s; want 401 with a challenge", tt.name, path, got.status, got.body)
			}
		}
		if got := admin(t, ts, "POST", "/ns/sneaky/admin/tokens", `{"token":"x"}`, tt.kv...); got.status != 401 {
			t.Errorf("%s: POST a token: %d; want 401", tt.name, got.status)
		}
	}
	if names := srv.Namespaces(); len(names) != 0 {
		t.Errorf("refused admin requests made namespaces %q", names)
	}
	if got := admin(t, ts, "GET", "/ns/sneaky/admin/clock", "", "Authorization", "Bearer "+tok); got.status != 200 {
		t.Errorf("with the admin token: %d %s; want 200", got.status, got.body)
	}
	if names := srv.Namespaces(); len(names) != 1 || names[0] != "sneaky" {
		t.Errorf("namespaces %q; want [sneaky] once authorized", names)
	}

	offSrv, err := mockserver.New(mockserver.WithFixtures(testSet()))
	if err != nil {
		t.Fatal(err)
	}
	off := startHandler(t, offSrv) // no adminapi.Handler: no admin API
	if got := admin(t, off, "GET", "/ns/sneaky/admin/clock", ""); got.status != 404 {
		t.Errorf("admin off: %d; want 404", got.status)
	}
	if names := offSrv.Namespaces(); len(names) != 0 {
		t.Errorf("admin off: a refused admin request made namespaces %q", names)
	}
}
