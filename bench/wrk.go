package main

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// introspectLua is bench/introspect.lua, the wrk script: POST /introspect
// of one token with Basic credentials.
//
//go:embed introspect.lua
var introspectLua []byte

// userHZ is the unit of utime and stime in /proc/PID/stat (USER_HZ, 100 on
// every Linux architecture Go supports).
const userHZ = 100

// wrkRun is what one wrk run against one server measured.
type wrkRun struct {
	requests int           // completed requests, from wrk
	elapsed  time.Duration // wrk's own measure of the run
	non2xx   int           // "Non-2xx or 3xx responses"
	sockErrs int           // connect, read, write errors and timeouts
	cpu      time.Duration // the server's utime+stime over the run
	wrkCPU   time.Duration // wrk's own user+system time
}

func (r wrkRun) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// cpuPerRequest returns the server's CPU time per request.
func (r wrkRun) cpuPerRequest() time.Duration {
	if r.requests == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.requests)
}

// wrkSeconds is d in whole seconds, at least one: wrk takes no finer unit.
func wrkSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds())))) + "s"
}

// runWrk drives the server at addr, process pid, with `wrk -t1 -cN` for d
// (whole seconds) and returns what it measured, with the server's CPU
// time read from /proc before wrk starts and after it exits.
func runWrk(wrk, script string, pid int, addr string, conns int, d time.Duration) (wrkRun, error) {
	before, err := procCPU(pid)
	if err != nil {
		return wrkRun{}, err
	}
	cmd := exec.Command(wrk, "-t1", "-c"+strconv.Itoa(conns), "-d"+wrkSeconds(d), "--timeout", "5s",
		"-s", script, "http://"+addr+"/introspect", "--", tokenName(0), basicAuth(benchClientID, benchClientSecret))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return wrkRun{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	after, err := procCPU(pid)
	if err != nil {
		return wrkRun{}, err
	}
	r, err := parseWrk(string(out))
	if err != nil {
		return wrkRun{}, err
	}
	r.cpu = after - before
	r.wrkCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return r, nil
}

var (
	wrkRequestsRe = regexp.MustCompile(`(\d+) requests in ([0-9.]+)(us|ms|s|m)\b`)
	wrkNon2xxRe   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSocketRe   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// parseWrk reads the figures of wrk's report.
func parseWrk(out string) (wrkRun, error) {
	var r wrkRun
	m := wrkRequestsRe.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk printed no request count:\n%s", out)
	}
	r.requests, _ = strconv.Atoi(m[1])
	secs, _ := strconv.ParseFloat(m[2], 64)
	unit := map[string]float64{"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60}[m[3]]
	r.elapsed = time.Duration(secs * unit * float64(time.Second))
	if r.elapsed <= 0 {
		return r, fmt.Errorf("wrk ran for no time:\n%s", out)
	}
	if m := wrkNon2xxRe.FindStringSubmatch(out); m != nil {
		r.non2xx, _ = strconv.Atoi(m[1])
	}
	if m := wrkSocketRe.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.sockErrs += n
		}
	}
	return r, nil
}

// procCPU returns the user plus system CPU time process pid has used,
// utime and stime of /proc/PID/stat (all its threads, exited ones too).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime, the 14th and 15th fields, of a
// /proc/PID/stat line; the second field, the command in parentheses, may
// hold spaces.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("/proc/PID/stat: no command field")
	}
	f := strings.Fields(stat[i+1:]) // from the 3rd field on
	if len(f) < 13 {
		return 0, errors.New("/proc/PID/stat: too few fields")
	}
	utime, err1 := strconv.ParseInt(f[14-3], 10, 64)
	stime, err2 := strconv.ParseInt(f[15-3], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/PID/stat: %v", err)
	}
	return time.Duration(utime+stime) * time.Second / userHZ, nil
}

// wrkCompare runs wrk against introspectmock and the baseline, each its
// own process, in rounds of one run each, alternately (A/B, then B/A),
// and adds the requests/s and CPU-per-request rows with their ratios and
// the spread of the per-round ratios.
func (b *bencher) wrkCompare() error {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		fmt.Fprintln(b.log, "wrk: not installed (Debian: apt-get install wrk); skipping the wrk comparison")
		b.add(row{"wrk: skipped, wrk is not installed (apt-get install wrk)", "", "", "", ""})
		return nil
	}
	script := filepath.Join(b.dir, "introspect.lua")
	if err := os.WriteFile(script, introspectLua, 0o644); err != nil {
		return err
	}
	mock, base, err := b.startPair()
	if err != nil {
		return err
	}
	defer mock.stop(5 * time.Second)
	defer base.stop(5 * time.Second)

	type server struct {
		name string
		p    *proc
		runs []wrkRun
	}
	servers := []*server{{name: "introspectmock", p: mock}, {name: "baseline", p: base}}
	for _, s := range servers { // warm-up, not measured
		if _, err := runWrk(wrk, script, s.p.cmd.Process.Pid, s.p.addr, b.cfg.conns, b.cfg.warmup); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	order := []*server{servers[0], servers[1]}
	for round := range b.cfg.wrkRounds {
		for _, s := range order {
			r, err := runWrk(wrk, script, s.p.cmd.Process.Pid, s.p.addr, b.cfg.conns, b.cfg.wrkDuration)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			fmt.Fprintf(b.log, "wrk round %d %-14s %8.0f req/s  server CPU %-8s per request  (wrk's own CPU %s) non-2xx %d socket errors %d\n",
				round+1, s.name, r.rps(), formatDuration(r.cpuPerRequest()), formatDuration(r.wrkCPU), r.non2xx, r.sockErrs)
			if r.non2xx > 0 || r.requests == 0 {
				return fmt.Errorf("%s answered %d of %d wrk requests with a status other than 2xx", s.name, r.non2xx, r.requests)
			}
			s.runs = append(s.runs, r)
		}
		slices.Reverse(order)
	}

	// Each round's two runs are next to each other in time, so their
	// ratio is the least disturbed by whatever else the machine does; the
	// table gives the medians and the spread of the per-round ratios.
	var mRPS, cRPS, mCPU, cCPU, rpsRatios, cpuRatios []float64
	sockErrs := 0
	for i := range servers[0].runs {
		mr, br := servers[0].runs[i], servers[1].runs[i]
		mRPS, cRPS = append(mRPS, mr.rps()), append(cRPS, br.rps())
		mCPU, cCPU = append(mCPU, float64(mr.cpuPerRequest())), append(cCPU, float64(br.cpuPerRequest()))
		rpsRatios = append(rpsRatios, mr.rps()/br.rps())
		cpuRatios = append(cpuRatios, float64(mr.cpuPerRequest())/float64(br.cpuPerRequest()))
		sockErrs += mr.sockErrs + br.sockErrs
	}
	what := fmt.Sprintf(" (wrk -t1 -c%d, median of %d × %s)", b.cfg.conns, b.cfg.wrkRounds, wrkSeconds(b.cfg.wrkDuration))
	b.add(row{"introspection requests/s" + what, fmt.Sprintf("%.0f", medianFloat(mRPS)), fmt.Sprintf("%.0f", medianFloat(cRPS)),
		fmt.Sprintf("%.2f× (rounds %s)", medianFloat(rpsRatios), spread(rpsRatios)), "≥ 1.05×"})
	b.add(row{"server CPU per introspection" + what,
		formatDuration(time.Duration(medianFloat(mCPU))), formatDuration(time.Duration(medianFloat(cCPU))),
		fmt.Sprintf("%.2f× (rounds %s)", medianFloat(cpuRatios), spread(cpuRatios)), "≤ 0.95×"})
	if sockErrs > 0 {
		fmt.Fprintf(b.log, "wrk socket errors: %d\n", sockErrs)
	}
	return nil
}

// medianFloat returns the median of xs (the mean of the middle two of an
// even count).
func medianFloat(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread prints the least and the greatest of ratios: "1.02–1.10×".
func spread(ratios []float64) string {
	if len(ratios) == 0 {
		return "none"
	}
	return fmt.Sprintf("%.2f–%.2f×", slices.Min(ratios), slices.Max(ratios))
}
