package mockserver_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
)

// stressServe sends one request to srv in-process and returns its status
// and body.
func stressServe(srv *mockserver.Server, method, path, body string, hdr map[string]string) (int, string) {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		if strings.Contains(path, "/admin/") {
			r.Header.Set("Content-Type", "application/json")
		} else {
			r.Header.Set("Content-Type", formType)
		}
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	handlerOf(srv).ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

func stressIntrospect(srv *mockserver.Server, prefix, tok string, jwt bool) (int, string) {
	h := map[string]string{"Authorization": basic(rsID, rsSecret)}
	if jwt {
		h["Accept"] = "application/token-introspection+jwt"
	}
	return stressServe(srv, http.MethodPost, prefix+"/introspect", "token="+url.QueryEscape(tok), h)
}

// TestStressRacingOperations runs introspections, revocations, minting,
// admin token changes, scripts, faults, clock moves, namespace churn,
// journal resizes and resets against one Server at once (run it with
// -race). No answer may be a 5xx that was not injected, a revoked token
// never comes back, and an on_call script step plays exactly once however
// many calls race for it.
func TestStressRacingOperations(t *testing.T) {
	d := 2 * time.Second
	if testing.Short() {
		d = 500 * time.Millisecond
	}
	if v, err := time.ParseDuration(os.Getenv("STRESS_DURATION")); err == nil {
		d = v // a longer soak: STRESS_DURATION=60s go test -race -run Stress ./mockserver/
	}
	before := runtime.NumGoroutine()
	srv, err := mockserver.New(mockserver.WithFixtures(testSet()), mockserver.WithIssuer("http://mock.test"))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var fails atomic.Int64
	fail := func(format string, a ...any) {
		if fails.Add(1) <= 20 {
			t.Errorf(format, a...)
		}
	}
	// injected faults are 429 so that any 5xx is a bug
	check := func(what string, status int, body string) {
		if status >= 500 {
			fail("%s: %d %s", what, status, body)
		}
	}
	loop := func(n int, f func(g, i int)) {
		for g := 0; g < n; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					f(g, i)
				}
			}()
		}
	}
	nsName := func(i int) string { return fmt.Sprintf("churn-%d", i%4) }

	// fixture tokens in the default namespace; revoked-token stays inactive
	loop(4, func(g, i int) {
		tok := []string{"active-token", "revoked-token", "expired-token", "minimal-token"}[i%4]
		status, body := stressIntrospect(srv, "", tok, i%3 == 0)
		check("introspect "+tok, status, body)
		if tok == "revoked-token" && status == http.StatusOK && strings.HasPrefix(body, `{"active":true`) {
			fail("revoked-token came back: %s", body)
		}
	})
	// mint, introspect, revoke, introspect: a revoked token stays inactive
	loop(3, func(g, i int) {
		status, body := stressServe(srv, http.MethodPost, "/ns/mint/token", "grant_type=client_credentials&scope=orders:read",
			map[string]string{"Authorization": basic(svcID, svcSecret)})
		check("token", status, body)
		if status != http.StatusOK {
			return
		}
		tok := body[strings.Index(body, `"access_token":"`)+16:]
		tok = tok[:strings.IndexByte(tok, '"')]
		if status, body := stressIntrospect(srv, "/ns/mint", tok, false); status != http.StatusOK || !strings.HasPrefix(body, `{"active":true`) {
			fail("minted token: %d %s", status, body)
		}
		status, body = stressServe(srv, http.MethodPost, "/ns/mint/revoke", "token="+tok, map[string]string{"Authorization": basic(rsID, rsSecret)})
		check("revoke", status, body)
		if status, body := stressIntrospect(srv, "/ns/mint", tok, false); status != http.StatusOK || body != inactive {
			fail("revoked minted token: %d %s", status, body)
		}
	})
	// admin changes on the tokens being introspected, in Go and over HTTP
	loop(3, func(g, i int) {
		ns := srv.Default()
		tok := fmt.Sprintf("adm-%d", i%8)
		switch i % 7 {
		case 0:
			_, _ = ns.AddToken(mockserver.Token{Token: tok, Scope: "read"})
		case 1:
			ns.Remove(tok)
		case 2:
			ns.Revoke(tok)
		case 3:
			_ = ns.SetScript(tok, []mockserver.Step{{When: mockserver.OnCall(2), Respond: &mockserver.Fault{Status: 429}}, {When: mockserver.AfterCalls(3), State: mockserver.StateRevoked}})
		case 4:
			status, body := stressServe(srv, http.MethodPut, "/admin/tokens/"+tok+"/script", `{"script":[{"on_call":1,"respond":{"status":429}}]}`, nil)
			check("script PUT", status, body)
		case 5:
			ns.FailNextAt([]string{mockserver.EndpointIntrospect, mockserver.EndpointRevoke, mockserver.EndpointToken}[i%3], 1, mockserver.Fault{Status: 429})
		default:
			status, body := stressServe(srv, http.MethodGet, "/admin/tokens/"+tok, "", nil)
			check("admin get", status, body)
		}
	})
	loop(3, func(g, i int) {
		status, body := stressIntrospect(srv, "", fmt.Sprintf("adm-%d", i%8), i%2 == 0)
		check("introspect adm", status, body)
	})
	// the clock of a namespace, moved while it is read
	loop(1, func(g, i int) {
		c := srv.Default().Clock()
		switch i % 4 {
		case 0:
			c.Freeze()
		case 1:
			c.Advance(time.Duration(i%7-3) * time.Minute)
		case 2:
			c.Set(time.Now().Add(time.Duration(i%5-2) * time.Hour))
		case 3:
			c.Resume()
		}
	})
	// namespaces made, deleted and used at once
	loop(2, func(g, i int) {
		if i%2 == 0 {
			_, _ = srv.Namespace(nsName(i))
		} else {
			srv.DeleteNamespace(nsName(i))
		}
	})
	loop(3, func(g, i int) {
		p := "/ns/" + nsName(i)
		switch i % 4 {
		case 0:
			status, body := stressServe(srv, http.MethodPost, p+"/admin/tokens", `{}`, nil)
			check("ns add", status, body)
		case 1:
			status, body := stressServe(srv, http.MethodPost, p+"/admin/clock/advance", `{"by":"1m"}`, nil)
			check("ns clock", status, body)
		default:
			if status, body := stressIntrospect(srv, p, "active-token", i%3 == 0); status != http.StatusOK {
				fail("introspect in a churned namespace: %d %s", status, body)
			}
		}
	})
	// journal reads and size changes, resets and reloads (SIGHUP)
	loop(1, func(g, i int) {
		ns := srv.Default()
		switch i % 5 {
		case 0:
			_ = ns.SetJournalSize(i % 50)
		case 1:
			_ = callsOf(ns)
		case 2:
			status, body := stressServe(srv, http.MethodPut, "/admin/journal", fmt.Sprintf(`{"size":%d}`, i%100), nil)
			check("journal PUT", status, body)
		case 3:
			status, body := stressServe(srv, http.MethodGet, "/admin/calls?endpoint=introspect", "", nil)
			check("calls", status, body)
		case 4:
			stressServe(srv, http.MethodPost, "/ns/reset/admin/reset", "", nil)
			if i%20 == 4 {
				if err := srv.Reload(testSet()); err != nil {
					fail("Reload: %v", err)
				}
			}
		}
	})
	loop(2, func(g, i int) {
		status, body := stressIntrospect(srv, "/ns/reset", "active-token", i%2 == 0)
		if status != http.StatusOK || (i%2 != 0 && !strings.HasPrefix(body, `{"active":true`)) {
			fail("introspect across resets: %d %s", status, body)
		}
	})

	// meanwhile: on_call k with N racing calls plays exactly once
	ns, err := srv.Namespace("script")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(d)
	rounds := 0
	for ; rounds < 3 || time.Now().Before(deadline); rounds++ {
		tok := fmt.Sprintf("s-%d", rounds)
		if _, err := ns.AddToken(mockserver.Token{Token: tok}); err != nil {
			t.Fatal(err)
		}
		const n, k = 40, 7
		if err := ns.SetScript(tok, []mockserver.Step{{When: mockserver.OnCall(k), Respond: &mockserver.Fault{Status: 429}}}); err != nil {
			t.Fatal(err)
		}
		var faults, ok atomic.Int64
		var cw sync.WaitGroup
		for j := 0; j < n; j++ {
			cw.Add(1)
			go func() {
				defer cw.Done()
				switch status, _ := stressIntrospect(srv, "/ns/script", tok, j%4 == 0); status {
				case http.StatusTooManyRequests:
					faults.Add(1)
				case http.StatusOK:
					ok.Add(1)
				}
			}()
		}
		cw.Wait()
		if faults.Load() != 1 || ok.Load() != n-1 {
			fail("round %d: %d faults and %d 200s from %d calls to an on_call:%d token; want 1 and %d", rounds, faults.Load(), ok.Load(), n, k, n-1)
		}
		if info, _ := ns.Lookup(tok); info.Calls != n {
			fail("round %d: %d calls counted, want %d", rounds, info.Calls, n)
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d script rounds", rounds)
	if status, body := stressServe(srv, http.MethodGet, "/healthz", "", nil); status != http.StatusOK {
		t.Errorf("healthz after the stress: %d %s", status, body)
	}
	// nothing the server started outlives the requests (goroutines of
	// earlier tests may still be ending, so only more is a leak)
	for wait := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(wait) {
			t.Errorf("%d goroutines after the stress, %d before", runtime.NumGoroutine(), before)
			break
		}
	}
}
