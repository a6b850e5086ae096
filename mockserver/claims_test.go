package mockserver_test

import (
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// TestNullClaimsOmitted checks that a claim whose value is null is left
// out of the answer, never "n":null, whichever way the token came in;
// nulls nested in a claim's value are JSON values and stay (docs/conformance.md IR-6).
func TestNullClaimsOmitted(t *testing.T) {
	t.Parallel()
	set := testSet()
	set.Tokens = append(set.Tokens, fixtures.Token{Token: "set-nulls", Exp: fixtures.Relative(time.Hour),
		Claims: map[string]any{"n": nil, "keep": []any{nil, 1}}})
	fromFile, err := fixtures.Parse(t0, "nulls.yaml", []byte("tokens:\n  - token: file-nulls\n    claims: {n: null, e: ~, keep: {x: null}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	set.Tokens = append(set.Tokens, fromFile.Tokens...)
	s, ns := nsServer(t, mockserver.WithFixtures(set))

	var nilSlice []string
	var nilMap map[string]any
	if _, err := ns.AddToken(mockserver.Token{Token: "go-nulls", ExpiresIn: time.Hour,
		Claims: map[string]any{"n": nil, "s": nilSlice, "m": nilMap, "keep": map[string]any{"x": nil}}}); err != nil {
		t.Fatal(err)
	}
	if got := s.do(req{path: "/admin/tokens", header: hdr("Content-Type", "application/json"),
		body: `{"token":"admin-nulls","claims":{"n":null,"keep":[null]}}`}); got.status != 201 {
		t.Fatalf("admin add: %d %s", got.status, got.body)
	}

	for _, tt := range []struct{ tok, keep string }{
		{"set-nulls", `"keep":[null,1]`},
		{"file-nulls", `"keep":{"x":null}`},
		{"go-nulls", `"keep":{"x":null}`},
		{"admin-nulls", `"keep":[null]`},
	} {
		got := s.ask("", tt.tok).body
		if !strings.HasPrefix(got, `{"active":true`) || !strings.HasSuffix(got, ","+tt.keep+"}") {
			t.Errorf("IR-6/%s: %s; want it to end with the nested nulls kept: %s", tt.tok, got, tt.keep)
		}
		for _, name := range []string{`"n":`, `"e":`, `"s":`, `"m":`} {
			if strings.Contains(got, name) {
				t.Errorf("IR-6/%s: %s holds the null claim %s", tt.tok, got, name)
			}
		}
	}
	for _, tok := range []string{"go-nulls", "admin-nulls", "file-nulls"} {
		ti, _ := ns.Lookup(tok)
		if _, ok := ti.Claims["n"]; ok || len(ti.Claims) != 1 {
			t.Errorf("IR-6/%s: stored claims %v; want only keep", tok, ti.Claims)
		}
	}
}
