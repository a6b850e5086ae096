package mockserver

import (
	"regexp/syntax"
	"strings"
)

// A token pattern's expression is usually a literal prefix, a group of a
// character class repeated, maybe a literal suffix, anchored at both ends:
// ^load-(?P<n>[0-9]{1,9})$. Such expressions are matched here, by one
// scan, a few times faster than regexp's one-pass matcher; the submatch
// indexes are regexp's (FuzzFastMatch compares them). Any other expression
// is left to regexp.

// fastMatcher matches one such expression.
type fastMatcher struct {
	parts  []fastPart
	groups int // the expression's group count
}

// fastPart is a literal, or a run of bytes of a class repeated min to max
// times (max -1 for no bound), which may be a group's.
type fastPart struct {
	lit      string
	class    *[256]bool
	min, max int
	group    int // the group the part is, 0 for none
}

// newFastMatcher returns a matcher for expr, or nil when expr is not of
// the shape it handles.
func newFastMatcher(expr string) *fastMatcher {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil || re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return nil
	}
	subs := re.Sub
	if subs[0].Op != syntax.OpBeginText || subs[len(subs)-1].Op != syntax.OpEndText {
		return nil
	}
	m := &fastMatcher{groups: re.MaxCap()}
	for _, s := range subs[1 : len(subs)-1] {
		group := 0
		if s.Op == syntax.OpCapture {
			group, s = s.Cap, s.Sub[0]
		}
		p, ok := newFastPart(s)
		if !ok || group > 0 && p.class == nil {
			return nil
		}
		p.group = group
		m.parts = append(m.parts, p)
	}
	// A run must be followed by the end or by a literal that cannot start
	// inside it: then taking the longest run is what regexp does.
	for i, p := range m.parts {
		if p.class == nil {
			continue
		}
		if i+1 < len(m.parts) && (m.parts[i+1].class != nil || p.class[m.parts[i+1].lit[0]]) {
			return nil
		}
	}
	return m
}

// newFastPart reads a literal (case-sensitive, ASCII) or a repeated ASCII
// class.
func newFastPart(s *syntax.Regexp) (fastPart, bool) {
	switch s.Op {
	case syntax.OpLiteral:
		if s.Flags&syntax.FoldCase != 0 {
			return fastPart{}, false
		}
		var b strings.Builder
		for _, r := range s.Rune {
			if r >= 0x80 {
				return fastPart{}, false
			}
			b.WriteRune(r)
		}
		return fastPart{lit: b.String()}, b.Len() > 0
	case syntax.OpCharClass:
		c, ok := asciiClass(s)
		return fastPart{class: c, min: 1, max: 1}, ok
	case syntax.OpRepeat, syntax.OpPlus, syntax.OpStar, syntax.OpQuest:
		if s.Flags&syntax.NonGreedy != 0 {
			return fastPart{}, false
		}
		c, ok := asciiClass(s.Sub[0])
		p := fastPart{class: c, min: s.Min, max: s.Max}
		switch s.Op {
		case syntax.OpPlus:
			p.min, p.max = 1, -1
		case syntax.OpStar:
			p.min, p.max = 0, -1
		case syntax.OpQuest:
			p.min, p.max = 0, 1
		}
		return p, ok
	}
	return fastPart{}, false
}

// asciiClass returns the bytes of a class of ASCII ranges, or of one
// case-sensitive ASCII character.
func asciiClass(s *syntax.Regexp) (*[256]bool, bool) {
	var c [256]bool
	runes := s.Rune
	switch {
	case s.Op == syntax.OpLiteral && len(runes) == 1 && s.Flags&syntax.FoldCase == 0:
		runes = []rune{runes[0], runes[0]}
	case s.Op != syntax.OpCharClass:
		return nil, false
	}
	for i := 0; i+1 < len(runes); i += 2 {
		lo, hi := runes[i], runes[i+1]
		if hi >= 0x80 {
			return nil, false
		}
		for r := lo; r <= hi; r++ {
			c[r] = true
		}
	}
	return &c, true
}

// match returns the submatch indexes of tok as regexp's
// FindStringSubmatchIndex would, or nil.
func (m *fastMatcher) match(tok string) []int {
	idx := make([]int, 2*(m.groups+1))
	for i := range idx {
		idx[i] = -1
	}
	at := 0
	for _, p := range m.parts {
		start := at
		if p.class == nil {
			if !strings.HasPrefix(tok[at:], p.lit) {
				return nil
			}
			at += len(p.lit)
		} else {
			for at < len(tok) && p.class[tok[at]] && (p.max < 0 || at-start < p.max) {
				at++
			}
			if at-start < p.min {
				return nil
			}
		}
		if p.group > 0 {
			idx[2*p.group], idx[2*p.group+1] = start, at
		}
	}
	if at != len(tok) {
		return nil
	}
	idx[0], idx[1] = 0, len(tok)
	return idx
}
