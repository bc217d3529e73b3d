package policy

import (
	"fmt"
	"math"
	"time"
)

// ScalingMetric names the metric an AWS-style policy (TargetTracking,
// StepScaling, Predictive's reactive part) scales on.
type ScalingMetric string

// The metrics AWS-style policies can scale on.
const (
	// MetricCPUUtilization is Observation.Utilization, a fraction (0.5 =
	// 50%), as CloudWatch's ASGAverageCPUUtilization shows it: a saturated
	// fleet shows 1 however far it is overloaded.
	MetricCPUUtilization ScalingMetric = "cpu"
	// MetricRequestsPerInstance is RequestRate ÷ Ready, req/s per ready
	// instance, as ALBRequestCountPerTarget shows it (per second instead of
	// per minute). Targets and thresholds are then in req/s and have no
	// default.
	MetricRequestsPerInstance ScalingMetric = "requests_per_instance"
	// MetricOfferedUtilization is the utilisation the ready instances
	// would show if they could exceed 100%:
	//
	//	max(Utilization, (RequestRate + Backlog/60 s) ÷ (Ready × Capacity))
	//
	// It equals the CPU utilisation below saturation and keeps growing
	// with the demand (and the queued requests, drained over a minute)
	// above it. Without a known Capacity it is the CPU utilisation.
	MetricOfferedUtilization ScalingMetric = "offered_utilization"
)

// backlogDrain is the time over which MetricOfferedUtilization plans to
// drain the queued requests.
const backlogDrain = 60.0 // seconds

// Default bounds of the AWS-style policies. AWS requires an Auto Scaling
// group's MaxSize; 100 leaves room for the built-in scenarios' peaks.
const (
	awsDefaultMin    = 1
	awsDefaultMax    = 100
	awsDefaultWarmUp = 300 * time.Second // AWS's recommended default instance warm-up
)

// value returns the metric of obs; ok is false when it cannot be computed
// (no valid sample, no ready instance, a reading that is not finite).
func (m ScalingMetric) value(obs Observation) (v float64, ok bool) {
	if !obs.Valid || obs.Ready <= 0 {
		return 0, false
	}
	switch m {
	case MetricRequestsPerInstance:
		v = obs.RequestRate / float64(obs.Ready)
	case MetricOfferedUtilization:
		v = obs.Utilization
		if obs.Capacity > 0 {
			v = max(v, (obs.RequestRate+obs.Backlog/backlogDrain)/(float64(obs.Ready)*obs.Capacity))
		}
	default:
		v = obs.Utilization
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, false
	}
	return v, true
}

// isFraction reports whether the metric is a utilisation.
func (m ScalingMetric) isFraction() bool { return m != MetricRequestsPerInstance }

func (m ScalingMetric) check(field string) error {
	switch m {
	case MetricCPUUtilization, MetricRequestsPerInstance, MetricOfferedUtilization:
		return nil
	}
	return fmt.Errorf("%w: %s = %q, want %q, %q or %q", ErrInvalidConfig, field, m,
		MetricCPUUtilization, MetricRequestsPerInstance, MetricOfferedUtilization)
}

// launchLog remembers the instances a policy asked for, to count those
// still warming up. It keeps only launches younger than the warm-up.
type launchLog struct {
	at []time.Time
	n  []int
}

func (l *launchLog) add(now time.Time, n int) {
	l.at = append(l.at, now)
	l.n = append(l.n, n)
}

// warming returns the instances still warming at now: the larger of those
// the observation shows starting and those launched within the warm-up,
// at most current.
func (l *launchLog) warming(now time.Time, warmUp time.Duration, starting, current int) int {
	i := 0
	for i < len(l.at) && now.Sub(l.at[i]) >= warmUp {
		i++
	}
	if i > 0 {
		k := copy(l.at, l.at[i:])
		l.at = l.at[:k]
		copy(l.n, l.n[i:])
		l.n = l.n[:k]
	}
	recent := 0
	for _, n := range l.n {
		recent += n
	}
	return max(0, min(max(starting, recent), current))
}

// ceilUp returns ⌈x⌉, forgiving float noise just above a whole number.
func ceilUp(x float64) int { return int(math.Ceil(x - 1e-9)) }

// TargetTrackingConfig configures a TargetTracking policy. Zero fields
// take the defaults in brackets.
type TargetTrackingConfig struct {
	// Metric is what to keep at Target [cpu].
	Metric ScalingMetric `json:"metric"`
	// Target is the metric's set point: a utilisation fraction for cpu
	// and offered_utilization [0.5, the AWS console's default CPU target],
	// req/s per instance for requests_per_instance (required).
	Target float64 `json:"target"`
	// ScaleInPeriod is how long every proposal must stay below the current
	// count before a scale-in [15 min, the 15 one-minute datapoints of
	// AWS's low alarm]. The period restarts after each scale-in.
	ScaleInPeriod time.Duration `json:"scale_in_period"`
	// ScaleInStep is the largest share of the current count one scale-in
	// removes, at least one instance [0.10].
	ScaleInStep float64 `json:"scale_in_step"`
	// WarmUp is the time after a launch during which an instance counts
	// as warming up, beside every instance the observation shows starting
	// [300 s, AWS's recommended default instance warm-up]. Scale-in waits
	// until no instance is warming.
	WarmUp time.Duration `json:"warm_up"`
	Min    int           `json:"min"` // fewest instances [1]
	Max    int           `json:"max"` // most instances [100]
}

func (c TargetTrackingConfig) withDefaults() TargetTrackingConfig {
	if c.Metric == "" {
		c.Metric = MetricCPUUtilization
	}
	if c.Target == 0 && c.Metric.isFraction() {
		c.Target = 0.5
	}
	if c.ScaleInPeriod == 0 {
		c.ScaleInPeriod = 15 * time.Minute
	}
	if c.ScaleInStep == 0 {
		c.ScaleInStep = 0.10
	}
	if c.WarmUp == 0 {
		c.WarmUp = awsDefaultWarmUp
	}
	if c.Min == 0 {
		c.Min = awsDefaultMin
	}
	if c.Max == 0 {
		c.Max = awsDefaultMax
	}
	return c
}

// Validate reports the first field out of range, after defaults.
func (c TargetTrackingConfig) Validate() error {
	return c.validate("")
}

func (c TargetTrackingConfig) validate(prefix string) error {
	c = c.withDefaults()
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: %s%s = %v, want %s", ErrInvalidConfig, prefix, field, v, want)
	}
	if err := c.Metric.check(prefix + "Metric"); err != nil {
		return err
	}
	switch {
	case c.Metric.isFraction() && !(c.Target > 0 && c.Target <= 1):
		return bad("Target", c.Target, "a utilisation in (0, 1]")
	case !c.Metric.isFraction() && !(c.Target > 0 && !math.IsInf(c.Target, 0)):
		return bad("Target", c.Target, "a finite rate > 0 req/s per instance (no default for requests_per_instance)")
	case c.ScaleInPeriod < 0:
		return bad("ScaleInPeriod", c.ScaleInPeriod, "≥ 0")
	case !(c.ScaleInStep > 0 && c.ScaleInStep <= 1):
		return bad("ScaleInStep", c.ScaleInStep, "a fraction in (0, 1]")
	case c.WarmUp < 0:
		return bad("WarmUp", c.WarmUp, "≥ 0")
	case c.Min < 1:
		return bad("Min", c.Min, "≥ 1")
	case c.Max < c.Min:
		return bad("Max", c.Max, fmt.Sprintf("≥ Min (%d)", c.Min))
	}
	return nil
}

// TargetTracking is AWS EC2 Auto Scaling's target-tracking policy: it
// keeps a metric m at a target T. With n ready instances (the metric is
// their mean; instances still starting are not in it) and c =
// Observation.Current, its proposal is
//
//	desired = ⌈n × m / T⌉
//
// It scales out proportionally and at once: when desired > c the target
// becomes desired. Instances already starting or warming are part of c,
// so a breach that the scale-out in progress already answers does not
// add more (warm-up instead of cooldown).
//
// It scales in conservatively: only when every proposal has been below c
// for ScaleInPeriod, no instance is warming up, and then to the largest
// proposal of that period but removing at most ⌊ScaleInStep × c⌋
// instances (at least one). The period restarts after each scale-in and
// whenever a proposal reaches c. AWS documents only that scale-in is
// "conservative"; the 15-minute period follows its low alarm and the 10%
// step is this package's choice.
//
// Targets are clamped to [Min, Max]. With no valid observation or no ready
// instance it keeps the current count.
type TargetTracking struct {
	cfg TargetTrackingConfig

	below      bool      // every proposal since belowSince was < current
	belowSince time.Time // start of the scale-in period
	belowPeak  int       // largest proposal since belowSince
	launches   launchLog
}

var (
	_ Policy  = (*TargetTracking)(nil)
	_ Bounded = (*TargetTracking)(nil)
)

// NewTargetTracking returns a TargetTracking policy, or an error wrapping
// ErrInvalidConfig that names the bad field.
func NewTargetTracking(cfg TargetTrackingConfig) (*TargetTracking, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &TargetTracking{cfg: cfg.withDefaults()}, nil
}

// Name returns "target-tracking".
func (p *TargetTracking) Name() string { return "target-tracking" }

// Config returns the configuration in force, with defaults filled in.
func (p *TargetTracking) Config() TargetTrackingConfig { return p.cfg }

// Bounds implements Bounded.
func (p *TargetTracking) Bounds() (min, max int) { return p.cfg.Min, p.cfg.Max }

// Decide implements Policy.
func (p *TargetTracking) Decide(now time.Time, obs Observation) Decision {
	d := p.propose(now, obs)
	p.commit(now, obs.Current, d.Target)
	return d
}

// propose computes the decision and advances the scale-in period, but
// records no action: commit does, with the target finally chosen.
func (p *TargetTracking) propose(now time.Time, obs Observation) Decision {
	cur := obs.Current
	m, ok := p.cfg.Metric.value(obs)
	if !ok {
		return Decision{Target: p.clamp(cur), Reason: "no metrics"}
	}
	desired := p.clamp(ceilUp(float64(obs.Ready) * m / p.cfg.Target))
	switch {
	case desired > cur:
		p.below = false
		return Decision{Target: desired, Reason: "metric above target"}
	case desired == cur || cur <= p.cfg.Min:
		p.below = false
		return Decision{Target: p.clamp(cur), Reason: "metric at target"}
	}
	if !p.below {
		p.below, p.belowSince, p.belowPeak = true, now, desired
	} else {
		p.belowPeak = max(p.belowPeak, desired)
	}
	switch {
	case p.launches.warming(now, p.cfg.WarmUp, obs.Starting, cur) > 0:
		return Decision{Target: p.clamp(cur), Reason: "scale-in waits for warm-up"}
	case now.Sub(p.belowSince) < p.cfg.ScaleInPeriod:
		return Decision{Target: p.clamp(cur), Reason: "metric below target, waiting for the scale-in period"}
	}
	step := max(1, int(p.cfg.ScaleInStep*float64(cur)))
	return Decision{Target: p.clamp(max(p.belowPeak, cur-step)), Reason: "metric below target for the scale-in period"}
}

// commit records that the target went from cur to target at now.
func (p *TargetTracking) commit(now time.Time, cur, target int) {
	switch {
	case target > cur:
		p.launches.add(now, target-cur)
		p.below = false
	case target < cur:
		p.below = false
	}
}

func (p *TargetTracking) clamp(n int) int {
	return min(max(n, p.cfg.Min), p.cfg.Max)
}
