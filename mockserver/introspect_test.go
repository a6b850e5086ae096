package mockserver_test

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
)

// Unix seconds of the test clock's start and of testSet's relative times.
const (
	unixT0     = 1893553445 // t0, truncated
	unixExp1h  = 1893557045 // t0 + 1h
	unixIat5m  = 1893553145 // t0 - 5m
	unixNbf10m = 1893554045 // t0 + 10m
	unixEdge   = 1893553475 // t0 + 30s
)

const activeTokenBody = `{"active":true,"scope":"read write","client_id":"web-app","username":"alice","token_type":"Bearer",` +
	`"exp":1893557045,"iat":1893553145,"nbf":1893553145,"sub":"user-123","aud":"orders-api","iss":"ISSUER","jti":"0f1e",` +
	`"html":"<a&b>","level":3,"ok":true,"roles":["admin"],"tenant":"acme"}`

var (
	challengesNone   = []string{`Basic realm="introspectmock"`, `Bearer realm="introspectmock"`}
	challengeBasic   = []string{`Basic realm="introspectmock"`}
	challengeBadBear = []string{`Bearer realm="introspectmock", error="invalid_token"`}
)

// TestIntrospectRequest covers what the introspection endpoint accepts:
// method, content type, parameters and caller authentication.
func TestIntrospectRequest(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()))
	auth := basic(rsID, rsSecret)
	okBody := strings.ReplaceAll(activeTokenBody, "ISSUER", ts.URL)
	huge := "token=active-token&pad=" + strings.Repeat("a", 1<<20)
	fits := "token=active-token&pad=" + strings.Repeat("a", 1<<20-len("token=active-token&pad="))

	tests := []struct {
		name           string
		give           req
		wantStatus     int
		wantBody       string   // exact body; "" to check wantErr instead
		wantErr        string   // OAuth error code
		wantChallenges []string // WWW-Authenticate values, in order
		wantAllow      string
	}{
		{name: "IQ-1/POST with Basic is 200", give: req{header: hdr("Authorization", auth), body: "token=active-token"},
			wantStatus: 200, wantBody: okBody},
		{name: "IQ-1/GET with query token is 405", give: req{method: "GET", path: "/introspect?token=active-token", header: hdr("Authorization", auth)},
			wantStatus: 405, wantErr: "invalid_request", wantAllow: "POST"},
		{name: "IQ-1/PUT is 405", give: req{method: "PUT", header: hdr("Authorization", auth), body: "token=active-token"},
			wantStatus: 405, wantErr: "invalid_request", wantAllow: "POST"},
		{name: "IQ-1/DELETE is 405", give: req{method: "DELETE"}, wantStatus: 405, wantErr: "invalid_request", wantAllow: "POST"},
		{name: "IQ-2/JSON body is 400", give: req{header: hdr("Content-Type", "application/json", "Authorization", auth), body: `{"token":"active-token"}`},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "IQ-2/no Content-Type is 400", give: req{header: http.Header{"Authorization": {auth}}, body: "token=active-token"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "IQ-2/multipart is 400", give: req{header: hdr("Content-Type", "multipart/form-data; boundary=x", "Authorization", auth), body: "token=active-token"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "IQ-2/malformed Content-Type is 400", give: req{header: hdr("Content-Type", "application/x-www-form-urlencoded; charset", "Authorization", auth), body: "token=active-token"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "IQ-2/charset is allowed", give: req{header: hdr("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8", "Authorization", auth), body: "token=active-token"},
			wantStatus: 200, wantBody: okBody},
		{name: "IQ-3/missing token is 400", give: req{header: hdr("Authorization", auth), body: "token_type_hint=access_token"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "IQ-3/empty token is 400", give: req{header: hdr("Authorization", auth), body: "token="},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "IQ-3/empty body is 400", give: req{header: hdr("Authorization", auth)},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "IQ-3/repeated token is 400", give: req{header: hdr("Authorization", auth), body: "token=active-token&token=minimal-token"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "IQ-3/repeated same token is 400", give: req{header: hdr("Authorization", auth), body: "token=active-token&token=active-token"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "IQ-3/empty repeat counts as absent", give: req{header: hdr("Authorization", auth), body: "token=&token=active-token"},
			wantStatus: 200, wantBody: okBody},
		{name: "IQ-3/token in the query does not count", give: req{path: "/introspect?token=active-token", header: hdr("Authorization", auth)},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "IQ-4/right hint", give: req{header: hdr("Authorization", auth), body: "token=active-token&token_type_hint=access_token"},
			wantStatus: 200, wantBody: okBody},
		{name: "IQ-4/wrong hint still finds the token", give: req{header: hdr("Authorization", auth), body: "token=active-token&token_type_hint=refresh_token"},
			wantStatus: 200, wantBody: okBody},
		{name: "IQ-4/unknown hint is ignored", give: req{header: hdr("Authorization", auth), body: "token=active-token&token_type_hint=%22weird%22"},
			wantStatus: 200, wantBody: okBody},
		{name: "IQ-4/repeated hint is 400", give: req{header: hdr("Authorization", auth), body: "token=active-token&token_type_hint=a&token_type_hint=b"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "IQ-5/unknown parameters are ignored", give: req{header: hdr("Authorization", auth), body: "foo=1&token=active-token&foo=2&scope=x&bare"},
			wantStatus: 200, wantBody: okBody},
		{name: "IQ-6/body over 1 MiB is 413", give: req{header: hdr("Authorization", auth), body: huge},
			wantStatus: 413, wantErr: "invalid_request"},
		{name: "IQ-6/body of exactly 1 MiB is fine", give: req{header: hdr("Authorization", auth), body: fits},
			wantStatus: 200, wantBody: okBody},
		{name: "IQ-7/lone percent is 400", give: req{header: hdr("Authorization", auth), body: "token=%"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "IQ-7/bad hex is 400", give: req{header: hdr("Authorization", auth), body: "token=%zz"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "IQ-7/bad escape in an unknown key is 400", give: req{header: hdr("Authorization", auth), body: "%zz=1&token=active-token"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "IQ-7/good escapes decode", give: req{header: hdr("Authorization", auth), body: "tok%65n=active%2Dtoken"},
			wantStatus: 200, wantBody: okBody},

		{name: "CA-1/no credentials is 401, not inactive", give: req{body: "token=unknown"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengesNone},
		{name: "CA-1/no credentials on an active token is 401", give: req{body: "token=active-token"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengesNone},
		{name: "CA-2/form-encoded Basic", give: req{header: hdr("Authorization", basic(oddID, oddSecret)), body: "token=active-token"},
			wantStatus: 200, wantBody: okBody},
		{name: "CA-2/form-encoded plus", give: req{header: hdr("Authorization", basic(plusID, plusSecret)), body: "token=active-token"},
			wantStatus: 200, wantBody: okBody},
		{name: "CA-2/lowercase scheme", give: req{header: hdr("Authorization", "basic "+strings.TrimPrefix(auth, "Basic ")), body: "token=active-token"},
			wantStatus: 200, wantBody: okBody},
		{name: "CA-3/raw Basic with an undecodable escape", give: req{header: hdr("Authorization", rawBasic(oddID, oddSecret)), body: "token=active-token"},
			wantStatus: 200, wantBody: okBody},
		{name: "CA-3/raw Basic with a plus", give: req{header: hdr("Authorization", rawBasic(plusID, plusSecret)), body: "token=active-token"},
			wantStatus: 200, wantBody: okBody},
		{name: "CA-3/unpadded base64", give: req{header: hdr("Authorization", strings.TrimRight(auth, "=")), body: "token=active-token"},
			wantStatus: 200, wantBody: okBody},
		{name: "CA-3/malformed base64 is 401", give: req{header: hdr("Authorization", "Basic !!!"), body: "token=active-token"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic},
		{name: "CA-3/no colon is 401", give: req{header: hdr("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("rs"))), body: "token=active-token"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic},
		{name: "CA-3/empty Basic is 401", give: req{header: hdr("Authorization", "Basic"), body: "token=active-token"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic},
		{name: "CA-3/bad escape in the secret is 401, not 400", give: req{header: hdr("Authorization", rawBasic(rsID, "%zz")), body: "token=active-token"},
			wantStatus: 401, wantBody: `{"error":"invalid_client"}`, wantChallenges: challengeBasic},
		{name: "CA-4/client_secret_post", give: req{body: form("token", "active-token", "client_id", rsID, "client_secret", rsSecret)},
			wantStatus: 200, wantBody: okBody},
		{name: "CA-4/client_secret_post needs no Basic encoding", give: req{body: form("token", "active-token", "client_id", oddID, "client_secret", oddSecret)},
			wantStatus: 200, wantBody: okBody},
		{name: "CA-4/wrong client_secret_post is 401", give: req{body: form("token", "active-token", "client_id", rsID, "client_secret", "nope")},
			wantStatus: 401, wantBody: `{"error":"invalid_client"}`, wantChallenges: challengeBasic},
		{name: "CA-4/client_secret without client_id is 401", give: req{body: form("token", "active-token", "client_secret", rsSecret)},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic},
		{name: "CA-4/credentials in the query do not count", give: req{path: "/introspect?client_id=rs&client_secret=rs-secret", body: "token=active-token"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengesNone},
		{name: "CA-4/repeated client_secret is 400", give: req{body: "token=active-token&client_id=rs&client_secret=rs-secret&client_secret=x"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "CA-5/fixture bearer", give: req{header: hdr("Authorization", "Bearer "+rsBearer), body: "token=active-token"},
			wantStatus: 200, wantBody: okBody},
		{name: "CA-6/Basic and client_secret_post is 400", give: req{header: hdr("Authorization", auth), body: form("token", "active-token", "client_id", rsID, "client_secret", rsSecret)},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "CA-6/Bearer and client_secret_post is 400", give: req{header: hdr("Authorization", "Bearer "+rsBearer), body: form("token", "active-token", "client_id", rsID, "client_secret", rsSecret)},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "CA-6/Bearer and client_id is 400", give: req{header: hdr("Authorization", "Bearer "+rsBearer), body: form("token", "active-token", "client_id", rsID)},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "CA-6/two Authorization headers is 400", give: req{header: hdr("Authorization", auth, "Authorization", "Bearer "+rsBearer), body: "token=active-token"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "CA-6/Basic with another client_id is 400", give: req{header: hdr("Authorization", auth), body: form("token", "active-token", "client_id", "svc")},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "CA-6/Basic with the same client_id is one method", give: req{header: hdr("Authorization", auth), body: form("token", "active-token", "client_id", rsID)},
			wantStatus: 200, wantBody: okBody},
		{name: "CA-7/client_id alone is 401", give: req{body: form("token", "active-token", "client_id", rsID)},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic},
		{name: "CA-7/public client alone is 401", give: req{body: form("token", "active-token", "client_id", "public-app")},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic},
		{name: "CA-7/public client with an empty secret is 401", give: req{header: hdr("Authorization", basic("public-app", "")), body: "token=active-token"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic},
		{name: "CA-8/post-only client with Basic is 401", give: req{header: hdr("Authorization", basic("post-only", "p")), body: "token=active-token"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic},
		{name: "CA-8/post-only client with post", give: req{body: form("token", "active-token", "client_id", "post-only", "client_secret", "p")},
			wantStatus: 200, wantBody: okBody},
		{name: "CA-8/basic-only client with post is 401", give: req{body: form("token", "active-token", "client_id", "basic-only", "client_secret", "b")},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic},
		{name: "CA-8/client without the right to introspect is 401", give: req{header: hdr("Authorization", basic("no-introspect", "n")), body: "token=active-token"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengeBasic},
		{name: "CA-9/wrong secret", give: req{header: hdr("Authorization", basic(rsID, "wrong")), body: "token=active-token"},
			wantStatus: 401, wantBody: `{"error":"invalid_client"}`, wantChallenges: challengeBasic},
		{name: "CA-9/unknown client", give: req{header: hdr("Authorization", basic("nobody", rsSecret)), body: "token=active-token"},
			wantStatus: 401, wantBody: `{"error":"invalid_client"}`, wantChallenges: challengeBasic},
		{name: "CA-10/unknown bearer", give: req{header: hdr("Authorization", "Bearer nope"), body: "token=active-token"},
			wantStatus: 401, wantBody: `{"error":"invalid_token"}`, wantChallenges: challengeBadBear},
		{name: "CA-10/fixture token is no bearer caller", give: req{header: hdr("Authorization", "Bearer active-token"), body: "token=active-token"},
			wantStatus: 401, wantBody: `{"error":"invalid_token"}`, wantChallenges: challengeBadBear},
		{name: "CA-10/bearer without the right to introspect is 401", give: req{header: hdr("Authorization", "Bearer weak-bearer"), body: "token=active-token"},
			wantStatus: 401, wantBody: `{"error":"invalid_token"}`, wantChallenges: challengeBadBear},
		{name: "CA-11/no credentials has both challenges", give: req{body: "token=active-token"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengesNone},
		{name: "CA-11/empty Bearer is 400", give: req{header: hdr("Authorization", "Bearer"), body: "token=active-token"},
			wantStatus: 400, wantErr: "invalid_request", wantChallenges: []string{`Bearer realm="introspectmock", error="invalid_request"`}},
		{name: "CA-11/blank Bearer is 400", give: req{header: hdr("Authorization", "Bearer   "), body: "token=active-token"},
			wantStatus: 400, wantErr: "invalid_request", wantChallenges: []string{`Bearer realm="introspectmock", error="invalid_request"`}},
		{name: "CA-11/unsupported scheme is 401", give: req{header: hdr("Authorization", "Digest x=1"), body: "token=active-token"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengesNone},
		{name: "CA-11/empty Authorization is 401", give: req{header: hdr("Authorization", ""), body: "token=active-token"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengesNone},
		{name: "ER-2/auth is checked before the token", give: req{body: "token_type_hint=x"},
			wantStatus: 401, wantErr: "invalid_client", wantChallenges: challengesNone},
		{name: "ER-4/unknown path is 404 JSON", give: req{path: "/nope"}, wantStatus: 404, wantErr: "not_found"},
		{name: "ER-4/trailing slash is 404 JSON", give: req{path: "/introspect/"}, wantStatus: 404, wantErr: "not_found"},
		{name: "ER-4/double slash is 404 JSON, no redirect", give: req{path: "//introspect"}, wantStatus: 404, wantErr: "not_found"},
		{name: "PF-17/Accept text/html still gets JSON", give: req{header: hdr("Authorization", auth, "Accept", "text/html"), body: "token=active-token"},
			wantStatus: 200, wantBody: okBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := do(t, ts, tt.give)
			if got.status != tt.wantStatus {
				t.Errorf("status = %d; want %d (body %.200s)", got.status, tt.wantStatus, got.body)
			}
			checkJSONType(t, got)
			if c := got.header.Values("WWW-Authenticate"); !slices.Equal(c, tt.wantChallenges) {
				t.Errorf("WWW-Authenticate = %q; want %q", c, tt.wantChallenges)
			}
			if a := got.header.Get("Allow"); a != tt.wantAllow {
				t.Errorf("Allow = %q; want %q", a, tt.wantAllow)
			}
			if tt.wantBody != "" {
				if got.body != tt.wantBody {
					t.Errorf("body = %.300s\nwant   %s", got.body, tt.wantBody)
				}
				return
			}
			checkErrorBody(t, got, tt.wantErr)
		})
	}
}

// checkErrorBody checks an OAuth error answer (docs/conformance.md ER-1): the code,
// a printable description without '"' or '\' on 400s, and no-store.
func checkErrorBody(t *testing.T, got resp, wantErr string) {
	t.Helper()
	e := decodeErr(t, got.body)
	if e.Error != wantErr {
		t.Errorf("error = %q; want %q (body %s)", e.Error, wantErr, got.body)
	}
	if got.status == 400 && e.Description == "" {
		t.Errorf("400 without error_description: %s", got.body)
	}
	for _, c := range e.Description {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			t.Errorf("error_description %q has %q", e.Description, c)
		}
	}
	if strings.Contains(got.body, `"active"`) {
		t.Errorf("error body mentions active: %s", got.body)
	}
	checkNoStore(t, got)
}

// TestIntrospectResponse pins the raw bytes of answers (docs/conformance.md IR-1…IR-8).
func TestIntrospectResponse(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()))
	iss := `"iss":"` + ts.URL + `"`
	tests := []struct {
		name string
		give string // token
		want string
	}{
		{"IR-2,IR-4,IR-5,IR-6,IR-8/every member in order", "active-token", strings.ReplaceAll(activeTokenBody, "ISSUER", ts.URL)},
		{"IR-6/unset members are omitted, token_type and iss default", "minimal-token", `{"active":true,"token_type":"Bearer",` + iss + `}`},
		{"IR-5/list aud of one stays a list", "list-aud-token", `{"active":true,"token_type":"Bearer","aud":["a"],` + iss + `}`},
		{"IR-5/list aud", "multi-aud-token", `{"active":true,"token_type":"Bearer","aud":["a","b"],` + iss + `}`},
		{"IR-3,IR-4/own iss and token_type, scope normalized", "own-iss-token", `{"active":true,"scope":"a b","token_type":"N_A","iss":"https://other.example"}`},
		{"IR-4/exp is an integer", "edge-token", `{"active":true,"token_type":"Bearer","exp":1893553475,` + iss + `}`},
		{"IR-7/expired", "expired-token", inactive},
		{"IR-7/not yet valid", "future-token", inactive},
		{"IR-7/revoked", "revoked-token", inactive},
		{"IR-7/unknown", "no-such-token", inactive},
		{"IR-7/junk", "\x00\xff<html>", inactive},
		{"IR-7/a long token", strings.Repeat("x", 64<<10), inactive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := do(t, ts, req{header: hdr("Authorization", basic(rsID, rsSecret)), body: form("token", tt.give)})
			if got.status != 200 {
				t.Errorf("status = %d; want 200", got.status)
			}
			if got.body != tt.want {
				t.Errorf("body = %s\nwant   %s", got.body, tt.want)
			}
			checkJSONType(t, got)
			checkNoStore(t, got)
		})
	}
}

// TestIssuer checks that iss is the configured issuer byte for byte, or the
// server's base URL (docs/conformance.md IR-6, MD-3).
func TestIssuer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fixtures string // fixture issuer
		option   string // WithIssuer
		want     string
	}{
		{"MD-3/fixture issuer kept byte for byte", "https://Auth.Example.test:8443/", "", "https://Auth.Example.test:8443/"},
		{"MD-3/WithIssuer overrides the fixtures", "https://auth.example.test", "https://override.test/p", "https://override.test/p"},
		{"MD-3/empty WithIssuer keeps the fixtures'", "https://auth.example.test", "", "https://auth.example.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			set := testSet()
			set.Issuer = tt.fixtures
			ts, _ := start(t, mockserver.WithFixtures(set), mockserver.WithIssuer(tt.option))
			got := do(t, ts, req{header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=minimal-token"})
			want := `{"active":true,"token_type":"Bearer","iss":"` + tt.want + `"}`
			if got.body != want {
				t.Errorf("body = %s; want %s", got.body, want)
			}
		})
	}
}

// TestTokenLifecycle checks that state is judged per request by the clock
// with no leeway (docs/conformance.md TL-1, TL-2, TL-3).
func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	clock := newClock()
	ts, srv := start(t, mockserver.WithFixtures(testSet()), mockserver.WithClock(clock))
	edge := time.Unix(unixEdge, 0)
	nbf := time.Unix(unixNbf10m, 0)
	introspect := func(tok string) string {
		return do(t, ts, req{header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=" + tok}).body
	}
	steps := []struct {
		name  string
		clock time.Time
		token string
		want  bool // active
	}{
		{"TL-2/just before exp is active", edge.Add(-time.Nanosecond), "edge-token", true},
		{"TL-2/clock == exp is inactive", edge, "edge-token", false},
		{"TL-2/after exp is inactive", edge.Add(time.Hour), "edge-token", false},
		{"TL-1/the clock going back revives it", edge.Add(-time.Second), "edge-token", true},
		{"TL-2/just before nbf is inactive", nbf.Add(-time.Nanosecond), "future-token", false},
		{"TL-2/clock == nbf is active", nbf, "future-token", true},
		{"TL-2/revoked stays inactive", nbf, "revoked-token", false},
	}
	for _, st := range steps { // sequential: they share the clock
		clock.Set(st.clock)
		got := strings.HasPrefix(introspect(st.token), `{"active":true`)
		if got != st.want {
			t.Errorf("%s: active = %v; want %v", st.name, got, st.want)
		}
	}

	t.Run("TL-3/relative times resolve against the clock at load", func(t *testing.T) {
		later := t0.Add(48 * time.Hour)
		clock.Set(later)
		if got := introspect("active-token"); got != inactive {
			t.Fatalf("before reload: %s; want inactive", got)
		}
		if err := srv.Reload(testSet()); err != nil {
			t.Fatal(err)
		}
		got := introspect("active-token")
		want := `"exp":` + itoa(later.Add(time.Hour).Unix()) + `,"iat":` + itoa(later.Add(-5*time.Minute).Unix())
		if !strings.Contains(got, want) {
			t.Errorf("after reload: %s; want it to contain %s", got, want)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
