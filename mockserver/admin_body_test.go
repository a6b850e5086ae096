package mockserver_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAdminScriptBody checks that PUT /admin/tokens/{t}/script removes a
// script only when told so ({"script":[]}): an empty body, null or {} is
// 400 missing script and leaves the script in place.
func TestAdminScriptBody(t *testing.T) {
	t.Parallel()
	ts, srv := adminServer(t)
	const path = "/admin/tokens/active-token/script"
	set := adminStep{"set a script", "PUT", path, `{"script":[{"after_calls":0,"state":"revoked"}]}`, 204, ""}
	hasScript := func() bool {
		ti, _ := srv.Default().Lookup("active-token")
		return len(ti.Script) > 0
	}

	set.check(t, ts)
	for _, body := range []string{"", "null", "{}", " \n"} {
		got := admin(t, ts, "PUT", path, body)
		if got.status != 400 || decodeErr(t, got.body).Description != "body:1:1: missing script; an empty list removes the script" {
			t.Errorf("body %q: %d %s; want 400 missing script", body, got.status, got.body)
		}
		if !hasScript() {
			t.Errorf("body %q removed the script", body)
		}
	}
	for _, body := range []string{`{"script":[]}`, `[]`, `{"script":null}`} {
		set.check(t, ts)
		adminStep{"remove with " + body, "PUT", path, body, 204, ""}.check(t, ts)
		if hasScript() {
			t.Errorf("%s kept the script", body)
		}
	}
}

// TestAdminAddTokenEmptyBody checks that POST /admin/tokens with no body,
// null or {} adds a random token with the defaults, as documented.
func TestAdminAddTokenEmptyBody(t *testing.T) {
	t.Parallel()
	ts, _ := adminServer(t)
	for _, body := range []string{"", "null", "{}"} {
		got := admin(t, ts, "POST", "/admin/tokens", body)
		var out struct{ Token string }
		if err := json.Unmarshal([]byte(got.body), &out); err != nil || got.status != 201 || len(out.Token) != 43 {
			t.Errorf("body %q: %d %s; want 201 with a random token", body, got.status, got.body)
			continue
		}
		if got := asRS(t, ts, "/introspect", out.Token); !strings.HasPrefix(got.body, `{"active":true`) {
			t.Errorf("body %q: the token introspects %s", body, got.body)
		}
	}
}

// TestAdminDelayCap checks that delays over 10 minutes are refused with a
// position, in scripts and fault orders alike (docs/conformance.md ER-5).
func TestAdminDelayCap(t *testing.T) {
	t.Parallel()
	ts, _ := adminServer(t)
	for _, st := range []adminStep{
		{"ER-5/script delay over the cap", "PUT", "/admin/tokens/active-token/script", `{"script":[{"on_call":1,"respond":{"delay":"1000h"}}]}`, 400,
			`{"error":"invalid_request","error_description":"body:1:44: script[0].respond.delay: delay must be at most 10m, got 1000h"}`},
		{"ER-5/token script delay over the cap", "POST", "/admin/tokens", `{"script":[{"on_call":1,"respond":{"delay":"11m"}}]}`, 400,
			`~script[0].respond.delay: delay must be at most 10m, got 11m`},
		{"ER-5/fault delay over the cap", "POST", "/admin/faults", `{"respond":{"delay":"10m1s"}}`, 400,
			`~respond.delay: delay must be at most 10m, got 10m1s`},
		{"ER-5/at the cap", "POST", "/admin/faults", `{"respond":{"delay":"10m"}}`, 204, ""},
		{"cancel", "DELETE", "/admin/faults", "", 204, ""},
	} {
		st.check(t, ts)
	}
}
