package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/bench/internal/plain"
	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
	"github.com/introspectmock/introspectmock/testkit"
)

// discardWriter is a ResponseWriter that keeps only the status, so a
// benchmark measures the handler.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.h }

func (w *discardWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(b), nil
}

func (w *discardWriter) WriteHeader(status int) { w.status = status }

// probeCount is how many probe requests an in-process introspection
// benchmark cycles through.
const probeCount = 4096

// storeBench is an in-process introspection handler with n bench tokens
// and the requests that probe it.
type storeBench struct {
	n      int
	h      http.Handler
	bodies []string // "token=…" of the probes
}

// newStoreBench returns introspectmock's handler holding n tokens (see
// fixtureSet).
func newStoreBench(n int) (*storeBench, error) {
	srv, err := mockserver.New(mockserver.WithFixtures(fixtureSet(n)))
	if err != nil {
		return nil, err
	}
	return (&storeBench{n: n, h: srv}).probe(true)
}

// newPlainStoreBench returns the baseline's handler holding n tokens.
func newPlainStoreBench(n int) (*storeBench, error) {
	return (&storeBench{n: n, h: plain.Handler(n, time.Now())}).probe(true)
}

// probe returns a copy of sb that probes tokens spread over the whole
// store, so that a large store pays its cache and TLB misses (scattered),
// or the same 64 tokens again and again, which stay in the CPU caches.
// It checks that the first probe is answered active.
func (sb *storeBench) probe(scattered bool) (*storeBench, error) {
	out := &storeBench{n: sb.n, h: sb.h, bodies: make([]string, probeCount)}
	for i := range probeCount {
		j := i % min(64, sb.n)
		if scattered {
			// A fixed odd multiplier modulo n scatters the probes.
			j = int((uint64(i) * 2654435761) % uint64(sb.n))
		}
		out.bodies[i] = "token=" + tokenName(j)
	}
	w := httptest.NewRecorder()
	out.h.ServeHTTP(w, out.request(0))
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), `{"active":true`) {
		return nil, fmt.Errorf("in-process introspection with %d tokens: %d %s", sb.n, w.Code, w.Body)
	}
	return out, nil
}

var (
	introspectURL = &url.URL{Scheme: "http", Host: "bench.test", Path: "/introspect"}
	benchHeader   = http.Header{
		"Content-Type":  {"application/x-www-form-urlencoded"},
		"Authorization": {basicAuth(benchClientID, benchClientSecret)},
	}
)

// request returns the i-th probe request. Its header map is shared and
// read-only, as handlers treat request headers.
func (sb *storeBench) request(i int) *http.Request {
	body := sb.bodies[i%probeCount]
	return &http.Request{
		Method: http.MethodPost, URL: introspectURL, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: benchHeader, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)),
		Host: "bench.test", RemoteAddr: "127.0.0.1:40000", RequestURI: "/introspect",
	}
}

// benchmark measures one introspection of an active token.
func (sb *storeBench) benchmark(b *testing.B) {
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		clear(w.h)
		w.status = 0
		sb.h.ServeHTTP(w, sb.request(i))
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
		i++
	}
}

// startupYAML is what a typical test starts its mock with.
const startupYAML = `clients:
  - client_id: bench-rs
    client_secret: bench-secret
tokens:
  - token: tok-0000000
    scope: read write
    sub: user-0
    exp: +1h
  - token: tok-revoked
    exp: +1h
    revoked: true
`

// newStartupClient returns a client whose connections close with a reset
// (SO_LINGER 0), so the many short-lived servers of a start-up benchmark
// leave no TIME_WAIT sockets behind: those slow down the kernel's choice of
// a free port for the next server, and the benchmark would measure that.
func newStartupClient() *http.Client {
	d := &net.Dialer{}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			return c, err
		},
	}}
}

// benchStartBare measures httptest.NewServer with a trivial handler, its
// first answered request and Close: the floor of any in-process mock.
func benchStartBare(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	client := newStartupClient()
	b.ReportAllocs()
	for b.Loop() {
		srv := httptest.NewServer(h)
		res, err := client.Get(srv.URL + "/healthz")
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("status %d", res.StatusCode)
		}
		client.CloseIdleConnections()
		srv.Close()
	}
}

// benchStartMock measures what a test pays for its own mock: parse inline
// fixtures, mockserver.New, httptest.NewServer, the first answered
// introspection (active) and Close.
func benchStartMock(b *testing.B) {
	auth := basicAuth(benchClientID, benchClientSecret)
	client := newStartupClient()
	b.ReportAllocs()
	for b.Loop() {
		set, err := fixtures.Parse(time.Now(), "inline.yaml", []byte(startupYAML))
		if err != nil {
			b.Fatal(err)
		}
		ms, err := mockserver.New(mockserver.WithFixtures(set))
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(ms)
		firstIntrospection(b, client, srv.URL, auth)
		client.CloseIdleConnections()
		srv.Close()
	}
}

// benchStartTestkit is benchStartMock through testkit: testkit.New with
// inline fixtures (testkit.Start is New plus t.Cleanup), the first
// introspection and Close.
func benchStartTestkit(b *testing.B) {
	auth := basicAuth(benchClientID, benchClientSecret)
	client := newStartupClient()
	b.ReportAllocs()
	for b.Loop() {
		s, err := testkit.New(testkit.WithFixtureYAML(startupYAML))
		if err != nil {
			b.Fatal(err)
		}
		firstIntrospection(b, client, s.URL(), auth)
		client.CloseIdleConnections()
		s.Close()
	}
}

// firstIntrospection introspects tok-0000000 and fails b unless it is active.
func firstIntrospection(b *testing.B, c *http.Client, base, auth string) {
	const body = "token=tok-0000000"
	req, _ := http.NewRequest(http.MethodPost, base+"/introspect", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", auth)
	res, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(string(got), `{"active":true`) {
		b.Fatalf("first introspection = %d %s", res.StatusCode, got)
	}
}

// nsPerOp formats a benchmark result's time per operation.
func nsPerOp(r testing.BenchmarkResult) string {
	return formatDuration(time.Duration(r.NsPerOp()))
}

// formatDuration prints d with three significant digits.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + " ns"
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e3, 'g', 3, 64) + " µs"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/1e6, 'g', 3, 64) + " ms"
	default:
		return strconv.FormatFloat(d.Seconds(), 'g', 3, 64) + " s"
	}
}
