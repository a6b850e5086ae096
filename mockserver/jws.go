package mockserver

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"math/big"

	"github.com/introspectmock/introspectmock/fixtures"
)

// This file holds the JWS (RFC 7515) primitives of JWT introspection
// responses (signing, RFC 9701) and private_key_jwt assertions
// (verification, RFC 7523), with the algorithms of RFC 7518 §3 the server
// supports: RS256, PS256 and ES256.

// signJWS signs a JWS signing input (base64url(header) "." base64url(payload))
// with key under alg, RS256 or PS256.
func signJWS(alg string, key *rsa.PrivateKey, input []byte) ([]byte, error) {
	sum := sha256.Sum256(input)
	switch alg {
	case fixtures.AlgRS256:
		return rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	case fixtures.AlgPS256:
		// RFC 7518 §3.5: the salt is as long as the hash.
		return rsa.SignPSS(rand.Reader, key, crypto.SHA256, sum[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	}
	return nil, errors.New("unsupported signing alg " + alg)
}

// verifyJWS reports whether sig is a valid alg signature of input by key.
// ES256 signatures are the 64-byte r||s of RFC 7518 §3.4, never ASN.1.
func verifyJWS(alg string, key any, input, sig []byte) bool {
	sum := sha256.Sum256(input)
	switch k := key.(type) {
	case *rsa.PublicKey:
		switch alg {
		case fixtures.AlgRS256:
			return rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig) == nil
		case fixtures.AlgPS256:
			return rsa.VerifyPSS(k, crypto.SHA256, sum[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
		}
	case *ecdsa.PublicKey:
		if alg != fixtures.AlgES256 || len(sig) != 64 {
			return false
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(k, sum[:], r, s)
	}
	return false
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
