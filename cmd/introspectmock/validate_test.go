package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// problemLine is the shape of each problem validate prints.
var problemLine = regexp.MustCompile(`^[^:\s]+:\d+:\d+: [A-Za-z_][\w.\[\]]*: \S.*$`)

func TestValidate(t *testing.T) {
	tests := []struct {
		name       string
		give       []string
		wantCode   int
		wantStdout string
		golden     string // testdata/<golden>: expected stderr
	}{
		{name: "one file", give: []string{"testdata/one.yaml"}, wantStdout: "1 token, 1 client in 1 file: ok\n"},
		{name: "demo fixtures", give: []string{"demo"}, wantStdout: "4 tokens, 4 clients, 1 user in 1 file: ok\n"},
		{name: "broken file", give: []string{"testdata/broken.yaml"}, wantCode: 1, golden: "broken.golden"},
		{name: "broken among good", give: []string{"testdata/one.yaml", "testdata/broken.yaml"}, wantCode: 1, golden: "broken.golden"},
		{name: "directory", give: []string{"testdata/dir"}, wantCode: 1, golden: "dir.golden"},
		{name: "missing file", give: []string{"testdata/no-such.yaml"}, wantCode: 1},
		{name: "token patterns", give: []string{"testdata/patterns.yaml"}, wantStdout: "1 token, 1 token pattern, 1 client in 1 file: ok\n"},
		{name: "broken token patterns", give: []string{"testdata/patterns-broken.yaml"}, wantCode: 1, golden: "patterns-broken.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"validate"}, tt.give...), envMap(nil), &stdout, &stderr)
			code := exitCode(err, &stderr)
			if code != tt.wantCode {
				t.Errorf("validate %q exit code = %d (err %v); want %d\nstderr:\n%s", tt.give, code, err, tt.wantCode, stderr.String())
			}
			if stdout.String() != tt.wantStdout {
				t.Errorf("validate %q stdout = %q; want %q", tt.give, stdout.String(), tt.wantStdout)
			}
			if tt.golden == "" {
				return
			}
			// Every problem on its own line, file:line:col: field.path: message.
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "introspectmock: validate: ") {
				t.Errorf("last stderr line = %q; want the problem count", last)
			}
			for _, l := range lines[:len(lines)-1] {
				if !problemLine.MatchString(l) {
					t.Errorf("problem line %q is not file:line:col: field.path: message", l)
				}
			}
			golden := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(golden, stderr.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got := stderr.String(); got != string(want) {
				t.Errorf("validate %q stderr differs from %s:\ngot:\n%s\nwant:\n%s", tt.give, golden, got, want)
			}
		})
	}
}

func Example_validate() {
	err := run(context.Background(), []string{"validate", "testdata/one.yaml", "testdata/two.yaml"}, environment(os.Environ()), os.Stdout, os.Stderr)
	if err != nil {
		panic(err)
	}
	// Output:
	// 2 tokens, 2 clients in 2 files: ok
}

// A server started with broken fixtures prints their problems as validate
// does, one a line, and fails without serving.
func TestServeBrokenFixtures(t *testing.T) {
	var validateOut, serveOut bytes.Buffer
	exitCode(run(context.Background(), []string{"validate", "testdata/broken.yaml"}, envMap(nil), &bytes.Buffer{}, &validateOut), &validateOut)
	err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--fixtures", "testdata/broken.yaml"}, envMap(nil), &bytes.Buffer{}, &serveOut)
	if code := exitCode(err, &serveOut); code != 1 {
		t.Fatalf("serve with broken fixtures: exit code %d (err %v); want 1", code, err)
	}
	problems := func(out string) []string {
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		return lines[:len(lines)-1]
	}
	want, got := problems(validateOut.String()), problems(serveOut.String())
	if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("serve printed:\n%s\nwant the problems validate prints:\n%s", serveOut.String(), validateOut.String())
	}
	if last := serveOut.String(); !strings.HasSuffix(last, "introspectmock: fixtures: 6 problems\n") {
		t.Errorf("serve output does not end with the problem count:\n%s", last)
	}
}
