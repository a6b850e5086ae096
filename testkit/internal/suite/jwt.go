package suite

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit"
)

// testJWTFaults: FailNext with a JWT kind breaks the next JWT answer in
// that one way, checked with github.com/lestrrat-go/jwx/v3 (not the
// server's JOSE library); a caller that asked for JSON gets JSON.
func testJWTFaults(t *testing.T, start Start) {
	s := start(t)
	tok, _ := s.AddToken(mockserver.Token{Sub: "jwt-user", ExpiresIn: time.Hour})
	keys := fetchJWKS(t, s)
	asJWT := func() answer {
		return post(t, s, s.IntrospectionURL(), url.Values{"token": {tok}}, "Accept", "application/token-introspection+jwt")
	}
	plain := introspect(t, s, tok)

	tests := []struct {
		kind  string
		check func(h jws.Headers, c jwt.Token, verified bool) bool // true when broken as the kind says
	}{
		{"", func(h jws.Headers, c jwt.Token, verified bool) bool { return verified }},
		{mockserver.JWTBadSignature, func(h jws.Headers, c jwt.Token, verified bool) bool { return !verified && knownKid(keys, h) }},
		{mockserver.JWTUnknownKid, func(h jws.Headers, c jwt.Token, verified bool) bool { return !knownKid(keys, h) }},
		{mockserver.JWTWrongTyp, func(h jws.Headers, c jwt.Token, verified bool) bool {
			typ, _ := h.Type()
			return verified && typ == "JWT"
		}},
		{mockserver.JWTWrongIss, func(h jws.Headers, c jwt.Token, verified bool) bool {
			iss, _ := c.Issuer()
			return verified && iss != s.URL()
		}},
		{mockserver.JWTWrongAud, func(h jws.Headers, c jwt.Token, verified bool) bool {
			aud, _ := c.Audience()
			return verified && len(aud) == 1 && aud[0] != s.ClientID()
		}},
		{mockserver.JWTStaleIat, func(h jws.Headers, c jwt.Token, verified bool) bool {
			iat, _ := c.IssuedAt()
			return verified && time.Since(iat) > 50*time.Minute
		}},
		{mockserver.JWTAlgNone, func(h jws.Headers, c jwt.Token, verified bool) bool {
			alg, _ := h.Algorithm()
			return !verified && alg.String() == "none"
		}},
	}
	for _, tt := range tests {
		if tt.kind != "" {
			s.FailNext(1, mockserver.Fault{JWT: tt.kind})
		}
		a := asJWT()
		if a.status != http.StatusOK || a.header.Get("Content-Type") != "application/token-introspection+jwt" {
			t.Fatalf("%q: %d %s %s", tt.kind, a.status, a.header.Get("Content-Type"), a.body)
		}
		msg, err := jws.Parse(a.body)
		if err != nil {
			t.Fatalf("%q: %v", tt.kind, err)
		}
		h := msg.Signatures()[0].ProtectedHeaders()
		_, verr := jws.Verify(a.body, jws.WithKeySet(keys, jws.WithRequireKid(true)))
		claims, err := jwt.ParseInsecure(a.body)
		if err != nil {
			t.Fatalf("%q: %v", tt.kind, err)
		}
		if !tt.check(h, claims, verr == nil) {
			t.Errorf("%q: not broken as it should be (verify error %v)\n%s", tt.kind, verr, msg.Payload())
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(msg.Payload(), &raw); err != nil || string(raw["token_introspection"]) != string(plain.body) {
			t.Errorf("%q: token_introspection %s; want the JSON answer %s", tt.kind, raw["token_introspection"], plain.body)
		}
	}
	s.FailNext(1, mockserver.Fault{JWT: mockserver.JWTPlainJSON})
	if a := asJWT(); a.header.Get("Content-Type") != "application/json" || string(a.body) != string(plain.body) {
		t.Errorf("plain_json: %s %s; want the JSON answer", a.header.Get("Content-Type"), a.body)
	}
	s.FailNext(1, mockserver.Fault{JWT: mockserver.JWTBadSignature})
	if a := introspect(t, s, tok); a.header.Get("Content-Type") != "application/json" || string(a.body) != string(plain.body) {
		t.Errorf("a JWT fault on a JSON request: %s %s; want the JSON answer", a.header.Get("Content-Type"), a.body)
	}
}

// fetchJWKS reads the server's jwks_uri.
func fetchJWKS(t *testing.T, s *testkit.Server) jwk.Set {
	t.Helper()
	resp, err := s.Client().Get(s.URL() + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwk.Parse(b)
	if err != nil {
		t.Fatalf("jwks_uri: %v\n%s", err, b)
	}
	return set
}

// knownKid reports whether the JWS header's kid names a key of keys.
func knownKid(keys jwk.Set, h jws.Headers) bool {
	kid, _ := h.KeyID()
	_, ok := keys.LookupKeyID(kid)
	return ok
}
