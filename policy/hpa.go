package policy

import (
	"fmt"
	"math"
	"time"
)

// HPAMetricType is the source of an HPA metric, as in autoscaling/v2.
type HPAMetricType string

// The metric sources the simulator can feed.
const (
	// HPAResource is a per-pod resource metric; only "cpu" with an
	// AverageUtilization target is modelled.
	HPAResource HPAMetricType = "Resource"
	// HPAPods is a per-pod custom metric with an AverageValue target.
	HPAPods HPAMetricType = "Pods"
	// HPAObject is one value describing another object (an Ingress), with
	// a Value or AverageValue target.
	HPAObject HPAMetricType = "Object"
	// HPAExternal is one value from outside the cluster, with a Value or
	// AverageValue target.
	HPAExternal HPAMetricType = "External"
)

// Metric names the HPA policy understands.
const (
	// HPAMetricCPU is the Resource metric: Observation.Utilization, the
	// instance capacity playing the part of the pod's CPU request.
	HPAMetricCPU = "cpu"
	// HPAMetricRequestsPerSecond is the trace's request-rate column. As a
	// Pods metric each ready pod reports RequestRate ÷ Ready; as an Object
	// or External metric the value is the total RequestRate.
	HPAMetricRequestsPerSecond = "requests_per_second"
)

// HPAMetric is one entry of an HPA's metrics list: a source, a metric and
// a target. Exactly one target field is set.
type HPAMetric struct {
	Type HPAMetricType `json:"type"`
	// Name is HPAMetricCPU for a Resource metric and
	// HPAMetricRequestsPerSecond otherwise.
	Name string `json:"name"`
	// AverageUtilization is the Resource target: mean utilisation of the
	// ready pods, in percent of their request (capacity).
	AverageUtilization int `json:"average_utilization,omitempty"`
	// AverageValue is the target per pod, in the metric's unit (req/s):
	// for Pods, the mean over ready pods; for Object and External, the
	// value divided by the pod count.
	AverageValue float64 `json:"average_value,omitempty"`
	// Value is the Object or External target for the value itself (req/s).
	Value float64 `json:"value,omitempty"`
}

// HPASelectPolicy picks among several scaling policies of one direction.
type HPASelectPolicy string

// Policy selections, as in autoscaling/v2.
const (
	HPASelectMax      HPASelectPolicy = "Max"      // the policy allowing the largest change (default)
	HPASelectMin      HPASelectPolicy = "Min"      // the policy allowing the smallest change
	HPASelectDisabled HPASelectPolicy = "Disabled" // no scaling in this direction
)

// HPAPolicyType is the unit of a scaling policy.
type HPAPolicyType string

// Scaling policy types, as in autoscaling/v2.
const (
	HPAPolicyPods    HPAPolicyType = "Pods"    // Value pods per Period
	HPAPolicyPercent HPAPolicyType = "Percent" // Value percent of the count at the start of Period
)

// HPAScalingPolicy limits the change in one direction over a sliding
// period.
type HPAScalingPolicy struct {
	Type   HPAPolicyType `json:"type"`
	Value  int           `json:"value"`  // > 0
	Period time.Duration `json:"period"` // (0, 30 min]
}

// HPAScalingRules configures one direction of HPA behaviour. Nil or zero
// fields take the upstream defaults.
type HPAScalingRules struct {
	// StabilizationWindow is how far back recommendations are considered,
	// 0–1 h [up: 0; down: HPAConfig.DownscaleStabilization].
	StabilizationWindow *time.Duration `json:"stabilization_window,omitempty"`
	// SelectPolicy chooses among Policies [Max].
	SelectPolicy HPASelectPolicy `json:"select_policy,omitempty"`
	// Policies are the rate limits [up: 4 pods and 100% per 15 s;
	// down: 100% per 15 s]. An empty, non-nil list is an error.
	Policies []HPAScalingPolicy `json:"policies,omitempty"`
	// Tolerance overrides HPAConfig.Tolerance for this direction (the
	// HPAConfigurableTolerance feature of Kubernetes 1.33+).
	Tolerance *float64 `json:"tolerance,omitempty"`
}

// HPABehavior is an HPA's configurable scaling behaviour. A nil
// *HPABehavior in HPAConfig selects the controller's legacy path.
type HPABehavior struct {
	ScaleUp   *HPAScalingRules `json:"scale_up,omitempty"`
	ScaleDown *HPAScalingRules `json:"scale_down,omitempty"`
}

// HPATargetRef records the workload an HPA manifest scales. The policy
// does not use it; live mode may.
type HPATargetRef struct {
	APIVersion string `json:"api_version,omitempty"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
}

// HPAConfig configures an HPA policy: an autoscaling/v2
// HorizontalPodAutoscaler spec plus the two controller flags that shape
// it. Nil and zero fields take the defaults shown in brackets.
type HPAConfig struct {
	// Name labels the policy in reports (HPA.Label) ["hpa"].
	Name string `json:"name,omitempty"`
	// ScaleTarget is recorded from a manifest and otherwise unused.
	ScaleTarget *HPATargetRef `json:"scale_target,omitempty"`
	// MinReplicas is the lower bound [1]. 0 (scale to zero, alpha in
	// Kubernetes) needs an Object or External metric.
	MinReplicas *int `json:"min_replicas,omitempty"`
	// MaxReplicas is the upper bound; required.
	MaxReplicas int `json:"max_replicas"`
	// Metrics are the targets [CPU at 80% utilisation]; the largest
	// proposal wins.
	Metrics []HPAMetric `json:"metrics,omitempty"`
	// Behavior, when not nil, selects the behaviour path with its rate
	// limits and per-direction stabilisation; nil selects the legacy path.
	Behavior *HPABehavior `json:"behavior,omitempty"`
	// Tolerance is the controller's --horizontal-pod-autoscaler-tolerance:
	// no scaling while |1 − usage ratio| ≤ Tolerance [0.1].
	Tolerance *float64 `json:"tolerance,omitempty"`
	// DownscaleStabilization is the controller's
	// --horizontal-pod-autoscaler-downscale-stabilization [5 min].
	DownscaleStabilization *time.Duration `json:"downscale_stabilization,omitempty"`
}

// Upstream defaults: pkg/apis/autoscaling/v2/defaults.go and
// pkg/controller/podautoscaler/config/v1alpha1/defaults.go.
const (
	hpaDefaultCPUUtilization = 80
	hpaDefaultTolerance      = 0.1
	hpaDefaultDownscaleWin   = 5 * time.Minute
	hpaMaxWindow             = time.Hour
	hpaMaxPeriod             = 30 * time.Minute
	hpaScaleUpLimitFactor    = 2.0 // legacy path: max(2 × current, 4)
	hpaScaleUpLimitMinimum   = 4.0
)

func ptr[T any](v T) *T { return &v }

func defaultHPAScaleUp() HPAScalingRules {
	return HPAScalingRules{
		StabilizationWindow: ptr(time.Duration(0)),
		SelectPolicy:        HPASelectMax,
		Policies: []HPAScalingPolicy{
			{Type: HPAPolicyPods, Value: 4, Period: 15 * time.Second},
			{Type: HPAPolicyPercent, Value: 100, Period: 15 * time.Second},
		},
	}
}

func defaultHPAScaleDown(window time.Duration) HPAScalingRules {
	return HPAScalingRules{
		StabilizationWindow: ptr(window),
		SelectPolicy:        HPASelectMax,
		Policies:            []HPAScalingPolicy{{Type: HPAPolicyPercent, Value: 100, Period: 15 * time.Second}},
	}
}

// mergeRules fills the unset fields of r from def, copying slices and
// pointers so that the result shares nothing with the caller's value.
func mergeRules(r *HPAScalingRules, def HPAScalingRules) *HPAScalingRules {
	out := def
	if r != nil {
		if r.StabilizationWindow != nil {
			out.StabilizationWindow = ptr(*r.StabilizationWindow)
		}
		if r.SelectPolicy != "" {
			out.SelectPolicy = r.SelectPolicy
		}
		if r.Policies != nil {
			out.Policies = append([]HPAScalingPolicy(nil), r.Policies...)
		}
		if r.Tolerance != nil {
			out.Tolerance = ptr(*r.Tolerance)
		}
	}
	return &out
}

func (c HPAConfig) withDefaults() HPAConfig {
	if c.Name == "" {
		c.Name = "hpa"
	}
	if c.ScaleTarget != nil {
		c.ScaleTarget = ptr(*c.ScaleTarget)
	}
	if c.MinReplicas == nil {
		c.MinReplicas = ptr(1)
	} else {
		c.MinReplicas = ptr(*c.MinReplicas)
	}
	if len(c.Metrics) == 0 {
		c.Metrics = []HPAMetric{{Type: HPAResource, Name: HPAMetricCPU, AverageUtilization: hpaDefaultCPUUtilization}}
	} else {
		c.Metrics = append([]HPAMetric(nil), c.Metrics...)
	}
	if c.Tolerance == nil {
		c.Tolerance = ptr(hpaDefaultTolerance)
	} else {
		c.Tolerance = ptr(*c.Tolerance)
	}
	if c.DownscaleStabilization == nil {
		c.DownscaleStabilization = ptr(hpaDefaultDownscaleWin)
	} else {
		c.DownscaleStabilization = ptr(*c.DownscaleStabilization)
	}
	if c.Behavior != nil {
		c.Behavior = &HPABehavior{
			ScaleUp:   mergeRules(c.Behavior.ScaleUp, defaultHPAScaleUp()),
			ScaleDown: mergeRules(c.Behavior.ScaleDown, defaultHPAScaleDown(*c.DownscaleStabilization)),
		}
	}
	return c
}

// Validate reports the first field out of range, after defaults, as an
// error wrapping ErrInvalidConfig.
func (c HPAConfig) Validate() error {
	c = c.withDefaults()
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: %s = %v, want %s", ErrInvalidConfig, field, v, want)
	}
	minR := *c.MinReplicas
	switch {
	case c.MaxReplicas < 1:
		return bad("MaxReplicas", c.MaxReplicas, "≥ 1")
	case minR < 0:
		return bad("MinReplicas", minR, "≥ 0")
	case minR > c.MaxReplicas:
		return bad("MinReplicas", minR, fmt.Sprintf("≤ MaxReplicas (%d)", c.MaxReplicas))
	}
	if err := checkTolerance(*c.Tolerance); err != nil {
		return bad("Tolerance", *c.Tolerance, err.Error())
	}
	if d := *c.DownscaleStabilization; d < 0 {
		return bad("DownscaleStabilization", d, "≥ 0")
	}
	objectOrExternal := false
	for i, m := range c.Metrics {
		if err := checkHPAMetric(m); err != nil {
			return fmt.Errorf("%w: Metrics[%d]: %v", ErrInvalidConfig, i, err)
		}
		objectOrExternal = objectOrExternal || m.Type == HPAObject || m.Type == HPAExternal
	}
	if minR == 0 && !objectOrExternal {
		return bad("MinReplicas", 0, "≥ 1 unless a metric is of type Object or External")
	}
	if c.Behavior != nil {
		for _, d := range []struct {
			name string
			r    *HPAScalingRules
		}{{"Behavior.ScaleUp", c.Behavior.ScaleUp}, {"Behavior.ScaleDown", c.Behavior.ScaleDown}} {
			if err := checkRules(d.r); err != nil {
				return fmt.Errorf("%w: %s.%v", ErrInvalidConfig, d.name, err)
			}
		}
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func checkTolerance(t float64) error {
	if !finite(t) || t < 0 {
		return fmt.Errorf("a finite value ≥ 0")
	}
	return nil
}

// checkHPAMetric checks one metric; its error names the bad field.
func checkHPAMetric(m HPAMetric) error {
	positive := func(field string, v float64) error {
		if !finite(v) || v <= 0 {
			return fmt.Errorf("%s = %v, want a finite value > 0", field, v)
		}
		return nil
	}
	switch m.Type {
	case HPAResource:
		if m.Name != HPAMetricCPU {
			return fmt.Errorf("Name = %q, want %q for a Resource metric", m.Name, HPAMetricCPU)
		}
		if m.AverageValue != 0 || m.Value != 0 {
			return fmt.Errorf("a Resource metric takes only AverageUtilization")
		}
		if m.AverageUtilization <= 0 {
			return fmt.Errorf("AverageUtilization = %d, want > 0", m.AverageUtilization)
		}
		return nil
	case HPAPods:
		if m.AverageUtilization != 0 || m.Value != 0 {
			return fmt.Errorf("a Pods metric takes only AverageValue")
		}
		if err := positive("AverageValue", m.AverageValue); err != nil {
			return err
		}
	case HPAObject, HPAExternal:
		if m.AverageUtilization != 0 || (m.Value != 0) == (m.AverageValue != 0) {
			return fmt.Errorf("an %s metric takes exactly one of Value and AverageValue", m.Type)
		}
		if err := positive("Value", m.Value); m.Value != 0 && err != nil {
			return err
		}
		if err := positive("AverageValue", m.AverageValue); m.AverageValue != 0 && err != nil {
			return err
		}
	default:
		return fmt.Errorf("Type = %q, want Resource, Pods, Object or External", m.Type)
	}
	if m.Name != HPAMetricRequestsPerSecond {
		return fmt.Errorf("Name = %q, want %q (the only trace column so far)", m.Name, HPAMetricRequestsPerSecond)
	}
	return nil
}

// checkRules checks one direction's rules after defaults; its error
// starts with the bad field's name.
func checkRules(r *HPAScalingRules) error {
	if w := *r.StabilizationWindow; w < 0 || w > hpaMaxWindow {
		return fmt.Errorf("StabilizationWindow = %v, want 0–1h", w)
	}
	switch r.SelectPolicy {
	case HPASelectMax, HPASelectMin, HPASelectDisabled:
	default:
		return fmt.Errorf("SelectPolicy = %q, want Max, Min or Disabled", r.SelectPolicy)
	}
	if len(r.Policies) == 0 {
		return fmt.Errorf("Policies is empty, want at least one policy")
	}
	for i, p := range r.Policies {
		if err := checkPolicy(p.Type, p.Value, p.Period); err != nil {
			return fmt.Errorf("Policies[%d].%v", i, err)
		}
	}
	if r.Tolerance != nil {
		if err := checkTolerance(*r.Tolerance); err != nil {
			return fmt.Errorf("Tolerance = %v, want %v", *r.Tolerance, err)
		}
	}
	return nil
}

func checkPolicy(typ HPAPolicyType, value int, period time.Duration) error {
	switch {
	case typ != HPAPolicyPods && typ != HPAPolicyPercent:
		return fmt.Errorf("Type = %q, want Pods or Percent", typ)
	case value <= 0:
		return fmt.Errorf("Value = %d, want > 0", value)
	case period <= 0 || period > hpaMaxPeriod:
		return fmt.Errorf("Period = %v, want (0, 30m]", period)
	}
	return nil
}

// HPA is the Kubernetes HorizontalPodAutoscaler controller
// (kubernetes/kubernetes pkg/controller/podautoscaler) reduced to one
// scale target, deciding from an Observation instead of the metrics APIs.
//
// Each call is one sync of the controller (every 15 s by default; the
// loop sets the cadence). With current = Observation.Current:
//
//   - current = 0 with MinReplicas > 0: autoscaling is disabled, keep 0;
//     current above MaxReplicas or below MinReplicas: go to the bound.
//   - Otherwise each metric proposes a count. Resource cpu and Pods
//     metrics follow the replica calculator: the usage ratio
//     r = usage ÷ target over the ready pods (CPU utilisation truncated to
//     a whole percent, as upstream); |1 − r| ≤ tolerance keeps current,
//     else ⌈r × ready⌉. Pods not yet ready (Observation.Starting, the
//     calculator's pending pods) count as using 0 when r > 1: the ratio
//     is recomputed over ready + starting pods, and if it falls within
//     tolerance or below 1 nothing changes, else ⌈r′ × (ready +
//     starting)⌉. Object and External Value targets give ⌈r × ready⌉;
//     AverageValue targets give ⌈value ÷ target⌉ unless value ÷ (target ×
//     pods) is within tolerance.
//   - The largest proposal wins. A metric that cannot be computed (no
//     valid observation, a NaN or negative reading, no ready pods) is
//     skipped; when all are, or when the rest propose less than current,
//     nothing changes.
//   - Legacy path (Behavior nil): the recommendation is the largest of
//     those in the last DownscaleStabilization (5 min), then clamped to
//     [MinReplicas, min(MaxReplicas, max(2 × current, 4))].
//   - Behaviour path: the recommendation is current brought within [the
//     smallest recommendation in the scale-up window, the largest in the
//     scale-down window]; then each policy bounds the change relative to
//     the count at the start of its period (current − added + removed in
//     that period): Pods ± value, Percent ⌈start × (1 + v/100)⌉ up and
//     ⌊start × (1 − v/100)⌋ down; Max takes the loosest bound, Min the
//     tightest, Disabled forbids the direction; then [MinReplicas,
//     MaxReplicas].
//
// The first call records current as a recommendation, as the controller
// does when it first sees an HPA, so the first 5 minutes cannot scale
// down by default. A change of target is recorded as a scale event (for
// the rate limits) when Decide returns it; the policy assumes it is
// applied.
//
// The Observation carries no per-pod gaps, so the calculator's "missing
// metrics" fill-in (0 on a scale up; on a scale down max(100%, target) of
// the request for CPU, the target otherwise) is implemented but not
// reached through Decide. Arithmetic follows
// upstream's float64 operations, rounding quirks included.
type HPA struct {
	cfg      HPAConfig
	min, max int
	tol      tolerances
	legacy   time.Duration // downscale stabilisation, legacy path
	behavior bool
	up, down hpaRules

	started    bool
	recs       []hpaRecommendation
	upEvents   []hpaScaleEvent
	downEvents []hpaScaleEvent
}

var (
	_ Policy  = (*HPA)(nil)
	_ Bounded = (*HPA)(nil)
)

type hpaRules struct {
	window   time.Duration
	sel      HPASelectPolicy
	policies []HPAScalingPolicy
	longest  time.Duration
}

type hpaRecommendation struct {
	at time.Time
	n  int
}

type hpaScaleEvent struct {
	at       time.Time
	change   int // always > 0
	outdated bool
}

// tolerances is upstream's Tolerances: no scaling while the usage ratio is
// in [1 − down, 1 + up].
type tolerances struct{ down, up float64 }

func (t tolerances) within(ratio float64) bool {
	return 1-t.down <= ratio && ratio <= 1+t.up
}

// NewHPA returns an HPA policy, or an error wrapping ErrInvalidConfig that
// names the bad field.
func NewHPA(cfg HPAConfig) (*HPA, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	p := &HPA{
		cfg:    cfg,
		min:    *cfg.MinReplicas,
		max:    cfg.MaxReplicas,
		tol:    tolerances{*cfg.Tolerance, *cfg.Tolerance},
		legacy: *cfg.DownscaleStabilization,
	}
	if b := cfg.Behavior; b != nil {
		p.behavior = true
		p.up, p.down = compileRules(b.ScaleUp), compileRules(b.ScaleDown)
		if t := b.ScaleUp.Tolerance; t != nil {
			p.tol.up = *t
		}
		if t := b.ScaleDown.Tolerance; t != nil {
			p.tol.down = *t
		}
	}
	return p, nil
}

func compileRules(r *HPAScalingRules) hpaRules {
	out := hpaRules{window: *r.StabilizationWindow, sel: r.SelectPolicy, policies: r.Policies}
	for _, p := range r.Policies {
		out.longest = max(out.longest, p.Period)
	}
	return out
}

// Config returns the configuration in force, with defaults filled in. The
// result shares no memory with the policy.
func (p *HPA) Config() HPAConfig {
	return p.cfg.withDefaults()
}

// Name returns "hpa".
func (p *HPA) Name() string { return "hpa" }

// Label returns HPAConfig.Name (a manifest's metadata.name), "hpa" by
// default: the name reports show.
func (p *HPA) Label() string { return p.cfg.Name }

// Bounds returns MinReplicas and MaxReplicas, for the loop to enforce.
func (p *HPA) Bounds() (min, max int) { return p.min, p.max }

// Decision reasons; constant so that deciding allocates nothing.
const (
	hpaDisabled          = "scaling disabled: current target is zero"
	hpaAboveMax          = "current above max replicas"
	hpaBelowMin          = "current below min replicas"
	hpaNoMetrics         = "metrics unavailable"
	hpaAtTarget          = "metrics within tolerance of target"
	hpaAboveTarget       = "metrics above target"
	hpaBelowTarget       = "all metrics below target"
	hpaUpStabilized      = "scale-up stabilized"
	hpaDownStabilized    = "scale-down stabilized"
	hpaScaleUpLimit      = "scale-up rate limit"
	hpaScaleDownLimit    = "scale-down rate limit"
	hpaTooManyReplicas   = "capped at max replicas"
	hpaTooFewReplicas    = "raised to min replicas"
	hpaScaleUpDisabled   = "scale-up disabled"
	hpaScaleDownDisabled = "scale-down disabled"
)

// Decide implements Policy.
func (p *HPA) Decide(now time.Time, obs Observation) Decision {
	cur := obs.Current
	if !p.started {
		// recordInitialRecommendation
		p.recs = append(p.recs, hpaRecommendation{now, cur})
		p.started = true
	}
	var d Decision
	switch {
	case cur == 0 && p.min != 0:
		return Decision{Target: 0, Reason: hpaDisabled}
	case cur > p.max:
		d = Decision{Target: p.max, Reason: hpaAboveMax}
	case cur < p.min:
		d = Decision{Target: p.min, Reason: hpaBelowMin}
	default:
		desired, ok := p.metricReplicas(obs)
		if !ok {
			return Decision{Target: cur, Reason: hpaNoMetrics}
		}
		if p.behavior {
			d = p.normalizeWithBehavior(now, cur, desired)
		} else {
			d = p.normalizeLegacy(now, cur, desired)
		}
	}
	if d.Target != cur && p.behavior {
		p.storeScaleEvent(now, cur, d.Target)
	}
	return d
}

// metricReplicas is computeReplicasForMetrics: the largest proposal of
// the metrics that can be computed, and false when none can or when some
// cannot and the rest propose less than current.
func (p *HPA) metricReplicas(obs Observation) (int, bool) {
	replicas, invalid := 0, 0
	for i := range p.cfg.Metrics {
		n, ok := p.metricProposal(&p.cfg.Metrics[i], obs)
		if !ok {
			invalid++
			continue
		}
		if replicas == 0 || n > replicas {
			replicas = n
		}
	}
	if invalid >= len(p.cfg.Metrics) || (invalid > 0 && replicas < obs.Current) {
		return 0, false
	}
	return replicas, true
}

// milli and milliUp turn a value into whole milli-units, as the metrics
// APIs and resource.Quantity.MilliValue do (the epsilon absorbs binary
// representation error: 0.3 × 1000 is 300, not 299.99…).
func milli(v float64) float64   { return math.Floor(v*1000 + 1e-6) }
func milliUp(v float64) float64 { return math.Ceil(v*1000 - 1e-6) }

// metricProposal is computeReplicasForMetric for one metric.
func (p *HPA) metricProposal(m *HPAMetric, obs Observation) (int, bool) {
	cur := obs.Current
	if !obs.Valid || obs.Ready < 0 || obs.Starting < 0 {
		return 0, false
	}
	pods := podGroups{ready: obs.Ready, unready: obs.Starting}
	if m.Type == HPAResource {
		u := obs.Utilization
		if !finite(u) || u < 0 {
			return 0, false
		}
		target := float64(m.AverageUtilization)
		return podReplicas(cur, 100*u, target, max(100, target), pods, p.tol)
	}
	rate := obs.RequestRate
	if !finite(rate) || rate < 0 {
		return 0, false
	}
	switch {
	case m.Type == HPAPods:
		if obs.Ready == 0 {
			return 0, false
		}
		target := milliUp(m.AverageValue)
		return podReplicas(cur, milli(rate/float64(obs.Ready)), target, target, pods, p.tol)
	case m.Value != 0: // Object or External, Value target
		ratio := milli(rate) / milliUp(m.Value)
		return usageRatioReplicas(cur, ratio, obs.Ready, obs.Ready+obs.Starting, p.tol)
	default: // Object or External, AverageValue target
		return perPodReplicas(obs.Ready+obs.Starting, milli(rate), milliUp(m.AverageValue), p.tol), true
	}
}

// podGroups is how the replica calculator sorts the pods of the target
// (groupPods), less the deleted and failed ones it drops.
type podGroups struct {
	ready   int // running, ready pods with a sample
	unready int // pending pods (and, for CPU, not yet ready): 0 on a scale up, else left out
	missing int // pods with no sample: 0 on a scale up, the fallback on a scale down
}

// podReplicas is the replica calculator's GetResourceReplicas and
// calcPlainMetricReplicas for pods that share one request. mean is the
// ready pods' mean metric and target its target, in the same unit
// (percent of request for CPU, milli-units otherwise); fallback is what a
// missing pod is assumed to use on a scale down. The second result is
// false when no pod has a sample.
func podReplicas(cur int, mean, target, fallback float64, pods podGroups, tol tolerances) (int, bool) {
	if pods.ready == 0 {
		return 0, false // "did not receive metrics for targeted pods"
	}
	total, n := mean*float64(pods.ready), pods.ready
	// GetResourceUtilizationRatio and GetMetricUsageRatio both truncate
	// the mean to a whole unit before dividing by the target.
	ratio := math.Floor(total/float64(n)+1e-9) / target

	scaleUpWithUnready := pods.unready > 0 && ratio > 1
	if !scaleUpWithUnready && pods.missing == 0 {
		if tol.within(ratio) {
			return cur, true
		}
		return ceilInt(ratio * float64(n)), true
	}
	if pods.missing > 0 {
		if ratio < 1 {
			total += fallback * float64(pods.missing)
			n += pods.missing
		} else if ratio > 1 {
			n += pods.missing
		}
	}
	if scaleUpWithUnready {
		n += pods.unready
	}
	newRatio := math.Floor(total/float64(n)+1e-9) / target
	if tol.within(newRatio) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1) {
		return cur, true // too small a change, or the fill-ins flipped the direction
	}
	newReplicas := ceilInt(newRatio * float64(n))
	if (newRatio < 1 && newReplicas > cur) || (newRatio > 1 && newReplicas < cur) {
		return cur, true
	}
	return newReplicas, true
}

// usageRatioReplicas is getUsageRatioReplicaCount (Object and External
// metrics with a Value target). pods counts the target's pods, ready or
// not; the second result is false when there are none.
func usageRatioReplicas(cur int, ratio float64, ready, pods int, tol tolerances) (int, bool) {
	if cur == 0 {
		return ceilInt(ratio), true // scale from zero
	}
	if tol.within(ratio) {
		return cur, true
	}
	if pods == 0 {
		return 0, false // "no pods returned by selector"
	}
	return ceilInt(ratio * float64(ready)), true
}

// perPodReplicas is GetObjectPerPodMetricReplicas and
// GetExternalPerPodMetricReplicas: status is the target's pod count.
func perPodReplicas(status int, usage, target float64, tol tolerances) int {
	ratio := usage / (target * float64(status)) // +Inf or NaN with no pods: never within
	if tol.within(ratio) {
		return status
	}
	return ceilInt(usage / target)
}

// ceilInt is int32(math.Ceil(x)) with upstream's cap at MaxInt32.
func ceilInt(x float64) int {
	c := math.Ceil(x)
	switch {
	case c >= math.MaxInt32:
		return math.MaxInt32
	case c > 0:
		return int(c)
	}
	return 0
}

// record stores an unstabilised recommendation, overwriting the one at
// index old (an expired one) or appending.
func (p *HPA) record(old int, now time.Time, n int) {
	if old >= 0 {
		p.recs[old] = hpaRecommendation{now, n}
		return
	}
	p.recs = append(p.recs, hpaRecommendation{now, n})
}

// normalizeLegacy is normalizeDesiredReplicas: stabilizeRecommendation
// then convertDesiredReplicasWithRules.
func (p *HPA) normalizeLegacy(now time.Time, cur, desired int) Decision {
	stab, old := desired, -1
	cutoff := now.Add(-p.legacy)
	for i, r := range p.recs {
		if r.at.Before(cutoff) {
			old = i
		} else if r.n > stab {
			stab = r.n
		}
	}
	p.record(old, now, desired)

	scaleUpLimit := int(math.Max(hpaScaleUpLimitFactor*float64(cur), hpaScaleUpLimitMinimum))
	maxAllowed, maxReason := p.max, hpaTooManyReplicas
	if p.max > scaleUpLimit {
		maxAllowed, maxReason = scaleUpLimit, hpaScaleUpLimit
	}
	switch {
	case stab < p.min:
		return Decision{Target: p.min, Reason: hpaTooFewReplicas}
	case stab > maxAllowed:
		return Decision{Target: maxAllowed, Reason: maxReason}
	}
	return Decision{Target: stab, Reason: directionReason(cur, desired, stab)}
}

// directionReason explains an unlimited outcome.
func directionReason(cur, desired, stab int) string {
	switch {
	case stab != desired && desired < cur:
		return hpaDownStabilized
	case stab != desired:
		return hpaUpStabilized
	case desired > cur:
		return hpaAboveTarget
	case desired < cur:
		return hpaBelowTarget
	}
	return hpaAtTarget
}

// normalizeWithBehavior is normalizeDesiredReplicasWithBehaviors:
// stabilizeRecommendationWithBehaviors then
// convertDesiredReplicasWithBehaviorRate.
func (p *HPA) normalizeWithBehavior(now time.Time, cur, desired int) Decision {
	upRec, downRec, old := desired, desired, -1
	upCutoff, downCutoff := now.Add(-p.up.window), now.Add(-p.down.window)
	for i, r := range p.recs {
		if r.at.After(upCutoff) {
			upRec = min(upRec, r.n)
		}
		if r.at.After(downCutoff) {
			downRec = max(downRec, r.n)
		}
		if r.at.Before(upCutoff) && r.at.Before(downCutoff) {
			old = i
		}
	}
	stab := cur
	if stab < upRec {
		stab = upRec
	}
	if stab > downRec {
		stab = downRec
	}
	p.record(old, now, desired)

	switch {
	case stab > cur:
		limit := p.scaleUpLimit(now, cur)
		limit = max(limit, cur) // no further scale up until events expire
		maxAllowed, reason := p.max, hpaTooManyReplicas
		if maxAllowed > limit {
			maxAllowed, reason = limit, hpaScaleUpLimit
			if p.up.sel == HPASelectDisabled {
				reason = hpaScaleUpDisabled
			}
		}
		if stab > maxAllowed {
			return Decision{Target: maxAllowed, Reason: reason}
		}
	case stab < cur:
		limit := p.scaleDownLimit(now, cur)
		limit = min(limit, cur)
		minAllowed, reason := p.min, hpaTooFewReplicas
		if minAllowed < limit {
			minAllowed, reason = limit, hpaScaleDownLimit
			if p.down.sel == HPASelectDisabled {
				reason = hpaScaleDownDisabled
			}
		}
		if stab < minAllowed {
			return Decision{Target: minAllowed, Reason: reason}
		}
	}
	return Decision{Target: stab, Reason: directionReason(cur, desired, stab)}
}

// changeInPeriod is getReplicasChangePerPeriod: the replicas changed by
// events after now − period.
func changeInPeriod(events []hpaScaleEvent, now time.Time, period time.Duration) int {
	cutoff := now.Add(-period)
	n := 0
	for _, e := range events {
		if e.at.After(cutoff) {
			n += e.change
		}
	}
	return n
}

// scaleUpLimit is calculateScaleUpLimitWithScalingRules.
func (p *HPA) scaleUpLimit(now time.Time, cur int) int {
	r := &p.up
	if r.sel == HPASelectDisabled {
		return cur
	}
	result := math.MinInt32
	if r.sel == HPASelectMin {
		result = math.MaxInt32
	}
	for _, pol := range r.policies {
		added := changeInPeriod(p.upEvents, now, pol.Period)
		removed := changeInPeriod(p.downEvents, now, pol.Period)
		start := cur - added + removed
		var proposed int
		if pol.Type == HPAPolicyPods {
			proposed = start + pol.Value
		} else {
			// Rounded up, or a small count could never grow.
			proposed = int(int32(math.Ceil(float64(start) * (1 + float64(pol.Value)/100))))
		}
		if r.sel == HPASelectMin {
			result = min(result, proposed)
		} else {
			result = max(result, proposed)
		}
	}
	return result
}

// scaleDownLimit is calculateScaleDownLimitWithBehaviors.
func (p *HPA) scaleDownLimit(now time.Time, cur int) int {
	r := &p.down
	if r.sel == HPASelectDisabled {
		return cur
	}
	result := math.MaxInt32
	if r.sel == HPASelectMin {
		result = math.MinInt32
	}
	for _, pol := range r.policies {
		added := changeInPeriod(p.upEvents, now, pol.Period)
		removed := changeInPeriod(p.downEvents, now, pol.Period)
		start := cur - added + removed
		var proposed int
		if pol.Type == HPAPolicyPods {
			proposed = start - pol.Value
		} else {
			proposed = int(int32(float64(start) * (1 - float64(pol.Value)/100)))
		}
		if r.sel == HPASelectMin {
			result = max(result, proposed)
		} else {
			result = min(result, proposed)
		}
	}
	return result
}

// storeScaleEvent records a change of target, overwriting an event older
// than the direction's longest policy period if there is one.
func (p *HPA) storeScaleEvent(now time.Time, prev, next int) {
	if next > prev {
		p.upEvents = storeScaleEvent(p.upEvents, now, next-prev, p.up.longest)
	} else {
		p.downEvents = storeScaleEvent(p.downEvents, now, prev-next, p.down.longest)
	}
}

func storeScaleEvent(events []hpaScaleEvent, now time.Time, change int, longest time.Duration) []hpaScaleEvent {
	cutoff := now.Add(-longest)
	old := -1
	for i := range events {
		if events[i].at.Before(cutoff) {
			events[i].outdated = true
		}
		if events[i].outdated {
			old = i
		}
	}
	e := hpaScaleEvent{at: now, change: change}
	if old >= 0 {
		events[old] = e
		return events
	}
	return append(events, e)
}
