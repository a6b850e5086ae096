package mockserver

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/introspectmock/introspectmock/fixtures"
)

// Kinds of broken JWT introspection answers (RFC 9701), for Fault.JWT:
// each fails exactly one check a resource server that asks for JWT
// answers must make, every other part of the answer staying right (the
// same token_introspection, signed by the server key at jwks_uri under
// the client's alg, encrypted when the client asks so). A JWT fault on
// an introspection that did not ask for a JWT plays the normal JSON
// answer.
const (
	// JWTBadSignature keeps the header and claims and breaks the
	// signature: the check of the signature against jwks_uri fails.
	JWTBadSignature = fixtures.JWTBadSignature
	// JWTUnknownKid is signed by a key jwks_uri does not list, under that
	// key's kid (its RFC 7638 thumbprint): finding the key fails.
	JWTUnknownKid = fixtures.JWTUnknownKid
	// JWTWrongTyp has typ JWT instead of token-introspection+jwt, which
	// RFC 9701 §5 says to check, against token substitution.
	JWTWrongTyp = fixtures.JWTWrongTyp
	// JWTWrongIss has iss https://wrong-issuer.invalid.
	JWTWrongIss = fixtures.JWTWrongIss
	// JWTWrongAud has aud "not-" + the caller's client_id: an answer meant
	// for another client.
	JWTWrongAud = fixtures.JWTWrongAud
	// JWTStaleIat has iat an hour before now: a replayed answer.
	JWTStaleIat = fixtures.JWTStaleIat
	// JWTAlgNone is unsigned (RFC 7519 §6): alg none, the usual kid and
	// typ, an empty signature. A client must never accept it.
	JWTAlgNone = fixtures.JWTAlgNone
	// JWTPlainJSON is the normal JSON answer, Content-Type
	// application/json, where a JWT was asked for: a client that asked for
	// a JWT must not fall back to trusting JSON.
	JWTPlainJSON = fixtures.JWTPlainJSON
)

// wrongIssuer is the iss of a JWTWrongIss answer.
const wrongIssuer = "https://wrong-issuer.invalid"

// brokenJWT signs the claims of an answer for jt at now, broken as kind
// says (not JWTPlainJSON, which is no JWT); signer is what would sign it
// unbroken.
func (s *Server) brokenJWT(k *signingKey, signer *jwsSigner, jt jwtTarget, now time.Time, answer []byte, kind string) ([]byte, error) {
	switch kind {
	case JWTWrongIss:
		jt.issuer = wrongIssuer
	case JWTWrongAud:
		jt.aud = "not-" + jt.aud
	case JWTStaleIat:
		now = now.Add(-time.Hour)
	}
	claims := introspectionClaims(&jt, now, answer)
	switch kind {
	case JWTAlgNone:
		header := fmt.Sprintf(`{"alg":"none","kid":%q,"typ":%q}`, signer.kid, jwtResponseTyp)
		return []byte(b64([]byte(header)) + "." + b64(claims) + "."), nil
	case JWTWrongTyp:
		other, err := newJWSSigner(k.key, signer.alg, signer.kid, "JWT")
		if err != nil {
			return nil, err
		}
		return other.sign(claims)
	case JWTUnknownKid:
		key, err := s.strangerKey()
		if err != nil {
			return nil, err
		}
		pub := jose.JSONWebKey{Key: &key.PublicKey}
		sum, err := pub.Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, err
		}
		other, err := newJWSSigner(key, signer.alg, b64(sum), jwtResponseTyp)
		if err != nil {
			return nil, err
		}
		return other.sign(claims)
	}
	tok, err := signer.sign(claims)
	if err != nil || kind != JWTBadSignature {
		return tok, err
	}
	return breakSignature(tok)
}

// breakSignature flips one bit of a compact JWS's signature: the header
// and claims stay, the signature no longer verifies.
func breakSignature(tok []byte) ([]byte, error) {
	i := bytes.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(string(tok[i+1:]))
	if err != nil || len(sig) == 0 {
		return nil, fmt.Errorf("break signature: %v", err)
	}
	sig[len(sig)/2] ^= 0x01
	return append(tok[:i+1:i+1], b64(sig)...), nil
}

// strangerKey returns the key JWTUnknownKid answers are signed with,
// generating it on first use: a key of no JWK Set the server serves.
func (s *Server) strangerKey() (*rsa.PrivateKey, error) {
	s.strangerOnce.Do(func() {
		s.stranger, s.strangerErr = rsa.GenerateKey(rand.Reader, 2048)
	})
	return s.stranger, s.strangerErr
}
