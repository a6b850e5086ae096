package mockserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rs"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/introspectmock/introspectmock/mockserver"
)

// TestZitadelResourceServer drives the server with zitadel/oidc's resource
// server client: discovery from the issuer, then introspection with client
// credentials (docs/conformance.md PF-7, PF-10).
func TestZitadelResourceServer(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		issuer func(base string) string // "" derives it from the request
	}{
		{"derived issuer", func(string) string { return "" }},
		{"MD-2/path issuer", func(base string) string { return base + "/tenant" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var issuer string
			ts, _ := startAt(t, func(base string) []mockserver.Option {
				issuer = tt.issuer(base)
				opts := []mockserver.Option{mockserver.WithFixtures(testSet()), mockserver.WithIssuer(issuer)}
				if issuer == "" {
					issuer = base
				}
				return opts
			})
			ctx := context.Background()
			// oddID needs form-encoded Basic, which zitadel sends.
			rsc, err := rs.NewResourceServerClientCredentials(ctx, issuer, oddID, oddSecret, rs.WithClient(ts.Client()))
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}
			if want := strings.TrimSuffix(issuer, "/") + "/introspect"; rsc.IntrospectionURL() != want {
				t.Errorf("introspection URL = %s; want %s", rsc.IntrospectionURL(), want)
			}

			got, err := rs.Introspect[*oidc.IntrospectionResponse](ctx, rsc, "active-token")
			if err != nil {
				t.Fatalf("introspect active: %v", err)
			}
			if !got.Active || got.ClientID != "web-app" || got.Username != "alice" || got.Subject != "user-123" ||
				strings.Join(got.Scope, " ") != "read write" || got.Issuer != issuer || got.Claims["tenant"] != "acme" {
				t.Errorf("active answer = %+v", got)
			}
			if exp := got.Expiration.AsTime(); time.Until(exp) < 59*time.Minute || time.Until(exp) > time.Hour {
				t.Errorf("exp = %v; want about an hour from now", exp)
			}

			for _, tok := range []string{"expired-token", "revoked-token", "unknown"} {
				got, err := rs.Introspect[*oidc.IntrospectionResponse](ctx, rsc, tok)
				if err != nil || got.Active {
					t.Errorf("introspect %s = %+v, %v; want inactive", tok, got, err)
				}
			}

			bad, err := rs.NewResourceServerClientCredentials(ctx, issuer, rsID, "wrong", rs.WithClient(ts.Client()))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rs.Introspect[*oidc.IntrospectionResponse](ctx, bad, "active-token"); err == nil || !strings.Contains(err.Error(), "invalid_client") {
				t.Errorf("wrong secret: err = %v; want invalid_client", err)
			}
		})
	}
}

// TestOAuth2ClientCredentials fetches tokens with golang.org/x/oauth2 and
// introspects them (docs/conformance.md TE-3, TE-4, PF-8).
func TestOAuth2ClientCredentials(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(testSet()))
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, ts.Client())
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleAutoDetect, oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		t.Run(authStyleName(style), func(t *testing.T) {
			t.Parallel()
			cfg := clientcredentials.Config{
				ClientID: svcID, ClientSecret: svcSecret, TokenURL: ts.URL + "/token",
				Scopes: []string{"orders:read"}, AuthStyle: style,
			}
			tok, err := cfg.Token(ctx)
			if err != nil {
				t.Fatalf("token: %v", err)
			}
			if tok.TokenType != "Bearer" || tok.AccessToken == "" || tok.RefreshToken != "" {
				t.Errorf("token = %+v", tok)
			}
			if d := time.Until(tok.Expiry); d < 9*time.Minute || d > 10*time.Minute {
				t.Errorf("expiry in %v; want 10m", d)
			}
			got := do(t, ts, req{header: hdr("Authorization", basic(rsID, rsSecret)), body: form("token", tok.AccessToken)})
			var a struct {
				Active   *bool  `json:"active"`
				ClientID string `json:"client_id"`
				Scope    string `json:"scope"`
				Sub      string `json:"sub"`
				Exp      int64  `json:"exp"`
				Iat      int64  `json:"iat"`
				Iss      string `json:"iss"`
			}
			decodeJSON(t, got.body, &a)
			if a.Active == nil || !*a.Active || a.ClientID != svcID || a.Sub != svcID || a.Scope != "orders:read" || a.Iss != ts.URL || a.Exp != a.Iat+600 {
				t.Errorf("introspection = %s", got.body)
			}
			if d := time.Unix(a.Exp, 0).Sub(tok.Expiry); d < -2*time.Second || d > 2*time.Second {
				t.Errorf("exp %d and token expiry %v differ by %v", a.Exp, tok.Expiry, d)
			}

			// The token authenticates its client as a bearer caller (docs/conformance.md CA-5).
			hc := cfg.Client(ctx)
			r, err := hc.Post(ts.URL+"/introspect", formType, strings.NewReader("token=active-token"))
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != http.StatusOK {
				t.Errorf("bearer caller: %d", r.StatusCode)
			}
		})
	}
	t.Run("TE-5/wrong secret", func(t *testing.T) {
		t.Parallel()
		cfg := clientcredentials.Config{ClientID: svcID, ClientSecret: "wrong", TokenURL: ts.URL + "/token"}
		_, err := cfg.Token(ctx)
		var re *oauth2.RetrieveError
		if !asRetrieveError(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != 401 {
			t.Errorf("err = %v; want a 401 invalid_client RetrieveError", err)
		}
	})
}

func authStyleName(s oauth2.AuthStyle) string {
	switch s {
	case oauth2.AuthStyleInHeader:
		return "PF-7/Basic"
	case oauth2.AuthStyleInParams:
		return "CA-4/post"
	default:
		return "PF-8/auto-detect"
	}
}

func decodeJSON(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
}

func asRetrieveError(err error, re **oauth2.RetrieveError) bool { return errors.As(err, re) }
