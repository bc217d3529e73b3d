package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/omnixan/omnixan/internal/progress"
)

// UsageError marks a bad command line: exit status 2.
type UsageError struct{ Err error }

// Error returns the wrapped error's message.
func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e UsageError) Unwrap() error { return e.Err }

// Usage wraps err as a UsageError.
func Usage(err error) error { return UsageError{err} }

// ExitCode prints err as one line "prog: err" on stderr and returns the
// exit status: 0 for nil, 2 for a UsageError, 1 otherwise.
func ExitCode(prog string, err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", prog, err)
	if errors.As(err, new(UsageError)) {
		return 2
	}
	return 1
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && progress.IsTerminal(f)
}
