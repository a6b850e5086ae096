package mockserver

import (
	"bytes"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// maxBody is the largest request body accepted (SPEC IQ-6).
const maxBody = 1 << 20

// form holds the parameters the endpoints read from a request body. An
// empty value counts as absent (RFC 6749 §3.2); unknown parameters are
// ignored (SPEC IQ-5).
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
// count (SPEC CA-4).
func (s *Server) readForm(w http.ResponseWriter, r *http.Request, kind endpointKind) (form, *oauthError) {
	if err := checkFormType(r.Header.Get("Content-Type")); err != nil {
		return form{}, err
	}
	if r.ContentLength > maxBody {
		return form{}, errTooLarge()
	}
	buf, _ := s.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer func() {
		if buf.Cap() <= 64<<10 {
			buf.Reset()
			s.bufs.Put(buf)
		}
	}()
	buf.Reset()
	if r.Body != nil {
		_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return form{}, errTooLarge()
			}
			return form{}, errInvalidRequest("cannot read the request body")
		}
	}
	return parseForm(buf.String(), kind)
}

// checkFormType accepts application/x-www-form-urlencoded with any
// parameters, such as charset (SPEC IQ-2).
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
// percent-encoding anywhere is an error (SPEC IQ-7), and so is a parameter
// the endpoint reads given twice with a value (RFC 6749 §3.2; SPEC IQ-3,
// TE-1). Parameters of the other endpoints are unknown here and ignored,
// repeated or not: scope and grant_type at /introspect and /revoke, token
// and token_type_hint at /token (SPEC IQ-5).
func parseForm(body string, kind endpointKind) (form, *oauthError) {
	var f form
	for body != "" {
		var pair string
		pair, body, _ = strings.Cut(body, "&")
		if pair == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, ok := unescape(rawKey)
		if !ok {
			return form{}, errInvalidRequest("malformed percent-encoding in the request body")
		}
		value, ok := unescape(rawValue)
		if !ok {
			return form{}, errInvalidRequest("malformed percent-encoding in the request body")
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
			continue // SPEC IQ-5
		}
		if value == "" {
			continue // empty counts as absent
		}
		if *dst != "" {
			return form{}, errInvalidRequest("parameter " + key + " is repeated")
		}
		*dst = value
	}
	return f, nil
}

// reads reports whether the endpoint kind reads the known parameter key;
// the others' parameters are unknown to it (SPEC IQ-5).
func reads(kind endpointKind, key string) bool {
	switch key {
	case "token", "token_type_hint":
		return kind != forToken
	case "grant_type", "scope", "code", "redirect_uri", "code_verifier", "refresh_token":
		return kind == forToken
	}
	return true // client_id, client_secret, client_assertion, client_assertion_type
}

// unescape decodes one form-encoded key or value ('+' is a space),
// without allocating when there is nothing to decode.
func unescape(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	v, err := url.QueryUnescape(s)
	return v, err == nil
}
