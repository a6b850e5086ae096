package mockserver_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"maps"
	"math/big"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rs"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// clientECKey is the P-256 key pair of the test clients.
var clientECKey = sync.OnceValue(func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
})

// otherRSAKey is a key no client has.
var otherRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// pkjwtSet is testSet plus private_key_jwt clients: jwt-rs (RSA key
// "rsa-1" and EC key "ec-1", no secret) and jwt-svc (RSA, may fetch tokens).
func pkjwtSet() *fixtures.Set {
	set := testSet()
	set.Clients = append(set.Clients,
		fixtures.Client{ClientID: "jwt-rs", JWKS: []fixtures.JWK{
			{KeyID: "rsa-1", Key: &clientRSAKey().PublicKey},
			{KeyID: "ec-1", Use: "sig", Key: &clientECKey().PublicKey},
		}},
		fixtures.Client{ClientID: "jwt-svc", AuthMethods: []string{fixtures.AuthPrivateKeyJWT},
			JWKS: []fixtures.JWK{{Key: &clientRSAKey().PublicKey, Alg: fixtures.AlgRS256}}},
	)
	return set
}

func pemKey(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// TestPrivateKeyJWTZitadel drives private_key_jwt with zitadel/oidc's
// resource server client, which signs its assertions with aud = issuer
// (docs/conformance.md CA-12, PF-11), with an RSA key (RS256) and an EC key (ES256).
func TestPrivateKeyJWTZitadel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		kid  string
		key  crypto.Signer
	}{
		{"CA-12/PF-11/RS256", "rsa-1", clientRSAKey()},
		{"CA-12/PF-11/ES256", "ec-1", clientECKey()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts, srv := start(t, mockserver.WithFixtures(pkjwtSet())) // real time: zitadel stamps exp from time.Now
			ctx := context.Background()
			rsc, err := rs.NewResourceServerJWTProfile(ctx, ts.URL, "jwt-rs", tt.kid, pemKey(t, tt.key), rs.WithClient(ts.Client()))
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}
			got, err := rs.Introspect[*oidc.IntrospectionResponse](ctx, rsc, "active-token")
			if err != nil {
				t.Fatalf("introspect: %v", err)
			}
			if !got.Active || got.Subject != "user-123" || got.Claims["tenant"] != "acme" {
				t.Errorf("active answer = %+v", got)
			}
			got, err = rs.Introspect[*oidc.IntrospectionResponse](ctx, rsc, "revoked-token")
			if err != nil || got.Active {
				t.Errorf("revoked: %+v, %v; want inactive", got, err)
			}
			n := 0
			for _, c := range callsOf(srv.Default()) {
				if c.Endpoint != "introspect" {
					continue
				}
				n++
				if c.AuthMethod != "private_key_jwt" || c.ClientID != "jwt-rs" || c.Status != 200 {
					t.Errorf("journal: %+v; want private_key_jwt by jwt-rs, 200", c)
				}
			}
			if n != 2 {
				t.Errorf("%d introspections journaled; want 2", n)
			}
		})
	}
}

// TestPrivateKeyJWT covers how assertions are checked (docs/conformance.md CA-12; RFC
// 7523 §3; RFC 7521 §4.2).
func TestPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(pkjwtSet()), mockserver.WithClock(newClock()))
	now := t0.Unix()
	claims := func(kv ...any) map[string]any {
		return withClaims(map[string]any{"iss": "jwt-rs", "sub": "jwt-rs", "aud": ts.URL, "exp": now + 60, "iat": now}, kv...)
	}
	rsa1 := func(c map[string]any) string { return signAssertion(t, "RS256", "rsa-1", clientRSAKey(), c) }
	body := func(assertion string, kv ...string) string {
		return form(append([]string{"token", "active-token", "client_assertion_type", assertionType, "client_assertion", assertion}, kv...)...)
	}
	ecDER := func() string { // an ES256 assertion with an ASN.1 signature, as some signers wrongly make
		a := signAssertion(t, "ES256", "ec-1", clientECKey(), claims())
		input := a[:strings.LastIndexByte(a, '.')]
		sum := sha256.Sum256([]byte(input))
		der, _ := ecdsa.SignASN1(rand.Reader, clientECKey(), sum[:])
		return input + "." + b64.EncodeToString(der)
	}

	tests := []struct {
		name       string
		path       string
		header     []string
		body       string
		wantStatus int
		wantErr    string
	}{
		{name: "CA-12/RS256, aud = issuer", body: body(rsa1(claims())), wantStatus: 200},
		{name: "CA-12/PS256", body: body(signAssertion(t, "PS256", "rsa-1", clientRSAKey(), claims())), wantStatus: 200},
		{name: "CA-12/ES256", body: body(signAssertion(t, "ES256", "ec-1", clientECKey(), claims())), wantStatus: 200},
		{name: "CA-12/no kid tries every fitting key", body: body(signAssertion(t, "ES256", "", clientECKey(), claims())), wantStatus: 200},
		{name: "CA-12/aud = token endpoint", body: body(rsa1(claims("aud", ts.URL+"/token"))), wantStatus: 200},
		{name: "CA-12/aud = this endpoint", body: body(rsa1(claims("aud", ts.URL+"/introspect"))), wantStatus: 200},
		{name: "CA-12/aud list with the issuer", body: body(rsa1(claims("aud", []string{"https://other", ts.URL}))), wantStatus: 200},
		{name: "CA-12/client_id that matches", body: body(rsa1(claims()), "client_id", "jwt-rs"), wantStatus: 200},
		{name: "CA-12/fractional exp", body: body(rsa1(claims("exp", float64(now)+60.25))), wantStatus: 200},
		{name: "CA-12/nbf now", body: body(rsa1(claims("nbf", now))), wantStatus: 200},

		{name: "CA-12/aud of another server", body: body(rsa1(claims("aud", "https://other.example"))), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/aud = the revocation endpoint at /introspect", body: body(rsa1(claims("aud", ts.URL+"/revoke"))), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/no aud", body: body(rsa1(claims("aud", nil))), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/alg none", body: body(signAssertion(t, "none", "", clientRSAKey(), claims())), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/HS256", body: body(strings.Replace(rsa1(claims()), b64.EncodeToString([]byte(`{"alg":"RS256","kid":"rsa-1","typ":"JWT"}`)),
			b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)), 1)), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/signed by a key the client lacks", body: body(signAssertion(t, "RS256", "rsa-1", otherRSAKey(), claims())), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/kid of another key", body: body(signAssertion(t, "RS256", "ec-1", clientRSAKey(), claims())), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/alg of another key type", body: body(signAssertion(t, "ES256", "rsa-1", clientECKey(), claims())), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/ES256 with an ASN.1 signature", body: body(ecDER()), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/tampered claims", body: body(func() string {
			p := strings.Split(rsa1(claims()), ".")
			other := strings.Split(rsa1(claims("exp", now+3600)), ".")
			return p[0] + "." + other[1] + "." + p[2]
		}()), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/fractional exp before the clock", body: body(rsa1(claims("exp", float64(now)+0.4))), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/expired: exp = now", body: body(rsa1(claims("exp", now))), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/no exp", body: body(rsa1(claims("exp", nil))), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/exp as a string", body: body(rsa1(claims("exp", "2030"))), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/nbf in the future", body: body(rsa1(claims("nbf", now+1))), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/sub is not iss", body: body(rsa1(claims("sub", "someone"))), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/unknown client", body: body(rsa1(claims("iss", "nobody", "sub", "nobody"))), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/a secret client without keys", body: body(rsa1(claims("iss", rsID, "sub", rsID))), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/client_id of another client", body: body(rsa1(claims()), "client_id", rsID), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/not a JWS", body: body("not-a-jwt"), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/JWE-shaped", body: body("a.b.c.d.e"), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/wrong assertion type", body: form("token", "active-token", "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
			"client_assertion", rsa1(claims())), wantStatus: 401, wantErr: "invalid_client"},
		{name: "CA-12/assertion without its type", body: form("token", "active-token", "client_assertion", rsa1(claims())), wantStatus: 400, wantErr: "invalid_request"},
		{name: "CA-6/assertion and Basic", header: []string{"Authorization", basic(rsID, rsSecret)}, body: body(rsa1(claims())), wantStatus: 400, wantErr: "invalid_request"},
		{name: "CA-6/assertion and client_secret", body: body(rsa1(claims()), "client_id", "jwt-rs", "client_secret", "x"), wantStatus: 400, wantErr: "invalid_request"},

		{name: "CA-12/revoke, aud = this endpoint", path: "/revoke", body: body(rsa1(claims("aud", ts.URL+"/revoke"))), wantStatus: 200},
		{name: "CA-12/token endpoint", path: "/token", body: form("grant_type", "client_credentials", "client_assertion_type", assertionType,
			"client_assertion", signAssertion(t, "RS256", "", clientRSAKey(), claims("iss", "jwt-svc", "sub", "jwt-svc", "aud", ts.URL+"/token"))), wantStatus: 200},
		{name: "CA-8/auth_methods limits the methods", path: "/token", header: []string{"Authorization", basic(svcID, svcSecret)},
			body: "grant_type=client_credentials", wantStatus: 200},
		{name: "RV-2/a private_key_jwt client is no public client", path: "/revoke", body: form("token", "active-token", "client_id", "jwt-rs"),
			wantStatus: 401, wantErr: "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := req{path: tt.path, header: hdr(tt.header...), body: tt.body}
			if tt.path == "/revoke" && tt.wantStatus == 200 {
				r.body = strings.Replace(r.body, "token=active-token", "token=unknown-token", 1) // keep active-token active
			}
			got := do(t, ts, r)
			if got.status != tt.wantStatus {
				t.Fatalf("status = %d (%s); want %d", got.status, got.body, tt.wantStatus)
			}
			if tt.wantErr != "" {
				checkErrorBody(t, got, tt.wantErr)
			}
			if got.status == 401 && len(got.header.Values("WWW-Authenticate")) == 0 {
				t.Errorf("401 without WWW-Authenticate (ER-3)")
			}
			if tt.path == "" && got.status == 200 && !strings.HasPrefix(got.body, `{"active":true`) {
				t.Errorf("body = %s", got.body)
			}
		})
	}

	t.Run("CA-12/jti is single-use while the assertion is valid", func(t *testing.T) {
		t.Parallel()
		ts, _ := start(t, mockserver.WithFixtures(pkjwtSet()), mockserver.WithClock(newClock()))
		a := signAssertion(t, "RS256", "rsa-1", clientRSAKey(), claims("aud", ts.URL, "jti", "j-1"))
		if got := do(t, ts, req{body: body(a)}); got.status != 200 {
			t.Fatalf("first use: %d %s", got.status, got.body)
		}
		got := do(t, ts, req{body: body(a)})
		if got.status != 401 || !strings.Contains(decodeErr(t, got.body).Description, "jti") {
			t.Errorf("replay: %d %s; want 401 naming the jti", got.status, got.body)
		}
		other := signAssertion(t, "RS256", "rsa-1", clientRSAKey(), claims("aud", ts.URL, "jti", "j-2"))
		if got := do(t, ts, req{body: body(other)}); got.status != 200 {
			t.Errorf("another jti: %d %s", got.status, got.body)
		}
		// Another namespace has its own memory.
		if got := do(t, ts, req{path: "/ns/other/introspect", body: body(signAssertion(t, "RS256", "rsa-1", clientRSAKey(),
			claims("aud", ts.URL+"/ns/other", "jti", "j-1")))}); got.status != 200 {
			t.Errorf("same jti in another namespace: %d %s", got.status, got.body)
		}
	})
	t.Run("CA-12/journal", func(t *testing.T) {
		t.Parallel()
		ts, srv := start(t, mockserver.WithFixtures(pkjwtSet()), mockserver.WithClock(newClock()))
		do(t, ts, req{body: body(rsa1(claims("aud", ts.URL)))})
		do(t, ts, req{body: body(rsa1(claims("aud", ts.URL, "exp", now)))})
		calls := callsOf(srv.Default())
		if len(calls) != 2 || calls[0].AuthMethod != "private_key_jwt" || calls[0].ClientID != "jwt-rs" || calls[0].Status != 200 ||
			calls[1].AuthMethod != "private_key_jwt" || calls[1].ClientID != "jwt-rs" || calls[1].Status != 401 {
			t.Errorf("calls = %+v", calls)
		}
	})
	t.Run("CA-12/clock: an assertion expires by the server clock", func(t *testing.T) {
		t.Parallel()
		ts, srv := start(t, mockserver.WithFixtures(pkjwtSet()), mockserver.WithClock(newClock()))
		a := rsa1(claims("aud", ts.URL))
		srv.Default().Clock().Advance(time.Minute)
		if got := do(t, ts, req{body: body(a)}); got.status != 401 {
			t.Errorf("after exp by the server clock: %d; want 401", got.status)
		}
	})
	t.Run("JR-7/private_key_jwt callers get JWTs", func(t *testing.T) {
		t.Parallel()
		got := do(t, ts, req{header: hdr("Accept", jwtType), body: body(rsa1(claims()))})
		checkJWTAnswer(t, got)
		if c := verifyResponseJWT(t, ts, got.body, "RS256"); string(c["aud"]) != `"jwt-rs"` {
			t.Errorf("aud = %s", c["aud"])
		}
	})
}

// withClaims returns a copy of claims with the name, value pairs kv set,
// a nil value deleting its claim.
func withClaims(claims map[string]any, kv ...any) map[string]any {
	c := maps.Clone(claims)
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

// TestPrivateKeyJWTDescriptions pins the error_description of refused
// assertions: it is what a developer reads to fix their client (docs/conformance.md
// CA-12, ER-2).
func TestPrivateKeyJWTDescriptions(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(pkjwtSet()), mockserver.WithClock(newClock()))
	now := t0.Unix()
	claims := map[string]any{"iss": "jwt-rs", "sub": "jwt-rs", "aud": ts.URL, "exp": now + 60}
	rsa1 := signAssertion(t, "RS256", "rsa-1", clientRSAKey(), claims)
	p := strings.Split(rsa1, ".")
	enc := func(s string) string { return b64.EncodeToString([]byte(s)) }
	with := func(kv ...any) map[string]any { return withClaims(claims, kv...) }
	ecASN1 := func() string {
		a := signAssertion(t, "ES256", "ec-1", clientECKey(), claims)
		input := a[:strings.LastIndexByte(a, '.')]
		sum := sha256.Sum256([]byte(input))
		der, _ := ecdsa.SignASN1(rand.Reader, clientECKey(), sum[:])
		return input + "." + b64.EncodeToString(der)
	}
	tests := []struct {
		name, assertion, want string
	}{
		{"not compact", "not-a-jwt", "not a JWS in compact serialization (want header.payload.signature)"},
		{"JWE-shaped", "a.b.c.d.e", "not a JWS in compact serialization (want header.payload.signature)"},
		{"header not base64url", "!!!." + p[1] + "." + p[2], "malformed header"},
		{"empty header", "." + p[1] + "." + p[2], "malformed header"},
		{"header not an object", enc(`["RS256"]`) + "." + p[1] + "." + p[2], "malformed header"},
		{"claims not base64url", p[0] + ".!!!." + p[2], "malformed claims"},
		{"claims not an object", p[0] + "." + enc(`["jwt-rs"]`) + "." + p[2], "malformed claims"},
		{"signature not base64url", p[0] + "." + p[1] + ".!!!", "malformed signature"},
		{"alg none", signAssertion(t, "none", "", nil, claims), "unsigned (alg none); sign it with a key of the client's jwks"},
		{"no alg", enc(`{"typ":"JWT"}`) + "." + p[1] + ".", "unsigned (alg none); sign it with a key of the client's jwks"},
		{"HS256", enc(`{"alg":"HS256"}`) + "." + p[1] + "." + p[2], "unsupported alg HS256 (want RS256, PS256 or ES256)"},
		{"crit", signJWSHeader(t, map[string]any{"alg": "RS256", "crit": []string{"exp"}, "exp": 1}, clientRSAKey(), claims),
			"crit header parameters are not understood"},
		{"b64 without crit", signJWSHeader(t, map[string]any{"alg": "RS256", "b64": false}, clientRSAKey(), claims),
			"b64 header parameter is not understood"},
		{"no iss", signAssertion(t, "RS256", "rsa-1", clientRSAKey(), with("iss", nil)), "no iss (the client_id)"},
		{"sub not iss", signAssertion(t, "RS256", "rsa-1", clientRSAKey(), with("sub", "x")), "sub must equal iss (the client_id)"},
		{"unknown client", signAssertion(t, "RS256", "rsa-1", clientRSAKey(), with("iss", "x", "sub", "x")),
			"client may not use private_key_jwt (unknown client_id, no signature key in its jwks, or auth_methods without private_key_jwt)"},
		{"another key", signAssertion(t, "RS256", "rsa-1", otherRSAKey(), claims), "signature does not verify with any RS256 key of the client's jwks"},
		{"ES256 in ASN.1", ecASN1(), "signature does not verify with any ES256 key of the client's jwks"},
		{"aud", signAssertion(t, "RS256", "rsa-1", clientRSAKey(), with("aud", "https://other")),
			"aud must be the issuer (" + ts.URL + "), the token endpoint URL or this endpoint's URL"},
		{"no exp", signAssertion(t, "RS256", "rsa-1", clientRSAKey(), with("exp", nil)), "no exp"},
		{"expired", signAssertion(t, "RS256", "rsa-1", clientRSAKey(), with("exp", now)), "expired (exp is not after the server clock's now)"},
		{"nbf", signAssertion(t, "RS256", "rsa-1", clientRSAKey(), with("nbf", now+1)), "not yet valid (nbf is after the server clock's now)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := do(t, ts, req{body: form("token", "active-token", "client_assertion_type", assertionType, "client_assertion", tt.assertion)})
			if got.status != 401 {
				t.Fatalf("status = %d (%s); want 401", got.status, got.body)
			}
			if e := decodeErr(t, got.body); e.Error != "invalid_client" || e.Description != "client_assertion: "+tt.want {
				t.Errorf("error %q, %q; want invalid_client, %q", e.Error, e.Description, "client_assertion: "+tt.want)
			}
		})
	}
}

// TestPrivateKeyJWTMetadata: private_key_jwt and its signing algs are
// listed only where a client uses it (docs/conformance.md MD-6).
func TestPrivateKeyJWTMetadata(t *testing.T) {
	t.Parallel()
	meta := func(ts *httptest.Server) map[string]any {
		var m map[string]any
		decodeJSON(t, do(t, ts, req{method: "GET", path: "/.well-known/oauth-authorization-server"}).body, &m)
		return m
	}
	ts, _ := start(t, mockserver.WithFixtures(pkjwtSet()))
	m := meta(ts)
	for _, ep := range []string{"token_endpoint", "introspection_endpoint", "revocation_endpoint"} {
		methods, _ := m[ep+"_auth_methods_supported"].([]any)
		if !slices.Contains(methods, any("private_key_jwt")) || methods[2] != "private_key_jwt" {
			t.Errorf("%s_auth_methods_supported = %v; want private_key_jwt after the client_secret methods", ep, methods)
		}
		if got := mustJSON(m[ep+"_auth_signing_alg_values_supported"]); got != `["RS256","PS256","ES256"]` {
			t.Errorf("%s_auth_signing_alg_values_supported = %s; want RS256, PS256, ES256 (never none)", ep, got)
		}
	}
	// jwt-rs has no secret, yet is no public client: revocation does not
	// gain "none" from it.
	if got := mustJSON(m["revocation_endpoint_auth_methods_supported"]); strings.Count(got, "none") != 1 { // testSet's public-app
		t.Errorf("revocation methods = %s", got)
	}

	plain, _ := start(t, mockserver.WithFixtures(testSet()))
	for name := range meta(plain) {
		if strings.Contains(name, "auth_signing_alg") {
			t.Errorf("without a private_key_jwt client: %s is listed", name)
		}
	}
	// A client added later shows at once.
	ts2, srv2 := start(t, mockserver.WithFixtures(testSet()))
	if err := srv2.Default().AddClient(fixtures.Client{ClientID: "late", JWKS: []fixtures.JWK{{Key: &clientECKey().PublicKey}}}); err != nil {
		t.Fatal(err)
	}
	if got := mustJSON(meta(ts2)["token_endpoint_auth_methods_supported"]); !strings.Contains(got, "private_key_jwt") {
		t.Errorf("after AddClient: %s", got)
	}
}

// TestClientKeysInvalid: keys and settings built in Go are checked as the
// fixture parser checks them (docs/conformance.md JR-6, CA-12).
func TestClientKeysInvalid(t *testing.T) {
	t.Parallel()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	sigOnly := []fixtures.JWK{{Use: "sig", Key: &clientRSAKey().PublicKey}}
	tests := []struct {
		name string
		give fixtures.Client
		want string
	}{
		{"small RSA key", fixtures.Client{ClientID: "c", JWKS: []fixtures.JWK{{Key: &small.PublicKey}}}, "smaller than 2048 bits"},
		{"huge RSA key", fixtures.Client{ClientID: "c", JWKS: []fixtures.JWK{{Key: &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 4103), E: 65537}}}},
			"larger than 4096 bits"},
		{"P-384", fixtures.Client{ClientID: "c", JWKS: []fixtures.JWK{{Key: &p384.PublicKey}}}, "not on P-256"},
		{"private key", fixtures.Client{ClientID: "c", JWKS: []fixtures.JWK{{Key: clientRSAKey()}}}, "want *rsa.PublicKey or *ecdsa.PublicKey"},
		{"private_key_jwt without keys", fixtures.Client{ClientID: "c", AuthMethods: []string{fixtures.AuthPrivateKeyJWT}}, "needs a signature key"},
		{"ES256 responses", fixtures.Client{ClientID: "c", IntrospectionSignedResponseAlg: "ES256"}, "want RS256 or PS256"},
		{"enc without alg", fixtures.Client{ClientID: "c", IntrospectionEncryptedResponseEnc: fixtures.EncA256GCM}, "needs introspection_encrypted_response_alg"},
		{"encryption without an enc key", fixtures.Client{ClientID: "c", JWKS: sigOnly, IntrospectionEncryptedResponseAlg: fixtures.AlgRSAOAEP256}, "needs an RSA key with use enc"},
		{"RSA1_5", fixtures.Client{ClientID: "c", JWKS: sigOnly, IntrospectionEncryptedResponseAlg: "RSA1_5"}, "want RSA-OAEP-256"},
		{"bearer with keys", fixtures.Client{Bearer: "b", JWKS: sigOnly}, "bearer client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := mockserver.New(mockserver.WithFixtures(&fixtures.Set{Clients: []fixtures.Client{tt.give}}))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

// FuzzClientAssertion: whatever the client_assertion, the answer is an
// OAuth answer (200, 400 or 401 with JSON), never a 5xx or a panic (docs/conformance.md
// ER-4, CA-12).
func FuzzClientAssertion(f *testing.F) {
	srv, err := mockserver.New(mockserver.WithFixtures(pkjwtSet()), mockserver.WithClock(newClock()), mockserver.WithIssuer("http://mock.test"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJqd3QtcnMiLCJzdWIiOiJqd3QtcnMifQ.", assertionType)
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYS0xIn0.eyJpc3MiOiJqd3QtcnMiLCJzdWIiOiJqd3QtcnMiLCJhdWQiOlsiaHR0cDovL21vY2sudGVzdCJdLCJleHAiOjEuNWUxMH0.AAAA", assertionType)
	f.Add("a.b.c", "urn:other")
	f.Add("..", assertionType)
	f.Add("", assertionType)
	f.Fuzz(func(t *testing.T, assertion, typ string) {
		body := form("token", "active-token", "client_assertion", assertion, "client_assertion_type", typ)
		w := fuzzPost(srv, "/introspect", "", formType, body)
		switch w.Code {
		case 200, 400, 401:
		default:
			t.Fatalf("status %d for %q", w.Code, body)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
	})
}

// TestPrivateKeyJWTAdminClient: a client added over the admin API with an
// inline jwks authenticates with private_key_jwt; jwks_file is refused
// there (docs/conformance.md CA-12).
func TestPrivateKeyJWTAdminClient(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()))
	pt, _ := clientECKey().PublicKey.Bytes()
	jwks := `{"keys":[{"kty":"EC","crv":"P-256","kid":"ec-1","x":"` + b64.EncodeToString(pt[1:33]) + `","y":"` + b64.EncodeToString(pt[33:]) + `"}]}`
	if got := do(t, ts, req{path: "/admin/clients", header: hdr("Content-Type", "application/json"), body: `{"client_id":"added","jwks":` + jwks + `}`}); got.status != 201 {
		t.Fatalf("add client: %d %s", got.status, got.body)
	}
	a := signAssertion(t, "ES256", "ec-1", clientECKey(), map[string]any{"iss": "added", "sub": "added", "aud": ts.URL, "exp": t0.Unix() + 60})
	got := do(t, ts, req{body: form("token", "active-token", "client_assertion_type", assertionType, "client_assertion", a)})
	if got.status != 200 || !strings.HasPrefix(got.body, `{"active":true`) {
		t.Errorf("introspect as the added client: %d %s", got.status, got.body)
	}
	got = do(t, ts, req{path: "/admin/clients", header: hdr("Content-Type", "application/json"), body: `{"client_id":"file","jwks_file":"/etc/passwd"}`})
	if got.status != 400 || !strings.Contains(got.body, "jwks_file is not read here") {
		t.Errorf("jwks_file over the admin API: %d %s; want 400", got.status, got.body)
	}
}
