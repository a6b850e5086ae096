package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestJWTIntrospectionFlag checks --jwt-introspection (docs/conformance.md JR-1, JR-8): on
// by default, a caller asking for application/token-introspection+jwt
// gets a signed JWT and the metadata lists its algs; off, JSON and no
// member.
func TestJWTIntrospectionFlag(t *testing.T) {
	ask := func(in *instance) (string, string) {
		req, err := http.NewRequest("POST", in.url+"/introspect", strings.NewReader("token=demo-active"))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("demo-rs", "demo-secret")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/token-introspection+jwt")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.Header.Get("Content-Type"), string(b)
	}
	const member = `"introspection_signing_alg_values_supported":["RS256","PS256"]`

	in := start(t, []string{"--addr", "127.0.0.1:0"}, nil)
	ct, body := ask(in)
	parts := strings.Split(body, ".")
	if ct != "application/token-introspection+jwt" || len(parts) != 3 {
		t.Fatalf("default: %s %.60s; want a JWT", ct, body)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Aud string `json:"aud"`
		TI  struct {
			Active bool   `json:"active"`
			Sub    string `json:"sub"`
		} `json:"token_introspection"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Aud != "demo-rs" || !claims.TI.Active || claims.TI.Sub != "user-123" {
		t.Errorf("claims %s: %v", payload, err)
	}
	if _, meta := get(t, nil, in.url+"/.well-known/oauth-authorization-server"); !strings.Contains(meta, member) {
		t.Errorf("default metadata lacks %s: %s", member, meta)
	}

	off := start(t, []string{"--addr", "127.0.0.1:0"}, map[string]string{"INTROSPECTMOCK_JWT_INTROSPECTION": "false"})
	if ct, body := ask(off); ct != "application/json" || !strings.HasPrefix(body, `{"active":true`) {
		t.Errorf("off: %s %s; want JSON", ct, body)
	}
	if _, meta := get(t, nil, off.url+"/.well-known/oauth-authorization-server"); strings.Contains(meta, "introspection_signing_alg_values_supported") {
		t.Errorf("off: metadata lists signing algs: %s", meta)
	}
}
