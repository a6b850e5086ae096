package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"
)

// load describes one load run: conns keep-alive connections, each sending
// its request, waiting for the answer and sending the next, like wrk. The
// first warmup is not measured.
type load struct {
	addr     string // host:port
	conns    int
	warmup   time.Duration
	duration time.Duration
	// requests[i % len(requests)] is what connection i sends, a whole
	// HTTP/1.1 request.
	requests [][]byte
	// check reports whether an answer is right.
	check func(status int, body []byte) bool
	// vary, when set, rewrites a connection's own copy of its request in
	// place before each send (same length), to send distinct tokens.
	vary func(req []byte)
}

// loadResult is what a load run measured.
type loadResult struct {
	requests int             // answered in the measured window
	errors   int             // connection errors (reconnected)
	wrong    int             // answers check refused
	elapsed  time.Duration   // length of the measured window
	lat      []time.Duration // latency of every measured request, sorted
}

// rps returns the requests per second.
func (r loadResult) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// pct returns the p-th percentile latency (0 < p < 100).
func (r loadResult) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat))*p/100+0.5) - 1
	return r.lat[min(max(i, 0), len(r.lat)-1)]
}

// merge adds o's counts and latencies to r.
func (r loadResult) merge(o loadResult) loadResult {
	r.requests += o.requests
	r.errors += o.errors
	r.wrong += o.wrong
	r.elapsed += o.elapsed
	r.lat = append(r.lat, o.lat...)
	slices.Sort(r.lat)
	return r
}

// run drives the load and returns what it measured.
func (l load) run() loadResult {
	start := time.Now()
	measureFrom := start.Add(l.warmup)
	end := measureFrom.Add(l.duration)
	results := make([]loadResult, l.conns)
	var wg sync.WaitGroup
	for i := range l.conns {
		wg.Go(func() {
			req := l.requests[i%len(l.requests)]
			if l.vary != nil {
				req = slices.Clone(req)
			}
			results[i] = l.worker(req, measureFrom, end)
		})
	}
	wg.Wait()
	var out loadResult
	for _, r := range results {
		out.requests += r.requests
		out.errors += r.errors
		out.wrong += r.wrong
		out.lat = append(out.lat, r.lat...)
	}
	slices.Sort(out.lat)
	out.elapsed = l.duration
	return out
}

// worker sends req over one connection (reconnecting after errors) until
// end, recording the requests started at or after measureFrom.
func (l load) worker(req []byte, measureFrom, end time.Time) loadResult {
	var (
		res  loadResult
		conn net.Conn
		br   *bufio.Reader
		buf  = make([]byte, 0, 4096)
	)
	res.lat = make([]time.Duration, 0, 1<<15)
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	for {
		t0 := time.Now()
		if !t0.Before(end) {
			return res
		}
		if conn == nil {
			c, err := net.DialTimeout("tcp", l.addr, 2*time.Second)
			if err != nil {
				res.errors++
				time.Sleep(10 * time.Millisecond)
				continue
			}
			conn, br = c, bufio.NewReaderSize(c, 8192)
		}
		_ = conn.SetDeadline(t0.Add(5 * time.Second))
		if l.vary != nil {
			l.vary(req)
		}
		var (
			status   int
			body     []byte
			closeReq bool
			err      error
		)
		if _, err = conn.Write(req); err == nil {
			status, body, closeReq, err = readResponse(br, buf)
		}
		lat := time.Since(t0)
		if err != nil {
			res.errors++
			conn.Close()
			conn = nil
			continue
		}
		buf = body[:0]
		if closeReq {
			conn.Close()
			conn = nil
		}
		if t0.Before(measureFrom) {
			continue
		}
		res.requests++
		res.lat = append(res.lat, lat)
		if !l.check(status, body) {
			res.wrong++
		}
	}
}

// errPartial marks an answer cut off after its first byte.
var errPartial = errors.New("partial answer")

// readResponse reads one HTTP/1.1 answer with a Content-Length body into
// buf (grown as needed). It reports whether the server closes the
// connection after it. An error after the first byte of the answer wraps
// errPartial.
func readResponse(br *bufio.Reader, buf []byte) (status int, body []byte, closeConn bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if len(line) > 0 {
			err = fmt.Errorf("%w: %v", errPartial, err)
		}
		return 0, nil, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, nil, false, fmt.Errorf("%w: bad status line %q", errPartial, line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, false, fmt.Errorf("%w: bad status line %q", errPartial, line)
	}
	clen := -1
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return 0, nil, false, fmt.Errorf("%w: %v", errPartial, err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			clen, err = strconv.Atoi(string(value))
			if err != nil {
				return 0, nil, false, fmt.Errorf("%w: bad Content-Length %q", errPartial, value)
			}
		case bytes.EqualFold(name, []byte("Connection")):
			closeConn = bytes.EqualFold(value, []byte("close"))
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return 0, nil, false, fmt.Errorf("%w: Transfer-Encoding %q is not supported", errPartial, value)
		}
	}
	if clen < 0 {
		return 0, nil, false, fmt.Errorf("%w: no Content-Length", errPartial)
	}
	if cap(buf) < clen {
		buf = make([]byte, clen)
	}
	body = buf[:clen]
	if _, err := io.ReadFull(br, body); err != nil {
		return 0, nil, false, fmt.Errorf("%w: body: %v", errPartial, err)
	}
	return status, body, closeConn, nil
}

// introspectRequest renders a POST /introspect with Basic credentials.
func introspectRequest(host, id, secret, token string) []byte {
	body := "token=" + token
	return fmt.Appendf(nil, "POST /introspect HTTP/1.1\r\nHost: %s\r\nUser-Agent: introspectmock-bench\r\n"+
		"Authorization: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
		host, basicAuth(id, secret), len(body), body)
}

// introspectOnce introspects token at addr with the bench caller over a
// new connection and returns the body of the 200 answer.
func introspectOnce(addr, token string) ([]byte, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(introspectRequest(addr, benchClientID, benchClientSecret, token)); err != nil {
		return nil, err
	}
	status, body, _, err := readResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, fmt.Errorf("introspect %s at %s: %w", token, addr, err)
	}
	if status != 200 {
		return nil, fmt.Errorf("introspect %s at %s: status %d: %s", token, addr, status, body)
	}
	return body, nil
}
