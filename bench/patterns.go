package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// patternFixture is the fixture of the pattern step: the bench caller, one
// exact token and a pattern whose tokens answer the same members.
const patternFixture = `clients:
  - client_id: %[1]s
    client_secret: %[2]s
tokens:
  - token: exact-token
    scope: read write
    client_id: bench-client
    username: alice
    sub: user-123456789
    aud: bench-api
    iat: -5m
    exp: +1h
    jti: jti-123456789
    claims: {tenant: acme}
token_patterns:
  - match: '^load-(?P<n>[0-9]{9})$'
    scope: read write
    client_id: bench-client
    username: alice
    sub: 'user-{n}'
    aud: bench-api
    iat: -5m
    exp: +1h
    jti: 'jti-{n}'
    claims: {tenant: acme}
`

// patterns compares introspecting distinct tokens of a token pattern, one
// new token per request, with introspecting one exact token, on the real
// binary, and follows its RSS until cfg.patternTokens distinct pattern
// tokens were introspected.
func (b *bencher) patterns() error {
	path := filepath.Join(b.dir, "patterns.yaml")
	if err := os.WriteFile(path, fmt.Appendf(nil, patternFixture, benchClientID, benchClientSecret), 0o600); err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	p, err := start(b.binary, addr, 10*time.Second, "--addr", addr, "--fixtures", path, "--log-level", "warn")
	if err != nil {
		return err
	}
	defer p.stop(5 * time.Second)

	var next atomic.Int64 // the number of the next pattern token
	active := func(status int, body []byte) bool {
		return status == 200 && bytes.HasPrefix(body, []byte(`{"active":true,"scope":"read write","client_id":"bench-client"`))
	}
	exact := load{addr: addr, conns: b.cfg.conns, warmup: b.cfg.warmup, duration: b.cfg.duration, check: active,
		requests: [][]byte{introspectRequest(addr, benchClientID, benchClientSecret, "exact-token")}}
	pattern := exact
	pattern.requests = [][]byte{introspectRequest(addr, benchClientID, benchClientSecret, "load-000000000")}
	pattern.vary = func(req []byte) {
		n := next.Add(1) % 1_000_000_000
		digits := req[len(req)-9:]
		for i := len(digits) - 1; i >= 0; i-- {
			digits[i] = byte('0' + n%10)
			n /= 10
		}
	}

	// Warm-up: both kinds until RSS settles into its working size.
	warm := pattern
	warm.warmup, warm.duration = 0, max(2*b.cfg.warmup, time.Second)
	if r := warm.run(); r.wrong > 0 {
		return fmt.Errorf("pattern tokens answered wrong during warm-up: %d of %d", r.wrong, r.requests)
	}
	warm.vary, warm.requests = nil, exact.requests
	warm.run()
	rss0, _, err := p.memory()
	if err != nil {
		return err
	}

	var peak atomic.Int64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			if rss, _, err := p.memory(); err == nil && rss > peak.Load() {
				peak.Store(rss)
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	er, pr := b.alternate("exact token", exact, "pattern tokens", pattern)
	// Then distinct pattern tokens until there were enough of them.
	rest := pattern
	rest.warmup = 0
	for next.Load() < int64(b.cfg.patternTokens) {
		left := time.Duration(float64(int64(b.cfg.patternTokens)-next.Load())/max(pr.rps(), 1000)*float64(time.Second)) + 100*time.Millisecond
		rest.duration = min(left, 10*time.Second)
		r := rest.run()
		pr.wrong += r.wrong
	}
	close(stop)
	sampler.Wait()
	rss1, _, err := p.memory()
	if err != nil {
		return err
	}
	if er.wrong+pr.wrong > 0 || er.requests == 0 || pr.requests == 0 {
		return fmt.Errorf("wrong answers: exact token %d of %d, pattern tokens %d", er.wrong, er.requests, pr.wrong)
	}
	b.add(row{fmt.Sprintf("introspection requests/s, distinct tokens of a token pattern vs one exact token (%d conns)", b.cfg.conns),
		fmt.Sprintf("%.0f", pr.rps()), fmt.Sprintf("%.0f", er.rps()), fmt.Sprintf("%.2f×", pr.rps()/er.rps()), "≥ 0.9×"})
	b.add(row{fmt.Sprintf("RSS after %s distinct pattern tokens, against RSS after warm-up", count(int(next.Load()))),
		fmt.Sprintf("%s (peak %s)", mib(rss1), mib(max(peak.Load(), rss1))), mib(rss0),
		fmt.Sprintf("%+.1f MiB", float64(max(peak.Load(), rss1)-rss0)/(1<<20)), "≤ +20 MiB"})
	return nil
}
