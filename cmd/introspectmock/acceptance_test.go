package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// docs/conformance.md ER-4: "OPTIONS *" gets OAuth error JSON from the handler, not
// net/http's built-in empty 200 without a Content-Type.
func TestOptionsAsteriskIsJSON(t *testing.T) {
	in := start(t, limitsArgs(), nil)
	c := dialServer(t, in)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Error string `json:"error"`
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" || json.Unmarshal(body, &e) != nil || e.Error == "" {
		t.Errorf("ER-4/OPTIONS *: %d %q %q; want OAuth error JSON", res.StatusCode, ct, body)
	}
}
