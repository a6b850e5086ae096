package mockserver_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

const jwtType = "application/token-introspection+jwt"

// clientRSAKey is the RSA key pair of the test clients, made once: 2048-bit
// generation is slow.
var clientRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// jwtSet is testSet plus clients that ask for PS256 and for encrypted
// responses.
func jwtSet() *fixtures.Set {
	set := testSet()
	enc := []fixtures.JWK{{KeyID: "rs-enc-1", Use: "enc", Key: &clientRSAKey().PublicKey}}
	set.Clients = append(set.Clients,
		fixtures.Client{ClientID: "ps-rs", ClientSecret: "p", IntrospectionSignedResponseAlg: fixtures.AlgPS256},
		fixtures.Client{ClientID: "cbc-rs", ClientSecret: "c", JWKS: enc, IntrospectionEncryptedResponseAlg: fixtures.AlgRSAOAEP256},
		fixtures.Client{ClientID: "gcm-rs", ClientSecret: "g", JWKS: enc, IntrospectionSignedResponseAlg: fixtures.AlgPS256,
			IntrospectionEncryptedResponseAlg: fixtures.AlgRSAOAEP256, IntrospectionEncryptedResponseEnc: fixtures.EncA256GCM},
	)
	return set
}

// jwtReq is an introspection of token by rs asking for a JWT.
func jwtReq(token string, kv ...string) req {
	return req{header: hdr(append([]string{"Authorization", basic(rsID, rsSecret), "Accept", jwtType}, kv...)...), body: "token=" + token}
}

// checkJWTAnswer checks the headers of a JWT introspection answer (docs/conformance.md
// JR-2, IR-1).
func checkJWTAnswer(t *testing.T, got resp) {
	t.Helper()
	if got.status != 200 {
		t.Fatalf("status = %d (%s); want 200", got.status, got.body)
	}
	if ct := got.header.Values("Content-Type"); len(ct) != 1 || ct[0] != jwtType {
		t.Errorf("Content-Type = %q; want exactly %s", ct, jwtType)
	}
	checkNoStore(t, got)
}

// TestJWTAccept covers which Accept headers get a JWT (docs/conformance.md JR-1, PF-17).
func TestJWTAccept(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()))
	tests := []struct {
		name    string
		accept  []string // Accept header lines
		wantJWT bool
	}{
		{"JR-1/no Accept is JSON", nil, false},
		{"PF-17/*/* is JSON", []string{"*/*"}, false},
		{"PF-17/application/json is JSON", []string{"application/json"}, false},
		{"JR-1/application/* is JSON", []string{"application/*"}, false},
		{"JR-1/the JWT type", []string{jwtType}, true},
		{"JR-1/case-insensitive", []string{"Application/Token-Introspection+JWT"}, true},
		{"JR-1/with parameters", []string{jwtType + " ; charset=utf-8"}, true},
		{"JR-1/in a list", []string{"application/json, " + jwtType}, true},
		{"JR-1/in a second header line", []string{"application/json", jwtType}, true},
		{"JR-1/q=0 is refused", []string{jwtType + ";q=0"}, false},
		{"JR-1/q=0.000 is refused", []string{"application/json, " + jwtType + "; q=0.000"}, false},
		{"JR-1/q=0.001 is accepted", []string{jwtType + ";q=0.001"}, true},
		{"JR-1/Q=1.0 is accepted", []string{jwtType + ";Q=1.0"}, true},
		{"JR-1/JSON preferred is JSON", []string{"application/json;q=0.9, " + jwtType + ";q=0.5"}, false},
		{"JR-1/a tie is JWT", []string{jwtType + ";q=0.5, application/json;q=0.5"}, true},
		{"JR-1/JWT preferred is JWT", []string{"application/json;q=0.1, " + jwtType}, true},
		{"JR-1/malformed q counts as absent", []string{jwtType + ";q=2"}, false},
		{"JR-1/malformed q counts as absent (text)", []string{jwtType + ";q=high"}, false},
		{"JR-1/only inside a quoted parameter", []string{`text/plain;note="a, ` + jwtType + `"`}, false},
		{"JR-1/a longer type is not it", []string{jwtType + "x"}, false},
		{"JR-1/a parameter after q is ignored", []string{jwtType + ";q=0.5;ext=1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := hdr("Authorization", basic(rsID, rsSecret))
			for _, a := range tt.accept {
				h.Add("Accept", a)
			}
			got := do(t, ts, req{header: h, body: "token=minimal-token"})
			if got.status != 200 {
				t.Fatalf("status = %d (%s)", got.status, got.body)
			}
			if isJWT := got.header.Get("Content-Type") == jwtType; isJWT != tt.wantJWT {
				t.Errorf("Content-Type = %q, body %.40s; want JWT %v", got.header.Get("Content-Type"), got.body, tt.wantJWT)
			}
			if !tt.wantJWT {
				checkJSONType(t, got)
			}
		})
	}
}

// TestJWTResponse checks the JWT itself: its signature by the key at
// jwks_uri, header, and claims (docs/conformance.md JR-2…JR-5, PF-16).
func TestJWTResponse(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()))
	for _, token := range []string{"active-token", "minimal-token", "list-aud-token", "own-iss-token"} {
		t.Run("JR-3/"+token, func(t *testing.T) {
			t.Parallel()
			got := do(t, ts, jwtReq(token))
			checkJWTAnswer(t, got)
			claims := verifyResponseJWT(t, ts, got.body, "RS256")
			// The RFC 7662 answer JSON would have given, byte for byte.
			plain := do(t, ts, req{header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=" + token})
			want := map[string]string{
				"iss":                 strconv.Quote(ts.URL),
				"aud":                 strconv.Quote(rsID),
				"iat":                 strconv.Itoa(unixT0),
				"token_introspection": plain.body,
			}
			if len(claims) != len(want) {
				t.Errorf("claims %v; want exactly iss, aud, iat, token_introspection (JR-4: no sub or exp)", keys(claims))
			}
			for name, w := range want {
				if string(claims[name]) != w {
					t.Errorf("%s = %s; want %s", name, claims[name], w)
				}
			}
		})
	}
	t.Run("JR-4/extension claims stay inside token_introspection", func(t *testing.T) {
		t.Parallel()
		claims := verifyResponseJWT(t, ts, do(t, ts, jwtReq("active-token")).body, "RS256")
		var ti map[string]any
		decodeJSON(t, string(claims["token_introspection"]), &ti)
		if ti["active"] != true || ti["tenant"] != "acme" || ti["sub"] != "user-123" || claims["tenant"] != nil || claims["sub"] != nil || claims["exp"] != nil {
			t.Errorf("claims %s; token_introspection %v", keys(claims), ti)
		}
	})
	for _, token := range []string{"expired-token", "revoked-token", "future-token", "no-such-token"} {
		t.Run("JR-5/"+token, func(t *testing.T) {
			t.Parallel()
			got := do(t, ts, jwtReq(token))
			checkJWTAnswer(t, got)
			claims := verifyResponseJWT(t, ts, got.body, "RS256")
			if ti := string(claims["token_introspection"]); ti != inactive {
				t.Errorf("token_introspection = %s; want exactly %s", ti, inactive)
			}
		})
	}
	t.Run("JR-3/iat is the server clock", func(t *testing.T) {
		t.Parallel()
		ts, srv := start(t, mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()))
		srv.Default().Clock().Advance(90 * time.Minute)
		claims := verifyResponseJWT(t, ts, do(t, ts, jwtReq("active-token")).body, "RS256")
		if got, want := string(claims["iat"]), strconv.Itoa(unixT0+5400); got != want {
			t.Errorf("iat = %s; want %s", got, want)
		}
		if ti := string(claims["token_introspection"]); ti != inactive { // expired at t0+1h
			t.Errorf("token_introspection = %s; want %s", ti, inactive)
		}
	})
	t.Run("JR-3/journaled", func(t *testing.T) {
		t.Parallel()
		ts, srv := start(t, mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()))
		do(t, ts, jwtReq("active-token"))
		calls := callsOf(srv.Default())
		if len(calls) != 1 || calls[0].Status != 200 || !calls[0].Active || calls[0].ClientID != rsID || calls[0].AuthMethod != "basic" {
			t.Errorf("calls = %+v", calls)
		}
	})
}

func keys(m map[string]json.RawMessage) []string {
	var names []string
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// TestJWTIssuer checks iss in namespaces and with a configured issuer
// (docs/conformance.md JR-3, MD-3).
func TestJWTIssuer(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()))
	r := jwtReq("active-token")
	r.path = "/ns/team-a/introspect"
	claims := verifyResponseJWT(t, ts, do(t, ts, r).body, "RS256")
	if got, want := string(claims["iss"]), strconv.Quote(ts.URL+"/ns/team-a"); got != want {
		t.Errorf("namespace iss = %s; want %s", got, want)
	}
	var ti struct {
		Iss string `json:"iss"`
	}
	decodeJSON(t, string(claims["token_introspection"]), &ti)
	if ti.Iss != ts.URL+"/ns/team-a" {
		t.Errorf("token_introspection.iss = %s; want the namespace issuer", ti.Iss)
	}

	ts2, _ := start(t, mockserver.WithFixtures(testSet()), mockserver.WithIssuer("https://auth.example.test/"))
	claims = verifyResponseJWT(t, ts2, do(t, ts2, jwtReq("minimal-token")).body, "RS256")
	if got := string(claims["iss"]); got != `"https://auth.example.test/"` {
		t.Errorf("iss = %s; want the configured issuer byte for byte", got)
	}
}

// TestJWTClientSettings covers a client's introspection_signed_response_alg
// and encrypted responses: Nested JWTs the client decrypts with its own key
// (docs/conformance.md JR-6).
func TestJWTClientSettings(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(jwtSet()), mockserver.WithClock(newClock()))
	ask := func(id, secret string) resp {
		return do(t, ts, req{header: hdr("Authorization", basic(id, secret), "Accept", jwtType), body: "token=active-token"})
	}
	t.Run("JR-6/PS256", func(t *testing.T) {
		t.Parallel()
		got := ask("ps-rs", "p")
		checkJWTAnswer(t, got)
		claims := verifyResponseJWT(t, ts, got.body, "PS256")
		if string(claims["aud"]) != `"ps-rs"` {
			t.Errorf("aud = %s", claims["aud"])
		}
	})
	for _, tt := range []struct {
		name, id, secret, wantEnc, wantAlg string
	}{
		{"JR-6/RSA-OAEP-256 with the default A128CBC-HS256", "cbc-rs", "c", "A128CBC-HS256", "RS256"},
		{"JR-6/RSA-OAEP-256 with A256GCM, PS256 inside", "gcm-rs", "g", "A256GCM", "PS256"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ask(tt.id, tt.secret)
			checkJWTAnswer(t, got)
			h, inner := decryptJWE(t, got.body, clientRSAKey())
			if h.Enc != tt.wantEnc || h.Cty != "JWT" || h.Kid != "rs-enc-1" {
				t.Errorf("JWE header = %+v; want enc %s, cty JWT, kid rs-enc-1", h, tt.wantEnc)
			}
			claims := verifyResponseJWT(t, ts, string(inner), tt.wantAlg)
			if string(claims["aud"]) != strconv.Quote(tt.id) || !strings.HasPrefix(string(claims["token_introspection"]), `{"active":true,"scope":"read write"`) {
				t.Errorf("claims = %s %s", claims["aud"], claims["token_introspection"])
			}
			// Two answers never share a content key or IV.
			if again := ask(tt.id, tt.secret); again.body == got.body || strings.Split(again.body, ".")[2] == strings.Split(got.body, ".")[2] {
				t.Errorf("two encrypted answers share their IV")
			}
		})
	}
	t.Run("JR-6/JSON answers stay JSON", func(t *testing.T) {
		t.Parallel()
		got := do(t, ts, req{header: hdr("Authorization", basic("cbc-rs", "c")), body: "token=active-token"})
		checkJSONType(t, got)
		if !strings.HasPrefix(got.body, `{"active":true`) {
			t.Errorf("body = %s", got.body)
		}
	})
}

// TestJWTCaller covers who may get a JWT: its aud is the caller's
// client_id (docs/conformance.md JR-7, RFC 9701 §4).
func TestJWTCaller(t *testing.T) {
	t.Parallel()
	set := testSet()
	ts, _ := start(t, mockserver.WithFixtures(set), mockserver.WithClock(newClock()))
	anon := testSet()
	anon.AllowAnonymous = true
	tsAnon, _ := start(t, mockserver.WithFixtures(anon), mockserver.WithClock(newClock()))

	// A token issued to svc by client_credentials, used as a bearer caller.
	var issued struct {
		AccessToken string `json:"access_token"`
	}
	decodeJSON(t, do(t, ts, req{path: "/token", header: hdr("Authorization", basic(svcID, svcSecret)), body: "grant_type=client_credentials"}).body, &issued)

	tests := []struct {
		name       string
		ts         *httptest.Server
		give       req
		wantStatus int
		wantErr    string
		wantAud    string
	}{
		{name: "JR-7/no credentials is 400", ts: ts, give: req{header: hdr("Accept", jwtType), body: "token=active-token"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "JR-7/no credentials under allow_anonymous is 400", ts: tsAnon, give: req{header: hdr("Accept", jwtType), body: "token=active-token"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "JR-7/client_id alone under allow_anonymous is 400", ts: tsAnon, give: req{header: hdr("Accept", jwtType), body: "token=active-token&client_id=rs"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "JR-7/anonymous JSON still works", ts: tsAnon, give: req{body: "token=active-token"}, wantStatus: 200},
		{name: "JR-7/wrong secret stays 401", ts: ts, give: req{header: hdr("Accept", jwtType, "Authorization", basic(rsID, "nope")), body: "token=active-token"},
			wantStatus: 401, wantErr: "invalid_client"},
		{name: "JR-7/client_id alone stays 401 (CA-7)", ts: ts, give: req{header: hdr("Accept", jwtType), body: "token=active-token&client_id=rs"},
			wantStatus: 401, wantErr: "invalid_client"},
		{name: "JR-7/bad bearer stays 401", ts: ts, give: req{header: hdr("Accept", jwtType, "Authorization", "Bearer nope"), body: "token=active-token"},
			wantStatus: 401, wantErr: "invalid_token"},
		{name: "JR-7/fixture bearer has no client_id: 400", ts: ts, give: req{header: hdr("Accept", jwtType, "Authorization", "Bearer "+rsBearer), body: "token=active-token"},
			wantStatus: 400, wantErr: "invalid_request"},
		{name: "JR-7/issued bearer speaks for its client", ts: ts, give: req{header: hdr("Accept", jwtType, "Authorization", "Bearer "+issued.AccessToken), body: "token=active-token"},
			wantStatus: 200, wantAud: svcID},
		{name: "JR-7/client_secret_post", ts: ts, give: req{header: hdr("Accept", jwtType), body: form("token", "active-token", "client_id", rsID, "client_secret", rsSecret)},
			wantStatus: 200, wantAud: rsID},
		{name: "JR-7/missing token stays 400", ts: ts, give: req{header: hdr("Accept", jwtType, "Authorization", basic(rsID, rsSecret))},
			wantStatus: 400, wantErr: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := do(t, tt.ts, tt.give)
			if got.status != tt.wantStatus {
				t.Fatalf("status = %d (%s); want %d", got.status, got.body, tt.wantStatus)
			}
			if tt.wantErr != "" {
				checkJSONType(t, got)
				checkErrorBody(t, got, tt.wantErr)
			}
			if tt.wantAud != "" {
				claims := verifyResponseJWT(t, tt.ts, got.body, "RS256")
				if string(claims["aud"]) != strconv.Quote(tt.wantAud) {
					t.Errorf("aud = %s; want %q", claims["aud"], tt.wantAud)
				}
			}
		})
	}
}

// TestJWTFaults: scripts and faults apply to JWT answers as to JSON ones;
// fault answers stay what they are.
func TestJWTFaults(t *testing.T) {
	t.Parallel()
	ts, srv := start(t, mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()))
	ns := srv.Default()
	ns.FailNext(1, mockserver.Fault{Status: http.StatusServiceUnavailable})
	got := do(t, ts, jwtReq("active-token"))
	if got.status != 503 || got.header.Get("Retry-After") == "" {
		t.Errorf("injected 503: %d %v", got.status, got.header)
	}
	checkErrorBody(t, got, "temporarily_unavailable")

	ns.FailNext(1, mockserver.Fault{Delay: time.Millisecond})
	got = do(t, ts, jwtReq("active-token"))
	checkJWTAnswer(t, got)
	verifyResponseJWT(t, ts, got.body, "RS256")

	if err := ns.SetScript("active-token", []mockserver.Step{{When: mockserver.Always(), State: mockserver.StateRevoked}}); err != nil {
		t.Fatal(err)
	}
	claims := verifyResponseJWT(t, ts, do(t, ts, jwtReq("active-token")).body, "RS256")
	if string(claims["token_introspection"]) != inactive {
		t.Errorf("scripted revoked: token_introspection = %s", claims["token_introspection"])
	}

	ns.SetStub(func(r mockserver.StubRequest) (mockserver.Answer, bool) {
		return mockserver.Answer{Active: true, Token: mockserver.Token{Sub: "stubbed", ExpiresIn: time.Minute}}, true
	})
	claims = verifyResponseJWT(t, ts, do(t, ts, jwtReq("anything")).body, "RS256")
	if ti := string(claims["token_introspection"]); !strings.Contains(ti, `"sub":"stubbed"`) {
		t.Errorf("stub answer: token_introspection = %s", ti)
	}
}

// TestJWTDisabled covers WithJWTIntrospection(false) and the metadata
// (docs/conformance.md JR-8).
func TestJWTDisabled(t *testing.T) {
	t.Parallel()
	const member = "introspection_signing_alg_values_supported"
	meta := func(ts *httptest.Server) map[string]any {
		var m map[string]any
		decodeJSON(t, do(t, ts, req{method: "GET", path: "/.well-known/oauth-authorization-server"}).body, &m)
		return m
	}
	on, _ := start(t, mockserver.WithFixtures(testSet()))
	if got := meta(on)[member]; mustJSON(got) != `["RS256","PS256"]` {
		t.Errorf("default: %s = %v; want [RS256 PS256]", member, got)
	}

	off, _ := start(t, mockserver.WithFixtures(testSet()), mockserver.WithJWTIntrospection(false))
	if got, ok := meta(off)[member]; ok {
		t.Errorf("disabled: %s = %v; want none", member, got)
	}
	got := do(t, off, jwtReq("active-token"))
	checkJSONType(t, got)
	if !strings.HasPrefix(got.body, `{"active":true`) {
		t.Errorf("disabled: body = %s; want JSON", got.body)
	}
	// Without credentials the JSON rules apply: 401, not JR-7's 400.
	if got := do(t, off, req{header: hdr("Accept", jwtType), body: "token=active-token"}); got.status != 401 {
		t.Errorf("disabled, no credentials: %d; want 401", got.status)
	}

	// A client that asks for a signing alg turns it on for its namespace.
	withClient, _ := start(t, mockserver.WithFixtures(jwtSet()), mockserver.WithJWTIntrospection(false))
	if got := meta(withClient)[member]; mustJSON(got) != `["RS256","PS256"]` {
		t.Errorf("disabled with a ps-rs client: %s = %v; want [RS256 PS256]", member, got)
	}
	checkJWTAnswer(t, do(t, withClient, jwtReq("active-token")))
}

// FuzzAccept: whatever the Accept header, introspection answers 200, as
// JSON or as a JWT, never 406 or a 5xx (docs/conformance.md JR-1, PF-17, ER-4).
func FuzzAccept(f *testing.F) {
	srv, err := mockserver.New(mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()))
	if err != nil {
		f.Fatal(err)
	}
	for _, a := range []string{"", "*/*", jwtType, jwtType + ";q=0", `a/b;x="` + jwtType + `,", ` + jwtType + ";q=0.5", "application/json;q=1.000, " + jwtType + ";q=0.999"} {
		f.Add(a)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		r := httptestRequest("/introspect", "token=active-token")
		r.Header.Set("Authorization", basic(rsID, rsSecret))
		r.Header["Accept"] = []string{accept}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		ct := w.Header().Get("Content-Type")
		if w.Code != 200 || (ct != "application/json" && ct != jwtType) {
			t.Fatalf("Accept %q: %d %q", accept, w.Code, ct)
		}
		if ct == jwtType && !strings.Contains(strings.ToLower(accept), "token-introspection+jwt") {
			t.Fatalf("Accept %q answered a JWT", accept)
		}
	})
}

// httptestRequest is a form POST to path.
func httptestRequest(path, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://mock.test"+path, strings.NewReader(body))
	r.Header.Set("Content-Type", formType)
	return r
}

// BenchmarkIntrospectJWT measures a JWT introspection answer: the JSON
// answer plus an RS256 signature (docs/conformance.md JR-2), and the same signed with
// PS256 and encrypted (RSA-OAEP-256, A256GCM) for a client that asks so.
func BenchmarkIntrospectJWT(b *testing.B) {
	srv, err := mockserver.New(mockserver.WithFixtures(jwtSet()))
	if err != nil {
		b.Fatal(err)
	}
	for _, bb := range []struct{ name, auth string }{
		{"RS256", basic(rsID, rsSecret)},
		{"PS256+A256GCM", basic("gcm-rs", "g")},
	} {
		b.Run(bb.name, func(b *testing.B) {
			newRequest := func() *http.Request {
				r := httptestRequest("/introspect", "token=active-token")
				r.Header.Set("Authorization", bb.auth)
				r.Header.Set("Accept", jwtType)
				return r
			}
			// What is measured must be a JWT answer, not an error.
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, newRequest())
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != jwtType {
				b.Fatalf("JWT introspection = %d %s %s; want 200 %s", w.Code, w.Header().Get("Content-Type"), w.Body, jwtType)
			}
			b.ReportAllocs()
			for b.Loop() {
				srv.ServeHTTP(&discardWriter{h: http.Header{}}, newRequest())
			}
		})
	}
}
