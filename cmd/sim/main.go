// Command sim runs scaling policies on a built-in synthetic workload and
// writes a report.
//
//	go run ./cmd/sim                          # a week of diurnal web traffic
//	go run ./cmd/sim --scenario flash-crowd --policies threshold,oracle --out /tmp/run
//
// It prints a summary table on stdout and writes summary.json, summary.md,
// report.html, the PNG plots and timeline.parquet under --out; an
// interrupted run leaves no file there half-written. Exit status: 0 on success, 2 for
// bad flags, 1 for any other failure.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/omnixan/omnixan/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(cli.ExitCode("sim", err, os.Stderr))
}
