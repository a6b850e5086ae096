package mockserver

import (
	"bytes"
	"testing"
)

// TestSealCBCHS256Vector checks AES_128_CBC_HMAC_SHA_256 against the
// worked example of RFC 7516 Appendix A.2.4–A.2.6 (SPEC JR-6): the
// ciphertext and tag of "Live long and prosper." under its CEK and IV,
// with its protected header as AAD.
func TestSealCBCHS256Vector(t *testing.T) {
	cek := []byte{
		4, 211, 31, 197, 84, 157, 252, 254, 11, 100, 157, 250, 63, 170, 106, 206,
		107, 124, 212, 45, 111, 107, 9, 219, 200, 177, 0, 240, 143, 156, 44, 207}
	iv := []byte{3, 22, 60, 12, 43, 67, 104, 105, 108, 108, 105, 99, 111, 116, 104, 101}
	aad := []byte(b64([]byte(`{"alg":"RSA1_5","enc":"A128CBC-HS256"}`)))
	if string(aad) != "eyJhbGciOiJSU0ExXzUiLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0" {
		t.Fatalf("AAD = %s", aad)
	}
	wantCT := []byte{
		40, 57, 83, 181, 119, 33, 133, 148, 198, 185, 243, 24, 152, 230, 6,
		75, 129, 223, 127, 19, 210, 82, 183, 230, 168, 33, 215, 104, 143,
		112, 56, 102}
	wantTag := []byte{246, 17, 244, 190, 4, 95, 98, 3, 231, 0, 115, 157, 242, 203, 100, 191}

	ct, tag, err := sealCBCHS256(cek, iv, []byte("Live long and prosper."), aad)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ct, wantCT) {
		t.Errorf("ciphertext = %v\nwant %v", ct, wantCT)
	}
	if !bytes.Equal(tag, wantTag) {
		t.Errorf("tag = %v\nwant %v", tag, wantTag)
	}
}
