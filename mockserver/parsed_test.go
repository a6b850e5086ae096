package mockserver_test

import (
	"strings"
	"testing"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// issueYAML is the fixture example of issue 3.
const issueYAML = `issuer: https://auth.example.test
clients:
  - client_id: orders-api
    client_secret: orders-secret
  - bearer: rs-bearer-token
  - client_id: rs-only
    client_secret: rs-only-secret
    scopes: []
tokens:
  - token: active-token
    scope: "read write"
    client_id: web-app
    username: alice
    sub: user-123
    aud: orders-api
    iss: https://auth.example.test
    token_type: Bearer
    iat: -5m
    nbf: -5m
    exp: +1h
    jti: 0f1e
    claims: {tenant: acme, roles: [admin]}
  - token: revoked-token
    revoked: true
allow_anonymous: false
`

// TestParsedFixtures serves the issue's fixture example through
// fixtures.Parse, as the binary does.
func TestParsedFixtures(t *testing.T) {
	t.Parallel()
	set, err := fixtures.Parse(t0, "tokens.yaml", []byte(issueYAML))
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := start(t, mockserver.WithFixtures(set), mockserver.WithClock(newClock()))
	tests := []struct {
		name string
		auth string
		give string
		want string
	}{
		{"IR-2/active", basic("orders-api", "orders-secret"), "active-token",
			`{"active":true,"scope":"read write","client_id":"web-app","username":"alice","token_type":"Bearer",` +
				`"exp":1893557045,"iat":1893553145,"nbf":1893553145,"sub":"user-123","aud":"orders-api",` +
				`"iss":"https://auth.example.test","jti":"0f1e","roles":["admin"],"tenant":"acme"}`},
		{"IR-7/revoked", "Bearer rs-bearer-token", "revoked-token", inactive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := do(t, ts, req{header: hdr("Authorization", tt.auth), body: form("token", tt.give)})
			if got.status != 200 || got.body != tt.want {
				t.Errorf("got %d %s\nwant   %s", got.status, got.body, tt.want)
			}
		})
	}
	if got := do(t, ts, req{body: "token=active-token"}); !strings.Contains(got.body, "invalid_client") {
		t.Errorf("anonymous: %s; want invalid_client", got.body)
	}
	// TE-6: `scopes: []` makes a client introspect-only.
	got := do(t, ts, req{path: "/token", header: hdr("Authorization", basic("rs-only", "rs-only-secret")), body: "grant_type=client_credentials"})
	if got.status != 400 || decodeErr(t, got.body).Error != "unauthorized_client" {
		t.Errorf("TE-6: got %d %s; want 400 unauthorized_client", got.status, got.body)
	}
}
