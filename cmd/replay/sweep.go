package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/omnixan/omnixan/internal/backtest"
	"github.com/omnixan/omnixan/internal/cli"
	"github.com/omnixan/omnixan/internal/progress"
	"github.com/omnixan/omnixan/internal/sweep"
	"github.com/omnixan/omnixan/sim"
)

// sweepOptions are the flags of replay sweep.
type sweepOptions struct {
	Grid   string
	Out    string
	Shard  string
	Shards int
	Quiet  bool
}

func (o *sweepOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Grid, "grid", "", "grid file, YAML or JSON (docs/sweep.md)")
	fs.StringVar(&o.Out, "out", "", "directory for shard-I-of-N.parquet (created if missing)")
	fs.StringVar(&o.Shard, "shard", "", "run shard i of n, 0-based (i/n: the cells whose index % n == i); default: JOB_COMPLETION_INDEX of n, else 0/1")
	fs.IntVar(&o.Shards, "shards", 0, "shard count n when the index comes from JOB_COMPLETION_INDEX (default: $OMNIXAN_SHARDS)")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing but errors")
}

// Validate checks the flags and resolves the shard, from --shard or from
// the environment (getenv) of a Kubernetes Indexed Job.
func (o *sweepOptions) Validate(getenv func(string) string) (sweep.Shard, error) {
	switch {
	case o.Grid == "":
		return sweep.Shard{}, errors.New("--grid: want a grid file")
	case o.Out == "":
		return sweep.Shard{}, errors.New("--out: want a directory")
	case o.Shards < 0:
		return sweep.Shard{}, fmt.Errorf("--shards %d: want ≥ 1", o.Shards)
	}
	if o.Shard != "" {
		if o.Shards != 0 {
			return sweep.Shard{}, errors.New("--shard and --shards: give one, not both")
		}
		s, err := sweep.ParseShard(o.Shard)
		if err != nil {
			return sweep.Shard{}, fmt.Errorf("--shard %w", err)
		}
		return s, nil
	}
	idx := getenv("JOB_COMPLETION_INDEX")
	if idx == "" {
		if o.Shards != 0 {
			return sweep.Shard{}, errors.New("--shards needs JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); otherwise give --shard i/n")
		}
		return sweep.Shard{I: 0, N: 1}, nil
	}
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 {
		return sweep.Shard{}, fmt.Errorf("JOB_COMPLETION_INDEX %q: want an integer ≥ 0", idx)
	}
	n := o.Shards
	if n == 0 {
		env := getenv("OMNIXAN_SHARDS")
		if env == "" {
			return sweep.Shard{}, fmt.Errorf("JOB_COMPLETION_INDEX is %d but the shard count is unknown: give --shards N or set OMNIXAN_SHARDS", i)
		}
		if n, err = strconv.Atoi(env); err != nil || n < 1 {
			return sweep.Shard{}, fmt.Errorf("OMNIXAN_SHARDS %q: want an integer ≥ 1", env)
		}
	}
	if i >= n {
		return sweep.Shard{}, fmt.Errorf("JOB_COMPLETION_INDEX %d: want < the shard count %d", i, n)
	}
	return sweep.Shard{I: i, N: n}, nil
}

const sweepHelp = `Usage: replay sweep --grid grid.yaml --out DIR [--shard i/n | --shards n]

Runs shard i of n of a sweep: every policy variant of the grid on every
trace and seed, the cells whose index % n == i (i is 0-based), several
at once on all cores, each beside the oracle on its trace. Writes one row
per cell to DIR/shard-i-of-n.parquet. Inside a Kubernetes Indexed Job the
index comes from JOB_COMPLETION_INDEX and the count from --shards or
OMNIXAN_SHARDS. Join the shards with "replay merge". See docs/sweep.md.

Flags:
`

func runSweep(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o sweepOptions
	fs := pflag.NewFlagSet("replay sweep", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, sweepHelp+fs.FlagUsages())
			return nil
		}
		return cli.Usage(fmt.Errorf("%w (see replay sweep --help)", err))
	}
	if fs.NArg() > 0 {
		return cli.Usage(fmt.Errorf("unexpected argument %q (see replay sweep --help)", fs.Arg(0)))
	}
	shard, err := o.Validate(os.Getenv)
	if err != nil {
		return cli.Usage(err)
	}
	grid, err := sweep.Load(o.Grid)
	if err != nil {
		return cli.Usage(fmt.Errorf("--grid %w", err))
	}
	if err := grid.CheckParams(backtest.Env(sim.Config{})); err != nil {
		return cli.Usage(fmt.Errorf("--grid %s: %w", o.Grid, err))
	}
	all := grid.Cells()
	cells := shard.Take(all)
	bar := progress.Start(stderr, !o.Quiet && cli.IsTerminal(stderr), fmt.Sprintf("sweep %s", shard), int64(len(cells)))
	rows, err := sweep.Run(ctx, cells, &sweep.Options{Done: func() { bar.Add(1) }})
	bar.Finish()
	if err != nil {
		return err
	}
	path, err := sweep.WriteShard(o.Out, shard, grid.Hash(), len(all), rows)
	if err != nil {
		return err
	}
	if !o.Quiet {
		fmt.Fprintf(stdout, "shard %s: %d of %d cells\nwrote %s\n", shard, len(cells), len(all), path)
	}
	return nil
}

const mergeHelp = `Usage: replay merge DIR... --out DIR

Reads every shard-*.parquet under the DIRs (or shard files named
directly), checks that they form one complete set (same grid and shard
count n, each shard 0 … n-1 once), and writes under --out sweep.parquet
(every cell), sweep.json and sweep.md (the scores, with the oracle's) and
spend-vs-slo.png (every cell, the oracle marked).

Flags:
`

func runMerge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var out string
	fs := pflag.NewFlagSet("replay merge", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&out, "out", "", "directory for the merged files (created if missing)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, mergeHelp+fs.FlagUsages())
			return nil
		}
		return cli.Usage(fmt.Errorf("%w (see replay merge --help)", err))
	}
	switch {
	case fs.NArg() == 0:
		return cli.Usage(errors.New("give the directories of the shards (see replay merge --help)"))
	case out == "":
		return cli.Usage(errors.New("--out: want a directory"))
	}
	var files []string
	for _, a := range fs.Args() {
		st, err := os.Stat(a)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		m, err := filepath.Glob(filepath.Join(a, "shard-*-of-*.parquet"))
		if err != nil {
			return err
		}
		if len(m) == 0 {
			return fmt.Errorf("%s: no shard-*-of-*.parquet files", a)
		}
		files = append(files, m...)
	}
	var shards []*sweep.ShardData
	for _, f := range files {
		d, err := sweep.ReadShard(f)
		if err != nil {
			return err
		}
		shards = append(shards, d)
	}
	rows, err := sweep.Merge(shards)
	if err != nil {
		return err
	}
	if err := sweep.WriteMerged(out, shards, rows); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "merged %d shards, %d cells\nwrote %s\n", len(shards), len(rows),
		filepath.Join(out, "{"+sweep.MergedFile+","+sweep.SummaryJSON+","+sweep.SummaryMD+","+sweep.PlotFile+"}"))
	return nil
}
