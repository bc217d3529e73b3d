// Command sim runs scaling policies on a built-in synthetic workload and
// writes a report.
//
//	go run ./cmd/sim                          # a week of diurnal web traffic
//	go run ./cmd/sim --scenario flash-crowd --policies threshold,oracle --out /tmp/run
//
// It prints a summary table on stdout and writes summary.json, summary.md
// and demand-vs-capacity.png under --out. Exit status: 0 on success, 2 for
// bad flags, 1 for any other failure.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// usageError is a bad command line: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "sim: %v\n", err)
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}
