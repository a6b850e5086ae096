package mockserver

import (
	"bytes"
	"strings"
	"testing"
)

// jsonStrings are strings whose JSON form takes every escape.
var jsonStrings = []string{
	"", "plain", `quote " and backslash \`, "<a&b>", "\b\f\n\r\t", "\x00\x01\x1f\x7f",
	"é日本🎉", "bad \xff utf-8 \xc3", "line\u2028para\u2029", "\xed\xa0\x80 surrogate", strings.Repeat("x", 300),
}

// appendJSONString and appendJSONValue write what encoding/json writes
// (the answers were rendered with a json.Encoder before).
func TestAppendJSONMatchesEncoder(t *testing.T) {
	for _, s := range jsonStrings {
		checkJSONString(t, s)
	}
	for _, v := range []any{true, false, nil, "s\n", 3, 2.5, []any{"a", 1}, map[string]any{"b": 1, "a": "<"}} {
		want, err := marshalJSON(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendJSONValue([]byte("x"), v)
		if err != nil || string(got) != "x"+string(want) {
			t.Errorf("appendJSONValue(%#v) = %s, %v; want x%s", v, got, err, want)
		}
	}
	if _, err := appendJSONValue(nil, make(chan int)); err == nil {
		t.Error("appendJSONValue of a channel: no error")
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStrings {
		f.Add(s)
	}
	f.Fuzz(checkJSONString)
}

func checkJSONString(t *testing.T, s string) {
	want, err := marshalJSON(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendJSONString([]byte("{"), s); !bytes.Equal(got, append([]byte("{"), want...)) {
		t.Errorf("appendJSONString(%q) = %s; want {%s", s, got, want)
	}
}

// normalScope is strings.Join(strings.Fields(s), " ").
func TestNormalScope(t *testing.T) {
	for _, s := range []string{"", " ", "a", "read write", " a", "a ", "a  b", "a\tb", "a\nb", "\x00a", "é b", "a\u00a0b", "a\u0085b", "a\u2003b", "x:y z"} {
		if got, want := normalScope(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Errorf("normalScope(%q) = %q; want %q", s, got, want)
		}
	}
}
