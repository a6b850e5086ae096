package mockserver_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
)

// TestCallRedaction checks that a printed call never shows its token.
func TestCallRedaction(t *testing.T) {
	t.Parallel()
	c := mockserver.Call{Time: t0, Namespace: "ns1", Endpoint: "introspect", ClientID: rsID, AuthMethod: "basic",
		Token: "super-secret-token", TokenTypeHint: "access_token", Status: 503, Fault: "status 503"}
	want := `2030-01-02T03:04:05.5Z ns=ns1 introspect client="rs" auth=basic token=supe… hint="access_token" status=503 active=false fault="status 503"`
	if got := c.String(); got != want {
		t.Errorf("String()\n got %s\nwant %s", got, want)
	}
	tests := []struct{ give, want string }{
		{"", ""}, {"abc", "…"}, {"1234567", "…"}, {"12345678", "1234…"}, {"ééééé", "éé…"}, {"\xff\xff\xffabcdef", "…"},
	}
	for _, tt := range tests {
		if got := mockserver.Redact(tt.give); got != tt.want {
			t.Errorf("Redact(%q) = %q; want %q", tt.give, got, tt.want)
		}
		c.Token = mockserver.RedactedToken(tt.give)
		if tt.give != "" && len(tt.give) >= 4 && strings.Contains(c.String(), tt.give) {
			t.Errorf("String shows %q", tt.give)
		}
	}

	c.Token = "super-secret-token"
	if c.Token.Raw() != "super-secret-token" {
		t.Errorf("Token.Raw() = %q; want the token whole", c.Token.Raw())
	}
	// Every way a test might print a call, one call or many, redacts.
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	jt, err := json.Marshal(c.Token)
	if err != nil {
		t.Fatal(err)
	}
	var buf syncBuffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("journal", "call", c, "token", c.Token)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("journal", "call", c, "calls", []mockserver.Call{c})
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
		"%s": fmt.Sprintf("%s", c), "%q": fmt.Sprintf("%q", c),
		"%v of a slice": fmt.Sprintf("%v", []mockserver.Call{c}), "%#v of a slice": fmt.Sprintf("%#v", []mockserver.Call{c}),
		"%+v of a struct holding it": fmt.Sprintf("%+v", struct{ C mockserver.Call }{c}),
		"%#v of a pointer's target":  fmt.Sprintf("%#v", *&c),
		"%v of the token":            fmt.Sprintf("%v", c.Token), "%#v of the token": fmt.Sprintf("%#v", c.Token),
		"%q of the token": fmt.Sprintf("%q", c.Token),
		"json.Marshal":    string(j), "json.Marshal of the token": string(jt),
		"slog": buf.String(),
	} {
		if strings.Contains(out, "super-secret-token") || !strings.Contains(out, "supe…") {
			t.Errorf("%s shows the token, or not its redacted form: %s", name, out)
		}
	}
	// The admin API is the test's own view of the journal: raw tokens,
	// which decode back into a Call.
	var back mockserver.Call
	if err := json.Unmarshal([]byte(`{"endpoint":"introspect","token":"super-secret-token"}`), &back); err != nil || back.Token.Raw() != "super-secret-token" {
		t.Errorf("decoding a journal entry: %q, %v; want the raw token", back.Token.Raw(), err)
	}
}

// TestLogsNeverShowSecrets runs every feature with debug logging on and
// greps the log for tokens, secrets and the admin token.
func TestLogsNeverShowSecrets(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	const adminTok = "admin-token-xyz"
	ts, srv := adminServer(t, mockserver.WithLogger(logger), mockserver.WithAdminToken(adminTok))
	auth := []string{"Authorization", "Bearer " + adminTok}
	secrets := []string{adminTok, rsSecret, rsBearer, svcSecret, "active-token", "code-token-xyz", "admin-added-xyz", "client-secret-xyz", "stub-token-xyz", "ns-token-xyz"}

	ns := srv.Default()
	ns.AddToken(mockserver.Token{Token: "code-token-xyz"})
	ns.SetStub(func(r mockserver.StubRequest) (mockserver.Answer, bool) {
		return mockserver.Answer{Active: true}, r.Token == "stub-token-xyz"
	})
	if _, err := srv.Namespace("logs"); err != nil { // with an admin token, public requests make none
		t.Fatal(err)
	}
	for _, path := range []string{"/introspect", "/ns/logs/introspect"} {
		for _, tok := range []string{"active-token", "code-token-xyz", "stub-token-xyz", "ns-token-xyz"} {
			asRS(t, ts, path, tok)
		}
	}
	do(t, ts, req{header: hdr("Authorization", "Bearer "+rsBearer), body: "token=active-token"})
	do(t, ts, req{path: "/token", header: hdr("Authorization", basic(svcID, svcSecret)), body: "grant_type=client_credentials"})
	ns.FailNext(1, mockserver.Fault{Delay: time.Millisecond, Status: 503})
	asRS(t, ts, "/introspect", "active-token")
	for _, r := range [][3]string{
		{"POST", "/admin/tokens", `{"token":"admin-added-xyz"}`},
		{"POST", "/ns/logs/admin/tokens", `{"token":"ns-token-xyz"}`},
		{"GET", "/admin/tokens/admin-added-xyz", ""},
		{"POST", "/admin/tokens/admin-added-xyz/revoke", ""},
		{"PUT", "/admin/tokens/admin-added-xyz/script", `{"script":[{"on_call":1,"state":"revoked"}]}`},
		{"POST", "/admin/clients", `{"client_id":"c","client_secret":"client-secret-xyz"}`},
		{"POST", "/admin/clients", `{"client_id":"c","client_secret":"client-secret-xyz"}`},
		{"POST", "/admin/tokens", `{"token":"admin-added-xyz","exp":"1 hour"}`},
		{"GET", "/admin/calls?token=active-token", ""},
		{"DELETE", "/admin/tokens/admin-added-xyz", ""},
	} {
		admin(t, ts, r[0], r[1], r[2], auth...)
	}
	admin(t, ts, "GET", "/admin/clock", "", "Authorization", "Bearer wrong-"+adminTok)

	out := buf.String()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the log shows %q:\n%s", s, out)
		}
	}
	if n := strings.Count(out, "msg=call"); n != 11 {
		t.Errorf("%d calls logged; want 11:\n%s", n, out)
	}
	if !strings.Contains(out, "route=tokens/{token}/revoke") || !strings.Contains(out, `fault="delay 1ms, status 503"`) {
		t.Errorf("the log lacks admin routes or faults:\n%s", out)
	}
}
