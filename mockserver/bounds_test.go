package mockserver_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
)

// mint fetches a client_credentials token as svc (10m lifetime).
func mint(t *testing.T, s *testServer) string {
	t.Helper()
	got := s.do(req{path: "/token", header: hdr("Authorization", basic(svcID, svcSecret)), body: "grant_type=client_credentials"})
	if got.status != 200 {
		t.Fatalf("token: %d %s", got.status, got.body)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(got.body), &tr); err != nil {
		t.Fatal(err)
	}
	return tr.AccessToken
}

// A long run minting tokens keeps the store bounded: tokens issued at
// /token leave it a minute after they expire, and no active one does.
func TestIssuedTokensArePruned(t *testing.T) {
	t.Parallel()
	s, ns := nsServer(t)
	fixtureTokens := s.srv.TokenCount()
	const (
		lifetime = 10 * time.Minute // svc's token_lifetime
		step     = 2 * time.Second  // clock advance per token
		n        = 2000             // 4000 s: more than six lifetimes
	)
	// At most the tokens of the last lifetime + grace, plus the one being
	// added and the clock's whole-second rounding.
	bound := fixtureTokens + int((lifetime+time.Minute)/step) + 2
	var minted []string
	most := 0
	for range n {
		minted = append(minted, mint(t, s))
		most = max(most, s.srv.TokenCount())
		ns.Clock().Advance(step)
	}
	if most > bound {
		t.Errorf("the store held up to %d tokens minting %d, %v apart; want at most %d", most, n, step, bound)
	}
	// Every token still active is kept and answers active.
	for _, back := range []int{1, 100, int(lifetime/step) - 1} {
		tok := minted[n-back]
		if got := s.ask("", tok); got.status != 200 || got.body[:14] != `{"active":true` {
			t.Errorf("token minted %v ago: %d %s; want active", time.Duration(back)*step, got.status, got.body)
		}
	}
	// An old one is gone: unknown, so inactive like the expired token it was.
	old := minted[0]
	if _, err := ns.Lookup(old); err == nil {
		t.Error("a token expired for over an hour is still in the store")
	}
	if got := s.ask("", old); got.body != inactive {
		t.Errorf("IR-7/a pruned token: %s; want %s", got.body, inactive)
	}
	// Moving the clock back does not bring it back: unknown stays inactive.
	ns.Clock().Set(t0)
	if got := s.ask("", old); got.body != inactive {
		t.Errorf("a pruned token with the clock moved back: %s; want %s (documented)", got.body, inactive)
	}
	// Fixture tokens are never pruned, even expired ones.
	if _, err := ns.Lookup("expired-token"); err != nil {
		t.Error("the expired fixture token was pruned")
	}
}

// Tokens removed before they expire do not pile up in the expiry queue,
// even when the clock never moves.
func TestIssuedQueueStaysBounded(t *testing.T) {
	t.Parallel()
	s, ns := nsServer(t)
	for range 1000 {
		if err := ns.Remove(mint(t, s)); err != nil {
			t.Fatalf("Remove of a minted token: %v", err)
		}
	}
	if n := mockserver.IssuedQueueLen(ns); n > 2*s.srv.TokenCount()+65 {
		t.Errorf("the expiry queue holds %d tokens for a store of %d", n, s.srv.TokenCount())
	}
	// Reset drops the queue with the issued tokens.
	mint(t, s)
	ns.Reset()
	if n := mockserver.IssuedQueueLen(ns); n != 0 {
		t.Errorf("after Reset the expiry queue holds %d tokens", n)
	}
}

// The journal allocates as calls come, never more than its size.
func TestJournalGrowsOnDemand(t *testing.T) {
	t.Parallel()
	s, ns := nsServer(t)
	for i := range 3 {
		s.ask("", fmt.Sprint("tok-", i))
	}
	if c := mockserver.JournalCap(ns); c > 16 {
		t.Errorf("a journal of 3 calls (size %d) holds room for %d", mockserver.DefaultJournalSize, c)
	}
	s100, ns100 := nsServer(t, mockserver.WithJournalSize(100))
	for i := range 250 {
		s100.ask("", fmt.Sprint("tok-", i))
	}
	if c, n := mockserver.JournalCap(ns100), len(callsOf(ns100)); c != 100 || n != 100 {
		t.Errorf("a journal of size 100 after 250 calls: %d calls, room for %d; want 100 and 100", n, c)
	}
}

// The admin API reads and sets one namespace's journal size.
func TestAdminJournalSize(t *testing.T) {
	t.Parallel()
	ts, srv := adminServer(t)
	for _, st := range []adminStep{
		{"default", "GET", "/admin/journal", "", 200, fmt.Sprintf(`{"size":%d,"kept":0}`, mockserver.DefaultJournalSize)},
	} {
		st.check(t, ts)
	}
	for i := range 5 {
		asRS(t, ts, "/introspect", fmt.Sprint("tok-", i))
	}
	for _, st := range []adminStep{
		{"kept", "GET", "/admin/journal", "", 200, fmt.Sprintf(`{"size":%d,"kept":5}`, mockserver.DefaultJournalSize)},
		{"shrink", "PUT", "/admin/journal", `{"size":3}`, 200, `{"size":3,"kept":3}`},
		{"missing size", "PUT", "/admin/journal", `{}`, 400, "~body:1:1: missing size, the number of calls to keep"},
		{"negative", "PUT", "/admin/journal", `{"size":-1}`, 400, "~body:1:9: size: must be between 0 and"},
		{"fraction", "PUT", "/admin/journal", `{"size":1.5}`, 400, "~body:1:9: size: want an integer"},
		{"not a number", "PUT", "/admin/journal", `{"size":"3"}`, 400, "~body:1:9: size: want an integer, got the quoted string '3'"},
		{"unknown member", "PUT", "/admin/journal", `{"size":3,"max":4}`, 400, "~body:1:11: max: unknown key"},
		{"no body", "PUT", "/admin/journal", "", 400, "~body:1:1: want a mapping with size"},
		{"not JSON", "PUT", "/admin/journal", `{"size":`, 400, "~body:1:"},
		{"method", "DELETE", "/admin/journal", "", 405, "~use GET, PUT"},
		{"other namespace untouched", "GET", "/ns/other/admin/journal", "", 200, fmt.Sprintf(`{"size":%d,"kept":0}`, mockserver.DefaultJournalSize)},
	} {
		st.check(t, ts)
	}
	calls := callsOf(srv.Default())
	if len(calls) != 3 || calls[0].Token != "tok-2" || calls[2].Token != "tok-4" {
		t.Errorf("after shrinking to 3: %v; want the latest 3, oldest first", calls)
	}
	for i := 5; i < 9; i++ {
		asRS(t, ts, "/introspect", fmt.Sprint("tok-", i))
	}
	if calls := callsOf(srv.Default()); len(calls) != 3 || calls[2].Token != "tok-8" {
		t.Errorf("size 3 after more calls: %v", calls)
	}
	adminStep{"grow", "PUT", "/admin/journal", `{"size":10}`, 200, `{"size":10,"kept":3}`}.check(t, ts)
	asRS(t, ts, "/introspect", "tok-9")
	if calls := callsOf(srv.Default()); len(calls) != 4 || calls[0].Token != "tok-6" || calls[3].Token != "tok-9" {
		t.Errorf("grown to 10: %v", calls)
	}
	adminStep{"off", "PUT", "/admin/journal", `{"size":0}`, 200, `{"size":0,"kept":0}`}.check(t, ts)
	asRS(t, ts, "/introspect", "tok-10")
	if n := len(callsOf(srv.Default())); n != 0 {
		t.Errorf("size 0 keeps %d calls", n)
	}
	if err := srv.Default().SetJournalSize(-1); err == nil {
		t.Error("SetJournalSize(-1): no error")
	}
	if got := srv.Default().JournalSize(); got != 0 {
		t.Errorf("JournalSize = %d after a failed SetJournalSize; want 0", got)
	}
}
