package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// runVersion prints the module version, VCS revision (when the binary was
// built from a checkout) and Go version.
func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("introspectmock version", stderr)
	if err := parseWithEnv(fs, args, environment(nil).lookup); err != nil {
		return err
	}
	fmt.Fprintln(stdout, versionString())
	return nil
}

// versionString describes the running binary.
func versionString() string {
	version, revision, modified := "(devel)", "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	out := "introspectmock " + version
	if revision != "" {
		if len(revision) > 12 {
			revision = revision[:12]
		}
		out += " " + revision
		if modified {
			out += "+dirty"
		}
	}
	return out + " " + runtime.Version()
}
