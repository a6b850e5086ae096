package mockserver_test

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http/httptest"
	"strings"
	"testing"
)

// This file holds the JOSE test helpers, on the standard library only: a
// JWT introspection response is checked the way a resource server would,
// with the key fetched from jwks_uri.

var b64 = base64.RawURLEncoding

// serverKey is an entry of the server's JWK Set.
type serverKey struct {
	Alg string
	Key *rsa.PublicKey
}

// fetchJWKS reads the server's jwks_uri keys by kid.
func fetchJWKS(t *testing.T, ts *httptest.Server) map[string]serverKey {
	t.Helper()
	var set struct {
		Keys []struct{ Kty, Kid, Alg, Use, N, E string } `json:"keys"`
	}
	decodeJSON(t, do(t, ts, req{method: "GET", path: "/jwks"}).body, &set)
	keys := make(map[string]serverKey)
	for _, k := range set.Keys {
		n, err1 := b64.DecodeString(k.N)
		e, err2 := b64.DecodeString(k.E)
		if k.Kty != "RSA" || k.Use != "sig" || err1 != nil || err2 != nil {
			t.Fatalf("jwks key %+v", k)
		}
		keys[k.Kid] = serverKey{Alg: k.Alg, Key: &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}}
	}
	return keys
}

// jwtHeader is the JOSE header of a JWS or JWE.
type jwtHeader struct {
	Typ, Alg, Kid, Enc, Cty string
}

// verifyResponseJWT checks a JWT introspection response as RFC 9701 §5
// asks a resource server to: three base64url parts, typ
// token-introspection+jwt, alg wantAlg, a kid found at jwks_uri for that
// alg, a valid signature. It returns the claims, raw.
func verifyResponseJWT(t *testing.T, ts *httptest.Server, tok, wantAlg string) map[string]json.RawMessage {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT %q has %d parts; want 3", tok, len(parts))
	}
	var h jwtHeader
	decodeSeg(t, parts[0], &h)
	if h.Typ != "token-introspection+jwt" || h.Alg != wantAlg || h.Kid == "" {
		t.Errorf("header = %+v; want typ token-introspection+jwt, alg %s, a kid", h, wantAlg)
	}
	key, ok := fetchJWKS(t, ts)[h.Kid]
	if !ok || key.Alg != wantAlg {
		t.Fatalf("kid %q: jwks_uri entry %+v; want one for %s", h.Kid, key, wantAlg)
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch wantAlg {
	case "RS256":
		err = rsa.VerifyPKCS1v15(key.Key, crypto.SHA256, sum[:], sig)
	case "PS256":
		err = rsa.VerifyPSS(key.Key, crypto.SHA256, sum[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	}
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	var claims map[string]json.RawMessage
	decodeSeg(t, parts[1], &claims)
	return claims
}

func decodeSeg(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := b64.DecodeString(seg)
	if err != nil {
		t.Fatalf("segment %q: %v", seg, err)
	}
	decodeJSON(t, string(b), v)
}

// decryptJWE opens a compact JWE encrypted with RSA-OAEP-256 to key, with
// A128CBC-HS256 or A256GCM (RFC 7516 §5.2, RFC 7518 §5.2.2.2), checking
// the tag over the protected header.
func decryptJWE(t *testing.T, tok string, key *rsa.PrivateKey) (jwtHeader, []byte) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 5 {
		t.Fatalf("JWE has %d parts; want 5", len(parts))
	}
	var h jwtHeader
	decodeSeg(t, parts[0], &h)
	seg := make([][]byte, 5)
	for i := 1; i < 5; i++ {
		var err error
		if seg[i], err = b64.DecodeString(parts[i]); err != nil {
			t.Fatal(err)
		}
	}
	if h.Alg != "RSA-OAEP-256" {
		t.Fatalf("JWE alg %q; want RSA-OAEP-256", h.Alg)
	}
	cek, err := rsa.DecryptOAEP(sha256.New(), nil, key, seg[1], nil)
	if err != nil {
		t.Fatalf("key decryption: %v", err)
	}
	iv, ct, tag, aad := seg[2], seg[3], seg[4], []byte(parts[0])
	switch h.Enc {
	case "A128CBC-HS256":
		if len(cek) != 32 || len(iv) != 16 || len(tag) != 16 {
			t.Fatalf("cek %d, iv %d, tag %d bytes; want 32, 16, 16", len(cek), len(iv), len(tag))
		}
		pt, err := openCBCHS256(cek, iv, ct, tag, aad)
		if err != nil {
			t.Fatalf("A128CBC-HS256: %v", err)
		}
		return h, pt
	case "A256GCM":
		block, _ := aes.NewCipher(cek)
		gcm, _ := cipher.NewGCM(block)
		pt, err := gcm.Open(nil, iv, append(ct, tag...), aad)
		if err != nil {
			t.Fatalf("A256GCM: %v", err)
		}
		return h, pt
	}
	t.Fatalf("JWE enc %q", h.Enc)
	return h, nil
}

// openCBCHS256 opens AES_128_CBC_HMAC_SHA_256 of RFC 7518 §5.2.2.2: cek
// is MAC_KEY (16 bytes) || ENC_KEY (16 bytes); the tag is the first half
// of HMAC-SHA-256(MAC_KEY, A || IV || E || AL), AL being the bit length of
// A as a 64-bit big-endian integer; the plaintext is PKCS #7 padded.
func openCBCHS256(cek, iv, ct, tag, aad []byte) ([]byte, error) {
	mac := hmac.New(sha256.New, cek[:16])
	mac.Write(aad)
	mac.Write(iv)
	mac.Write(ct)
	_ = binary.Write(mac, binary.BigEndian, uint64(len(aad))*8)
	if !hmac.Equal(mac.Sum(nil)[:16], tag) {
		return nil, errors.New("tag does not verify")
	}
	block, err := aes.NewCipher(cek[16:])
	if err != nil {
		return nil, err
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("ciphertext of %d bytes", len(ct))
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(pt, ct)
	pad := int(pt[len(pt)-1])
	if pad < 1 || pad > aes.BlockSize {
		return nil, fmt.Errorf("bad padding %d", pad)
	}
	return pt[:len(pt)-pad], nil
}

// TestOpenCBCHS256Vector checks the test's own A128CBC-HS256 decryption,
// which every encrypted answer is checked with, against the worked example
// of RFC 7516 Appendix A.2.4–A.2.6: the ciphertext and tag of "Live long
// and prosper." under its CEK and IV, with its protected header as AAD.
func TestOpenCBCHS256Vector(t *testing.T) {
	cek := []byte{
		4, 211, 31, 197, 84, 157, 252, 254, 11, 100, 157, 250, 63, 170, 106, 206,
		107, 124, 212, 45, 111, 107, 9, 219, 200, 177, 0, 240, 143, 156, 44, 207}
	iv := []byte{3, 22, 60, 12, 43, 67, 104, 105, 108, 108, 105, 99, 111, 116, 104, 101}
	aad := []byte(b64.EncodeToString([]byte(`{"alg":"RSA1_5","enc":"A128CBC-HS256"}`)))
	if string(aad) != "eyJhbGciOiJSU0ExXzUiLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0" {
		t.Fatalf("AAD = %s", aad)
	}
	ct := []byte{
		40, 57, 83, 181, 119, 33, 133, 148, 198, 185, 243, 24, 152, 230, 6,
		75, 129, 223, 127, 19, 210, 82, 183, 230, 168, 33, 215, 104, 143,
		112, 56, 102}
	tag := []byte{246, 17, 244, 190, 4, 95, 98, 3, 231, 0, 115, 157, 242, 203, 100, 191}

	pt, err := openCBCHS256(cek, iv, ct, tag, aad)
	if err != nil || string(pt) != "Live long and prosper." {
		t.Errorf("open = %q, %v; want %q", pt, err, "Live long and prosper.")
	}
	tag[0] ^= 1
	if _, err := openCBCHS256(cek, iv, ct, tag, aad); err == nil {
		t.Error("a changed tag verifies")
	}
}

// signAssertion makes a compact JWS of claims with header alg and kid
// ("" for none), signed by key (*rsa.PrivateKey or *ecdsa.PrivateKey).
func signAssertion(t *testing.T, alg, kid string, key crypto.Signer, claims map[string]any) string {
	t.Helper()
	h := map[string]any{"alg": alg, "typ": "JWT"}
	if kid != "" {
		h["kid"] = kid
	}
	return signJWSHeader(t, h, key, claims)
}

// signJWSHeader makes a compact JWS of claims with header h, signed by key
// under h's alg (RS256, PS256 or ES256; none leaves the signature empty).
func signJWSHeader(t *testing.T, h map[string]any, key crypto.Signer, claims map[string]any) string {
	t.Helper()
	alg, _ := h["alg"].(string)
	hb, _ := json.Marshal(h)
	cb, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := b64.EncodeToString(hb) + "." + b64.EncodeToString(cb)
	sum := sha256.Sum256([]byte(input))
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if alg == "PS256" {
			sig, err = rsa.SignPSS(rand.Reader, k, crypto.SHA256, sum[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
		}
	case *ecdsa.PrivateKey:
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, k, sum[:])
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	}
	if err != nil {
		t.Fatal(err)
	}
	if alg == "none" {
		sig = nil
	}
	return input + "." + b64.EncodeToString(sig)
}
