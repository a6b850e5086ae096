package mockserver_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// revoke revokes tok as the rs client.
func (s *testServer) revoke(tok string) resp {
	s.t.Helper()
	return s.do(req{path: "/revoke", header: hdr("Authorization", basic(rsID, rsSecret)), body: form("token", tok)})
}

// issueToken asks /token for a client_credentials token as svc.
func (s *testServer) issueToken() resp {
	s.t.Helper()
	return s.do(req{path: "/token", header: hdr("Authorization", basic(svcID, svcSecret)), body: form("grant_type", "client_credentials")})
}

// lastCall returns the namespace's latest journaled call.
func lastCall(t *testing.T, ns *mockserver.Namespace) mockserver.Call {
	t.Helper()
	calls := callsOf(ns)
	if len(calls) == 0 {
		t.Fatal("empty journal")
	}
	return calls[len(calls)-1]
}

// TestFailNextAtRevoke checks server-wide faults at /revoke: an injected
// 503 carries Retry-After and leaves the token active, and the next
// revocation works (docs/conformance.md RV-7, ER-5).
func TestFailNextAtRevoke(t *testing.T) {
	t.Parallel()

	t.Run("RV-7/503 with Retry-After, token stays active", func(t *testing.T) {
		t.Parallel()
		s, ns := nsServer(t)
		ns.FailNextAt(mockserver.EndpointRevoke, 1, mockserver.Fault{Status: http.StatusServiceUnavailable, RetryAfter: 2 * time.Second})
		got := s.revoke("active-token")
		if got.status != 503 || got.header.Get("Retry-After") != "2" || decodeErr(t, got.body).Error != "temporarily_unavailable" {
			t.Errorf("faulted revoke: %d Retry-After %q %s; want 503, Retry-After 2, temporarily_unavailable", got.status, got.header.Get("Retry-After"), got.body)
		}
		checkJSONType(t, got)
		if c := lastCall(t, ns); c.Endpoint != mockserver.EndpointRevoke || c.Status != 503 || c.Fault != "status 503" || c.Token != "active-token" {
			t.Errorf("journal: %+v; want the revoke with status 503 and fault \"status 503\"", c)
		}
		if got := s.ask("", "active-token"); !strings.HasPrefix(got.body, `{"active":true`) {
			t.Errorf("after the faulted revoke: %s; want the token still active", got.body)
		}
		if got := s.revoke("active-token"); got.status != 200 || got.body != "" {
			t.Errorf("next revoke: %d %q; want 200 with an empty body", got.status, got.body)
		}
		if c := lastCall(t, ns); c.Fault != "" {
			t.Errorf("next revoke journaled with fault %q", c.Fault)
		}
		if got := s.ask("", "active-token"); got.body != inactive {
			t.Errorf("after the next revoke: %s; want %s", got.body, inactive)
		}
	})

	t.Run("RV-7/drop revokes nothing", func(t *testing.T) {
		t.Parallel()
		s, ns := nsServer(t)
		ns.FailNextAt(mockserver.EndpointRevoke, 1, mockserver.Fault{Drop: true})
		r, _ := http.NewRequest(http.MethodPost, s.URL+"/revoke", strings.NewReader("token=active-token"))
		r.Header.Set("Content-Type", formType)
		r.SetBasicAuth(rsID, rsSecret)
		if res, err := http.DefaultClient.Do(r); err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			t.Fatalf("got an answer: %d %s; want the connection dropped", res.StatusCode, b)
		}
		waitFor(t, "the dropped call to be journaled", func() bool { return len(callsOf(ns)) == 1 })
		if c := lastCall(t, ns); c.Fault != "drop" || c.Status != 0 {
			t.Errorf("journal: %+v; want fault drop, status 0", c)
		}
		if got := s.ask("", "active-token"); !strings.HasPrefix(got.body, `{"active":true`) {
			t.Errorf("after the dropped revoke: %s; want the token still active", got.body)
		}
	})

	t.Run("ER-5/a bare delay revokes after it", func(t *testing.T) {
		t.Parallel()
		s, ns := nsServer(t)
		ns.FailNextAt(mockserver.EndpointRevoke, 1, mockserver.Fault{Delay: 20 * time.Millisecond})
		if got := s.revoke("active-token"); got.status != 200 {
			t.Errorf("delayed revoke: %d %s; want 200", got.status, got.body)
		}
		if c := lastCall(t, ns); c.Fault != "delay 20ms" || c.Status != 200 {
			t.Errorf("journal: %+v; want fault \"delay 20ms\", status 200", c)
		}
		if got := s.ask("", "active-token"); got.body != inactive {
			t.Errorf("after the delayed revoke: %s; want %s", got.body, inactive)
		}
	})

	t.Run("ER-5/scoped to its endpoint", func(t *testing.T) {
		t.Parallel()
		s, ns := nsServer(t)
		ns.FailNextAt(mockserver.EndpointRevoke, 1, mockserver.Fault{Status: 500})
		if got := s.ask("", "active-token"); got.status != 200 {
			t.Errorf("introspection under a revoke fault: %d; want 200", got.status)
		}
		// A caller that fails authentication does not use the fault up.
		if got := s.do(req{path: "/revoke", header: hdr("Authorization", basic(rsID, "wrong")), body: "token=active-token"}); got.status != 401 {
			t.Errorf("bad caller: %d; want 401", got.status)
		}
		ns.FailNext(1, mockserver.Fault{Status: 429}) // introspection only
		if got := s.revoke("minimal-token"); got.status != 500 {
			t.Errorf("revoke: %d; want the pending 500", got.status)
		}
		if got := s.revoke("minimal-token"); got.status != 200 {
			t.Errorf("revoke after the fault: %d; want 200", got.status)
		}
		if got := s.ask("", "active-token"); got.status != 429 {
			t.Errorf("introspection: %d; want FailNext's 429", got.status)
		}
		ns.FailNextAt(mockserver.EndpointRevoke, 5, mockserver.Fault{Status: 500})
		ns.FailNextAt(mockserver.EndpointRevoke, 0, mockserver.Fault{})
		if got := s.revoke("minimal-token"); got.status != 200 {
			t.Errorf("revoke after a count of 0: %d; want the fault cancelled", got.status)
		}
		ns.FailNextAt(mockserver.EndpointRevoke, 5, mockserver.Fault{Status: 500})
		ns.Reset()
		if got := s.revoke("minimal-token"); got.status != 200 {
			t.Errorf("revoke after Reset: %d; want the fault cleared", got.status)
		}
	})
}

// TestFailNextAtToken checks server-wide faults at /token: a faulted call
// issues no token (docs/conformance.md ER-5, TE-3).
func TestFailNextAtToken(t *testing.T) {
	t.Parallel()
	s, ns := nsServer(t)
	before := s.srv.TokenCount()
	ns.FailNextAt(mockserver.EndpointToken, 1, mockserver.Fault{Status: 500})
	got := s.issueToken()
	if got.status != 500 || decodeErr(t, got.body).Error != "server_error" {
		t.Errorf("faulted /token: %d %s; want 500 server_error", got.status, got.body)
	}
	if n := s.srv.TokenCount(); n != before {
		t.Errorf("faulted /token stored a token: %d tokens; want %d", n, before)
	}
	if c := lastCall(t, ns); c.Endpoint != mockserver.EndpointToken || c.Fault != "status 500" || c.Token != "" {
		t.Errorf("journal: %+v; want the token call, fault \"status 500\", no token", c)
	}
	if got := s.issueToken(); got.status != 200 || !strings.Contains(got.body, `"access_token"`) {
		t.Errorf("next /token: %d %s; want a token", got.status, got.body)
	}

	ns.FailNextAt(mockserver.EndpointToken, 1, mockserver.Fault{Delay: 10 * time.Millisecond})
	if got := s.issueToken(); got.status != 200 || !strings.Contains(got.body, `"access_token"`) {
		t.Errorf("delayed /token: %d %s; want a token after the delay", got.status, got.body)
	}
	if c := lastCall(t, ns); c.Fault != "delay 10ms" || c.Token == "" {
		t.Errorf("journal: %+v; want fault \"delay 10ms\" and the issued token", c)
	}
}

// TestFailNextAtRefuses checks what FailNextAt refuses: an endpoint it
// does not fault, malformed answers outside introspection, and delays over
// fixtures.MaxDelay (docs/conformance.md ER-5).
func TestFailNextAtRefuses(t *testing.T) {
	t.Parallel()
	_, ns := nsServer(t)
	for _, tt := range []struct {
		name     string
		endpoint string
		f        mockserver.Fault
		want     string
	}{
		{"unknown endpoint", mockserver.EndpointJWKS, mockserver.Fault{Status: 500}, "unknown endpoint 'jwks' (want introspect, revoke, token or authorize)"},
		{"malformed at revoke", mockserver.EndpointRevoke, mockserver.Fault{Malformed: fixtures.MalformedHTML}, "malformed breaks an introspection answer"},
		{"delay over the cap", mockserver.EndpointToken, mockserver.Fault{Delay: fixtures.MaxDelay + time.Second}, "delay must be at most 10m"},
		{"delay over the cap at introspect", mockserver.EndpointIntrospect, mockserver.Fault{Delay: 1000 * time.Hour}, "delay must be at most 10m"},
	} {
		if err := ns.FailNextAt(tt.endpoint, 1, tt.f); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v; want one saying %q", tt.name, err, tt.want)
		}
	}
	// A fault exactly at the cap is fine.
	ns.FailNextAt(mockserver.EndpointIntrospect, 1, mockserver.Fault{Delay: fixtures.MaxDelay})
}

// TestAdminFaultsEndpoint checks POST /admin/faults with an endpoint, its
// default, its bad values, and DELETE clearing every endpoint (docs/conformance.md RV-7,
// ER-5).
func TestAdminFaultsEndpoint(t *testing.T) {
	t.Parallel()
	ts, _ := adminServer(t)
	revoke := func(tok string) resp {
		return do(t, ts, req{path: "/revoke", header: hdr("Authorization", basic(rsID, rsSecret)), body: form("token", tok)})
	}

	adminStep{"RV-7/fault at revoke", "POST", "/admin/faults", `{"endpoint":"revoke","respond":{"status":503,"retry_after":"3s"}}`, 204, ""}.check(t, ts)
	if got := asRS(t, ts, "/introspect", "active-token"); got.status != 200 {
		t.Errorf("introspection under a revoke fault: %d", got.status)
	}
	if got := revoke("active-token"); got.status != 503 || got.header.Get("Retry-After") != "3" {
		t.Errorf("RV-7/faulted revoke: %d Retry-After %q", got.status, got.header.Get("Retry-After"))
	}
	if got := asRS(t, ts, "/introspect", "active-token"); !strings.HasPrefix(got.body, `{"active":true`) {
		t.Errorf("RV-7/token after the faulted revoke: %s; want active", got.body)
	}
	adminStep{"journal shows it", "GET", "/admin/calls?endpoint=revoke", "", 200, `~"status":503,"active":false,"fault":"status 503","token":"active-token"}`}.check(t, ts)

	adminStep{"default endpoint is introspect", "POST", "/admin/faults", `{"respond":{"status":500}}`, 204, ""}.check(t, ts)
	if got := revoke("minimal-token"); got.status != 200 {
		t.Errorf("revoke under an introspection fault: %d", got.status)
	}
	if got := asRS(t, ts, "/introspect", "active-token"); got.status != 500 {
		t.Errorf("introspection: %d; want 500", got.status)
	}

	adminStep{"fault at token", "POST", "/admin/faults", `{"endpoint":"token","count":3,"respond":{"status":500}}`, 204, ""}.check(t, ts)
	adminStep{"fault at revoke", "POST", "/admin/faults", `{"endpoint":"revoke","count":3,"respond":{"status":500}}`, 204, ""}.check(t, ts)
	adminStep{"count 0 cancels one endpoint", "POST", "/admin/faults", `{"endpoint":"revoke","count":0}`, 204, ""}.check(t, ts)
	if got := revoke("minimal-token"); got.status != 200 {
		t.Errorf("revoke after count 0: %d; want 200", got.status)
	}
	svc := req{path: "/token", header: hdr("Authorization", basic(svcID, svcSecret)), body: form("grant_type", "client_credentials")}
	if got := do(t, ts, svc); got.status != 500 {
		t.Errorf("token: %d; want the token fault still pending", got.status)
	}
	adminStep{"DELETE clears every endpoint", "DELETE", "/admin/faults", "", 204, ""}.check(t, ts)
	if got := do(t, ts, svc); got.status != 200 {
		t.Errorf("token after DELETE: %d; want 200", got.status)
	}

	for _, st := range []adminStep{
		{"unknown endpoint", "POST", "/admin/faults", `{"endpoint":"jwks","respond":{"status":500}}`, 400,
			`{"error":"invalid_request","error_description":"endpoint: unknown endpoint 'jwks' (want introspect, revoke, token or authorize)"}`},
		{"endpoint not a string", "POST", "/admin/faults", `{"endpoint":{"x":1},"respond":{"status":500}}`, 400, `~body:1:13: endpoint: want a string`},
		{"malformed at revoke", "POST", "/admin/faults", `{"endpoint":"revoke","respond":{"malformed":"html"}}`, 400, `~malformed breaks an introspection answer; at revoke use status, error, delay or drop`},
		{"ER-5/delay over the cap", "POST", "/admin/faults", `{"endpoint":"revoke","respond":{"status":503,"delay":"1000h"}}`, 400,
			`{"error":"invalid_request","error_description":"body:1:54: respond.delay: delay must be at most 10m, got 1000h"}`},
	} {
		st.check(t, ts)
	}
}
