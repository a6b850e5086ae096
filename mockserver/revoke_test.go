package mockserver_test

import (
	"testing"

	"github.com/introspectmock/introspectmock/mockserver"
)

// TestRevoke covers RFC 7009 revocation (docs/conformance.md RV-1…RV-4, TL-5): the answer,
// then whether the token is still active.
func TestRevoke(t *testing.T) {
	t.Parallel()
	auth := basic(rsID, rsSecret)
	tests := []struct {
		name           string
		give           req
		wantStatus     int
		wantErr        string // OAuth error code; "" for success (empty body)
		wantChallenges []string
		token          string // introspected afterwards
		wantActive     bool
	}{
		{name: "RV-3,TL-5/active token is revoked", give: req{header: hdr("Authorization", auth), body: "token=active-token"},
			wantStatus: 200, token: "active-token"},
		{name: "RV-3/already revoked is 200", give: req{header: hdr("Authorization", auth), body: "token=revoked-token"},
			wantStatus: 200, token: "revoked-token"},
		{name: "RV-3/unknown token is 200", give: req{header: hdr("Authorization", auth), body: "token=no-such-token"},
			wantStatus: 200, token: "active-token", wantActive: true},
		{name: "RV-4/wrong hint still revokes", give: req{header: hdr("Authorization", auth), body: "token=active-token&token_type_hint=refresh_token"},
			wantStatus: 200, token: "active-token"},
		{name: "RV-4/unknown hint is ignored", give: req{header: hdr("Authorization", auth), body: "token=active-token&token_type_hint=bogus"},
			wantStatus: 200, token: "active-token"},
		{name: "RV-1/GET is 405", give: req{method: "GET", path: "/revoke?token=active-token", header: hdr("Authorization", auth)},
			wantStatus: 405, wantErr: "invalid_request", token: "active-token", wantActive: true},
		{name: "RV-1/missing token is 400", give: req{header: hdr("Authorization", auth), body: "token_type_hint=access_token"},
			wantStatus: 400, wantErr: "invalid_request", token: "active-token", wantActive: true},
		{name: "RV-1/repeated token is 400", give: req{header: hdr("Authorization", auth), body: "token=active-token&token=minimal-token"},
			wantStatus: 400, wantErr: "invalid_request", token: "active-token", wantActive: true},
		{name: "RV-1/JSON body is 400", give: req{header: hdr("Authorization", auth, "Content-Type", "application/json"), body: `{"token":"active-token"}`},
			wantStatus: 400, wantErr: "invalid_request", token: "active-token", wantActive: true},
		{name: "RV-1/bad escape is 400", give: req{header: hdr("Authorization", auth), body: "token=active-token%"},
			wantStatus: 400, wantErr: "invalid_request", token: "active-token", wantActive: true},
		{name: "RV-2/no credentials is 401", give: req{body: "token=active-token"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengesNone, token: "active-token", wantActive: true},
		{name: "RV-2/wrong secret is 401", give: req{header: hdr("Authorization", basic(rsID, "x")), body: "token=active-token"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic, token: "active-token", wantActive: true},
		{name: "RV-2/registered public client with client_id alone", give: req{body: form("token", "active-token", "client_id", "public-app")},
			wantStatus: 200, token: "active-token"},
		{name: "RV-2/confidential client with client_id alone is 401", give: req{body: form("token", "active-token", "client_id", rsID)},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic, token: "active-token", wantActive: true},
		{name: "RV-2/unknown client with client_id alone is 401", give: req{body: form("token", "active-token", "client_id", "nobody")},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic, token: "active-token", wantActive: true},
		{name: "RV-2/client_secret_post", give: req{body: form("token", "active-token", "client_id", rsID, "client_secret", rsSecret)},
			wantStatus: 200, token: "active-token"},
		{name: "RV-2/raw Basic", give: req{header: hdr("Authorization", rawBasic(oddID, oddSecret)), body: "token=active-token"},
			wantStatus: 200, token: "active-token"},
		{name: "RV-2/fixture bearer", give: req{header: hdr("Authorization", "Bearer "+rsBearer), body: "token=active-token"},
			wantStatus: 200, token: "active-token"},
		{name: "RV-2/bad bearer is 401", give: req{header: hdr("Authorization", "Bearer nope"), body: "token=active-token"},
			wantStatus: 401, wantErr: "invalid_token", wantChallenges: challengeBadBear, token: "active-token", wantActive: true},
		{name: "RV-2/a client that may not introspect may revoke", give: req{header: hdr("Authorization", basic("no-introspect", "n")), body: "token=active-token"},
			wantStatus: 200, token: "active-token"},
		{name: "RV-2/two methods is 400", give: req{header: hdr("Authorization", auth), body: form("token", "active-token", "client_id", rsID, "client_secret", rsSecret)},
			wantStatus: 400, wantErr: "invalid_request", token: "active-token", wantActive: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts, _ := start(t, mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()))
			tt.give.path = firstNonEmpty(tt.give.path, "/revoke")
			got := do(t, ts, tt.give)
			if got.status != tt.wantStatus {
				t.Errorf("status = %d; want %d (body %s)", got.status, tt.wantStatus, got.body)
			}
			checkJSONType(t, got)
			checkNoStore(t, got)
			checkChallenges(t, got, tt.wantChallenges)
			if tt.wantErr != "" {
				checkErrorBody(t, got, tt.wantErr)
			} else if got.body != "" {
				t.Errorf("body = %q; want empty", got.body)
			}
			after := do(t, ts, req{header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=" + tt.token})
			if active := after.body != inactive; active != tt.wantActive {
				t.Errorf("afterwards %s: %s; want active %v", tt.token, after.body, tt.wantActive)
			}
		})
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func checkChallenges(t *testing.T, got resp, want []string) {
	t.Helper()
	c := got.header.Values("WWW-Authenticate")
	if len(c) != len(want) {
		t.Errorf("WWW-Authenticate = %q; want %q", c, want)
		return
	}
	for i := range c {
		if c[i] != want[i] {
			t.Errorf("WWW-Authenticate = %q; want %q", c, want)
		}
	}
}
