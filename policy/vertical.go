package policy

import (
	"fmt"
	"math"
	"time"
)

// VerticalConfig configures a Vertical policy. Zero fields take the
// defaults in brackets, which are the Kubernetes VPA recommender's.
type VerticalConfig struct {
	// Metric is the CPU use recorded, as a fraction of the size:
	// MetricCPUUtilization, the observed utilisation, which a saturated instance caps
	// at 1 as a CPU limit equal to the request would; or
	// MetricOfferedUtilization, which also counts the demand the instance
	// could not serve (requests and backlog over ready capacity), as a
	// container bursting above its request to a higher limit shows it
	// [offered_utilization].
	Metric ScalingMetric `json:"metric"`
	// HalfLife is the half-life of the usage histograms' samples [24 h].
	HalfLife time.Duration `json:"half_life"`
	// TargetPercentile, LowerPercentile and UpperPercentile are the
	// percentiles of usage behind the target and the bounds [0.9, 0.5,
	// 0.95].
	TargetPercentile float64 `json:"target_percentile"`
	LowerPercentile  float64 `json:"lower_percentile"`
	UpperPercentile  float64 `json:"upper_percentile"`
	// SafetyMargin is added to every percentile, a fraction [0.15].
	SafetyMargin float64 `json:"safety_margin"`
	// OOMBumpRatio and OOMMinBumpGiB set the memory recorded after an OOM
	// kill: max(memory × ratio, memory + min) [1.2, 100 MiB].
	OOMBumpRatio  float64 `json:"oom_bump_ratio"`
	OOMMinBumpGiB float64 `json:"oom_min_bump_gib"`
	// MinCPU and MinMemoryGiB floor the recommendation [0.025 vCPU and
	// 250 MB, upstream's]; MaxCPU and MaxMemoryGiB cap it [64 vCPU, 256
	// GiB].
	MinCPU       float64 `json:"min_cpu"`
	MinMemoryGiB float64 `json:"min_memory_gib"`
	MaxCPU       float64 `json:"max_cpu"`
	MaxMemoryGiB float64 `json:"max_memory_gib"`
	// CPUStep and MemoryStepGiB are what sizes are rounded up to [0.25
	// vCPU, 0.25 GiB].
	CPUStep       float64 `json:"cpu_step"`
	MemoryStepGiB float64 `json:"memory_step_gib"`
	// Cooldown is the least time between two resizes, except after an OOM
	// kill, so a rolling restart can finish before the next one starts
	// [10 min].
	Cooldown time.Duration `json:"cooldown"`
}

// VPA recommender constants (reference/AUTOSCALERS.md).
const (
	vpaCPUFirstBucket = 0.001            // core
	vpaCPUMax         = 1000             // cores
	vpaMemFirstBucket = 1e7 / (1 << 30)  // 10 MB in GiB
	vpaMemMax         = 1e12 / (1 << 30) // 1 TB in GiB
	vpaBucketRatio    = 1.05             // buckets grow 5%
	vpaMinCPUWeight   = 0.1              // least weight of a CPU sample, cores
	vpaMemoryWindow   = 24 * time.Hour   // one memory peak per window
	vpaDay            = float64(24 * time.Hour)
	mib               = 1.0 / 1024             // GiB
	vpaMinMemoryGiB   = 250e6 / float64(1<<30) // 250 MB
)

func (c VerticalConfig) withDefaults() VerticalConfig {
	def := func(x *float64, v float64) {
		if *x == 0 {
			*x = v
		}
	}
	if c.HalfLife == 0 {
		c.HalfLife = 24 * time.Hour
	}
	if c.Metric == "" {
		c.Metric = MetricOfferedUtilization
	}
	def(&c.TargetPercentile, 0.9)
	def(&c.LowerPercentile, 0.5)
	def(&c.UpperPercentile, 0.95)
	def(&c.SafetyMargin, 0.15)
	def(&c.OOMBumpRatio, 1.2)
	def(&c.OOMMinBumpGiB, 100*mib)
	def(&c.MinCPU, 0.025)
	def(&c.MinMemoryGiB, vpaMinMemoryGiB)
	def(&c.MaxCPU, 64)
	def(&c.MaxMemoryGiB, 256)
	def(&c.CPUStep, 0.25)
	def(&c.MemoryStepGiB, 0.25)
	if c.Cooldown == 0 {
		c.Cooldown = 10 * time.Minute
	}
	return c
}

// Validate reports the first field out of range, after defaults.
func (c VerticalConfig) Validate() error {
	c = c.withDefaults()
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: %s = %v, want %s", ErrInvalidConfig, field, v, want)
	}
	frac := func(x float64) bool { return x > 0 && x <= 1 }
	pos := func(x float64) bool { return x > 0 && !math.IsInf(x, 0) }
	switch {
	case c.Metric != MetricCPUUtilization && c.Metric != MetricOfferedUtilization:
		return bad("Metric", c.Metric, `"cpu" or "offered_utilization"`)
	case c.HalfLife < 0:
		return bad("HalfLife", c.HalfLife, "> 0")
	case !frac(c.TargetPercentile):
		return bad("TargetPercentile", c.TargetPercentile, "in (0, 1]")
	case !frac(c.LowerPercentile) || c.LowerPercentile > c.TargetPercentile:
		return bad("LowerPercentile", c.LowerPercentile, "in (0, TargetPercentile]")
	case !frac(c.UpperPercentile) || c.UpperPercentile < c.TargetPercentile:
		return bad("UpperPercentile", c.UpperPercentile, "in [TargetPercentile, 1]")
	case !(c.SafetyMargin >= 0) || math.IsInf(c.SafetyMargin, 0):
		return bad("SafetyMargin", c.SafetyMargin, "a finite value ≥ 0")
	case !(c.OOMBumpRatio >= 1) || math.IsInf(c.OOMBumpRatio, 0):
		return bad("OOMBumpRatio", c.OOMBumpRatio, "a finite value ≥ 1")
	case !(c.OOMMinBumpGiB >= 0) || math.IsInf(c.OOMMinBumpGiB, 0):
		return bad("OOMMinBumpGiB", c.OOMMinBumpGiB, "a finite value ≥ 0")
	case !pos(c.MinCPU):
		return bad("MinCPU", c.MinCPU, "a finite value > 0")
	case !pos(c.MinMemoryGiB):
		return bad("MinMemoryGiB", c.MinMemoryGiB, "a finite value > 0")
	case !pos(c.MaxCPU) || c.MaxCPU < c.MinCPU:
		return bad("MaxCPU", c.MaxCPU, "≥ MinCPU")
	case !pos(c.MaxMemoryGiB) || c.MaxMemoryGiB < c.MinMemoryGiB:
		return bad("MaxMemoryGiB", c.MaxMemoryGiB, "≥ MinMemoryGiB")
	case !pos(c.CPUStep):
		return bad("CPUStep", c.CPUStep, "a finite value > 0")
	case !pos(c.MemoryStepGiB):
		return bad("MemoryStepGiB", c.MemoryStepGiB, "a finite value > 0")
	case c.Cooldown < 0:
		return bad("Cooldown", c.Cooldown, "≥ 0")
	}
	return nil
}

// Recommendation is a VPA recommendation for one instance: a target size
// and the bounds within which the current size is left alone.
type Recommendation struct {
	Target, Lower, Upper Size
}

// Vertical is a vertical scaler after the Kubernetes VPA (recommender and
// updater, in Auto mode): it keeps the instance count and resizes the
// instances.
//
// Recommender: each new sample adds the CPU use of an instance, the
// Metric's utilisation × Size.CPU cores, to a decaying histogram, weighted by the
// size's CPU (at least 0.1 core); and the memory use, MemoryUtilization ×
// Size.MemoryGiB, to another as the peak of its 24-hour window (a higher
// use in the window replaces the window's peak). After an OOM kill the
// memory peak is raised to OOMBump(Size.MemoryGiB). Both histograms halve
// their weights every HalfLife. The recommendation is
//
//	target = P_TargetPercentile × (1 + SafetyMargin)
//	lower  = P_LowerPercentile  × (1 + SafetyMargin) × (1 + 0.001/d)^−2
//	upper  = P_UpperPercentile  × (1 + SafetyMargin) × (1 + 1/d)
//
// for CPU and memory alike, with d the days between the first and the
// latest sample, each floored at MinCPU and MinMemoryGiB.
//
// Updater: when the current size is outside [lower, upper] in CPU or
// memory, and Cooldown has passed since the last resize, or at once after
// an OOM kill, the policy asks for the target rounded up to CPUStep and
// MemoryStepGiB and capped at MaxCPU and MaxMemoryGiB. It proposes the
// current instance count throughout.
//
// Simplifications: one sample per observation of the pool's mean (the VPA
// samples every container). With Metric cpu the use of a saturated
// instance is its size, so, as with a VPA whose containers' limits equal
// their requests, a resize grows it by at most the margin.
type Vertical struct {
	cfg         VerticalConfig
	cpu, mem    *DecayingHistogram
	first, last time.Time // of the samples
	peak        float64   // memory peak of the current window, GiB
	windowEnd   time.Time // end of the current memory window
	lastResize  time.Time
	resized     bool
}

var _ Policy = (*Vertical)(nil)

// NewVertical returns a Vertical policy, or an error wrapping
// ErrInvalidConfig.
func NewVertical(cfg VerticalConfig) (*Vertical, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Vertical{
		cfg: cfg,
		cpu: NewDecayingHistogram(vpaCPUMax, vpaCPUFirstBucket, vpaBucketRatio, cfg.HalfLife),
		mem: NewDecayingHistogram(vpaMemMax, vpaMemFirstBucket, vpaBucketRatio, cfg.HalfLife),
	}, nil
}

// Name implements Policy.
func (v *Vertical) Name() string { return "vertical" }

// Config returns the configuration with defaults filled in.
func (v *Vertical) Config() VerticalConfig { return v.cfg }

// OOMBump returns the memory, GiB, the recommender records after an OOM
// kill of an instance with mem GiB: max(mem × OOMBumpRatio, mem +
// OOMMinBumpGiB).
func (v *Vertical) OOMBump(mem float64) float64 {
	return max(mem*v.cfg.OOMBumpRatio, mem+v.cfg.OOMMinBumpGiB)
}

// Observe adds the samples of obs to the histograms. Decide calls it; it
// is exported for tests and for driving the recommender alone. A sample
// already seen (same Time) or invalid adds nothing.
func (v *Vertical) Observe(obs Observation) {
	if !obs.Valid || obs.Size.IsZero() || (!v.last.IsZero() && !obs.Time.After(v.last)) {
		return
	}
	t := obs.Time
	if v.first.IsZero() {
		v.first = t
	}
	v.last = t
	if u, ok := v.cfg.Metric.value(obs); ok {
		v.cpu.Add(u*obs.Size.CPU, max(obs.Size.CPU, vpaMinCPUWeight), t)
	}
	use := obs.MemoryUtilization * obs.Size.MemoryGiB
	if obs.OOMEvents > 0 {
		use = max(use, v.OOMBump(obs.Size.MemoryGiB))
	}
	v.addMemoryPeak(use, t)
}

// addMemoryPeak keeps one memory sample per window, its peak, timed at
// the window's end as upstream.
func (v *Vertical) addMemoryPeak(use float64, t time.Time) {
	if v.windowEnd.IsZero() || !t.Before(v.windowEnd) {
		v.windowEnd = t.Add(vpaMemoryWindow)
		v.peak = 0
	}
	if use <= v.peak {
		return
	}
	if v.peak > 0 {
		v.mem.Subtract(v.peak, 1, v.windowEnd)
	}
	v.mem.Add(use, 1, v.windowEnd)
	v.peak = use
}

// Recommend returns the current recommendation, and false before the
// first sample.
func (v *Vertical) Recommend() (Recommendation, bool) {
	if v.cpu.IsEmpty() || v.mem.IsEmpty() {
		return Recommendation{}, false
	}
	c := v.cfg
	m := 1 + c.SafetyMargin
	days := float64(v.last.Sub(v.first)) / vpaDay
	lowerF := math.Pow(1+0.001/days, -2)
	upperF := 1 + 1/days
	at := func(h *DecayingHistogram, p, f, floor float64) float64 {
		return max(floor, h.Percentile(p)*m*f)
	}
	return Recommendation{
		Target: Size{at(v.cpu, c.TargetPercentile, 1, c.MinCPU), at(v.mem, c.TargetPercentile, 1, c.MinMemoryGiB)},
		Lower:  Size{at(v.cpu, c.LowerPercentile, lowerF, c.MinCPU), at(v.mem, c.LowerPercentile, lowerF, c.MinMemoryGiB)},
		Upper:  Size{at(v.cpu, c.UpperPercentile, upperF, c.MinCPU), at(v.mem, c.UpperPercentile, upperF, c.MinMemoryGiB)},
	}, true
}

// Decide implements Policy.
func (v *Vertical) Decide(now time.Time, obs Observation) Decision {
	d := Decision{Target: obs.Current, Reason: "keep"}
	if !obs.Valid || obs.Size.IsZero() {
		d.Reason = "no metrics"
		return d
	}
	v.Observe(obs)
	r, ok := v.Recommend()
	if !ok {
		return d
	}
	cur := obs.Size
	oom := obs.OOMEvents > 0
	outside := cur.CPU < r.Lower.CPU || cur.CPU > r.Upper.CPU ||
		cur.MemoryGiB < r.Lower.MemoryGiB || cur.MemoryGiB > r.Upper.MemoryGiB
	if !oom && !outside {
		return d
	}
	if !oom && v.resized && now.Sub(v.lastResize) < v.cfg.Cooldown {
		d.Reason = "resize cooldown"
		return d
	}
	want := Size{
		CPU:       min(v.cfg.MaxCPU, roundUp(r.Target.CPU, v.cfg.CPUStep)),
		MemoryGiB: min(v.cfg.MaxMemoryGiB, roundUp(r.Target.MemoryGiB, v.cfg.MemoryStepGiB)),
	}
	if oom {
		want.MemoryGiB = min(v.cfg.MaxMemoryGiB, max(want.MemoryGiB, roundUp(v.OOMBump(cur.MemoryGiB), v.cfg.MemoryStepGiB)))
	}
	if want == cur {
		return d
	}
	v.lastResize, v.resized = now, true
	d.Size = want
	d.Reason = "resize"
	if oom {
		d.Reason = "resize after OOM"
	}
	return d
}

// roundUp rounds x up to a whole number of steps.
func roundUp(x, step float64) float64 {
	return math.Ceil(x/step-1e-9) * step
}
