package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/omnixan/omnixan/sim"
)

// Options are sim's command-line settings.
type Options struct {
	Scenario string
	Days     float64
	Step     time.Duration
	Seed     uint64
	Policies []string
	Out      string
	Quiet    bool
}

// policyNames are the policies --policies accepts, in the order --help lists them.
var policyNames = []string{"threshold", "oracle"}

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
	fs.StringVar(&o.Scenario, "scenario", o.Scenario, "built-in workload to run: "+strings.Join(sim.ScenarioNames(), ", "))
	fs.Float64Var(&o.Days, "days", o.Days, "length of the run in days (fractions allowed); 0 means the scenario's own length")
	fs.DurationVar(&o.Step, "step", o.Step, "time step of the service model and of the load, e.g. 10s, 1m")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of every random stream; the same seed gives the same results, byte for byte")
	fs.StringSliceVar(&o.Policies, "policies", o.Policies, "comma-separated policies to compare: "+strings.Join(policyNames, ", "))
	fs.StringVar(&o.Out, "out", o.Out, "directory for summary.json, summary.md and demand-vs-capacity.png (created if missing)")
	fs.BoolVarP(&o.Quiet, "quiet", "q", o.Quiet, "print nothing but errors: no table, no progress bar")
}

// Validate reports the first bad option, naming its flag.
func (o *Options) Validate() error {
	if _, err := sim.LookupScenario(o.Scenario); err != nil {
		return fmt.Errorf("--scenario: %w", err)
	}
	if o.Days < 0 || o.Days > 3660 || o.Days != o.Days {
		return fmt.Errorf("--days %v: want between 0 and 3660", o.Days)
	}
	if o.Step < time.Second || o.Step > time.Hour {
		return fmt.Errorf("--step %v: want between 1s and 1h", o.Step)
	}
	if len(o.Policies) == 0 {
		return fmt.Errorf("--policies: name at least one of %s", strings.Join(policyNames, ", "))
	}
	for i, p := range o.Policies {
		if !slices.Contains(policyNames, p) {
			return fmt.Errorf("--policies: unknown policy %q (have %s)", p, strings.Join(policyNames, ", "))
		}
		if slices.Contains(o.Policies[:i], p) {
			return fmt.Errorf("--policies: %q named twice", p)
		}
	}
	if o.Out == "" {
		return fmt.Errorf("--out: want a directory")
	}
	return nil
}
