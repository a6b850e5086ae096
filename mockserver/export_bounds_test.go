package mockserver

// JournalCap returns the capacity of ns's journal slice, for tests that
// it grows on demand.
func JournalCap(ns *Namespace) int {
	ns.journal.mu.Lock()
	defer ns.journal.mu.Unlock()
	return cap(ns.journal.calls)
}

// IssuedQueueLen returns how many issued tokens ns's expiry queue holds.
func IssuedQueueLen(ns *Namespace) int {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return len(ns.issued)
}
