package mockserver_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// fuzzYAML holds the callers and tokens of the fuzz targets in this file:
// a plain client, one whose id and secret need form-encoding, a public
// client (revocation only) and a token to revoke.
const fuzzYAML = `clients:
  - client_id: fz-rs
    client_secret: fz-secret
  - client_id: "fz odd:+%"
    client_secret: "p@ss:wo rd+%é"
  - client_id: fz-public
tokens:
  - token: fz-victim
    scope: read
    exp: +1h
  - token: fz-other
    exp: +1h
`

// fuzzClients are the id/secret clients of fuzzYAML.
var fuzzClients = map[string]string{"fz-rs": "fz-secret", "fz odd:+%": "p@ss:wo rd+%é"}

// fuzzSet parses fuzzYAML once per target.
func fuzzSet(tb testing.TB) *fixtures.Set {
	tb.Helper()
	set, err := fixtures.Parse(time.Now(), "fuzz.yaml", []byte(fuzzYAML))
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

// fuzzServer returns a fresh server on set.
func fuzzServer(tb testing.TB, set *fixtures.Set) *mockserver.Server {
	tb.Helper()
	srv, err := mockserver.New(mockserver.WithFixtures(set))
	if err != nil {
		tb.Fatal(err)
	}
	return srv
}

// fuzzPost sends a form POST to srv and returns the recorder.
func fuzzPost(srv http.Handler, path, authorization, contentType, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "http://mock.test"+path, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	return w
}

// fuzzActive introspects token as fz-rs and reports "active".
func fuzzActive(t *testing.T, srv http.Handler, token string) bool {
	t.Helper()
	w := fuzzPost(srv, "/introspect", basicHeader("fz-rs", "fz-secret", true), "application/x-www-form-urlencoded",
		"token="+url.QueryEscape(token))
	var got struct {
		Active *bool `json:"active"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != http.StatusOK || err != nil || got.Active == nil {
		t.Fatalf("introspect %q: %d %s", token, w.Code, w.Body)
	}
	return *got.Active
}

// basicHeader builds client_secret_basic credentials, form-encoding id and
// secret first (RFC 6749 §2.3.1) or not (raw, as some clients send).
func basicHeader(id, secret string, encode bool) string {
	if encode {
		id, secret = url.QueryEscape(id), url.QueryEscape(secret)
	}
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// formDecode decodes one form-encoded part like RFC 6749 App. B; ok is
// false for broken percent-encoding.
func formDecode(s string) (string, bool) {
	v, err := url.QueryUnescape(s)
	return v, err == nil
}

// FuzzRevokeRequest sends random revocation requests (RFC 7009) to a fresh
// server. Whatever the input: no 5xx; JSON errors with a challenge on 401
// (docs/conformance.md RV-1, RV-2, ER-3, ER-4); a 200 has an empty body (docs/conformance.md RV-3). And
// the state follows the answer: a token is revoked only by a 200 whose
// form names it, and a 200 for a form naming fz-victim once revokes it.
func FuzzRevokeRequest(f *testing.F) {
	const form = "application/x-www-form-urlencoded"
	f.Add(basicHeader("fz-rs", "fz-secret", true), form, "token=fz-victim")
	f.Add(basicHeader("fz-rs", "fz-secret", true), form, "token=fz-victim&token_type_hint=refresh_token")
	f.Add(basicHeader("fz-rs", "fz-secret", true), form, "token=fz-%76ictim&token_type_hint=nonsense")
	f.Add(basicHeader("fz odd:+%", "p@ss:wo rd+%é", true), form+"; charset=utf-8", "token=fz-victim")
	f.Add(basicHeader("fz odd:+%", "p@ss:wo rd+%é", false), form, "token=fz-victim")
	f.Add("", form, "token=fz-victim&client_id=fz-public")
	f.Add("", form, "token=fz-victim&client_id=fz-rs&client_secret=fz-secret")
	f.Add(basicHeader("fz-rs", "fz-secret", true), form, "token=fz-victim&client_secret=fz-secret")
	f.Add(basicHeader("fz-rs", "wrong", true), form, "token=fz-victim")
	f.Add("Bearer ", form, "token=fz-victim")
	f.Add(basicHeader("fz-rs", "fz-secret", true), form, "token=fz-victim&token=fz-other")
	f.Add(basicHeader("fz-rs", "fz-secret", true), form, "token=%")
	f.Add(basicHeader("fz-rs", "fz-secret", true), form, "token=")
	f.Add(basicHeader("fz-rs", "fz-secret", true), "application/json", `{"token":"fz-victim"}`)
	f.Add(basicHeader("fz-rs", "fz-secret", true), form, "token%3Dfz-victim")
	f.Add("Basic ????", form, "token=fz-victim")

	set := fuzzSet(f)
	f.Fuzz(func(t *testing.T, authorization, contentType, body string) {
		srv := fuzzServer(t, set)
		w := fuzzPost(srv, "/revoke", authorization, contentType, body)
		switch {
		case w.Code >= 500:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		case w.Code == http.StatusOK && w.Body.Len() != 0:
			t.Fatalf("200 with a body: %q (docs/conformance.md RV-3)", w.Body)
		case w.Code != http.StatusOK && !json.Valid(w.Body.Bytes()):
			t.Fatalf("status %d with a body that is no JSON: %q", w.Code, w.Body)
		case w.Code == http.StatusUnauthorized && len(w.Header().Values("WWW-Authenticate")) == 0:
			t.Fatalf("401 without WWW-Authenticate")
		}

		// Which tokens does the form name? Empty values count as absent.
		var named []string
		for pair := range strings.SplitSeq(body, "&") {
			k, v, _ := strings.Cut(pair, "=")
			key, ok1 := formDecode(k)
			value, ok2 := formDecode(v)
			if ok1 && ok2 && key == "token" && value != "" {
				named = append(named, value)
			}
		}
		for _, tok := range []string{"fz-victim", "fz-other"} {
			nameIt := len(named) == 1 && named[0] == tok
			active := fuzzActive(t, srv, tok)
			switch {
			case w.Code != http.StatusOK && !active:
				t.Fatalf("%s revoked by a failed revocation (%d %s)", tok, w.Code, w.Body)
			case w.Code == http.StatusOK && active == nameIt:
				t.Fatalf("after 200 to %q: %s active = %v", body, tok, active)
			}
		}
	})
}

// FuzzBasicCredentials sends client_secret_basic credentials, form-encoded
// or raw. docs/conformance.md CA-2, CA-3: the form-decoded and the raw values both
// authenticate; anything else is 401 invalid_client with a Basic
// challenge, never 400 or 500.
func FuzzBasicCredentials(f *testing.F) {
	f.Add("fz-rs", "fz-secret", true)
	f.Add("fz-rs", "fz-secret", false)
	f.Add("fz odd:+%", "p@ss:wo rd+%é", true)
	f.Add("fz odd:+%", "p@ss:wo rd+%é", false)
	f.Add("fz%2Drs", "fz%2Dsecret", false)
	f.Add("fz-rs", "fz-secret ", true)
	f.Add("fz-rs", "wrong", true)
	f.Add("fz-public", "", true)
	f.Add("", "", false)
	f.Add("fz-rs:fz-secret", "", false)
	f.Add("%zz", "%", false)
	f.Add("fz+odd", "x\x00y", false)

	srv := fuzzServer(f, fuzzSet(f))
	f.Fuzz(func(t *testing.T, id, secret string, encode bool) {
		w := fuzzPost(srv, "/introspect", basicHeader(id, secret, encode), "application/x-www-form-urlencoded", "token=fz-other")

		// What the server receives after base64: id and secret split at
		// the first colon, each tried form-decoded and raw.
		sentID, sentSecret := id, secret
		if encode {
			sentID, sentSecret = url.QueryEscape(id), url.QueryEscape(secret)
		}
		rawID, rawSecret, _ := strings.Cut(sentID+":"+sentSecret, ":")
		want := false
		for _, cid := range candidates(rawID) {
			if s, ok := fuzzClients[cid]; ok {
				want = slicesContains(candidates(rawSecret), s)
				break // the first registered reading of the id decides the client
			}
		}
		switch {
		case want && w.Code != http.StatusOK:
			t.Fatalf("Basic %q:%q (encode %v): %d %s; want 200", id, secret, encode, w.Code, w.Body)
		case !want && w.Code != http.StatusUnauthorized:
			t.Fatalf("Basic %q:%q (encode %v): %d %s; want 401", id, secret, encode, w.Code, w.Body)
		case !want && (!strings.Contains(w.Body.String(), `"error":"invalid_client"`) ||
			!strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic ")):
			t.Fatalf("401 %s, WWW-Authenticate %q; want invalid_client with a Basic challenge", w.Body, w.Header().Get("WWW-Authenticate"))
		}
	})
}

// candidates returns how a received id or secret may be read: form-decoded
// when that works, then raw (docs/conformance.md CA-3).
func candidates(raw string) []string {
	if v, ok := formDecode(raw); ok && v != raw {
		return []string{v, raw}
	}
	return []string{raw}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// FuzzAuthorizationHeader sends any Authorization value. Basic credentials,
// however broken, are answered 200 or 401 invalid_client, never 400 or
// 5xx (docs/conformance.md CA-3); every 401 carries a challenge (docs/conformance.md ER-3).
func FuzzAuthorizationHeader(f *testing.F) {
	for _, seed := range []string{
		basicHeader("fz-rs", "fz-secret", true), "Basic", "Basic ", "basic " + base64.StdEncoding.EncodeToString([]byte("fz-rs:fz-secret")),
		"Basic Zno=", "Basic " + base64.RawStdEncoding.EncodeToString([]byte("fz-rs:fz-secret")), "Basic  " + base64.StdEncoding.EncodeToString([]byte("a:b")),
		"Basic %%%", "BASIC Og==", "Bearer", "Bearer x", "Digest a=b", " ", "Basic\tOg==", "Basic Og==\x00",
	} {
		f.Add(seed)
	}
	srv := fuzzServer(f, fuzzSet(f))
	f.Fuzz(func(t *testing.T, authorization string) {
		r := httptest.NewRequest(http.MethodPost, "http://mock.test/introspect", strings.NewReader("token=fz-other"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header["Authorization"] = []string{authorization} // as received, unvalidated
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		scheme, _, _ := strings.Cut(authorization, " ")
		switch {
		case w.Code >= 500:
			t.Fatalf("%q: status %d: %s", authorization, w.Code, w.Body)
		case strings.EqualFold(scheme, "Basic") && w.Code != http.StatusOK && w.Code != http.StatusUnauthorized:
			t.Fatalf("%q: status %d: %s; Basic credentials get 200 or 401", authorization, w.Code, w.Body)
		case w.Code == http.StatusUnauthorized && len(w.Header().Values("WWW-Authenticate")) == 0:
			t.Fatalf("%q: 401 without WWW-Authenticate", authorization)
		case !json.Valid(w.Body.Bytes()):
			t.Fatalf("%q: body is no JSON: %q", authorization, w.Body)
		}
	})
}
