package testkit_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/testkit"
)

// docs/conformance.md ER-4: the in-process server answers "OPTIONS *" with JSON too, not
// net/http's built-in empty 200 without a Content-Type.
func TestOptionsAsteriskIsJSON(t *testing.T) {
	t.Parallel()
	as := testkit.Start(t)
	c, err := net.Dial("tcp", strings.TrimPrefix(as.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); ct != "application/json" || !strings.Contains(string(body), `"error":`) {
		t.Errorf("ER-4/OPTIONS *: %d %q %q; want OAuth error JSON", res.StatusCode, ct, body)
	}
}
