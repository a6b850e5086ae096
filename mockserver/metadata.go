package mockserver

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// metadata is the RFC 8414 §2 authorization server metadata, members in
// the RFC's order. Only what works is listed (docs/conformance.md MD-5, MD-6); empty lists
// are omitted (docs/conformance.md MD-7) except response_types_supported (docs/conformance.md MD-10).
type metadata struct {
	Issuer                        string   `json:"issuer"`
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	JWKSURI                       string   `json:"jwks_uri"`
	ResponseTypesSupported        []string `json:"response_types_supported"`
	ResponseModesSupported        []string `json:"response_modes_supported"`
	GrantTypesSupported           []string `json:"grant_types_supported"`
	TokenEndpointAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgs  []string `json:"token_endpoint_auth_signing_alg_values_supported,omitempty"`
	RevocationEndpoint            string   `json:"revocation_endpoint"`
	RevocationEndpointAuthMethods []string `json:"revocation_endpoint_auth_methods_supported"`
	// The *AuthSigningAlgs lists go with private_key_jwt (docs/conformance.md MD-6).
	RevocationEndpointAuthSigningAlgs    []string `json:"revocation_endpoint_auth_signing_alg_values_supported,omitempty"`
	IntrospectionEndpoint                string   `json:"introspection_endpoint"`
	IntrospectionEndpointAuthMethods     []string `json:"introspection_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthSigningAlgs []string `json:"introspection_endpoint_auth_signing_alg_values_supported,omitempty"`
	// RFC 9701 §7, when JWT introspection responses are on (docs/conformance.md JR-8).
	IntrospectionSigningAlgs    []string `json:"introspection_signing_alg_values_supported,omitempty"`
	IntrospectionEncryptionAlgs []string `json:"introspection_encryption_alg_values_supported,omitempty"`
	IntrospectionEncryptionEncs []string `json:"introspection_encryption_enc_values_supported,omitempty"`
	// SubjectTypesSupported and IDTokenSigningAlgs are set in
	// openid-configuration only (docs/conformance.md MD-10).
	SubjectTypesSupported []string `json:"subject_types_supported,omitempty"`
	IDTokenSigningAlgs    []string `json:"id_token_signing_alg_values_supported,omitempty"`
	// PKCE (RFC 7636 §6.2), the iss authorization response parameter
	// (RFC 9207 §3), userinfo (OpenID Connect Discovery §3, registered for
	// RFC 8414 documents by its §7.1.2) and RP-initiated logout
	// (RP-Initiated Logout §3.1): in both documents, like the endpoints.
	CodeChallengeMethods []string `json:"code_challenge_methods_supported"`
	AuthorizationRespIss bool     `json:"authorization_response_iss_parameter_supported"`
	UserinfoEndpoint     string   `json:"userinfo_endpoint,omitempty"`
	EndSessionEndpoint   string   `json:"end_session_endpoint,omitempty"`
}

// newMetadata describes the namespace for issuer. Endpoints are built from
// the issuer (docs/conformance.md MD-4): with a configured issuer whose host is not this
// server they are not reachable here, which is the configurer's intent.
func newMetadata(st *state, issuer string, openid bool) *metadata {
	base := strings.TrimSuffix(issuer, "/")
	m := &metadata{
		Issuer:                   issuer,
		AuthorizationEndpoint:    base + "/authorize",
		TokenEndpoint:            base + "/token",
		JWKSURI:                  base + "/jwks",
		ResponseTypesSupported:   []string{"code"},
		ResponseModesSupported:   []string{"query"},
		GrantTypesSupported:      []string{"authorization_code", "refresh_token", "client_credentials"},
		TokenEndpointAuthMethods: []string{"client_secret_basic", "client_secret_post"},
		CodeChallengeMethods:     []string{"S256"},
		AuthorizationRespIss:     true,
		UserinfoEndpoint:         base + "/userinfo",
		EndSessionEndpoint:       base + "/logout",
		RevocationEndpoint:       base + "/revoke",
		// "Bearer" is from the OAuth Access Token Types registry, which
		// RFC 8414 §2 allows in these two lists.
		RevocationEndpointAuthMethods:    []string{"client_secret_basic", "client_secret_post", "Bearer"},
		IntrospectionEndpoint:            base + "/introspect",
		IntrospectionEndpointAuthMethods: []string{"client_secret_basic", "client_secret_post", "Bearer"},
	}
	if st.allowAnonymous {
		m.IntrospectionEndpointAuthMethods = append(m.IntrospectionEndpointAuthMethods, "none")
	}
	if st.allowAnonymous || st.hasPublic {
		m.RevocationEndpointAuthMethods = append(m.RevocationEndpointAuthMethods, "none")
	}
	if st.hasPublic {
		m.TokenEndpointAuthMethods = append(m.TokenEndpointAuthMethods, "none")
	}
	if openid {
		// OIDC Discovery §3 requires both; RS256 is the jwks_uri key's alg
		// (docs/conformance.md MD-8), which always exists. OpenID clients such as Ruby's
		// openid_connect reject a document without them.
		m.SubjectTypesSupported = []string{"public"}
		m.IDTokenSigningAlgs = []string{"RS256"}
	}
	return m
}

// handleMetadata handles the "GET /.well-known/oauth-authorization-server"
// (openid false) and "GET /.well-known/openid-configuration" (openid true)
// routes, also reached under the issuer's path (docs/conformance.md MD-1…MD-3).
func (s *Server) handleMetadata(openid bool) handlerFunc {
	return func(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call) {
		st := ns.state()
		s.writeMetadata(w, c, s.metadataFor(st, ns.issuer(r, st), openid))
	}
}

// handleMetadataForPath handles the RFC 8414 §3.1 placement
// "GET /.well-known/oauth-authorization-server/{issuer path}" (and the
// same for openid-configuration): 404 unless the path is the issuer's
// (docs/conformance.md MD-2, MD-9).
func (s *Server) handleMetadataForPath(openid bool) handlerFunc {
	return func(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call) {
		st := ns.state()
		p := "/" + strings.TrimRight(mux.Vars(r)["issuerPath"], "/")
		if want := ns.issuerPath(st); want == "" || p != want {
			s.handleNotFound(ns, w, r, c)
			return
		}
		s.writeMetadata(w, c, s.metadataFor(st, ns.issuer(r, st), openid))
	}
}

func (s *Server) writeMetadata(w http.ResponseWriter, c *call, m *metadata) {
	b, err := json.Marshal(m)
	if err != nil { // cannot happen: strings only
		s.writeError(w, c, &oauthError{status: http.StatusInternalServerError, code: "server_error"})
		return
	}
	s.writeJSON(w, c, http.StatusOK, b, false)
}

// handleHealth handles the "GET /healthz" route, at the root only: a
// named namespace has none.
func (s *Server) handleHealth(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call) {
	if ns != s.def {
		c.endpoint = EndpointOther
		s.handleNotFound(ns, w, r, c)
		return
	}
	s.writeJSON(w, c, http.StatusOK, []byte(`{"status":"ok"}`), false)
}
