package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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

// Auto capacity: when --capacity-per-instance is not given, the trace's
// autoP99 quantile needs autoInstances instances.
const (
	autoQuantile  = 0.99
	autoInstances = 20
	autoSource    = "p99/20"
)

// formats are the values of --format.
var formats = []string{"auto", "csv", "parquet", "prometheus-json"}

// replayOptions are the flags of the default command, replay itself.
type replayOptions struct {
	Trace        string
	Format       string
	Column       string
	SeriesLabels []string
	Capacity     float64
	Policies     []string
	PolicyFiles  []string
	Step         time.Duration
	Seed         uint64
	Budget       float64
	Out          string
	Quiet        bool

	Prometheus string
	Query      string
	Start, End string
	MaxPoints  int
}

func defaultReplayOptions() replayOptions {
	return replayOptions{
		Format:    "auto",
		Policies:  []string{"threshold", "oracle"},
		Step:      time.Minute,
		Seed:      1,
		Out:       "omnixan-out",
		MaxPoints: traces.DefaultMaxPoints,
	}
}

func (o *replayOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Trace, "trace", o.Trace, "load trace to replay: CSV, Parquet or a saved Prometheus query_range response (JSON)")
	fs.StringVar(&o.Format, "format", o.Format, "format of --trace: "+strings.Join(formats, ", ")+" (auto: by extension, .json is prometheus-json)")
	fs.StringVar(&o.Column, "column", o.Column, "value column holding the load (default: the first after the timestamp)")
	fs.StringArrayVar(&o.SeriesLabels, "series-label", nil, "prometheus-json and --prometheus: pick the series with this label, name=value; repeatable")
	fs.Float64Var(&o.Capacity, "capacity-per-instance", 0, "load one instance serves, in the column's unit (e.g. requests per minute for a per-minute count); 0 means the trace's 99th percentile needs 20 instances")
	fs.StringSliceVar(&o.Policies, "policies", o.Policies, "comma-separated policies to compare: "+strings.Join(policy.Names(), ", ")+"; the oracle is always added")
	fs.StringArrayVar(&o.PolicyFiles, "policy-file", nil, "a policy file (YAML or JSON, or a Kubernetes HPA manifest) whose policies join --policies; repeatable")
	fs.DurationVar(&o.Step, "step", o.Step, "time step of the simulation (the trace is time-averaged onto it); with --prometheus also the query's resolution")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of every random stream")
	fs.Float64Var(&o.Budget, "max-budget-usd-per-hour", 0, "every policy's target is clamped to what this affords, USD per hour; 0 means none")
	fs.StringVar(&o.Out, "out", o.Out, "directory for the report: summary.json, summary.md, demand-vs-capacity.png (created if missing)")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing but errors: no table, no progress bar")
	fs.StringVar(&o.Prometheus, "prometheus", "", "base URL of a running Prometheus to pull the trace from, instead of --trace")
	fs.StringVar(&o.Query, "query", "", "with --prometheus: the PromQL expression, one series (or pick with --series-label)")
	fs.StringVar(&o.Start, "start", "", "with --prometheus: start of the range, RFC 3339, Unix seconds, now or now-DURATION")
	fs.StringVar(&o.End, "end", "", "with --prometheus: end of the range, as --start")
	fs.IntVar(&o.MaxPoints, "max-points", o.MaxPoints, "with --prometheus: most points per request; longer ranges are split")
}

// Validate reports the first bad flag, by name.
func (o *replayOptions) Validate(now time.Time) error {
	switch {
	case o.Trace == "" && o.Prometheus == "":
		return errors.New("give --trace FILE or --prometheus URL")
	case o.Trace != "" && o.Prometheus != "":
		return errors.New("--trace and --prometheus: give one, not both")
	case !slices.Contains(formats, o.Format):
		return fmt.Errorf("--format %q: want one of %s", o.Format, strings.Join(formats, ", "))
	case math.IsNaN(o.Capacity) || math.IsInf(o.Capacity, 0) || o.Capacity < 0:
		return fmt.Errorf("--capacity-per-instance %v: want a finite value > 0, or 0 for automatic", o.Capacity)
	case o.Step < time.Second || o.Step > time.Hour:
		return fmt.Errorf("--step %v: want between 1s and 1h", o.Step)
	case o.Out == "":
		return errors.New("--out: want a directory")
	case math.IsNaN(o.Budget) || o.Budget < 0:
		return fmt.Errorf("--max-budget-usd-per-hour %v: want ≥ 0 USD per hour", o.Budget)
	case o.MaxPoints < 2:
		return fmt.Errorf("--max-points %d: want ≥ 2", o.MaxPoints)
	}
	if _, err := traces.ParseLabels(o.SeriesLabels); err != nil {
		return fmt.Errorf("--series-label: %w", err)
	}
	for i, p := range o.Policies {
		if _, err := policy.Lookup(p); err != nil {
			return fmt.Errorf("--policies: %w", err)
		}
		if slices.Contains(o.Policies[:i], p) {
			return fmt.Errorf("--policies: %q named twice", p)
		}
	}
	if o.Prometheus != "" {
		if o.Query == "" {
			return errors.New("--prometheus needs --query")
		}
		start, err := parseInstant(o.Start, now)
		if err != nil {
			return fmt.Errorf("--start: %w", err)
		}
		end, err := parseInstant(o.End, now)
		if err != nil {
			return fmt.Errorf("--end: %w", err)
		}
		if !end.After(start) {
			return fmt.Errorf("--end %s is not after --start %s", o.End, o.Start)
		}
	}
	return nil
}

// parseInstant reads RFC 3339, Unix seconds, "now" or "now-DURATION".
func parseInstant(s string, now time.Time) (time.Time, error) {
	switch {
	case s == "":
		return time.Time{}, errors.New("want a time: RFC 3339, Unix seconds, now or now-1h")
	case s == "now":
		return now, nil
	case strings.HasPrefix(s, "now-"):
		d, err := time.ParseDuration(s[len("now-"):])
		if err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("%q: want now-DURATION such as now-1h", s)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		sec := math.Floor(f)
		return time.Unix(int64(sec), int64(math.Round((f-sec)*1e9))).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339, Unix seconds, now or now-DURATION", s)
}

func replayUsage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintf(w, `Usage: replay --trace FILE [flags] --out DIR
       replay --prometheus URL --query PROMQL --start T --end T --step D [flags] --out DIR

Replays a recorded load trace through scaling policies side by side, each
in its own copy of the simulated world (the trace is read again, as a
stream, for each), with the clairvoyant oracle beside them. Prints a table
and writes summary.json, summary.md and demand-vs-capacity.png under --out.

The trace. A timestamp and one or more value columns (CSV, Parquet), or a
saved Prometheus query_range response. Rows must be in strictly increasing
time: a row out of order is an error naming its line (or point). Each row
holds until the next one, so a gap of missing rows holds the last value
across it; the last row holds for as long as the gap before it. The
simulation time-averages the rows onto --step, so finer and coarser traces
both read correctly. With --prometheus the series is pulled over the HTTP
API in requests of at most --max-points points and saved under --out as
prometheus-trace.csv, then replayed like a file; a request that finds no
series leaves a gap.

Capacity. --capacity-per-instance X says how much of the column one
instance serves, in the column's own unit (requests per minute for a
per-minute count, CPU percent for a utilisation). The simulator's service
model is unchanged (each instance serves mu = 100 req/s, 5 at a time, p95
latency objective 250 ms): the load is scaled by mu/X, so utilisation is
value / (instances * X) whatever the unit. Without the flag, X is the
trace's 99th percentile / 20 (from a first streaming pass; quantile within
1%%), and the report says so (capacity_source "p99/20").

Flags:
%s`, fs.FlagUsages())
}

// runTrace is the default command.
func runTrace(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := defaultReplayOptions()
	fs := pflag.NewFlagSet("replay", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			replayUsage(stdout, fs)
			return nil
		}
		return cli.Usage(fmt.Errorf("%w (see replay --help)", err))
	}
	if fs.NArg() > 0 {
		return cli.Usage(fmt.Errorf("unexpected argument %q (see replay --help)", fs.Arg(0)))
	}
	now := time.Now()
	if err := o.Validate(now); err != nil {
		return cli.Usage(err)
	}
	labels, _ := traces.ParseLabels(o.SeriesLabels)

	path, format, name := o.Trace, o.Format, o.Trace
	if o.Prometheus != "" {
		var err error
		if path, err = pull(ctx, &o, labels, now); err != nil {
			return err
		}
		format, name = "csv", o.Prometheus+" "+o.Query
		labels = nil // the saved trace has one series
	}
	open, err := opener(path, format, labels)
	if err != nil {
		return err
	}

	// First pass: the span and, unless given, the capacity. A Parquet
	// file is read in two halves at once.
	var st *traces.Stats
	if (format == "auto" || format == "parquet") && strings.EqualFold(filepath.Ext(path), ".parquet") {
		st, err = traces.ScanFile(path, nil, o.Column)
	} else {
		var r traces.Reader
		if r, err = open(); err != nil {
			return err
		}
		st, err = traces.Scan(r, o.Column)
		r.Close()
	}
	if err != nil {
		return err
	}
	capacity, source := o.Capacity, "flag"
	if capacity == 0 {
		p99 := st.Quantile(autoQuantile)
		if p99 <= 0 {
			return fmt.Errorf("%s: the 99th percentile of %q is 0, so no capacity follows from it: give --capacity-per-instance", name, st.Column)
		}
		capacity, source = p99/autoInstances, autoSource
	}

	cfg := sim.Config{Step: o.Step, Column: o.Column}.WithDefaults()
	cfg.Scale = cfg.Service.Capacity / capacity
	if err := cfg.Validate(); err != nil {
		return err
	}
	span := st.End.Sub(st.Start) + st.LastGap
	if st.LastGap == 0 {
		span = o.Step
	}
	pols, err := backtest.Policies(o.Policies, o.PolicyFiles, backtest.Env(cfg))
	if err != nil {
		return err
	}
	steps := (int64(span) + int64(o.Step) - 1) / int64(o.Step)
	bar := progress.Start(stderr, !o.Quiet && cli.IsTerminal(stderr), "replaying", steps*int64(len(pols)))
	defer bar.Finish()
	rows, err := backtest.Timeline(o.Out, cfg, pols)
	if err != nil {
		return err
	}
	defer rows.Abort() // removes its temporary files unless reports.Write closed it
	results, timelines, err := backtest.Run(ctx, backtest.Job{
		Config:   cfg,
		Policies: pols,
		Bounds:   autoscaler.Config{Price: cfg.Price, PriceCPU: cfg.WithDefaults().Size.CPU, Min: 1, BudgetPerHour: o.Budget, Seed: o.Seed},
		Span:     span,
		Rows:     rows,
		Open:     func() (sim.Load, error) { return open() },
		Step:     func() { bar.Add(1) },
	})
	bar.Finish()
	if err != nil {
		return err
	}

	sum := reports.Summary{
		Scenario:            "replay " + filepath.Base(path),
		Seed:                o.Seed,
		Start:               results[0].Start,
		End:                 results[0].End,
		StepSeconds:         o.Step.Seconds(),
		Trace:               name,
		CapacityPerInstance: capacity,
		CapacitySource:      source,
		Classical:           true,
	}
	for _, r := range results {
		sum.Policies = append(sum.Policies, reports.FromResult(r))
	}
	settings := []reports.Setting{
		{Name: "trace", Value: path},
		{Name: "capacity per instance", Value: fmt.Sprintf("%g (%s)", capacity, source)},
	}
	for _, f := range o.PolicyFiles {
		settings = append(settings, reports.Setting{Name: "policy file", Value: f})
	}
	if err := reports.Write(o.Out, reports.Run{Summary: sum, Timelines: timelines, Settings: settings, Steps: rows}); err != nil {
		return err
	}
	if o.Quiet {
		return nil
	}
	fmt.Fprintf(stdout, "trace %s: %d rows, %s, column %q\n", name, st.Rows, span, st.Column)
	if source == autoSource {
		fmt.Fprintf(stdout, "capacity per instance: %.6g (auto, %s: the 99th percentile, %.6g, needs %d instances)\n\n", capacity, source, st.Quantile(autoQuantile), autoInstances)
	} else {
		fmt.Fprintf(stdout, "capacity per instance: %.6g (--capacity-per-instance)\n\n", capacity)
	}
	if err := sum.WriteTable(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", filepath.Join(o.Out, "{summary.json,summary.md,report.html,timeline.parquet,*.png}"))
	return nil
}

// opener returns a function that opens a fresh stream of the trace.
func opener(path, format string, labels map[string]string) (func() (traces.Reader, error), error) {
	if format == "auto" {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".json":
			format = "prometheus-json"
		case ".csv":
			format = "csv"
		case ".parquet":
			format = "parquet"
		default:
			return nil, cli.Usage(fmt.Errorf("--trace %s: %w: name the format with --format", path, traces.ErrUnknownFormat))
		}
	}
	if format != "prometheus-json" && len(labels) > 0 {
		return nil, cli.Usage(errors.New("--series-label applies to prometheus-json and --prometheus only"))
	}
	switch format {
	case "prometheus-json":
		opts := &traces.PrometheusOptions{Labels: labels}
		return func() (traces.Reader, error) { return traces.OpenPrometheusJSON(path, opts) }, nil
	case "csv":
		return func() (traces.Reader, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			r, err := traces.NewCSVReader(path, f, nil)
			if err != nil {
				f.Close()
				return nil, err
			}
			return closing{r, f}, nil
		}, nil
	default: // parquet: by extension only
		return func() (traces.Reader, error) { return traces.Open(path, nil) }, nil
	}
}

// closing is a Reader that also closes its file.
type closing struct {
	traces.Reader
	f *os.File
}

func (c closing) Close() error { return errors.Join(c.Reader.Close(), c.f.Close()) }

// pull fetches the --prometheus range into OUT/prometheus-trace.csv.
func pull(ctx context.Context, o *replayOptions, labels map[string]string, now time.Time) (string, error) {
	start, _ := parseInstant(o.Start, now)
	end, _ := parseInstant(o.End, now)
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(o.Out, "prometheus-trace.csv")
	w, err := traces.Create(path, []string{traces.PrometheusColumn})
	if err != nil {
		return "", err
	}
	_, err = traces.FetchPrometheus(ctx, traces.PrometheusQuery{
		URL: o.Prometheus, Query: o.Query, Start: start, End: end, Step: o.Step,
		Labels: labels, MaxPoints: o.MaxPoints,
	}, w)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("--prometheus %s: %w", o.Prometheus, err)
	}
	return path, nil
}
