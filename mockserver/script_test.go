package mockserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// activeMinimal is the answer for minimal-token under nsServer.
const activeMinimal = `{"active":true,"token_type":"Bearer","iss":"https://auth.example.test"}`

// answer is what one introspection should get.
type answer struct {
	advance time.Duration // clock move before the call
	status  int
	body    string
}

var (
	isActive   = answer{status: 200, body: activeMinimal}
	isInactive = answer{status: 200, body: inactive}
)

func after(d time.Duration, a answer) answer { a.advance = d; return a }

func faultBody(code string) string {
	return `{"error":"` + code + `","error_description":"injected fault"}`
}

// TestScriptSteps plays each kind of script step on minimal-token (active,
// no exp) through SetScript, call by call.
func TestScriptSteps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		revoked bool
		give    []mockserver.Step
		want    []answer
	}{
		{"on_call", false, []mockserver.Step{{When: mockserver.OnCall(2), State: mockserver.StateRevoked}},
			[]answer{isActive, isInactive, isActive}},
		{"after_calls", false, []mockserver.Step{{When: mockserver.AfterCalls(2), State: mockserver.StateRevoked}},
			[]answer{isActive, isActive, isInactive, isInactive}},
		{"after_calls 0 applies from the first call", false, []mockserver.Step{{When: mockserver.Always(), State: mockserver.StateExpired}},
			[]answer{isInactive, isInactive}},
		{"after counts from SetScript", false, []mockserver.Step{{When: mockserver.After(10 * time.Minute), State: mockserver.StateExpired}},
			[]answer{isActive, after(10*time.Minute-time.Second, isActive), after(time.Second, isInactive), after(time.Hour, isInactive)}},
		{"state active overrides a revocation", true, []mockserver.Step{{When: mockserver.AfterCalls(1), State: mockserver.StateActive}},
			[]answer{isInactive, isActive, isActive}},
		{"not_yet_valid", false, []mockserver.Step{{When: mockserver.OnCall(1), State: mockserver.StateNotYetValid}},
			[]answer{isInactive, isActive}},
		{"last matching state wins", false, []mockserver.Step{
			{When: mockserver.Always(), State: mockserver.StateRevoked}, {When: mockserver.AfterCalls(1), State: mockserver.StateActive}, {When: mockserver.OnCall(3), State: mockserver.StateExpired}},
			[]answer{isInactive, isActive, isInactive, isActive}},
		{"first matching respond wins", false, []mockserver.Step{
			{When: mockserver.OnCall(1), Respond: &mockserver.Fault{Status: 500}}, {When: mockserver.Always(), Respond: &mockserver.Fault{Status: 429}}},
			[]answer{{status: 500, body: faultBody("server_error")}, {status: 429, body: faultBody("temporarily_unavailable")}}},
		{"respond beats state", false, []mockserver.Step{
			{When: mockserver.Always(), State: mockserver.StateRevoked}, {When: mockserver.OnCall(2), Respond: &mockserver.Fault{Status: 503}}},
			[]answer{isInactive, {status: 503, body: faultBody("temporarily_unavailable")}, isInactive}},
		{"503 then recovery", false, []mockserver.Step{{When: mockserver.OnCall(1), Respond: &mockserver.Fault{Status: 503, RetryAfter: 2 * time.Second}}},
			[]answer{{status: 503, body: faultBody("temporarily_unavailable")}, isActive}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, ns := nsServer(t)
			if tt.revoked {
				ns.Revoke("minimal-token")
			}
			if err := ns.SetScript("minimal-token", tt.give); err != nil {
				t.Fatal(err)
			}
			for i, w := range tt.want {
				ns.Clock().Advance(w.advance)
				got := s.ask("", "minimal-token")
				if got.status != w.status || got.body != w.body {
					t.Errorf("call %d: got %d %s; want %d %s", i+1, got.status, got.body, w.status, w.body)
				}
			}
			if ti, _ := ns.Lookup("minimal-token"); ti.Calls != len(tt.want) {
				t.Errorf("Calls = %d; want %d", ti.Calls, len(tt.want))
			}
		})
	}
}

// scriptYAML is the scripted token, plus one that wakes up.
const scriptYAML = `clients:
  - {client_id: rs, client_secret: rs-secret}
tokens:
  - token: goes-bad
    exp: +1h
    script:
      - after_calls: 2          # from the 3rd introspection on
        state: revoked
      - on_call: 1              # only the 1st call
        respond: {status: 503, retry_after: 2s}
  - token: wakes-up
    revoked: true
    script:
      - after: 10m              # once the clock passes load time + 10m
        state: active
`

// TestFixtureScript plays scripts read from YAML: after steps count from
// load time, and Reset restarts them.
func TestFixtureScript(t *testing.T) {
	t.Parallel()
	set, err := fixtures.Parse(t0, "script.yaml", []byte(scriptYAML))
	if err != nil {
		t.Fatal(err)
	}
	s, ns := nsServer(t, mockserver.WithFixtures(set))
	first := s.ask("", "goes-bad")
	if first.status != 503 || first.header.Get("Retry-After") != "2" || first.body != faultBody("temporarily_unavailable") {
		t.Errorf("ER-5/call 1: %d Retry-After=%q %s; want 503 with Retry-After 2", first.status, first.header.Get("Retry-After"), first.body)
	}
	checkNoStore(t, first)
	checkJSONType(t, first)
	if got := s.ask("", "goes-bad"); !strings.HasPrefix(got.body, `{"active":true`) {
		t.Errorf("call 2: %s; want active", got.body)
	}
	if got := s.ask("", "goes-bad"); got.body != inactive {
		t.Errorf("call 3: %s; want inactive", got.body)
	}
	if got := s.ask("", "wakes-up"); got.body != inactive {
		t.Errorf("wakes-up before 10m: %s", got.body)
	}
	ns.Clock().Advance(10 * time.Minute)
	if got := s.ask("", "wakes-up"); !strings.HasPrefix(got.body, `{"active":true`) {
		t.Errorf("wakes-up at 10m: %s", got.body)
	}
	ns.Reset()
	if got := s.ask("", "goes-bad"); got.status != 503 {
		t.Errorf("after Reset, call 1 of goes-bad: %d; want the 503 again", got.status)
	}
	if got := s.ask("", "wakes-up"); got.body != inactive {
		t.Errorf("after Reset, wakes-up counts from the reset: %s", got.body)
	}
}

// TestSetScript checks SetScript's errors and that it restarts the count.
func TestSetScript(t *testing.T) {
	t.Parallel()
	s, ns := nsServer(t)
	s.ask("", "minimal-token")
	s.ask("", "minimal-token")
	if err := ns.SetScript("minimal-token", []mockserver.Step{{When: mockserver.OnCall(1), State: mockserver.StateRevoked}}); err != nil {
		t.Fatal(err)
	}
	if ti, _ := ns.Lookup("minimal-token"); ti.Calls != 0 || ti.State != mockserver.StateRevoked || len(ti.Script) != 1 {
		t.Errorf("after SetScript: %+v; want 0 calls, state revoked (as the next call sees it)", ti)
	}
	if got := s.ask("", "minimal-token"); got.body != inactive {
		t.Errorf("count restarts: call 1 is %s", got.body)
	}
	if err := ns.SetScript("minimal-token", nil); err != nil {
		t.Fatal(err)
	}
	if got := s.ask("", "minimal-token"); got.body != activeMinimal {
		t.Errorf("nil script removes it: %s", got.body)
	}
	if err := ns.SetScript("nope", nil); !errors.Is(err, mockserver.ErrNotFound) {
		t.Errorf("unknown token: %v; want ErrNotFound", err)
	}
	err := ns.SetScript("minimal-token", []mockserver.Step{{When: mockserver.Always(), State: mockserver.StateRevoked}, {When: mockserver.OnCall(1), Respond: &mockserver.Fault{Malformed: "weird"}}})
	if err == nil || !strings.Contains(err.Error(), `script[1]: respond: unknown malformed kind "weird"`) {
		t.Errorf("bad step: %v", err)
	}
	if got := s.ask("", "minimal-token"); got.body != activeMinimal {
		t.Errorf("a refused script changed the token: %s", got.body)
	}
}

// TestFaults plays every fault kind through FailNext, on an active and an
// inactive token, and checks the journal names it.
func TestFaults(t *testing.T) {
	t.Parallel()
	active := `{"active":true,"scope":"read write","client_id":"web-app","username":"alice","token_type":"Bearer"`
	tests := []struct {
		name       string
		give       mockserver.Fault
		token      string
		wantStatus int
		wantType   string
		wantBody   string // exact, or a prefix when it ends in "…"
		wantHeader map[string]string
		wantFault  string
	}{
		{"ER-5/503 with Retry-After", mockserver.Fault{Status: 503, RetryAfter: 2 * time.Second}, "active-token",
			503, "application/json", faultBody("temporarily_unavailable"), map[string]string{"Retry-After": "2"}, "status 503"},
		{"ER-5/503 has Retry-After by default", mockserver.Fault{Status: 503}, "active-token",
			503, "application/json", faultBody("temporarily_unavailable"), map[string]string{"Retry-After": "1"}, "status 503"},
		{"ER-5/429 rounds Retry-After up", mockserver.Fault{Status: 429, RetryAfter: 1500 * time.Millisecond}, "active-token",
			429, "application/json", faultBody("temporarily_unavailable"), map[string]string{"Retry-After": "2"}, "status 429"},
		{"ER-5/500", mockserver.Fault{Status: 500}, "active-token",
			500, "application/json", faultBody("server_error"), map[string]string{"Retry-After": ""}, "status 500"},
		{"ER-3/401 has a challenge", mockserver.Fault{Status: 401}, "active-token",
			401, "application/json", faultBody("invalid_client"), map[string]string{"WWW-Authenticate": `Basic realm="introspectmock"`}, "status 401"},
		{"ER-1/400", mockserver.Fault{Status: 400}, "active-token",
			400, "application/json", faultBody("invalid_request"), nil, "status 400"},
		{"PF-1/invalid_json", mockserver.Fault{Malformed: fixtures.MalformedInvalidJSON}, "active-token",
			200, "application/json", `{"active":true,"scope":"read write","client_id":"web-app"…`, nil, "malformed invalid_json"},
		{"PF-1/invalid_json inactive", mockserver.Fault{Malformed: fixtures.MalformedInvalidJSON}, "expired-token",
			200, "application/json", `{"active`, nil, "malformed invalid_json"},
		{"PF-12/missing_active", mockserver.Fault{Malformed: fixtures.MalformedMissingActive}, "active-token",
			200, "application/json", `{"scope":"read write","client_id":"web-app"…`, nil, "malformed missing_active"},
		{"PF-12/missing_active inactive", mockserver.Fault{Malformed: fixtures.MalformedMissingActive}, "unknown-token",
			200, "application/json", `{}`, nil, "malformed missing_active"},
		{"PF-1/string_active", mockserver.Fault{Malformed: fixtures.MalformedStringActive}, "active-token",
			200, "application/json", `{"active":"false","scope":"read write"…`, nil, "malformed string_active"},
		{"PF-1/string_active inactive", mockserver.Fault{Malformed: fixtures.MalformedStringActive}, "revoked-token",
			200, "application/json", `{"active":"false"}`, nil, "malformed string_active"},
		{"PF-9/wrong_content_type", mockserver.Fault{Malformed: fixtures.MalformedContentType}, "active-token",
			200, "text/plain; charset=utf-8", active + `…`, nil, "malformed wrong_content_type"},
		{"PF-6/html", mockserver.Fault{Malformed: fixtures.MalformedHTML}, "active-token",
			200, "text/html; charset=utf-8", "<!DOCTYPE html>…", nil, "malformed html"},
		{"PF-6/oauth_error_200", mockserver.Fault{Malformed: fixtures.MalformedOAuthErrorBody}, "active-token",
			200, "application/json", `{"error":"server_error","error_description":"injected fault"}`, nil, "malformed oauth_error_200"},
		{"delay then the answer", mockserver.Fault{Delay: 50 * time.Millisecond}, "active-token",
			200, "application/json", active + `…`, nil, "delay 50ms"},
		{"delay then a status", mockserver.Fault{Delay: 50 * time.Millisecond, Status: 503}, "active-token",
			503, "application/json", faultBody("temporarily_unavailable"), nil, "delay 50ms, status 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, ns := nsServer(t)
			ns.FailNext(1, tt.give)
			start := time.Now()
			got := s.ask("", tt.token)
			if d := time.Since(start); d < tt.give.Delay {
				t.Errorf("answered after %v; want at least the delay %v", d, tt.give.Delay)
			}
			if got.status != tt.wantStatus {
				t.Errorf("status %d; want %d", got.status, tt.wantStatus)
			}
			if ct := got.header.Get("Content-Type"); ct != tt.wantType {
				t.Errorf("Content-Type %q; want %q", ct, tt.wantType)
			}
			if prefix, ok := strings.CutSuffix(tt.wantBody, "…"); ok {
				if !strings.HasPrefix(got.body, prefix) {
					t.Errorf("body %s; want it to start with %s", got.body, prefix)
				}
			} else if got.body != tt.wantBody {
				t.Errorf("body %s; want %s", got.body, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if g := got.header.Get(k); g != v {
					t.Errorf("%s: %q; want %q", k, g, v)
				}
			}
			calls := callsOf(ns)
			if len(calls) != 1 || calls[0].Fault != tt.wantFault || calls[0].Status != tt.wantStatus {
				t.Errorf("journal %+v; want one call with fault %q, status %d", calls, tt.wantFault, tt.wantStatus)
			}
			if got := s.ask("", tt.token); got.status != 200 || strings.Contains(got.body, "error") {
				t.Errorf("the next call is faulted too: %d %s", got.status, got.body)
			}
		})
	}
}

// TestMalformedAreMalformed checks the malformed JSON kinds with a JSON
// decoder, the way a resource server would read them.
func TestMalformedAreMalformed(t *testing.T) {
	t.Parallel()
	s, ns := nsServer(t)
	for _, tt := range []struct {
		kind string
		want func(m map[string]any, err error) bool
	}{
		{fixtures.MalformedInvalidJSON, func(_ map[string]any, err error) bool { return err != nil }},
		{fixtures.MalformedMissingActive, func(m map[string]any, err error) bool {
			_, ok := m["active"]
			return err == nil && !ok && m["sub"] == "user-123"
		}},
		{fixtures.MalformedStringActive, func(m map[string]any, err error) bool {
			return err == nil && m["active"] == "false" && m["sub"] == "user-123"
		}},
	} {
		ns.FailNext(1, mockserver.Fault{Malformed: tt.kind})
		got := s.ask("", "active-token")
		var m map[string]any
		err := json.Unmarshal([]byte(got.body), &m)
		if !tt.want(m, err) {
			t.Errorf("%s: body %s (decoded %v, %v)", tt.kind, got.body, m, err)
		}
	}
}

// TestDrop checks that a drop closes the connection without an answer.
func TestDrop(t *testing.T) {
	t.Parallel()
	s, ns := nsServer(t)
	if err := ns.SetScript("active-token", []mockserver.Step{{When: mockserver.OnCall(1), Respond: &mockserver.Fault{Drop: true}}}); err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest(http.MethodPost, s.URL+"/introspect", strings.NewReader("token=active-token"))
	r.Header.Set("Content-Type", formType)
	r.SetBasicAuth(rsID, rsSecret)
	res, err := http.DefaultClient.Do(r)
	if err == nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		t.Fatalf("got an answer: %d %s; want the connection dropped", res.StatusCode, b)
	}
	// The handler journals the call after closing the connection.
	waitFor(t, "the dropped call to be journaled", func() bool { return len(callsOf(ns)) == 1 })
	calls := callsOf(ns)
	if len(calls) != 1 || calls[0].Fault != "drop" || calls[0].Status != 0 || calls[0].Active {
		t.Errorf("journal %+v; want one call, fault drop, status 0", calls)
	}
	if got := s.ask("", "active-token"); !strings.HasPrefix(got.body, `{"active":true`) {
		t.Errorf("call 2: %s", got.body)
	}
}

// TestDelayHoldsNoLock checks that a delayed introspection blocks nothing
// else, and ends when its client goes away.
func TestDelayHoldsNoLock(t *testing.T) {
	t.Parallel()
	s, ns := nsServer(t)
	if err := ns.SetScript("active-token", []mockserver.Step{{When: mockserver.OnCall(1), Respond: &mockserver.Fault{Delay: fixtures.MaxDelay, Status: 503}}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		r, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/introspect", strings.NewReader("token=active-token"))
		r.Header.Set("Content-Type", formType)
		r.SetBasicAuth(rsID, rsSecret)
		res, err := http.DefaultClient.Do(r)
		if err == nil {
			res.Body.Close()
		}
		errc <- err
	}()
	waitFor(t, "the delayed call to start", func() bool { ti, _ := ns.Lookup("active-token"); return ti.Calls == 1 })

	done := make(chan struct{})
	go func() {
		defer close(done)
		ns.Revoke("revoked-token") // needs the write lock
		ns.AddToken(mockserver.Token{Token: "during-delay"})
		s.ask("", "during-delay")
		s.do(req{path: "/revoke", header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=minimal-token"})
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("other calls wait for the delayed one: a lock is held during the delay")
	}
	if len(callsOf(ns)) != 2 {
		t.Errorf("journal has %d calls before the delayed one ends; want 2", len(callsOf(ns)))
	}

	cancel() // the client goes away
	if err := <-errc; err == nil {
		t.Error("the delayed call answered")
	}
	waitFor(t, "the delayed call to end", func() bool { return len(callsOf(ns)) == 3 })
	c := callsOf(ns)[2]
	if c.Token != "active-token" || c.Status != 0 || c.Fault != "delay 10m0s, status 503" {
		t.Errorf("delayed call journaled as %+v; want status 0 (no answer)", c)
	}
}

// waitFor polls cond until it holds, failing after 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestExactCounting introspects one scripted token 50 times at once: the
// script must see each call number exactly once.
func TestExactCounting(t *testing.T) {
	t.Parallel()
	s, ns := nsServer(t)
	if err := ns.SetScript("minimal-token", []mockserver.Step{
		{When: mockserver.OnCall(25), Respond: &mockserver.Fault{Status: 503}},
		{When: mockserver.AfterCalls(40), State: mockserver.StateRevoked},
	}); err != nil {
		t.Fatal(err)
	}
	const n = 50
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		tally   = map[string]int{}
		barrier = make(chan struct{})
	)
	for range n {
		wg.Go(func() {
			<-barrier
			got := s.ask("", "minimal-token")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case got.status == 503:
				tally["503"]++
			case got.body == inactive:
				tally["inactive"]++
			case got.body == activeMinimal:
				tally["active"]++
			default:
				tally["other: "+got.body]++
			}
		})
	}
	close(barrier)
	wg.Wait()
	want := map[string]int{"503": 1, "inactive": 10, "active": 39}
	if len(tally) != len(want) || tally["503"] != 1 || tally["inactive"] != 10 || tally["active"] != 39 {
		t.Errorf("answers %v; want %v", tally, want)
	}
	if ti, _ := ns.Lookup("minimal-token"); ti.Calls != n {
		t.Errorf("Calls = %d; want %d", ti.Calls, n)
	}
	faults := 0
	for _, c := range callsOf(ns) {
		if c.Fault != "" {
			faults++
		}
	}
	if len(callsOf(ns)) != n || faults != 1 {
		t.Errorf("journal: %d calls, %d faults; want %d, 1", len(callsOf(ns)), faults, n)
	}
}

// TestFailNext checks the server-wide fault order: any token, before the
// stub and scripts, authenticated calls only, replaced by a later order.
func TestFailNext(t *testing.T) {
	t.Parallel()
	s, ns := nsServer(t)
	ns.SetScript("minimal-token", []mockserver.Step{{When: mockserver.Always(), Respond: &mockserver.Fault{Status: 500}}})
	ns.SetStub(func(r mockserver.StubRequest) (mockserver.Answer, bool) {
		return mockserver.Answer{}, r.Token == "stubbed"
	})
	ns.FailNext(3, mockserver.Fault{Status: 503})

	if got := s.do(req{body: "token=active-token"}); got.status != 401 {
		t.Errorf("CA-1/unauthenticated call: %d; want 401, not a fault", got.status)
	}
	for _, tok := range []string{"unknown-token", "minimal-token", "stubbed"} {
		if got := s.ask("", tok); got.status != 503 {
			t.Errorf("%s: %d %s; want the pending 503", tok, got.status, got.body)
		}
	}
	if got := s.ask("", "unknown-token"); got.status != 200 {
		t.Errorf("after 3 faults: %d; want 200", got.status)
	}
	ns.FailNext(5, mockserver.Fault{Status: 503})
	ns.FailNext(1, mockserver.Fault{Status: 429})
	if got := s.ask("", "x"); got.status != 429 {
		t.Errorf("replaced order: %d; want 429", got.status)
	}
	if got := s.ask("", "x"); got.status != 200 {
		t.Errorf("replaced order left faults: %d", got.status)
	}
	ns.FailNext(5, mockserver.Fault{Status: 503})
	ns.FailNext(0, mockserver.Fault{})
	if got := s.ask("", "x"); got.status != 200 {
		t.Errorf("FailNext(0) did not cancel: %d", got.status)
	}
	if err := ns.FailNext(1, mockserver.Fault{Status: 200}); err == nil {
		t.Error("FailNext with a fault fixtures refuse: no error")
	}
	if got := s.ask("", "x"); got.status != 200 {
		t.Errorf("a refused FailNext changed the answer: %d", got.status)
	}
}

// TestStub checks a stub's answers and its place before the store.
func TestStub(t *testing.T) {
	t.Parallel()
	s, ns := nsServer(t)
	ns.SetScript("active-token", []mockserver.Step{{When: mockserver.Always(), State: mockserver.StateRevoked}})
	var (
		mu   sync.Mutex
		seen []mockserver.StubRequest
	)
	ns.SetStub(func(r mockserver.StubRequest) (mockserver.Answer, bool) {
		mu.Lock()
		seen = append(seen, r)
		mu.Unlock()
		switch r.Token {
		case "dyn-token":
			return mockserver.Answer{Active: true, Token: mockserver.Token{Sub: "dyn", ExpiresIn: time.Minute}}, true
		case "active-token":
			return mockserver.Answer{Active: true, Token: mockserver.Token{Sub: "from-stub"}}, true
		case "slow-token":
			return mockserver.Answer{Fault: &mockserver.Fault{Status: 503}}, true
		}
		return mockserver.Answer{}, false
	})
	want := `{"active":true,"token_type":"Bearer","exp":` + itoa(t0.Add(time.Minute).Unix()) + `,"iat":` + itoa(t0.Unix()) +
		`,"sub":"dyn","iss":"https://auth.example.test"}`
	got := s.do(req{header: hdr("Authorization", basic(rsID, rsSecret)), body: "token=dyn-token&token_type_hint=access_token"})
	if got.body != want {
		t.Errorf("stub answer\n got %s\nwant %s", got.body, want)
	}
	if got := s.ask("", "active-token"); !strings.Contains(got.body, `"sub":"from-stub"`) {
		t.Errorf("the stub comes before the script: %s", got.body)
	}
	if got := s.ask("", "slow-token"); got.status != 503 {
		t.Errorf("stub fault: %d", got.status)
	}
	if got := s.ask("", "minimal-token"); got.body != activeMinimal {
		t.Errorf("ok=false falls through to the store: %s", got.body)
	}
	mu.Lock()
	first := seen[0]
	mu.Unlock()
	if first != (mockserver.StubRequest{Token: "dyn-token", TokenTypeHint: "access_token", ClientID: rsID, AuthMethod: "basic", Now: t0}) {
		t.Errorf("stub saw %+v", first)
	}
	ns.SetStub(nil)
	if got := s.ask("", "dyn-token"); got.body != inactive {
		t.Errorf("SetStub(nil) left the stub: %s", got.body)
	}
}
