// Package policy holds scaling policies: pure decision code that turns what
// the metrics show into a target instance count.
//
// A Policy never reads a clock, does no I/O and starts no goroutines: it is
// given the time and the observation, and returns a Decision. The same
// policy value therefore runs unchanged in the simulator and live (package
// autoscaler owns the loop around it).
package policy

import (
	"time"
)

// Observation is what a metrics scrape shows at decision time, possibly
// late and possibly missing.
type Observation struct {
	// Time is when the sample was taken (the end of its window), which may
	// be earlier than the decision time by the collector's delay.
	Time time.Time
	// Valid is false when no sample is available (a metrics outage or the
	// start of a run); the other metric fields are then meaningless.
	Valid bool
	// Utilization is the mean CPU utilisation of the ready instances over
	// the scrape window, as a fraction of their capacity (0.5 = 50%). It
	// cannot exceed 1: a saturated instance shows 100%.
	Utilization float64
	// RequestRate is the mean arrival rate over the scrape window, req/s.
	RequestRate float64
	// Ready is the number of instances that served during the window.
	Ready int
	// Current is the orchestrator's current target (ready plus starting).
	Current int
}

// Decision is a policy's proposal and why.
type Decision struct {
	Target int    // instances wanted
	Reason string // short and constant, so deciding allocates nothing: "cooldown"
}

// Policy proposes a target instance count.
//
// Decide is called once per sync period with the decision time now and the
// latest observation; it may keep state between calls (a cooldown, a
// forecaster) and must be deterministic given its inputs. Policies are not
// safe for concurrent use.
type Policy interface {
	Name() string
	Decide(now time.Time, obs Observation) Decision
}

// Initializer is implemented by policies that choose their own instance
// count at the start of a run, before the first observation.
type Initializer interface {
	Initial(start time.Time) int
}
