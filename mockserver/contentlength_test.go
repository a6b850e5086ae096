package mockserver_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// Every answer carries its own exact Content-Length over the wire, also
// when answers of different lengths alternate (their values are shared
// between answers of the same length).
func TestContentLengthPerAnswer(t *testing.T) {
	set := &fixtures.Set{Clients: []fixtures.Client{{ClientID: rsID, ClientSecret: rsSecret}}}
	for i, sub := range []string{"a", strings.Repeat("b", 65), strings.Repeat("c", 129), "d"} {
		set.Tokens = append(set.Tokens, fixtures.Token{Token: fmt.Sprintf("tok-%d", i), Sub: sub})
	}
	ts, _ := start(t, mockserver.WithFixtures(set))
	for round := range 3 {
		for i := range set.Tokens {
			form := url.Values{"token": {set.Tokens[i].Token}}
			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/introspect", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", formType)
			req.SetBasicAuth(rsID, rsSecret)
			res, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 || !strings.Contains(string(body), `"active":true`) {
				t.Fatalf("round %d token %d: %d %s %v", round, i, res.StatusCode, body, err)
			}
			if got := res.Header.Get("Content-Length"); got != strconv.Itoa(len(body)) {
				t.Errorf("round %d token %d: Content-Length %q for a %d-byte answer", round, i, got, len(body))
			}
		}
	}
}
