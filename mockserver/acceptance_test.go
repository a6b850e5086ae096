package mockserver_test

import (
	"testing"
	"time"

	"github.com/introspectmock/introspectmock/mockserver"
)

// Regression tests for deviations found by the acceptance pass over
// docs/conformance.md with the binary.

// TestOtherEndpointsParamsIgnored: a parameter an endpoint does not read is
// unknown to it and ignored, even when repeated (docs/conformance.md IQ-5): Oathkeeper
// sends scope to /introspect, and a repeated scope there is no reason for
// a 400. The endpoint's own parameters stay strict (docs/conformance.md IQ-3, TE-1).
func TestOtherEndpointsParamsIgnored(t *testing.T) {
	t.Parallel()
	ts, _ := start(t, mockserver.WithFixtures(testSet()), mockserver.WithClock(newClock()))
	rs := hdr("Authorization", basic(rsID, rsSecret))
	svc := hdr("Authorization", basic(svcID, svcSecret))
	tests := []struct {
		name       string
		give       req
		wantStatus int
		wantErr    string // OAuth error code; "" for none
	}{
		{"IQ-5/introspect ignores repeated scope", req{header: rs, body: "token=active-token&scope=a&scope=b"}, 200, ""},
		{"IQ-5/introspect ignores repeated grant_type", req{header: rs, body: "token=active-token&grant_type=x&grant_type=y"}, 200, ""},
		{"IQ-5/revoke ignores repeated scope", req{path: "/revoke", header: rs, body: "token=minimal-token&scope=a&scope=b"}, 200, ""},
		{"TE-1/token ignores repeated token and token_type_hint",
			req{path: "/token", header: svc, body: "grant_type=client_credentials&token=a&token=b&token_type_hint=a&token_type_hint=b"}, 200, ""},
		{"IQ-3/introspect still refuses a repeated token", req{header: rs, body: "token=active-token&token=minimal-token"}, 400, "invalid_request"},
		{"TE-1/token still refuses a repeated scope",
			req{path: "/token", header: svc, body: "grant_type=client_credentials&scope=orders:read&scope=orders:write"}, 400, "invalid_request"},
		{"CA-6/repeated client_secret is still 400 everywhere",
			req{path: "/token", body: "grant_type=client_credentials&client_id=svc&client_secret=svc-secret&client_secret=x"}, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := do(t, ts, tt.give)
			if got.status != tt.wantStatus {
				t.Fatalf("status %d %s; want %d", got.status, got.body, tt.wantStatus)
			}
			if tt.wantErr != "" {
				if e := decodeErr(t, got.body); e.Error != tt.wantErr {
					t.Errorf("error %q; want %q", e.Error, tt.wantErr)
				}
			}
		})
	}
}

// TestVirtualClockFarTimes: a running clock set or moved centuries away
// shows that time, where an offset from the base clock (a Duration, at
// most 292 years) used to wrap or saturate silently (docs/conformance.md TL-1).
func TestVirtualClockFarTimes(t *testing.T) {
	t.Parallel()
	base := newClock()
	c := mockserver.NewVirtualClock(base)
	check := func(step string, want time.Time) {
		t.Helper()
		if got := c.Now(); !got.Equal(want) {
			t.Errorf("%s: Now = %v; want %v", step, got, want)
		}
	}
	far := time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Set(far)
	check("TL-1/set 470 years ahead while running", far)
	base.Set(t0.Add(time.Minute))
	check("TL-1/runs on from a far time", far.Add(time.Minute))
	const maxHours = 2562047 * time.Hour // about the longest Duration
	c.Advance(maxHours)
	c.Advance(maxHours)
	check("TL-1/advanced twice by the longest Duration", far.Add(time.Minute).Add(maxHours).Add(maxHours))
	c.Freeze()
	c.Set(time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC))
	c.Resume()
	base.Set(t0.Add(2 * time.Minute))
	check("TL-1/resumed 500 years back", time.Date(1500, 1, 1, 0, 1, 0, 0, time.UTC))
}

// TestAdminClockRange: the admin API refuses to move a clock out of the
// years RFC 3339 can write, rather than answering 500 to every later
// GET /admin/calls, whose call times would not encode (docs/conformance.md ER-4).
func TestAdminClockRange(t *testing.T) {
	t.Parallel()
	ts, _ := adminServer(t)
	steps := []adminStep{
		{name: "freeze", method: "POST", path: "/admin/clock/freeze", wantStatus: 200, wantBody: "~" + `"frozen":true`},
		{name: "set the last second", method: "POST", path: "/admin/clock/set", body: `{"time":"9999-12-31T23:59:59Z"}`,
			wantStatus: 200, wantBody: `{"now":"9999-12-31T23:59:59Z","frozen":true}`},
		{name: "ER-4/advance past year 9999 is 400", method: "POST", path: "/admin/clock/advance", body: `{"by":"2h"}`,
			wantStatus: 400, wantBody: "~" + `"error":"invalid_request"`},
		{name: "ER-4/set before year 0000 (UTC) is 400", method: "POST", path: "/admin/clock/set", body: `{"time":"0000-01-01T00:00:00+01:00"}`,
			wantStatus: 400, wantBody: "~" + `"error":"invalid_request"`},
		{name: "the clock did not move", method: "GET", path: "/admin/clock",
			wantStatus: 200, wantBody: `{"now":"9999-12-31T23:59:59Z","frozen":true}`},
	}
	for _, st := range steps {
		st.check(t, ts)
	}
	asRS(t, ts, "/introspect", "active-token")
	if got := admin(t, ts, "GET", "/admin/calls", ""); got.status != 200 {
		t.Errorf("ER-4/GET /admin/calls: %d %s; want 200", got.status, got.body)
	}
}
