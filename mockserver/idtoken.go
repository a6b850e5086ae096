package mockserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
)

// This file makes and reads OpenID Connect ID Tokens (OpenID Connect Core
// §2, §3.1.3.6): RS256 JWTs signed with the server's key, whose kid is at
// jwks_uri.

// isIDTokenMember reports whether name is a member the server sets in ID
// Tokens and userinfo answers, which a user's claims may not shadow.
func isIDTokenMember(name string) bool {
	switch name {
	case "nonce", "auth_time", "at_hash", "c_hash", "azp", "acr", "amr", "sid":
		return true
	}
	return false
}

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
	header := appendJSONString([]byte(`{"alg":"RS256","typ":"JWT","kid":`), k.kid)
	header = append(header, '}')
	input := b64(header) + "." + b64(payload)
	sig, err := signJWS(fixtures.AlgRS256, k.key, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
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
	parts := bytes.Split([]byte(tok), []byte("."))
	if len(parts) != 3 {
		return "", "", errors.New("not a JWS in compact serialization")
	}
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(string(parts[0]))
	pb, err2 := base64.RawURLEncoding.DecodeString(string(parts[1]))
	sig, err3 := base64.RawURLEncoding.DecodeString(string(parts[2]))
	if err := errors.Join(err1, err2, err3); err != nil || json.Unmarshal(hb, &h) != nil {
		return "", "", errors.New("malformed JWS")
	}
	input := tok[:len(parts[0])+1+len(parts[1])]
	if h.Alg != fixtures.AlgRS256 || h.Kid != k.kid || !verifyJWS(h.Alg, &k.key.PublicKey, []byte(input), sig) {
		return "", "", errors.New("not signed by this server")
	}
	var p struct {
		Sub string `json:"sub"`
		Aud any    `json:"aud"`
	}
	if json.Unmarshal(pb, &p) != nil || p.Sub == "" {
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
