// Command replay backtests scaling policies on recorded traces.
//
// Its subcommands arrive with the issues that build them; today it
// prints what it will do and exits with status 2 for anything but --help.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `Usage: replay <command> [flags]

Backtests scaling policies on recorded load traces (CSV or Parquet with a
timestamp column and numeric columns; see the traces package).

Commands are being built; none is available in this version.
Use "go run ./cmd/sim" for synthetic scenarios.
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	fmt.Fprintf(stderr, "replay: unknown command %q (see replay --help)\n", args[0])
	return 2
}
