package interop_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/introspectmock/introspectmock/testkit"
)

// TestGoOIDCDiscovery discovers the server with github.com/coreos/go-oidc
// (OpenID Connect discovery: issuer check, endpoints, signing algorithms),
// fetches a client_credentials token from the endpoint it found and
// introspects that token at the introspection_endpoint it found, over
// plain HTTP and TLS (docs/conformance.md MD-1, MD-3, MD-4, MD-5, MD-10, TE-4).
func TestGoOIDCDiscovery(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts []testkit.Option
	}{
		{"http", nil},
		{"IQ-8/tls", []testkit.Option{testkit.WithTLS()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			as := testkit.Start(t, append(tt.opts, testkit.WithFixtures("fixtures.yaml"))...)
			ctx := oidc.ClientContext(context.Background(), as.Client())

			p, err := oidc.NewProvider(ctx, as.Issuer()) // fails on an issuer mismatch
			if err != nil {
				t.Fatalf("NewProvider: %v", err)
			}
			var meta struct {
				Introspection string   `json:"introspection_endpoint"`
				Revocation    string   `json:"revocation_endpoint"`
				JWKS          string   `json:"jwks_uri"`
				Algs          []string `json:"id_token_signing_alg_values_supported"`
				Grants        []string `json:"grant_types_supported"`
			}
			if err := p.Claims(&meta); err != nil {
				t.Fatal(err)
			}
			if ep := p.Endpoint(); ep.TokenURL != as.TokenURL() || ep.AuthURL != as.URL()+"/authorize" {
				t.Errorf("endpoint = %+v; want token URL %s and authorization URL %s/authorize", ep, as.TokenURL(), as.URL())
			}
			if meta.Introspection != as.IntrospectionURL() || meta.Revocation != as.RevocationURL() ||
				meta.JWKS != as.URL()+"/jwks" || !slices.Equal(meta.Grants, []string{"authorization_code", "refresh_token", "client_credentials"}) {
				t.Errorf("metadata = %+v", meta)
			}
			if !slices.Contains(meta.Algs, oidc.RS256) {
				t.Errorf("id_token_signing_alg_values_supported = %q; want RS256 (MD-10)", meta.Algs)
			}

			cc := clientcredentials.Config{
				ClientID: "interop-client", ClientSecret: "interop-client-secret",
				TokenURL: p.Endpoint().TokenURL, Scopes: []string{"read"},
			}
			tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, as.Client()))
			if err != nil {
				t.Fatalf("client_credentials: %v", err)
			}
			if d := time.Until(tok.Expiry); d < 9*time.Minute || d > 10*time.Minute {
				t.Errorf("token expires in %v; want 10m (fixtures.yaml token_lifetime)", d)
			}
			got := introspect(t, as, meta.Introspection, tok.AccessToken)
			if got["active"] != true || got["client_id"] != "interop-client" || got["scope"] != "read" || got["iss"] != as.Issuer() {
				t.Errorf("introspection of the issued token = %v", got)
			}
			as.Revoke(tok.AccessToken)
			if got := introspect(t, as, meta.Introspection, tok.AccessToken); len(got) != 1 || got["active"] != false {
				t.Errorf("introspection of the revoked token = %v; want exactly {\"active\":false} (IR-7)", got)
			}
		})
	}
}

// TestOAuth2AutoDetect shows how golang.org/x/oauth2's AuthStyleAutoDetect
// meets a client limited to client_secret_post: the first request (HTTP
// Basic) gets 401 invalid_client, the retry in the body gets the token, and
// the Config remembers the style, so the next token takes one request
// (docs/conformance.md PF-8, CA-8, CA-9).
func TestOAuth2AutoDetect(t *testing.T) {
	t.Parallel()
	as := testkit.Start(t, testkit.WithFixtureYAML(`
clients:
  - client_id: post-only
    client_secret: post-secret
    auth_methods: [client_secret_post]
  - client_id: basic-only
    client_secret: basic-secret
    auth_methods: [client_secret_basic]
`))
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, as.Client())
	for _, tt := range []struct {
		id, secret string
		first      []string // auth method and status of each /token call, first token
		second     []string // the same, second token from the same Config
	}{
		{"post-only", "post-secret", []string{"basic 401", "post 200"}, []string{"post 200"}},
		{"basic-only", "basic-secret", []string{"basic 200"}, []string{"basic 200"}},
	} {
		t.Run("PF-8/"+tt.id, func(t *testing.T) {
			// Not parallel: the journal is the server's.
			cc := clientcredentials.Config{ClientID: tt.id, ClientSecret: tt.secret, TokenURL: as.TokenURL(),
				AuthStyle: oauth2.AuthStyleAutoDetect}
			for i, want := range [][]string{tt.first, tt.second} {
				as.ClearCalls()
				tok, err := cc.Token(ctx)
				if err != nil {
					t.Fatalf("token %d: %v", i+1, err)
				}
				var got []string
				for _, c := range as.Calls() {
					if c.Endpoint == "token" {
						got = append(got, fmt.Sprintf("%s %d", c.AuthMethod, c.Status))
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("token %d: /token calls = %q; want %q", i+1, got, want)
				}
				if a := introspect(t, as, as.IntrospectionURL(), tok.AccessToken); a["active"] != true || a["client_id"] != tt.id {
					t.Errorf("token %d introspects %v", i+1, a)
				}
			}
		})
	}
}

// introspect asks the server about token as testkit's default caller, with
// a plain net/http request, and decodes the answer.
func introspect(t *testing.T, as *testkit.Server, endpoint, token string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(as.ClientID(), as.ClientSecret())
	resp, err := as.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("introspect: %d, %v", resp.StatusCode, err)
	}
	return m
}
