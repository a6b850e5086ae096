package mockserver

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/introspectmock/introspectmock/fixtures"
)

// signingKey is a Server's RSA key, served at jwks_uri (RFC 8414 §2), that
// signs JWT introspection responses (RFC 9701 §5). jwks_uri lists it twice,
// once per alg, so that clients that match a JWS's alg with the JWK's
// (oauth4webapi, jose) find it for PS256 too.
type signingKey struct {
	key *rsa.PrivateKey
	// rs and ps sign introspection responses: RS256 under kid, the key's
	// RFC 7638 thumbprint, and PS256 under kid + "-PS256".
	rs, ps *jwsSigner
	// id signs OpenID Connect ID Tokens: RS256 under the rs kid, typ JWT.
	id   *jwsSigner
	jwks []byte // {"keys":[…]}
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
		if s.key, err = newSigningKey(key); err != nil {
			s.keyErr = fmt.Errorf("server signing key: %w", err)
		}
	})
	return s.key, s.keyErr
}

// newSigningKey makes the signers and the JWK Set of key.
func newSigningKey(key *rsa.PrivateKey) (*signingKey, error) {
	pub := jose.JSONWebKey{Key: &key.PublicKey, Use: "sig", Algorithm: fixtures.AlgRS256}
	sum, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	pub.KeyID = b64(sum)
	ps := pub
	ps.KeyID, ps.Algorithm = pub.KeyID+"-PS256", fixtures.AlgPS256
	k := &signingKey{key: key}
	if k.rs, err = newJWSSigner(key, fixtures.AlgRS256, pub.KeyID, jwtResponseTyp); err != nil {
		return nil, err
	}
	if k.ps, err = newJWSSigner(key, fixtures.AlgPS256, ps.KeyID, jwtResponseTyp); err != nil {
		return nil, err
	}
	if k.id, err = newJWSSigner(key, fixtures.AlgRS256, pub.KeyID, "JWT"); err != nil {
		return nil, err
	}
	if k.jwks, err = json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub, ps}}); err != nil {
		return nil, err
	}
	return k, nil
}

// responseSigner returns the signer of a client's JWT introspection
// responses: PS256 if it asked for it, else RS256.
func (k *signingKey) responseSigner(c *client) *jwsSigner {
	if c != nil && c.jwt != nil && c.jwt.signAlg == fixtures.AlgPS256 {
		return k.ps
	}
	return k.rs
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
