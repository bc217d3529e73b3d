package policy

import "time"

// Foresight answers questions about the future workload. The simulator
// implements it from the trace it replays; nothing live can.
type Foresight interface {
	// PeakNeed returns the least instance count that meets the SLO at every
	// step that overlaps [from, to], given no backlog.
	PeakNeed(from, to time.Time) int
}

// Clairvoyant is implemented by policies that need to see the future. The
// simulator calls Foresee once, before the first decision.
type Clairvoyant interface {
	Foresee(f Foresight)
}

// Oracle is the clairvoyant lower bound. At each decision it provisions
// the peak need over the window from now until the capacity it asks for at
// the next decision can be ready:
//
//	target(now) = PeakNeed(now, now + StartupDelay + SyncPeriod)
//
// Instances it asks for now are ready by now + StartupDelay and cover the
// window's end; those it keeps cover the rest. Releasing an instance that
// is needed again within StartupDelay would cost more (a replacement is
// billed from launch, StartupDelay before it is needed) than keeping it, so
// keeping the window's peak is the cheapest schedule that never misses.
type Oracle struct {
	StartupDelay time.Duration // time from request to ready
	SyncPeriod   time.Duration // time between two decisions
	future       Foresight
}

var _ Policy = (*Oracle)(nil)
var _ Clairvoyant = (*Oracle)(nil)
var _ Initializer = (*Oracle)(nil)
var _ Bounded = (*Oracle)(nil)

// Bounds implements Bounded: at least one instance, no upper bound, so
// the oracle shows what meeting the SLO at every step costs.
func (o *Oracle) Bounds() (min, max int) { return 1, 0 }

// Name returns "oracle".
func (o *Oracle) Name() string { return "oracle" }

// Foresee implements Clairvoyant.
func (o *Oracle) Foresee(f Foresight) { o.future = f }

// Initial returns the need over the first window, so the oracle starts
// ready for its load.
func (o *Oracle) Initial(start time.Time) int { return o.need(start) }

// Decide implements Policy. It ignores the observation.
func (o *Oracle) Decide(now time.Time, _ Observation) Decision {
	n := o.need(now)
	return Decision{Target: n, Reason: "peak need over start-up delay and sync period"}
}

func (o *Oracle) horizon() time.Duration { return o.StartupDelay + o.SyncPeriod }

func (o *Oracle) need(now time.Time) int {
	if o.future == nil {
		panic("policy: Oracle used without Foresee")
	}
	return o.future.PeakNeed(now, now.Add(o.horizon()))
}
