package mockserver_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
)

// adminServer serves testSet with the admin API on and a base clock at t0.
func adminServer(t *testing.T, opts ...mockserver.Option) (*httptest.Server, *mockserver.Server) {
	t.Helper()
	return start(t, append([]mockserver.Option{mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()),
		mockserver.WithIssuer("https://auth.example.test")}, opts...)...)
}

// admin sends a JSON admin request (body "" sends none).
func admin(t testing.TB, ts *httptest.Server, method, path, body string, kv ...string) resp {
	t.Helper()
	h := http.Header{}
	if body != "" {
		h.Set("Content-Type", "application/json")
	}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return do(t, ts, req{method: method, path: path, header: h, body: body})
}

// asRS introspects tok at path as the rs client.
func asRS(t testing.TB, ts *httptest.Server, path, tok string) resp {
	t.Helper()
	return do(t, ts, req{path: path, header: hdr("Authorization", basic(rsID, rsSecret)), body: form("token", tok)})
}

// adminStep is one admin request of a scenario and what it must answer.
type adminStep struct {
	name       string
	method     string
	path       string
	body       string
	wantStatus int
	wantBody   string // exact, or what it must contain when it starts with "~"
}

func (st adminStep) check(t *testing.T, ts *httptest.Server) resp {
	t.Helper()
	got := admin(t, ts, st.method, st.path, st.body)
	if got.status != st.wantStatus {
		t.Errorf("%s: %s %s: status %d %s; want %d", st.name, st.method, st.path, got.status, got.body, st.wantStatus)
	}
	if want, ok := strings.CutPrefix(st.wantBody, "~"); ok {
		if !strings.Contains(got.body, want) {
			t.Errorf("%s: body %s; want it to contain %s", st.name, got.body, want)
		}
	} else if got.body != st.wantBody {
		t.Errorf("%s: body\n got %s\nwant %s", st.name, got.body, st.wantBody)
	}
	if got.status != http.StatusNoContent {
		checkJSONType(t, got)
	}
	if got.status >= 400 {
		e := decodeErr(t, got.body)
		if e.Error == "" || strings.ContainsAny(e.Description, "\"\\\n") {
			t.Errorf("%s: ER-1: error body %s", st.name, got.body)
		}
	}
	return got
}

// TestAdminAPI drives one namespace through every admin route, checking
// the effect of each over the protocol endpoints.
func TestAdminAPI(t *testing.T) {
	t.Parallel()
	ts, srv := adminServer(t)
	at := func(d time.Duration) string { return itoa(t0.Add(d).Unix()) }

	for _, st := range []adminStep{
		{"clock", "GET", "/admin/clock", "", 200, `{"now":"2030-01-02T03:04:05.5Z","frozen":false}`},
		{"freeze", "POST", "/admin/clock/freeze", "", 200, `{"now":"2030-01-02T03:04:05.5Z","frozen":true}`},
		{"advance", "POST", "/admin/clock/advance", `{"by":"2h"}`, 200, `{"now":"2030-01-02T05:04:05.5Z","frozen":true}`},
		{"advance back", "POST", "/admin/clock/advance", `{"by":"-2h"}`, 200, `{"now":"2030-01-02T03:04:05.5Z","frozen":true}`},
		{"set", "POST", "/admin/clock/set", `{"time":"2030-01-02T03:04:05.5Z"}`, 200, `{"now":"2030-01-02T03:04:05.5Z","frozen":true}`},
		{"add", "POST", "/admin/tokens", `{"token":"adm-1","scope":["a","b"],"sub":"s","aud":["x"],"iat":"+0s","exp":"+1h","claims":{"n":1}}`, 201, `{"token":"adm-1"}`},
		{"add with a slash", "POST", "/admin/tokens", `{"token":"a/b+c=="}`, 201, `{"token":"a/b+c=="}`},
		{"add without exp", "POST", "/admin/tokens", "token: never-exp\nexp: never\n", 201, `{"token":"never-exp"}`},
		{"TL-3/exp never", "GET", "/admin/tokens/never-exp", "", 200, `{"token":"never-exp","revoked":false,"state":"active","calls":0}`},
	} {
		st.check(t, ts)
	}
	want := `{"active":true,"scope":"a b","token_type":"Bearer","exp":` + at(time.Hour) + `,"iat":` + at(0) +
		`,"sub":"s","aud":["x"],"iss":"https://auth.example.test","n":1}`
	if got := asRS(t, ts, "/introspect", "adm-1"); got.body != want {
		t.Errorf("added token\n got %s\nwant %s", got.body, want)
	}

	random := admin(t, ts, "POST", "/admin/tokens", `{"scope":"r"}`)
	var out struct{ Token string }
	if json.Unmarshal([]byte(random.body), &out); random.status != 201 || len(out.Token) != 43 {
		t.Errorf("random token: %d %s", random.status, random.body)
	}

	for _, st := range []adminStep{
		{"get", "GET", "/admin/tokens/adm-1", "", 200, `{"token":"adm-1","scope":"a b","sub":"s","aud":["x"],"iat":` + at(0) + `,"exp":` + at(time.Hour) +
			`,"claims":{"n":1},"revoked":false,"state":"active","calls":1}`},
		{"TL-3/default exp", "GET", "/admin/tokens/a%2Fb+c==", "", 200, `{"token":"a/b+c==","exp":` + at(time.Hour) + `,"revoked":false,"state":"active","calls":0}`},
		{"revoke", "POST", "/admin/tokens/adm-1/revoke", "", 204, ""},
		{"revoke escaped", "POST", "/admin/tokens/a%2Fb+c==/revoke", "", 204, ""},
		{"state revoked", "GET", "/admin/tokens/adm-1", "", 200, `~"revoked":true,"revoked_by":"direct","state":"revoked","calls":1}`},
		{"expire", "POST", "/admin/tokens/minimal-token/expire", "", 204, ""},
		{"script", "PUT", "/admin/tokens/active-token/script", `{"script":[{"on_call":1,"respond":{"status":503,"retry_after":"3s"}},{"after":"10m","state":"expired"}]}`, 204, ""},
		{"script shown", "GET", "/admin/tokens/active-token", "", 200, `~"script":[{"on_call":1,"respond":{"status":503,"retry_after":"3s"}},{"after":"10m0s","state":"expired"}],"revoked":false,"state":"active","calls":0}`},
	} {
		st.check(t, ts)
	}
	for _, tt := range []struct {
		tok, want string
	}{{"adm-1", inactive}, {"a/b+c==", inactive}, {"minimal-token", inactive}} {
		if got := asRS(t, ts, "/introspect", tt.tok); got.body != tt.want {
			t.Errorf("TL-5/%s: %s; want %s", tt.tok, got.body, tt.want)
		}
	}
	if got := asRS(t, ts, "/introspect", "active-token"); got.status != 503 || got.header.Get("Retry-After") != "3" {
		t.Errorf("scripted 503: %d Retry-After %q", got.status, got.header.Get("Retry-After"))
	}

	for _, st := range []adminStep{
		{"delete", "DELETE", "/admin/tokens/adm-1", "", 204, ""},
		{"deleted", "GET", "/admin/tokens/adm-1", "", 404, `{"error":"not_found","error_description":"no such token"}`},
		{"faults", "POST", "/admin/faults", `{"count":2,"respond":{"status":500}}`, 204, ""},
	} {
		st.check(t, ts)
	}
	for i := range 3 {
		got := asRS(t, ts, "/introspect", "x")
		if wantStatus := []int{500, 500, 200}[i]; got.status != wantStatus {
			t.Errorf("FailNext call %d: %d; want %d", i+1, got.status, wantStatus)
		}
	}
	adminStep{"faults cleared", "DELETE", "/admin/faults", "", 204, ""}.check(t, ts)

	calls := adminStep{"calls filtered", "GET", "/admin/calls?endpoint=introspect&token=active-token", "", 200,
		`{"calls":[{"time":"2030-01-02T03:04:05.5Z","namespace":"","endpoint":"introspect","client_id":"rs","auth_method":"basic",` +
			`"token_type_hint":"","status":503,"active":false,"fault":"status 503","token":"active-token"}]}`}.check(t, ts)
	_ = calls
	// A filter that cannot be decoded is refused, not dropped (which
	// would answer the whole journal).
	adminStep{"calls with a malformed filter", "GET", "/admin/calls?endpoint=introspect&token=%zz", "", 400,
		`{"error":"invalid_request","error_description":"malformed percent-encoding in the query"}`}.check(t, ts)
	adminStep{"calls of a misspelt endpoint", "GET", "/admin/calls?endpoint=introspection", "", 400,
		`~"error_description":"unknown endpoint 'introspection' (want introspect, revoke, token, authorize, userinfo, logout, discovery, jwks, healthz or other)"`}.check(t, ts)
	var all struct{ Calls []mockserver.Call }
	if err := json.Unmarshal([]byte(admin(t, ts, "GET", "/admin/calls", "").body), &all); err != nil || len(all.Calls) != 8 {
		t.Errorf("journal holds %d calls (%v); want the 8 protocol calls, no admin ones", len(all.Calls), err)
	}

	for _, st := range []adminStep{
		{"clear calls", "DELETE", "/admin/calls", "", 204, ""},
		{"calls cleared", "GET", "/admin/calls", "", 200, `{"calls":[]}`},
		{"add client", "POST", "/admin/clients", `{"client_id":"c2","client_secret":"s2"}`, 201, `{"client_id":"c2"}`},
		{"add client again", "POST", "/admin/clients", `{"client_id":"c2","client_secret":"s3"}`, 409, `{"error":"conflict","error_description":"AddClient: client_id 'c2' already exists"}`},
		{"add bearer", "POST", "/admin/clients", `{"bearer":"b2"}`, 201, `{}`},
		{"add bearer again", "POST", "/admin/clients", `{"bearer":"b2"}`, 409, `{"error":"conflict","error_description":"AddClient: bearer already exists"}`},
	} {
		st.check(t, ts)
	}
	if got := do(t, ts, req{header: hdr("Authorization", basic("c2", "s2")), body: "token=active-token"}); got.status != 200 {
		t.Errorf("client added over the admin API: %d %s", got.status, got.body)
	}

	adminStep{"reset", "POST", "/admin/reset", "", 204, ""}.check(t, ts)
	if _, err := srv.Default().Lookup("a/b+c=="); err == nil {
		t.Error("reset kept an added token")
	}
	if got := asRS(t, ts, "/introspect", "minimal-token"); !strings.HasPrefix(got.body, `{"active":true`) {
		t.Errorf("reset: fixture token %s", got.body)
	}
	list := admin(t, ts, "GET", "/admin/tokens", "")
	var tokens struct{ Tokens []map[string]any }
	if err := json.Unmarshal([]byte(list.body), &tokens); err != nil || len(tokens.Tokens) != len(testSet().Tokens) {
		t.Errorf("list after reset: %d tokens (%v); want %d", len(tokens.Tokens), err, len(testSet().Tokens))
	}
	adminStep{"resume", "POST", "/admin/clock/resume", "", 200, `{"now":"2030-01-02T03:04:05.5Z","frozen":false}`}.check(t, ts)
}

// TestAdminBadInput checks that bad admin requests get 4xx with a message
// saying what is wrong (and never a 5xx).
func TestAdminBadInput(t *testing.T) {
	t.Parallel()
	ts, _ := adminServer(t)
	for _, st := range []adminStep{
		{"bad JSON", "POST", "/admin/tokens", `{"token":`, 400, `~body:1:`},
		{"bad duration", "POST", "/admin/tokens", `{"token":"x","exp":"1 hour"}`, 400,
			`{"error":"invalid_request","error_description":"body:1:20: exp: invalid duration '1 hour'"}`},
		{"unknown key", "POST", "/admin/tokens", `{"tokn":"x"}`, 400, `~tokn: unknown key (did you mean 'token'?)`},
		{"not an object", "POST", "/admin/tokens", `[1]`, 400, `~want a token object`},
		{"IR-8/shadowing claim", "POST", "/admin/tokens", `{"claims":{"sub":"x"}}`, 400, `~claims`},
		{"duplicate token", "POST", "/admin/tokens", `{"token":"active-token"}`, 409, `~"error":"conflict"`},
		{"unknown token", "GET", "/admin/tokens/nope", "", 404, `{"error":"not_found","error_description":"no such token"}`},
		{"delete unknown", "DELETE", "/admin/tokens/nope", "", 404, `~not_found`},
		{"revoke unknown", "POST", "/admin/tokens/nope/revoke", "", 404, `~not_found`},
		{"expire unknown", "POST", "/admin/tokens/nope/expire", "", 404, `~not_found`},
		{"script unknown", "PUT", "/admin/tokens/nope/script", `{"script":[]}`, 404, `~no such token`},
		{"script bad on_call", "PUT", "/admin/tokens/active-token/script", `{"script":[{"on_call":0,"state":"revoked"}]}`, 400, `~script[0].on_call: on_call must be between 1`},
		{"script bad state", "PUT", "/admin/tokens/active-token/script", `{"script":[{"after_calls":1,"state":"gone"}]}`, 400, `~script[0].state: unknown state 'gone'`},
		{"script two triggers", "PUT", "/admin/tokens/active-token/script", `{"script":[{"after_calls":1,"on_call":2,"state":"revoked"}]}`, 400, `~exactly one trigger`},
		{"script not a list", "PUT", "/admin/tokens/active-token/script", `{"script":{"on_call":1}}`, 400, `~script: want a list`},
		{"bad duration to advance", "POST", "/admin/clock/advance", `{"by":"2 hours"}`, 400,
			`{"error":"invalid_request","error_description":"body:1:7: by: invalid duration '2 hours' (want a duration such as 2h or -30s)"}`},
		{"advance by a number", "POST", "/admin/clock/advance", `{"by":1.5}`, 400, `~body:1:7: by: invalid duration '1.5'`},
		{"advance by nothing", "POST", "/admin/clock/advance", `{}`, 400, `~body:1:1: missing by, a duration such as '2h' or '-30s'`},
		{"advance no body", "POST", "/admin/clock/advance", ``, 400, `~body:1:1: want a mapping with by`},
		{"advance not JSON", "POST", "/admin/clock/advance", `{"by":`, 400, `~body:1:`},
		{"advance not an object", "POST", "/admin/clock/advance", `by=2h`, 400, `~body:1:1: want a mapping with by`},
		{"advance unknown member", "POST", "/admin/clock/advance", `{"by":"1h","to":"x"}`, 400, `~body:1:12: to: unknown key`},
		{"to the last day", "POST", "/admin/clock/set", `{"time":"9999-12-31T00:00:00Z"}`, 200, `~"now":"9999-12-31T`},
		{"advance out of range", "POST", "/admin/clock/advance", `{"by":"48h"}`, 400, `~body:1:7: by: 48h would move the clock out of the years 0000 to 9999`},
		{"back", "POST", "/admin/clock/set", `{"time":"2030-01-02T03:04:05Z"}`, 200, `~"now":"2030-01-02T03:04:05Z"`},
		{"bad time", "POST", "/admin/clock/set", `{"time":"yesterday"}`, 400, `~body:1:9: time: invalid RFC 3339 time 'yesterday'`},
		{"time out of range", "POST", "/admin/clock/set", `{"time":"-0001-01-01T00:00:00Z"}`, 400, `~body:1:9: time: invalid RFC 3339 time`},
		{"time not a string", "POST", "/admin/clock/set", `{"time":[1]}`, 400, `~body:1:9: time: want a string`},
		{"negative count", "POST", "/admin/faults", `{"count":-1,"respond":{"status":503}}`, 400, `~count must be between 0`},
		{"fault status 200", "POST", "/admin/faults", `{"respond":{"status":200}}`, 400, `~respond.status: status must be a 4xx or 5xx code`},
		{"jwt fault at revoke", "POST", "/admin/faults", `{"endpoint":"revoke","respond":{"jwt":"bad_signature"}}`, 400, `~body:1:33: respond.jwt: jwt breaks a JWT introspection answer`},
		{"fault without respond", "POST", "/admin/faults", `{"count":1}`, 400, `~missing respond`},
		{"fault drop and status", "POST", "/admin/faults", `{"respond":{"drop":true,"status":503}}`, 400, `~drop sends no answer`},
		{"client with both", "POST", "/admin/clients", `{"client_id":"x","bearer":"y"}`, 400, `~not both`},
		{"client secret hidden", "POST", "/admin/clients", `{"client_id":"x","client_secret":["hunter2"]}`, 400, `~client_secret`},
		{"unknown route", "GET", "/admin/nope", "", 404, `{"error":"not_found","error_description":"no such admin endpoint"}`},
		{"ER-3/wrong method", "DELETE", "/admin/clock", "", 405, `~method not allowed; use GET`},
		{"namespaces only at the root", "GET", "/ns/x/admin/namespaces", "", 404, `~no such admin endpoint`},
		{"bad namespace name", "PUT", "/admin/namespaces/Bad", "", 400, `~invalid namespace name`},
		{"unknown namespace", "DELETE", "/admin/namespaces/nope", "", 404, `~no such namespace`},
	} {
		got := st.check(t, ts)
		if strings.Contains(got.body, "hunter2") {
			t.Errorf("%s: the error shows a secret: %s", st.name, got.body)
		}
	}
	if got := admin(t, ts, "DELETE", "/admin/clock", ""); got.header.Get("Allow") != "GET" {
		t.Errorf("ER-3/405 Allow = %q; want GET", got.header.Get("Allow"))
	}
	big := `{"token":"` + strings.Repeat("x", 1<<20) + `"}`
	if got := admin(t, ts, "POST", "/admin/tokens", big); got.status != 413 {
		t.Errorf("IQ-6/body over 1 MiB: %d", got.status)
	}
}

// TestAdminAuth checks WithAdminToken, and a Server without adminapi.Handler.
func TestAdminAuth(t *testing.T) {
	t.Parallel()
	const tok = "adm1n-t0ken"
	ts, _ := adminServer(t, mockserver.WithAdminToken(tok))
	tests := []struct {
		name          string
		authorization string
		wantStatus    int
		wantChallenge string
	}{
		{"ER-3/none", "", 401, `Bearer realm="introspectmock-admin"`},
		{"ER-3/wrong", "Bearer nope", 401, `Bearer realm="introspectmock-admin", error="invalid_token"`},
		{"ER-3/prefix of the token", "Bearer " + tok[:5], 401, `Bearer realm="introspectmock-admin", error="invalid_token"`},
		{"ER-3/basic", basic("admin", tok), 401, `Bearer realm="introspectmock-admin"`},
		{"right", "Bearer " + tok, 200, ""},
		{"scheme in any case", "bearer " + tok, 200, ""},
	}
	for _, tt := range tests {
		var kv []string
		if tt.authorization != "" {
			kv = []string{"Authorization", tt.authorization}
		}
		for _, path := range []string{"/admin/clock", "/ns/auth-test/admin/clock", "/admin/nope"} {
			got := admin(t, ts, "GET", path, "", kv...)
			want := tt.wantStatus
			if want == 200 && path == "/admin/nope" {
				want = 404
			}
			if got.status != want || got.header.Get("WWW-Authenticate") != tt.wantChallenge {
				t.Errorf("%s: %s: %d WWW-Authenticate %q; want %d %q", tt.name, path, got.status, got.header.Get("WWW-Authenticate"), want, tt.wantChallenge)
			}
			if want == 401 && !strings.Contains(got.body, `"error":"invalid_token"`) {
				t.Errorf("%s: body %s", tt.name, got.body)
			}
		}
	}
	if got := asRS(t, ts, "/introspect", "active-token"); !strings.HasPrefix(got.body, `{"active":true`) {
		t.Errorf("the admin token guards the protocol endpoints too: %d", got.status)
	}
	if _, err := mockserver.New(mockserver.WithAdminToken(" x")); err == nil {
		t.Error("WithAdminToken with white space: no error")
	}

	bare, err := mockserver.New(mockserver.WithFixtures(testSet()))
	if err != nil {
		t.Fatal(err)
	}
	off := startHandler(t, bare) // a Server alone serves no admin API
	for _, path := range []string{"/admin/tokens", "/ns/x/admin/clock", "/admin"} {
		if got := admin(t, off, "GET", path, ""); got.status != 404 || got.body != `{"error":"not_found","error_description":"the admin API is disabled"}` {
			t.Errorf("admin off: %s: %d %s", path, got.status, got.body)
		}
	}
}
