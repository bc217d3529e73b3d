package policy

import (
	"fmt"
	"math"
	"time"
)

// AdjustmentType says how a step adjustment changes the capacity, as in
// AWS EC2 Auto Scaling.
type AdjustmentType string

// Adjustment types.
const (
	// ChangeInCapacity adds Adjustment instances (negative: removes).
	ChangeInCapacity AdjustmentType = "ChangeInCapacity"
	// ExactCapacity sets the capacity to Adjustment instances.
	ExactCapacity AdjustmentType = "ExactCapacity"
	// PercentChangeInCapacity changes the capacity by Adjustment percent,
	// rounded as AWS does: a change in (0, 1) becomes 1, one above 1 is
	// rounded down, one in (−1, 0) becomes −1, one below −1 is rounded
	// toward zero; then a change smaller in magnitude than the alarm's
	// MinAdjustmentMagnitude becomes ±MinAdjustmentMagnitude.
	PercentChangeInCapacity AdjustmentType = "PercentChangeInCapacity"
)

// StepAdjustment is one step of a step-scaling alarm. Its bounds are
// relative to the alarm's threshold, in the metric's unit (a utilisation
// fraction, or req/s per instance): the step applies when
// LowerBound ≤ metric − threshold < UpperBound for a scale-out alarm, and
// LowerBound < metric − threshold ≤ UpperBound for a scale-in alarm, as
// in AWS. A nil bound is unbounded.
type StepAdjustment struct {
	LowerBound *float64 `json:"lower_bound,omitempty"`
	UpperBound *float64 `json:"upper_bound,omitempty"`
	// Type is the adjustment type of this step [ChangeInCapacity]. (AWS
	// has one type per policy; a type per step lets one alarm add whole
	// instances at small breaches and a percentage at large ones.)
	Type AdjustmentType `json:"type,omitempty"`
	// Adjustment is instances (ChangeInCapacity, negative to remove),
	// the capacity (ExactCapacity) or percent (PercentChangeInCapacity).
	Adjustment int `json:"adjustment"`
}

// StepAlarm is one of a step-scaling policy's two alarms and its steps.
type StepAlarm struct {
	// Threshold is the metric value the alarm compares with: scale-out
	// fires at metric ≥ Threshold, scale-in at metric ≤ Threshold
	// [scale-out 0.70, scale-in 0.30 for utilisation metrics; required for
	// requests_per_instance].
	Threshold float64 `json:"threshold"`
	// EvaluationPeriods is the number of consecutive observations that
	// must breach before the alarm fires [scale-out 1, scale-in 3].
	EvaluationPeriods int `json:"evaluation_periods"`
	// Steps are the step adjustments; they must not overlap [scale-out:
	// +1 for a breach in [0, 0.1), +2 in [0.1, 0.2), +30% from 0.2 up;
	// scale-in: −1 for any breach; required for requests_per_instance].
	Steps []StepAdjustment `json:"steps"`
	// MinAdjustmentMagnitude is the least change a PercentChangeInCapacity
	// step makes [0, none; 3 with the default scale-out steps, so that
	// their top step never adds fewer than the one below it].
	MinAdjustmentMagnitude int `json:"min_adjustment_magnitude"`
}

// StepScalingConfig configures a StepScaling policy. Zero fields take the
// defaults in brackets.
type StepScalingConfig struct {
	Metric   ScalingMetric `json:"metric"` // what the alarms watch [cpu]
	ScaleOut StepAlarm     `json:"scale_out"`
	ScaleIn  StepAlarm     `json:"scale_in"`
	// WarmUp is the time after a launch during which an instance counts
	// as warming up, beside every instance the observation shows starting
	// [300 s, AWS's recommended default]. Warming instances are not part
	// of the capacity a scale-out step adjusts, and scale-in waits for
	// them.
	WarmUp time.Duration `json:"warm_up"`
	// ScaleInCooldown is the least time from any scaling action to a
	// scale-in [300 s, AWS's default cooldown].
	ScaleInCooldown time.Duration `json:"scale_in_cooldown"`
	Min             int           `json:"min"` // fewest instances [1]
	Max             int           `json:"max"` // most instances [100]
}

func f64(v float64) *float64 { return &v }

func (c StepScalingConfig) withDefaults() StepScalingConfig {
	if c.Metric == "" {
		c.Metric = MetricCPUUtilization
	}
	frac := c.Metric.isFraction()
	if c.ScaleOut.Threshold == 0 && frac {
		c.ScaleOut.Threshold = 0.70
	}
	if c.ScaleIn.Threshold == 0 && frac {
		c.ScaleIn.Threshold = 0.30
	}
	if c.ScaleOut.EvaluationPeriods == 0 {
		c.ScaleOut.EvaluationPeriods = 1
	}
	if c.ScaleIn.EvaluationPeriods == 0 {
		c.ScaleIn.EvaluationPeriods = 3
	}
	if c.ScaleOut.Steps == nil && frac {
		c.ScaleOut.Steps = []StepAdjustment{
			{LowerBound: f64(0), UpperBound: f64(0.1), Adjustment: 1},
			{LowerBound: f64(0.1), UpperBound: f64(0.2), Adjustment: 2},
			{LowerBound: f64(0.2), Type: PercentChangeInCapacity, Adjustment: 30},
		}
		if c.ScaleOut.MinAdjustmentMagnitude == 0 {
			c.ScaleOut.MinAdjustmentMagnitude = 3
		}
	}
	if c.ScaleIn.Steps == nil && frac {
		c.ScaleIn.Steps = []StepAdjustment{{UpperBound: f64(0), Adjustment: -1}}
	}
	if c.WarmUp == 0 {
		c.WarmUp = awsDefaultWarmUp
	}
	if c.ScaleInCooldown == 0 {
		c.ScaleInCooldown = 300 * time.Second
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
func (c StepScalingConfig) Validate() error {
	c = c.withDefaults()
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: %s = %v, want %s", ErrInvalidConfig, field, v, want)
	}
	if err := c.Metric.check("Metric"); err != nil {
		return err
	}
	for _, a := range []struct {
		name  string
		alarm StepAlarm
		out   bool
	}{{"ScaleOut", c.ScaleOut, true}, {"ScaleIn", c.ScaleIn, false}} {
		al := a.alarm
		switch {
		case math.IsNaN(al.Threshold) || math.IsInf(al.Threshold, 0) || al.Threshold <= 0:
			return bad(a.name+".Threshold", al.Threshold, "a finite value > 0 (no default for requests_per_instance)")
		case c.Metric.isFraction() && al.Threshold > 1:
			return bad(a.name+".Threshold", al.Threshold, "a utilisation in (0, 1]")
		case al.EvaluationPeriods < 1:
			return bad(a.name+".EvaluationPeriods", al.EvaluationPeriods, "≥ 1")
		case len(al.Steps) == 0:
			return bad(a.name+".Steps", "[]", "at least one step (no default for requests_per_instance)")
		case al.MinAdjustmentMagnitude < 0:
			return bad(a.name+".MinAdjustmentMagnitude", al.MinAdjustmentMagnitude, "≥ 0")
		}
		for i, s := range al.Steps {
			f := fmt.Sprintf("%s.Steps[%d]", a.name, i)
			lo, hi := stepBounds(s)
			switch {
			case math.IsNaN(lo) || math.IsNaN(hi) || lo >= hi:
				return bad(f+".LowerBound", lo, fmt.Sprintf("< UpperBound (%v)", hi))
			case a.out && lo < 0:
				return bad(f+".LowerBound", lo, "≥ 0 on the scale-out alarm")
			case !a.out && hi > 0:
				return bad(f+".UpperBound", hi, "≤ 0 on the scale-in alarm")
			}
			switch s.Type {
			case "", ChangeInCapacity, PercentChangeInCapacity:
				if a.out && s.Adjustment <= 0 || !a.out && s.Adjustment >= 0 {
					return bad(f+".Adjustment", s.Adjustment, map[bool]string{true: "> 0 on the scale-out alarm", false: "< 0 on the scale-in alarm"}[a.out])
				}
			case ExactCapacity:
				if s.Adjustment < 0 {
					return bad(f+".Adjustment", s.Adjustment, "≥ 0 for ExactCapacity")
				}
			default:
				return bad(f+".Type", s.Type, "ChangeInCapacity, ExactCapacity or PercentChangeInCapacity")
			}
			for j, o := range al.Steps[:i] {
				olo, ohi := stepBounds(o)
				if lo < ohi && olo < hi {
					return bad(f, fmt.Sprintf("[%v, %v)", lo, hi), fmt.Sprintf("no overlap with %s.Steps[%d]", a.name, j))
				}
			}
		}
	}
	switch {
	case c.ScaleIn.Threshold >= c.ScaleOut.Threshold:
		return bad("ScaleIn.Threshold", c.ScaleIn.Threshold, fmt.Sprintf("< ScaleOut.Threshold (%v)", c.ScaleOut.Threshold))
	case c.WarmUp < 0:
		return bad("WarmUp", c.WarmUp, "≥ 0")
	case c.ScaleInCooldown < 0:
		return bad("ScaleInCooldown", c.ScaleInCooldown, "≥ 0")
	case c.Min < 1:
		return bad("Min", c.Min, "≥ 1")
	case c.Max < c.Min:
		return bad("Max", c.Max, fmt.Sprintf("≥ Min (%d)", c.Min))
	}
	return nil
}

func stepBounds(s StepAdjustment) (lo, hi float64) {
	lo, hi = math.Inf(-1), math.Inf(1)
	if s.LowerBound != nil {
		lo = *s.LowerBound
	}
	if s.UpperBound != nil {
		hi = *s.UpperBound
	}
	return lo, hi
}

// StepScaling is AWS EC2 Auto Scaling's step-scaling policy, with its two
// alarms. Each new observation (a later Observation.Time) updates both
// alarms; an alarm fires while its metric has breached for
// EvaluationPeriods consecutive observations, and keeps firing at every
// decision until the metric recovers. With c = Observation.Current and w
// the warming instances (the larger of Observation.Starting and the
// instances this policy launched less than WarmUp ago):
//
//   - scale-out: the step whose interval holds metric − threshold applies
//     to the capacity without the warming instances, c − w, and the target
//     becomes max(c, adjusted). A breach that stays in the step of the
//     scale-out in progress therefore adds nothing, and one that moves to
//     a larger step adds only the difference (AWS: "instances that are
//     warming up are not counted as part of the current capacity").
//   - scale-in: once no instance is warming and ScaleInCooldown has passed
//     since the last action, the step applies to c and the target becomes
//     min(c, adjusted).
//
// A breach in no step's interval does nothing. Targets are clamped to
// [Min, Max]; with no valid observation the policy keeps the current
// count.
type StepScaling struct {
	cfg StepScalingConfig

	lastObs    time.Time // time of the newest observation seen
	seen       bool
	outN, inN  int // consecutive breaching observations
	lastAction time.Time
	acted      bool
	launches   launchLog
}

var (
	_ Policy  = (*StepScaling)(nil)
	_ Bounded = (*StepScaling)(nil)
)

// NewStepScaling returns a StepScaling policy, or an error wrapping
// ErrInvalidConfig that names the bad field.
func NewStepScaling(cfg StepScalingConfig) (*StepScaling, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &StepScaling{cfg: cfg.withDefaults()}, nil
}

// Name returns "step".
func (p *StepScaling) Name() string { return "step" }

// Config returns the configuration in force, with defaults filled in.
func (p *StepScaling) Config() StepScalingConfig { return p.cfg }

// Bounds implements Bounded.
func (p *StepScaling) Bounds() (min, max int) { return p.cfg.Min, p.cfg.Max }

// Decide implements Policy.
func (p *StepScaling) Decide(now time.Time, obs Observation) Decision {
	cur := obs.Current
	m, ok := p.cfg.Metric.value(obs)
	if !ok {
		return Decision{Target: p.clamp(cur), Reason: "no metrics"}
	}
	if !p.seen || obs.Time.After(p.lastObs) {
		p.lastObs, p.seen = obs.Time, true
		p.outN, p.inN = p.outN+1, p.inN+1
		if m < p.cfg.ScaleOut.Threshold {
			p.outN = 0
		}
		if m > p.cfg.ScaleIn.Threshold {
			p.inN = 0
		}
	}
	warming := p.launches.warming(now, p.cfg.WarmUp, obs.Starting, cur)
	switch {
	case p.outN >= p.cfg.ScaleOut.EvaluationPeriods:
		s, ok := findStep(p.cfg.ScaleOut.Steps, m-p.cfg.ScaleOut.Threshold, true)
		if !ok {
			return Decision{Target: p.clamp(cur), Reason: "scale-out alarm: no step matches"}
		}
		want := p.clamp(max(cur, adjust(s, cur-warming, p.cfg.ScaleOut.MinAdjustmentMagnitude)))
		if want > cur {
			p.launches.add(now, want-cur)
			p.lastAction, p.acted = now, true
			return Decision{Target: want, Reason: "scale-out alarm"}
		}
		return Decision{Target: want, Reason: "scale-out alarm: step in progress"}
	case p.inN >= p.cfg.ScaleIn.EvaluationPeriods:
		if warming > 0 {
			return Decision{Target: p.clamp(cur), Reason: "scale-in alarm: waiting for warm-up"}
		}
		if p.acted && now.Sub(p.lastAction) < p.cfg.ScaleInCooldown {
			return Decision{Target: p.clamp(cur), Reason: "scale-in alarm: cooldown"}
		}
		s, ok := findStep(p.cfg.ScaleIn.Steps, m-p.cfg.ScaleIn.Threshold, false)
		if !ok {
			return Decision{Target: p.clamp(cur), Reason: "scale-in alarm: no step matches"}
		}
		want := p.clamp(min(cur, adjust(s, cur, p.cfg.ScaleIn.MinAdjustmentMagnitude)))
		if want < cur {
			p.lastAction, p.acted = now, true
		}
		return Decision{Target: want, Reason: "scale-in alarm"}
	}
	return Decision{Target: p.clamp(cur), Reason: "no alarm"}
}

// findStep returns the step whose interval holds d, the metric's distance
// from the threshold.
func findStep(steps []StepAdjustment, d float64, out bool) (StepAdjustment, bool) {
	for _, s := range steps {
		lo, hi := stepBounds(s)
		if out && lo <= d && d < hi || !out && lo < d && d <= hi {
			return s, true
		}
	}
	return StepAdjustment{}, false
}

// adjust applies step s to capacity n.
func adjust(s StepAdjustment, n, minMagnitude int) int {
	switch s.Type {
	case ExactCapacity:
		return s.Adjustment
	case PercentChangeInCapacity:
		x := float64(n) * float64(s.Adjustment) / 100
		var ch int
		switch {
		case x > 0 && x < 1:
			ch = 1
		case x > -1 && x < 0:
			ch = -1
		default:
			ch = int(x) // rounds toward zero: down above 1, up below −1
		}
		if ch > 0 && ch < minMagnitude {
			ch = minMagnitude
		} else if ch < 0 && -ch < minMagnitude {
			ch = -minMagnitude
		}
		return n + ch
	}
	return n + s.Adjustment
}

func (p *StepScaling) clamp(n int) int {
	return min(max(n, p.cfg.Min), p.cfg.Max)
}
