package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/pflag"
	"gonum.org/v1/plot/vg"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/internal/progress"
	"github.com/omnixan/omnixan/policy"
	"github.com/omnixan/omnixan/reports"
	"github.com/omnixan/omnixan/sim"
	"github.com/omnixan/omnixan/traces"
)

// plotPoints bounds the points per line of the plot.
const plotPoints = 2000

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts := defaultOptions()
	fs := pflag.NewFlagSet("sim", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	opts.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			usage(stdout, fs)
			return nil
		}
		return usageError{fmt.Errorf("%w (see sim --help)", err)}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (see sim --help)", fs.Arg(0))}
	}
	if err := opts.Validate(); err != nil {
		return usageError{err}
	}
	sum, err := simulate(ctx, opts, stderr)
	if err != nil {
		return err
	}
	if !opts.Quiet {
		if err := sum.WriteTable(stdout); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nwrote %s\n", filepath.Join(opts.Out, "{summary.json,summary.md,demand-vs-capacity.png}"))
	}
	return nil
}

func usage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintf(w, `Usage: sim [flags]

Runs scaling policies side by side on a synthetic workload and scores what
each costs and how often it breaks the latency SLO, against a clairvoyant
oracle. Prints a table and writes summary.json, summary.md and
demand-vs-capacity.png under --out.

Scenarios:
`)
	for _, s := range sim.Scenarios() {
		fmt.Fprintf(w, "  %-12s %s (%g days)\n", s.Name, s.Description, s.Days)
	}
	fmt.Fprintf(w, `
Policies:
  threshold    the original module's: scale toward 75%% utilisation when it leaves [40%%, 85%%],
               cooldown 300s, 2 to 20 instances
  oracle       knows the future load; provisions the least capacity meeting the SLO, given the
               start-up delay: the lower bound on spend

Flags:
%s`, fs.FlagUsages())
}

// simulate runs every policy on the scenario, in parallel, and writes the
// report files.
func simulate(ctx context.Context, opts Options, stderr io.Writer) (reports.Summary, error) {
	sc, err := sim.LookupScenario(opts.Scenario)
	if err != nil {
		return reports.Summary{}, err
	}
	days := opts.Days
	if days == 0 {
		days = sc.Days
	}
	length := time.Duration(math.Round(days * float64(24*time.Hour)))
	if length < opts.Step {
		return reports.Summary{}, usageError{fmt.Errorf("--days %v is shorter than one --step (%v)", days, opts.Step)}
	}
	cfg := sc.Config
	cfg.Step = opts.Step
	if err := cfg.Validate(); err != nil {
		return reports.Summary{}, err
	}
	cfg = cfg.WithDefaults()
	steps := int64(length / opts.Step)
	bar := progress.Start(stderr, !opts.Quiet && isTerminal(stderr), "simulating", steps*int64(len(opts.Policies)))
	defer bar.Finish()

	results := make([]*sim.Result, len(opts.Policies))
	timelines := make([]*reports.Timeline, len(opts.Policies))
	errs := make([]error, len(opts.Policies))
	var wg sync.WaitGroup
	for i, name := range opts.Policies {
		p, bounds, err := newPolicy(name, cfg)
		if err != nil {
			return reports.Summary{}, err
		}
		tl := reports.NewTimeline(name, cfg.Service.Capacity, length, opts.Step, plotPoints)
		timelines[i] = tl
		c := cfg
		c.Record = func(r sim.StepRecord) {
			tl.Record(r)
			bar.Add(1)
		}
		wg.Go(func() {
			load, err := traces.NewLoad(sc.LoadOptions(length, opts.Step, opts.Seed))
			if err != nil {
				errs[i] = fmt.Errorf("scenario %s: %w", sc.Name, err)
				return
			}
			results[i], errs[i] = sim.Run(ctx, c, load, p, bounds)
			tl.Close()
		})
	}
	wg.Wait()
	bar.Finish()
	if err := errors.Join(errs...); err != nil {
		return reports.Summary{}, err
	}

	sum := reports.Summary{
		Scenario:    sc.Name,
		Seed:        opts.Seed,
		Start:       results[0].Start,
		End:         results[0].End,
		StepSeconds: opts.Step.Seconds(),
	}
	for _, r := range results {
		sum.Policies = append(sum.Policies, reports.FromResult(r))
	}
	if err := writeReport(opts.Out, sc, sum, timelines); err != nil {
		return reports.Summary{}, err
	}
	return sum, nil
}

// newPolicy builds a policy by name with the bounds its loop enforces.
func newPolicy(name string, cfg sim.Config) (policy.Policy, autoscaler.Config, error) {
	c := autoscaler.Config{Price: cfg.Price}
	switch name {
	case "threshold":
		p, err := policy.NewThreshold(policy.ThresholdConfig{})
		if err != nil {
			return nil, c, err
		}
		c.Min, c.Max = p.Config().Min, p.Config().Max
		return p, c, nil
	case "oracle":
		// The oracle is bounded only by keeping one instance up: it shows
		// what meeting the SLO at every step costs.
		c.Min = 1
		return &policy.Oracle{StartupDelay: cfg.Service.StartupDelay, SyncPeriod: cfg.SyncPeriod}, c, nil
	}
	return nil, c, fmt.Errorf("unknown policy %q", name)
}

func writeReport(dir string, sc sim.Scenario, sum reports.Summary, tls []*reports.Timeline) error {
	if err := reports.WriteFile(filepath.Join(dir, "summary.json"), sum.WriteJSON); err != nil {
		return err
	}
	if err := reports.WriteFile(filepath.Join(dir, "summary.md"), sum.WriteMarkdown); err != nil {
		return err
	}
	title := fmt.Sprintf("Demand vs capacity: %s, seed %d", sc.Name, sum.Seed)
	p, err := reports.DemandVsCapacity(title, tls)
	if err != nil {
		return err
	}
	return reports.SavePNG(p, 30*vg.Centimeter, 14*vg.Centimeter, filepath.Join(dir, "demand-vs-capacity.png"))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && progress.IsTerminal(f)
}
