package mockserver

import "net/http"

// NamespaceCount returns how many named namespaces s holds, for tests of
// the limit.
func NamespaceCount(s *Server) int {
	s.nsMu.RLock()
	defer s.nsMu.RUnlock()
	return len(s.spaces)
}

// HeldTokens returns the server's count of the tokens its namespaces hold
// (WithMaxTotalTokens) and the count taken from the stores themselves.
func HeldTokens(s *Server) (counted, stored int) {
	s.nsMu.RLock()
	spaces := []*Namespace{s.def}
	for _, ns := range s.spaces {
		spaces = append(spaces, ns)
	}
	for _, ns := range spaces {
		ns.mu.RLock()
		stored += len(ns.tokens)
		ns.mu.RUnlock()
	}
	s.nsMu.RUnlock()
	return int(s.sh.held.Load()), stored
}

// HoldWriteLock takes ns's write lock, as a long change would, until the
// returned function is called.
func HoldWriteLock(ns *Namespace) (release func()) {
	ns.mu.Lock()
	return ns.mu.Unlock
}

// ServeViaRouter serves r through the mux.Router alone, without the fast
// path of router.ServeHTTP, for BenchmarkRouteIntrospect.
func ServeViaRouter(s *Server, w http.ResponseWriter, r *http.Request) {
	s.public.routes().ServeHTTP(w, r)
}
