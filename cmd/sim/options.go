package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/omnixan/omnixan/policy"
	"github.com/omnixan/omnixan/sim"
)

// Options are sim's command-line settings.
type Options struct {
	Scenario    string
	Days        float64
	Step        time.Duration
	Seed        uint64
	Policies    []string
	PolicyFiles []string
	Out         string
	Quiet       bool

	FaultErrorRate float64
	FaultLatency   time.Duration
	FaultTimeout   time.Duration
	FaultOutages   []string // START+LENGTH offsets, e.g. 2h+10m
	BudgetPerHour  float64
	AntiFlap       float64

	// file is the scenario file --scenario names, loaded by Validate; nil
	// for a built-in scenario.
	file *sim.ScenarioFile
	// policiesSet and seedSet tell whether the flags were given, so that a
	// scenario file's policies and seed apply otherwise.
	policiesSet, seedSet bool
}

func defaultOptions() Options {
	return Options{
		Scenario: sim.ScenarioNames()[0],
		Step:     10 * time.Second,
		Seed:     1,
		Policies: []string{"threshold", "oracle"},
		Out:      "omnixan-out",
	}
}

// AddFlags registers the options on fs.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Scenario, "scenario", o.Scenario, "built-in workload to run ("+strings.Join(sim.ScenarioNames(), ", ")+"), or a scenario file (YAML or JSON, docs/scenario-files.md)")
	fs.Float64Var(&o.Days, "days", o.Days, "length of the run in days (fractions allowed); 0 means the scenario's own length")
	fs.DurationVar(&o.Step, "step", o.Step, "time step of the service model and of the load, e.g. 10s, 1m")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of every random stream; the same seed gives the same results, byte for byte")
	fs.StringSliceVar(&o.Policies, "policies", o.Policies, "comma-separated policies to compare, with their defaults (sim policies lists them): "+strings.Join(policy.Names(), ", ")+"; the oracle is always added")
	fs.StringArrayVar(&o.PolicyFiles, "policy-file", nil, "a policy file (YAML or JSON: policy, name, params; or a Kubernetes autoscaling/v2 HPA manifest) whose policies join --policies; repeatable")
	fs.StringVar(&o.Out, "out", o.Out, "directory for summary.json, summary.md, report.html, the PNG plots and timeline.parquet (created if missing)")
	fs.BoolVarP(&o.Quiet, "quiet", "q", o.Quiet, "print nothing but errors: no table, no progress bar")
	fs.Float64Var(&o.BudgetPerHour, "max-budget-usd-per-hour", 0, "every policy's target is clamped to what this affords, USD per hour; 0 means none")
	fs.Float64Var(&o.AntiFlap, "anti-flap", 0, "scale in only if the utilisation after it stays at or under this fraction (Azure's anti-flapping rule), for every policy; 0 means off")
	fs.Float64Var(&o.FaultErrorRate, "fault-error-rate", 0, "probability that a scale call fails (a transient error, retried with backoff)")
	fs.DurationVar(&o.FaultLatency, "fault-latency", 0, "time a scale call takes before it has effect")
	fs.DurationVar(&o.FaultTimeout, "fault-timeout", 0, "scale calls slower than this fail; 0 means no timeout")
	fs.StringArrayVar(&o.FaultOutages, "fault-outage", nil, "an orchestrator outage as START+LENGTH from the start of the run, e.g. 2h+10m; repeatable")
}

// Validate reports the first bad option, naming its flag.
func (o *Options) Validate() error {
	if isScenarioFile(o.Scenario) {
		f, err := sim.LoadScenarioFile(o.Scenario)
		if err != nil {
			return fmt.Errorf("--scenario %w", err)
		}
		o.file = f
		if !o.policiesSet && (len(f.Policies) > 0 || len(f.PolicyFiles) > 0) {
			o.Policies = f.Policies
			o.PolicyFiles = append(f.PolicyFiles, o.PolicyFiles...)
		}
		if !o.seedSet && f.Seed != 0 {
			o.Seed = f.Seed
		}
	} else if _, err := sim.LookupScenario(o.Scenario); err != nil {
		return fmt.Errorf("--scenario: %w", err)
	}
	if o.Days < 0 || o.Days > 3660 || o.Days != o.Days {
		return fmt.Errorf("--days %v: want between 0 and 3660", o.Days)
	}
	if o.Step < time.Second || o.Step > time.Hour {
		return fmt.Errorf("--step %v: want between 1s and 1h", o.Step)
	}
	for i, p := range o.Policies {
		if _, err := policy.Lookup(p); err != nil {
			return fmt.Errorf("--policies: %w", err)
		}
		if slices.Contains(o.Policies[:i], p) {
			return fmt.Errorf("--policies: %q named twice", p)
		}
	}
	if o.Out == "" {
		return fmt.Errorf("--out: want a directory")
	}
	if o.BudgetPerHour < 0 || o.BudgetPerHour != o.BudgetPerHour {
		return fmt.Errorf("--max-budget-usd-per-hour %v: want ≥ 0", o.BudgetPerHour)
	}
	if o.AntiFlap < 0 || o.AntiFlap > 1 || o.AntiFlap != o.AntiFlap {
		return fmt.Errorf("--anti-flap %v: want a utilisation in [0, 1]", o.AntiFlap)
	}
	if _, err := o.faults(); err != nil {
		return err
	}
	return nil
}

// isScenarioFile reports whether --scenario names a file rather than a
// built-in scenario: a path with a directory, or a .yaml, .yml or .json
// name.
func isScenarioFile(s string) bool {
	switch strings.ToLower(filepath.Ext(s)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return strings.ContainsRune(s, filepath.Separator)
}

// scenario returns the scenario to run.
func (o *Options) scenario() (sim.Scenario, error) {
	if o.file != nil {
		return o.file.Scenario, nil
	}
	return sim.LookupScenario(o.Scenario)
}

// faults returns the fault injection the flags ask for.
func (o *Options) faults() (sim.Faults, error) {
	f := sim.Faults{Seed: o.Seed, ErrorRate: o.FaultErrorRate, Latency: o.FaultLatency, Timeout: o.FaultTimeout}
	for _, s := range o.FaultOutages {
		a, b, ok := strings.Cut(s, "+")
		start, err1 := time.ParseDuration(a)
		length, err2 := time.ParseDuration(b)
		if !ok || err1 != nil || err2 != nil || start < 0 || length <= 0 {
			return f, fmt.Errorf("--fault-outage %q: want START+LENGTH such as 2h+10m", s)
		}
		f.Outages = append(f.Outages, sim.Outage{Start: start, End: start + length})
	}
	if err := f.Validate(); err != nil {
		return f, fmt.Errorf("--fault-*: %w", err)
	}
	return f, nil
}
