package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// adminReq sends an admin API request to in, with a bearer token unless
// tok is "".
func adminReq(t *testing.T, in *instance, method, path, body, tok string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, in.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return do(t, nil, req)
}

// TestAdminFlags checks --admin, --admin-token and --journal-size (and
// their environment variables) against the running server.
func TestAdminFlags(t *testing.T) {
	t.Run("on by default", func(t *testing.T) {
		in := start(t, []string{"--addr", "127.0.0.1:0"}, nil)
		if status, body := adminReq(t, in, "POST", "/admin/tokens", `{"token":"from-admin","sub":"bob"}`, ""); status != 201 {
			t.Fatalf("add token: %d %s", status, body)
		}
		status, body := post(t, nil, in.url+"/introspect", "demo-rs", "demo-secret", url.Values{"token": {"from-admin"}})
		if status != 200 || !strings.Contains(body, `"sub":"bob"`) {
			t.Errorf("introspect the added token: %d %s", status, body)
		}
	})
	t.Run("off by env", func(t *testing.T) {
		in := start(t, []string{"--addr", "127.0.0.1:0"}, map[string]string{"INTROSPECTMOCK_ADMIN": "false"})
		if status, body := adminReq(t, in, "GET", "/admin/clock", "", ""); status != 404 || !strings.Contains(body, "disabled") {
			t.Errorf("admin off: %d %s", status, body)
		}
	})
	t.Run("admin token", func(t *testing.T) {
		const tok = "s3cret-admin-tok"
		for name, in := range map[string]*instance{
			"flag": start(t, []string{"--addr", "127.0.0.1:0", "--admin-token", tok, "--log-level", "debug"}, nil),
			"env":  start(t, []string{"--addr", "127.0.0.1:0", "--log-level", "debug"}, map[string]string{"INTROSPECTMOCK_ADMIN_TOKEN": tok}),
		} {
			if status, _ := adminReq(t, in, "GET", "/admin/clock", "", ""); status != 401 {
				t.Errorf("%s: no token: %d; want 401", name, status)
			}
			if status, _ := adminReq(t, in, "GET", "/admin/clock", "", "wrong"); status != 401 {
				t.Errorf("%s: wrong token: %d; want 401", name, status)
			}
			if status, body := adminReq(t, in, "GET", "/admin/clock", "", tok); status != 200 {
				t.Errorf("%s: right token: %d %s", name, status, body)
			}
			if strings.Contains(in.stderr.String(), tok) || strings.Contains(in.stdout.String(), tok) {
				t.Errorf("%s: the admin token is in the output", name)
			}
		}
	})
	t.Run("journal size", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			args []string
			env  map[string]string
			want int
		}{
			{"flag", []string{"--journal-size", "2"}, nil, 2},
			{"env keeps none", nil, map[string]string{"INTROSPECTMOCK_JOURNAL_SIZE": "0"}, 0},
			{"default", nil, nil, 3},
		} {
			in := start(t, append([]string{"--addr", "127.0.0.1:0"}, tt.args...), tt.env)
			for range 3 {
				post(t, nil, in.url+"/introspect", "demo-rs", "demo-secret", url.Values{"token": {"demo-active"}})
			}
			_, body := adminReq(t, in, "GET", "/admin/calls", "", "")
			var calls struct{ Calls []json.RawMessage }
			if err := json.Unmarshal([]byte(body), &calls); err != nil || len(calls.Calls) != tt.want {
				t.Errorf("%s: journal holds %d calls (%v); want %d", tt.name, len(calls.Calls), err, tt.want)
			}
		}
		if _, err := parseServeConfig([]string{"--journal-size", "-1"}, envMap(nil), &syncBuffer{}); err == nil {
			t.Error("--journal-size -1: no error")
		}
	})
}
