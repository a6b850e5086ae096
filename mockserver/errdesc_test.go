package mockserver_test

import (
	"testing"
)

// checkDescription fails unless desc is printable ASCII without '"' or
// '\' (RFC 6749 §5.2).
func checkDescription(t *testing.T, name, desc string) {
	t.Helper()
	for i := 0; i < len(desc); i++ {
		if c := desc[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			t.Errorf("%s: error_description %q holds byte %#x", name, desc, c)
			return
		}
	}
}

// TestErrorDescriptionReadable checks that error_description stays
// printable ASCII without '"' or '\' and still reads well: a quoted value
// keeps its quotes as '…', each non-ASCII character is one '?', but § is "section" (docs/conformance.md ER-1).
func TestErrorDescriptionReadable(t *testing.T) {
	t.Parallel()
	ts, _ := adminServer(t)
	for _, tt := range []struct {
		name, method, path, body string
		wantStatus               int
		want                     string
	}{
		{"ER-1/quotes, backslash and unicode in a fixture error", "POST", "/admin/tokens", `{"token":"x","exp":"1 ħour \"q\" a\\b"}`, 400,
			`body:1:20: exp: invalid duration '1 ?our 'q' a/b'`},
		{"ER-1/a section sign in an RFC citation reads as section", "POST", "/admin/clients",
			`{"client_id":"c","token_endpoint_auth_method":"none","redirect_uris":["/cb"]}`, 400,
			`body:1:71: redirect_uris[0]: redirect URI '/cb' is not absolute (RFC 6749 section 3.1.2)`},
		{"ER-1/unicode in a key", "POST", "/admin/tokens", `{"tokén":"x"}`, 400,
			`body:1:2: ['tok?n']: unknown key (did you mean 'token'?)`},
		{"ER-1/emoji is one ?", "POST", "/admin/clock/advance", `{"by":"2 🕑"}`, 400,
			`body:1:7: by: invalid duration '2 ?' (want a duration such as 2h or -30s)`},
		{"ER-1/two problems on one line", "POST", "/admin/tokens", `{"exp":"1 hour","iat":"soon"}`, 400,
			`body:1:8: exp: invalid duration '1 hour'; body:1:23: iat: invalid time 'soon' (want a duration such as +1h or -5m, an RFC 3339 timestamp or unix seconds)`},
		{"ER-1/a claim name with a quote", "POST", "/admin/tokens", `{"claims":{"sub":1,"a\"b":2}}`, 400,
			`body:1:12: claims.sub: claim 'sub' is a registered member: use the token's sub key`},
		{"ER-1/the namespace name is not echoed", "GET", "/ns/%C3%A9%22/introspect", "", 404,
			`invalid namespace name in the path: want 1 to 63 of a-z, 0-9, _ and -, starting with a letter or digit`},
	} {
		got := admin(t, ts, tt.method, tt.path, tt.body)
		if got.status != tt.wantStatus {
			t.Errorf("%s: status %d %s; want %d", tt.name, got.status, got.body, tt.wantStatus)
		}
		checkJSONType(t, got)
		desc := decodeErr(t, got.body).Description
		checkDescription(t, tt.name, desc)
		if desc != tt.want {
			t.Errorf("%s: error_description\n got %s\nwant %s", tt.name, desc, tt.want)
		}
	}
}
