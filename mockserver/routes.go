package mockserver

import (
	"net/http"
	"sort"
	"strings"

	"github.com/gorilla/mux"
)

// routes lists every route of the server. Handlers get the namespace
// resolved from the request (see namespaceOf); unknown paths and wrong
// methods answer JSON, and 405 carries Allow (SPEC IQ-1, ER-3, MD-9).
func (s *Server) routes(r *mux.Router) {
	r.SkipClean(true) // no text 301 redirects for "//introspect"; it is a 404

	post := []string{http.MethodPost}
	get := []string{http.MethodGet, http.MethodHead}
	r.Handle("/introspect", s.introspect).Methods(post...).Name(EndpointIntrospect) // ServeHTTP calls s.introspect directly too
	r.Handle("/revoke", s.endpoint(EndpointRevoke, s.handleRevoke)).Methods(post...).Name(EndpointRevoke)
	r.Handle("/token", s.endpoint(EndpointToken, s.handleToken)).Methods(post...).Name(EndpointToken)
	// The authorization code flow and OpenID Connect (authorize.go,
	// userinfo.go, logout.go).
	// GET and POST only: a HEAD would log a user in or out.
	getPost := []string{http.MethodGet, http.MethodPost}
	r.Handle("/authorize", s.endpoint(EndpointAuthorize, s.handleAuthorize)).Methods(getPost...).Name(EndpointAuthorize)
	r.Handle("/userinfo", s.endpoint(EndpointUserinfo, s.handleUserinfo)).Methods(getPost...).Name(EndpointUserinfo)
	r.Handle("/logout", s.endpoint(EndpointLogout, s.handleLogout)).Methods(getPost...).Name(EndpointLogout)

	// RFC 8414 §3 and OIDC Discovery §4, plus the RFC 8414 §3.1 placement
	// for an issuer with a path; the issuer-path placement
	// (/p/.well-known/…) reaches the first two through ServeHTTP.
	r.Handle("/.well-known/oauth-authorization-server", s.endpoint(EndpointDiscovery, s.handleMetadata(false))).Methods(get...).Name(EndpointDiscovery)
	r.Handle("/.well-known/openid-configuration", s.endpoint(EndpointDiscovery, s.handleMetadata(true))).Methods(get...).Name(EndpointDiscovery)
	r.Handle("/.well-known/oauth-authorization-server/{issuerPath:.+}", s.endpoint(EndpointDiscovery, s.handleMetadataForPath(false))).Methods(get...).Name(EndpointDiscovery)
	r.Handle("/.well-known/openid-configuration/{issuerPath:.+}", s.endpoint(EndpointDiscovery, s.handleMetadataForPath(true))).Methods(get...).Name(EndpointDiscovery)

	r.Handle("/jwks", s.endpoint(EndpointJWKS, s.handleJWKS)).Methods(get...).Name(EndpointJWKS)
	r.Handle("/healthz", s.endpoint(EndpointHealth, s.handleHealth)).Methods(get...).Name(EndpointHealth)

	r.NotFoundHandler = s.endpoint(EndpointOther, s.handleNotFound)
	r.MethodNotAllowedHandler = s.endpoint(EndpointOther, s.handleMethodNotAllowed)
}

// handleNotFound handles every path no route matches, other /.well-known/*
// paths included (SPEC MD-9).
func (s *Server) handleNotFound(_ *Namespace, w http.ResponseWriter, _ *http.Request, c *call) {
	s.writeError(w, c, &oauthError{status: http.StatusNotFound, code: "not_found", desc: "no such endpoint"})
}

// handleMethodNotAllowed handles a known path called with a wrong method:
// 405 with Allow (SPEC IQ-1, ER-3). The query is never read, so a GET
// /introspect?token=… leaves no token anywhere.
func (s *Server) handleMethodNotAllowed(_ *Namespace, w http.ResponseWriter, r *http.Request, c *call) {
	var methods []string
	_ = s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		var m mux.RouteMatch
		if !route.Match(r, &m) && m.MatchErr == mux.ErrMethodMismatch {
			ms, _ := route.GetMethods()
			methods = append(methods, ms...)
			c.endpoint = route.GetName()
		}
		return nil
	})
	sort.Strings(methods)
	methods = compact(methods)
	allow := strings.Join(methods, ", ")
	s.writeError(w, c, &oauthError{status: http.StatusMethodNotAllowed, code: "invalid_request",
		desc: "method not allowed; use " + allow, allow: allow})
}

func compact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
