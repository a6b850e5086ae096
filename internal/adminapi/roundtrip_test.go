package adminapi_test

import (
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/internal/adminapi"
	"github.com/introspectmock/introspectmock/mockserver"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

type fixedClock struct{}

func (fixedClock) Now() time.Time { return t0 }

// serve returns a Client of a server behind Handler, and its default
// namespace.
func serve(t *testing.T) (*adminapi.Client, *mockserver.Namespace) {
	t.Helper()
	srv, err := mockserver.New(mockserver.WithClock(fixedClock{}))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(adminapi.Handler(srv))
	t.Cleanup(ts.Close)
	return adminapi.NewClient(ts.URL, ts.Client(), ""), srv.Default()
}

// script returns steps that together set every field of Step and of
// Fault, each trigger kind included (checked by TestRoundTrip).
func script() []mockserver.Step {
	return []mockserver.Step{
		{When: mockserver.OnCall(1), Respond: &mockserver.Fault{Status: 503, RetryAfter: 2 * time.Second, Delay: 100 * time.Millisecond}},
		{When: mockserver.AfterCalls(2), State: mockserver.StateRevoked},
		{When: mockserver.After(10 * time.Minute), Respond: &mockserver.Fault{Drop: true}},
		{When: mockserver.Always(), Respond: &mockserver.Fault{Malformed: fixtures.MalformedHTML}},
		{When: mockserver.OnCall(9), Respond: &mockserver.Fault{Status: 400, Error: "invalid_grant"}},
		{When: mockserver.OnCall(10), Respond: &mockserver.Fault{JWT: mockserver.JWTWrongAud, Delay: time.Millisecond}},
	}
}

// fill sets every field of the struct v points to, so that a field the
// wire format drops shows in the comparison. A field of a type it does
// not know fails the test: teach it here, and carry the field in
// adminapi's Token.
func fill(t *testing.T, v reflect.Value) {
	t.Helper()
	v = v.Elem()
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch f.Interface().(type) {
		case string:
			f.SetString("v-" + strings.ToLower(name))
		case bool:
			f.SetBool(true)
		case []string:
			f.Set(reflect.ValueOf([]string{"x-" + name, "y-" + name}))
		case time.Time:
			f.Set(reflect.ValueOf(t0.Add(time.Duration(i) * time.Minute)))
		case time.Duration:
			f.SetInt(int64(time.Duration(i) * time.Minute))
		case map[string]any:
			f.Set(reflect.ValueOf(map[string]any{"ext-" + strings.ToLower(name): "v", "n": 1.5}))
		case []mockserver.Step:
			f.Set(reflect.ValueOf(script()))
		default:
			t.Fatalf("fill: field %s of type %s is new to this test: fill it, and carry it in adminapi.Token", name, f.Type())
		}
	}
}

// cmpOpts compare Steps by their triggers too.
var cmpOpts = cmp.Options{cmp.Comparer(func(a, b mockserver.Trigger) bool { return a == b })}

// TestRoundTrip proves that every field of mockserver.Token, Step and Fault
// survives Client → Handler → Server → Client.
func TestRoundTrip(t *testing.T) {
	var want mockserver.Token
	fill(t, reflect.ValueOf(&want))
	// Values the server checks, and the input-only ExpiresIn (TokenInfo
	// never has it; ExpiresAt is set, so it is not used).
	want.Token, want.Scope, want.Kind, want.Iss = "round-trip", "read write", mockserver.KindRefreshToken, "https://issuer.example"
	want.ExpiresIn = 0

	// The script sets every Step field and, in its Respond steps, every
	// Fault field.
	for _, typ := range []reflect.Type{reflect.TypeFor[mockserver.Step](), reflect.TypeFor[mockserver.Fault]()} {
		for i := range typ.NumField() {
			set := false
			for _, s := range script() {
				v := reflect.ValueOf(s)
				if typ == reflect.TypeFor[mockserver.Fault]() {
					if s.Respond == nil {
						continue
					}
					v = reflect.ValueOf(*s.Respond)
				}
				set = set || !v.Field(i).IsZero()
			}
			if !set {
				t.Errorf("script() sets no %s.%s: set it so the round trip covers it", typ.Name(), typ.Field(i).Name)
			}
		}
	}

	c, ns := serve(t)
	tok, err := c.AddToken(want)
	if err != nil {
		t.Fatal(err)
	}
	if tok != want.Token {
		t.Fatalf("AddToken = %q; want %q", tok, want.Token)
	}
	got, err := c.Lookup(tok)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got.Token, cmpOpts); diff != "" {
		t.Errorf("Client → Handler → Server → Client (-want +got):\n%s", diff)
	}
	inproc, err := ns.Lookup(tok)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(inproc, got, cmpOpts); diff != "" {
		t.Errorf("remote Lookup differs from in-process (-in +remote):\n%s", diff)
	}
	list, err := c.Tokens()
	if err != nil || len(list) != 1 {
		t.Fatalf("Tokens = %d, %v", len(list), err)
	}
	if diff := cmp.Diff(got, list[0], cmpOpts); diff != "" {
		t.Errorf("Tokens differs from Lookup (-lookup +tokens):\n%s", diff)
	}

	// A script alone, through its own route.
	steps := script()[1:]
	if err := c.SetScript(tok, steps); err != nil {
		t.Fatal(err)
	}
	got, _ = c.Lookup(tok)
	if diff := cmp.Diff(steps, got.Script, cmpOpts); diff != "" {
		t.Errorf("SetScript round trip (-want +got):\n%s", diff)
	}
}

// TestRoundTripRelative checks the relative forms: ExpiresIn, and exp
// never.
func TestRoundTripRelative(t *testing.T) {
	c, _ := serve(t)
	tok, err := c.AddToken(mockserver.Token{ExpiresIn: 90 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Lookup(tok)
	if err != nil {
		t.Fatal(err)
	}
	if !got.IssuedAt.Equal(t0) || !got.ExpiresAt.Equal(t0.Add(90*time.Minute)) {
		t.Errorf("ExpiresIn 90m: iat %v, exp %v; want %v and 90m later", got.IssuedAt, got.ExpiresAt, t0)
	}
	tok, err = c.AddToken(mockserver.Token{ExpiresIn: -1})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Lookup(tok); !got.ExpiresAt.IsZero() {
		t.Errorf("ExpiresIn < 0: exp %v; want none", got.ExpiresAt)
	}
}

// mutator is what TestClientErrors calls, on a Namespace and a Client.
type mutator interface {
	Revoke(string) error
	Expire(string) error
	Remove(string) error
	SetScript(string, []mockserver.Step) error
	AddToken(mockserver.Token) (string, error)
	FailNextAt(string, int, mockserver.Fault) error
}

// TestClientErrors checks that the Client's errors match the Namespace's.
func TestClientErrors(t *testing.T) {
	_, ns := serve(t)
	for name, f := range map[string]func(*testing.T, mutator){
		"unknown token": func(t *testing.T, b mutator) {
			for op, err := range map[string]error{
				"Revoke": b.Revoke("nope"), "Expire": b.Expire("nope"), "Remove": b.Remove("nope"),
				"SetScript": b.SetScript("nope", nil),
			} {
				if !errors.Is(err, mockserver.ErrNotFound) {
					t.Errorf("%s: %v; want ErrNotFound", op, err)
				}
			}
			if _, err := b.AddToken(mockserver.Token{Token: "twice"}); err != nil {
				t.Fatal(err)
			}
			if _, err := b.AddToken(mockserver.Token{Token: "twice"}); !errors.Is(err, mockserver.ErrExists) {
				t.Errorf("AddToken twice: %v; want ErrExists", err)
			}
			if err := b.SetScript("twice", []mockserver.Step{{State: mockserver.StateRevoked}}); err == nil {
				t.Error("a step without a trigger: no error")
			}
			if err := b.FailNextAt(mockserver.EndpointRevoke, 1, mockserver.Fault{Malformed: fixtures.MalformedHTML}); err == nil {
				t.Error("malformed at revoke: no error")
			}
		},
	} {
		t.Run(name+"/inproc", func(t *testing.T) { f(t, ns) })
		c, _ := serve(t)
		t.Run(name+"/remote", func(t *testing.T) { f(t, c) })
	}
}
