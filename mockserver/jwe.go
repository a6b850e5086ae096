package mockserver

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"errors"

	"github.com/introspectmock/introspectmock/fixtures"
)

// This file encrypts a signed JWT introspection response to the client's
// RSA key, making a Nested JWT (RFC 9701 §5, RFC 7519 §5.2, SPEC JR-6):
// JWE compact serialization (RFC 7516 §7.1), key encryption RSA-OAEP-256,
// content encryption A128CBC-HS256 or A256GCM (RFC 7518 §4.3, §5.2, §5.3).

// encryptJWE returns the compact JWE of plaintext (a signed JWT) for
// pub: alg RSA-OAEP-256, enc as given ("" is A128CBC-HS256), cty JWT, and
// the recipient key's kid when it has one.
func encryptJWE(plaintext []byte, pub *rsa.PublicKey, kid, enc string) ([]byte, error) {
	if enc == "" {
		enc = fixtures.EncA128CBCHS256
	}
	// A128CBC-HS256: a 16-byte MAC key and a 16-byte AES key; A256GCM: one
	// 32-byte AES key.
	cek := make([]byte, 32)
	if _, err := rand.Read(cek); err != nil {
		return nil, err
	}
	encKey, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, cek, nil)
	if err != nil {
		return nil, err
	}
	h := make([]byte, 0, 96)
	h = append(h, `{"alg":"`+fixtures.AlgRSAOAEP256+`","enc":"`+enc+`","cty":"JWT"`...)
	if kid != "" {
		h = append(appendJSONString(append(h, `,"kid":`...), kid), '}')
	} else {
		h = append(h, '}')
	}
	protected := b64(h)
	// RFC 7516 §5.1 step 14: the AAD is the ASCII of the encoded header.
	aad := []byte(protected)
	var iv, ct, tag []byte
	switch enc {
	case fixtures.EncA128CBCHS256:
		iv = make([]byte, aes.BlockSize)
		if _, err := rand.Read(iv); err != nil {
			return nil, err
		}
		ct, tag, err = sealCBCHS256(cek, iv, plaintext, aad)
	case fixtures.EncA256GCM:
		iv = make([]byte, 12)
		if _, err := rand.Read(iv); err != nil {
			return nil, err
		}
		var block cipher.Block
		var gcm cipher.AEAD
		if block, err = aes.NewCipher(cek); err == nil {
			if gcm, err = cipher.NewGCM(block); err == nil {
				out := gcm.Seal(nil, iv, plaintext, aad)
				ct, tag = out[:len(out)-gcm.Overhead()], out[len(out)-gcm.Overhead():]
			}
		}
	default:
		return nil, errors.New("unsupported enc " + enc)
	}
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(protected)+4+(len(encKey)+len(iv)+len(ct)+len(tag))*4/3+8)
	out = append(out, protected...)
	for _, part := range [][]byte{encKey, iv, ct, tag} {
		out = append(out, '.')
		out = append(out, b64(part)...)
	}
	return out, nil
}

// sealCBCHS256 is AES_128_CBC_HMAC_SHA_256 of RFC 7518 §5.2.2.1: key is
// MAC_KEY (16 bytes) || ENC_KEY (16 bytes); the plaintext is PKCS #7
// padded; the tag is the first half of HMAC-SHA-256(MAC_KEY, A || IV || E
// || AL), AL being the bit length of A as a 64-bit big-endian integer.
func sealCBCHS256(key, iv, plaintext, aad []byte) (ciphertext, tag []byte, _ error) {
	macKey, encKey := key[:16], key[16:]
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, nil, err
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	ciphertext = make([]byte, len(plaintext)+pad)
	copy(ciphertext, plaintext)
	for i := len(plaintext); i < len(ciphertext); i++ {
		ciphertext[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ciphertext, ciphertext)
	mac := hmac.New(sha256.New, macKey)
	mac.Write(aad)
	mac.Write(iv)
	mac.Write(ciphertext)
	var al [8]byte
	binary.BigEndian.PutUint64(al[:], uint64(len(aad))*8)
	mac.Write(al[:])
	return ciphertext, mac.Sum(nil)[:16], nil
}
