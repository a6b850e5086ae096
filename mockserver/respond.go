package mockserver

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"unicode/utf8"
)

// headerValues are header values shared by every response of a Server.
// They are never modified after New.
type headerValues struct {
	json        []string // Content-Type of JSON answers
	jwt         []string // Content-Type of JWT introspection answers
	noStore     []string // Cache-Control
	noCache     []string // Pragma
	inactiveLen []string // Content-Length of inactiveBody
}

func newHeaderValues() headerValues {
	return headerValues{
		json:        []string{"application/json"},
		jwt:         []string{jwtResponseType},
		noStore:     []string{"no-store"},
		noCache:     []string{"no-cache"},
		inactiveLen: []string{strconv.Itoa(len(inactiveBody))},
	}
}

// lengthCache holds Content-Length values for reuse: answers come in few
// sizes, so most take theirs from here instead of allocating it. Each slot
// keeps the last length that fell in it.
type lengthCache struct {
	slots [64]atomic.Pointer[lengthValue]
}

type lengthValue struct {
	n int
	v []string // never modified
}

// get returns the Content-Length value for n bytes.
func (lc *lengthCache) get(n int) []string {
	slot := &lc.slots[uint(n)%uint(len(lc.slots))]
	if l := slot.Load(); l != nil && l.n == n {
		return l.v
	}
	l := &lengthValue{n: n, v: []string{strconv.Itoa(n)}}
	slot.Store(l)
	return l.v
}

// oauthError is an error answer: status, OAuth error code (RFC 6749 §5.2)
// and optional description, plus the headers some statuses need.
type oauthError struct {
	status     int
	code       string
	desc       string   // printable ASCII; sanitized when written
	challenges []string // WWW-Authenticate values, one header each
	allow      string   // Allow, for 405
	retryAfter string   // Retry-After, "" for none
}

func (e *oauthError) Error() string { return e.code + ": " + e.desc }

// errInvalidRequest is a 400 invalid_request (docs/conformance.md ER-2).
func errInvalidRequest(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_request", desc: desc}
}

// errClient is a 401 invalid_client with the given challenges (docs/conformance.md CA-9, CA-11).
func errClient(desc string, challenges ...string) *oauthError {
	return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", desc: desc, challenges: challenges}
}

// errTooLarge is the 413 for bodies over maxBody (docs/conformance.md IQ-6).
func errTooLarge() *oauthError {
	return &oauthError{status: http.StatusRequestEntityTooLarge, code: "invalid_request",
		desc: "request body larger than 1 MiB"}
}

// writeError writes e as OAuth error JSON (RFC 6749 §5.2, docs/conformance.md ER-1):
// {"error":"…","error_description":"…"}, application/json, no-store. It is
// the only way an error leaves the server.
func (s *Server) writeError(w http.ResponseWriter, c *call, e *oauthError) {
	h := w.Header()
	for _, ch := range e.challenges {
		h.Add("WWW-Authenticate", ch)
	}
	if e.allow != "" {
		h.Set("Allow", e.allow)
	}
	if e.retryAfter != "" {
		h.Set("Retry-After", e.retryAfter)
	}
	b := make([]byte, 0, 64+len(e.desc))
	b = append(b, `{"error":"`...)
	b = appendSafe(b, e.code)
	b = append(b, '"')
	if e.desc != "" {
		b = append(b, `,"error_description":"`...)
		b = appendSafe(b, e.desc)
		b = append(b, '"')
	}
	b = append(b, '}')
	s.writeJSON(w, c, e.status, b, true)
}

// appendSafe appends s with only the characters RFC 6749 §5.2 allows in
// error and error_description (%x20-21 / %x23-5B / %x5D-7E), kept
// readable (docs/conformance.md ER-1):
//   - a Go-quoted string, as %q writes one into an error, is unquoted and
//     put in single quotes: "a\"b" becomes 'a'b';
//   - any other double quote becomes a single quote, a backslash a slash;
//   - a line break becomes "; ", a tab a space, an ellipsis "...", a
//     section sign "section " (fixture errors cite "RFC 6749 §3.1.2");
//   - any other character outside printable ASCII becomes one '?' (one
//     per rune, or per byte of invalid UTF-8).
//
// The result needs no JSON escaping.
func appendSafe(b []byte, s string) []byte {
	return appendSafeText(b, s, true)
}

// appendSafeText is appendSafe; unquote tells whether Go-quoted strings
// are recognised (not inside one).
func appendSafeText(b []byte, s string, unquote bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		if c == '"' && unquote {
			if q, err := strconv.QuotedPrefix(s[i:]); err == nil {
				if u, err := strconv.Unquote(q); err == nil {
					b = append(b, '\'')
					b = appendSafeText(b, u, false)
					b = append(b, '\'')
					i += len(q)
					continue
				}
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch r {
		case '"':
			b = append(b, '\'')
		case '\\':
			b = append(b, '/')
		case '\n':
			b = append(b, "; "...)
		case '\r':
		case '\t':
			b = append(b, ' ')
		case '…':
			b = append(b, "..."...)
		case '§':
			b = append(b, "section "...)
			if i < len(s) && s[i] == ' ' {
				i++
			}
		default:
			b = append(b, '?')
		}
	}
	return b
}

// writeJSON writes body with status as application/json (no charset,
// docs/conformance.md IR-1) and an exact Content-Length; noStore adds
// Cache-Control: no-store and Pragma: no-cache. It records the status in c.
func (s *Server) writeJSON(w http.ResponseWriter, c *call, status int, body []byte, noStore bool) {
	s.writeHeader(w, c, status, s.hdr.json, s.lengths.get(len(body)), noStore)
	_, _ = w.Write(body)
}

// writeHeader sets the headers of an answer of media type ctype whose
// Content-Length is clen (values never modified afterwards; noStore as for
// writeJSON) and writes the status line, recording it in c; the caller
// writes the body.
func (s *Server) writeHeader(w http.ResponseWriter, c *call, status int, ctype, clen []string, noStore bool) {
	h := w.Header()
	h["Content-Type"] = ctype
	if noStore {
		h["Cache-Control"] = s.hdr.noStore
		h["Pragma"] = s.hdr.noCache
	}
	h["Content-Length"] = clen
	w.WriteHeader(status)
	c.status = status
}
