package mockserver

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
)

// defaultTokenLifetime is the lifetime of tokens issued at /token when the
// client sets none.
const defaultTokenLifetime = time.Hour

// Namespace is one isolated world of a Server: its own tokens (seeded from
// the fixtures), clients, clock, scripts, faults, stub and journal. The
// default namespace answers at "/"; a named one under /ns/{name}/, with
// an issuer that ends in that prefix. Its methods are safe for concurrent
// use, also while it serves requests.
type Namespace struct {
	sh     *shared // what the server's namespaces share
	name   string  // "" for the default namespace
	prefix string  // URL path prefix routed to it; "" for the default namespace
	clock  *VirtualClock

	// st is the configuration of the last load. Writers store it with mu
	// held for writing, together with tokens; readers that need it
	// consistent with tokens load it with mu held, others may load it alone.
	st atomic.Pointer[state]

	mu     sync.RWMutex // guards tokens and the mutable fields of every entry; never held while writing to the network
	tokens map[string]*entry
	// counted tells whether tokens count in the server's total
	// (WithMaxTotalTokens): from when the namespace is the server's until
	// it is deleted. Guarded by mu.
	counted bool
	// sweptAt is when a sweep last left the store full (real time), so
	// that a full store is not swept on every /token call.
	sweptAt time.Time
	// issued queues the tokens issued at /token by exp, for dropping them
	// once expired (prune.go). Guarded by mu.
	issued issuedQueue
	// jtis remembers the jti of accepted client assertions
	// (clientassertion.go).
	jtis jtiCache

	// codes holds the authorization codes issued at /authorize and not
	// yet expired (authorize.go). Guarded by mu.
	codes map[string]*authCode
	// nextLogin is who the next authorization request that names nobody
	// logs in as (SetNextLogin); nil for none.
	nextLogin atomic.Pointer[string]

	// faults holds the FailNextAt orders by endpoint (faultSlot); nil for none.
	faults  [len(faultEndpoints)]atomic.Pointer[pendingFaults]
	stub    atomic.Pointer[Stub] // SetStub; nil for none
	journal journal

	// issCache caches the issuer derived from the last request's scheme
	// and host, for when no issuer is configured.
	issCache atomic.Pointer[derivedIssuer]
}

// pendingFaults is a FailNextAt order: left more calls play f.
type pendingFaults struct {
	f    Fault
	desc string
	left atomic.Int64
}

// state is the immutable configuration a namespace got from its fixtures
// (and AddClient).
type state struct {
	issuer         string // configured issuer, byte for byte; "" when derived per request
	issuerPath     string // path of the configured issuer without trailing slash; "" for none
	allowAnonymous bool
	clients        map[string]*client // id/secret clients by client_id
	bearers        []*client          // fixture bearer callers
	// Derived from the clients by add, so requests need not scan them.
	hasPublic     bool // some client has a client_id and no secret
	jwtResponses  bool // some client sets a JWT response alg (docs/conformance.md JR-8)
	privateKeyJWT bool // some client authenticates with private_key_jwt (docs/conformance.md MD-6)
	// patterns answer for the tokens they match that the store does not
	// hold, the first matching one deciding (pattern.go).
	patterns []*pattern

	// The users of the authorization endpoint (users.go): by sub, by
	// username, the default one (nil for none) and all in order.
	users       map[string]*user
	usernames   map[string]*user
	defaultUser *user
	userList    []*user
}

// add registers c, keeping the derived flags true to the clients. A
// client_id or bearer already known is ErrExists. st must not be shared
// yet: AddClient adds to a copy.
func (st *state) add(c *client) error {
	if c.bearer != "" {
		for _, b := range st.bearers {
			if b.bearer == c.bearer {
				return fmt.Errorf("bearer %w", ErrExists)
			}
		}
		st.bearers = append(st.bearers, c)
		return nil
	}
	if st.clients[c.id] != nil {
		return fmt.Errorf("client_id %q %w", c.id, ErrExists)
	}
	st.clients[c.id] = c
	st.hasPublic = st.hasPublic || c.public()
	st.jwtResponses = st.jwtResponses || c.jwt != nil && c.jwt.responses
	st.privateKeyJWT = st.privateKeyJWT || c.privateKeyJWT()
	return nil
}

// client is a caller of the endpoints, built from a fixtures.Client.
type client struct {
	id     string
	secret string // "" for a public client: only revocation accepts it (docs/conformance.md RV-2)
	bearer string // a fixture bearer caller's token; "" for id/secret clients
	// scopes are the scopes the client may ask for at /token; nil allows any.
	scopes []string
	// introspectOnly is set when the fixture's Scopes is an explicit empty
	// list: the client may not fetch tokens (docs/conformance.md TE-6).
	introspectOnly bool
	lifetime       time.Duration // of tokens issued at /token
	basic, post    bool          // client_secret_basic, client_secret_post allowed
	introspect     bool          // may call /introspect (docs/conformance.md CA-8)
	// revokeOwnOnly refuses revoking other clients' tokens;
	// revokeRefreshOnly refuses revoking access tokens (docs/conformance.md RV-6).
	revokeOwnOnly, revokeRefreshOnly bool
	// jwt holds its keys (private_key_jwt) and JWT introspection response
	// settings (clientassertion.go); nil for none.
	jwt *clientJWT
	// The authorization code flow (authorize.go): registered redirect
	// URIs, post-logout redirect URIs, the login page, plain PKCE.
	redirectURIs, postLogoutURIs []string
	loginPage, plainPKCE         bool
}

// entry is a token of the store. Fields other than calls are guarded by
// Namespace.mu: read with it held, written with it held for writing.
type entry struct {
	src     *fixtures.Token // what the token was made from; never modified
	revoked bool
	// revokedBy says why revoked is set: a Revoked* name.
	revokedBy string
	hasNbf    bool
	hasExp    bool
	iat       time.Time // resolved; zero when unset
	nbf, exp  time.Time // resolved; zero when unset (hasNbf, hasExp tell unset from set)
	body      activeBody
	// issuedTo is the client a /token token was issued to; nil for
	// fixture tokens. Such tokens authenticate bearer callers (docs/conformance.md CA-5).
	issuedTo *client
	script   *script // nil for none
	// calls counts authenticated introspections of the token (the script's
	// n), incremented once per call with mu held for reading.
	calls atomic.Int64
	// grant is the login a token of the authorization code flow belongs
	// to (grant.go); nil for other tokens.
	grant *grantInfo
	// rotated marks a refresh token already exchanged for a new one: a
	// second use revokes its family (RFC 9700 §4.14.2).
	rotated bool
}

// activeAt reports whether the token is active at now (docs/conformance.md TL-2): not
// revoked, now ≥ nbf and now < exp, each if set. Namespace.mu must be held.
func (e *entry) activeAt(now time.Time) bool {
	return e.stateAt(now) == StateActive
}

// stateAt returns the stored state of the token at now. Namespace.mu must
// be held.
func (e *entry) stateAt(now time.Time) string {
	switch {
	case e.revoked:
		return StateRevoked
	case e.hasNbf && now.Before(e.nbf):
		return StateNotYetValid
	case e.hasExp && !now.Before(e.exp):
		return StateExpired
	}
	return StateActive
}

// derivedIssuer is the issuer of requests with one scheme and Host.
type derivedIssuer struct {
	tls    bool
	host   string
	issuer string
	member []byte // `,"iss":"<issuer>"`
}

// shared is what the namespaces of one Server share: its limits and
// configured issuer (immutable), the fixtures they are made and reset
// from, and the count of their tokens against WithMaxTotalTokens.
type shared struct {
	issuer    string // WithIssuer's; "" for none
	maxTokens int    // per namespace
	maxTotal  int    // all namespaces together
	held      atomic.Int64
	seed      atomic.Pointer[fixtures.Set]
}

// newNamespace returns an empty namespace of s; load fills it.
func newNamespace(s *Server, name string) *Namespace {
	ns := &Namespace{
		sh:    s.sh,
		name:  name,
		clock: NewVirtualClock(s.cfg.clock),
		// The default namespace counts from the start; a named one from
		// when the server holds it (Server.namespace).
		counted: name == "",
	}
	ns.journal.size.Store(int64(s.cfg.journalSize))
	if name != "" {
		ns.prefix = "/ns/" + name
	}
	return ns
}

// state returns the configuration of the last load.
func (ns *Namespace) state() *state { return ns.st.Load() }

// load replaces the namespace's tokens and clients with set's, resolving
// relative times against the clock now. On error nothing changes.
func (ns *Namespace) load(set *fixtures.Set) error {
	st, tokens, err := ns.build(set, ns.clock.Now())
	if err != nil {
		return err
	}
	for _, o := range set.Faults {
		if err := checkFaultOrder(o); err != nil {
			return err
		}
	}
	ns.mu.Lock()
	if !ns.holdLocked(len(tokens) - len(ns.tokens)) {
		ns.mu.Unlock()
		return ns.sh.totalLimitError()
	}
	ns.tokens = tokens
	ns.issued = nil
	ns.codes = nil
	ns.st.Store(st)
	ns.mu.Unlock()
	ns.nextLogin.Store(nil)
	for _, o := range set.Faults {
		_ = ns.FailNextAt(faultOrderEndpoint(o), o.Count, o.Respond) // checked above
	}
	return nil
}

// faultOrderEndpoint is the endpoint of a fault order: introspect when
// it names none, as POST /admin/faults does.
func faultOrderEndpoint(o fixtures.FaultOrder) string {
	if o.Endpoint == "" {
		return EndpointIntrospect
	}
	return o.Endpoint
}

// checkFaultOrder reports a fixture fault order FailNextAt would refuse,
// with its position.
func checkFaultOrder(o fixtures.FaultOrder) error {
	if err := checkFault(faultOrderEndpoint(o), o.Count, o.Respond); err != nil {
		return fmt.Errorf("%s: faults: %v", o.Pos, err)
	}
	return nil
}

// startCounting counts the namespace's tokens in the server's total from
// now on (the server holds it); false, counting nothing, when they would
// pass WithMaxTotalTokens.
func (ns *Namespace) startCounting() bool {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.counted = true
	if !ns.holdLocked(len(ns.tokens)) {
		ns.counted = false
		return false
	}
	return true
}

// stopCounting takes the namespace's tokens out of the server's total (it
// is deleted).
func (ns *Namespace) stopCounting() {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.holdLocked(-len(ns.tokens))
	ns.counted = false
}

// tokenCount returns the number of tokens in the store.
func (ns *Namespace) tokenCount() int {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return len(ns.tokens)
}

// holdLocked counts n more tokens of ns (fewer when negative) in the
// server's total, and reports false, counting nothing, when n more would
// pass WithMaxTotalTokens. ns.mu must be held for writing.
func (ns *Namespace) holdLocked(n int) bool {
	switch {
	case !ns.counted || n == 0:
	case n < 0:
		ns.sh.held.Add(int64(n))
	case ns.sh.held.Add(int64(n)) > int64(ns.sh.maxTotal):
		ns.sh.held.Add(-int64(n))
		return false
	}
	return true
}

// build checks set and turns it into a state and a token store.
func (ns *Namespace) build(set *fixtures.Set, now time.Time) (*state, map[string]*entry, error) {
	if len(set.Tokens) > ns.sh.maxTokens {
		return nil, nil, fmt.Errorf("the fixtures hold %d tokens, more than the limit of %d per namespace (WithMaxTokens, --max-tokens): %w",
			len(set.Tokens), ns.sh.maxTokens, ErrLimit)
	}
	st := &state{allowAnonymous: set.AllowAnonymous, clients: make(map[string]*client),
		users: make(map[string]*user), usernames: make(map[string]*user)}
	issuer := ns.sh.issuer
	if issuer == "" {
		issuer = set.Issuer
	}
	if issuer != "" {
		if err := fixtures.CheckIssuer(issuer); err != nil {
			return nil, nil, fmt.Errorf("%w", err)
		}
		if ns.prefix != "" {
			issuer = strings.TrimSuffix(issuer, "/") + ns.prefix
		}
		u, _ := url.Parse(issuer) // checked above
		st.issuer = issuer
		st.issuerPath = strings.TrimRight(u.Path, "/")
	}

	for i := range set.Clients {
		fc := &set.Clients[i]
		c, err := newClient(fc)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", place(fc.Pos, "clients", i), err)
		}
		if err := st.add(c); err != nil {
			return nil, nil, fmt.Errorf("%s: duplicate %w", place(fc.Pos, "clients", i), err)
		}
	}

	for i := range set.Users {
		fu := &set.Users[i]
		u, err := newUser(fu)
		if err == nil {
			err = st.addUser(u)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", place(fu.Pos, "users", i), err)
		}
	}

	tokens := make(map[string]*entry, len(set.Tokens))
	for i := range set.Tokens {
		t := &set.Tokens[i]
		if t.Token == "" {
			return nil, nil, fmt.Errorf("%s: empty token", place(t.Pos, "tokens", i))
		}
		if tokens[t.Token] != nil {
			return nil, nil, fmt.Errorf("%s: duplicate token", place(t.Pos, "tokens", i))
		}
		err := checkFixtureSteps(t.Script)
		var e *entry
		if err == nil {
			e, err = newEntry(t, StepsFromFixtures(t.Script), now, st.issuer)
		}
		if err == nil {
			err = checkKind(t.Kind)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", place(t.Pos, "tokens", i), err)
		}
		tokens[t.Token] = e
	}
	patterns, err := newPatterns(set, now, st.issuer)
	if err != nil {
		return nil, nil, err
	}
	st.patterns = patterns
	return st, tokens, nil
}

// place names a fixture item for an error: its position if known, else
// its index.
func place(p fixtures.Pos, list string, i int) string {
	if p.File != "" {
		return fmt.Sprintf("%s: %s[%d]", p, list, i)
	}
	return fmt.Sprintf("%s[%d]", list, i)
}

// newClient checks a fixture client and converts it.
func newClient(fc *fixtures.Client) (*client, error) {
	switch {
	case fc.ClientID == "" && fc.Bearer == "":
		return nil, fmt.Errorf("neither client_id nor bearer")
	case fc.ClientID != "" && fc.Bearer != "":
		return nil, fmt.Errorf("both client_id and bearer")
	case fc.Bearer != "" && fc.ClientSecret != "":
		return nil, fmt.Errorf("bearer with a client_secret")
	case fc.TokenLifetime < 0:
		return nil, fmt.Errorf("negative token_lifetime")
	}
	c := &client{
		id:         fc.ClientID,
		secret:     fc.ClientSecret,
		bearer:     fc.Bearer,
		introspect: !fc.NoIntrospect,
		lifetime:   fc.TokenLifetime,
		basic:      len(fc.AuthMethods) == 0,
		post:       len(fc.AuthMethods) == 0,
	}
	c.revokeOwnOnly, c.revokeRefreshOnly = fc.RevocationOwnership, fc.NoRevokeAccessTokens // docs/conformance.md RV-6, opt-in
	for _, u := range fc.RedirectURIs {
		if err := fixtures.CheckRedirectURI(u); err != nil {
			return nil, err
		}
	}
	for _, u := range fc.PostLogoutRedirectURIs {
		if err := fixtures.CheckRedirectURI(u); err != nil {
			return nil, err
		}
	}
	c.redirectURIs, c.postLogoutURIs = slices.Clone(fc.RedirectURIs), slices.Clone(fc.PostLogoutRedirectURIs)
	c.loginPage, c.plainPKCE = fc.LoginPage, fc.AllowPlainPKCE
	if c.lifetime == 0 {
		c.lifetime = defaultTokenLifetime
	}
	for _, m := range fc.AuthMethods {
		switch m {
		case fixtures.AuthBasic:
			c.basic = true
		case fixtures.AuthPost:
			c.post = true
		case fixtures.AuthBearer:
			// Meaningful for bearer callers only, which use no other method.
		case fixtures.AuthPrivateKeyJWT:
			// Checked by newClientJWT.
		case fixtures.AuthNone:
			if fc.ClientSecret != "" || len(fc.AuthMethods) > 1 {
				return nil, fmt.Errorf("auth method none is a public client's alone: no client_secret, no other method")
			}
		default:
			return nil, fmt.Errorf("unknown auth method %q", m)
		}
	}
	if fc.Scopes != nil {
		c.scopes = []string{}
		for _, s := range fc.Scopes {
			for _, f := range strings.Fields(s) {
				if err := fixtures.CheckScopeToken(f); err != nil {
					return nil, err
				}
				c.scopes = append(c.scopes, f)
			}
		}
		c.introspectOnly = len(c.scopes) == 0
	}
	jwt, err := newClientJWT(fc)
	if err != nil {
		return nil, err
	}
	c.jwt = jwt
	return c, nil
}

// checkFixtureSteps reports the first bad step of a fixture script (one
// built in Go may break the parser's rules).
func checkFixtureSteps(steps []fixtures.Step) error {
	for i := range steps {
		if err := steps[i].Validate(); err != nil {
			return fmt.Errorf("script[%d]: %w", i, err)
		}
	}
	return nil
}

// newEntry renders a token for the store, resolving its times against now;
// its script (steps, t.Script ignored) counts After steps from now.
func newEntry(t *fixtures.Token, steps []Step, now time.Time, issuer string) (*entry, error) {
	iat, nbf, exp := t.Iat.Resolve(now), t.Nbf.Resolve(now), t.Exp.Resolve(now)
	body, err := renderActive(t, iat, nbf, exp, issuer)
	if err != nil {
		return nil, err
	}
	e := &entry{
		src: t, iat: iat,
		hasNbf: t.Nbf.IsSet(), nbf: nbf,
		hasExp: t.Exp.IsSet(), exp: exp,
		body:   body,
		script: newScript(steps, now),
	}
	if t.Revoked {
		e.revoke(RevokedFixture)
	}
	return e, nil
}

// derivedIssuer returns the issuer of r when none is configured: its
// scheme and Host (no trailing slash) plus the namespace prefix. The last
// one is cached, so the usual single host costs no allocation.
func (ns *Namespace) derivedIssuer(r *http.Request) *derivedIssuer {
	tls := r.TLS != nil
	if d := ns.issCache.Load(); d != nil && d.tls == tls && d.host == r.Host {
		return d
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	iss := scheme + "://" + host + ns.prefix
	d := &derivedIssuer{tls: tls, host: r.Host, issuer: iss, member: appendJSONString([]byte(`,"iss":`), iss)}
	ns.issCache.Store(d)
	return d
}

// issuer returns the issuer for r under st: the configured one, or the
// one derived from the request.
func (ns *Namespace) issuer(r *http.Request, st *state) string {
	if st.issuer != "" {
		return st.issuer
	}
	return ns.derivedIssuer(r).issuer
}

// issuerPath returns the path of the namespace's issuer without trailing
// slash ("" for none): requests under it are routed as if at the root.
func (ns *Namespace) issuerPath(st *state) string {
	if st.issuer != "" {
		return st.issuerPath
	}
	return ns.prefix
}
