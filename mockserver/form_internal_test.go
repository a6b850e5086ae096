package mockserver

import (
	"net/url"
	"testing"
)

// validEscapes and unescapeBytes, which read form bodies without copying
// them, accept and decode exactly what url.QueryUnescape does.
func FuzzUnescapeBytes(f *testing.F) {
	for _, s := range []string{"", "plain", "a+b", "%41%62", "%4", "%", "%%41", "%zz", "x%4g", "é%C3%A9", "100%", "+%2B+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := url.QueryUnescape(s)
		if valid := validEscapes([]byte(s)); valid != (err == nil) {
			t.Fatalf("validEscapes(%q) = %v; url.QueryUnescape says %v", s, valid, err)
		}
		if err == nil {
			if got := unescapeBytes([]byte(s)); got != want {
				t.Fatalf("unescapeBytes(%q) = %q; want %q", s, got, want)
			}
		}
	})
}
