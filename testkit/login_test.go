package testkit_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/internal/adminapi"
	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit"
)

const loginFixtures = `
users:
  - {sub: user-123, username: alice, default: true, claims: {email: alice@example.com}}
clients:
  - {client_id: spa, token_endpoint_auth_method: none, redirect_uris: [http://127.0.0.1/callback]}
`

// TestLogin logs users in through testkit, in process and over the admin
// API (remote): AddUser, SetNextLogin, Authorize with x/oauth2 and PKCE,
// the code exchanged, the token introspected; and an error scripted at
// the authorization endpoint with FailNextAt.
func TestLogin(t *testing.T) {
	t.Parallel()
	t.Run("in process", func(t *testing.T) {
		t.Parallel()
		testLogin(t, testkit.Start(t, testkit.WithFixtureYAML(loginFixtures)))
	})
	t.Run("remote", func(t *testing.T) {
		t.Parallel()
		set, err := fixtures.Parse(time.Now(), "login.yaml", []byte(loginFixtures))
		if err != nil {
			t.Fatal(err)
		}
		ms, err := mockserver.New(mockserver.WithFixtures(set))
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(adminapi.Handler(ms))
		t.Cleanup(ts.Close)
		testLogin(t, connect(t, ts.URL))
		testLoginAdminAPI(t, ts.URL)
	})
}

func testLogin(t *testing.T, as *testkit.Server) {
	if err := as.AddUser(fixtures.User{Sub: "user-456", Username: "bob", Claims: map[string]any{"team": "blue"}}); err != nil {
		t.Fatal(err)
	}
	users, err := as.Users()
	if err != nil || len(users) != 2 || users[0].Sub != "user-123" || !users[0].Default || users[1].Username != "bob" || users[1].Claims["team"] != "blue" {
		t.Errorf("Users = %+v, %v", users, err)
	}
	conf := &oauth2.Config{ClientID: "spa", RedirectURL: "http://127.0.0.1:3000/callback", Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: as.AuthorizationURL(), TokenURL: as.TokenURL()}}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, as.Client())
	login := func() (*oauth2.Token, error) {
		verifier := oauth2.GenerateVerifier()
		q, err := as.Authorize(conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
		if err != nil {
			return nil, err
		}
		if q.Get("error") != "" {
			return nil, errors.New(q.Get("error"))
		}
		return conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	}
	for _, who := range []string{"bob", "", "user-456"} {
		if who != "" {
			if err := as.SetNextLogin(who); err != nil {
				t.Fatal(err)
			}
		}
		tok, err := login()
		if err != nil {
			t.Fatalf("login (next %q): %v", who, err)
		}
		want := "user-456"
		if who == "" {
			want = "user-123" // the default user: the next login applies once
		}
		if got := as.Introspect(tok.AccessToken); !got.Active || got.Sub() != want {
			t.Errorf("next login %q: introspection %s", who, got.Body)
		}
	}
	if err := as.FailNextAt(mockserver.EndpointAuthorize, 1, mockserver.Fault{Error: "access_denied"}); err != nil {
		t.Fatal(err)
	}
	if _, err := login(); err == nil || err.Error() != "access_denied" {
		t.Errorf("scripted access_denied: %v", err)
	}
	if _, err := login(); err != nil {
		t.Errorf("after the fault: %v", err)
	}
}

// testLoginAdminAPI checks the admin API's users routes over HTTP.
func testLoginAdminAPI(t *testing.T, base string) {
	call := func(method, path, body string) (int, string) {
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, tc := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/admin/users", "", 200, `{"users":[{"sub":"user-123","username":"alice","claims":{"email":"alice@example.com"},"default":true},{"sub":"user-456","username":"bob","claims":{"team":"blue"}}]}`},
		{"POST", "/admin/users", `{"sub":"user-789","username":"carol"}`, 201, `{"sub":"user-789"}`},
		{"POST", "/admin/users", `{"sub":"user-789"}`, 409, `already exists`},
		{"POST", "/admin/users", `{"username":"x","claims":{"iss":"y"}}`, 400, `body:1:1: missing sub`},
		// An ID Token member the server sets is refused where it is, as in a fixture file.
		{"POST", "/admin/users", `{"sub":"user-790","claims":{"nonce":"n"}}`, 400,
			`body:1:29: claims.nonce: claim 'nonce' is an ID Token member the server sets`},
		{"PUT", "/admin/next-login", `{"user":"carol"}`, 200, `{"user":"carol"}`},
		{"PUT", "/admin/next-login", `{"user":"nobody"}`, 404, `nobody`},
		{"PUT", "/admin/next-login", `{"usr":"carol"}`, 400, `did you mean 'user'`},
		{"DELETE", "/admin/next-login", "", 204, ``},
	} {
		status, body := call(tc.method, tc.path, tc.body)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s %s %s: %d %s; want %d with %s", tc.method, tc.path, tc.body, status, body, tc.status, tc.want)
		}
	}
}

// TestWithLoginPage: with the option, the authorization endpoint answers
// the login page, the default user preselected.
func TestWithLoginPage(t *testing.T) {
	t.Parallel()
	as := testkit.Start(t, testkit.WithFixtureYAML(loginFixtures), testkit.WithLoginPage())
	res, err := as.Client().Get(as.AuthorizationURL() + "?response_type=code&client_id=spa&redirect_uri=http://127.0.0.1/callback" +
		"&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGge4jrB8Q&code_challenge_method=S256")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `name="login_user" value="user-123" checked`) {
		t.Errorf("login page: %d %s", res.StatusCode, body)
	}
}

// TestEndpointURLsMatchDiscovery: every endpoint helper of Server is the
// URL the server's OpenID Connect discovery document names, so a client
// configured from either reaches the same endpoint. UserinfoURL and
// LogoutURL had no caller before this test.
func TestEndpointURLsMatchDiscovery(t *testing.T) {
	t.Parallel()
	as := testkit.Start(t, testkit.WithFixtureYAML(loginFixtures))
	res, err := as.Client().Get(as.URL() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var md map[string]any
	if err := json.NewDecoder(res.Body).Decode(&md); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("discovery: status %d, decode error %v", res.StatusCode, err)
	}
	for member, got := range map[string]string{
		"authorization_endpoint": as.AuthorizationURL(),
		"token_endpoint":         as.TokenURL(),
		"introspection_endpoint": as.IntrospectionURL(),
		"revocation_endpoint":    as.RevocationURL(),
		"userinfo_endpoint":      as.UserinfoURL(),
		"end_session_endpoint":   as.LogoutURL(),
	} {
		if want, _ := md[member].(string); want == "" || got != want {
			t.Errorf("helper for %s = %q; discovery says %q", member, got, want)
		}
	}
}
