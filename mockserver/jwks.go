package mockserver

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
)

// signingKey is a Server's RSA key, served at jwks_uri (SPEC MD-8), that
// signs JWT introspection responses (SPEC JR-2). jwks_uri lists it twice,
// once per alg, so that clients that match a JWS's alg with the JWK's
// (oauth4webapi, jose) find it for PS256 too.
type signingKey struct {
	key   *rsa.PrivateKey
	kid   string // RFC 7638 thumbprint, base64url: the RS256 entry
	psKid string // kid + "-PS256": the PS256 entry
	jwks  []byte // {"keys":[…]}
}

// signingKey returns the server's key, generating it on first use: 2048-bit
// generation is slow, so servers that never serve /jwks never pay for it.
func (s *Server) signingKey() (*signingKey, error) {
	s.keyOnce.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			s.keyErr = fmt.Errorf("generate RSA key: %w", err)
			return
		}
		n := b64(key.N.Bytes())
		e := b64(big.NewInt(int64(key.E)).Bytes())
		// RFC 7638 §3.2: required members, lexicographic order, no spaces.
		sum := sha256.Sum256([]byte(`{"e":"` + e + `","kty":"RSA","n":"` + n + `"}`))
		kid := b64(sum[:])
		psKid := kid + "-PS256"
		s.key = &signingKey{
			key:   key,
			kid:   kid,
			psKid: psKid,
			jwks: []byte(`{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"` + kid + `","n":"` + n + `","e":"` + e + `"},` +
				`{"kty":"RSA","use":"sig","alg":"PS256","kid":"` + psKid + `","n":"` + n + `","e":"` + e + `"}]}`),
		}
	})
	return s.key, s.keyErr
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// handleJWKS handles the "GET /jwks" route: the JWK Set of jwks_uri.
func (s *Server) handleJWKS(_ *Namespace, w http.ResponseWriter, r *http.Request, c *call) {
	k, err := s.signingKey()
	if err != nil {
		s.cfg.logger.ErrorContext(r.Context(), "jwks", "err", err)
		s.writeError(w, c, &oauthError{status: http.StatusInternalServerError, code: "server_error"})
		return
	}
	s.writeJSON(w, c, http.StatusOK, k.jwks, false)
}
