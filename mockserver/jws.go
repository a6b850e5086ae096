package mockserver

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/introspectmock/introspectmock/fixtures"
)

// This file holds the JWS (RFC 7515) side of JWT introspection responses
// (signing, RFC 9701) and private_key_jwt assertions (verification, RFC
// 7523), on go-jose. The algorithms of RFC 7518 §3 the server supports are
// RS256, PS256 and ES256; which of them it accepts where is decided here
// and in clientassertion.go, not by the library.

// jwsSigner signs JWS compact serializations with one key under one alg,
// the protected header carrying kid and typ. It is safe for concurrent
// use. Every well-formed JWS the server makes goes through one:
// introspection responses (signingKey.responseSigner, then
// client.encryptResponse), ID Tokens (signingKey.id). An answer broken on
// purpose signs its own claims with newJWSSigner (another kid, typ or
// key) or, for what go-jose will not make, assembles the JWS by hand.
type jwsSigner struct {
	alg    string
	kid    string
	signer jose.Signer
}

// newJWSSigner returns a signer for key under alg with header parameters
// kid and typ ("" leaves either out).
func newJWSSigner(key crypto.Signer, alg, kid, typ string) (*jwsSigner, error) {
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: key, KeyID: kid}}, opts)
	if err != nil {
		return nil, err
	}
	return &jwsSigner{alg: alg, kid: kid, signer: s}, nil
}

// sign returns the compact JWS of payload (RFC 7515 §7.1).
func (s *jwsSigner) sign(payload []byte) ([]byte, error) {
	obj, err := s.signer.Sign(payload)
	if err != nil {
		return nil, err
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		return nil, err
	}
	return []byte(tok), nil
}

// keyFits reports whether a client key may verify a JWS with header alg
// and kid: a signature key (use sig or none) of alg's type whose alg, if
// set, is alg, and whose kid, if both have one, is kid.
func keyFits(k *fixtures.JWK, alg, kid string) bool {
	if k.Use == "enc" || (k.Alg != "" && k.Alg != alg) || (kid != "" && k.KeyID != "" && k.KeyID != kid) {
		return false
	}
	switch k.Key.(type) {
	case *rsa.PublicKey:
		return alg == fixtures.AlgRS256 || alg == fixtures.AlgPS256
	case *ecdsa.PublicKey:
		return alg == fixtures.AlgES256
	}
	return false
}
