package mockserver

import (
	"bytes"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
)

// patternDoc has patterns whose answers put groups in every member that
// takes them.
const patternDoc = `token_patterns:
  - match: '^(?P<a>[^-]*)-(?P<b>.*)$'
    scope: 'read {a}:{b}'
    client_id: 'c-{a}'
    username: '{b}'
    sub: '{a}{b}'
    aud: ['x', '{b}']
    iss: 'https://{a}.example'
    token_type: 'T{a}'
    jti: '{{{b}}}'
    claims: {k: '{a}', n: {l: ['{b}', 1, '{{a}}']}}
    exp: +1h
  - match: '^(.*)$'
    sub: '{1}'
`

// joinedBody renders tok's answer as pattern.body would, and through Fill
// and renderActive: the two must agree byte for byte.
func checkPatternBody(t *testing.T, p *pattern, tok string) {
	t.Helper()
	m := p.match(tok)
	if m == nil {
		return
	}
	got, ok := p.body(tok, m)
	ft, fok := p.fill(tok, m)
	if ok != fok {
		t.Fatalf("%q: body ok %v, fill ok %v", tok, ok, fok)
	}
	if !ok {
		return
	}
	want, err := renderActive(&ft, p.tmpl.iat, p.tmpl.nbf, p.tmpl.exp, p.issuer)
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2][]byte{{got.full, want.full}, {got.head, want.head}, {got.tail, want.tail}} {
		if !bytes.Equal(pair[0], pair[1]) {
			t.Fatalf("%q: joined pieces\n%s\nwant\n%s", tok, pair[0], pair[1])
		}
	}
	if len(got.fullLen) != len(want.fullLen) || len(got.fullLen) == 1 && got.fullLen[0] != want.fullLen[0] {
		t.Fatalf("%q: Content-Length %v; want %v", tok, got.fullLen, want.fullLen)
	}
}

func testPatterns(t testing.TB, issuer string) []*pattern {
	set, err := fixtures.Parse(time.Unix(1e9, 0), "p.yaml", []byte(patternDoc))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := newPatterns(set, time.Unix(1e9, 0), issuer)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

var patternTokens = []string{"a-b", "load-42", "x-", "-y", "é-ü", `q"-\`, "a b-c d", "tab\t-x", "<-&>", "a-b-c", "\xff-\xfe", "u\u2028-v"}

// TestPatternPieces: joining the pieces of a pattern's answer gives what
// filling the pattern and rendering gives, with a configured issuer (one
// piece list) and a derived one (head and tail).
func TestPatternPieces(t *testing.T) {
	for _, issuer := range []string{"", "https://as.example"} {
		ps := testPatterns(t, issuer)
		if ps[0].slowOnly {
			t.Fatal("the first pattern takes the slow path only")
		}
		if p := ps[1]; issuer == "" && (p.head == nil || p.tail == nil) || issuer != "" && p.full == nil {
			t.Fatalf("issuer %q: pieces full %d, head %d, tail %d", issuer, len(p.full), len(p.head), len(p.tail))
		}
		if !ps[0].plain("load-42", ps[0].match("load-42")) {
			t.Error("load-42 does not take the fast path")
		}
		for _, tok := range patternTokens {
			for _, p := range ps {
				checkPatternBody(t, p, tok)
			}
		}
	}
}

func FuzzPatternPieces(f *testing.F) {
	for _, tok := range patternTokens {
		f.Add(tok)
	}
	ps := testPatterns(f, "")
	psFull := testPatterns(f, "https://as.example")
	f.Fuzz(func(t *testing.T, tok string) {
		for _, p := range append(ps, psFull...) {
			checkPatternBody(t, p, tok)
		}
	})
}

// fastExprs are expressions of the shape fastMatcher takes.
var fastExprs = []string{
	`^load-(?P<n>[0-9]{1,9})$`,
	`^load-(?P<n>[0-9]{9})$`,
	`^t-([a-z]+)-(?P<env>[0-9]*)x$`,
	`^([A-Za-z0-9_]{2,})$`,
	`^a[0-9]?b(c*)$`,
	`^svc-(?P<name>[a-z]+)$`,
	`^x([0-9]{3,5})\.y$`,
	`^(a|b)-([0-9]+)$`, // a|b is the class [ab]
}

// TestFastMatcherShapes: which expressions get a fast matcher; the others
// are left to regexp.
func TestFastMatcherShapes(t *testing.T) {
	for _, e := range fastExprs {
		if newFastMatcher(e) == nil {
			t.Errorf("%s: no fast matcher", e)
		}
	}
	for _, e := range []string{
		`load-([0-9]+)$`,       // not anchored at the start
		`^load-([0-9]+)`,       // nor at the end
		`^a([a-z]+)b$`,         // b could end the run: regexp backtracks
		`^([0-9]+)([a-z]+)$`,   // two runs in a row
		`^(?i)load-([0-9]+)$`,  // case folding
		`^load-(.+)$`,          // any character
		`^load-([0-9]+?)$`,     // non-greedy
		`^(load)-([0-9]+)$`,    // a group of a literal
		`^é-([0-9]+)$`,         // not ASCII
		`^load-([^-]+)$`,       // a class beyond ASCII
		`^(ab|c)-([0-9]+)$`,    // alternation
		`^load-(?:[0-9]{2})+$`, // a repeated group
	} {
		if newFastMatcher(e) != nil {
			t.Errorf("%s: a fast matcher", e)
		}
	}
}

func FuzzFastMatch(f *testing.F) {
	for _, tok := range []string{"load-1", "load-123456789", "load-1234567890", "load-", "t-ab-12x", "t--x", "ab", "a", "ab_9Z",
		"ab", "a5bccc", "abc", "a55b", "svc-orders", "x123.y", "x12.y", "x123456.y", "x123-y"} {
		f.Add(tok)
	}
	type pair struct {
		re   *regexp.Regexp
		fast *fastMatcher
	}
	var ps []pair
	for _, e := range fastExprs {
		ps = append(ps, pair{regexp.MustCompile(e), newFastMatcher(e)})
	}
	f.Fuzz(func(t *testing.T, tok string) {
		for _, p := range ps {
			if got, want := p.fast.match(tok), p.re.FindStringSubmatchIndex(tok); !slices.Equal(got, want) {
				t.Fatalf("%s on %q: %v; regexp says %v", p.re, tok, got, want)
			}
		}
	})
}
