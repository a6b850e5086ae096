package mockserver_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwe"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/introspectmock/introspectmock/mockserver"
)

// The checks a resource server that asks for JWT answers makes (RFC 9701
// §5, RFC 8725), in the order it makes them. Each broken kind must fail
// its own check and no other.
const (
	checkContentType = "content_type" // application/token-introspection+jwt
	checkAlg         = "alg"          // the alg the client registered, never none
	checkKid         = "kid"          // a key of jwks_uri
	checkSignature   = "signature"    // verifies with that key (made only when alg and kid pass)
	checkTyp         = "typ"          // token-introspection+jwt
	checkIss         = "iss"          // the server's issuer
	checkAud         = "aud"          // the caller's client_id
	checkIat         = "iat"          // within a minute of now
)

// jwtVerifier runs the checks with github.com/lestrrat-go/jwx/v3, a JOSE
// library other than the server's (go-jose).
type jwtVerifier struct {
	jwks   jwk.Set
	issuer string
	now    time.Time
}

func newJWTVerifier(t *testing.T, ts *httptest.Server) *jwtVerifier {
	t.Helper()
	got := do(t, ts, req{method: http.MethodGet, path: "/jwks"})
	set, err := jwk.Parse([]byte(got.body))
	if err != nil {
		t.Fatalf("jwks_uri: %v\n%s", err, got.body)
	}
	return &jwtVerifier{jwks: set, issuer: ts.URL, now: time.Unix(unixT0, 0)}
}

// failed returns the checks an answer fails, and its claims (nil when
// the answer holds no JWT). decrypt, when set, decrypts a JWE first.
func (v *jwtVerifier) failed(t *testing.T, got resp, alg jwa.SignatureAlgorithm, aud string, decrypt func([]byte) ([]byte, error)) ([]string, map[string]json.RawMessage) {
	t.Helper()
	var fails []string
	fail := func(check string, bad bool) {
		if bad {
			fails = append(fails, check)
		}
	}
	if got.header.Get("Content-Type") != jwtType {
		return []string{checkContentType}, nil
	}
	tok := []byte(got.body)
	if decrypt != nil {
		var err error
		if tok, err = decrypt(tok); err != nil {
			t.Fatalf("decrypt: %v", err)
		}
	}
	msg, err := jws.Parse(tok)
	if err != nil || len(msg.Signatures()) != 1 {
		t.Fatalf("not a JWS: %v\n%s", err, tok)
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	hAlg, _ := h.Algorithm()
	kid, _ := h.KeyID()
	typ, _ := h.Type()
	fail(checkAlg, hAlg != alg)
	key, found := v.jwks.LookupKeyID(kid)
	fail(checkKid, !found)
	if hAlg == alg && found {
		_, err := jws.Verify(tok, jws.WithKey(alg, key))
		fail(checkSignature, err != nil)
	}
	fail(checkTyp, typ != "token-introspection+jwt")

	claims, err := jwt.ParseInsecure(tok)
	if err != nil {
		t.Fatalf("claims: %v", err)
	}
	clock := jwt.WithClock(jwt.ClockFunc(func() time.Time { return v.now }))
	fail(checkIss, jwt.Validate(claims, clock, jwt.WithIssuer(v.issuer)) != nil)
	fail(checkAud, jwt.Validate(claims, clock, jwt.WithAudience(aud)) != nil)
	fail(checkIat, jwt.Validate(claims, clock, jwt.WithMaxDelta(time.Minute, "", jwt.IssuedAtKey)) != nil)

	var raw map[string]json.RawMessage
	if err := json.Unmarshal(msg.Payload(), &raw); err != nil {
		t.Fatal(err)
	}
	return fails, raw
}

// jwtKinds maps each broken kind to the check it must fail.
var jwtKinds = map[string]string{
	mockserver.JWTBadSignature: checkSignature,
	mockserver.JWTUnknownKid:   checkKid,
	mockserver.JWTWrongTyp:     checkTyp,
	mockserver.JWTWrongIss:     checkIss,
	mockserver.JWTWrongAud:     checkAud,
	mockserver.JWTStaleIat:     checkIat,
	mockserver.JWTAlgNone:      checkAlg,
	mockserver.JWTPlainJSON:    checkContentType,
}

// TestJWTFaultKinds: for a client of each kind (RS256, PS256, RS256 in a
// JWE), the good answer passes every check of jwx, and each broken kind
// fails exactly the check it targets while its answer stays the normal
// one.
func TestJWTFaultKinds(t *testing.T) {
	t.Parallel()
	ts, srv := start(t, mockserver.WithFixtures(jwtSet()), mockserver.WithClock(newClock()))
	v := newJWTVerifier(t, ts)
	plain := do(t, ts, req{header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=active-token"}).body
	decryptRSA := func(b []byte) ([]byte, error) {
		return jwe.Decrypt(b, jwe.WithKey(jwa.RSA_OAEP_256(), clientRSAKey()))
	}
	clients := []struct {
		id, secret string
		alg        jwa.SignatureAlgorithm
		decrypt    func([]byte) ([]byte, error)
	}{
		{rsID, rsSecret, jwa.RS256(), nil},
		{"ps-rs", "p", jwa.PS256(), nil},
		{"cbc-rs", "c", jwa.RS256(), decryptRSA},
	}
	for _, cl := range clients {
		ask := req{header: hdr("Authorization", basic(cl.id, cl.secret), "Accept", jwtType), body: "token=active-token"}
		fails, claims := v.failed(t, do(t, ts, ask), cl.alg, cl.id, cl.decrypt)
		if len(fails) != 0 || string(claims["token_introspection"]) != plain {
			t.Fatalf("%s: the good answer fails %v; token_introspection %s", cl.id, fails, claims["token_introspection"])
		}
		for _, kind := range slices.Sorted(maps.Keys(jwtKinds)) {
			if err := srv.Default().FailNext(1, mockserver.Fault{JWT: kind}); err != nil {
				t.Fatal(err)
			}
			got := do(t, ts, ask)
			fails, claims := v.failed(t, got, cl.alg, cl.id, cl.decrypt)
			if want := []string{jwtKinds[kind]}; !slices.Equal(fails, want) {
				t.Errorf("%s, %s: fails %v; want exactly %v", cl.id, kind, fails, want)
			}
			switch {
			case got.status != http.StatusOK:
				t.Errorf("%s, %s: status %d", cl.id, kind, got.status)
			case kind == mockserver.JWTPlainJSON && (got.body != plain || got.header.Get("Content-Type") != "application/json"):
				t.Errorf("%s, plain_json: %s %s; want the JSON answer", cl.id, got.header.Get("Content-Type"), got.body)
			case kind != mockserver.JWTPlainJSON && string(claims["token_introspection"]) != plain:
				t.Errorf("%s, %s: token_introspection %s; want %s", cl.id, kind, claims["token_introspection"], plain)
			}
		}
	}
	calls := callsOf(srv.Default())
	if last := calls[len(calls)-1]; last.Fault != "jwt "+mockserver.JWTWrongTyp {
		t.Errorf("journal: the last call's fault is %q; want %q", last.Fault, "jwt wrong_typ")
	}
}

// TestJWTFaultWays: a JWT fault comes from the admin API (POST
// /admin/faults), a token's script step and FailNext; a request that did
// not ask for a JWT gets the JSON answer; other endpoints refuse it.
func TestJWTFaultWays(t *testing.T) {
	t.Parallel()
	ts, srv := start(t, mockserver.WithFixtures(jwtSet()), mockserver.WithClock(newClock()))
	v := newJWTVerifier(t, ts)
	plain := do(t, ts, req{header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=active-token"}).body
	ask := jwtReq("active-token")

	r := do(t, ts, req{path: "/admin/faults", header: hdr("Content-Type", "application/json"), body: `{"respond": {"jwt": "bad_signature"}}`})
	if r.status >= 300 {
		t.Fatalf("POST /admin/faults: %d %s", r.status, r.body)
	}
	if fails, _ := v.failed(t, do(t, ts, ask), jwa.RS256(), rsID, nil); !slices.Equal(fails, []string{checkSignature}) {
		t.Errorf("admin fault: fails %v; want [signature]", fails)
	}
	if fails, _ := v.failed(t, do(t, ts, ask), jwa.RS256(), rsID, nil); len(fails) != 0 {
		t.Errorf("after the one faulted call: fails %v", fails)
	}

	r = do(t, ts, req{path: "/admin/faults", header: hdr("Content-Type", "application/json"), body: `{"count": 2, "respond": {"jwt": "wrong_aud", "delay": "20ms"}}`})
	if r.status >= 300 {
		t.Fatalf("POST /admin/faults: %d %s", r.status, r.body)
	}
	if got := do(t, ts, req{header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=active-token"}); got.body != plain ||
		got.header.Get("Content-Type") != "application/json" {
		t.Errorf("a JWT fault on a JSON request: %s %s; want the JSON answer", got.header.Get("Content-Type"), got.body)
	}
	if fails, _ := v.failed(t, do(t, ts, ask), jwa.RS256(), rsID, nil); !slices.Equal(fails, []string{checkAud}) {
		t.Errorf("the second faulted call: fails %v; want [aud]", fails)
	}

	script := `{"script": [{"on_call": 2, "respond": {"jwt": "stale_iat"}}]}`
	if r := do(t, ts, req{method: http.MethodPut, path: "/admin/tokens/active-token/script", header: hdr("Content-Type", "application/json"), body: script}); r.status >= 300 {
		t.Fatalf("PUT script: %d %s", r.status, r.body)
	}
	for call, want := range [][]string{nil, {checkIat}, nil} {
		if fails, _ := v.failed(t, do(t, ts, ask), jwa.RS256(), rsID, nil); !slices.Equal(fails, want) {
			t.Errorf("scripted call %d: fails %v; want %v", call+1, fails, want)
		}
	}

	for _, endpoint := range []string{mockserver.EndpointRevoke, mockserver.EndpointToken} {
		err := srv.Default().FailNextAt(endpoint, 1, mockserver.Fault{JWT: mockserver.JWTAlgNone})
		if err == nil || !strings.Contains(err.Error(), "jwt breaks a JWT introspection answer") {
			t.Errorf("FailNextAt(%s, jwt): %v", endpoint, err)
		}
	}
	if err := srv.Default().FailNext(1, mockserver.Fault{JWT: mockserver.JWTAlgNone, Status: 503}); err == nil {
		t.Error("FailNext with jwt and status: no error")
	}
}

// BenchmarkJWTFault measures an introspection answered with each broken
// JWT kind, beside the good RS256 answer ("none"): a broken answer costs
// about what a good one does.
func BenchmarkJWTFault(b *testing.B) {
	srv, err := mockserver.New(mockserver.WithFixtures(jwtSet()))
	if err != nil {
		b.Fatal(err)
	}
	for _, kind := range append([]string{"none"}, slices.Sorted(maps.Keys(jwtKinds))...) {
		b.Run(kind, func(b *testing.B) {
			srv.Default().ClearFaults()
			if kind != "none" {
				if err := srv.Default().FailNext(1<<30, mockserver.Fault{JWT: kind}); err != nil {
					b.Fatal(err)
				}
			}
			newRequest := func() *http.Request {
				r := httptestRequest("/introspect", "token=active-token")
				r.Header.Set("Authorization", basic(rsID, rsSecret))
				r.Header.Set("Accept", jwtType)
				return r
			}
			srv.ServeHTTP(httptest.NewRecorder(), newRequest()) // the unknown_kid key is made once, not measured
			b.ReportAllocs()
			for b.Loop() {
				srv.ServeHTTP(&discardWriter{h: http.Header{}}, newRequest())
			}
		})
	}
}
