package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
)

// soakConfig configures a soak run.
type soakConfig struct {
	binary   string        // the introspectmock executable
	dir      string        // for the fixture file and the server's log
	duration time.Duration // of the mixed traffic
	clients  int           // concurrent clients, each with its own connection
	log      io.Writer     // progress
	// maxGrowth is how much RSS may grow from the end of the warm-up to
	// the end; 0: 50% + 16 MiB.
	maxGrowth func(start int64) int64
}

// Soak fixture credentials and static tokens.
const (
	soakRS           = "soak-rs"
	soakRSSecret     = "soak-rs-secret-6f1d"
	soakClient       = "soak-client"
	soakClientSecret = "soak-client-secret-93ab"
	soakPerClient    = 16 // fixture tokens owned by each client
)

// soakStatic are fixture tokens no client changes, with their state.
var soakStatic = []struct {
	token  string
	active bool
}{
	{"soak-static-active-0c7e", true},
	{"soak-static-expired-51aa", false},
	{"soak-static-notyet-2b90", false},
	{"soak-static-revoked-77d3", false},
	{"soak-unknown-token-e4f2", false}, // not in the fixtures
}

// soakReport is what a soak measured.
type soakReport struct {
	duration       time.Duration
	ops            map[string]int64 // per operation
	total          int64
	status5xx      int64
	wrong          int64
	transportErr   int64
	problems       []string // the first few wrong answers, for the report
	admin          bool     // the admin API was exercised
	rssStart       int64    // after the warm-up
	rssSeries      []int64  // from rssStart on, every tenth of the run
	rssEnd         int64
	peak           int64
	leaked         []string // secrets or tokens found in the log
	logBytes       int64
	shutdownErr    error
	shutdownWithin time.Duration
}

// String renders the report.
func (r *soakReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "soak %v: %d requests (%.0f/s), %d 5xx, %d wrong answers, %d transport errors\n",
		r.duration, r.total, float64(r.total)/r.duration.Seconds(), r.status5xx, r.wrong, r.transportErr)
	names := make([]string, 0, len(r.ops))
	for n := range r.ops {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  %-22s %d\n", n, r.ops[n])
	}
	if !r.admin {
		b.WriteString("  (admin API not available: admin operations were not exercised)\n")
	}
	fmt.Fprintf(&b, "RSS after warm-up %s, at the end %s, peak %s; during the run:", mib(r.rssStart), mib(r.rssEnd), mib(r.peak))
	for _, v := range r.rssSeries {
		fmt.Fprintf(&b, " %.0f", float64(v)/(1<<20))
	}
	b.WriteString(" MiB\n")
	fmt.Fprintf(&b, "log (debug level): %d bytes, %d secrets or tokens found in it\n", r.logBytes, len(r.leaked))
	fmt.Fprintf(&b, "SIGTERM to exit: %v (err %v)", r.shutdownWithin.Round(time.Millisecond), r.shutdownErr)
	for _, p := range r.problems {
		fmt.Fprintf(&b, "\n  problem: %s", p)
	}
	return b.String()
}

// soakTokenName is fixture token j of client i.
func soakTokenName(i, j int) string { return fmt.Sprintf("soak-c%02d-t%02d-9d2f", i, j) }

// writeSoakFixtures writes the soak's fixture file for n clients.
func writeSoakFixtures(path string, n int) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "clients:\n  - client_id: %s\n    client_secret: %s\n  - client_id: %s\n    client_secret: %s\n    scopes: [read, write]\n",
		soakRS, soakRSSecret, soakClient, soakClientSecret)
	fmt.Fprintf(&b, "tokens:\n  - token: %s\n    sub: static\n    exp: +24h\n", soakStatic[0].token)
	fmt.Fprintf(&b, "  - token: %s\n    sub: static\n    iat: -2h\n    exp: -1h\n", soakStatic[1].token)
	fmt.Fprintf(&b, "  - token: %s\n    sub: static\n    nbf: +1h\n    exp: +2h\n", soakStatic[2].token)
	fmt.Fprintf(&b, "  - token: %s\n    sub: static\n    exp: +24h\n    revoked: true\n", soakStatic[3].token)
	for i := range n {
		for j := range soakPerClient {
			tok := soakTokenName(i, j)
			fmt.Fprintf(&b, "  - token: %s\n    scope: read\n    sub: %s\n    exp: +24h\n", tok, tok)
		}
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// soak runs the binary at debug level under mixed traffic from many
// clients: introspections (own, static and unknown tokens), revocations,
// client_credentials tokens, admin API calls when the admin API answers,
// wrong credentials, malformed requests, discovery and health. Every answer
// is checked against the state each client expects for its own tokens. It
// reports RSS after the warm-up and at the end, then sends SIGTERM and
// greps the server's log for every secret and token used. It returns an
// error when any property broke.
func soak(cfg soakConfig) (*soakReport, error) {
	if cfg.maxGrowth == nil {
		cfg.maxGrowth = func(start int64) int64 { return start/2 + 16<<20 }
	}
	fixturePath := filepath.Join(cfg.dir, "soak.yaml")
	if err := writeSoakFixtures(fixturePath, cfg.clients); err != nil {
		return nil, err
	}
	logPath := filepath.Join(cfg.dir, "soak.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p, err := startTo(cfg.binary, addr, 10*time.Second, logFile, "--addr", addr, "--fixtures", fixturePath, "--log-level", "debug")
	if err != nil {
		return nil, err
	}
	defer func() {
		select {
		case <-p.done:
		default:
			p.kill()
		}
	}()
	base := "http://" + addr
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.clients, MaxConnsPerHost: cfg.clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	rep := &soakReport{duration: cfg.duration, ops: map[string]int64{}}
	st := &soakState{rep: rep, secrets: newSecretSet(soakRSSecret, soakClientSecret, "wrong-secret-5e1b",
		strings.TrimPrefix(basicAuth(soakRS, soakRSSecret), "Basic "), strings.TrimPrefix(basicAuth(soakClient, soakClientSecret), "Basic "))}
	for _, s := range soakStatic {
		st.secrets.add(s.token)
	}
	rep.admin = probeAdmin(hc, base)
	fmt.Fprintf(cfg.log, "soak: %d clients for %v against %s (admin API: %v)\n", cfg.clients, cfg.duration, base, rep.admin)

	warmup := min(cfg.duration/10, 5*time.Second)
	end := time.Now().Add(cfg.duration)
	var wg sync.WaitGroup
	for i := range cfg.clients {
		c := &soakClientState{id: i, st: st, hc: hc, base: base, admin: rep.admin, rnd: rand.New(rand.NewPCG(uint64(i), 0x50a4))}
		for j := range soakPerClient {
			tok := soakTokenName(i, j)
			st.secrets.add(tok)
			c.own = append(c.own, &ownToken{token: tok, sub: tok})
		}
		wg.Go(func() {
			for time.Now().Before(end) {
				c.step()
			}
			c.verifyAll() // a revocation that did not stick shows here
		})
	}
	time.Sleep(warmup)
	if rep.rssStart, _, err = p.memory(); err != nil {
		return rep, err
	}
	rep.rssSeries = append(rep.rssSeries, rep.rssStart)
	sampled := make(chan struct{})
	go func() { // RSS every tenth of the run, to show it flat
		defer close(sampled)
		for every := max(cfg.duration/10, 500*time.Millisecond); time.Until(end) > every; {
			time.Sleep(every)
			if rss, _, err := p.memory(); err == nil {
				rep.rssSeries = append(rep.rssSeries, rss)
			}
		}
	}()
	wg.Wait()
	<-sampled
	if rep.rssEnd, rep.peak, err = p.memory(); err != nil {
		return rep, err
	}
	tr.CloseIdleConnections()

	t0 := time.Now()
	rep.shutdownErr = p.stop(15 * time.Second)
	rep.shutdownWithin = time.Since(t0)
	logged, err := os.ReadFile(logPath)
	if err != nil {
		return rep, err
	}
	rep.logBytes = int64(len(logged))
	rep.leaked = st.secrets.findIn(logged)

	var errs []error
	if rep.status5xx+rep.wrong+rep.transportErr > 0 {
		errs = append(errs, fmt.Errorf("%d 5xx, %d wrong answers, %d transport errors", rep.status5xx, rep.wrong, rep.transportErr))
	}
	if rep.total == 0 {
		errs = append(errs, errors.New("no request answered"))
	}
	if grow := rep.rssEnd - rep.rssStart; grow > cfg.maxGrowth(rep.rssStart) {
		errs = append(errs, fmt.Errorf("RSS grew by %s after the warm-up (from %s to %s)", mib(grow), mib(rep.rssStart), mib(rep.rssEnd)))
	}
	if len(rep.leaked) > 0 {
		errs = append(errs, fmt.Errorf("the log holds %d secrets or tokens, e.g. %q", len(rep.leaked), rep.leaked[0]))
	}
	if rep.shutdownErr != nil {
		errs = append(errs, fmt.Errorf("SIGTERM: %v\n%s", rep.shutdownErr, tail(logged, 2000)))
	}
	if !bytes.Contains(logged, []byte("stopped")) {
		errs = append(errs, errors.New("the log lacks the shutdown's final message"))
	}
	return rep, errors.Join(errs...)
}

// probeAdmin reports whether the admin API answers.
func probeAdmin(hc *http.Client, base string) bool {
	res, err := hc.Get(base + "/admin/tokens/" + url.PathEscape(soakStatic[0].token))
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// tail returns the last n bytes of b.
func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// soakState is shared by the soak's clients.
type soakState struct {
	rep     *soakReport
	mu      sync.Mutex // guards rep.ops and rep.problems
	secrets *secretSet
}

// count records one answered operation; problem is "" when it was right.
func (s *soakState) count(op string, status int, problem string) {
	atomic.AddInt64(&s.rep.total, 1)
	if status >= 500 {
		atomic.AddInt64(&s.rep.status5xx, 1)
		if problem == "" {
			problem = fmt.Sprintf("status %d", status)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rep.ops[op]++
	if problem != "" {
		if status < 500 {
			s.rep.wrong++
		}
		if len(s.rep.problems) < 10 {
			s.rep.problems = append(s.rep.problems, op+": "+problem)
		}
	}
}

// transport records a request that got no answer.
func (s *soakState) transport(op string, err error) {
	atomic.AddInt64(&s.rep.transportErr, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.rep.problems) < 10 {
		s.rep.problems = append(s.rep.problems, op+": "+err.Error())
	}
}

// ownToken is a token one client changes, with the state it expects.
type ownToken struct {
	token   string
	sub     string // expected sub, "" when not checked
	client  string // expected client_id, "" when not checked
	revoked bool   // revoked or removed: inactive from now on
	admin   bool   // added through the admin API (so it may be removed)
	removed bool
}

// soakClientState is one client of the soak.
type soakClientState struct {
	id    int
	st    *soakState
	hc    *http.Client
	base  string
	admin bool
	rnd   *rand.Rand
	own   []*ownToken
	added int
}

// step sends one request chosen at random and checks the answer.
func (c *soakClientState) step() {
	switch n := c.rnd.IntN(100); {
	case n < 45:
		c.introspectOwn(c.own[c.rnd.IntN(len(c.own))])
	case n < 55:
		s := soakStatic[c.rnd.IntN(len(soakStatic))]
		c.introspect("introspect static", s.token, s.active, "")
	case n < 63:
		c.revoke()
	case n < 67:
		c.mint()
	case n < 77 && c.admin:
		c.adminOp()
	case n < 77:
		c.introspectOwn(c.own[c.rnd.IntN(len(c.own))])
	case n < 82:
		c.wrongSecret()
	case n < 87:
		c.malformed()
	case n < 94:
		c.discovery()
	default:
		c.queryToken()
	}
}

// verifyAll introspects every own token once more.
func (c *soakClientState) verifyAll() {
	for _, t := range c.own {
		c.introspectOwn(t)
	}
}

// do sends a request and returns status, body and whether it got an answer.
func (c *soakClientState) do(op string, req *http.Request) (int, http.Header, []byte, bool) {
	res, err := c.hc.Do(req)
	if err != nil {
		c.st.transport(op, err)
		return 0, nil, nil, false
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		c.st.transport(op, err)
		return 0, nil, nil, false
	}
	return res.StatusCode, res.Header, body, true
}

// form builds a form POST with the resource server's Basic credentials.
func (c *soakClientState) form(path, id, secret string, v url.Values) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	return req
}

func (c *soakClientState) introspectOwn(t *ownToken) {
	c.introspect("introspect own", t.token, !t.revoked, t.sub)
	if t.client != "" && !t.revoked {
		c.introspectClient(t)
	}
}

// introspect checks that token is active iff wantActive, and its sub.
func (c *soakClientState) introspect(op, token string, wantActive bool, sub string) {
	status, _, body, ok := c.do(op, c.form("/introspect", soakRS, soakRSSecret, url.Values{"token": {token}}))
	if !ok {
		return
	}
	var got struct {
		Active *bool  `json:"active"`
		Sub    string `json:"sub"`
	}
	problem := ""
	switch err := json.Unmarshal(body, &got); {
	case status != http.StatusOK || err != nil || got.Active == nil:
		problem = fmt.Sprintf("%s: %d %s", mockserver.Redact(token), status, body)
	case *got.Active != wantActive:
		problem = fmt.Sprintf("%s: active %v; want %v", mockserver.Redact(token), *got.Active, wantActive)
	case wantActive && sub != "" && got.Sub != sub:
		problem = fmt.Sprintf("%s: sub %q; want %q", mockserver.Redact(token), got.Sub, sub)
	case !wantActive && string(body) != `{"active":false}`:
		problem = fmt.Sprintf("%s: inactive answer %s", mockserver.Redact(token), body)
	}
	c.st.count(op, status, problem)
}

// introspectClient checks the client_id of an issued token.
func (c *soakClientState) introspectClient(t *ownToken) {
	status, _, body, ok := c.do("introspect issued", c.form("/introspect", soakRS, soakRSSecret, url.Values{"token": {t.token}}))
	if !ok {
		return
	}
	problem := ""
	if status != http.StatusOK || !bytes.Contains(body, []byte(`"client_id":"`+t.client+`"`)) {
		problem = fmt.Sprintf("issued %s: %d %s", mockserver.Redact(t.token), status, body)
	}
	c.st.count("introspect issued", status, problem)
}

// revoke revokes a random own token (RFC 7009: 200, empty body, also when
// already revoked).
func (c *soakClientState) revoke() {
	t := c.own[c.rnd.IntN(len(c.own))]
	status, _, body, ok := c.do("revoke", c.form("/revoke", soakRS, soakRSSecret, url.Values{"token": {t.token}}))
	if !ok {
		return
	}
	problem := ""
	if status != http.StatusOK || len(body) != 0 {
		problem = fmt.Sprintf("%s: %d %s", mockserver.Redact(t.token), status, body)
	} else {
		t.revoked = true
	}
	c.st.count("revoke", status, problem)
}

// active counts the own tokens expected active.
func (c *soakClientState) active() int {
	n := 0
	for _, t := range c.own {
		if !t.revoked {
			n++
		}
	}
	return n
}

// mint gets a client_credentials token when few own tokens are active,
// else introspects.
func (c *soakClientState) mint() {
	if c.active() >= soakPerClient/2 {
		c.introspectOwn(c.own[c.rnd.IntN(len(c.own))])
		return
	}
	status, _, body, ok := c.do("token", c.form("/token", soakClient, soakClientSecret,
		url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}}))
	if !ok {
		return
	}
	var got struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   *int   `json:"expires_in"`
	}
	problem := ""
	if err := json.Unmarshal(body, &got); status != http.StatusOK || err != nil || got.AccessToken == "" || got.ExpiresIn == nil {
		problem = fmt.Sprintf("%d %s", status, body)
	} else {
		c.st.secrets.add(got.AccessToken)
		c.own = append(c.own, &ownToken{token: got.AccessToken, client: soakClient})
	}
	c.st.count("token", status, problem)
}

// adminOp runs one admin API operation on own tokens.
func (c *soakClientState) adminOp() {
	switch c.rnd.IntN(5) {
	case 0: // add
		if c.active() >= soakPerClient {
			c.adminGet()
			return
		}
		c.added++
		tok := fmt.Sprintf("soak-admin-c%02d-%06d-1c4e", c.id, c.added)
		c.st.secrets.add(tok)
		body, _ := json.Marshal(map[string]any{"token": tok, "sub": tok, "scope": "read", "exp": "+1h"})
		req, _ := http.NewRequest(http.MethodPost, c.base+"/admin/tokens", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		status, _, got, ok := c.do("admin add", req)
		if !ok {
			return
		}
		problem := ""
		if status != http.StatusCreated || !bytes.Contains(got, []byte(tok)) {
			problem = fmt.Sprintf("%d %s", status, got)
		} else {
			c.own = append(c.own, &ownToken{token: tok, sub: tok, admin: true})
		}
		c.st.count("admin add", status, problem)
	case 1: // revoke
		t := c.own[c.rnd.IntN(len(c.own))]
		if t.removed {
			c.adminGet()
			return
		}
		req, _ := http.NewRequest(http.MethodPost, c.base+"/admin/tokens/"+url.PathEscape(t.token)+"/revoke", nil)
		status, _, body, ok := c.do("admin revoke", req)
		if !ok {
			return
		}
		problem := ""
		if status != http.StatusNoContent {
			problem = fmt.Sprintf("%s: %d %s", mockserver.Redact(t.token), status, body)
		} else {
			t.revoked = true
		}
		c.st.count("admin revoke", status, problem)
	case 2: // remove a revoked admin token: the store stays bounded
		for i, t := range c.own {
			if t.admin && t.revoked && !t.removed {
				req, _ := http.NewRequest(http.MethodDelete, c.base+"/admin/tokens/"+url.PathEscape(t.token), nil)
				status, _, body, ok := c.do("admin delete", req)
				if !ok {
					return
				}
				problem := ""
				if status != http.StatusNoContent {
					problem = fmt.Sprintf("%s: %d %s", mockserver.Redact(t.token), status, body)
				} else {
					c.introspect("introspect removed", t.token, false, "")
					c.own = append(c.own[:i], c.own[i+1:]...)
				}
				c.st.count("admin delete", status, problem)
				return
			}
		}
		c.adminGet()
	case 3:
		c.adminGet()
	default: // journal, filtered to one own token
		t := c.own[c.rnd.IntN(len(c.own))]
		req, _ := http.NewRequest(http.MethodGet, c.base+"/admin/calls?endpoint=introspect&token="+url.QueryEscape(t.token), nil)
		status, _, body, ok := c.do("admin calls", req)
		if !ok {
			return
		}
		var got struct {
			Calls []json.RawMessage `json:"calls"`
		}
		problem := ""
		if err := json.Unmarshal(body, &got); status != http.StatusOK || err != nil || got.Calls == nil {
			problem = fmt.Sprintf("%d %.200s", status, body)
		}
		c.st.count("admin calls", status, problem)
	}
}

// adminGet reads an own token through the admin API and checks its state.
func (c *soakClientState) adminGet() {
	t := c.own[c.rnd.IntN(len(c.own))]
	req, _ := http.NewRequest(http.MethodGet, c.base+"/admin/tokens/"+url.PathEscape(t.token), nil)
	status, _, body, ok := c.do("admin get", req)
	if !ok {
		return
	}
	var got struct {
		State string `json:"state"`
	}
	want := "active"
	if t.revoked {
		want = "revoked"
	}
	problem := ""
	if err := json.Unmarshal(body, &got); status != http.StatusOK || err != nil || got.State != want {
		problem = fmt.Sprintf("%s: %d %s; want state %s", mockserver.Redact(t.token), status, body, want)
	}
	c.st.count("admin get", status, problem)
}

// wrongSecret introspects with a wrong secret: 401 invalid_client with a
// Basic challenge, never an answer about the token.
func (c *soakClientState) wrongSecret() {
	status, h, body, ok := c.do("wrong secret", c.form("/introspect", soakRS, "wrong-secret-5e1b", url.Values{"token": {soakStatic[0].token}}))
	if !ok {
		return
	}
	problem := ""
	if status != http.StatusUnauthorized || !bytes.Contains(body, []byte(`"invalid_client"`)) || h.Get("WWW-Authenticate") == "" {
		problem = fmt.Sprintf("%d %s", status, body)
	}
	c.st.count("wrong secret", status, problem)
}

// malformed sends a request without a token or with broken encoding: 400
// invalid_request.
func (c *soakClientState) malformed() {
	body := "token_type_hint=access_token"
	if c.rnd.IntN(2) == 0 {
		body = "token=%zz"
	}
	req, _ := http.NewRequest(http.MethodPost, c.base+"/introspect", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(soakRS, soakRSSecret)
	status, _, got, ok := c.do("malformed", req)
	if !ok {
		return
	}
	problem := ""
	if status != http.StatusBadRequest || !bytes.Contains(got, []byte(`"invalid_request"`)) {
		problem = fmt.Sprintf("%q: %d %s", body, status, got)
	}
	c.st.count("malformed", status, problem)
}

// discovery fetches the health check or the metadata.
func (c *soakClientState) discovery() {
	path, want := "/healthz", `"status":"ok"`
	if c.rnd.IntN(2) == 0 {
		path, want = "/.well-known/oauth-authorization-server", `"introspection_endpoint":"`+c.base+`/introspect"`
	}
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	status, _, body, ok := c.do("discovery", req)
	if !ok {
		return
	}
	problem := ""
	if status != http.StatusOK || !bytes.Contains(body, []byte(want)) {
		problem = fmt.Sprintf("%s: %d %s", path, status, body)
	}
	c.st.count("discovery", status, problem)
}

// queryToken sends GET /introspect?token=…: 405, and the token must not
// reach the log (docs/conformance.md IQ-1).
func (c *soakClientState) queryToken() {
	t := c.own[c.rnd.IntN(len(c.own))]
	req, _ := http.NewRequest(http.MethodGet, c.base+"/introspect?token="+url.QueryEscape(t.token)+"&client_secret="+soakRSSecret, nil)
	status, h, body, ok := c.do("GET with query token", req)
	if !ok {
		return
	}
	problem := ""
	if status != http.StatusMethodNotAllowed || h.Get("Allow") == "" {
		problem = fmt.Sprintf("%d %s", status, body)
	}
	c.st.count("GET with query token", status, problem)
}

// secretSet holds every secret and token a run used, to find them in a log.
type secretSet struct {
	mu    sync.Mutex
	byLen map[int]map[string]bool
}

func newSecretSet(secrets ...string) *secretSet {
	s := &secretSet{byLen: map[int]map[string]bool{}}
	for _, v := range secrets {
		s.add(v)
	}
	return s
}

func (s *secretSet) add(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.byLen[len(v)]
	if m == nil {
		m = map[string]bool{}
		s.byLen[len(v)] = m
	}
	m[v] = true
}

// findIn returns the secrets that occur in log, each once.
func (s *secretSet) findIn(log []byte) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	found := map[string]bool{}
	for n, m := range s.byLen {
		for i := 0; i+n <= len(log); i++ {
			if m[string(log[i:i+n])] {
				found[string(log[i:i+n])] = true
			}
		}
	}
	out := make([]string, 0, len(found))
	for v := range found {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
