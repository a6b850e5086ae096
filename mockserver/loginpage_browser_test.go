package mockserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"golang.org/x/oauth2"

	"github.com/introspectmock/introspectmock/mockserver"
)

// chromium returns the path of a Chromium to drive, skipping the test
// when there is none, unless INTROSPECTMOCK_REQUIRE_CHROMIUM=1 (as in CI),
// which makes a missing browser a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("INTROSPECTMOCK_CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium found (apt-get install chromium, or set INTROSPECTMOCK_CHROMIUM to a browser)"
	if os.Getenv("INTROSPECTMOCK_REQUIRE_CHROMIUM") == "1" {
		t.Fatal(msg + "; INTROSPECTMOCK_REQUIRE_CHROMIUM=1 requires it")
	}
	t.Skip(msg + "; set INTROSPECTMOCK_REQUIRE_CHROMIUM=1 to fail instead")
	return ""
}

// TestLoginPageInChromium drives the login page in headless Chromium: it
// picks a user with the mouse, or types a username and password and
// submits with Enter (the keyboard alone), follows the redirect to the
// client and gets a code, which the token endpoint redeems for that user.
func TestLoginPageInChromium(t *testing.T) {
	t.Parallel()
	browser := chromium(t)
	set := flowSet()
	set.Clients[1].LoginPage = true // web
	ts, _ := start(t, mockserver.WithFixtures(set))

	// The client's redirect URI: a loopback one on any port (RFC 8252 §7.3).
	codes := make(chan url.Values, 4)
	client := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" { // the browser asks for /favicon.ico too
			http.NotFound(w, r)
			return
		}
		codes <- r.URL.Query()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!DOCTYPE html><title>Callback</title><p id=done>signed in</p>"))
	}))
	t.Cleanup(client.Close)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.Headless,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)

	redirect := client.URL + "/callback"
	authURL := func(state string) string {
		return ts.URL + "/authorize?response_type=code&client_id=web&state=" + state + "&redirect_uri=" + url.QueryEscape(redirect)
	}
	login := func(name, state string, steps ...chromedp.Action[chromedp.Void]) string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(authURL(state)), chromedp.WaitVisible(chromedp.ID("login"))); err != nil {
			t.Fatalf("%s: the login page: %v", name, err)
		}
		title, err := chromedp.Run(ctx, chromedp.Title())
		if err != nil || !strings.Contains(title, "Sign in") {
			t.Fatalf("%s: page title %q, %v", name, title, err)
		}
		if err := chromedp.Do(ctx, append(steps, chromedp.WaitVisible(chromedp.ID("done")))...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil || !strings.HasPrefix(loc, redirect+"?") {
			t.Fatalf("%s: ended at %s, %v", name, loc, err)
		}
		q := <-codes
		if q.Get("state") != state || q.Get("iss") != ts.URL || q.Get("code") == "" {
			t.Fatalf("%s: callback query %v", name, q)
		}
		return q.Get("code")
	}
	sub := func(code string) string {
		got := do(t, ts, req{path: "/token", header: hdr("Authorization", basic("web", "web-secret")),
			body: "grant_type=authorization_code&code=" + code + "&redirect_uri=" + url.QueryEscape(redirect)})
		var tok oauth2.Token
		decodeJSON(t, got.body, &tok)
		s, _ := introspectJSON(t, ts, tok.AccessToken)["sub"].(string)
		return s
	}

	code := login("pick a user", "st-pick",
		chromedp.Click(chromedp.CSS(`input[name="login_user"][value="u-bob"]`)),
		chromedp.Click(chromedp.ID("login")))
	if got := sub(code); got != "u-bob" {
		t.Errorf("picked bob; the code is for %q", got)
	}
	code = login("keyboard", "st-keys",
		chromedp.Focus(chromedp.ID("username")),
		chromedp.KeyEvent("bob"),
		chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent("builder"),
		chromedp.KeyEvent(kb.Enter))
	if got := sub(code); got != "u-bob" {
		t.Errorf("typed bob; the code is for %q", got)
	}
}
