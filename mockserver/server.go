package mockserver

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/introspectmock/introspectmock/fixtures"
)

// Server is a mock OAuth 2.0 authorization server: an http.Handler for the
// routes listed in the package documentation. It owns no listener. It is
// safe for concurrent use. Its zero value is not usable: call New.
type Server struct {
	cfg config
	// public serves ServeHTTP: every route but the admin API's (routes.go).
	public  *router
	def     *Namespace   // the default namespace, at "/"
	bufs    sync.Pool    // *formBuffer for request bodies
	hdr     headerValues // shared header values, never modified
	lengths lengthCache  // Content-Length values

	// sh is what the namespaces share: limits, the seed fixtures and the
	// total token count.
	sh *shared

	nsMu   sync.RWMutex // guards spaces
	spaces map[string]*Namespace

	// adminTokenSum is the SHA-256 of the admin token; nil for none.
	adminTokenSum []byte
	// guard protects the admin API from other sites' pages (adminguard.go).
	guard func(http.Handler) http.Handler

	keyOnce sync.Once // guards key and keyErr
	key     *signingKey
	keyErr  error
	// strangerOnce guards stranger, the key a JWT fault unknown_kid signs
	// with (jwtfault.go), and strangerErr.
	strangerOnce sync.Once
	stranger     *rsa.PrivateKey
	strangerErr  error
}

var _ http.Handler = (*Server)(nil)

// New returns a server for the given options. Defaults: no fixtures, an
// issuer derived from each request, real time, no logging, no admin API,
// a journal of DefaultJournalSize calls per namespace, at most
// DefaultMaxNamespaces namespaces of DefaultMaxTokens tokens.
func New(opts ...Option) (*Server, error) {
	cfg := config{
		set: &fixtures.Set{}, clock: realClock{}, logger: discardLogger(),
		journalSize: DefaultJournalSize, maxNamespaces: DefaultMaxNamespaces, maxTokens: DefaultMaxTokens,
		maxTotal: DefaultMaxTotalTokens,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	s := &Server{
		cfg:    cfg,
		hdr:    newHeaderValues(),
		spaces: make(map[string]*Namespace),
		sh:     &shared{issuer: cfg.issuer, maxTokens: cfg.maxTokens, maxTotal: cfg.maxTotal},
	}
	if cfg.adminToken != "" {
		s.adminTokenSum = sum(cfg.adminToken)
	}
	s.guard = adminGuard(cfg.adminHosts, s.hasAdminToken, s.denyAdmin)
	s.public = &router{s: s}
	s.sh.seed.Store(cfg.set)
	s.cfg.set = nil // s.sh.seed holds it, so that Reload does not leave it pinned here
	s.def = newNamespace(s, "")
	if err := s.def.load(cfg.set); err != nil {
		return nil, err
	}
	return s, nil
}

// dropSegments removes the first n "/segment"s of an escaped path.
func dropSegments(p string, n int) string {
	for ; n > 0; n-- {
		i := strings.IndexByte(p[min(1, len(p)):], '/')
		if i < 0 {
			return "/"
		}
		p = p[i+1:]
	}
	return p
}

// metadataNamespace returns the namespace named by the issuer path of an
// RFC 8414 §3.1 metadata path, /.well-known/{document}{issuer path}, when
// it is a named namespace's: [default issuer path]/ns/{name}.
func (s *Server) metadataNamespace(issuerPath string) (string, bool) {
	rest := strings.TrimSuffix("/"+issuerPath, "/")
	rest = strings.TrimPrefix(rest, s.def.issuerPath(s.def.state()))
	name, ok := strings.CutPrefix(rest, "/ns/")
	return name, ok && validName(name)
}

// namespaceFor returns the named namespace of a request path, making it
// when makes (an admin request, or a public one where the admin API is not
// guarded by a token: see newRouter).
func (s *Server) namespaceFor(name string, makes bool) (*Namespace, error) {
	if !validName(name) {
		// The name is not echoed: it is the caller's own path segment.
		return nil, errors.New("invalid namespace name in the path: " + nameRule)
	}
	if !makes {
		s.nsMu.RLock()
		ns := s.spaces[name]
		s.nsMu.RUnlock()
		if ns == nil {
			return nil, errors.New("no such namespace; with an admin token the admin API makes namespaces (PUT /admin/namespaces/{name})")
		}
		return ns, nil
	}
	ns, _, err := s.namespace(name)
	return ns, err
}

// clipName cuts a namespace name for a message or a log.
func clipName(name string) string {
	if len(name) > 70 {
		return name[:70] + "..."
	}
	return name
}

// refuse answers a request for a namespace that cannot be had: 404 for a
// bad name, 400 when the limit is reached. It is not journaled: there is
// no namespace to journal it in.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	e := &oauthError{status: http.StatusNotFound, code: "not_found", desc: err.Error()}
	if errors.Is(err, ErrLimit) {
		e.status, e.code = http.StatusBadRequest, "invalid_request"
	}
	s.cfg.logger.LogAttrs(r.Context(), slog.LevelDebug, "namespace refused", slog.Int("status", e.status), slog.String("err", e.desc))
	s.writeError(w, &call{}, e)
}

// nameRule says what validName accepts, for error messages.
const nameRule = "want 1 to 63 of a-z, 0-9, _ and -, starting with a letter or digit"

// validName reports whether name may name a namespace:
// ^[a-z0-9][a-z0-9_-]{0,62}$.
func validName(name string) bool {
	if name == "" || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// Default returns the default namespace, served without a prefix.
func (s *Server) Default() *Namespace { return s.def }

// Namespace returns the namespace called name, creating it (seeded from
// the fixtures, with its own clock at the base clock's time) on first use.
// name must match ^[a-z0-9][a-z0-9_-]{0,62}$; "" is the default namespace.
// Creating more than WithMaxNamespaces allows fails with ErrLimit.
func (s *Server) Namespace(name string) (*Namespace, error) {
	if name == "" {
		return s.def, nil
	}
	if !validName(name) {
		return nil, fmt.Errorf("invalid namespace name %q: %s", clipName(name), nameRule)
	}
	ns, _, err := s.namespace(name)
	return ns, err
}

// namespace returns the valid named namespace, creating it; created tells
// whether it did.
func (s *Server) namespace(name string) (ns *Namespace, created bool, err error) {
	s.nsMu.RLock()
	ns = s.spaces[name]
	s.nsMu.RUnlock()
	if ns != nil {
		return ns, false, nil
	}
	s.nsMu.RLock()
	full := len(s.spaces) >= s.cfg.maxNamespaces
	s.nsMu.RUnlock()
	if full {
		return nil, false, s.namespaceLimitError()
	}
	// Built without the lock: seeding a large fixture set takes a while.
	ns = newNamespace(s, name)
	if err := ns.load(s.sh.seed.Load()); err != nil {
		return nil, false, err
	}
	s.nsMu.Lock()
	defer s.nsMu.Unlock()
	if old := s.spaces[name]; old != nil {
		return old, false, nil
	}
	if len(s.spaces) >= s.cfg.maxNamespaces {
		return nil, false, s.namespaceLimitError()
	}
	if !ns.startCounting() {
		return nil, false, s.sh.totalLimitError()
	}
	s.spaces[name] = ns
	return ns, true, nil
}

func (s *Server) namespaceLimitError() error {
	return fmt.Errorf("%d namespaces exist, the limit (WithMaxNamespaces, --max-namespaces); delete some first: %w", s.cfg.maxNamespaces, ErrLimit)
}

func (sh *shared) totalLimitError() error {
	return fmt.Errorf("the namespaces hold %d tokens together, the limit (WithMaxTotalTokens, --max-total-tokens); delete some first: %w", sh.maxTotal, ErrLimit)
}

// DeleteNamespace deletes the named namespace with its tokens, clock and
// journal; requests in flight finish in it, and the next use of the name
// makes a fresh one. No such namespace is ErrNotFound; the default
// namespace cannot be deleted.
func (s *Server) DeleteNamespace(name string) error {
	s.nsMu.Lock()
	defer s.nsMu.Unlock()
	ns := s.spaces[name]
	if ns == nil {
		return fmt.Errorf("DeleteNamespace %q: no such namespace: %w", clipName(name), ErrNotFound)
	}
	delete(s.spaces, name)
	ns.stopCounting()
	return nil
}

// CreateNamespace returns the namespace called name as Namespace does,
// and whether this call made it.
func (s *Server) CreateNamespace(name string) (ns *Namespace, created bool, err error) {
	if !validName(name) {
		return nil, false, fmt.Errorf("invalid namespace name %q: %s", clipName(name), nameRule)
	}
	return s.namespace(name)
}

// LookupNamespace returns the named namespace without making it; no such
// namespace is ErrNotFound. "" is the default namespace.
func (s *Server) LookupNamespace(name string) (*Namespace, error) {
	if name == "" {
		return s.def, nil
	}
	s.nsMu.RLock()
	ns := s.spaces[name]
	s.nsMu.RUnlock()
	if ns == nil {
		return nil, fmt.Errorf("no such namespace: %w", ErrNotFound)
	}
	return ns, nil
}

// Namespaces returns the names of the named namespaces, sorted; the
// default namespace is not among them.
func (s *Server) Namespaces() []string {
	s.nsMu.RLock()
	names := make([]string, 0, len(s.spaces))
	for name := range s.spaces {
		names = append(names, name)
	}
	s.nsMu.RUnlock()
	sort.Strings(names)
	return names
}

// TokenCount returns the number of tokens in the (default namespace) store,
// revoked, expired and issued ones included.
func (s *Server) TokenCount() int { return s.def.tokenCount() }

// Reload replaces the default namespace's tokens and clients with set's,
// atomically: a request sees either the old fixtures or the new. Relative
// times are resolved against its clock now. Tokens issued at /token and
// revocations are dropped with the old store. Namespaces made (or Reset)
// afterwards are seeded from set; existing named namespaces keep their
// tokens, clients and revocations (a test running in one is not
// disturbed) until they are Reset. On error nothing changes.
func (s *Server) Reload(set *fixtures.Set) error {
	if set == nil {
		return errors.New("Reload: nil set")
	}
	if err := s.def.load(set); err != nil {
		return err
	}
	s.sh.seed.Store(set)
	return nil
}

// unescapeSegment decodes one escaped path segment.
func unescapeSegment(s string) (string, bool) {
	v, err := url.PathUnescape(s)
	return v, err == nil
}
