// Package autoscaler is the control loop shared by the simulator and live
// mode.
//
// Once per sync period the driver (package sim in simulation, live on a real
// clock) calls Loop.Tick, or Loop.Step with an observation it already has:
//
//  1. the observation goes to the policy, which proposes a target;
//  2. the guard clamps the target to the instance bounds and to what the
//     hourly budget affords;
//  3. the actuator sends the target to the orchestrator when it differs
//     from the current one.
//
// The loop talks to the world only through MetricsSource and Orchestrator,
// which the driver implements. It never reads a clock: every method takes
// the time as an argument.
package autoscaler

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/omnixan/omnixan/cost"
	"github.com/omnixan/omnixan/policy"
)

// MetricsSource returns the latest observation as a collector sees it at
// time now.
type MetricsSource interface {
	Observe(now time.Time) (policy.Observation, error)
}

// Orchestrator changes and reports the instance count of the managed
// workload.
type Orchestrator interface {
	// Current returns the current target (ready plus starting instances).
	Current(now time.Time) (int, error)
	// Scale sets the target instance count.
	Scale(now time.Time, target int) error
}

// ErrConfiguration is wrapped by configuration errors.
var ErrConfiguration = errors.New("autoscaler configuration error")

// Config configures a Loop.
type Config struct {
	Min, Max int // instance bounds; Max 0 means no upper bound
	// BudgetPerHour caps the running cost in USD per hour at Price; 0 means
	// no budget.
	BudgetPerHour float64
	Price         cost.InstanceHour
}

// Validate reports the first bad field.
func (c Config) Validate() error {
	switch {
	case c.Min < 0:
		return fmt.Errorf("%w: Min = %d, want ≥ 0", ErrConfiguration, c.Min)
	case c.Max != 0 && c.Max < c.Min:
		return fmt.Errorf("%w: Max = %d, want ≥ Min (%d)", ErrConfiguration, c.Max, c.Min)
	case math.IsNaN(c.BudgetPerHour) || math.IsInf(c.BudgetPerHour, 0) || c.BudgetPerHour < 0:
		return fmt.Errorf("%w: BudgetPerHour = %v, want a finite value ≥ 0", ErrConfiguration, c.BudgetPerHour)
	}
	if err := c.Price.Validate(); err != nil {
		return fmt.Errorf("%w: Price: %w", ErrConfiguration, err)
	}
	return nil
}

// Decision records one pass of the loop.
type Decision struct {
	Time     time.Time
	Proposed int    // the policy's target
	Target   int    // after the bounds and the budget
	Previous int    // the orchestrator's target before this step
	Reason   string // the policy's reason, and the guard's when it clamped
	Scaled   bool   // the orchestrator was asked to change
	Err      error  // the actuation error, if any
}

// Loop is one autoscaler: a policy, its guard and its actuator. It is not
// safe for concurrent use; one driver goroutine calls it.
type Loop struct {
	cfg    Config
	policy policy.Policy
	source MetricsSource
	orch   Orchestrator
}

// New returns a Loop, or an error wrapping ErrConfiguration.
func New(cfg Config, p policy.Policy, src MetricsSource, orch Orchestrator) (*Loop, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if p == nil || orch == nil {
		return nil, fmt.Errorf("%w: policy and orchestrator are required", ErrConfiguration)
	}
	return &Loop{cfg: cfg, policy: p, source: src, orch: orch}, nil
}

// Policy returns the loop's policy.
func (l *Loop) Policy() policy.Policy { return l.policy }

// Clamp applies the bounds and the budget to a proposed target and says
// why when it changed it.
func (l *Loop) Clamp(n int) (int, string) {
	why := ""
	if l.cfg.Max > 0 && n > l.cfg.Max {
		n, why = l.cfg.Max, fmt.Sprintf("max %d", l.cfg.Max)
	}
	if afford := l.cfg.Price.Affordable(l.cfg.BudgetPerHour); n > afford {
		n, why = afford, fmt.Sprintf("budget %.2f USD/h affords %d", l.cfg.BudgetPerHour, afford)
	}
	if n < l.cfg.Min {
		n, why = l.cfg.Min, fmt.Sprintf("min %d", l.cfg.Min)
	}
	return n, why
}

// Tick reads the metrics source and runs Step. A metrics error becomes an
// invalid observation: the policy decides without metrics.
func (l *Loop) Tick(now time.Time) Decision {
	var obs policy.Observation
	if l.source != nil {
		o, err := l.source.Observe(now)
		if err == nil {
			obs = o
		}
	}
	return l.Step(now, obs)
}

// Step runs one pass of the loop on obs at time now.
func (l *Loop) Step(now time.Time, obs policy.Observation) Decision {
	d := Decision{Time: now}
	cur, err := l.orch.Current(now)
	if err != nil {
		d.Err = fmt.Errorf("reading current instance count: %w", err)
		return d
	}
	d.Previous = cur
	obs.Current = cur
	pd := l.policy.Decide(now, obs)
	d.Proposed = pd.Target
	d.Reason = pd.Reason
	target, why := l.Clamp(pd.Target)
	if why != "" {
		d.Reason += "; clamped to " + why
	}
	d.Target = target
	if target == cur {
		return d
	}
	d.Scaled = true
	if err := l.orch.Scale(now, target); err != nil {
		d.Err = fmt.Errorf("scaling to %d: %w", target, err)
	}
	return d
}
