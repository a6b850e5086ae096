package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// limits are the HTTP server's timeouts and header limit, each settable by
// a flag. A zero field means its default (the constants in serve.go), so a
// serveConfig built without flags serves with the defaults.
type limits struct {
	readHeaderTimeout time.Duration // --read-header-timeout
	readTimeout       time.Duration // --read-timeout
	writeTimeout      time.Duration // --write-timeout
	idleTimeout       time.Duration // --idle-timeout
	shutdownTimeout   time.Duration // --shutdown-timeout
	maxHeaderBytes    int           // --max-header-bytes
}

// register adds the limit flags to fs. Their defaults are in the usage
// text because the fields stay zero until a flag is given.
func (l *limits) register(fs *flag.FlagSet) {
	durationFlag(fs, &l.readHeaderTimeout, "read-header-timeout", readHeaderTimeout,
		"cut off a client that has not sent its request headers within this `duration` (slow-loris)")
	durationFlag(fs, &l.readTimeout, "read-timeout", readTimeout,
		"cut off a client that has not sent its whole request, body included, within this `duration`")
	durationFlag(fs, &l.writeTimeout, "write-timeout", writeTimeout,
		"give up on an answer not written within this `duration` from the end of its request headers, scripted delays included")
	durationFlag(fs, &l.idleTimeout, "idle-timeout", idleTimeout,
		"close a kept-alive connection idle for this `duration`")
	durationFlag(fs, &l.shutdownTimeout, "shutdown-timeout", shutdownTimeout,
		"after SIGINT/SIGTERM, wait this `duration` for in-flight requests, then close what is left")
	fs.Func("max-header-bytes", fmt.Sprintf("largest request header block in `bytes`; larger ones get 431 (default %d)", maxHeaderBytes),
		func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil || n <= 0 {
				return fmt.Errorf("%q is not a positive number of bytes", s)
			}
			l.maxHeaderBytes = n
			return nil
		})
}

// durationFlag adds a flag that sets *dst to a positive duration.
func durationFlag(fs *flag.FlagSet, dst *time.Duration, name string, def time.Duration, usage string) {
	fs.Func(name, fmt.Sprintf("%s (default %s)", usage, def), func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return errors.New("want a positive Go duration such as 30s or 1m30s")
		}
		*dst = d
		return nil
	})
}

// or returns v, or def when v is zero.
func or[T time.Duration | int](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// apply sets srv's timeouts and header limit.
func (l limits) apply(srv *http.Server) {
	srv.ReadHeaderTimeout = or(l.readHeaderTimeout, readHeaderTimeout)
	srv.ReadTimeout = or(l.readTimeout, readTimeout)
	srv.WriteTimeout = or(l.writeTimeout, writeTimeout)
	srv.IdleTimeout = or(l.idleTimeout, idleTimeout)
	srv.MaxHeaderBytes = or(l.maxHeaderBytes, maxHeaderBytes)
}

// shutdown returns the graceful shutdown bound.
func (l limits) shutdown() time.Duration { return or(l.shutdownTimeout, shutdownTimeout) }
