package mockserver

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// maxBody is the largest request body accepted (docs/conformance.md IQ-6).
const maxBody = 1 << 20

// form holds the parameters the endpoints read from a request body. An
// empty value counts as absent (RFC 6749 §3.2); unknown parameters are
// ignored (docs/conformance.md IQ-5).
type form struct {
	token        string
	hint         string // token_type_hint
	clientID     string
	clientSecret string
	grantType    string
	scope        string
	// client_assertion and client_assertion_type (private_key_jwt, RFC 7523 §2.2)
	clientAssertion     string
	clientAssertionType string
	// The authorization code flow's (RFC 6749 §4.1.3, §6; RFC 7636 §4.5).
	code, redirectURI, codeVerifier, refreshToken string
}

// readForm reads the application/x-www-form-urlencoded body of r for the
// endpoint kind. The URL query is never read: parameters there do not
// count (docs/conformance.md CA-4).
func (s *Server) readForm(w http.ResponseWriter, r *http.Request, kind endpointKind) (form, *oauthError) {
	if err := checkFormType(r.Header.Get("Content-Type")); err != nil {
		return form{}, err
	}
	if r.ContentLength > maxBody {
		return form{}, errTooLarge()
	}
	fb, _ := s.bufs.Get().(*formBuffer)
	if fb == nil {
		fb = new(formBuffer)
	}
	defer func() {
		if fb.buf.Cap() <= 64<<10 {
			fb.buf.Reset()
			s.bufs.Put(fb)
		}
	}()
	fb.buf.Reset()
	if r.Body != nil {
		var body io.Reader
		if r.ContentLength < 0 {
			// Length unknown (chunked): MaxBytesReader also tells net/http
			// to close the connection after a 413 instead of reading on.
			body = http.MaxBytesReader(w, r.Body, maxBody)
		} else {
			// A known length is at most maxBody, and net/http's body ends
			// there; the pooled limit only guards other callers' bodies.
			fb.limit = io.LimitedReader{R: r.Body, N: maxBody + 1}
			body = &fb.limit
		}
		_, err := fb.buf.ReadFrom(body)
		fb.limit.R = nil
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return form{}, errTooLarge()
			}
			return form{}, errInvalidRequest("cannot read the request body")
		}
		if fb.buf.Len() > maxBody {
			return form{}, errTooLarge()
		}
	}
	return parseForm(fb.buf.Bytes(), kind)
}

// formBuffer is a pooled buffer for a request body, with the reader that
// limits it (kept here so that limiting allocates nothing).
type formBuffer struct {
	buf   bytes.Buffer
	limit io.LimitedReader
}

// checkFormType accepts application/x-www-form-urlencoded with any
// parameters, such as charset (docs/conformance.md IQ-2).
func checkFormType(ct string) *oauthError {
	const want = "application/x-www-form-urlencoded"
	if ct == want {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != want {
		return errInvalidRequest("Content-Type must be application/x-www-form-urlencoded")
	}
	return nil
}

// parseForm parses a form body for the endpoint kind. Broken
// percent-encoding anywhere is an error (docs/conformance.md IQ-7), and so is a parameter
// the endpoint reads given twice with a value (RFC 6749 §3.2; docs/conformance.md IQ-3,
// TE-1). Parameters of the other endpoints are unknown here and ignored,
// repeated or not: scope and grant_type at /introspect and /revoke, token
// and token_type_hint at /token (docs/conformance.md IQ-5).
//
// The values kept are copied out of body (which may be reused) one by one,
// so that none pins the others, a secret among them; nothing else is.
func parseForm(body []byte, kind endpointKind) (form, *oauthError) {
	var f form
	for len(body) > 0 {
		var pair []byte
		pair, body, _ = bytes.Cut(body, []byte{'&'})
		if len(pair) == 0 {
			continue
		}
		rawKey, rawValue, _ := bytes.Cut(pair, []byte{'='})
		if !validEscapes(rawKey) || !validEscapes(rawValue) {
			return form{}, errInvalidRequest("malformed percent-encoding in the request body")
		}
		key := string(rawKey) // not kept: no allocation when nothing to decode
		if isEscaped(rawKey) {
			key = unescapeBytes(rawKey)
		}
		var dst *string
		switch key {
		case "token":
			dst = &f.token
		case "token_type_hint":
			dst = &f.hint
		case "client_id":
			dst = &f.clientID
		case "client_secret":
			dst = &f.clientSecret
		case "grant_type":
			dst = &f.grantType
		case "scope":
			dst = &f.scope
		case "client_assertion":
			dst = &f.clientAssertion
		case "client_assertion_type":
			dst = &f.clientAssertionType
		case "code":
			dst = &f.code
		case "redirect_uri":
			dst = &f.redirectURI
		case "code_verifier":
			dst = &f.codeVerifier
		case "refresh_token":
			dst = &f.refreshToken
		}
		if dst == nil || !reads(kind, key) {
			continue // docs/conformance.md IQ-5
		}
		if len(rawValue) == 0 {
			continue // empty counts as absent; decoding never empties a value
		}
		if *dst != "" {
			return form{}, errInvalidRequest("parameter " + key + " is repeated")
		}
		*dst = unescapeBytes(rawValue)
	}
	return f, nil
}

// reads reports whether the endpoint kind reads the known parameter key;
// the others' parameters are unknown to it (docs/conformance.md IQ-5).
func reads(kind endpointKind, key string) bool {
	switch key {
	case "token", "token_type_hint":
		return kind != forToken
	case "grant_type", "scope", "code", "redirect_uri", "code_verifier", "refresh_token":
		return kind == forToken
	}
	return true // client_id, client_secret, client_assertion, client_assertion_type
}

// isEscaped reports whether the form-encoded b has anything to decode.
func isEscaped(b []byte) bool {
	return bytes.IndexByte(b, '%') >= 0 || bytes.IndexByte(b, '+') >= 0
}

// validEscapes reports whether every '%' of b starts a %XX escape, the
// only thing url.QueryUnescape refuses.
func validEscapes(b []byte) bool {
	for i := bytes.IndexByte(b, '%'); i >= 0; i = bytes.IndexByte(b, '%') {
		if i+2 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) {
			return false
		}
		b = b[i+3:]
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unescapeBytes returns the decoded form-encoded b, whose escapes
// validEscapes accepted, as a string of its own.
func unescapeBytes(b []byte) string {
	if !isEscaped(b) {
		return string(b)
	}
	v, _ := url.QueryUnescape(string(b))
	return v
}
