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
		mac := hmac.New(sha256.New, cek[:16])
		mac.Write(aad)
		mac.Write(iv)
		mac.Write(ct)
		_ = binary.Write(mac, binary.BigEndian, uint64(len(aad))*8)
		if !hmac.Equal(mac.Sum(nil)[:16], tag) {
			t.Fatal("A128CBC-HS256 tag does not verify")
		}
		block, _ := aes.NewCipher(cek[16:])
		pt := make([]byte, len(ct))
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(pt, ct)
		pad := int(pt[len(pt)-1])
		if pad < 1 || pad > 16 {
			t.Fatalf("bad padding %d", pad)
		}
		return h, pt[:len(pt)-pad]
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

// signAssertion makes a compact JWS of claims with header alg and kid
// ("" for none), signed by key (*rsa.PrivateKey or *ecdsa.PrivateKey).
func signAssertion(t *testing.T, alg, kid string, key crypto.Signer, claims map[string]any) string {
	t.Helper()
	h := map[string]string{"alg": alg, "typ": "JWT"}
	if kid != "" {
		h["kid"] = kid
	}
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
