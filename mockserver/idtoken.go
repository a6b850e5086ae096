package mockserver

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"maps"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// This file makes and reads OpenID Connect ID Tokens (OpenID Connect Core
// §2, §3.1.3.6): RS256 JWTs signed with the server's key (jwks.go, on
// go-jose), whose kid is at jwks_uri.

// idToken signs the ID Token of grant g for the access token issued at
// iat, valid for lifetime seconds.
func (s *Server) idToken(issuer string, g *grantInfo, access string, iat time.Time, lifetime int64) (string, error) {
	k, err := s.signingKey()
	if err != nil {
		return "", err
	}
	claims := userClaims(g)
	claims["iss"] = issuer
	claims["aud"] = g.client.id
	claims["azp"] = g.client.id
	claims["iat"] = iat.Unix()
	claims["exp"] = iat.Unix() + lifetime
	claims["auth_time"] = g.authTime.Unix()
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	// at_hash: the left half of SHA-256 of the access token (Core §3.1.3.6).
	sum := sha256.Sum256([]byte(access))
	claims["at_hash"] = b64(sum[:len(sum)/2])
	payload, err := marshalJSON(claims)
	if err != nil {
		return "", err
	}
	tok, err := k.id.sign(payload)
	return string(tok), err
}

// userClaims returns the members userinfo answers for grant g: sub,
// preferred_username (the username) and the login's claims.
func userClaims(g *grantInfo) map[string]any {
	claims := make(map[string]any, len(g.claims)+8)
	maps.Copy(claims, g.claims)
	if _, ok := claims["preferred_username"]; !ok && g.user.username != "" {
		claims["preferred_username"] = g.user.username
	}
	claims["sub"] = g.user.sub
	return claims
}

// readIDToken checks that tok is an ID Token this server signed and
// returns its sub and aud; an expired one is fine (RP-Initiated Logout
// §2 asks servers to accept them as id_token_hint).
func (s *Server) readIDToken(tok string) (sub, aud string, err error) {
	k, err := s.signingKey()
	if err != nil {
		return "", "", err
	}
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return "", "", errors.New("not a JWS in compact serialization")
	}
	if len(jws.Signatures) != 1 || jws.Signatures[0].Header.KeyID != k.id.kid {
		return "", "", errors.New("not signed by this server")
	}
	payload, err := jws.Verify(&k.key.PublicKey)
	if err != nil {
		return "", "", errors.New("not signed by this server")
	}
	var p struct {
		Sub string `json:"sub"`
		Aud any    `json:"aud"`
	}
	if json.Unmarshal(payload, &p) != nil || p.Sub == "" {
		return "", "", errors.New("no sub")
	}
	switch a := p.Aud.(type) {
	case string:
		aud = a
	case []any:
		if len(a) == 1 {
			aud, _ = a[0].(string)
		}
	}
	return p.Sub, aud, nil
}
