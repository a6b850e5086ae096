package mockserver

import (
	"encoding/json"
	"log/slog"
	"strconv"
)

// RedactedToken is a token as the journal keeps it (Call.Token): every way
// of printing it shows only its first characters (see Redact) — fmt's
// verbs %v, %+v, %s, %q and %#v, encoding/json and log/slog — so a test
// that logs a Call, or a whole slice of them, never leaks a token into CI
// output. Raw returns the token itself, for matching.
//
// A constant compares directly (c.Token == "my-token"); a variable needs
// Raw (c.Token.Raw() == tok). Decoding JSON into a RedactedToken keeps
// the string as given: the admin API sends journal tokens raw.
type RedactedToken string

// Raw returns the token, unredacted.
func (t RedactedToken) Raw() string { return string(t) }

// String returns the token redacted, "abcd…" (see Redact).
func (t RedactedToken) String() string { return Redact(string(t)) }

// GoString returns the redacted token quoted, for %#v.
func (t RedactedToken) GoString() string { return strconv.Quote(t.String()) }

// MarshalJSON returns the redacted token as a JSON string.
func (t RedactedToken) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// LogValue returns the redacted token.
func (t RedactedToken) LogValue() slog.Value { return slog.StringValue(t.String()) }
