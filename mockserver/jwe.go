package mockserver

import (
	"crypto/rsa"
	"errors"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/introspectmock/introspectmock/fixtures"
)

// This file encrypts a signed JWT introspection response to the client's
// RSA key, making a Nested JWT (RFC 9701 §5, RFC 7519 §5.2), on go-jose:
// JWE compact serialization (RFC 7516 §7.1), key encryption RSA-OAEP-256,
// content encryption A128CBC-HS256 or A256GCM (RFC 7518 §4.3, §5.2, §5.3).

// encryptJWE returns the compact JWE of plaintext (a signed JWT) for
// pub: alg RSA-OAEP-256, enc as given ("" is A128CBC-HS256), cty JWT, and
// the recipient key's kid when it has one.
func encryptJWE(plaintext []byte, pub *rsa.PublicKey, kid, enc string) ([]byte, error) {
	switch enc {
	case "":
		enc = fixtures.EncA128CBCHS256
	case fixtures.EncA128CBCHS256, fixtures.EncA256GCM:
	default:
		return nil, errors.New("unsupported enc " + enc)
	}
	e, err := jose.NewEncrypter(jose.ContentEncryption(enc),
		jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: pub, KeyID: kid},
		(&jose.EncrypterOptions{}).WithContentType("JWT"))
	if err != nil {
		return nil, err
	}
	obj, err := e.Encrypt(plaintext)
	if err != nil {
		return nil, err
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		return nil, err
	}
	return []byte(tok), nil
}

// encryptResponse encrypts a signed JWT introspection response for c as
// its introspection_encrypted_response_* settings ask; it returns tok
// unchanged for a client that asks for none.
func (c *client) encryptResponse(tok []byte) ([]byte, error) {
	if c == nil || c.jwt == nil || c.jwt.encKey == nil {
		return tok, nil
	}
	return encryptJWE(tok, c.jwt.encKey, c.jwt.encKid, c.jwt.enc)
}
