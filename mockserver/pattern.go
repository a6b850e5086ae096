package mockserver

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
)

// Token patterns (fixtures' token_patterns) answer for every token they
// match that the store does not hold, without storing it: a load test may
// introspect millions of distinct tokens in constant memory. A pattern's
// answer is rendered once at load with a marker for each placeholder and
// cut into pieces; an introspection matches the expression and joins the
// pieces with what the groups matched. A token a caller revokes, or one
// the admin API revokes, expires or scripts, is then stored like an added
// token, so that it alone changes; the store's limits (WithMaxTokens,
// WithMaxTotalTokens) bound how many, and past them the change is refused
// with an error that says so.

// pattern is a fixture token pattern ready to answer.
type pattern struct {
	src *fixtures.TokenPattern
	re  *regexp.Regexp
	// prefix is a literal every match starts with, when the expression is
	// anchored at the start; "" otherwise.
	prefix string
	// fast matches the expression when it has the usual shape
	// (patternmatch.go); nil leaves it to re.
	fast *fastMatcher
	// tmpl holds what every matching token shares: resolved times,
	// revoked, script and visibility. Its body is unused.
	tmpl     *entry
	loadedAt time.Time
	issuer   string // the state's configured issuer, "" when derived
	// full or head and tail are the pieces of the answer; nil pieces (and
	// slowOnly) send every token through Fill and renderActive.
	full, head, tail []piece
	slowOnly         bool
}

// piece is part of a pattern's answer: literal bytes, then the JSON
// string content of a group (-1 for none).
type piece struct {
	lit   []byte
	group int
}

// Markers stand for placeholders while a pattern's answer is rendered:
// private-use characters, which JSON strings and scopes keep as they are.
const (
	markOpen  = "\ue000"
	markClose = "\ue001"
)

// newPattern prepares tp to answer, resolving its times against now.
func newPattern(tp *fixtures.TokenPattern, now time.Time, issuer string) (*pattern, error) {
	if err := tp.Validate(); err != nil {
		return nil, err
	}
	re, _ := tp.Regexp() // validated
	p := &pattern{src: tp, re: re, loadedAt: now, issuer: issuer}
	if prefix, _ := re.LiteralPrefix(); prefix != "" && strings.HasPrefix(tp.Match, "^") {
		p.prefix = prefix
	}
	p.fast = newFastMatcher(tp.Match)
	t := tp.Fill("", func(name string) string {
		return markOpen + strconv.Itoa(fixtures.GroupIndex(re, name)) + markClose
	})
	e, err := newEntry(&t, StepsFromFixtures(t.Script), now, issuer)
	if err != nil {
		return nil, err
	}
	p.tmpl = e
	// A template that writes a marker character itself cannot be cut.
	plain := tp.Fill("", func(string) string { return "" })
	probe, err := renderActive(&plain, e.iat, e.nbf, e.exp, issuer)
	if err != nil || containsMark(probe.full) || containsMark(probe.head) || containsMark(probe.tail) {
		p.slowOnly = true
		return p, nil
	}
	if e.body.full != nil {
		p.full = cut(e.body.full)
	} else {
		p.head, p.tail = cut(e.body.head), cut(e.body.tail)
	}
	return p, nil
}

func containsMark(b []byte) bool {
	return strings.Contains(string(b), markOpen) || strings.Contains(string(b), markClose)
}

// cut splits a rendered answer at its markers.
func cut(b []byte) []piece {
	var out []piece
	s := string(b)
	for {
		i := strings.Index(s, markOpen)
		if i < 0 {
			return append(out, piece{lit: []byte(s), group: -1})
		}
		j := strings.Index(s[i:], markClose)
		g, _ := strconv.Atoi(s[i+len(markOpen) : i+j])
		out = append(out, piece{lit: []byte(s[:i]), group: g})
		s = s[i+j+len(markClose):]
	}
}

// match returns the submatch indexes of tok, or nil.
func (p *pattern) match(tok string) []int {
	if !strings.HasPrefix(tok, p.prefix) {
		return nil
	}
	if p.fast != nil {
		return p.fast.match(tok)
	}
	return p.re.FindStringSubmatchIndex(tok)
}

// group returns what group g matched in tok ("" when it did not take part).
func group(tok string, m []int, g int) string {
	if g < 0 || 2*g+1 >= len(m) || m[2*g] < 0 {
		return ""
	}
	return tok[m[2*g]:m[2*g+1]]
}

// fill returns the token tok, which p matched with m, and whether it is
// one a fixture could hold: its scope made of valid scope tokens.
func (p *pattern) fill(tok string, m []int) (fixtures.Token, bool) {
	t := p.src.Fill(tok, func(name string) string { return group(tok, m, fixtures.GroupIndex(p.re, name)) })
	for _, s := range strings.Fields(t.Scope) {
		if fixtures.CheckScopeToken(s) != nil {
			return t, false
		}
	}
	return t, true
}

// body renders the active answer of tok, which p matched with m; ok is
// false when the groups would make a scope no fixture could hold.
func (p *pattern) body(tok string, m []int) (body activeBody, ok bool) {
	if !p.slowOnly && p.plain(tok, m) {
		if p.full != nil {
			body.full = join(nil, tok, m, p.full)
			body.fullLen = []string{strconv.Itoa(len(body.full))}
		} else {
			b := make([]byte, 0, p.size(tok, m))
			b = join(b, tok, m, p.head)
			body.head = b[:len(b):len(b)]
			body.tail = join(b[len(b):], tok, m, p.tail)
		}
		return body, true
	}
	t, ok := p.fill(tok, m)
	if !ok {
		return activeBody{}, false
	}
	body, err := renderActive(&t, p.tmpl.iat, p.tmpl.nbf, p.tmpl.exp, p.issuer)
	return body, err == nil
}

// plain reports whether every group the answer holds matched printable
// ASCII that JSON writes as it is and a scope may hold (RFC 6749 §3.3),
// and is not empty: then joining pieces renders what Fill and
// renderActive would.
func (p *pattern) plain(tok string, m []int) bool {
	for _, ps := range [][]piece{p.full, p.head, p.tail} {
		for _, pc := range ps {
			if pc.group < 0 {
				continue
			}
			v := group(tok, m, pc.group)
			if v == "" {
				return false
			}
			for i := 0; i < len(v); i++ {
				if c := v[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
					return false
				}
			}
		}
	}
	return true
}

// size returns the length of the answer of tok.
func (p *pattern) size(tok string, m []int) int {
	return piecesLen(tok, m, p.full) + piecesLen(tok, m, p.head) + piecesLen(tok, m, p.tail)
}

// piecesLen returns the length of ps joined with the groups of tok.
func piecesLen(tok string, m []int, ps []piece) int {
	n := 0
	for _, pc := range ps {
		n += len(pc.lit) + len(group(tok, m, pc.group))
	}
	return n
}

// join appends pieces with the groups of tok to b; a nil b is allocated
// to fit.
func join(b []byte, tok string, m []int, ps []piece) []byte {
	if b == nil {
		b = make([]byte, 0, piecesLen(tok, m, ps))
	}
	for _, pc := range ps {
		b = append(b, pc.lit...)
		b = append(b, group(tok, m, pc.group)...)
	}
	return b
}

// newPatterns prepares the patterns of a fixture set.
func newPatterns(set *fixtures.Set, now time.Time, issuer string) ([]*pattern, error) {
	var out []*pattern
	for i := range set.Patterns {
		tp := &set.Patterns[i]
		p, err := newPattern(tp, now, issuer)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", place(tp.Pos, "token_patterns", i), err)
		}
		out = append(out, p)
	}
	return out, nil
}

// matchPattern returns the first pattern of st that matches tok, with its
// submatch indexes.
func (st *state) matchPattern(tok string) (*pattern, []int) {
	for _, p := range st.patterns {
		if m := p.match(tok); m != nil {
			return p, m
		}
	}
	return nil, nil
}

// introspect answers tok, which p matched with m, for caller cl at now:
// its state, its script's override and fault, and the answer when active.
func (p *pattern) introspect(tok string, m []int, cl *client, now time.Time) (active bool, body activeBody, fault *Fault, desc, why string) {
	state := p.tmpl.stateAt(now)
	scripted := false
	if p.tmpl.script != nil {
		var override string
		override, fault, desc = p.tmpl.script.eval(0, now) // after steps only: no call count
		if override != "" {
			state, scripted = override, true
		}
	}
	visible := p.tmpl.visibleTo(cl)
	if state != StateActive || !visible {
		return false, activeBody{}, fault, desc, whyInactive(p.tmpl, state, scripted, visible)
	}
	body, ok := p.body(tok, m)
	if !ok {
		return false, activeBody{}, fault, desc, "no scope token may hold what the pattern's groups matched"
	}
	return true, body, fault, desc, ""
}

// patternEntryLocked returns an entry for tok made from the first
// pattern of the namespace that matches it, not yet stored; nil when none
// does. ns.mu must be held.
func (ns *Namespace) patternEntryLocked(tok string) *entry {
	st := ns.state()
	p, m := st.matchPattern(tok)
	if p == nil {
		return nil
	}
	t, ok := p.fill(tok, m)
	if !ok {
		return nil
	}
	// The pattern's times, resolved at load, stay those of the token.
	for _, tm := range []struct {
		set *fixtures.Time
		at  time.Time
	}{{&t.Iat, p.tmpl.iat}, {&t.Nbf, p.tmpl.nbf}, {&t.Exp, p.tmpl.exp}} {
		if tm.set.IsSet() {
			*tm.set = fixtures.Absolute(tm.at)
		}
	}
	e, err := newEntry(&t, StepsFromFixtures(t.Script), p.loadedAt, st.issuer)
	if err != nil {
		return nil // rendered as the template did: cannot happen
	}
	return e
}

// rememberLocked stores e, a pattern's token, so that a change to it
// lasts. Past the store's limits it stores nothing and says so. ns.mu
// must be held for writing.
func (ns *Namespace) rememberLocked(tok string, e *entry) error {
	if len(ns.tokens) >= ns.sh.maxTokens {
		return fmt.Errorf("cannot remember pattern token %s: %w", Redact(tok), ns.tokenLimitError())
	}
	if !ns.holdLocked(1) {
		return fmt.Errorf("cannot remember pattern token %s: %w", Redact(tok), ns.sh.totalLimitError())
	}
	ns.tokens[tok] = e
	return nil
}

// storedOrPatternLocked returns the token the store holds, else the one a
// pattern makes of tok, stored so that a change to it lasts; nil, nil
// when neither holds it. ns.mu must be held for writing.
func (ns *Namespace) storedOrPatternLocked(tok string) (*entry, error) {
	if e := ns.tokens[tok]; e != nil {
		return e, nil
	}
	e := ns.patternEntryLocked(tok)
	if e == nil {
		return nil, nil
	}
	if err := ns.rememberLocked(tok, e); err != nil {
		return nil, err
	}
	return e, nil
}

// refusePatternRevocation is the revocation endpoint's answer when a
// pattern's token cannot be remembered as revoked (RFC 7009 §2.2.1 allows
// 503 with Retry-After).
func refusePatternRevocation(err error) *oauthError {
	return &oauthError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable",
		desc: err.Error(), retryAfter: "1"}
}
