// Package docs_test keeps README.md and the pages of docs/ true: their
// fixture examples load, their Go examples compile (and README's test
// passes), their relative links lead somewhere, and README stays a short
// front door that opens with the two commands CI runs.
package docs_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
)

// maxREADME is the size README.md must stay under: a front door, not the
// reference manual (that is docs/ and go doc).
const maxREADME = 15 * 1024

// block is one fenced code block of a Markdown page.
type block struct {
	page string // path relative to the repository root
	line int    // line of the opening fence
	lang string
	code string
}

func (b block) String() string { return fmt.Sprintf("%s:%d", b.page, b.line) }

// pages returns README.md and every docs/*.md, relative to the repository
// root.
func pages(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(root(t), "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"README.md"}
	for _, d := range docs {
		out = append(out, filepath.Join("docs", filepath.Base(d)))
	}
	if len(out) < 5 {
		t.Fatalf("found only %v: is the test run from docs/?", out)
	}
	return out
}

// root returns the repository root (the test runs in docs/).
func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func read(t *testing.T, page string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(t), page))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// blocks returns the fenced code blocks of page.
func blocks(t *testing.T, page string) []block {
	t.Helper()
	var out []block
	var cur *block
	var code strings.Builder
	for i, line := range strings.Split(read(t, page), "\n") {
		if cur == nil {
			if lang, ok := strings.CutPrefix(line, "```"); ok {
				cur = &block{page: page, line: i + 1, lang: strings.TrimSpace(lang)}
				code.Reset()
			}
			continue
		}
		if strings.TrimSpace(line) == "```" {
			cur.code = code.String()
			out = append(out, *cur)
			cur = nil
			continue
		}
		code.WriteString(line + "\n")
	}
	if cur != nil {
		t.Fatalf("%s: code block never closed", cur)
	}
	return out
}

// TestREADMEFrontDoor checks that README.md stays short and opens with the
// two commands, the test command being the one .ci/run runs.
func TestREADMEFrontDoor(t *testing.T) {
	readme := read(t, "README.md")
	if len(readme) > maxREADME {
		t.Errorf("README.md is %d bytes; keep it at most %d: move reference text into docs/ or go doc", len(readme), maxREADME)
	}
	bs := blocks(t, "README.md")
	want := "go run ./cmd/introspectmock\ngo test -race ./...\n"
	if len(bs) == 0 || bs[0].code != want {
		t.Fatalf("README.md's first code block must be exactly\n%s", want)
	}
	if before, _, _ := strings.Cut(readme, "```"); strings.Count(before, "\n") > 2 {
		t.Errorf("README.md must open with the two commands, not %q", before)
	}
	ci := read(t, ".ci/run")
	if !regexp.MustCompile(`(?m)^go test -race \./\.\.\.$`).MatchString(ci) {
		t.Errorf(".ci/run does not run README's test command %q", "go test -race ./...")
	}
}

// TestDocLinks follows every relative link of README.md and docs/*.md: the
// file must exist, and an anchor must name a heading of it.
func TestDocLinks(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	checked, anchored := 0, 0
	for _, page := range pages(t) {
		text := stripCode(read(t, page))
		for _, m := range link.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			dest := page
			if file != "" {
				dest = filepath.Join(filepath.Dir(page), file)
			}
			if _, err := os.Stat(filepath.Join(root(t), dest)); err != nil {
				t.Errorf("%s: link %q: %v", page, target, err)
				continue
			}
			checked++
			if anchor != "" && strings.HasSuffix(dest, ".md") {
				anchored++
				if !slices.Contains(anchors(read(t, dest)), anchor) {
					t.Errorf("%s: link %q: %s has no heading %q (it has %v)", page, target, dest, anchor, anchors(read(t, dest)))
				}
			}
		}
	}
	// The pages link to each other dozens of times, several to a heading:
	// finding far fewer means the pattern or stripCode broke, and the
	// loop above checked nothing.
	if checked < 20 || anchored < 5 {
		t.Errorf("checked %d relative links, %d with an anchor; want at least 20 and 5", checked, anchored)
	}
}

// stripCode drops fenced code blocks, whose text is not Markdown.
func stripCode(s string) string {
	var out strings.Builder
	in := false
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "```") {
			in = !in
			continue
		}
		if !in {
			out.WriteString(line + "\n")
		}
	}
	return out.String()
}

// anchors returns the GitHub anchors of a page's headings.
func anchors(page string) []string {
	var out []string
	drop := regexp.MustCompile("[^a-z0-9 _-]")
	for _, line := range strings.Split(stripCode(page), "\n") {
		h := strings.TrimLeft(line, "#")
		if h == line || !strings.HasPrefix(h, " ") {
			continue
		}
		h = drop.ReplaceAllString(strings.ToLower(strings.TrimSpace(h)), "")
		out = append(out, strings.ReplaceAll(h, " ", "-"))
	}
	return out
}

// TestDocFixtures loads every yaml block of README.md and docs/*.md as a
// fixture file, the way the server would.
func TestDocFixtures(t *testing.T) {
	n := 0
	for _, page := range pages(t) {
		for _, b := range blocks(t, page) {
			if b.lang != "yaml" {
				continue
			}
			n++
			dir := t.TempDir()
			if strings.Contains(b.code, "jwks_file:") {
				writeKeys(t, dir, b)
			}
			path := filepath.Join(dir, "fixture.yaml")
			if err := os.WriteFile(path, []byte(b.code), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := fixtures.Load(time.Now(), path); err != nil {
				t.Errorf("%s: the fixture example does not load:\n%v\n%s", b, err, b.code)
			}
		}
	}
	if n < 3 {
		t.Errorf("found %d fixture examples; want the ones of docs/fixtures.md and docs/endpoints.md", n)
	}
}

// writeKeys writes an RSA public JWK Set at every jwks_file path of b, so
// an example that names a key file loads.
func writeKeys(t *testing.T, dir string, b block) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	set, err := json.Marshal(map[string]any{"keys": []any{map[string]string{
		"kty": "RSA", "kid": "k1",
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`jwks_file:\s*(\S+)`).FindAllStringSubmatch(b.code, -1) {
		p := filepath.Join(dir, filepath.FromSlash(m[1]))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, set, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// snippetImports are the packages a Go example may use by their name; the
// test adds the imports an example needs.
var snippetImports = map[string]string{
	"testkit":    "github.com/introspectmock/introspectmock/testkit",
	"container":  "github.com/introspectmock/introspectmock/testkit/container",
	"mockserver": "github.com/introspectmock/introspectmock/mockserver",
	"fixtures":   "github.com/introspectmock/introspectmock/fixtures",
	"http":       "net/http",
	"time":       "time",
	"testing":    "testing",
	"strings":    "strings",
	"os":         "os",
	"log":        "log",
	"slog":       "log/slog",
	"context":    "context",
	"errors":     "errors",
	"fmt":        "fmt",
	"oauth2":     "golang.org/x/oauth2",
}

// prelude stands in for the user's own code that the examples call:
// newOrdersAPI is a resource server that introspects each token with the
// credentials it is given, answering 200 for an active token and 401
// otherwise.
const prelude = `package snippet

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

type ordersAPI struct{ introspectionURL, id, secret string }

func newOrdersAPI(introspectionURL, id, secret string) *ordersAPI {
	return &ordersAPI{introspectionURL, id, secret}
}

func (a *ordersAPI) get(token string) int {
	req, err := http.NewRequest("POST", a.introspectionURL, strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(a.id), url.QueryEscape(a.secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return http.StatusServiceUnavailable
	}
	defer resp.Body.Close()
	var answer struct{ Active bool }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&answer) != nil {
		return http.StatusServiceUnavailable
	}
	if !answer.Active {
		return http.StatusUnauthorized
	}
	return http.StatusOK
}
`

// snippetFile turns a Go example into a test file of package snippet:
// declarations stay at the top level, statements go into a function
// given t, as (a *testkit.Server) and tok (a token string).
func snippetFile(b block) string {
	// A line directive makes compile errors name the page and its line.
	code := fmt.Sprintf("//line %s:%d\n%s", b.page, b.line+1, b.code)
	trimmed := strings.TrimSpace(b.code)
	topLevel := false
	for _, kw := range []string{"func ", "var ", "type ", "const "} {
		if strings.HasPrefix(trimmed, kw) {
			topLevel = true
		}
	}
	if !topLevel {
		code = "func _(t *testing.T, as *testkit.Server, tok string) {\n" + code + "\n\t_, _, _ = t, as, tok\n}\n"
	}
	var imports []string
	for name, path := range snippetImports {
		if regexp.MustCompile(`\b` + name + `\.`).MatchString(code) {
			imports = append(imports, fmt.Sprintf("\t%q", path))
		}
	}
	slices.Sort(imports)
	return fmt.Sprintf("package snippet\n\nimport (\n%s\n)\n\n%s", strings.Join(imports, "\n"), code)
}

// TestDocGo compiles every Go example of README.md and docs/*.md, each as
// a package of its own, and runs the tests of README's: what a user copies
// must build, and the front door's test must pass.
func TestDocGo(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to compile the examples: %v", err)
	}
	repo := root(t)
	tmp := t.TempDir()
	overlay := map[string]string{}
	var pkgs []string
	var run []string // binaries to run
	n := 0
	for _, page := range pages(t) {
		for _, b := range blocks(t, page) {
			if b.lang != "go" {
				continue
			}
			i := n
			n++
			dir := filepath.Join(repo, "docs", "snippets", fmt.Sprintf("s%d", i))
			for name, text := range map[string]string{"snippet_test.go": snippetFile(b), "prelude_test.go": prelude} {
				f := filepath.Join(tmp, fmt.Sprintf("s%d_%s", i, name))
				if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
				overlay[filepath.Join(dir, name)] = f
			}
			pkgs = append(pkgs, fmt.Sprintf("./docs/snippets/s%d", i))
			if page == "README.md" && strings.Contains(b.code, "func Test") {
				run = append(run, fmt.Sprintf("s%d", i))
			}
		}
	}
	if len(run) == 0 {
		t.Fatal("README.md has no Go test to run")
	}
	ov, err := json.Marshal(map[string]any{"Replace": overlay})
	if err != nil {
		t.Fatal(err)
	}
	ovFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovFile, ov, 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, "bin")
	// Vet would chdir into the package directories, which exist only in
	// the overlay; the compiler still type-checks everything.
	cmd := exec.Command(goCmd, append([]string{"test", "-vet=off", "-overlay", ovFile, "-c", "-o", bin + "/"}, pkgs...)...)
	cmd.Dir = repo
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("a Go example does not compile: %v\n%s", err, out.String())
	}
	for _, s := range run {
		exe := filepath.Join(bin, s+".test")
		cmd := exec.Command(exe, "-test.v", "-test.count=1")
		cmd.Dir = tmp
		got, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(got, []byte("--- PASS")) {
			t.Errorf("README's test (%s) does not pass: %v\n%s", s, err, got)
		}
	}
}

// TestCitationsResolve: code, docs and test data cite behaviours as
// "docs/conformance.md IR-7" (or a Markdown link to it), never by an ID of
// a checklist outside the repository (SPEC and an ID), and every cited ID is
// a row of docs/conformance.md.
func TestCitationsResolve(t *testing.T) {
	rows := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\| ([A-Z][A-Z]-\d+) \|`).FindAllStringSubmatch(read(t, "docs/conformance.md"), -1) {
		rows[m[1]] = true
	}
	if len(rows) < 50 {
		t.Fatalf("docs/conformance.md has %d rows; want its table of behaviours", len(rows))
	}
	outside := regexp.MustCompile(`SPEC [A-Z][A-Z]-[0-9]`)
	cited := regexp.MustCompile(`conformance(?:\.md)?\]?\(?[^\s)]*\)?[\s/#]*((?:[A-Z][A-Z]-\d+(?:, | and |/)?)+)`)
	id := regexp.MustCompile(`[A-Z][A-Z]-\d+`)
	n := 0
	err := filepath.WalkDir(root(t), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == ".git" || name == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".md", ".sh", ".py", ".rb", ".yaml", ".yml", ".lua", ".golden":
		default:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root(t), path)
		text := string(b)
		for _, loc := range outside.FindAllStringIndex(text, -1) {
			t.Errorf("%s:%d: cites %q, a checklist outside the repository: cite docs/conformance.md (or the RFC section)",
				rel, strings.Count(text[:loc[0]], "\n")+1, text[loc[0]:loc[1]])
		}
		for _, m := range cited.FindAllStringSubmatch(text, -1) {
			for _, x := range id.FindAllString(m[1], -1) {
				n++
				if !rows[x] {
					t.Errorf("%s: cites %s of docs/conformance.md, which has no such row", rel, x)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Errorf("found %d citations of docs/conformance.md; the pattern may be broken", n)
	}
}
