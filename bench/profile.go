package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
)

// runProfile serves the bench tokens in-process, the way cmd/introspectmock
// does (mockserver behind an http.Server with the same limits), drives it
// with wrk (without wrk, the Go load generator) and writes a CPU profile
// to cfg.cpuprofile and an allocation profile beside it (.allocs). The Go
// load generator shows up in the profile too: look below
// net/http.(*conn).serve for the server.
func runProfile(cfg config, stdout, stderr io.Writer) error {
	srv, err := mockserver.New(mockserver.WithFixtures(fixtureSet(cfg.tokens)))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	go hs.Serve(ln)
	defer hs.Close()
	addr := ln.Addr().String()

	f, err := os.Create(cfg.cpuprofile)
	if err != nil {
		return err
	}
	runtime.MemProfileRate = 64 << 10
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	// wrk, a process of its own, leaves the server alone in the profile;
	// the Go load generator is in it too, below net/http's.
	var result string
	if wrk, lerr := exec.LookPath("wrk"); lerr == nil {
		script := cfg.cpuprofile + ".lua"
		if err = os.WriteFile(script, introspectLua, 0o644); err == nil {
			var r wrkRun
			r, err = runWrk(wrk, script, os.Getpid(), addr, cfg.conns, cfg.duration)
			result = fmt.Sprintf("in-process under wrk -t1 -c%d: %.0f req/s, non-2xx %d, socket errors %d; this process's CPU %s per request",
				cfg.conns, r.rps(), r.non2xx, r.sockErrs, formatDuration(r.cpuPerRequest()))
			os.Remove(script)
		}
	} else {
		fmt.Fprintln(stderr, "wrk is not installed: the Go load generator drives the profiled server")
		l := load{addr: addr, conns: cfg.conns, warmup: cfg.warmup, duration: cfg.duration,
			check: func(status int, _ []byte) bool { return status == 200 }}
		for i := range cfg.conns {
			l.requests = append(l.requests, introspectRequest(addr, benchClientID, benchClientSecret, tokenName(i%cfg.tokens)))
		}
		r := l.run()
		result = fmt.Sprintf("in-process: %.0f req/s, p50 %s, p99 %s, wrong %d, errors %d",
			r.rps(), formatDuration(r.pct(50)), formatDuration(r.pct(99)), r.wrong, r.errors)
	}
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	allocs := cfg.cpuprofile + ".allocs"
	af, err := os.Create(allocs)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(af, 0); err != nil {
		return err
	}
	if err := af.Close(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, result)
	fmt.Fprintf(stdout, "wrote %s and %s; the server's share:\n", cfg.cpuprofile, allocs)
	top := exec.Command("go", "tool", "pprof", "-top", "-nodecount=25", "-focus=mockserver", cfg.cpuprofile)
	top.Stdout, top.Stderr = stdout, stderr
	_ = top.Run()
	fmt.Fprintf(stdout, "\nmore: go tool pprof -top -sample_index=alloc_space -focus=mockserver %s\n", allocs)
	return nil
}
