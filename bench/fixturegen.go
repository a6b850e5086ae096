package main

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/introspectmock/introspectmock/bench/internal/plain"
	"github.com/introspectmock/introspectmock/fixtures"
)

// The caller of every benchmark; bench/baseline accepts the same.
const (
	benchClientID     = plain.ClientID
	benchClientSecret = plain.ClientSecret
)

// tokenName is the i-th generated token, as bench/baseline names it too.
func tokenName(i int) string { return plain.TokenName(i) }

// writeFixtures writes a fixture file with the bench caller and n active
// tokens shaped like bench/baseline's: scope, client_id, username, sub,
// aud, iat, exp, jti and one extension claim.
func writeFixtures(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	fmt.Fprintf(w, "clients:\n  - client_id: %s\n    client_secret: %s\ntokens:\n", benchClientID, benchClientSecret)
	for i := range n {
		fmt.Fprintf(w, "  - token: %s\n    scope: read write\n    client_id: bench-client\n    username: alice\n"+
			"    sub: user-%d\n    aud: bench-api\n    iat: -5m\n    exp: +1h\n    jti: jti-%d\n    claims: {tenant: acme}\n",
			tokenName(i), i, i)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fixtureSet returns the same tokens as writeFixtures, built in code (the
// in-process benchmarks skip YAML).
func fixtureSet(n int) *fixtures.Set {
	set := &fixtures.Set{
		Clients: []fixtures.Client{{ClientID: benchClientID, ClientSecret: benchClientSecret}},
		Tokens:  make([]fixtures.Token, n),
	}
	for i := range n {
		set.Tokens[i] = fixtures.Token{
			Token:    tokenName(i),
			Scope:    "read write",
			ClientID: "bench-client",
			Username: "alice",
			Sub:      fmt.Sprintf("user-%d", i),
			Aud:      fixtures.Audience{Values: []string{"bench-api"}},
			Iat:      fixtures.Relative(-5 * time.Minute),
			Exp:      fixtures.Relative(time.Hour),
			Jti:      fmt.Sprintf("jti-%d", i),
			Claims:   map[string]any{"tenant": "acme"},
		}
	}
	return set
}

// basicAuth returns an Authorization value for client_secret_basic, each
// part form-encoded first (RFC 6749 §2.3.1).
func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}
