package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/introspectmock/introspectmock/fixtures"
)

// inactiveBody is the whole answer for any token that is not active (docs/conformance.md IR-7).
const inactiveBody = `{"active":false}`

// isRegistered reports whether name is a member an extension claim may not
// shadow (RFC 7662 §2.2, docs/conformance.md IR-8).
func isRegistered(name string) bool {
	switch name {
	case "active", "scope", "client_id", "username", "token_type",
		"exp", "iat", "nbf", "sub", "aud", "iss", "jti", "access_token":
		return true
	}
	return false
}

// activeBody is a pre-rendered active introspection answer. When iss is
// taken from a per-request issuer, the answer is head + `,"iss":"…"` + tail;
// otherwise full is the whole answer.
type activeBody struct {
	full       []byte
	fullLen    []string // Content-Length of full, rendered once
	head, tail []byte
}

// renderActive renders the active answer for t with its times already
// resolved, members in the order RFC 7662 §2.2 lists them: active,
// scope, client_id, username, token_type, exp, iat, nbf, sub, aud, iss, jti,
// then extension claims sorted by name. issuer is the configured issuer, or
// "" when it is derived per request.
func renderActive(t *fixtures.Token, iat, nbf, exp time.Time, issuer string) (activeBody, error) {
	b := make([]byte, 0, 256)
	b = append(b, `{"active":true`...)
	if scope := normalScope(t.Scope); scope != "" {
		b = appendMember(b, "scope", scope)
	}
	b = appendMember(b, "client_id", t.ClientID)
	b = appendMember(b, "username", t.Username)
	tokenType := t.TokenType
	if tokenType == "" {
		tokenType = "Bearer"
	}
	b = appendMember(b, "token_type", tokenType)
	b = appendTime(b, "exp", exp)
	b = appendTime(b, "iat", iat)
	b = appendTime(b, "nbf", nbf)
	b = appendMember(b, "sub", t.Sub)
	if t.Aud.IsSet() {
		b = append(b, `,"aud":`...)
		if t.Aud.List || len(t.Aud.Values) > 1 {
			b = append(b, '[')
			for i, v := range t.Aud.Values {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, v)
			}
			b = append(b, ']')
		} else {
			b = appendJSONString(b, t.Aud.Values[0])
		}
	}
	var out activeBody
	iss := t.Iss
	if iss == "" {
		iss = issuer
	}
	if iss == "" {
		out.head = b
		b = make([]byte, 0, 64)
	} else {
		b = appendMember(b, "iss", iss)
	}
	b = appendMember(b, "jti", t.Jti)
	names := make([]string, 0, len(t.Claims))
	for name := range t.Claims {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if isRegistered(name) {
			return activeBody{}, fmt.Errorf("claim %q shadows a registered member", name)
		}
		if name == "" {
			return activeBody{}, fmt.Errorf("claim with an empty name")
		}
		member := len(b)
		b = append(b, ',')
		b = appendJSONString(b, name)
		b = append(b, ':')
		value := len(b)
		var err error
		if b, err = appendJSONValue(b, t.Claims[name]); err != nil {
			return activeBody{}, fmt.Errorf("claim %q: %v", name, err)
		}
		if string(b[value:]) == "null" { // docs/conformance.md IR-6: unset, never null
			b = b[:member]
		}
	}
	b = append(b, '}')
	if out.head != nil {
		out.tail = b
	} else {
		out.full, out.fullLen = b, []string{strconv.Itoa(len(b))}
	}
	return out, nil
}

// normalScope returns strings.Join(strings.Fields(s), " "): the scope
// tokens separated by single spaces. A scope already so, as fixtures and
// AddToken leave it, is returned as it is, without allocating.
func normalScope(s string) string {
	space := true // at the start, or after a space
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' && !space:
			space = true
		case c <= ' ' || c >= utf8.RuneSelf: // white space, or maybe Unicode white space
			return strings.Join(strings.Fields(s), " ")
		default:
			space = false
		}
	}
	if space && s != "" {
		return strings.Join(strings.Fields(s), " ")
	}
	return s
}

// appendMember appends `,"name":"value"` unless value is empty (docs/conformance.md IR-6).
func appendMember(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, value)
}

// appendTime appends `,"name":unix-seconds` unless t is zero (docs/conformance.md IR-4).
func appendTime(b []byte, name string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, t.Unix(), 10)
}

// appendJSONString appends s as a JSON string exactly as a json.Encoder
// without HTML escaping writes it (the same escapes, invalid UTF-8 as
// \ufffd, U+2028 and U+2029 escaped), without its allocations.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONValue appends v, a claim value, as marshalJSON renders it;
// strings and booleans, most claims, without an encoder.
func appendJSONValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return appendJSONString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case nil:
		return append(b, "null"...), nil
	}
	j, err := marshalJSON(v)
	if err != nil {
		return b, err
	}
	return append(b, j...), nil
}

// marshalJSON is json.Marshal without HTML escaping and without the
// trailing newline of json.Encoder.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}
