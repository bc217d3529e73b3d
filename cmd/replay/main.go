// Command replay backtests forecasts and scaling policies on recorded
// traces.
//
//	replay --trace FILE [--format auto|csv|parquet|prometheus-json] [--column NAME]
//	       [--capacity-per-instance X] [--policies a,b | --policy-file F ...]
//	       [--step D] [--seed N] --out DIR
//	replay --prometheus URL --query PROMQL --start T --end T --step D --out DIR
//	replay forecast --trace PATH... --horizon 48 --holdout 48 [--method auto] [--season 24h,168h]
//	replay sweep --grid grid.yaml --out DIR [--shard i/n | --shards n]
//	replay merge DIR... --out DIR
//
// Exit status: 0 on success, 2 for a bad command line, 1 for any other
// failure (a series that could not be read or forecast is named on stderr;
// the others are still written).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/omnixan/omnixan/internal/cli"
)

// command is one subcommand, after cmd/go's base.Command.
type command struct {
	name  string
	short string
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"forecast", "forecast the held-out end of each trace and score the forecasts", runForecast},
	{"sweep", "run one shard of a grid of policy variants × traces × seeds", runSweep},
	{"merge", "join the shards of a sweep into one table, summary and plot", runMerge},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(cli.ExitCode("replay", err, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: replay --trace FILE [flags] --out DIR
       replay --prometheus URL --query Q --start T --end T --step D [flags] --out DIR
       replay <command> [flags]

With flags first, replays a trace through scaling policies side by side,
with the clairvoyant oracle beside them, and writes a report ("replay
--trace FILE --help" lists its flags).

Backtests forecasts and scaling policies on recorded load traces: CSV or
Parquet files with a timestamp column (RFC 3339 or Unix seconds) and
numeric columns.

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, `
Run "replay <command> --help" for a command's flags. Synthetic scenarios
run with "go run ./cmd/sim".
`)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return cli.Usage(errors.New("no command given"))
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return nil
	}
	if strings.HasPrefix(args[0], "-") {
		return runTrace(ctx, args, stdout, stderr)
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	return cli.Usage(fmt.Errorf("unknown command %q (see replay --help)", args[0]))
}
