package autoscaler

import (
	"fmt"
	"math"
	"math/rand/v2"
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

// Resizer is implemented by orchestrators that can change the size of
// the workload's instances. Resizing restarts instances (how, and how many
// at once, is the orchestrator's affair: a Kubernetes Deployment rolls its
// pods).
type Resizer interface {
	// Size returns the size new instances get.
	Size(now time.Time) (policy.Size, error)
	// Resize sets the size of the instances.
	Resize(now time.Time, size policy.Size) error
}

// Config configures a Loop. The zero value is a loop with no bounds but
// Min 0, no budget, no anti-flapping rule, and the default breaker and
// retry.
type Config struct {
	Min, Max int // instance bounds; Max 0 means no upper bound
	// BudgetPerHour caps the running cost in USD per hour at Price; 0 means
	// no budget.
	BudgetPerHour float64
	Price         cost.InstanceHour
	// PriceCPU is the vCPU count of the instance Price is quoted for. When
	// set, the budget prices an instance of size s at
	// Price × s.CPU / PriceCPU, the size being the policy's proposal or else
	// the observed one; 0 prices every instance at Price.
	PriceCPU float64
	// AntiFlapThreshold is the scale-out utilisation threshold (a fraction,
	// 0.8 = 80%) that Azure autoscale's anti-flapping rule protects; 0 turns
	// the rule off. Before a scale-in the loop estimates the utilisation
	// after it as u·n/target, with u and n the observed utilisation and the
	// ready instances it was measured on (Current when the observation has
	// no ready count). When that exceeds the threshold the loop scales in
	// only to the least count whose estimate does not, ⌈u·n/threshold⌉, or
	// not at all when that is no fewer than Current. The rule needs a valid
	// observation; without one the policy's proposal stands. It acts before
	// the bounds and the budget, which still win.
	AntiFlapThreshold float64
	Breaker           BreakerConfig // circuit breaker around Scale calls
	Retry             RetryConfig   // retries of transient Scale failures
	// Seed seeds the retry jitter, a PCG stream of its own: the same seed
	// gives the same retry schedule.
	Seed uint64
}

// Validate reports the first bad field as a *ConfigurationError, which
// also matches ErrConfiguration under errors.Is.
func (c Config) Validate() error {
	switch {
	case c.Min < 0:
		return configError("Min", fmt.Sprintf("= %d, want ≥ 0", c.Min), nil)
	case c.Max != 0 && c.Max < c.Min:
		return configError("Max", fmt.Sprintf("= %d, want ≥ Min (%d)", c.Max, c.Min), nil)
	case math.IsNaN(c.PriceCPU) || math.IsInf(c.PriceCPU, 0) || c.PriceCPU < 0:
		return configError("PriceCPU", fmt.Sprintf("= %v, want a finite value ≥ 0", c.PriceCPU), nil)
	case math.IsNaN(c.BudgetPerHour) || math.IsInf(c.BudgetPerHour, 0) || c.BudgetPerHour < 0:
		return configError("BudgetPerHour", fmt.Sprintf("= %v, want a finite value ≥ 0", c.BudgetPerHour), nil)
	case math.IsNaN(c.AntiFlapThreshold) || c.AntiFlapThreshold < 0 || c.AntiFlapThreshold > 1:
		return configError("AntiFlapThreshold", fmt.Sprintf("= %v, want a utilisation in (0, 1], or 0 for none", c.AntiFlapThreshold), nil)
	}
	if err := c.Price.Validate(); err != nil {
		return configError("Price", "", err)
	}
	if err := c.Breaker.Validate(); err != nil {
		return err
	}
	return c.Retry.Validate()
}

// Decision records one pass of the loop, or one retry.
type Decision struct {
	Time     time.Time
	Proposed int    // the policy's target
	Target   int    // after the anti-flapping rule, the bounds and the budget
	Previous int    // the orchestrator's target before this step
	Reason   string // the policy's reason, and the guard's when it clamped
	Scaled   bool   // a Scale call was sent to the orchestrator
	// Err is the error of this pass, if any: a *ScalingError (Op OpScale
	// or OpCurrent) wrapping the orchestrator's error, or a
	// *CircuitBreakerOpenError when the breaker refused the call.
	Err error
	// Attempt is 0 for the first call of an action and n for its n-th
	// retry.
	Attempt int
	// RetryAt is when the loop will retry a call that failed transiently
	// (see Loop.NextRetry); zero when it will not.
	RetryAt time.Time
	// GaveUp is true when the action was abandoned: the error was not
	// transient, the retries ran out, the breaker refused the call, or the
	// failure opened the breaker so that the retry would be refused.
	GaveUp bool
	// Size is the instance size the policy asked for (zero: keep), and
	// Resized is true when a Resize call was sent for it.
	Size    policy.Size
	Resized bool
}

// Stats counts what the actuator did.
type Stats struct {
	Calls         int // Scale calls sent to the orchestrator
	Retries       int // of those, calls that repeated an action after a transient failure
	Failures      int // Scale calls that failed
	Rejected      int // calls the open breaker refused without sending
	FailedActions int // actions abandoned (see Decision.GaveUp)
	Superseded    int // pending retries dropped because a newer Step decided again
	BreakerTrips  int // times the breaker opened from closed
	Resizes       int // Resize calls sent to the orchestrator
	// BreakerOpen is the time the breaker spent open (not half-open).
	BreakerOpen time.Duration
}

// pending is an action waiting for its retry.
type pending struct {
	active   bool
	target   int
	attempts int       // calls made so far
	first    time.Time // the first call
	at       time.Time // the next call
}

// Loop is one autoscaler: a policy, its guard and its actuator. It is not
// safe for concurrent use; one driver goroutine calls it.
//
// The actuator sends each target that differs from the orchestrator's
// current one through a circuit breaker (Breaker) and, when the call fails
// with a transient error (IsTransient), keeps the action pending with a
// retry time (Retry). The driver asks NextRetry when that is and calls
// Retry then: live it sleeps until the time, the simulator schedules an
// event at it. The next Step supersedes a pending retry: the policy
// decides again on fresh metrics. Reading the current count (Current) does
// not go through the breaker.
type Loop struct {
	cfg     Config
	policy  policy.Policy
	source  MetricsSource
	orch    Orchestrator
	breaker *Breaker
	retry   *Retry
	pending pending
	stats   Stats
}

// Stream of the retry jitter in the PCG seeded with Config.Seed ("retry").
const retryStream = 0x7265747279

// New returns a Loop, or a *ConfigurationError (which matches
// ErrConfiguration).
func New(cfg Config, p policy.Policy, src MetricsSource, orch Orchestrator) (*Loop, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, configError("policy", "is required", nil)
	}
	if orch == nil {
		return nil, configError("orchestrator", "is required", nil)
	}
	b, err := NewBreaker(cfg.Breaker)
	if err != nil {
		return nil, err
	}
	r, err := NewRetry(cfg.Retry, rand.New(rand.NewPCG(cfg.Seed, retryStream)))
	if err != nil {
		return nil, err
	}
	return &Loop{cfg: cfg, policy: p, source: src, orch: orch, breaker: b, retry: r}, nil
}

// Policy returns the loop's policy.
func (l *Loop) Policy() policy.Policy { return l.policy }

// Breaker returns the loop's circuit breaker.
func (l *Loop) Breaker() *Breaker { return l.breaker }

// Stats returns the actuator's counters, with the breaker's open time up
// to now.
func (l *Loop) Stats(now time.Time) Stats {
	s := l.stats
	s.BreakerTrips = l.breaker.Trips()
	s.BreakerOpen = l.breaker.OpenDuration(now)
	return s
}

// Clamp applies the bounds and the budget to a proposed target and says
// why when it changed it.
func (l *Loop) Clamp(n int) (int, string) { return l.clampSized(n, policy.Size{}) }

// clampSized is Clamp for instances of size s (the zero Size: at Price).
func (l *Loop) clampSized(n int, s policy.Size) (int, string) {
	why := ""
	if l.cfg.Max > 0 && n > l.cfg.Max {
		n, why = l.cfg.Max, fmt.Sprintf("max %d", l.cfg.Max)
	}
	price := l.cfg.Price
	if l.cfg.PriceCPU > 0 && s.CPU > 0 {
		price.USDPerHour *= s.CPU / l.cfg.PriceCPU
	}
	if afford := price.Affordable(l.cfg.BudgetPerHour); n > afford {
		n, why = afford, fmt.Sprintf("budget %.2f USD/h affords %d", l.cfg.BudgetPerHour, afford)
	}
	if n < l.cfg.Min {
		n, why = l.cfg.Min, fmt.Sprintf("min %d", l.cfg.Min)
	}
	return n, why
}

// antiFlap applies Config.AntiFlapThreshold to a proposed scale-in from
// cur to n, and says why when it changed it.
func (l *Loop) antiFlap(n, cur int, obs policy.Observation) (int, string) {
	th := l.cfg.AntiFlapThreshold
	if th == 0 || n >= cur || !obs.Valid {
		return n, ""
	}
	ready := obs.Ready
	if ready <= 0 {
		ready = cur
	}
	load := obs.Utilization * float64(ready) // in instances' worth of capacity
	if n > 0 && load/float64(n) <= th+1e-9 {
		return n, ""
	}
	least := int(math.Ceil(load/th - 1e-9))
	switch {
	case least <= n:
		return n, ""
	case least >= cur:
		return cur, "anti-flapping: no scale-in"
	}
	return least, "anti-flapping: partial scale-in"
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

// Step runs one pass of the loop on obs at time now. It drops any pending
// retry, and when the target differs from the current count sends it
// through the breaker, keeping it pending if the call fails transiently.
func (l *Loop) Step(now time.Time, obs policy.Observation) Decision {
	d := Decision{Time: now}
	if l.pending.active {
		l.pending.active = false
		l.stats.Superseded++
	}
	cur, err := l.orch.Current(now)
	if err != nil {
		d.Err = &ScalingError{Op: OpCurrent, Err: err}
		return d
	}
	d.Previous = cur
	obs.Current = cur
	pd := l.policy.Decide(now, obs)
	d.Proposed = pd.Target
	d.Reason = pd.Reason
	target, why := l.antiFlap(pd.Target, cur, obs)
	if why != "" {
		d.Reason += "; " + why
	}
	size := pd.Size
	if size.IsZero() {
		size = obs.Size
	}
	target, why = l.clampSized(target, size)
	if why != "" {
		d.Reason += "; clamped to " + why
	}
	d.Target = target
	if !pd.Size.IsZero() {
		d.Size = pd.Size
		l.resize(now, &d, pd.Size)
	}
	if target == cur {
		return d
	}
	l.actuate(now, &d, target, 0, now)
	return d
}

// resize sends a size that differs from the orchestrator's to it through
// the circuit breaker, before any change of count, so that new instances
// start at the new size. A failed resize is not retried: the policy asks
// again at the next Step. A resize the breaker refuses or that fails sets
// d.Err only when the pass has no other error.
func (l *Loop) resize(now time.Time, d *Decision, size policy.Size) {
	r, ok := l.orch.(Resizer)
	if !ok {
		return
	}
	cur, err := r.Size(now)
	if err != nil {
		d.Err = &ScalingError{Op: OpCurrent, Err: err}
		return
	}
	if cur == size {
		return
	}
	if !l.breaker.Allow(now) {
		d.Err = &CircuitBreakerOpenError{ScalingError: ScalingError{Op: OpResize}, Until: l.breaker.ReadyAt(now)}
		l.stats.Rejected++
		return
	}
	d.Resized = true
	l.stats.Resizes++
	err = r.Resize(now, size)
	l.breaker.Record(now, err)
	if err != nil {
		l.stats.Failures++
		d.Err = &ScalingError{Op: OpResize, Err: err}
	}
}

// NextRetry returns when the pending retry is due, and false when none is
// pending.
func (l *Loop) NextRetry() (time.Time, bool) {
	return l.pending.at, l.pending.active
}

// Retry makes the pending retry if it is due at now. ok is false, and the
// Decision empty, when no retry is pending or it is not yet due. A retry
// whose target the orchestrator already has ends the action without a call.
func (l *Loop) Retry(now time.Time) (d Decision, ok bool) {
	p := l.pending
	if !p.active || now.Before(p.at) {
		return Decision{}, false
	}
	l.pending.active = false
	d = Decision{Time: now, Proposed: p.target, Target: p.target, Reason: "retry"}
	cur, err := l.orch.Current(now)
	if err != nil {
		d.Err = &ScalingError{Op: OpCurrent, Err: err}
		d.GaveUp = true
		l.stats.FailedActions++
		return d, true
	}
	d.Previous = cur
	if cur != p.target {
		l.actuate(now, &d, p.target, p.attempts, p.first)
	}
	return d, true
}

// actuate makes call number attempts+1 of the action to reach target,
// first called at first.
func (l *Loop) actuate(now time.Time, d *Decision, target, attempts int, first time.Time) {
	d.Attempt = attempts
	if !l.breaker.Allow(now) {
		d.Err = &CircuitBreakerOpenError{ScalingError: ScalingError{Op: OpScale, Target: target}, Until: l.breaker.ReadyAt(now)}
		d.GaveUp = true
		l.stats.Rejected++
		l.stats.FailedActions++
		return
	}
	d.Scaled = true
	l.stats.Calls++
	if attempts > 0 {
		l.stats.Retries++
	}
	err := l.orch.Scale(now, target)
	l.breaker.Record(now, err)
	if err == nil {
		return
	}
	l.stats.Failures++
	d.Err = &ScalingError{Op: OpScale, Target: target, Err: err}
	at, ok := l.retry.Next(first, now, attempts+1, err)
	if ok && at.Before(l.breaker.ReadyAt(now)) {
		// This failure opened the breaker: the retry would be refused.
		ok = false
	}
	if !ok {
		d.GaveUp = true
		l.stats.FailedActions++
		return
	}
	d.RetryAt = at
	l.pending = pending{active: true, target: target, attempts: attempts + 1, first: first, at: at}
}
