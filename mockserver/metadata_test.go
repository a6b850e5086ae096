package mockserver_test

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// TestMetadata covers the discovery documents (docs/conformance.md MD-1…MD-7, MD-10).
func TestMetadata(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(testSet()))
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		t.Run("MD-1"+path, func(t *testing.T) {
			t.Parallel()
			got := do(t, ts, req{method: "GET", path: path})
			if got.status != 200 {
				t.Fatalf("status = %d; want 200 (%s)", got.status, got.body)
			}
			checkJSONType(t, got)
			var m map[string]any
			if err := json.Unmarshal([]byte(got.body), &m); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{
				"issuer":                   ts.URL,
				"authorization_endpoint":   ts.URL + "/authorize",
				"token_endpoint":           ts.URL + "/token",
				"jwks_uri":                 ts.URL + "/jwks",
				"introspection_endpoint":   ts.URL + "/introspect",
				"revocation_endpoint":      ts.URL + "/revoke",
				"response_types_supported": []any{"code"},
				"response_modes_supported": []any{"query"},
				"grant_types_supported":    []any{"authorization_code", "refresh_token", "client_credentials"},
				// testSet's public client may redeem codes with client_id alone (PKCE).
				"token_endpoint_auth_methods_supported":          []any{"client_secret_basic", "client_secret_post", "none"},
				"code_challenge_methods_supported":               []any{"S256"},
				"authorization_response_iss_parameter_supported": true,
				"introspection_endpoint_auth_methods_supported":  []any{"client_secret_basic", "client_secret_post", "Bearer"},
				// testSet has a public client, which may revoke with client_id alone (docs/conformance.md RV-2).
				"revocation_endpoint_auth_methods_supported": []any{"client_secret_basic", "client_secret_post", "Bearer", "none"},
				// JR-8: JWT introspection responses are on by default (WithJWTIntrospection).
				"introspection_signing_alg_values_supported":    []any{"RS256", "PS256"},
				"introspection_encryption_alg_values_supported": []any{"RSA-OAEP-256"},
				"introspection_encryption_enc_values_supported": []any{"A128CBC-HS256", "A256GCM"},
				// MD-10: both documents name every endpoint of the flow.
				"userinfo_endpoint":    ts.URL + "/userinfo",
				"end_session_endpoint": ts.URL + "/logout",
			}
			if strings.HasSuffix(path, "openid-configuration") {
				want["subject_types_supported"] = []any{"public"}              // MD-10
				want["id_token_signing_alg_values_supported"] = []any{"RS256"} // MD-10, OIDC Discovery §3
			}
			checkMembers(t, m, want, true)
			// MD-7: no null, and no empty list.
			if strings.Contains(got.body, "null") || strings.Contains(got.body, "[]") {
				t.Errorf("body has null or empty lists: %s", got.body)
			}
		})
	}
	t.Run("MD-10/openid-configuration names the jwks key's alg", func(t *testing.T) {
		// OIDC Discovery §3: id_token_signing_alg_values_supported is
		// REQUIRED and includes RS256; Ruby's openid_connect rejects a
		// document without it (examples/interop).
		t.Parallel()
		var m struct {
			Algs []string `json:"id_token_signing_alg_values_supported"`
			JWKS string   `json:"jwks_uri"`
		}
		decodeJSON(t, do(t, ts, req{method: "GET", path: "/.well-known/openid-configuration"}).body, &m)
		var set struct {
			Keys []struct {
				Alg string `json:"alg"`
			} `json:"keys"`
		}
		decodeJSON(t, do(t, ts, req{method: "GET", path: strings.TrimPrefix(m.JWKS, ts.URL)}).body, &set)
		if len(set.Keys) == 0 || !slices.Contains(m.Algs, set.Keys[0].Alg) || !slices.Contains(m.Algs, "RS256") {
			t.Errorf("id_token_signing_alg_values_supported = %q; want RS256, the alg of the jwks key %+v", m.Algs, set.Keys)
		}
	})
	t.Run("MD-4/endpoints are reachable", func(t *testing.T) {
		t.Parallel()
		var m struct {
			Introspection string `json:"introspection_endpoint"`
			Revocation    string `json:"revocation_endpoint"`
			Token         string `json:"token_endpoint"`
			JWKS          string `json:"jwks_uri"`
		}
		if err := json.Unmarshal([]byte(do(t, ts, req{method: "GET", path: "/.well-known/oauth-authorization-server"}).body), &m); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{m.Introspection, m.Revocation, m.Token} {
			got := do(t, ts, req{path: strings.TrimPrefix(u, ts.URL), header: hdr("Authorization", basic(svcID, svcSecret)),
				body: "token=active-token&grant_type=client_credentials"})
			if got.status != 200 {
				t.Errorf("POST %s: %d %s", u, got.status, got.body)
			}
		}
		if got := do(t, ts, req{method: "GET", path: strings.TrimPrefix(m.JWKS, ts.URL)}); got.status != 200 {
			t.Errorf("GET %s: %d", m.JWKS, got.status)
		}
	})
	t.Run("MD-1/POST is 405", func(t *testing.T) {
		t.Parallel()
		got := do(t, ts, req{path: "/.well-known/openid-configuration"})
		if got.status != 405 || got.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("got %d Allow %q; want 405 Allow GET, HEAD", got.status, got.header.Get("Allow"))
		}
		checkErrorBody(t, got, "invalid_request")
	})
	t.Run("MD-6/allow_anonymous adds none", func(t *testing.T) {
		t.Parallel()
		ts, _ := start(t, mockserver.WithFixtures(&fixtures.Set{AllowAnonymous: true}))
		var m map[string]any
		_ = json.Unmarshal([]byte(do(t, ts, req{method: "GET", path: "/.well-known/oauth-authorization-server"}).body), &m)
		checkMembers(t, m, map[string]any{
			"introspection_endpoint_auth_methods_supported": []any{"client_secret_basic", "client_secret_post", "Bearer", "none"},
			"revocation_endpoint_auth_methods_supported":    []any{"client_secret_basic", "client_secret_post", "Bearer", "none"},
		}, false)
	})
}

// checkMembers checks the members of want, and with exact that m has no
// others.
func checkMembers(t *testing.T, m, want map[string]any, exact bool) {
	t.Helper()
	for k, w := range want {
		if g, err := json.Marshal(m[k]); err != nil || string(g) != mustJSON(w) {
			t.Errorf("%s = %s; want %s", k, g, mustJSON(w))
		}
	}
	if exact {
		for k := range m {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected member %s = %v", k, m[k])
			}
		}
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestMetadataPathIssuer covers an issuer with a path (docs/conformance.md MD-2, MD-3, MD-4, MD-9).
func TestMetadataPathIssuer(t *testing.T) {
	t.Parallel()
	var issuer string
	ts, _ := startAt(t, func(base string) []mockserver.Option {
		issuer = base + "/tenant/a/" // trailing slash kept in issuer, dropped in paths
		return []mockserver.Option{mockserver.WithFixtures(testSet()), mockserver.WithIssuer(issuer)}
	})
	for _, path := range []string{
		"/.well-known/oauth-authorization-server/tenant/a",
		"/.well-known/openid-configuration/tenant/a",
		"/tenant/a/.well-known/openid-configuration",
		"/tenant/a/.well-known/oauth-authorization-server",
		"/.well-known/oauth-authorization-server",
	} {
		t.Run("MD-2"+path, func(t *testing.T) {
			t.Parallel()
			got := do(t, ts, req{method: "GET", path: path})
			if got.status != 200 {
				t.Fatalf("status = %d (%s)", got.status, got.body)
			}
			var m map[string]any
			_ = json.Unmarshal([]byte(got.body), &m)
			checkMembers(t, m, map[string]any{
				"issuer":                 issuer,
				"introspection_endpoint": ts.URL + "/tenant/a/introspect",
				"token_endpoint":         ts.URL + "/tenant/a/token",
			}, false)
		})
	}
	t.Run("MD-4/endpoints under the issuer path are reachable", func(t *testing.T) {
		t.Parallel()
		got := do(t, ts, req{path: "/tenant/a/introspect", header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=minimal-token"})
		want := `{"active":true,"token_type":"Bearer","iss":"` + issuer + `"}`
		if got.body != want {
			t.Errorf("body = %s; want %s", got.body, want)
		}
	})
	for _, path := range []string{
		"/.well-known/oauth-authorization-server/tenant",
		"/.well-known/openid-configuration/other",
		"/.well-known/webfinger",
		"/.well-known/",
		"/tenant/a/.well-known/nope",
		"/tenant/b/introspect",
	} {
		t.Run("MD-9"+path, func(t *testing.T) {
			t.Parallel()
			got := do(t, ts, req{method: "GET", path: path})
			if got.status != 404 {
				t.Errorf("status = %d; want 404", got.status)
			}
			checkJSONType(t, got)
			checkErrorBody(t, got, "not_found")
		})
	}
}

// TestJWKS checks jwks_uri (docs/conformance.md MD-8).
func TestJWKS(t *testing.T) {
	t.Parallel()
	ts, _ := start(t)
	var first string
	for i := range 2 {
		got := do(t, ts, req{method: "GET", path: "/jwks"})
		if got.status != 200 {
			t.Fatalf("status = %d", got.status)
		}
		checkJSONType(t, got)
		var set struct {
			Keys []struct {
				Kty, Kid, Use, Alg, N, E string
			} `json:"keys"`
		}
		if err := json.Unmarshal([]byte(got.body), &set); err != nil {
			t.Fatal(err)
		}
		// One RSA key, listed once per alg it signs with (docs/conformance.md JR-6): clients
		// match a JWS's alg with the JWK's.
		if len(set.Keys) != 2 {
			t.Fatalf("keys = %d; want 2", len(set.Keys))
		}
		k, ps := set.Keys[0], set.Keys[1]
		if k.Kty != "RSA" || k.Kid == "" || k.Alg != "RS256" || k.Use != "sig" {
			t.Errorf("key = %+v; want an RS256 signing RSA key with a kid", k)
		}
		// The RS256 kid is the key's RFC 7638 thumbprint: required members
		// in lexicographic order, no spaces, SHA-256, base64url.
		if sum := sha256.Sum256([]byte(`{"e":"` + k.E + `","kty":"RSA","n":"` + k.N + `"}`)); k.Kid != base64.RawURLEncoding.EncodeToString(sum[:]) {
			t.Errorf("kid %q is not the RFC 7638 thumbprint of the key", k.Kid)
		}
		if ps.Kty != "RSA" || ps.Alg != "PS256" || ps.Use != "sig" || ps.Kid != k.Kid+"-PS256" || ps.N != k.N || ps.E != k.E {
			t.Errorf("second key = %+v; want the same RSA key for PS256 under its own kid", ps)
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil {
			t.Fatalf("n, e: %v %v", err1, err2)
		}
		pub := rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.Size() != 256 || pub.E != 65537 {
			t.Errorf("key size %d bytes, e %d; want 2048 bits, 65537", pub.Size(), pub.E)
		}
		if i == 1 && got.body != first {
			t.Errorf("key changed between calls")
		}
		first = got.body
	}
	ts2, _ := start(t)
	if got := do(t, ts2, req{method: "GET", path: "/jwks"}); got.body == first {
		t.Errorf("two servers share a key")
	}
}

// TestHealthz checks GET /healthz.
func TestHealthz(t *testing.T) {
	t.Parallel()
	ts, _ := start(t)
	got := do(t, ts, req{method: "GET", path: "/healthz"})
	if got.status != http.StatusOK || got.body != `{"status":"ok"}` {
		t.Errorf("got %d %s; want 200 {\"status\":\"ok\"}", got.status, got.body)
	}
	checkJSONType(t, got)
	if got := do(t, ts, req{path: "/healthz"}); got.status != 405 || !slices.Contains(got.header.Values("Allow"), "GET, HEAD") {
		t.Errorf("POST /healthz: %d Allow %q; want 405 GET, HEAD", got.status, got.header.Values("Allow"))
	}
}
