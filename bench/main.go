// Command bench measures introspectmock against a bare net/http baseline
// in the same run and prints a Markdown table of the figures and their
// ratios (docs/performance.md holds one such table).
//
//	go run ./bench                 # the whole table, about a minute
//	go run ./bench -soak 60s       # the soak: mixed traffic, zero 5xx, zero wrong answers, RSS
//	go run ./bench -cpuprofile cpu.out -duration 10s   # profile the hot path in-process (under wrk when installed)
//
// It builds the real binary (cmd/introspectmock) and bench/baseline, starts
// both on free loopback ports with a generated fixture file, and drives
// each with the same Go load generator: -conns keep-alive connections, each
// sending an introspection of an active token with HTTP Basic credentials
// and waiting for the answer. Runs alternate A/B/A/B (-rounds) so that a
// busy machine hurts both alike; every figure that matters is a ratio.
// Then wrk (a Debian package; skipped with a message when missing), light
// on CPU, drives each with `wrk -t1 -c32` (bench/introspect.lua), and the
// servers' CPU time per request is read from /proc/PID/stat around each run.
//
// Also measured: the cost of one in-process introspection with 1 thousand
// and 1 million tokens in the store; loading a 100,000-token fixture file
// (validate, and start-to-healthy) with peak RSS, against the loader that
// parses the whole file as one yaml.v3 node tree; start-up in-process
// (mockserver.New + httptest.NewServer + first introspection, against a
// bare httptest.NewServer + first request) and of the binary (exec to the
// first 200 of /healthz, against the baseline program).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// config holds the flags.
type config struct {
	duration      time.Duration
	warmup        time.Duration
	conns         int
	rounds        int
	wrkRounds     int
	wrkDuration   time.Duration
	tokens        int
	bigTokens     int
	patternTokens int
	scaleSmall    int
	scaleLarge    int
	startups      int
	benchtime     time.Duration
	soak          time.Duration
	soakConns     int
	cpuprofile    string
	only          string
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.duration, "duration", 3*time.Second, "measured `time` of each load run")
	fs.DurationVar(&cfg.warmup, "warmup", 500*time.Millisecond, "unmeasured `time` before each load run")
	fs.IntVar(&cfg.conns, "conns", 32, "concurrent keep-alive `connections`")
	fs.IntVar(&cfg.rounds, "rounds", 2, "A/B `rounds` of every comparison")
	fs.IntVar(&cfg.wrkRounds, "wrk-rounds", 8, "alternating `rounds` of the wrk comparison")
	fs.DurationVar(&cfg.wrkDuration, "wrk-duration", 2*time.Second, "`time` of each wrk run (whole seconds)")
	fs.IntVar(&cfg.tokens, "tokens", 1000, "tokens in the store during the load runs")
	fs.IntVar(&cfg.bigTokens, "big", 100_000, "tokens in the fixture file whose load time is measured")
	fs.IntVar(&cfg.patternTokens, "pattern-tokens", 1_000_000, "distinct tokens of a token pattern to introspect")
	fs.IntVar(&cfg.scaleSmall, "scale-small", 1_000, "small store of the scale check")
	fs.IntVar(&cfg.scaleLarge, "scale-large", 1_000_000, "large store of the scale check")
	fs.IntVar(&cfg.startups, "startups", 15, "start-ups of each program to take the median of")
	fs.DurationVar(&cfg.benchtime, "benchtime", 500*time.Millisecond, "`time` of each in-process Go benchmark")
	fs.DurationVar(&cfg.soak, "soak", 0, "run the soak for this `time` instead of the table")
	fs.IntVar(&cfg.soakConns, "soak-conns", 64, "concurrent clients of the soak")
	fs.StringVar(&cfg.cpuprofile, "cpuprofile", "", "profile an in-process server under load into `file` instead of the table")
	fs.StringVar(&cfg.only, "only", "", "comma-separated `steps` to run of load, wrk, start, big, patterns, inproc, scale; default: all")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	testing.Init()
	if err := flag.Set("test.benchtime", cfg.benchtime.String()); err != nil {
		return err
	}

	if cfg.cpuprofile != "" {
		return runProfile(cfg, stdout, stderr)
	}
	dir, err := os.MkdirTemp("", "introspectmock-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(stderr, "building…")
	binary, err := build(dir, binaryPkg)
	if err != nil {
		return err
	}
	if cfg.soak > 0 {
		rep, err := soak(soakConfig{binary: binary, dir: dir, duration: cfg.soak, clients: cfg.soakConns, log: stderr})
		fmt.Fprintln(stdout, rep)
		return err
	}
	baseline, err := build(dir, baselinePkg)
	if err != nil {
		return err
	}
	b := &bencher{cfg: cfg, dir: dir, binary: binary, baseline: baseline, log: stderr}
	steps := []struct {
		name string
		run  func() error
	}{{"load", b.load}, {"wrk", b.wrkCompare}, {"start", b.startBinaries}, {"big", b.bigFixture}, {"patterns", b.patterns}, {"inproc", b.startInProcess}, {"scale", b.scale}}
	only := map[string]bool{}
	for name := range strings.SplitSeq(cfg.only, ",") {
		if name = strings.TrimSpace(name); name != "" {
			only[name] = true
		}
	}
	for _, step := range steps {
		if len(only) > 0 && !only[step.name] {
			continue
		}
		if err := step.run(); err != nil {
			return fmt.Errorf("%s: %w", step.name, err)
		}
	}
	b.print(stdout)
	return nil
}

// bencher runs the measurements and collects the table.
type bencher struct {
	cfg              config
	dir              string
	binary, baseline string
	log              io.Writer
	rows             []row
}

// row is one line of the table.
type row struct {
	measure, mock, base, ratio, goal string
}

func (b *bencher) add(r row) {
	b.rows = append(b.rows, r)
	fmt.Fprintf(b.log, "  %s: %s | %s | %s\n", r.measure, r.mock, r.base, r.ratio)
}

// load compares introspection throughput and latency.
func (b *bencher) load() error {
	mock, base, err := b.startPair()
	if err != nil {
		return err
	}
	defer mock.stop(5 * time.Second)
	defer base.stop(5 * time.Second)
	mockAddr, baseAddr := mock.addr, base.addr

	check := func(status int, body []byte) bool {
		return status == 200 && bytes.HasPrefix(body, []byte(`{"active":true,`))
	}
	newLoad := func(addr string) load {
		l := load{addr: addr, conns: b.cfg.conns, warmup: b.cfg.warmup, duration: b.cfg.duration, check: check}
		for i := range b.cfg.conns {
			l.requests = append(l.requests, introspectRequest(addr, benchClientID, benchClientSecret, tokenName(i%b.cfg.tokens)))
		}
		return l
	}
	mr, br := b.alternate("introspectmock", newLoad(mockAddr), "baseline", newLoad(baseAddr))
	if mr.wrong+br.wrong > 0 || mr.requests == 0 || br.requests == 0 {
		return fmt.Errorf("wrong answers under load: introspectmock %d of %d, baseline %d of %d",
			mr.wrong, mr.requests, br.wrong, br.requests)
	}
	conns := fmt.Sprintf(" (%d conns)", b.cfg.conns)
	b.add(row{"introspection requests/s" + conns, fmt.Sprintf("%.0f", mr.rps()), fmt.Sprintf("%.0f", br.rps()),
		fmt.Sprintf("%.2f×", mr.rps()/br.rps()), "≥ 0.8× (aim > 1.0×)"})
	b.add(row{"introspection p50 latency" + conns, formatDuration(mr.pct(50)), formatDuration(br.pct(50)),
		fmt.Sprintf("%.2f×", ratio(mr.pct(50), br.pct(50))), ""})
	b.add(row{"introspection p99 latency" + conns, formatDuration(mr.pct(99)), formatDuration(br.pct(99)),
		fmt.Sprintf("%.2f×", ratio(mr.pct(99), br.pct(99))), "≤ 2×"})
	if mr.errors+br.errors > 0 {
		fmt.Fprintf(b.log, "connection errors: introspectmock %d, baseline %d\n", mr.errors, br.errors)
	}
	return nil
}

// startPair starts introspectmock and the baseline on free loopback ports
// with the same b.cfg.tokens tokens and checks that they answer alike; the
// caller stops both.
func (b *bencher) startPair() (mock, base *proc, err error) {
	fixturePath := filepath.Join(b.dir, "load.yaml")
	if err := writeFixtures(fixturePath, b.cfg.tokens); err != nil {
		return nil, nil, err
	}
	mockAddr, err := freeAddr()
	if err != nil {
		return nil, nil, err
	}
	mock, err = start(b.binary, mockAddr, 10*time.Second, "--addr", mockAddr, "--fixtures", fixturePath, "--log-level", "warn")
	if err != nil {
		return nil, nil, err
	}
	baseAddr, err := freeAddr()
	if err == nil {
		base, err = start(b.baseline, baseAddr, 10*time.Second, "-addr", baseAddr, "-tokens", fmt.Sprint(b.cfg.tokens))
	}
	if err == nil {
		if err = sameAnswers(mockAddr, baseAddr); err != nil {
			base.stop(5 * time.Second)
		}
	}
	if err != nil {
		mock.stop(5 * time.Second)
		return nil, nil, err
	}
	return mock, base, nil
}

// sameAnswers checks that both servers answer the same JSON for a token,
// so the load runs compare like with like.
func sameAnswers(mockAddr, baseAddr string) error {
	var answers [2]map[string]any
	for i, addr := range []string{mockAddr, baseAddr} {
		body, err := introspectOnce(addr, tokenName(0))
		if err != nil {
			return err
		}
		if err := json.Unmarshal(body, &answers[i]); err != nil {
			return fmt.Errorf("%s: %v: %s", addr, err, body)
		}
		delete(answers[i], "iss") // the host differs by port
	}
	// Each server resolves its relative fixture times when it starts, so
	// exp and iat may be a second or two apart; they must be numbers on
	// both sides, and no further apart than the two starts.
	for _, k := range []string{"exp", "iat", "nbf"} {
		x, xok := answers[0][k].(float64)
		y, yok := answers[1][k].(float64)
		if xok != yok || (xok && math.Abs(x-y) > 10) {
			return fmt.Errorf("the servers answer %s differently: introspectmock %v, baseline %v", k, answers[0][k], answers[1][k])
		}
		delete(answers[0], k)
		delete(answers[1], k)
	}
	a, _ := json.Marshal(answers[0])
	c, _ := json.Marshal(answers[1])
	if !bytes.Equal(a, c) {
		return fmt.Errorf("the servers answer differently:\nintrospectmock %s\nbaseline       %s", a, c)
	}
	return nil
}

// startBinaries compares exec-to-healthy of the binary (embedded demo
// fixtures, and the load test's fixture file) with the baseline's.
func (b *bencher) startBinaries() error {
	fixturePath := filepath.Join(b.dir, "load.yaml")
	if _, err := os.Stat(fixturePath); err != nil {
		if err := writeFixtures(fixturePath, b.cfg.tokens); err != nil {
			return err
		}
	}
	var demo, mock, base []time.Duration
	for range b.cfg.startups {
		for _, s := range []struct {
			path string
			args []string
			out  *[]time.Duration
		}{
			{b.binary, []string{"--log-level", "warn", "--addr"}, &demo},
			{b.binary, []string{"--fixtures", fixturePath, "--log-level", "warn", "--addr"}, &mock},
			{b.baseline, []string{"-tokens", fmt.Sprint(b.cfg.tokens), "-addr"}, &base},
		} {
			addr, err := freeAddr()
			if err != nil {
				return err
			}
			p, err := start(s.path, addr, 10*time.Second, append(s.args, addr)...)
			if err != nil {
				return err
			}
			*s.out = append(*s.out, p.healthy)
			if err := p.stop(5 * time.Second); err != nil {
				return err
			}
		}
	}
	d, m, c := median(demo), median(mock), median(base)
	b.add(row{fmt.Sprintf("binary start to healthy, embedded demo fixtures (median of %d)", b.cfg.startups),
		formatDuration(d), formatDuration(c), fmt.Sprintf("%.2f×", ratio(d, c)), "< 50 ms"})
	b.add(row{fmt.Sprintf("binary start to healthy, %d-token fixture file (median of %d)", b.cfg.tokens, b.cfg.startups),
		formatDuration(m), formatDuration(c), fmt.Sprintf("%.2f×", ratio(m, c)), "< 50 ms"})
	return nil
}

// bigFixture measures loading a large fixture file, validate and serve
// until healthy, each with its peak RSS, against the same binary built
// with the loader that parses the whole file as one yaml.v3 node tree
// (build tag introspectmock_wholetree), alternately in the same run.
func (b *bencher) bigFixture() error {
	path := filepath.Join(b.dir, "big.yaml")
	if err := writeFixtures(path, b.cfg.bigTokens); err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	tree, err := build(b.dir, binaryPkg, "introspectmock_wholetree")
	if err != nil {
		return err
	}
	rounds := b.cfg.rounds + 1
	var runs [2][2][]loadRun // [streamed, whole tree][validate, serve]
	for range rounds {
		for i, binary := range []string{b.binary, tree} {
			wall, cpu, peak, out, err := runMeasured(binary, "validate", path)
			if err != nil {
				return fmt.Errorf("validate %s: %v\n%s", path, err, out)
			}
			runs[i][0] = append(runs[i][0], loadRun{wall, cpu, peak})
			r, err := serveMeasured(binary, path)
			if err != nil {
				return err
			}
			runs[i][1] = append(runs[i][1], r)
		}
	}
	size := fmt.Sprintf("%d tokens, %.1f MB", b.cfg.bigTokens, float64(info.Size())/1e6)
	for j, what := range []string{"validate " + size, "serve " + size + ": start to healthy"} {
		s, t := summarize(runs[0][j]), summarize(runs[1][j])
		b.add(row{fmt.Sprintf("%s, against the whole-tree loader (median of %d)", what, rounds),
			s.String(), t.String(), fmt.Sprintf("%.2f×", ratio(s.wall, t.wall)), "time ≤ 1.0×, peak RSS ≤ 150 MiB"})
	}
	return nil
}

// loadRun is the wall time, CPU time (0 when unknown) and peak RSS of one
// load of the big fixture.
type loadRun struct {
	wall, cpu time.Duration
	peak      int64
}

func (r loadRun) String() string {
	cpu := ""
	if r.cpu > 0 {
		cpu = " (CPU " + formatDuration(r.cpu) + ")"
	}
	return fmt.Sprintf("%s%s, peak RSS %s", formatDuration(r.wall), cpu, mib(r.peak))
}

// summarize returns the median wall and CPU times and the highest peak of
// runs.
func summarize(runs []loadRun) loadRun {
	var walls, cpus []time.Duration
	var s loadRun
	for _, r := range runs {
		walls, cpus = append(walls, r.wall), append(cpus, r.cpu)
		s.peak = max(s.peak, r.peak)
	}
	s.wall, s.cpu = median(walls), median(cpus)
	return s
}

// serveMeasured starts binary serving the fixture file at path and
// returns its start to healthy and peak RSS.
func serveMeasured(binary, path string) (loadRun, error) {
	addr, err := freeAddr()
	if err != nil {
		return loadRun{}, err
	}
	p, err := start(binary, addr, 60*time.Second, "--addr", addr, "--fixtures", path, "--log-level", "warn")
	if err != nil {
		return loadRun{}, err
	}
	_, peak, err := p.memory()
	if err != nil {
		p.kill()
		return loadRun{}, err
	}
	if err := p.stop(10 * time.Second); err != nil {
		return loadRun{}, err
	}
	return loadRun{wall: p.healthy, peak: peak}, nil
}

// startInProcess compares a test's own mock with a bare httptest server.
func (b *bencher) startInProcess() error {
	var bare, mock, kit []testing.BenchmarkResult
	for range b.cfg.rounds {
		bare = append(bare, testing.Benchmark(benchStartBare))
		kit = append(kit, testing.Benchmark(benchStartTestkit))
		mock = append(mock, testing.Benchmark(benchStartMock))
	}
	br, kr, mr := fastest(bare), fastest(kit), fastest(mock)
	if br.N == 0 || mr.N == 0 || kr.N == 0 {
		return errors.New("in-process start-up benchmark failed")
	}
	show := func(r testing.BenchmarkResult) string {
		return nsPerOp(r) + fmt.Sprintf(", %d allocs", r.AllocsPerOp())
	}
	b.add(row{"in-process start + first introspection + Close: testkit.New vs bare httptest.NewServer + first request",
		show(kr), show(br), fmt.Sprintf("%.2f×", float64(kr.NsPerOp())/float64(br.NsPerOp())), "≤ 3×"})
	b.add(row{"in-process start + first introspection + Close: mockserver.New + httptest vs the same",
		show(mr), show(br), fmt.Sprintf("%.2f×", float64(mr.NsPerOp())/float64(br.NsPerOp())), "≤ 3×"})
	return nil
}

// scale compares one in-process introspection with a small and a large
// store, for introspectmock and for the baseline's handler.
func (b *bencher) scale() error {
	fmt.Fprintf(b.log, "building stores of %d and %d tokens…\n", b.cfg.scaleSmall, b.cfg.scaleLarge)
	type store struct{ scattered, same *storeBench }
	build := func(newBench func(int) (*storeBench, error), n int) (store, error) {
		sc, err := newBench(n)
		if err != nil {
			return store{}, err
		}
		same, err := sc.probe(false)
		return store{sc, same}, err
	}
	var stores [2][2]store // [mock, plain][small, large]
	for i, newBench := range []func(int) (*storeBench, error){newStoreBench, newPlainStoreBench} {
		for j, n := range []int{b.cfg.scaleSmall, b.cfg.scaleLarge} {
			s, err := build(newBench, n)
			if err != nil {
				return err
			}
			stores[i][j] = s
		}
	}
	runtime.GC()
	var results [2][2][2][]testing.BenchmarkResult // [mock, plain][small, large][scattered, same]
	for range b.cfg.rounds + 1 {
		for i := range 2 {
			for j := range 2 {
				results[i][j][0] = append(results[i][j][0], testing.Benchmark(stores[i][j].scattered.benchmark))
				results[i][j][1] = append(results[i][j][1], testing.Benchmark(stores[i][j].same.benchmark))
			}
		}
	}
	ns := func(i, j, k int) float64 { return float64(fastest(results[i][j][k]).NsPerOp()) }
	show := func(i, j, k int) string {
		r := fastest(results[i][j][k])
		return nsPerOp(r) + fmt.Sprintf(", %d allocs", r.AllocsPerOp())
	}
	small, large := count(b.cfg.scaleSmall), count(b.cfg.scaleLarge)
	b.add(row{"one in-process introspection, " + small + " tokens", show(0, 0, 0), show(1, 0, 0),
		fmt.Sprintf("%.2f×", ns(0, 0, 0)/ns(1, 0, 0)), ""})
	b.add(row{"one in-process introspection, " + large + " tokens", show(0, 1, 0), show(1, 1, 0),
		fmt.Sprintf("%.2f×", ns(0, 1, 0)/ns(1, 1, 0)), ""})
	growth := func(i, k int) string {
		return fmt.Sprintf("%.2f× (%+.0f ns)", ns(i, 1, k)/ns(i, 0, k), ns(i, 1, k)-ns(i, 0, k))
	}
	b.add(row{fmt.Sprintf("store growth %s → %s, probes spread over the store (CPU cache and TLB misses included)", small, large),
		growth(0, 0), growth(1, 0), "", "≤ 1.10×"})
	b.add(row{fmt.Sprintf("store growth %s → %s, the same 64 tokens probed (no cache misses)", small, large),
		growth(0, 1), growth(1, 1), "", "≤ 1.10×"})
	runtime.KeepAlive(stores)
	return nil
}

// print writes the table.
func (b *bencher) print(w io.Writer) {
	fmt.Fprintf(w, "Machine: %d cores (%s), %s %s/%s, GOMAXPROCS %d; %s\n\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0),
		time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintln(w, "| Measure | introspectmock | baseline | ratio | goal |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|")
	for _, r := range b.rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", r.measure, r.mock, r.base, r.ratio, r.goal)
	}
	fmt.Fprintln(w, "| container start to healthy | not measured here: bench/container-start.sh (needs Docker and the image) | | | < 1 s |")
	fmt.Fprintf(w, "\nBaseline: bench/baseline (net/http: ParseForm, BasicAuth, map lookup, json.Marshal per request). "+
		"Load: %d keep-alive connections, %d × %v per server (after %v warm-up), alternating.\n",
		b.cfg.conns, b.cfg.rounds, b.cfg.duration, b.cfg.warmup)
}

// alternate runs load x and load y one after the other, cfg.rounds times,
// printing each run, and returns the merged results of each.
func (b *bencher) alternate(xName string, x load, yName string, y load) (xr, yr loadResult) {
	for round := range b.cfg.rounds {
		for _, s := range []struct {
			name string
			l    load
			res  *loadResult
		}{{xName, x, &xr}, {yName, y, &yr}} {
			r := s.l.run()
			fmt.Fprintf(b.log, "round %d %-14s %8.0f req/s  p50 %-8s p99 %-8s errors %d wrong %d\n",
				round+1, s.name, r.rps(), formatDuration(r.pct(50)), formatDuration(r.pct(99)), r.errors, r.wrong)
			*s.res = s.res.merge(r)
		}
	}
	return xr, yr
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// fastest returns the result with the least time per operation: the run
// least disturbed by other work on the machine.
func fastest(rs []testing.BenchmarkResult) testing.BenchmarkResult {
	return slices.MinFunc(rs, func(a, b testing.BenchmarkResult) int {
		return int(a.NsPerOp() - b.NsPerOp())
	})
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

func count(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// cpuModel returns the CPU's model name from /proc/cpuinfo, or "unknown CPU".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.Lines(string(b)) {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown CPU"
}
