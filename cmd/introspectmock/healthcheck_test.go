package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	in := start(t, []string{"--addr", "127.0.0.1:0"}, nil)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(in.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"status":"starting"}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(unavailable.Close)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
	}{
		{name: "addr flag", args: []string{"--addr", "127.0.0.1:" + port}},
		{name: "addr from env", env: map[string]string{"INTROSPECTMOCK_ADDR": "127.0.0.1:" + port}},
		{name: "wildcard addr calls loopback", env: map[string]string{"INTROSPECTMOCK_ADDR": "0.0.0.0:" + port}},
		{name: "url flag", args: []string{"--url", in.url + "/healthz"}},
		{name: "flag wins over env", args: []string{"--addr", "127.0.0.1:" + port}, env: map[string]string{"INTROSPECTMOCK_ADDR": closedAddr}},
		{name: "nothing listening", args: []string{"--addr", closedAddr}, wantCode: 1},
		{name: "status 503", args: []string{"--url", unavailable.URL + "/healthz"}, wantCode: 1},
		{name: "unknown path", args: []string{"--url", in.url + "/nope"}, wantCode: 1},
		{name: "bad url", args: []string{"--url", "nope"}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), append([]string{"healthcheck"}, tt.args...), envMap(tt.env), &stdout, &stderr)
			if got := exitCode(err, &stderr); got != tt.wantCode {
				t.Errorf("healthcheck %q exit code = %d (err %v); want %d", tt.args, got, err, tt.wantCode)
			}
		})
	}
}

func TestHealthURL(t *testing.T) {
	tests := []struct {
		addr string
		tls  bool
		want string
	}{
		{addr: "127.0.0.1:8080", want: "http://127.0.0.1:8080/healthz"},
		{addr: "0.0.0.0:8080", want: "http://127.0.0.1:8080/healthz"},
		{addr: ":8080", tls: true, want: "https://127.0.0.1:8080/healthz"},
		{addr: "[::]:8080", want: "http://[::1]:8080/healthz"},
		{addr: "example.test:9000", want: "http://example.test:9000/healthz"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got, err := healthURL(tt.addr, tt.tls)
			if err != nil || got != tt.want {
				t.Errorf("healthURL(%q, %v) = %q, %v; want %q", tt.addr, tt.tls, got, err, tt.want)
			}
		})
	}
}
