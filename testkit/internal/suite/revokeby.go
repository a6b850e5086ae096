package suite

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit"
)

// testRevokeSubjectClient: RevokeSubject revokes every token of a subject
// and RevokeClient every token of a client, issued ones included, saying
// how many; tokens made afterwards stay active; the journal says why.
func testRevokeSubjectClient(t *testing.T, start Start) {
	s := start(t)
	add := func(sub, clientID string) string {
		tok, _ := s.AddToken(mockserver.Token{Sub: sub, ClientID: clientID, ExpiresIn: time.Hour})
		return tok
	}
	alice1, alice2, bob := add("suite-alice", "web"), add("suite-alice", "mobile"), add("suite-bob", "web")
	app := add("suite-carol", "suite-app")
	issued := issueToken(t, s)

	if n, _ := s.RevokeSubject("suite-alice"); n != 2 {
		t.Errorf("RevokeSubject(suite-alice) = %d; want 2", n)
	}
	if n, _ := s.RevokeClient("suite-app"); n != 1 {
		t.Errorf("RevokeClient(suite-app) = %d; want 1", n)
	}
	if n, _ := s.RevokeClient(s.ClientID()); n != 1 { // the token issued to the caller at /token
		t.Errorf("RevokeClient(%s) = %d; want 1", s.ClientID(), n)
	}
	later := add("suite-alice", "web")
	for tok, why := range map[string]string{
		alice1: "revoked by subject", alice2: "revoked by subject", app: "revoked by client", issued: "revoked by client",
		bob: "", later: "",
	} {
		if active := introspect(t, s, tok).active(t); active != (why == "") {
			t.Errorf("%s: active = %v; want %v", mockserver.Redact(tok), active, why == "")
		}
		calls := s.Calls(testkit.CallFilter{Endpoint: mockserver.EndpointIntrospect})
		if got := calls[len(calls)-1].Why; got != why {
			t.Errorf("%s: the journal says why %q; want %q", mockserver.Redact(tok), got, why)
		}
	}
	if _, err := s.With(nil).RevokeSubject(""); err == nil {
		t.Error("RevokeSubject(\"\"): no error")
	}
}

// issueToken fetches a client_credentials token for s's caller at /token.
func issueToken(t *testing.T, s *testkit.Server) string {
	t.Helper()
	a := post(t, s, s.URL()+"/token", url.Values{"grant_type": {"client_credentials"}})
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if a.status != http.StatusOK || json.Unmarshal(a.body, &tr) != nil || tr.AccessToken == "" {
		t.Fatalf("POST /token: %d %s", a.status, a.body)
	}
	return tr.AccessToken
}
