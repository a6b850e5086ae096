package mockserver

import "time"

// Tokens issued at /token are dropped from the store once they have been
// expired for issuedGrace by the namespace clock, so that a long run
// minting tokens keeps a bounded store: about (lifetime + issuedGrace) ×
// the minting rate. A dropped token is unknown, and an unknown token
// introspects {"active":false}, as an expired one does. Only when the
// clock is moved back by more than issuedGrace after a token was dropped
// does the answer differ: the token stays inactive instead of becoming
// active again. Fixture tokens and tokens added by AddToken or the admin
// API are never dropped.
const issuedGrace = time.Minute

// maxPrunePerIssue bounds the expired tokens one /token call drops, so
// that a clock jump past many expiries costs no single request much; each
// call still drops more than it adds until the backlog is gone.
const maxPrunePerIssue = 64

// issuedToken is a token issued at /token, as the expiry queue holds it.
type issuedToken struct {
	exp time.Time // its exp when issued; Expire only moves exp earlier
	tok string
	e   *entry // the store entry, to tell it from a later token of that string
}

// issuedQueue is a min-heap of issued tokens by exp, soonest first. It may
// hold tokens the store no longer has (removed, swept, revoked and
// swept); they are skipped when they come up, and compact drops them when
// they outnumber the store.
type issuedQueue []issuedToken

// push adds t.
func (q *issuedQueue) push(t issuedToken) {
	*q = append(*q, t)
	h := *q
	for i := len(h) - 1; i > 0; {
		parent := (i - 1) / 2
		if !h[i].exp.Before(h[parent].exp) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

// pop removes the soonest token; q must not be empty.
func (q *issuedQueue) pop() issuedToken {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = issuedToken{} // no pointer left behind in the backing array
	h = h[:last]
	h.down(0)
	*q = h
	return top
}

// down restores the heap below i.
func (q issuedQueue) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(q) {
			return
		}
		m := l
		if r := l + 1; r < len(q) && q[r].exp.Before(q[l].exp) {
			m = r
		}
		if !q[m].exp.Before(q[i].exp) {
			return
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
}

// pruneIssuedLocked drops up to maxPrunePerIssue issued tokens that have
// been expired for issuedGrace at now. ns.mu must be held for writing.
func (ns *Namespace) pruneIssuedLocked(now time.Time) {
	cutoff := now.Add(-issuedGrace)
	for range maxPrunePerIssue {
		if len(ns.issued) == 0 || !ns.issued[0].exp.Before(cutoff) {
			break
		}
		t := ns.issued.pop()
		if ns.tokens[t.tok] == t.e {
			delete(ns.tokens, t.tok)
			ns.holdLocked(-1)
		}
	}
	// Removed and swept tokens leave entries behind; with the clock frozen
	// none ever comes up. Drop them once they are half the queue.
	if n := len(ns.issued); n > 64 && n > 2*len(ns.tokens) {
		ns.compactIssuedLocked()
	}
}

// compactIssuedLocked drops the queue's tokens the store no longer holds.
// ns.mu must be held for writing.
func (ns *Namespace) compactIssuedLocked() {
	q := ns.issued[:0]
	for _, t := range ns.issued {
		if ns.tokens[t.tok] == t.e {
			q = append(q, t)
		}
	}
	clear(ns.issued[len(q):])
	for i := len(q)/2 - 1; i >= 0; i-- {
		q.down(i)
	}
	ns.issued = q
}
