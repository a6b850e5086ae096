package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// binaryPath is the introspectmock executable TestMain builds.
var binaryPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "introspectmock-bench-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binaryPath, err = build(dir, binaryPkg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// BenchmarkIntrospectStore measures one in-process introspection with 1
// thousand and 1 million tokens in the store, probing tokens spread over
// the store or the same 64 (goal: within 10%).
func BenchmarkIntrospectStore(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		b.Run(count(n), func(b *testing.B) {
			sb, err := newStoreBench(n)
			if err != nil {
				b.Fatal(err)
			}
			b.Run("spread", sb.benchmark)
			same, err := sb.probe(false)
			if err != nil {
				b.Fatal(err)
			}
			b.Run("same64", same.benchmark)
		})
	}
}

// BenchmarkStartup compares a bare httptest.NewServer + first request with
// a test's own mock: testkit.New (or fixtures, mockserver.New and
// httptest), first introspection, Close (goal: ≤ 3×).
func BenchmarkStartup(b *testing.B) {
	b.Run("httptest", benchStartBare)
	b.Run("testkit", benchStartTestkit)
	b.Run("mockserver", benchStartMock)
}

// The soak: mixed traffic from many clients against the real binary at
// debug level. It fails on any 5xx, wrong answer, transport error, RSS
// growth after the warm-up, secret or token in the log, or a slow or
// unclean exit after SIGTERM. `go run ./bench -soak 60s` is the long one.
func TestSoak(t *testing.T) {
	d := 5 * time.Second
	if testing.Short() {
		d = 2 * time.Second
	}
	rep, err := soak(soakConfig{binary: binaryPath, dir: t.TempDir(), duration: d, clients: 32, log: io.Discard})
	if rep != nil {
		t.Log(rep)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"introspect own", "introspect static", "revoke", "token", "wrong secret", "malformed", "discovery", "GET with query token"} {
		if rep.ops[op] == 0 {
			t.Errorf("the soak never ran %q", op)
		}
	}
	if rep.admin && rep.ops["admin add"] == 0 {
		t.Error("the admin API answers but the soak never added a token through it")
	}
}

// The log check of the soak finds what it looks for, wherever it sits.
func TestSecretSetFindsSecrets(t *testing.T) {
	s := newSecretSet("abc123secret", "tok-xyz")
	log := []byte(`time=… level=DEBUG msg=call client_id=rs token_sent=true` + "\n" +
		`level=INFO msg="x" detail="prefix-abc123secret-suffix"` + "\n" + `tok-xy`)
	got := s.findIn(log)
	if len(got) != 1 || got[0] != "abc123secret" {
		t.Errorf("findIn = %q; want [abc123secret]", got)
	}
	if got := newSecretSet("nothere").findIn(log); len(got) != 0 {
		t.Errorf("findIn = %q; want none", got)
	}
}

// SIGTERM to the real binary under load: requests in flight finish (a
// request whose body is still arriving is answered), no answer is cut
// off midway, and the process exits 0 within --shutdown-timeout.
func TestGracefulShutdownUnderLoad(t *testing.T) {
	dir := t.TempDir()
	fixturePath := dir + "/f.yaml"
	if err := writeFixtures(fixturePath, 64); err != nil {
		t.Fatal(err)
	}
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	const shutdownTimeout = 3 * time.Second
	p, err := start(binaryPath, addr, 10*time.Second, "--addr", addr, "--fixtures", fixturePath,
		"--shutdown-timeout", shutdownTimeout.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.kill()
		}
	})

	// A request in flight at SIGTERM: headers and half the body now, the
	// rest after the signal.
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	req := introspectRequest(addr, benchClientID, benchClientSecret, tokenName(7))
	half := len(req) - 5
	if _, err := slow.Write(req[:half]); err != nil {
		t.Fatal(err)
	}

	// Load: 16 connections until the server goes away.
	var (
		answered, partial, wrong atomic.Int64
		wg                       sync.WaitGroup
		sigSent                  atomic.Bool
		afterSignal              atomic.Int64
	)
	for i := range 16 {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			r := introspectRequest(addr, benchClientID, benchClientSecret, tokenName(i))
			for {
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := c.Write(r); err != nil {
					return
				}
				status, body, closeConn, err := readResponse(br, nil)
				switch {
				case errors.Is(err, errPartial):
					partial.Add(1)
					return
				case err != nil: // closed between requests: never started
					return
				case status != 200 || !bytes.HasPrefix(body, []byte(`{"active":true`)):
					wrong.Add(1)
				default:
					answered.Add(1)
					if sigSent.Load() {
						afterSignal.Add(1)
					}
				}
				if closeConn {
					return
				}
			}
		})
	}
	// Under load: wait for answers, not for a fixed time (a busy machine
	// may take long), but well within the slow request's --read-timeout.
	for deadline := time.Now().Add(5 * time.Second); answered.Load() < 64; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d answers within 5s of load before SIGTERM; want 64", answered.Load())
		}
	}
	t0 := time.Now()
	sigSent.Store(true)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := slow.Write(req[half:]); err != nil {
		t.Fatalf("finishing the in-flight request after SIGTERM: %v", err)
	}
	_ = slow.SetDeadline(time.Now().Add(5 * time.Second))
	status, body, _, err := readResponse(bufio.NewReader(slow), nil)
	if err != nil || status != 200 || !bytes.Contains(body, []byte(`"sub":"user-7"`)) {
		t.Errorf("request in flight at SIGTERM: %d %s, %v; want its 200 answer", status, body, err)
	}

	// Exit status 0 means the shutdown finished within --shutdown-timeout
	// (past it, the server closes what is left and exits 1); the bound on
	// the whole exit only catches a hang, with room for a busy machine.
	select {
	case <-p.done:
	case <-time.After(shutdownTimeout + 10*time.Second):
		t.Fatalf("still running %v after SIGTERM\n%s", time.Since(t0), p.output)
	}
	took := time.Since(t0)
	wg.Wait()
	if p.waitErr != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", p.waitErr, p.output)
	}
	if took > shutdownTimeout+5*time.Second {
		t.Errorf("exited %v after SIGTERM; want within --shutdown-timeout %v (and the process exit)", took, shutdownTimeout)
	}
	if partial.Load() > 0 || wrong.Load() > 0 {
		t.Errorf("under load at SIGTERM: %d answers cut off midway, %d wrong (of %d)", partial.Load(), wrong.Load(), answered.Load())
	}
	if out := p.output.String(); !strings.Contains(out, "shutting down") || !strings.Contains(out, "stopped") {
		t.Errorf("log lacks the shutdown messages:\n%s", out)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Errorf("%s still accepts connections after exit", addr)
	}
	t.Logf("exit %v after SIGTERM; %d answers, %d after the signal", took.Round(time.Millisecond), answered.Load(), afterSignal.Load())
}

// The whole table runs end to end (small sizes), so `go run ./bench` keeps
// working.
func TestBenchTable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both programs and runs every measurement; skipped with -short")
	}
	wrkRow := "| server CPU per introspection (wrk -t1 -c4, median of 1 × 1s) |"
	if _, err := exec.LookPath("wrk"); err != nil {
		wrkRow = "| wrk: skipped, wrk is not installed"
	}
	var out, log bytes.Buffer
	err := run([]string{"-duration", "200ms", "-warmup", "50ms", "-rounds", "1", "-wrk-rounds", "1", "-wrk-duration", "1s", "-conns", "4", "-tokens", "50",
		"-big", "500", "-pattern-tokens", "2000", "-scale-small", "100", "-scale-large", "2000", "-startups", "2", "-benchtime", "20ms"}, &out, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	for _, want := range []string{"| introspection requests/s (4 conns) |", "p99", "binary start to healthy", "validate 500 tokens",
		"serve 500 tokens", "distinct tokens of a token pattern", "RSS after", "in-process start", "store growth 100 → 2k", "container start to healthy", "Machine: ", wrkRow} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

// readResponse reads what a server sends, in pieces, and tells a cut-off
// answer from a connection closed before any byte.
func TestReadResponse(t *testing.T) {
	const whole = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 16\r\n\r\n{\"active\":false}"
	tests := []struct {
		name        string
		give        string
		wantStatus  int
		wantBody    string
		wantClose   bool
		wantAnyErr  bool
		wantPartial bool
	}{
		{name: "whole", give: whole, wantStatus: 200, wantBody: `{"active":false}`},
		{name: "close", give: strings.Replace(whole, "\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1), wantStatus: 200, wantBody: `{"active":false}`, wantClose: true},
		{name: "nothing", give: "", wantAnyErr: true},
		{name: "cut in the body", give: whole[:len(whole)-3], wantPartial: true},
		{name: "cut in the headers", give: whole[:30], wantPartial: true},
		{name: "chunked", give: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", wantPartial: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, closeConn, err := readResponse(bufio.NewReader(strings.NewReader(tt.give)), nil)
			switch {
			case tt.wantPartial:
				if !errors.Is(err, errPartial) {
					t.Errorf("err = %v; want errPartial", err)
				}
			case tt.wantAnyErr:
				if err == nil || errors.Is(err, errPartial) {
					t.Errorf("err = %v; want an error that is not errPartial", err)
				}
			case err != nil || status != tt.wantStatus || string(body) != tt.wantBody || closeConn != tt.wantClose:
				t.Errorf("= %d %q close %v, %v; want %d %q close %v", status, body, closeConn, err, tt.wantStatus, tt.wantBody, tt.wantClose)
			}
		})
	}
}

// Without wrk on the PATH the wrk comparison says so and the table goes on.
func TestWrkMissingSkips(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	var log bytes.Buffer
	b := &bencher{log: &log}
	if err := b.wrkCompare(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "wrk: not installed") || len(b.rows) != 1 || !strings.Contains(b.rows[0].measure, "skipped") {
		t.Errorf("log %q, rows %v; want the skip said in both", log.String(), b.rows)
	}
}

// wrk's report and /proc/PID/stat are read as the kernel and wrk 4.1
// print them.
func TestParseWrkAndStat(t *testing.T) {
	const report = `Running 3s test @ http://127.0.0.1:40413/introspect
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   780.63us  376.55us  13.35ms   89.04%
    Req/Sec    41.52k     3.42k   45.06k    80.00%
  124003 requests in 3.00s, 64.04MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:  41286.43
Transfer/sec:     21.32MB
`
	r, err := parseWrk(report)
	if err != nil {
		t.Fatal(err)
	}
	if r.requests != 124003 || r.elapsed != 3*time.Second || r.non2xx != 7 || r.sockErrs != 3 {
		t.Errorf("parseWrk = %+v", r)
	}
	if _, err := parseWrk("wrk: connection refused"); err == nil {
		t.Error("parseWrk of a report without a count: no error")
	}
	// The command may hold spaces and parentheses; utime 1234, stime 56 ticks.
	const stat = "4242 (intro (spect) mock) S 1 4242 4242 0 -1 4194560 713 0 0 0 1234 56 0 0 20 0 9 0 1 2 3"
	cpu, err := parseStatCPU(stat)
	if err != nil || cpu != 12900*time.Millisecond {
		t.Errorf("parseStatCPU = %v, %v; want 12.9s", cpu, err)
	}
	if cpu, err := procCPU(os.Getpid()); err != nil || cpu < 0 {
		t.Errorf("procCPU(self) = %v, %v", cpu, err)
	}
}
