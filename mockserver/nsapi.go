package mockserver

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
)

// Name returns the namespace's name; "" for the default namespace.
func (ns *Namespace) Name() string { return ns.name }

// Clock returns the namespace's clock. Token state in the namespace is
// judged against it, and relative fixture times resolve against it.
func (ns *Namespace) Clock() *VirtualClock { return ns.clock }

// AddToken adds t and returns its token string: t.Token, or a random
// opaque one when that is empty. Relative parts (ExpiresIn) and the
// script's After steps count from the clock's now. A token string already
// in the namespace is an error (ErrExists), as are a token limit reached
// (ErrLimit), a claim shadowing a registered member, ExpiresAt not after
// IssuedAt, NotBefore not before ExpiresAt and a bad script step.
func (ns *Namespace) AddToken(t Token) (string, error) {
	now := ns.clock.Now()
	random := t.Token == ""
	if random {
		t.Token = randomToken()
	} else if msg := checkTokenString(t.Token); msg != "" {
		return "", fmt.Errorf("AddToken: %s", msg)
	}
	ft, err := toFixture(&t, now)
	if err != nil {
		return "", fmt.Errorf("AddToken %s: %w", Redact(t.Token), err)
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	for random && ns.tokens[ft.Token] != nil { // 2^-256: never, but cheap to be sure
		ft.Token = randomToken()
	}
	switch {
	case ns.tokens[ft.Token] != nil:
		return "", fmt.Errorf("AddToken %s: token %w", Redact(ft.Token), ErrExists)
	case len(ns.tokens) >= ns.sh.maxTokens:
		return "", ns.tokenLimitError()
	}
	// Rendered with mu held, so that every entry has the issuer of the
	// state stored with the tokens.
	e, err := newEntry(ft, slices.Clone(t.Script), now, ns.st.Load().issuer)
	if err != nil {
		return "", fmt.Errorf("AddToken %s: %w", Redact(ft.Token), err)
	}
	if !ns.holdLocked(1) {
		return "", ns.sh.totalLimitError()
	}
	ns.tokens[ft.Token] = e
	return ft.Token, nil
}

func (ns *Namespace) tokenLimitError() error {
	return fmt.Errorf("the namespace holds %d tokens, the limit (WithMaxTokens, --max-tokens); delete some first: %w", ns.sh.maxTokens, ErrLimit)
}

// checkTokenString returns what is wrong with a token string from Go:
// fixtures' rules (CheckToken), and a length the journal can hold.
func checkTokenString(s string) string {
	if err := fixtures.CheckToken(s); err != nil {
		return err.Error()
	}
	if len(s) > maxJournalToken {
		return fmt.Sprintf("token longer than %d bytes", maxJournalToken)
	}
	return ""
}

// toFixture converts a Token from code to the fixture form the store
// renders, with absolute times. It copies what it keeps.
func toFixture(t *Token, now time.Time) (*fixtures.Token, error) {
	for _, f := range strings.Fields(t.Scope) {
		if err := fixtures.CheckScopeToken(f); err != nil {
			return nil, fmt.Errorf("scope: %w", err)
		}
	}
	if err := checkSteps(t.Script); err != nil {
		return nil, err
	}
	ft := &fixtures.Token{
		Token: t.Token, Scope: strings.Join(strings.Fields(t.Scope), " "),
		ClientID: t.ClientID, Username: t.Username, Sub: t.Sub,
		Aud: fixtures.Audience{Values: slices.Clone(t.Aud), List: t.AudList},
		Iss: t.Iss, TokenType: t.TokenType, Jti: t.Jti,
		Claims: withoutNullClaims(t.Claims), Revoked: t.Revoked,
		Kind: t.Kind, Grant: t.Grant, IntrospectableBy: slices.Clone(t.IntrospectableBy),
	}
	if err := checkKind(t.Kind); err != nil {
		return nil, err
	}
	if len(ft.IntrospectableBy) == 0 {
		ft.IntrospectableBy = nil
	}
	iat, nbf, exp := t.IssuedAt, t.NotBefore, t.ExpiresAt
	switch {
	case !exp.IsZero() || t.ExpiresIn < 0:
	case t.ExpiresIn > 0:
		exp = now.Add(t.ExpiresIn)
		if iat.IsZero() {
			iat = now
		}
	default: // as fixtures do (docs/conformance.md TL-3, PF-15)
		start := now
		for _, s := range []time.Time{iat, nbf} {
			if s.After(start) {
				start = s
			}
		}
		exp = start.Add(fixtures.DefaultLifetime)
	}
	if !exp.IsZero() && !iat.IsZero() && !iat.Before(exp) {
		return nil, fmt.Errorf("exp (%s) must be after iat (%s)", exp.Format(time.RFC3339), iat.Format(time.RFC3339))
	}
	if !exp.IsZero() && !nbf.IsZero() && !nbf.Before(exp) {
		return nil, fmt.Errorf("nbf (%s) must be before exp (%s)", nbf.Format(time.RFC3339), exp.Format(time.RFC3339))
	}
	set := func(t time.Time) fixtures.Time {
		if t.IsZero() {
			return fixtures.Time{}
		}
		return fixtures.Absolute(t)
	}
	ft.Iat, ft.Nbf, ft.Exp = set(iat), set(nbf), set(exp)
	return ft, nil
}

// checkKind checks a token's Kind (docs/conformance.md RV-5).
func checkKind(kind string) error {
	switch kind {
	case "", KindAccessToken, KindRefreshToken:
		return nil
	}
	return fmt.Errorf("kind: unknown kind %q (want %s or %s)", kind, KindAccessToken, KindRefreshToken)
}

// renderAnswer renders a stub's active answer.
func renderAnswer(t *Token, now time.Time, issuer string) (activeBody, error) {
	t2 := *t
	t2.Script = nil
	ft, err := toFixture(&t2, now)
	if err != nil {
		return activeBody{}, err
	}
	return renderActive(ft, ft.Iat.Resolve(now), ft.Nbf.Resolve(now), ft.Exp.Resolve(now), issuer)
}

// info describes e (token string tok) at now. ns.mu must be held.
func (e *entry) info(tok string, now time.Time) TokenInfo {
	src := e.src
	t := Token{
		Token: tok, Scope: normalScope(src.Scope),
		ClientID: src.ClientID, Username: src.Username, Sub: src.Sub,
		Aud: slices.Clone(src.Aud.Values), AudList: src.Aud.List,
		Iss: src.Iss, TokenType: src.TokenType, Jti: src.Jti,
		IssuedAt: e.iat, NotBefore: e.nbf, ExpiresAt: e.exp, Claims: maps.Clone(src.Claims), Revoked: e.revoked,
		Kind: src.Kind, Grant: src.Grant, IntrospectableBy: slices.Clone(src.IntrospectableBy),
	}
	calls := e.calls.Load()
	state := e.stateAt(now)
	if e.script != nil {
		t.Script = slices.Clone(e.script.steps)
		if s, _, _ := e.script.eval(calls+1, now); s != "" {
			state = s
		}
	}
	return TokenInfo{Token: t, State: state, Calls: int(calls), RevokedBy: e.revokedBy}
}

// Tokens returns every token of the namespace, sorted by token string.
// It never fails in process.
func (ns *Namespace) Tokens() ([]TokenInfo, error) {
	now := ns.clock.Now()
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	out := make([]TokenInfo, 0, len(ns.tokens))
	for tok, e := range ns.tokens {
		out = append(out, e.info(tok, now))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Token.Token < out[j].Token.Token })
	return out, nil
}

// Lookup returns the token, one the namespace holds or one a token
// pattern matches (as it would answer). Any other token is ErrNotFound.
func (ns *Namespace) Lookup(token string) (TokenInfo, error) {
	now := ns.clock.Now()
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	e := ns.tokens[token]
	if e == nil {
		e = ns.patternEntryLocked(token)
	}
	if e == nil {
		return TokenInfo{}, noToken("Lookup", token)
	}
	return e.info(token, now), nil
}

// noToken is the error of a token the namespace does not hold.
func noToken(op, token string) error {
	return fmt.Errorf("%s %s: token %w", op, Redact(token), ErrNotFound)
}

// Revoke revokes the token. Revoking a refresh token also revokes every
// access token of its grant (docs/conformance.md RV-5). A token pattern's token is
// stored, revoked, the others of the pattern staying as they were; past
// the store's limits (WithMaxTokens) that is an error (ErrLimit). Any
// other token the namespace does not hold is ErrNotFound.
func (ns *Namespace) Revoke(token string) error {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	e, err := ns.storedOrPatternLocked(token)
	if err != nil {
		return fmt.Errorf("Revoke: %w", err)
	}
	if e == nil {
		return noToken("Revoke", token)
	}
	ns.revokeEntryLocked(e, true)
	return nil
}

// Expire sets the token's exp to the clock's now, so that it is inactive
// from now on (until the clock is moved back). A token pattern's token is
// stored as Revoke says. Any other token the namespace does not hold is
// ErrNotFound.
func (ns *Namespace) Expire(token string) error {
	now := ns.clock.Now()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	e, err := ns.storedOrPatternLocked(token)
	if err != nil {
		return fmt.Errorf("Expire: %w", err)
	}
	if e == nil {
		return noToken("Expire", token)
	}
	body, err := renderActive(e.src, e.iat, e.nbf, now, ns.st.Load().issuer)
	if err == nil { // it rendered before with the same members
		e.body = body
	}
	e.hasExp, e.exp = true, now
	return nil
}

// Remove deletes the token. A token the namespace does not hold is
// ErrNotFound.
func (ns *Namespace) Remove(token string) error {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.tokens[token] == nil {
		return noToken("Remove", token)
	}
	delete(ns.tokens, token)
	ns.holdLocked(-1)
	return nil
}

// SetScript replaces the token's script (no steps removes it) and restarts
// its call count; After steps count from the clock's now. A token pattern's
// token is stored with the script, the others of the pattern staying as
// they were; past the store's limits that is an error (ErrLimit). An
// unknown token (ErrNotFound) or a bad step is an error, and then nothing
// changes.
func (ns *Namespace) SetScript(token string, steps []Step) error {
	if err := checkSteps(steps); err != nil {
		return fmt.Errorf("SetScript: %w", err)
	}
	sc := newScript(slices.Clone(steps), ns.clock.Now())
	ns.mu.Lock()
	defer ns.mu.Unlock()
	e, err := ns.storedOrPatternLocked(token)
	if err != nil {
		return fmt.Errorf("SetScript: %w", err)
	}
	if e == nil {
		return noToken("SetScript", token)
	}
	e.script = sc
	e.calls.Store(0)
	return nil
}

// FailNext makes the next count authenticated introspections in the
// namespace, whatever their token, play f instead of their answer. It
// comes before the stub and scripts, and replaces introspection faults
// still pending; a count ≤ 0 cancels them. It is FailNextAt for
// EndpointIntrospect: a fault fixtures would refuse is an error.
func (ns *Namespace) FailNext(count int, f Fault) error {
	return ns.FailNextAt(EndpointIntrospect, count, f)
}

// SetStub makes f decide introspection answers before the token store
// (after FailNext faults); nil removes the stub. It never fails in
// process; the error is that of the remote backends (package testkit).
func (ns *Namespace) SetStub(f Stub) error {
	if f == nil {
		ns.stub.Store(nil)
		return nil
	}
	ns.stub.Store(&f)
	return nil
}

// AddClient adds a caller, as a fixture client would be. A client_id or
// bearer already known is an error (ErrExists). Reset removes it again.
func (ns *Namespace) AddClient(c fixtures.Client) error {
	cl, err := newClient(&c)
	if err != nil {
		return fmt.Errorf("AddClient: %w", err)
	}
	if err := ns.updateState(func(st *state) error { return st.add(cl) }); err != nil {
		return fmt.Errorf("AddClient: %w", err)
	}
	return nil
}

// Reset puts the namespace back as it started: the tokens and clients of
// the fixtures (the current ones: after Server.Reload, the new ones;
// relative times resolved against the clock's now, scripts counting from
// now), no pending faults, no stub, an empty journal. The clock is left as
// it is. It fails only if the fixtures no longer load (say, relative times
// now past the clock's years 0000 to 9999, or the total token cap); then
// the tokens and clients are left as they were, and the rest is reset.
func (ns *Namespace) Reset() error {
	_ = ns.ClearFaults()
	ns.stub.Store(nil)
	ns.journal.clear()
	if err := ns.load(ns.sh.seed.Load()); err != nil {
		return fmt.Errorf("Reset: %w", err)
	}
	return nil
}

// Calls returns the journal, oldest call first: the latest calls to the
// protocol endpoints (not the admin API), as many as WithJournalSize
// keeps. It never fails in process; the error is that of the remote
// backends (package testkit).
func (ns *Namespace) Calls() ([]Call, error) { return ns.journal.list(), nil }

// ClearCalls empties the journal. It never fails in process.
func (ns *Namespace) ClearCalls() error {
	ns.journal.clear()
	return nil
}

// Journal describes a namespace's journal.
type Journal struct {
	Size int // how many calls it keeps at most
	Kept int // how many it holds
}

// Journal returns the journal's size and how many calls it holds.
func (ns *Namespace) Journal() Journal {
	size, kept := ns.journal.stats()
	return Journal{Size: size, Kept: kept}
}

// JournalSize returns how many calls the journal keeps at most.
func (ns *Namespace) JournalSize() int { return int(ns.journal.size.Load()) }

// SetJournalSize makes the journal keep the latest n calls from now on
// (0 keeps none), dropping the oldest it holds beyond n. Namespaces made
// afterwards still start with WithJournalSize's size. A negative n is an
// error.
func (ns *Namespace) SetJournalSize(n int) error {
	if n < 0 {
		return fmt.Errorf("SetJournalSize: negative size %d", n)
	}
	ns.journal.resize(n)
	return nil
}

// ClockReading is a namespace clock's time and whether it stands still.
type ClockReading struct {
	Now    time.Time
	Frozen bool
}

// ReadClock reads the namespace clock. It never fails in process.
func (ns *Namespace) ReadClock() (ClockReading, error) {
	frozen := ns.clock.Frozen() // first: a clock frozen between the reads shows a time it had
	return ClockReading{Now: ns.clock.Now(), Frozen: frozen}, nil
}

// FreezeClock stops the namespace clock (VirtualClock.Freeze). It never
// fails in process.
func (ns *Namespace) FreezeClock() error {
	ns.clock.Freeze()
	return nil
}

// ResumeClock lets the namespace clock run again (VirtualClock.Resume).
// It never fails in process.
func (ns *Namespace) ResumeClock() error {
	ns.clock.Resume()
	return nil
}

// AdvanceClock moves the namespace clock by d, back when negative
// (VirtualClock.Advance). A move out of the years 0000 to 9999 (UTC),
// which RFC 3339 cannot write, is an error, and then the clock stays.
func (ns *Namespace) AdvanceClock(d time.Duration) error {
	if !inRFC3339Range(ns.clock.Now().Add(d)) {
		return fmt.Errorf("by: %s would move the clock out of the years 0000 to 9999", quote(d.String()))
	}
	ns.clock.Advance(d)
	return nil
}

// SetClock sets the namespace clock to t (VirtualClock.Set). A t out of
// the years 0000 to 9999 (UTC) is an error, and then the clock stays.
func (ns *Namespace) SetClock(t time.Time) error {
	if !inRFC3339Range(t) {
		return fmt.Errorf("time: %s is out of the years 0000 to 9999 in UTC", quote(t.Format(time.RFC3339Nano)))
	}
	ns.clock.Set(t)
	return nil
}

// inRFC3339Range reports whether t is in the years 0000 to 9999 (UTC),
// which RFC 3339 can write: the clock answers and the journal's call times
// must encode (docs/conformance.md ER-4).
func inRFC3339Range(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 0 && y <= 9999
}

// quote quotes s for an error_description, which may not hold '"' (docs/conformance.md
// ER-1): 'like this', cut to 64 bytes.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return "'" + s + "'"
}

// TokenFromFixture converts a parsed fixture token (fixtures.ParseToken,
// an admin API body) to a Token, resolving relative times against now. It
// is the one place a fixtures.Token becomes a Token.
func TokenFromFixture(ft fixtures.Token, now time.Time) Token {
	t := Token{
		Token: ft.Token, Scope: ft.Scope, ClientID: ft.ClientID, Username: ft.Username, Sub: ft.Sub,
		Aud: ft.Aud.Values, AudList: ft.Aud.List, Iss: ft.Iss, TokenType: ft.TokenType, Jti: ft.Jti,
		IssuedAt: ft.Iat.Resolve(now), NotBefore: ft.Nbf.Resolve(now), ExpiresAt: ft.Exp.Resolve(now),
		Claims: ft.Claims, Revoked: ft.Revoked, Script: StepsFromFixtures(ft.Script),
		Kind: ft.Kind, Grant: ft.Grant, IntrospectableBy: ft.IntrospectableBy,
	}
	if !ft.Exp.IsSet() { // `exp: never`: the parser set the default otherwise
		t.ExpiresIn = -1
	}
	return t
}
