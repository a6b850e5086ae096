package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// adminDoc is the page whose curl lines TestAdminDocCurlLines runs.
const adminDoc = "../../docs/admin-api.md"

// docCurl is one curl line of the admin doc and the answer shown below it.
type docCurl struct {
	line   int
	cmd    string
	status string // the status shown before the answer ("503 {…}"); "" for any 2xx
	answer string // "" when none is shown
}

// answerComment matches a comment that shows an answer: an optional status,
// then a JSON object or array.
var answerComment = regexp.MustCompile(`^# (?:([1-5][0-9][0-9]) )?([{\[].*)$`)

// adminDocCurls returns the curl lines of the admin doc's first sh block,
// in order, each with the answer comment that follows it ("# {…}").
func adminDocCurls(t *testing.T) []docCurl {
	t.Helper()
	b, err := os.ReadFile(adminDoc)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var out []docCurl
	in := false
	for i, l := range lines {
		switch {
		case !in && l == "```sh":
			in = true
		case in && l == "```":
			return out
		case in && strings.HasPrefix(l, "curl "):
			out = append(out, docCurl{line: i + 1, cmd: l})
		case in && len(out) > 0 && out[len(out)-1].line == i && answerComment.MatchString(l):
			m := answerComment.FindStringSubmatch(l)
			out[len(out)-1].status, out[len(out)-1].answer = m[1], m[2]
		}
	}
	t.Fatalf("%s: no sh block", adminDoc)
	return nil
}

// answerPattern turns a documented answer into a regexp: the text as
// shown, "…" standing for any text.
func answerPattern(answer string) *regexp.Regexp {
	parts := strings.Split(answer, "…")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
}

// TestAdminDocCurlLines runs the curl lines of docs/admin-api.md, in order
// and unchanged but for the port, against the binary serving the demo
// fixtures: each must succeed (2xx) and answer what the page shows below
// it. It runs them again with an admin token, adding the header as the
// page says to.
func TestAdminDocCurlLines(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("curl is not installed; .ci/run installs it")
		}
		t.Skip("curl is not installed: the admin doc's curl lines are not run")
	}
	curls := adminDocCurls(t)
	if len(curls) < 25 {
		t.Fatalf("%s: only %d curl lines found", adminDoc, len(curls))
	}
	const tok = "doc-admin-token"
	for _, mode := range []struct {
		name   string
		args   []string
		header string
	}{
		{"open", nil, ""},
		{"with an admin token", []string{"--admin-token", tok}, "-H 'Authorization: Bearer " + tok + "' "},
	} {
		p := startBinary(t, mode.args)
		answered := 0
		for _, c := range curls {
			if !strings.Contains(c.cmd, "http://127.0.0.1:8080/") {
				t.Fatalf("%s:%d: the curl line does not call http://127.0.0.1:8080/: %s", adminDoc, c.line, c.cmd)
			}
			cmd := strings.ReplaceAll(c.cmd, "http://127.0.0.1:8080", p.url)
			if mode.header != "" && strings.Contains(c.cmd, "/admin/") {
				cmd = "curl " + mode.header + strings.TrimPrefix(cmd, "curl ")
			}
			out, err := exec.Command("sh", "-c", cmd+" -w '\n%{http_code}'").Output()
			if err != nil {
				t.Fatalf("%s: %s:%d: %v", mode.name, adminDoc, c.line, err)
			}
			body, status := string(out), ""
			if i := strings.LastIndex(body, "\n"); i >= 0 {
				body, status = body[:i], body[i+1:]
			}
			if c.status != status && (c.status != "" || !strings.HasPrefix(status, "2")) {
				t.Errorf("%s: %s:%d: %s\nanswered %s %s; want %s (2xx when none is shown)", mode.name, adminDoc, c.line, c.cmd, status, body, c.status)
				continue
			}
			if c.answer != "" {
				answered++
				want := strings.ReplaceAll(c.answer, "127.0.0.1:8080", strings.TrimPrefix(p.url, "http://"))
				if !answerPattern(want).MatchString(body) {
					t.Errorf("%s: %s:%d: %s\nanswered %s\nthe page shows %s", mode.name, adminDoc, c.line, c.cmd, body, c.answer)
				}
			}
		}
		if answered < 10 {
			t.Errorf("%s: only %d answers shown on the page were checked", mode.name, answered)
		}
	}
}
