package mockserver_test

import (
	"context"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/client/rs"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/introspectmock/introspectmock/mockserver"
)

// TestMalformedZitadel checks what the Malformed* constants' docs say
// about zitadel/oidc's resource server: which broken answers it refuses
// with an error and which it takes, and as what.
func TestMalformedZitadel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		kind       string
		wantErr    bool
		wantActive bool
	}{
		{mockserver.MalformedInvalidJSON, true, false},
		{mockserver.MalformedMissingActive, false, false},
		{mockserver.MalformedStringActive, true, false},
		{mockserver.MalformedContentType, false, true},
		{mockserver.MalformedHTML, true, false},
		{mockserver.MalformedOAuthErrorBody, false, false},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			t.Parallel()
			ts, srv := start(t, mockserver.WithFixtures(testSet()))
			ctx := context.Background()
			rsc, err := rs.NewResourceServerClientCredentials(ctx, ts.URL, rsID, rsSecret, rs.WithClient(ts.Client()))
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}
			// The normal answer first: active, so that an inactive
			// answer below comes from the fault.
			if got, err := rs.Introspect[*oidc.IntrospectionResponse](ctx, rsc, "active-token"); err != nil || !got.Active {
				t.Fatalf("without a fault: %+v, %v; want active", got, err)
			}
			srv.Default().FailNext(1, mockserver.Fault{Malformed: tt.kind})
			got, err := rs.Introspect[*oidc.IntrospectionResponse](ctx, rsc, "active-token")
			switch {
			case tt.wantErr && err == nil:
				t.Errorf("zitadel took the answer as %+v; the docs say it refuses it with an error", got)
			case !tt.wantErr && err != nil:
				t.Errorf("zitadel refused the answer: %v; the docs say it takes it", err)
			case !tt.wantErr && got.Active != tt.wantActive:
				t.Errorf("zitadel took the answer as active=%t; the docs say %t", got.Active, tt.wantActive)
			}
			if c := callsOf(srv.Default()); c[len(c)-1].Fault != "malformed "+tt.kind {
				t.Errorf("last call = %v; want the malformed fault played", c[len(c)-1])
			}
		})
	}
}
