package mockserver

import (
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// DefaultJournalSize is how many calls a namespace's journal keeps unless
// WithJournalSize says otherwise.
const DefaultJournalSize = 10000

// Call is one request to a protocol endpoint, as a namespace's journal
// keeps it. Secrets are never part of it. The token asked about is kept
// whole, for tests to match on (Token.Raw; the admin API sends it raw),
// and redacted whenever a Call is printed: String, %#v, JSON and slog.
// Admin API requests are not journaled.
type Call struct {
	// Time is when the request arrived, by the namespace clock.
	Time time.Time `json:"time"`
	// Namespace is the namespace's name; "" for the default.
	Namespace string `json:"namespace"`
	// Endpoint is "introspect", "revoke", "token", "discovery", "jwks",
	// "healthz" or "other" (unknown paths).
	Endpoint string `json:"endpoint"`
	// ClientID is the caller's client_id, as authenticated or, when
	// authentication failed, as claimed; "" for anonymous and fixture
	// bearer callers.
	ClientID string `json:"client_id"`
	// AuthMethod is how the caller authenticated or tried to: "basic",
	// "post", "bearer", "private_key_jwt" or "none".
	AuthMethod string `json:"auth_method"`
	// Token is the token parameter ("" if none); at /token, the token
	// issued. Tokens over 4 KiB are kept cut to their first 4 KiB. It
	// prints redacted; Token.Raw returns it whole.
	Token RedactedToken `json:"token"`
	// TokenTypeHint is the token_type_hint parameter, cut to 256 bytes.
	TokenTypeHint string `json:"token_type_hint"`
	// Status is the HTTP status answered; 0 when none was (a dropped
	// connection, a client gone during a delay).
	Status int `json:"status"`
	// Active reports an introspection answered {"active":true,...}; false
	// for other endpoints and for faults other than a bare delay.
	Active bool `json:"active"`
	// Fault is the fault played, such as "status 503", "delay 300ms",
	// "drop" or "malformed invalid_json" (several joined by ", "); "" for
	// none.
	Fault string `json:"fault"`
	// Why says why an introspection answered {"active":false}: "unknown
	// token", "expired", "not_yet_valid", "not introspectable by this
	// caller", "script: <state>", "stub", or for a revoked token "revoked
	// directly", "revoked by subject", "revoked by client", "revoked by
	// grant cascade", "revoked in the fixtures", "revoked on rotation" or
	// "revoked at logout"; "" for other calls.
	Why string `json:"why,omitempty"`
}

// Journal bounds of what one call keeps.
const (
	maxJournalToken = 4 << 10
	maxJournalField = 256
)

// String returns the call on one line with the token redacted:
//
//	2030-01-02T03:04:05Z introspect client=rs auth=basic token=acti… status=200 active=true
func (c Call) String() string {
	var b strings.Builder
	b.WriteString(c.Time.UTC().Format(time.RFC3339Nano))
	if c.Namespace != "" {
		b.WriteString(" ns=")
		b.WriteString(c.Namespace)
	}
	b.WriteByte(' ')
	b.WriteString(c.Endpoint)
	if c.ClientID != "" {
		b.WriteString(" client=")
		b.WriteString(strconv.Quote(c.ClientID))
	}
	b.WriteString(" auth=")
	b.WriteString(c.AuthMethod)
	if c.Token != "" {
		b.WriteString(" token=")
		b.WriteString(c.Token.String())
	}
	if c.TokenTypeHint != "" {
		b.WriteString(" hint=")
		b.WriteString(strconv.Quote(c.TokenTypeHint))
	}
	fmt.Fprintf(&b, " status=%d", c.Status)
	if c.Endpoint == EndpointIntrospect {
		fmt.Fprintf(&b, " active=%t", c.Active)
	}
	if c.Fault != "" {
		b.WriteString(" fault=")
		b.WriteString(strconv.Quote(c.Fault))
	}
	if c.Why != "" {
		b.WriteString(" why=")
		b.WriteString(strconv.Quote(c.Why))
	}
	return b.String()
}

// LogValue returns the call as a log/slog group, the token redacted.
func (c Call) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.Time("time", c.Time),
		slog.String("namespace", c.Namespace),
		slog.String("endpoint", c.Endpoint),
		slog.String("client_id", c.ClientID),
		slog.String("auth_method", c.AuthMethod),
		slog.String("token", c.Token.String()),
		slog.String("token_type_hint", c.TokenTypeHint),
		slog.Int("status", c.Status),
		slog.Bool("active", c.Active),
	}
	if c.Fault != "" {
		attrs = append(attrs, slog.String("fault", c.Fault))
	}
	if c.Why != "" {
		attrs = append(attrs, slog.String("why", c.Why))
	}
	return slog.GroupValue(attrs...)
}

// Redact returns a token fit for printing: its first 4 characters and
// "…", or "…" alone when it is shorter than 8 characters, or "" for "".
func Redact(token string) string {
	switch {
	case token == "":
		return ""
	case len(token) < 8:
		return "…"
	}
	head := token[:4]
	for len(head) > 0 && !utf8.ValidString(head) {
		head = head[:len(head)-1]
	}
	return head + "…"
}

// journal is a namespace's ring of the latest calls. Its slice grows on
// demand, never past size: a namespace with few calls holds few.
type journal struct {
	mu    sync.Mutex   // guards calls and next, and orders writes of size
	size  atomic.Int64 // capacity; 0 keeps nothing. Read without mu by enabled.
	calls []Call       // grows to size, then wraps
	next  int          // where the next call goes once full
}

// enabled reports whether the journal keeps calls, so that a caller can
// skip building one.
func (j *journal) enabled() bool { return j.size.Load() > 0 }

func (j *journal) add(c Call) {
	j.mu.Lock()
	defer j.mu.Unlock()
	size := int(j.size.Load())
	switch {
	case size == 0:
	case len(j.calls) < size:
		if len(j.calls) == cap(j.calls) {
			// Double, as append would, but never past size.
			grown := make([]Call, len(j.calls), min(size, max(16, 2*cap(j.calls))))
			copy(grown, j.calls)
			j.calls = grown
		}
		j.calls = append(j.calls, c)
	default:
		j.calls[j.next] = c
		j.next++
		if j.next == size {
			j.next = 0
		}
	}
}

// list returns the calls, oldest first.
func (j *journal) list() []Call {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.listLocked()
}

func (j *journal) listLocked() []Call {
	out := make([]Call, 0, len(j.calls))
	out = append(out, j.calls[j.next:]...)
	return append(out, j.calls[:j.next]...)
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.calls, j.next = nil, 0
}

// resize makes the journal keep n calls from now on, keeping the latest n
// it holds.
func (j *journal) resize(n int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if int(j.size.Load()) == n {
		return
	}
	calls := j.listLocked()
	if len(calls) > n {
		calls = calls[len(calls)-n:]
	}
	j.calls, j.next = nil, 0
	if len(calls) > 0 {
		j.calls = slices.Clone(calls) // no slack past what is kept
	}
	j.size.Store(int64(n))
}

// stats returns the capacity and how many calls are kept.
func (j *journal) stats() (size, kept int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return int(j.size.Load()), len(j.calls)
}

// clip returns s cut to at most n bytes; a cut s is copied, so that what
// is kept does not pin the whole of a long value. A call's strings are
// never substrings of a request body or of credentials (readForm and
// authenticate copy what they keep), so an uncut one is kept as it is.
func clip(s string, n int) string {
	if len(s) > n {
		return strings.Clone(s[:n])
	}
	return s
}
