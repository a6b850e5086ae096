package mockserver

import (
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/gorilla/mux"
)

// This file declares every route of the server, public and admin, with
// and without the /ns/{name}/ prefix, on one gorilla/mux router. Each path
// is declared once with its methods (declare); the router answers a known
// path called with another method with 405 and an Allow header listing
// the methods declared for it, and an unknown path with JSON 404.
//
// The admin routes call an Admin, which package internal/adminapi
// implements (its Handler mounts this router with it): mockserver cannot
// import adminapi, so the table stays here and the admin handlers come in
// through the interface. A Server used as an http.Handler has no Admin:
// its admin routes answer 404 "the admin API is disabled".
//
// To add a public route: a pub line in publicRoutes, whose handler gets
// the namespace and the call to journal. To add an admin route: a method
// on Admin and its route line in adminRoutes, then the method in
// internal/adminapi/handler.go, with its body and answer types in
// internal/adminapi/types.go and a Client method beside the others.

// Admin is the admin API: one method per admin route, as declared in
// adminRoutes. The router checks access to the admin API (the admin token)
// and resolves the namespace before it calls a method, reads the request
// body (at most 1 MiB), and writes what the method returns: body as JSON
// with status (a nil body: 204 No Content), or err as error JSON (404 for
// ErrNotFound, 409 for ErrExists, else 400).
type Admin interface {
	ListTokens(AdminRequest) (status int, body any, err error)     // GET /admin/tokens
	AddToken(AdminRequest) (status int, body any, err error)       // POST /admin/tokens
	GetToken(AdminRequest) (status int, body any, err error)       // GET /admin/tokens/{token}
	RemoveToken(AdminRequest) (status int, body any, err error)    // DELETE /admin/tokens/{token}
	RevokeToken(AdminRequest) (status int, body any, err error)    // POST /admin/tokens/{token}/revoke
	ExpireToken(AdminRequest) (status int, body any, err error)    // POST /admin/tokens/{token}/expire
	SetScript(AdminRequest) (status int, body any, err error)      // PUT /admin/tokens/{token}/script
	RevokeBy(AdminRequest) (status int, body any, err error)       // POST /admin/revoke
	AddClient(AdminRequest) (status int, body any, err error)      // POST /admin/clients
	ListUsers(AdminRequest) (status int, body any, err error)      // GET /admin/users
	AddUser(AdminRequest) (status int, body any, err error)        // POST /admin/users
	SetNextLogin(AdminRequest) (status int, body any, err error)   // PUT /admin/next-login
	ClearNextLogin(AdminRequest) (status int, body any, err error) // DELETE /admin/next-login
	ReadClock(AdminRequest) (status int, body any, err error)      // GET /admin/clock
	FreezeClock(AdminRequest) (status int, body any, err error)    // POST /admin/clock/freeze
	ResumeClock(AdminRequest) (status int, body any, err error)    // POST /admin/clock/resume
	AdvanceClock(AdminRequest) (status int, body any, err error)   // POST /admin/clock/advance
	SetClock(AdminRequest) (status int, body any, err error)       // POST /admin/clock/set
	ListCalls(AdminRequest) (status int, body any, err error)      // GET /admin/calls
	ClearCalls(AdminRequest) (status int, body any, err error)     // DELETE /admin/calls
	ReadJournal(AdminRequest) (status int, body any, err error)    // GET /admin/journal
	SetJournal(AdminRequest) (status int, body any, err error)     // PUT /admin/journal
	FailNext(AdminRequest) (status int, body any, err error)       // POST /admin/faults
	ClearFaults(AdminRequest) (status int, body any, err error)    // DELETE /admin/faults
	Reset(AdminRequest) (status int, body any, err error)          // POST /admin/reset

	// At the root only: namespaces are listed and made from outside them.
	ListNamespaces(AdminRequest) (status int, body any, err error)  // GET /admin/namespaces
	GetNamespace(AdminRequest) (status int, body any, err error)    // GET /admin/namespaces/{name}
	PutNamespace(AdminRequest) (status int, body any, err error)    // PUT /admin/namespaces/{name}
	DeleteNamespace(AdminRequest) (status int, body any, err error) // DELETE /admin/namespaces/{name}
}

// AdminRequest is an admin API request as the router hands it to Admin.
type AdminRequest struct {
	Server *Server
	NS     *Namespace // the namespace of the path; the default one without /ns/{name}/
	Token  string     // the {token} path segment, unescaped
	Name   string     // the {name} path segment, unescaped
	Query  map[string][]string
	Body   []byte // at most 1 MiB; empty for none
}

// adminHandler is an Admin method.
type adminHandler func(AdminRequest) (int, any, error)

// Handler returns the server's routes with the admin API served by admin.
// Package internal/adminapi calls it; ServeHTTP serves the same routes
// without the admin API.
func (s *Server) Handler(admin Admin) http.Handler {
	return &router{s: s, admin: admin}
}

// ServeHTTP answers one request, as Handler(nil) does: every route but
// the admin API's.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.public.ServeHTTP(w, r)
}

// router is the server's routes on one mux.Router, with the issuer path
// taken off first.
type router struct {
	s     *Server
	admin Admin // nil: no admin API
	// mux is built on first use (once): compiling the routes is most of
	// the cost of starting a server, and a server may serve nothing.
	once sync.Once
	mux  *mux.Router
}

// routes returns the mux.Router, building it on first use.
func (rt *router) routes() *mux.Router {
	rt.once.Do(func() { rt.mux = rt.s.newRouter(rt.admin) })
	return rt.mux
}

// ServeHTTP routes r. Requests under the issuer's path (for an issuer
// such as https://host/p: /p/introspect, /p/.well-known/…) are served as
// if at the root: the issuer can change with Reload, so its path is taken
// off here rather than declared.
//
// POST /introspect at the root skips the router: that is the hot path, and
// mux's regexp match and the request copies it makes to carry its route
// and variables cost 8 of the request's 21 allocations, 1 KB, and about a
// third of its time there (BenchmarkRouteIntrospect: 13 allocs, 1.4 KB
// against 21, 2.4 KB). The route is declared below all the same, and
// serves /ns/{name}/introspect.
func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := rt.s
	if p := s.def.issuerPath(s.def.state()); p != "" {
		if rest, ok := strings.CutPrefix(r.URL.Path, p); ok && strings.HasPrefix(rest, "/") {
			r2 := new(http.Request)
			*r2 = *r
			u := *r.URL
			u.Path, u.RawPath = rest, ""
			if r.URL.RawPath != "" {
				u.RawPath = dropSegments(r.URL.RawPath, strings.Count(p, "/"))
			}
			r2.URL = &u
			r = r2
		}
	}
	if r.Method == http.MethodPost && r.URL.Path == "/introspect" {
		s.serveIntrospect(s.def, w, r)
		return
	}
	rt.routes().ServeHTTP(w, r)
}

// serveIntrospect serves POST /introspect for ns: serveCall around
// handleIntrospect, written out so that the call, with no function value
// in between, stays on the stack. router.ServeHTTP calls it directly.
func (s *Server) serveIntrospect(ns *Namespace, w http.ResponseWriter, r *http.Request) {
	c := call{time: ns.clock.Now(), endpoint: EndpointIntrospect, authMethod: authNone}
	s.handleIntrospect(ns, w, r, &c)
	s.record(r.Context(), ns, &c)
}

// newRouter declares every route; admin nil leaves the admin API off.
func (s *Server) newRouter(admin Admin) *mux.Router {
	r := mux.NewRouter()
	r.SkipClean(true)  // no text 301 redirects for "//introspect"; it is a 404
	r.UseEncodedPath() // a token may hold an escaped "/": variables are unescaped by the handlers
	// With an admin API guarded by a token, only the admin makes
	// namespaces; otherwise the first use of a prefix does.
	makes := admin == nil || s.adminTokenSum == nil
	for _, prefix := range []string{"", "/ns/{ns}"} {
		s.publicRoutes(r, prefix, makes)
		s.adminRoutes(r, prefix, admin)
	}
	// Anything else under /ns/{name}/ is the namespace's 404 (one that no
	// route serves is no use of the prefix, and makes no namespace);
	// elsewhere the default namespace's.
	r.PathPrefix("/ns/{ns}").Handler(http.HandlerFunc(s.serveNamespaceNotFound))
	r.NotFoundHandler = s.endpoint(EndpointOther, false, s.handleNotFound)
	r.MethodNotAllowedHandler = r.NotFoundHandler // never used: declare adds a 405 route per path
	return r
}

// declareEndpoint declares a protocol endpoint at path: h, wrapped by
// wrap, for methods; the 405 answer for the others.
func (s *Server) declareEndpoint(r *mux.Router, path string, methods []string, wrap func(handlerFunc) http.Handler, h handlerFunc) {
	hs := make(map[string]http.Handler, len(methods))
	for _, m := range methods {
		hs[m] = wrap(h)
	}
	declare(r, path, hs, func(allow string) http.Handler { return wrap(s.handleMethodNotAllowed(allow)) })
}

var (
	post = []string{http.MethodPost}
	get  = []string{http.MethodGet, http.MethodHead}
	// GET and POST only: a HEAD of /authorize or /logout would log a
	// user in or out.
	getPost = []string{http.MethodGet, http.MethodPost}
)

// publicRoutes declares the protocol endpoints under prefix (docs/conformance.md IQ-1,
// ER-3, MD-9); makes tells whether their use makes a namespace.
func (s *Server) publicRoutes(r *mux.Router, prefix string, makes bool) {
	pub := func(path, name string, methods []string, h handlerFunc) {
		s.declareEndpoint(r, prefix+path, methods, func(h handlerFunc) http.Handler { return s.endpoint(name, makes, h) }, h)
	}
	meta := func(h handlerFunc) http.Handler { return s.metadataEndpoint(makes, h) }
	pub("/introspect", EndpointIntrospect, post, s.handleIntrospect) // router.ServeHTTP calls serveIntrospect at the root
	pub("/revoke", EndpointRevoke, post, s.handleRevoke)
	pub("/token", EndpointToken, post, s.handleToken)
	// The authorization code flow and OpenID Connect (authorize.go,
	// userinfo.go, logout.go).
	pub("/authorize", EndpointAuthorize, getPost, s.handleAuthorize)
	pub("/userinfo", EndpointUserinfo, getPost, s.handleUserinfo)
	pub("/logout", EndpointLogout, getPost, s.handleLogout)

	// RFC 8414 §3 and OIDC Discovery §4, plus the RFC 8414 §3.1 placement
	// for an issuer with a path; the issuer-path placement
	// (/p/.well-known/…) reaches the first two through ServeHTTP.
	pub("/.well-known/oauth-authorization-server", EndpointDiscovery, get, s.handleMetadata(false))
	pub("/.well-known/openid-configuration", EndpointDiscovery, get, s.handleMetadata(true))
	if prefix == "" {
		// The issuer path may name a namespace:
		// /.well-known/oauth-authorization-server[/p]/ns/{name}.
		s.declareEndpoint(r, "/.well-known/oauth-authorization-server/{issuerPath:.+}", get, meta, s.handleMetadataForPath(false))
		s.declareEndpoint(r, "/.well-known/openid-configuration/{issuerPath:.+}", get, meta, s.handleMetadataForPath(true))
	} else {
		pub("/.well-known/oauth-authorization-server/{issuerPath:.+}", EndpointDiscovery, get, s.handleMetadataForPath(false))
		pub("/.well-known/openid-configuration/{issuerPath:.+}", EndpointDiscovery, get, s.handleMetadataForPath(true))
	}

	pub("/jwks", EndpointJWKS, get, s.handleJWKS)
	pub("/healthz", EndpointHealth, get, s.handleHealth)
}

// adminRoutes declares the admin API under prefix. With a nil admin every
// admin path answers 404.
func (s *Server) adminRoutes(r *mux.Router, prefix string, admin Admin) {
	if admin == nil {
		off := s.adminEndpoint("", nil)
		r.Handle(prefix+"/admin", off)
		r.PathPrefix(prefix + "/admin/").Handler(off)
		return
	}
	type method struct {
		name string
		h    adminHandler
	}
	route := func(path string, methods ...method) {
		hs := make(map[string]http.Handler, len(methods))
		for _, m := range methods {
			hs[m.name] = s.adminEndpoint(path, m.h)
		}
		declare(r, prefix+"/admin/"+path, hs, func(allow string) http.Handler {
			return s.adminEndpoint(path, func(AdminRequest) (int, any, error) {
				return 0, nil, errMethodNotAllowed(allow)
			})
		})
	}
	var (
		GET    = func(h adminHandler) method { return method{http.MethodGet, h} }
		POST   = func(h adminHandler) method { return method{http.MethodPost, h} }
		PUT    = func(h adminHandler) method { return method{http.MethodPut, h} }
		DELETE = func(h adminHandler) method { return method{http.MethodDelete, h} }
	)
	route("tokens", GET(admin.ListTokens), POST(admin.AddToken))
	route("tokens/{token}", GET(admin.GetToken), DELETE(admin.RemoveToken))
	route("tokens/{token}/revoke", POST(admin.RevokeToken))
	route("tokens/{token}/expire", POST(admin.ExpireToken))
	route("tokens/{token}/script", PUT(admin.SetScript))
	route("revoke", POST(admin.RevokeBy))
	route("clients", POST(admin.AddClient))
	route("users", GET(admin.ListUsers), POST(admin.AddUser))
	route("next-login", PUT(admin.SetNextLogin), DELETE(admin.ClearNextLogin))
	route("clock", GET(admin.ReadClock))
	route("clock/freeze", POST(admin.FreezeClock))
	route("clock/resume", POST(admin.ResumeClock))
	route("clock/advance", POST(admin.AdvanceClock))
	route("clock/set", POST(admin.SetClock))
	route("calls", GET(admin.ListCalls), DELETE(admin.ClearCalls))
	route("journal", GET(admin.ReadJournal), PUT(admin.SetJournal))
	route("faults", POST(admin.FailNext), DELETE(admin.ClearFaults))
	route("reset", POST(admin.Reset))
	if prefix == "" {
		route("namespaces", GET(admin.ListNamespaces))
		route("namespaces/{name}", GET(admin.GetNamespace), PUT(admin.PutNamespace), DELETE(admin.DeleteNamespace))
	}
	unknown := s.adminEndpoint("?", func(AdminRequest) (int, any, error) {
		return 0, nil, &oauthError{status: http.StatusNotFound, code: "not_found", desc: "no such admin endpoint"}
	})
	r.Handle(prefix+"/admin", unknown)
	r.PathPrefix(prefix + "/admin/").Handler(unknown)
}

// declare routes path to the handler of each method in hs, and any other
// method to the handler notAllowed returns for the Allow value: the
// methods of hs, sorted and comma-separated. A method route is tried
// before the path's 405 route, which matches whatever the method.
func declare(r *mux.Router, path string, hs map[string]http.Handler, notAllowed func(allow string) http.Handler) {
	methods := slices.Sorted(maps.Keys(hs))
	for _, m := range methods {
		r.Handle(path, hs[m]).Methods(m)
	}
	r.Handle(path, notAllowed(strings.Join(methods, ", ")))
}

// errMethodNotAllowed is the 405 of a known path called with another
// method than allow's (docs/conformance.md IQ-1, ER-3).
func errMethodNotAllowed(allow string) *oauthError {
	return &oauthError{status: http.StatusMethodNotAllowed, code: "invalid_request",
		desc: "method not allowed; use " + allow, allow: allow}
}

// handleNotFound handles every path no route matches, other /.well-known/*
// paths included (docs/conformance.md MD-9).
func (s *Server) handleNotFound(_ *Namespace, w http.ResponseWriter, _ *http.Request, c *call) {
	s.writeError(w, c, &oauthError{status: http.StatusNotFound, code: "not_found", desc: "no such endpoint"})
}

// serveNamespaceNotFound answers a path under /ns/{name}/ that no route
// serves: the namespace's 404, journaled there. It makes no namespace: for
// one that does not exist the answer is the same 404, journaled nowhere.
func (s *Server) serveNamespaceNotFound(w http.ResponseWriter, r *http.Request) {
	name := mux.Vars(r)["ns"]
	ns, err := s.namespaceFor(name, false)
	switch {
	case err == nil:
		s.serveCall(ns, EndpointOther, s.handleNotFound, w, r)
	case validName(name):
		s.handleNotFound(nil, w, r, &call{})
	default:
		s.refuse(w, r, err)
	}
}

// handleMethodNotAllowed returns the handler of a known path called with
// a wrong method: 405 with Allow. The query is never read, so a GET
// /introspect?token=… leaves no token anywhere.
func (s *Server) handleMethodNotAllowed(allow string) handlerFunc {
	return func(_ *Namespace, w http.ResponseWriter, _ *http.Request, c *call) {
		s.writeError(w, c, errMethodNotAllowed(allow))
	}
}

// endpoint adapts h to http.Handler: it resolves the namespace of the
// path's {ns} (the default one without; makes: making it), starts the call
// and hands it to record when h returns. A namespace that cannot be had is
// refused.
func (s *Server) endpoint(name string, makes bool, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ns := s.def
		if raw, ok := mux.Vars(r)["ns"]; ok {
			var err error
			if ns, err = s.namespaceFor(raw, makes); err != nil {
				s.refuse(w, r, err)
				return
			}
		}
		s.serveCall(ns, name, h, w, r)
	})
}

// metadataEndpoint is endpoint for the RFC 8414 §3.1 metadata placement at
// the root, whose issuer path may name a namespace (docs/conformance.md MD-2).
func (s *Server) metadataEndpoint(makes bool, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ns := s.def
		if name, ok := s.metadataNamespace(mux.Vars(r)["issuerPath"]); ok {
			var err error
			if ns, err = s.namespaceFor(name, makes); err != nil {
				s.refuse(w, r, err)
				return
			}
		}
		s.serveCall(ns, EndpointDiscovery, h, w, r)
	})
}

// serveCall serves one call of endpoint name in ns with h and records it.
func (s *Server) serveCall(ns *Namespace, name string, h handlerFunc, w http.ResponseWriter, r *http.Request) {
	c := &call{time: ns.clock.Now(), endpoint: name, authMethod: authNone}
	h(ns, w, r, c)
	s.record(r.Context(), ns, c)
}

// adminEndpoint adapts an Admin method to http.Handler. Before anything
// else, so that a refused request makes no namespace, it passes the admin
// guard (adminguard.go: other sites' pages, rebinding hosts) and checks
// the admin token; then it resolves the namespace, reads the body, calls h
// and writes its answer. h nil: the admin API is disabled (404). Admin
// requests are not journaled; they are logged at debug level with their
// route (path), never a token.
func (s *Server) adminEndpoint(path string, h adminHandler) http.Handler {
	serve := func(w http.ResponseWriter, r *http.Request) {
		vars := mux.Vars(r)
		c := &call{}
		defer func() {
			s.cfg.logger.LogAttrs(r.Context(), slog.LevelDebug, "admin",
				slog.String("namespace", clipName(vars["ns"])), slog.String("method", r.Method),
				slog.String("route", path), slog.Int("status", c.status))
		}()
		if h == nil {
			s.writeError(w, c, &oauthError{status: http.StatusNotFound, code: "not_found", desc: "the admin API is disabled"})
			return
		}
		if !s.adminAuthorized(w, r, c) {
			return
		}
		// r.URL.Query drops a malformed pair, which would turn
		// GET /admin/calls?token=%zz into the whole journal.
		query, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			s.writeError(w, c, errInvalidRequest("malformed percent-encoding in the query"))
			return
		}
		req := AdminRequest{Server: s, NS: s.def, Query: query}
		if raw, ok := vars["ns"]; ok {
			ns, err := s.namespaceFor(raw, true)
			if err != nil {
				s.refuse(w, r, err)
				return
			}
			req.NS = ns
		}
		for _, v := range []struct {
			key string
			to  *string
		}{{"token", &req.Token}, {"name", &req.Name}} {
			if raw, ok := vars[v.key]; ok {
				val, ok := unescapeSegment(raw)
				if !ok {
					s.writeError(w, c, errInvalidRequest("malformed percent-encoding in the path"))
					return
				}
				*v.to = val
			}
		}
		body, e := s.readBody(w, r)
		if e != nil {
			s.writeError(w, c, e)
			return
		}
		req.Body = body
		status, out, err := h(req)
		s.writeAdminAnswer(w, c, status, out, err)
	}
	if h == nil {
		return http.HandlerFunc(serve)
	}
	return s.guard(http.HandlerFunc(serve))
}
