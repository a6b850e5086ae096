package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestLoginPageFlag checks --login-page: without it /authorize logs the
// default user in at once (302 to the client); with it the login page
// is shown.
func TestLoginPageFlag(t *testing.T) {
	const authz = "/authorize?response_type=code&client_id=app&redirect_uri=http://127.0.0.1:9/callback" +
		"&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGge4jrB8Q&code_challenge_method=S256"
	noFollow := &http.Client{}
	for _, tc := range []struct {
		args   []string
		status int
		form   bool // the answer shows the login form
	}{
		{nil, http.StatusFound, false},
		{[]string{"--login-page"}, http.StatusOK, true},
	} {
		in := start(t, append([]string{"--addr", "127.0.0.1:0", "--fixtures", "testdata/flow.yaml"}, tc.args...), nil)
		req, err := http.NewRequest(http.MethodGet, in.url+authz, nil)
		if err != nil {
			t.Fatal(err)
		}
		var loc string
		noFollow.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
			loc = r.URL.String()
			return http.ErrUseLastResponse
		}
		status, body := do(t, noFollow, req)
		const formTag = `<form method="post" action="authorize">`
		if status != tc.status || strings.Contains(body, formTag) != tc.form {
			t.Errorf("%v: %d %s; want %d, login form shown %v", tc.args, status, body, tc.status, tc.form)
		}
		if tc.status == http.StatusFound && !strings.HasPrefix(loc, "http://127.0.0.1:9/callback?code=") {
			t.Errorf("redirect to %s", loc)
		}
	}
}
