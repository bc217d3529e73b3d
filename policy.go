package omnixan

import (
	"fmt"
	"math"
	"time"

	"github.com/omnixan/omnixan/cost"
	"github.com/omnixan/omnixan/policy"
)

// ScalingType says what a Policy changes.
type ScalingType string

// Scaling types, as the original module named them.
const (
	// Horizontal changes the instance count (policy.Threshold, or
	// policy.Predictive when Policy.Predictive is set).
	Horizontal ScalingType = "horizontal"
	// Vertical changes the instance size and keeps the count
	// (policy.Vertical, the Kubernetes VPA). It needs an orchestrator that
	// implements autoscaler.Resizer.
	Vertical ScalingType = "vertical"
	// Hybrid changes both: the cheapest size × count covering the forecast
	// demand (policy.Hybrid). Without a Resizer it scales the count only.
	Hybrid ScalingType = "hybrid"
)

// Policy is the original module's ScalingPolicy. Zero fields take the
// defaults in brackets, which are the original module's, so the zero
// Policy is its default policy.
//
// A Policy is a plain value; ConfigureScaling copies it.
type Policy struct {
	// Name labels the policy in Status and logs ["default"].
	Name string
	// ScalingType is Horizontal, Vertical or Hybrid [Horizontal].
	ScalingType ScalingType
	// MinInstances and MaxInstances bound the instance count [2, 20].
	// check_and_scale clamps to them; ScaleUp past MaxInstances fails with
	// a ResourceExhaustedError, ScaleDown below MinInstances stops at it.
	MinInstances int
	MaxInstances int
	// TargetUtilization is the CPU utilisation, a fraction, that a scale
	// action aims for [0.75].
	TargetUtilization float64
	// ScaleUpThreshold and ScaleDownThreshold are the CPU utilisations,
	// fractions, above and below which check_and_scale acts [0.85, 0.40].
	// They must satisfy ScaleDown < Target < ScaleUp ≤ 1. They drive the
	// horizontal, non-predictive policy (policy.Threshold); predictive,
	// hybrid and vertical policies decide by their own rules.
	ScaleUpThreshold   float64
	ScaleDownThreshold float64
	// Cooldown is the least time between two scale actions of the policy
	// [300 s]. Manual ScaleUp and ScaleDown ignore it. For a predictive or
	// hybrid policy it is the reactive part's scale-in period only: their
	// scale-outs have no cooldown.
	Cooldown time.Duration
	// Predictive scales ahead of a demand forecast (policy.Predictive,
	// forecast.Auto on 5-minute buckets after 24 h of history, reactive
	// target tracking at TargetUtilization until then). Horizontal only;
	// Hybrid always forecasts.
	Predictive bool
	// CostOptimization lets the optimize_costs action apply its
	// recommendation (a scale-in to the least count that runs the current
	// load at TargetUtilization); without it optimize_costs only reports.
	CostOptimization bool
}

// WithDefaults returns p with every zero field set to its default.
func (p Policy) WithDefaults() Policy {
	if p.Name == "" {
		p.Name = "default"
	}
	if p.ScalingType == "" {
		p.ScalingType = Horizontal
	}
	if p.MinInstances == 0 {
		p.MinInstances = 2
	}
	if p.MaxInstances == 0 {
		p.MaxInstances = 20
	}
	if p.TargetUtilization == 0 {
		p.TargetUtilization = 0.75
	}
	if p.ScaleUpThreshold == 0 {
		p.ScaleUpThreshold = 0.85
	}
	if p.ScaleDownThreshold == 0 {
		p.ScaleDownThreshold = 0.40
	}
	if p.Cooldown == 0 {
		p.Cooldown = 300 * time.Second
	}
	return p
}

// Validate reports the first bad field, after defaults, as a
// *ConfigurationError whose Field is the field's name ("MaxInstances").
func (p Policy) Validate() error {
	p = p.WithDefaults()
	switch p.ScalingType {
	case Horizontal, Vertical, Hybrid:
	default:
		return configError("ScalingType", fmt.Sprintf("= %q, want horizontal, vertical or hybrid", p.ScalingType), nil)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"TargetUtilization", p.TargetUtilization},
		{"ScaleUpThreshold", p.ScaleUpThreshold},
		{"ScaleDownThreshold", p.ScaleDownThreshold},
	} {
		if math.IsNaN(f.v) || f.v <= 0 || f.v > 1 {
			return configError(f.name, fmt.Sprintf("= %v, want a utilisation in (0, 1]", f.v), nil)
		}
	}
	switch {
	case p.MinInstances < 1:
		return configError("MinInstances", fmt.Sprintf("= %d, want ≥ 1", p.MinInstances), nil)
	case p.MaxInstances < p.MinInstances:
		return configError("MaxInstances", fmt.Sprintf("= %d, want ≥ MinInstances (%d)", p.MaxInstances, p.MinInstances), nil)
	case p.ScaleDownThreshold >= p.ScaleUpThreshold:
		return configError("ScaleDownThreshold", fmt.Sprintf("= %v, want < ScaleUpThreshold (%v)", p.ScaleDownThreshold, p.ScaleUpThreshold), nil)
	case p.TargetUtilization <= p.ScaleDownThreshold || p.TargetUtilization >= p.ScaleUpThreshold:
		return configError("TargetUtilization", fmt.Sprintf("= %v, want between ScaleDownThreshold (%v) and ScaleUpThreshold (%v)", p.TargetUtilization, p.ScaleDownThreshold, p.ScaleUpThreshold), nil)
	case p.Cooldown < 0:
		return configError("Cooldown", fmt.Sprintf("= %v, want ≥ 0", p.Cooldown), nil)
	case p.Predictive && p.ScalingType == Vertical:
		return configError("Predictive", "is set with ScalingType vertical, which does not forecast", nil)
	}
	return nil
}

// Thresholds are extra scale-up triggers beside the policy's CPU
// thresholds, the original module's per-metric thresholds. When a metric
// is above its threshold and the policy would not add an instance,
// check_and_scale adds one, at most once per Policy.Cooldown. Zero fields
// are off; the zero Thresholds adds nothing.
type Thresholds struct {
	// MemoryUtilization is a fraction of the instances' memory (0.9 =
	// 90%), compared with the observation's MemoryUtilization.
	MemoryUtilization float64
	// Backlog is a count of queued requests, compared with the
	// observation's Backlog.
	Backlog float64
}

// Validate reports the first bad field as a *ConfigurationError.
func (t Thresholds) Validate() error {
	switch {
	case math.IsNaN(t.MemoryUtilization) || t.MemoryUtilization < 0 || t.MemoryUtilization > 1:
		return configError("Thresholds.MemoryUtilization", fmt.Sprintf("= %v, want a fraction in (0, 1], or 0 for off", t.MemoryUtilization), nil)
	case math.IsNaN(t.Backlog) || math.IsInf(t.Backlog, 0) || t.Backlog < 0:
		return configError("Thresholds.Backlog", fmt.Sprintf("= %v, want a finite count ≥ 0", t.Backlog), nil)
	}
	return nil
}

// engine builds the engine's policy for p (defaults applied, validated),
// wrapped with the thresholds. cpuPrice is USD per vCPU-hour, for the
// hybrid policy's catalogue.
func (p Policy) engine(t Thresholds, cpuPrice float64) (policy.Policy, error) {
	var (
		inner policy.Policy
		err   error
	)
	predictive := policy.PredictiveConfig{
		Min:               p.MinInstances,
		Max:               p.MaxInstances,
		TargetUtilization: p.TargetUtilization,
		Reactive: policy.TargetTrackingConfig{
			Metric:        policy.MetricOfferedUtilization,
			Target:        p.TargetUtilization,
			ScaleInPeriod: p.Cooldown,
		},
	}
	switch {
	case p.ScalingType == Vertical:
		inner, err = policy.NewVertical(policy.VerticalConfig{Cooldown: p.Cooldown})
	case p.ScalingType == Hybrid:
		cat := cost.DefaultCatalogue()
		for i := range cat {
			cat[i].USDPerHour = cat[i].CPU * cpuPrice
		}
		inner, err = policy.NewHybrid(policy.HybridConfig{Predictive: predictive, Catalogue: cat, Min: p.MinInstances, Max: p.MaxInstances})
	case p.Predictive:
		inner, err = policy.NewPredictive(predictive)
	default:
		inner, err = policy.NewThreshold(policy.ThresholdConfig{
			ScaleUp: p.ScaleUpThreshold, ScaleDown: p.ScaleDownThreshold, Target: p.TargetUtilization,
			Cooldown: p.Cooldown, Min: p.MinInstances, Max: p.MaxInstances,
		})
	}
	if err != nil {
		return nil, configError("Policy", "", err)
	}
	if t == (Thresholds{}) {
		return inner, nil
	}
	return &withThresholds{Policy: inner, th: t, cooldown: p.Cooldown, max: p.MaxInstances}, nil
}

// withThresholds adds Thresholds' triggers to a policy.
type withThresholds struct {
	policy.Policy
	th       Thresholds
	cooldown time.Duration
	max      int
	last     time.Time
	acted    bool
}

func (w *withThresholds) Decide(now time.Time, obs policy.Observation) policy.Decision {
	d := w.Policy.Decide(now, obs)
	if !obs.Valid || d.Target > obs.Current || obs.Current >= w.max {
		return d
	}
	if w.acted && now.Sub(w.last) < w.cooldown {
		return d
	}
	var why string
	switch {
	case w.th.MemoryUtilization > 0 && obs.MemoryUtilization > w.th.MemoryUtilization:
		why = "memory utilization above threshold"
	case w.th.Backlog > 0 && obs.Backlog > w.th.Backlog:
		why = "backlog above threshold"
	default:
		return d
	}
	w.last, w.acted = now, true
	return policy.Decision{Target: obs.Current + 1, Reason: why, Size: d.Size}
}
