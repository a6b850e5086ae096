package mockserver

// NamespaceCount returns how many named namespaces s holds, for tests of
// the limit.
func NamespaceCount(s *Server) int {
	s.nsMu.RLock()
	defer s.nsMu.RUnlock()
	return len(s.spaces)
}
