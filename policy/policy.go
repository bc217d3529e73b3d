package policy

import (
	"time"

	"github.com/omnixan/omnixan/forecast"
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
	// Ready is the number of ready instances at the end of the window.
	Ready int
	// Starting is the number of instances launched but not yet ready at the
	// end of the window (the HPA's not-yet-ready pods).
	Starting int
	// Backlog is the number of requests queued at the end of the window.
	Backlog float64
	// Capacity is what one ready instance serves when saturated, req/s. It
	// turns a demand forecast into an instance count; 0 when unknown.
	Capacity float64
	// Current is the orchestrator's current target (ready plus starting),
	// filled in by the autoscaler at decision time.
	Current int
	// MemoryUtilization is the mean memory use of the ready instances at
	// the end of the window, as a fraction of their memory (0 when
	// unknown).
	MemoryUtilization float64
	// OOMEvents is the number of instances killed for running out of
	// memory since the previous sample.
	OOMEvents int
	// Size is the size new instances get (the workload's template); the
	// zero Size means unknown. Capacity is that of one instance of Size.
	Size Size
	// JobMemoryGiB is the most memory any one queued or running unit of
	// work needs, GiB: for quantum simulator workers, the largest state
	// vector waiting or running (16·2^qubits bytes plus overhead). 0 means
	// unknown or nothing waiting.
	JobMemoryGiB float64
}

// Size is an instance size: what one instance is given.
type Size struct {
	CPU       float64 `json:"cpu"`        // vCPUs
	MemoryGiB float64 `json:"memory_gib"` // memory, GiB
}

// IsZero reports whether s is the zero Size.
func (s Size) IsZero() bool { return s == Size{} }

// Decision is a policy's proposal and why.
type Decision struct {
	Target int    // instances wanted
	Reason string // short and constant, so deciding allocates nothing: "cooldown"
	// Size is the instance size wanted; the zero Size keeps the current
	// one. Only an orchestrator that can resize (autoscaler.Resizer) acts
	// on it.
	Size Size
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

// Prediction is a demand forecast a policy made and acted on.
type Prediction struct {
	Made time.Time // decision time
	At   time.Time // the time forecast (Made + the policy's horizon)
	// Demand is the forecast arrival rate at At, req/s, with its 80% and
	// 95% intervals.
	Demand forecast.Point
}

// Forecasting is implemented by policies that forecast demand. After each
// decision the simulator asks for the forecast made at it and scores it
// against the demand that came.
type Forecasting interface {
	// LastPrediction returns the forecast made at the latest decision —
	// also when the policy did not act on it (a reactive fallback, a
	// forecast-only mode), so that its accuracy is always scored — and
	// false when that decision made none.
	LastPrediction() (Prediction, bool)
}
