package main

import (
	"fmt"
	"io"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
)

// runValidate loads the fixture files and directories in args as the server
// would. It prints one "file:line:col: field.path: message" line per problem
// to stderr and fails, or prints a summary ending in ": ok" to stdout.
func runValidate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("introspectmock validate", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: introspectmock validate FILE_OR_DIR...\n\n"+
			"Checks fixture files (directories: every *.yaml and *.yml in them) and prints\n"+
			"one \"file:line:col: field.path: message\" line per problem; exit status 1 if any.\n")
	}
	if err := parseWithEnv(fs, args, environment(nil).lookup); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "validate: name at least one fixture file or directory")
		fs.Usage()
		return errUsage
	}
	set, err := fixtures.Load(time.Now(), fs.Args()...)
	if err != nil {
		problems := problemLines(err)
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		return fmt.Errorf("validate: %s", plural(len(problems), "problem"))
	}
	patterns := ""
	if len(set.Patterns) > 0 {
		patterns = plural(len(set.Patterns), "token pattern") + ", "
	}
	users := ""
	if len(set.Users) > 0 {
		users = ", " + plural(len(set.Users), "user")
	}
	fmt.Fprintf(stdout, "%s, %s%s%s in %s: ok\n",
		plural(len(set.Tokens), "token"), patterns, plural(len(set.Clients), "client"), users, plural(len(set.Files), "file"))
	return nil
}

// plural returns "1 token", "2 tokens".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
