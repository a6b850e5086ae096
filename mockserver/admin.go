package mockserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// This file holds what the router does for every admin route before and
// after the Admin method (routes.go): access and answers. The admin API's
// wire format and handlers are package internal/adminapi's.

// Admin API challenges.
const (
	adminRealm          = realm + "-admin"
	challengeAdmin      = `Bearer realm="` + adminRealm + `"`
	challengeAdminWrong = `Bearer realm="` + adminRealm + `", error="invalid_token"`
)

func sum(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// adminAuthorized reports whether r may use the admin API: it has at most
// one Authorization header and, with an admin token (WithAdminToken),
// carries it. The token is checked in constant time (the SHA-256 sums are
// compared, so not even the length leaks). Otherwise it answers 400 or
// 401.
func (s *Server) adminAuthorized(w http.ResponseWriter, r *http.Request, c *call) bool {
	if len(r.Header["Authorization"]) > 1 {
		s.writeError(w, c, errInvalidRequest("more than one Authorization header"))
		return false
	}
	if s.adminTokenSum == nil {
		return true
	}
	tok := adminBearer(r)
	if tok == "" {
		w.Header().Add("WWW-Authenticate", challengeAdmin)
		s.writeError(w, c, &oauthError{status: http.StatusUnauthorized, code: "invalid_token",
			desc: "the admin API needs Authorization: Bearer <admin token>"})
		return false
	}
	if !s.isAdminToken(tok) {
		w.Header().Add("WWW-Authenticate", challengeAdminWrong)
		s.writeError(w, c, &oauthError{status: http.StatusUnauthorized, code: "invalid_token", desc: "wrong admin token"})
		return false
	}
	return true
}

// adminBearer returns the bearer token of r's one Authorization header;
// "" for none.
func adminBearer(r *http.Request) string {
	h := r.Header["Authorization"]
	if len(h) != 1 {
		return ""
	}
	scheme, tok, _ := strings.Cut(h[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// hasAdminToken reports whether r carries the valid admin token.
func (s *Server) hasAdminToken(r *http.Request) bool {
	return s.isAdminToken(adminBearer(r))
}

// isAdminToken reports whether tok is the admin token (WithAdminToken),
// comparing SHA-256 sums in constant time. It is the one place the token
// is checked, for the guard and for the admin routes alike.
func (s *Server) isAdminToken(tok string) bool {
	return s.adminTokenSum != nil && tok != "" && subtle.ConstantTimeCompare(sum(tok), s.adminTokenSum) == 1
}

// denyAdmin answers an admin request the guard refuses: 403 in the JSON
// error form.
func (s *Server) denyAdmin(w http.ResponseWriter, r *http.Request, desc string) {
	s.cfg.logger.LogAttrs(r.Context(), slog.LevelDebug, "admin refused",
		slog.String("method", r.Method), slog.Int("status", http.StatusForbidden), slog.String("err", desc))
	s.writeError(w, &call{}, &oauthError{status: http.StatusForbidden, code: "forbidden", desc: desc})
}

// readBody reads an admin request's body, at most maxBody as for the
// protocol endpoints.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *oauthError) {
	if r.Body == nil {
		return nil, nil
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, errTooLarge()
		}
		return nil, errInvalidRequest("cannot read the request body")
	}
	return data, nil
}

// writeAdminAnswer writes what an Admin method returned: err as error
// JSON (404 for ErrNotFound, 409 for ErrExists, else 400; its message is
// the description), else body as JSON with status (200 when 0) or, for a
// nil body, 204. Every answer is no-store.
func (s *Server) writeAdminAnswer(w http.ResponseWriter, c *call, status int, body any, err error) {
	if err != nil {
		if e, ok := errors.AsType[*oauthError](err); ok {
			s.writeError(w, c, e)
			return
		}
		e := errInvalidRequest(err.Error())
		switch {
		case errors.Is(err, ErrNotFound):
			e.status, e.code = http.StatusNotFound, "not_found"
		case errors.Is(err, ErrExists):
			e.status, e.code = http.StatusConflict, "conflict"
		}
		s.writeError(w, c, e)
		return
	}
	if body == nil {
		w.Header()["Cache-Control"] = s.hdr.noStore
		w.WriteHeader(http.StatusNoContent)
		c.status = http.StatusNoContent
		return
	}
	b, err := marshalJSON(body)
	if err != nil { // cannot happen: claims were JSON once
		s.writeError(w, c, &oauthError{status: http.StatusInternalServerError, code: "server_error", desc: "cannot encode the answer"})
		return
	}
	if status == 0 {
		status = http.StatusOK
	}
	s.writeJSON(w, c, status, b, true)
}
