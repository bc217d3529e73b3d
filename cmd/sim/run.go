package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/internal/backtest"
	"github.com/omnixan/omnixan/internal/cli"
	"github.com/omnixan/omnixan/internal/progress"
	"github.com/omnixan/omnixan/policy"
	"github.com/omnixan/omnixan/reports"
	"github.com/omnixan/omnixan/sim"
	"github.com/omnixan/omnixan/traces"
)

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
		return cli.Usage(fmt.Errorf("%w (see sim --help)", err))
	}
	switch {
	case fs.NArg() == 1 && fs.Arg(0) == "policies":
		return listPolicies(stdout)
	case fs.NArg() == 1 && fs.Arg(0) == "scenarios":
		return listScenarios(stdout)
	case fs.NArg() > 0:
		return cli.Usage(fmt.Errorf("unexpected argument %q (see sim --help)", fs.Arg(0)))
	}
	opts.policiesSet, opts.seedSet = fs.Changed("policies"), fs.Changed("seed")
	if err := opts.Validate(); err != nil {
		return cli.Usage(err)
	}
	sum, err := simulate(ctx, opts, stderr)
	if err != nil {
		return err
	}
	if !opts.Quiet {
		if err := sum.WriteTable(stdout); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nwrote %s\n", filepath.Join(opts.Out, "{summary.json,summary.md,report.html,timeline.parquet,*.png}"))
	}
	return nil
}

func usage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintf(w, `Usage: sim [flags]
       sim policies     list the policies and their parameters
       sim scenarios    list the built-in scenarios

Runs scaling policies side by side on a synthetic workload and scores what
each costs and how often it breaks the latency SLO, against a clairvoyant
oracle. Prints a table and writes summary.json, summary.md, report.html
(self-contained), the PNG plots and timeline.parquet (every step of every
policy) under --out.

Scenarios:
`)
	for _, s := range sim.Scenarios() {
		fmt.Fprintf(w, "  %-12s %s (%g-day run)\n", s.Name, s.Description, s.Days)
	}
	fmt.Fprintf(w, `
Policies (sim policies lists their parameters):
`)
	for _, s := range policy.Specs() {
		fmt.Fprintf(w, "  %-16s %s\n", s.Name, s.Summary)
	}
	fmt.Fprintf(w, `
Flags:
%s`, fs.FlagUsages())
}

// simulate runs every policy on the scenario, in parallel, and writes the
// report files.
func simulate(ctx context.Context, opts Options, stderr io.Writer) (reports.Summary, error) {
	sc, err := opts.scenario()
	if err != nil {
		return reports.Summary{}, err
	}
	days := opts.Days
	if days == 0 {
		days = sc.Days
	}
	length := time.Duration(math.Round(days * float64(24*time.Hour)))
	if length < opts.Step {
		return reports.Summary{}, cli.Usage(fmt.Errorf("--days %v is shorter than one --step (%v)", days, opts.Step))
	}
	cfg := sc.Config
	cfg.Step = opts.Step
	if cfg.Faults, err = opts.faults(); err != nil {
		return reports.Summary{}, cli.Usage(err)
	}
	if err := cfg.Validate(); err != nil {
		return reports.Summary{}, err
	}
	cfg = cfg.WithDefaults()
	pols, err := backtest.Policies(opts.Policies, opts.PolicyFiles, backtest.Env(cfg))
	if err != nil {
		return reports.Summary{}, err
	}
	steps := int64(length / opts.Step)
	worlds := int64(0)
	if !sc.QuantumOnly {
		worlds++
	}
	if sc.Quantum != nil {
		worlds++
	}
	bar := progress.Start(stderr, !opts.Quiet && cli.IsTerminal(stderr), "simulating", worlds*steps*int64(len(pols)))
	defer bar.Finish()

	rows, err := backtest.Timeline(opts.Out, cfg, pols)
	if err != nil {
		return reports.Summary{}, err
	}
	defer rows.Abort() // removes its temporary files unless reports.Write closed it

	job := backtest.Job{
		Config:   cfg,
		Policies: pols,
		Bounds: autoscaler.Config{Price: cfg.Price, PriceCPU: cfg.Size.CPU, Min: 1,
			BudgetPerHour: opts.BudgetPerHour, AntiFlapThreshold: opts.AntiFlap, Seed: opts.Seed},
		Span: length,
		Rows: rows,
		Step: func() { bar.Add(1) },
	}
	if !sc.QuantumOnly {
		job.Open = func() (sim.Load, error) {
			load, err := traces.NewLoad(sc.LoadOptions(length, opts.Step, opts.Seed))
			if err != nil {
				return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
			}
			return load, nil
		}
	}
	if q := sc.Quantum; q != nil {
		ao := sc.JobOptions(length, opts.Seed)
		job.Quantum = &backtest.Quantum{
			Config: q.Config, Start: ao.Start, End: ao.Start.Add(length), Seed: opts.Seed,
			Open: func() (traces.JobReader, error) {
				if q.JobTrace != "" {
					return traces.OpenJobs(q.JobTrace)
				}
				a, err := traces.NewArrivals(ao)
				if err != nil {
					return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
				}
				return a, nil
			},
		}
	}
	results, timelines, err := backtest.Run(ctx, job)
	bar.Finish()
	if err != nil {
		return reports.Summary{}, err
	}

	sum := reports.Summary{
		Scenario:    sc.Name,
		Seed:        opts.Seed,
		Start:       results[0].Start,
		End:         results[0].End,
		StepSeconds: opts.Step.Seconds(),
		Classical:   !sc.QuantumOnly,
		Quantum:     sc.Quantum != nil,
	}
	for _, r := range results {
		sum.Policies = append(sum.Policies, reports.FromResult(r))
	}
	run := reports.Run{Summary: sum, Timelines: timelines, Settings: settings(opts, days), Steps: rows}
	if err := reports.Write(opts.Out, run); err != nil {
		return reports.Summary{}, err
	}
	return sum, nil
}

// settings lists the options that shaped the run, for report.html.
func settings(opts Options, days float64) []reports.Setting {
	s := []reports.Setting{{Name: "days", Value: fmt.Sprint(days)}}
	if opts.BudgetPerHour > 0 {
		s = append(s, reports.Setting{Name: "budget", Value: fmt.Sprintf("%g USD per hour", opts.BudgetPerHour)})
	}
	if opts.FaultErrorRate > 0 {
		s = append(s, reports.Setting{Name: "fault error rate", Value: fmt.Sprint(opts.FaultErrorRate)})
	}
	if opts.FaultLatency > 0 {
		s = append(s, reports.Setting{Name: "fault latency", Value: opts.FaultLatency.String()})
	}
	if opts.FaultTimeout > 0 {
		s = append(s, reports.Setting{Name: "fault timeout", Value: opts.FaultTimeout.String()})
	}
	for _, o := range opts.FaultOutages {
		s = append(s, reports.Setting{Name: "fault outage", Value: o})
	}
	for _, f := range opts.PolicyFiles {
		s = append(s, reports.Setting{Name: "policy file", Value: f})
	}
	return s
}

func listPolicies(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range policy.Specs() {
		fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Summary)
		if len(s.Params) > 0 {
			fmt.Fprintf(tw, "  parameter\tunit\tdefault\tmeaning\n")
		}
		for _, p := range s.Params {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Name, p.Unit, p.Default, p.Doc)
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintln(tw, "Set parameters in a policy file (--policy-file), YAML or JSON:\n  policy: threshold\n  name: threshold-fast\n  params: {cooldown: 120s, scale_up: 0.8}")
	return tw.Flush()
}

func listScenarios(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range sim.Scenarios() {
		fmt.Fprintf(tw, "%s\t%g-day run\t%s\n", s.Name, s.Days, s.Description)
	}
	return tw.Flush()
}
