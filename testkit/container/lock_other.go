//go:build !unix

package container

// lockFile is a no-op where flock is missing: two processes may then both
// build a missing image, the second replacing the first's tag.
func lockFile(string) (unlock func(), err error) { return func() {}, nil }

// lockExcludes reports whether lockFile excludes other processes.
const lockExcludes = false
