package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
)

// The log of a whole run, at debug level and in both formats, never holds
// a secret or a token, whatever the requests did.
func TestLogHoldsNoSecrets(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			in := start(t, []string{"--addr", "127.0.0.1:0", "--log-level", "debug", "--log-format", format},
				map[string]string{"INTROSPECTMOCK_ADMIN_TOKEN": "admin-token-value"})
			secrets := []string{"admin-token-value",
				"demo-secret", "demo-client-secret", "demo-rs-bearer", "wrong-secret-value",
				"demo-active", "demo-expired", "demo-revoked", "demo-not-yet-valid", "unknown-token-value",
				base64.StdEncoding.EncodeToString([]byte("demo-rs:demo-secret")),
			}

			status, body := post(t, nil, in.url+"/token", "demo-client", "demo-client-secret",
				url.Values{"grant_type": {"client_credentials"}, "scope": {"read write"}})
			var issued struct {
				AccessToken string `json:"access_token"`
			}
			if err := json.Unmarshal([]byte(body), &issued); status != http.StatusOK || err != nil || issued.AccessToken == "" {
				t.Fatalf("POST /token = %d %s", status, body)
			}
			secrets = append(secrets, issued.AccessToken)

			for _, tok := range []string{"demo-active", "demo-expired", "demo-revoked", "demo-not-yet-valid", "unknown-token-value", issued.AccessToken} {
				introspect(t, nil, in.url, "demo-rs", "demo-secret", tok)
			}
			// client_secret_post, a bearer caller, wrong credentials, a GET
			// with the token in the query, a revocation, admin calls and a reload.
			post(t, nil, in.url+"/introspect", "", "", url.Values{
				"token": {"demo-active"}, "client_id": {"demo-rs"}, "client_secret": {"demo-secret"}})
			req, _ := http.NewRequest(http.MethodPost, in.url+"/introspect", strings.NewReader("token=demo-active"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", "Bearer demo-rs-bearer")
			do(t, nil, req)
			post(t, nil, in.url+"/introspect", "demo-rs", "wrong-secret-value", url.Values{"token": {"demo-active"}})
			get(t, nil, in.url+"/introspect?token=demo-active&client_secret=demo-secret")
			post(t, nil, in.url+"/revoke", "demo-rs", "demo-secret", url.Values{"token": {"demo-active"}})
			for _, auth := range []string{"Bearer admin-token-value", "Bearer wrong-secret-value"} {
				req, _ := http.NewRequest(http.MethodGet, in.url+"/admin/tokens", nil)
				req.Header.Set("Authorization", auth)
				do(t, nil, req)
			}
			in.reload <- syscall.SIGHUP
			in.waitLog(t, "fixtures reloaded", 1)
			if err := in.stop(t); err != nil {
				t.Fatal(err)
			}

			log := in.stderr.String()
			if !strings.Contains(log, "introspectmock listening") {
				t.Fatalf("no log captured:\n%s", log)
			}
			for _, s := range secrets {
				if strings.Contains(log, s) {
					t.Errorf("log holds %q:\n%s", s, log)
				}
			}
		})
	}
}
