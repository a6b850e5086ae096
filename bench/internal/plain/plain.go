// Package plain is the bare net/http introspection handler that
// introspectmock's benchmarks compare against (bench/baseline serves it as
// a program). It does what any introspection endpoint must, the plain way:
// parse the form, check HTTP Basic credentials, look the token up in a map
// and json.Marshal the answer, on every request.
package plain

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// The one caller the handler accepts; the bench's fixtures have the same.
const (
	ClientID     = "bench-rs"
	ClientSecret = "bench-secret"
)

// TokenName returns the i-th generated token.
func TokenName(i int) string { return fmt.Sprintf("tok-%07d", i) }

// answer is an active introspection answer (RFC 7662 §2.2), in the member
// order introspectmock uses.
type answer struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Username  string `json:"username,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Sub       string `json:"sub,omitempty"`
	Aud       string `json:"aud,omitempty"`
	Iss       string `json:"iss,omitempty"`
	Jti       string `json:"jti,omitempty"`
	Tenant    string `json:"tenant,omitempty"`
}

// Handler serves POST /introspect and GET /healthz for n generated tokens
// (TokenName(0) …), each issued 5 minutes before now and expiring an hour
// after it, with the members bench/fixturegen.go gives the same tokens.
func Handler(n int, now time.Time) http.Handler {
	tokens := make(map[string]*answer, n)
	for i := range n {
		tokens[TokenName(i)] = &answer{
			Active:    true,
			Scope:     "read write",
			ClientID:  "bench-client",
			Username:  "alice",
			TokenType: "Bearer",
			Exp:       now.Add(time.Hour).Unix(),
			Iat:       now.Add(-5 * time.Minute).Unix(),
			Sub:       fmt.Sprintf("user-%d", i),
			Aud:       "bench-api",
			Jti:       fmt.Sprintf("jti-%d", i),
			Tenant:    "acme",
		}
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("POST /introspect", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		id, secret, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(id), []byte(ClientID)) != 1 ||
			subtle.ConstantTimeCompare([]byte(secret), []byte(ClientSecret)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="baseline"`)
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		t := tokens[r.PostForm.Get("token")]
		if t == nil || time.Now().Unix() >= t.Exp {
			_, _ = w.Write([]byte(`{"active":false}`))
			return
		}
		a := *t
		a.Iss = "http://" + r.Host
		b, err := json.Marshal(&a)
		if err != nil {
			http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(b)
	})
	return mux
}
