package mockserver

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/introspectmock/introspectmock/fixtures"
)

// This file holds a client's keys and RFC 9701 settings and the
// private_key_jwt client authentication (RFC 7523 §2.2, §3; RFC 7521 §4.2;
// docs/conformance.md CA-12).

// authPrivateKeyJWT is the journal's auth method for a client assertion.
const authPrivateKeyJWT authMethod = "private_key_jwt"

// assertionType is the only client_assertion_type accepted (RFC 7523 §2.2).
const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// clientJWT is what a client's keys and RFC 9701 settings allow; a nil
// *clientJWT means none: RS256 responses, no private_key_jwt.
type clientJWT struct {
	keys  []fixtures.JWK // the client's JWK Set
	pkjwt bool           // may authenticate with private_key_jwt
	// signAlg signs its JWT introspection responses: RS256 or PS256.
	signAlg string
	// encKey, when set, encrypts them (RSA-OAEP-256) with content
	// encryption enc; encKid is its kid.
	encKey *rsa.PublicKey
	encKid string
	enc    string
	// responses is set when the client asks for JWT responses explicitly
	// (a signing or encryption alg), which enables them for the namespace
	// even under WithJWTIntrospection(false) (docs/conformance.md JR-8).
	responses bool
}

// newClientJWT checks a fixture client's keys and RFC 9701 settings and
// converts them; nil when it has none.
func newClientJWT(fc *fixtures.Client) (*clientJWT, error) {
	explicit := false
	for _, m := range fc.AuthMethods {
		explicit = explicit || m == fixtures.AuthPrivateKeyJWT
	}
	if len(fc.JWKS) == 0 && fc.IntrospectionSignedResponseAlg == "" && fc.IntrospectionEncryptedResponseAlg == "" &&
		fc.IntrospectionEncryptedResponseEnc == "" && !explicit {
		return nil, nil
	}
	if fc.Bearer != "" {
		return nil, errors.New("a bearer client takes no jwks or introspection response settings")
	}
	j := &clientJWT{keys: fc.JWKS, signAlg: fixtures.AlgRS256}
	for i, k := range fc.JWKS {
		switch key := k.Key.(type) {
		case *rsa.PublicKey:
			if key.N == nil || key.N.BitLen() < 2048 {
				return nil, fmt.Errorf("jwks[%d]: RSA key smaller than 2048 bits", i)
			}
			if key.N.BitLen() > jose.MaxRSAModulusBits { // as the fixture parser, on go-jose, refuses
				return nil, fmt.Errorf("jwks[%d]: RSA key larger than %d bits", i, jose.MaxRSAModulusBits)
			}
		case *ecdsa.PublicKey:
			if key.Curve != elliptic.P256() {
				return nil, fmt.Errorf("jwks[%d]: EC key not on P-256", i)
			}
		default:
			return nil, fmt.Errorf("jwks[%d]: key of type %T; want *rsa.PublicKey or *ecdsa.PublicKey", i, k.Key)
		}
	}
	signs := fixtures.SignatureKey(fc.JWKS) != nil
	switch {
	case explicit && !signs:
		return nil, errors.New("private_key_jwt needs a signature key in jwks")
	case explicit, len(fc.AuthMethods) == 0:
		j.pkjwt = signs
	}
	switch fc.IntrospectionSignedResponseAlg {
	case "":
	case fixtures.AlgRS256, fixtures.AlgPS256:
		j.signAlg, j.responses = fc.IntrospectionSignedResponseAlg, true
	default:
		return nil, fmt.Errorf("unsupported introspection_signed_response_alg %q (want RS256 or PS256)", fc.IntrospectionSignedResponseAlg)
	}
	switch fc.IntrospectionEncryptedResponseEnc {
	case "", fixtures.EncA128CBCHS256, fixtures.EncA256GCM:
		j.enc = fc.IntrospectionEncryptedResponseEnc
	default:
		return nil, fmt.Errorf("unsupported introspection_encrypted_response_enc %q (want A128CBC-HS256 or A256GCM)", fc.IntrospectionEncryptedResponseEnc)
	}
	switch fc.IntrospectionEncryptedResponseAlg {
	case "":
		if j.enc != "" {
			return nil, errors.New("introspection_encrypted_response_enc needs introspection_encrypted_response_alg")
		}
	case fixtures.AlgRSAOAEP256:
		k := fixtures.EncryptionKey(fc.JWKS)
		if k == nil {
			return nil, errors.New("introspection_encrypted_response_alg RSA-OAEP-256 needs an RSA key with use enc (or no use) in jwks")
		}
		j.encKey, j.encKid, j.responses = k.Key.(*rsa.PublicKey), k.KeyID, true
		if j.enc == "" {
			j.enc = fixtures.EncA128CBCHS256
		}
	default:
		return nil, fmt.Errorf("unsupported introspection_encrypted_response_alg %q (want RSA-OAEP-256)", fc.IntrospectionEncryptedResponseAlg)
	}
	return j, nil
}

// public reports whether c is a public client: no secret and no
// private_key_jwt keys. Only revocation takes it by client_id alone (docs/conformance.md
// RV-2).
func (c *client) public() bool {
	return c.secret == "" && (c.jwt == nil || !c.jwt.pkjwt)
}

// privateKeyJWT reports whether c may authenticate with private_key_jwt.
func (c *client) privateKeyJWT() bool { return c.jwt != nil && c.jwt.pkjwt }

// assertionAlgs returns the signing algs accepted in client assertions,
// as the metadata lists them (never none, docs/conformance.md MD-6).
func assertionAlgs() []string {
	algs := make([]string, len(assertionSigAlgs))
	for i, a := range assertionSigAlgs {
		algs[i] = string(a)
	}
	return algs
}

// endpointPath returns the path of an endpoint that authenticates
// callers, for the aud of an assertion sent to it.
func endpointPath(kind endpointKind) string {
	switch kind {
	case forIntrospect:
		return "/introspect"
	case forRevoke:
		return "/revoke"
	}
	return "/token"
}

// assertionClaims are the claims of a client assertion the server reads.
type assertionClaims struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Exp *float64        `json:"exp"`
	Nbf *float64        `json:"nbf"`
	Jti string          `json:"jti"`
}

// authAssertion authenticates a caller by client_assertion (RFC 7523 §3):
// a JWS signed with a key of the client's jwks (RS256, PS256 or ES256,
// never none), iss = sub = client_id, aud the issuer, the token endpoint
// URL or the URL of the endpoint called (docs/conformance.md PF-11), exp after the server
// clock's now, nbf (if any) not after it, and a jti (if any) not seen
// before from that client while its assertion was valid. Any failure is
// 401 invalid_client (RFC 7521 §4.2.1); a half-sent pair is 400.
func authAssertion(ns *Namespace, st *state, r *http.Request, f *form, now time.Time, kind endpointKind) (caller, *oauthError) {
	c := caller{method: authPrivateKeyJWT, clientID: f.clientID}
	if f.clientAssertion == "" || f.clientAssertionType == "" {
		return c, errInvalidRequest("client_assertion and client_assertion_type go together")
	}
	if f.clientAssertionType != assertionType {
		return c, errClient("unsupported client_assertion_type; want "+assertionType, challengeBasic)
	}
	fail := func(desc string) (caller, *oauthError) {
		return c, errClient("client_assertion: "+desc, challengeBasic)
	}
	if strings.Count(f.clientAssertion, ".") != 2 {
		return fail("not a JWS in compact serialization (want header.payload.signature)")
	}
	jws, err := jose.ParseSignedCompact(f.clientAssertion, assertionSigAlgs)
	if err != nil {
		return fail(assertionParseError(f.clientAssertion, err))
	}
	var cl assertionClaims
	if err := decodeObject(jws.UnsafePayloadWithoutVerification(), &cl); err != nil {
		return fail("malformed claims")
	}
	hdr := jws.Signatures[0].Header
	switch {
	case hdr.ExtraHeaders["crit"] != nil:
		return fail("crit header parameters are not understood")
	case hdr.ExtraHeaders["b64"] != nil:
		// RFC 7797: the payload is always base64url-encoded here.
		return fail("b64 header parameter is not understood")
	case cl.Iss == "":
		return fail("no iss (the client_id)")
	}
	c.clientID = cl.Iss
	switch {
	case cl.Sub != cl.Iss:
		return fail("sub must equal iss (the client_id)")
	case f.clientID != "" && f.clientID != cl.Iss:
		return fail("client_id differs from the assertion's iss")
	}
	client := st.clients[cl.Iss]
	if client == nil || !client.privateKeyJWT() {
		return fail("client may not use private_key_jwt (unknown client_id, no signature key in its jwks, or auth_methods without private_key_jwt)")
	}
	verified := false
	for i := range client.jwt.keys {
		k := &client.jwt.keys[i]
		if keyFits(k, hdr.Algorithm, hdr.KeyID) {
			if _, err := jws.Verify(k.Key); err == nil {
				verified = true
				break
			}
		}
	}
	if !verified {
		return fail("signature does not verify with any " + hdr.Algorithm + " key of the client's jwks")
	}
	issuer := ns.issuer(r, st)
	if !audienceFits(cl.Aud, issuer, kind) {
		return fail("aud must be the issuer (" + issuer + "), the token endpoint URL or this endpoint's URL")
	}
	switch {
	case cl.Exp == nil:
		return fail("no exp")
	case !now.Before(numericDate(*cl.Exp)):
		return fail("expired (exp is not after the server clock's now)")
	case cl.Nbf != nil && now.Before(numericDate(*cl.Nbf)):
		return fail("not yet valid (nbf is after the server clock's now)")
	case cl.Jti != "" && !ns.jtis.use(cl.Iss, cl.Jti, numericDate(*cl.Exp), now):
		return fail("jti already used")
	}
	return allowed(c, client, kind)
}

// assertionSigAlgs are the algs accepted in client assertions, never
// none (RFC 7523 §3 item 9): go-jose refuses any other before a key is
// tried, and the metadata lists them (assertionAlgs).
var assertionSigAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256}

// assertionParseError says what is wrong with a client assertion in
// compact form that go-jose would not parse: an alg the server does not
// accept, or which of its parts is malformed.
func assertionParseError(tok string, err error) string {
	if ua := (*jose.ErrUnexpectedSignatureAlgorithm)(nil); errors.As(err, &ua) && !strings.HasPrefix(tok, ".") {
		if ua.Got == "" || ua.Got == "none" {
			return "unsigned (alg none); sign it with a key of the client's jwks"
		}
		return "unsupported alg " + string(ua.Got) + " (want RS256, PS256 or ES256)"
	}
	header, rest, _ := strings.Cut(tok, ".")
	payload, sig, _ := strings.Cut(rest, ".")
	switch {
	case header == "" || !isBase64URL(header):
		return "malformed header"
	case !isBase64URL(payload):
		return "malformed claims"
	case !isBase64URL(sig):
		return "malformed signature"
	}
	return "malformed header"
}

// isBase64URL reports whether s is unpadded base64url (RFC 7515 §2).
func isBase64URL(s string) bool {
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// decodeObject decodes a JSON object.
func decodeObject(b []byte, v any) error {
	if b = bytes.TrimSpace(b); len(b) == 0 || b[0] != '{' {
		return errors.New("not a JSON object")
	}
	return json.Unmarshal(b, v)
}

// audienceFits reports whether aud (a string or a list) names the issuer,
// the token endpoint URL or the URL of the endpoint kind (docs/conformance.md CA-12).
func audienceFits(aud json.RawMessage, issuer string, kind endpointKind) bool {
	var list []string
	if err := json.Unmarshal(aud, &list); err != nil {
		var one string
		if json.Unmarshal(aud, &one) != nil {
			return false
		}
		list = []string{one}
	}
	base := strings.TrimSuffix(issuer, "/")
	for _, a := range list {
		if a == issuer || a == base+"/token" || a == base+endpointPath(kind) {
			return true
		}
	}
	return false
}

// numericDate converts a JWT NumericDate (RFC 7519 §2), clamped.
func numericDate(f float64) time.Time {
	switch {
	case math.IsNaN(f) || f < -1e15:
		return time.Unix(-1e15, 0)
	case f > 1e15:
		return time.Unix(1e15, 0)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// maxJTIs bounds the jtis a namespace remembers; past it, expired ones
// are dropped, and if none is, all are.
const maxJTIs = 100_000

// jtiCache remembers the jti of each accepted client assertion until its
// exp, so that an assertion cannot be replayed (RFC 7523 §3 item 7). Its
// zero value is ready for use.
type jtiCache struct {
	mu   sync.Mutex           // guards seen
	seen map[string]time.Time // client_id "\x00" jti → exp of the assertion
}

// use records jti of clientID, valid until exp; false if it was already
// used by an assertion still valid at now.
func (j *jtiCache) use(clientID, jti string, exp, now time.Time) bool {
	key := clientID + "\x00" + jti
	j.mu.Lock()
	defer j.mu.Unlock()
	if e, ok := j.seen[key]; ok && now.Before(e) {
		return false
	}
	if j.seen == nil {
		j.seen = make(map[string]time.Time)
	}
	if len(j.seen) >= maxJTIs {
		for k, e := range j.seen {
			if !now.Before(e) {
				delete(j.seen, k)
			}
		}
		if len(j.seen) >= maxJTIs {
			clear(j.seen)
		}
	}
	j.seen[key] = exp
	return true
}
