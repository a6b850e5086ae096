package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// oauthError decodes an error answer, failing unless it is one.
func oauthError(t *testing.T, body string) (code, desc string) {
	t.Helper()
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
		t.Fatalf("not an OAuth error body: %s (%v)", body, err)
	}
	return e.Error, e.Description
}

// TestStoreLimitFlags checks --max-namespaces and --max-tokens (and their
// environment variables): over HTTP, the request past each limit gets a
// clear error naming the limit and the flag.
func TestStoreLimitFlags(t *testing.T) {
	t.Run("max namespaces", func(t *testing.T) {
		for name, in := range map[string]*instance{
			"flag": start(t, []string{"--addr", "127.0.0.1:0", "--max-namespaces", "1"}, nil),
			"env":  start(t, []string{"--addr", "127.0.0.1:0"}, map[string]string{"INTROSPECTMOCK_MAX_NAMESPACES": "1"}),
		} {
			if status, body := adminReq(t, in, "PUT", "/admin/namespaces/team-a", "", ""); status != 201 {
				t.Fatalf("%s: first namespace: %d %s", name, status, body)
			}
			status, body := adminReq(t, in, "PUT", "/admin/namespaces/team-b", "", "")
			if code, desc := oauthError(t, body); status != 400 || code != "invalid_request" ||
				!strings.Contains(desc, "1 namespaces exist, the limit") || !strings.Contains(desc, "--max-namespaces") {
				t.Errorf("%s: a namespace past the limit: %d %s", name, status, body)
			}
			// Made on first use: the same limit, the same error.
			status, body = post(t, nil, in.url+"/ns/team-c/introspect", "demo-rs", "demo-secret", url.Values{"token": {"demo-active"}})
			if code, desc := oauthError(t, body); status != 400 || code != "invalid_request" || !strings.Contains(desc, "--max-namespaces") {
				t.Errorf("%s: first use of a namespace past the limit: %d %s", name, status, body)
			}
			// Deleting one makes room.
			if status, _ := adminReq(t, in, "DELETE", "/admin/namespaces/team-a", "", ""); status != 204 {
				t.Errorf("%s: delete: %d", name, status)
			}
			if active, body := introspect(t, nil, in.url+"/ns/team-c", "demo-rs", "demo-secret", "demo-active"); !active {
				t.Errorf("%s: after a delete: %s", name, body)
			}
		}
	})

	t.Run("max tokens", func(t *testing.T) {
		// The demo fixtures hold 4 tokens: room for one more.
		for name, in := range map[string]*instance{
			"flag": start(t, []string{"--addr", "127.0.0.1:0", "--max-tokens", "5"}, nil),
			"env":  start(t, []string{"--addr", "127.0.0.1:0"}, map[string]string{"INTROSPECTMOCK_MAX_TOKENS": "5"}),
		} {
			if status, body := adminReq(t, in, "POST", "/admin/tokens", `{"token":"fifth"}`, ""); status != 201 {
				t.Fatalf("%s: fifth token: %d %s", name, status, body)
			}
			status, body := adminReq(t, in, "POST", "/admin/tokens", `{"token":"sixth"}`, "")
			if code, desc := oauthError(t, body); status != 400 || code != "invalid_request" ||
				!strings.Contains(desc, "holds 5 tokens, the limit") || !strings.Contains(desc, "--max-tokens") {
				t.Errorf("%s: a token past the limit: %d %s", name, status, body)
			}
			// The token endpoint: nothing of its own to drop, so 503.
			status, body = post(t, nil, in.url+"/token", "demo-client", "demo-client-secret", url.Values{"grant_type": {"client_credentials"}})
			if code, desc := oauthError(t, body); status != 503 || code != "temporarily_unavailable" || !strings.Contains(desc, "--max-tokens") {
				t.Errorf("%s: /token with the store full: %d %s", name, status, body)
			}
			if status, _ := adminReq(t, in, "DELETE", "/admin/tokens/fifth", "", ""); status != 204 {
				t.Errorf("%s: delete: %d", name, status)
			}
			if status, body := post(t, nil, in.url+"/token", "demo-client", "demo-client-secret", url.Values{"grant_type": {"client_credentials"}}); status != 200 {
				t.Errorf("%s: /token after a delete: %d %s", name, status, body)
			}
		}
	})

	t.Run("fixtures past the limit", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--max-tokens", "3"}, envMap(nil), &stdout, &stderr)
		if code := exitCode(err, &stderr); code != 1 || !strings.Contains(stderr.String(), "the fixtures hold 4 tokens, more than the limit of 3") ||
			!strings.Contains(stderr.String(), "--max-tokens") {
			t.Errorf("demo fixtures (4 tokens) with --max-tokens 3: exit %d, stderr:\n%s", code, stderr.String())
		}
	})

	t.Run("bad values", func(t *testing.T) {
		for _, args := range [][]string{
			{"--max-tokens", "0"}, {"--max-tokens", "many"}, {"--max-namespaces", "-1"}, {"--max-namespaces", "1.5"},
			{"--max-total-tokens", "0"}, {"--max-total-tokens", "lots"},
		} {
			if _, err := parseServeConfig(args, envMap(nil), &bytes.Buffer{}); err == nil {
				t.Errorf("%q: no error", args)
			}
		}
		if _, err := parseServeConfig(nil, envMap(map[string]string{"INTROSPECTMOCK_MAX_TOKENS": "-5"}), &bytes.Buffer{}); err == nil ||
			!strings.Contains(err.Error(), "INTROSPECTMOCK_MAX_TOKENS") {
			t.Errorf("INTROSPECTMOCK_MAX_TOKENS=-5: %v; want an error naming the variable", err)
		}
		cfg, err := parseServeConfig([]string{"--max-namespaces", "0"}, envMap(nil), &bytes.Buffer{})
		if err != nil || cfg.maxNamespaces == nil || *cfg.maxNamespaces != 0 {
			t.Errorf("--max-namespaces 0 (only the default namespace): %v", err)
		}
	})

	t.Run("journal size over the admin API", func(t *testing.T) {
		in := start(t, []string{"--addr", "127.0.0.1:0", "--journal-size", "2"}, nil)
		if status, body := adminReq(t, in, "GET", "/admin/journal", "", ""); status != 200 || body != `{"size":2,"kept":0}` {
			t.Errorf("--journal-size 2: GET /admin/journal: %d %s", status, body)
		}
		if status, body := adminReq(t, in, "PUT", "/admin/journal", `{"size":5}`, ""); status != 200 || body != `{"size":5,"kept":0}` {
			t.Errorf("PUT /admin/journal: %d %s", status, body)
		}
		for range 4 {
			introspect(t, nil, in.url, "demo-rs", "demo-secret", "demo-active")
		}
		if status, body := adminReq(t, in, "GET", "/admin/journal", "", ""); status != 200 || body != `{"size":5,"kept":4}` {
			t.Errorf("after 4 calls: %d %s", status, body)
		}
	})
}
