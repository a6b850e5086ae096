package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Packages the bench builds; paths inside this module, so `go build` finds
// them from any directory of the checkout.
const (
	binaryPkg   = "github.com/introspectmock/introspectmock/cmd/introspectmock"
	baselinePkg = "github.com/introspectmock/introspectmock/bench/baseline"
)

// build compiles pkg into dir, with the build tags given, and returns the
// executable's path.
func build(dir, pkg string, tags ...string) (string, error) {
	out := filepath.Join(dir, strings.Join(append([]string{filepath.Base(pkg)}, tags...), "-"))
	cmd := exec.Command("go", "build", "-tags", strings.Join(tags, ","), "-o", out, pkg)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w", pkg, err)
	}
	return out, nil
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// lockedBuffer collects a child's output for the log checks.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proc is a server process the bench started.
type proc struct {
	cmd     *exec.Cmd
	addr    string        // host:port it listens on
	healthy time.Duration // from just before exec to the first 200 of /healthz
	output  *lockedBuffer // stdout and stderr
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid once done is closed
}

// start runs path with args (which must make it listen on addr) and waits
// up to timeout for GET /healthz to answer 200.
func start(path, addr string, timeout time.Duration, args ...string) (*proc, error) {
	return startTo(path, addr, timeout, nil, args...)
}

// startTo is start with the child's stdout and stderr going to out; with
// out nil they are collected in p.output.
func startTo(path, addr string, timeout time.Duration, out *os.File, args ...string) (*proc, error) {
	p := &proc{cmd: exec.Command(path, args...), addr: addr, output: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	if out != nil {
		p.cmd.Stdout, p.cmd.Stderr = out, out
	}
	t0 := time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.waitErr = p.cmd.Wait(); close(p.done) }()
	for {
		if healthz(addr) {
			p.healthy = time.Since(t0)
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited before it was healthy: %v\n%s", filepath.Base(path), p.waitErr, p.output)
		default:
		}
		if time.Since(t0) > timeout {
			p.kill()
			return nil, fmt.Errorf("%s not healthy within %v\n%s", filepath.Base(path), timeout, p.output)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// healthzRequest is GET /healthz without keep-alive.
const healthzRequest = "GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"

// healthz reports whether GET /healthz at addr answers 200.
func healthz(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte(healthzRequest)); err != nil {
		return false
	}
	status, _, _, err := readResponse(bufio.NewReader(c), nil)
	return err == nil && status == 200
}

// stop sends SIGTERM and waits up to timeout for the exit; it kills the
// process if it outlives that.
func (p *proc) stop(timeout time.Duration) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.waitErr
	case <-time.After(timeout):
		p.kill()
		return fmt.Errorf("%s still running %v after SIGTERM", filepath.Base(p.cmd.Path), timeout)
	}
}

// kill ends the process and waits for it.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// memory returns the process's resident set now and its peak (VmRSS and
// VmHWM of /proc/PID/status), in bytes.
func (p *proc) memory() (rss, peak int64, err error) {
	return procMemory(p.cmd.Process.Pid)
}

// procMemory reads VmRSS and VmHWM of process pid.
func procMemory(pid int) (rss, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.Lines(string(b)) {
		name, value, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/status: %s: %v", pid, name, err)
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	if rss == 0 || peak == 0 {
		return 0, 0, errors.New("no VmRSS/VmHWM in /proc (not Linux?)")
	}
	return rss, peak, nil
}

// runMeasured runs path with args to completion and returns its wall time,
// CPU time (user and system) and peak RSS (getrusage's ru_maxrss, the same
// as VmHWM).
func runMeasured(path string, args ...string) (wall, cpu time.Duration, peak int64, out string, err error) {
	cmd := exec.Command(path, args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	t0 := time.Now()
	err = cmd.Run()
	wall = time.Since(t0)
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			peak = ru.Maxrss << 10 // kB on Linux
		}
	}
	return wall, cpu, peak, buf.String(), err
}
