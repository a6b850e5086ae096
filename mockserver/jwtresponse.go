package mockserver

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
)

// This file answers introspection with a JWT when the caller asks for one
// (RFC 9701, docs/conformance.md JR-1…JR-8).

const (
	// jwtResponseType is the media type of a JWT introspection response.
	jwtResponseType = "application/token-introspection+jwt"
	// jwtResponseTyp is its JWS typ header (RFC 9701 §5).
	jwtResponseTyp = "token-introspection+jwt"
)

// WithJWTIntrospection serves RFC 9701 JWT introspection responses to
// callers whose Accept names application/token-introspection+jwt, and
// lists introspection_signing_alg_values_supported in the metadata.
// Disabled, every caller gets JSON, except in namespaces with a client
// that sets introspection_signed_response_alg or
// introspection_encrypted_response_alg. Default: true.
func WithJWTIntrospection(enabled bool) Option {
	return func(c *config) error {
		c.jwtDisabled = !enabled
		return nil
	}
}

// jwtEnabled reports whether JWT responses are on in a namespace with
// configuration st (docs/conformance.md JR-8).
func (s *Server) jwtEnabled(st *state) bool {
	return !s.cfg.jwtDisabled || st.jwtResponses
}

// jwtTarget is who a JWT introspection response is for: the issuer it
// speaks as and the calling client, its aud (RFC 9701 §5).
type jwtTarget struct {
	issuer string
	aud    string
	client *client
}

// jwtTargetFor decides, after authenticate, whether r gets a JWT answer
// (docs/conformance.md JR-1, JR-7). Without a JWT Accept it returns authErr unchanged.
// With one, a request without any credentials is 400 invalid_request,
// also under allow_anonymous, since the JWT's aud is the caller's
// client_id; failed credentials stay what authenticate said (401); a
// caller without a client_id (a fixture bearer, an anonymous caller) is
// 400. A bearer caller holding a token issued here by client_credentials
// is its client.
func (s *Server) jwtTargetFor(ns *Namespace, st *state, r *http.Request, f *form, who caller, authErr *oauthError) (*jwtTarget, *oauthError) {
	if len(r.Header["Accept"]) == 0 || !acceptsJWT(r.Header["Accept"]) || !s.jwtEnabled(st) {
		return nil, authErr
	}
	noCredentials := len(r.Header["Authorization"]) == 0 && f.clientID == "" && f.clientSecret == "" &&
		f.clientAssertion == "" && f.clientAssertionType == ""
	switch {
	case noCredentials:
		return nil, errInvalidRequest("a JWT introspection response needs an authenticated caller: its client_id is the JWT's aud (RFC 9701 section 4)")
	case authErr != nil:
		return nil, authErr
	case who.client == nil || who.clientID == "":
		return nil, errInvalidRequest("a JWT introspection response needs a caller with a client_id (its aud, RFC 9701 section 5); this caller has none")
	}
	return &jwtTarget{issuer: ns.issuer(r, st), aud: who.clientID, client: who.client}, nil
}

// acceptsJWT reports whether Accept header values ask for a JWT response
// (docs/conformance.md JR-1): application/token-introspection+jwt named with q > 0, and
// application/json, if named, not preferred to it. Media types compare
// case-insensitively; parameters other than q are ignored; a range with a
// malformed q counts as absent. Wildcards (*/*, application/*) never ask
// for a JWT.
func acceptsJWT(values []string) bool {
	named := false
	for _, v := range values {
		if containsFold(v, jwtResponseTyp) {
			named = true
			break
		}
	}
	if !named {
		return false // the usual case: no allocation
	}
	jwtQ, jsonQ := -1, -1 // in thousandths; -1 when not named
	for _, v := range values {
		for _, rng := range splitQuoted(v, ',') {
			mt, q, ok := parseMediaRange(rng)
			switch {
			case !ok:
			case strings.EqualFold(mt, jwtResponseType):
				jwtQ = max(jwtQ, q)
			case strings.EqualFold(mt, "application/json"):
				jsonQ = max(jsonQ, q)
			}
		}
	}
	return jwtQ > 0 && jwtQ >= jsonQ
}

// parseMediaRange parses one element of Accept (RFC 9110 §12.5.1):
// type/subtype, then ;-separated parameters, one of which may be the
// weight q (0 to 1, at most three decimals; default 1, returned in
// thousandths).
func parseMediaRange(s string) (mediaType string, q int, ok bool) {
	params := splitQuoted(s, ';')
	mediaType = strings.TrimSpace(params[0])
	if mediaType == "" {
		return "", 0, false
	}
	q = 1000
	for _, p := range params[1:] {
		name, value, _ := strings.Cut(p, "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		if q, ok = parseWeight(strings.TrimSpace(value)); !ok {
			return "", 0, false
		}
		break // parameters after q are accept-ext
	}
	return mediaType, q, true
}

// parseWeight parses qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
// into thousandths.
func parseWeight(s string) (int, bool) {
	if s == "" || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	whole := int(s[0] - '0')
	frac := ""
	if len(s) > 1 {
		if s[1] != '.' || len(s) > 5 {
			return 0, false
		}
		frac = s[2:]
	}
	n := 0
	for i := 0; i < 3; i++ {
		n *= 10
		if i < len(frac) {
			c := frac[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n += int(c - '0')
		}
	}
	if whole == 1 && n != 0 {
		return 0, false
	}
	return whole*1000 + n, true
}

// splitQuoted splits s at sep outside double-quoted strings.
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// containsFold reports whether s contains the lower-case ASCII sub,
// ignoring ASCII case.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// writeJWTIntrospection writes the answer (active, body) as a signed, and
// for clients that ask so encrypted, JWT (docs/conformance.md JR-2…JR-6): header typ
// token-introspection+jwt, the client's alg (RS256 by default) and the kid
// of the server key at jwks_uri; claims iss, aud (the caller's client_id),
// iat (the namespace clock's now) and token_introspection, the RFC 7662
// answer JSON would have given, byte for byte; no top-level sub or exp.
// broken, a JWT* kind, breaks it in that one way (jwtfault.go); "" for
// none.
func (s *Server) writeJWTIntrospection(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call, jt *jwtTarget, active bool, body activeBody, broken string) {
	c.active = active
	tok, err := s.introspectionJWT(jt, c.time, answerBytes(ns, r, active, body), broken)
	if err != nil {
		s.cfg.logger.ErrorContext(r.Context(), "JWT introspection response", "namespace", ns.name, "err", err)
		s.writeError(w, c, &oauthError{status: http.StatusInternalServerError, code: "server_error",
			desc: "the JWT introspection response cannot be made"})
		return
	}
	s.writeHeader(w, c, http.StatusOK, s.hdr.jwt, []string{strconv.Itoa(len(tok))}, true)
	_, _ = w.Write(tok)
}

// introspectionJWT makes the JWT of an introspection answer (RFC 9701 §5):
// introspectionClaims signed with the server key under the client's alg,
// then encrypted if the client asks so; broken as the JWT* kind broken
// says ("" for not at all).
func (s *Server) introspectionJWT(jt *jwtTarget, now time.Time, answer []byte, broken string) ([]byte, error) {
	k, err := s.signingKey()
	if err != nil {
		return nil, err
	}
	signer := k.responseSigner(jt.client)
	var tok []byte
	if broken == "" {
		tok, err = signer.sign(introspectionClaims(jt, now, answer))
	} else {
		tok, err = s.brokenJWT(k, signer, *jt, now, answer, broken)
	}
	if err != nil {
		return nil, err
	}
	return jt.client.encryptResponse(tok)
}

// introspectionClaims returns the claims of a JWT introspection response
// for jt at now: iss, aud, iat and token_introspection, answer byte for
// byte (RFC 9701 §5).
func introspectionClaims(jt *jwtTarget, now time.Time, answer []byte) []byte {
	claims := make([]byte, 0, 96+len(jt.issuer)+len(jt.aud)+len(answer))
	claims = appendJSONString(append(claims, `{"iss":`...), jt.issuer)
	claims = appendJSONString(append(claims, `,"aud":`...), jt.aud)
	claims = strconv.AppendInt(append(claims, `,"iat":`...), now.Unix(), 10)
	claims = append(append(claims, `,"token_introspection":`...), answer...)
	return append(claims, '}')
}

// metadataFor is newMetadata plus the members of the optional features:
// private_key_jwt in the auth-method lists with their signing algs when a
// client of the namespace uses it (docs/conformance.md MD-6), and the RFC 9701 §7 members
// when JWT responses are on (docs/conformance.md JR-8).
func (s *Server) metadataFor(st *state, issuer string, openid bool) *metadata {
	m := newMetadata(st, issuer, openid)
	if st.privateKeyJWT {
		m.TokenEndpointAuthMethods = withPrivateKeyJWT(m.TokenEndpointAuthMethods)
		m.RevocationEndpointAuthMethods = withPrivateKeyJWT(m.RevocationEndpointAuthMethods)
		m.IntrospectionEndpointAuthMethods = withPrivateKeyJWT(m.IntrospectionEndpointAuthMethods)
		m.TokenEndpointAuthSigningAlgs = assertionAlgs()
		m.RevocationEndpointAuthSigningAlgs = assertionAlgs()
		m.IntrospectionEndpointAuthSigningAlgs = assertionAlgs()
	}
	if s.jwtEnabled(st) {
		m.IntrospectionSigningAlgs = []string{fixtures.AlgRS256, fixtures.AlgPS256}
		m.IntrospectionEncryptionAlgs = []string{fixtures.AlgRSAOAEP256}
		m.IntrospectionEncryptionEncs = []string{fixtures.EncA128CBCHS256, fixtures.EncA256GCM}
	}
	return m
}

// withPrivateKeyJWT returns methods with private_key_jwt after the
// client_secret_* methods.
func withPrivateKeyJWT(methods []string) []string {
	i := 0
	for i < len(methods) && strings.HasPrefix(methods[i], "client_secret_") {
		i++
	}
	return slices.Insert(slices.Clip(methods), i, string(authPrivateKeyJWT))
}
