package policy

import (
	"fmt"
	"math"
	"time"

	"github.com/omnixan/omnixan/forecast"
)

// Headroom names the forecast bound a Predictive policy provisions for.
type Headroom string

// Forecast bounds.
const (
	HeadroomMean Headroom = "mean" // the point forecast
	HeadroomHi80 Headroom = "hi80" // the upper end of the 80% interval
	HeadroomHi95 Headroom = "hi95" // the upper end of the 95% interval
)

func (h Headroom) of(p forecast.Point) float64 {
	switch h {
	case HeadroomMean:
		return p.Mean
	case HeadroomHi95:
		return p.Hi95
	}
	return p.Hi80
}

// PredictiveConfig configures a Predictive policy. Zero fields take the
// defaults in brackets.
type PredictiveConfig struct {
	// Method names the forecasting method, one of forecast.Methods
	// ["auto"].
	Method string `json:"method"`
	// Model, when not nil, is used instead of Method.
	Model forecast.Method `json:"-"`
	// Bucket is the step of the demand history: the request rates
	// observed within a bucket are averaged into one value [5 min].
	Bucket time.Duration `json:"bucket"`
	// History is how much history is kept, and fitted on [14 days, as AWS
	// predictive scaling uses].
	History time.Duration `json:"history"`
	// MinHistory is the history needed before the first fit [24 h, as AWS
	// needs].
	MinHistory time.Duration `json:"min_history"`
	// RefitEvery is the time between two fits; between them the fitted
	// model is updated online with each new bucket [6 h].
	RefitEvery time.Duration `json:"refit_every"`
	// Seasons are the seasonal periods given to the method; each must be a
	// whole number of buckets [24 h and 168 h]. A method drops a season
	// with fewer than two cycles in the history.
	Seasons []time.Duration `json:"seasons"`
	// StartupDelay is the time from asking for an instance to its being
	// ready [60 s]; SyncPeriod is the time between two decisions [15 s].
	StartupDelay time.Duration `json:"startup_delay"`
	SyncPeriod   time.Duration `json:"sync_period"`
	// Horizon is how far ahead the policy provisions: it forecasts the
	// demand of the buckets from now + StartupDelay to now + Horizon and
	// provisions for the largest [StartupDelay + SyncPeriod + Bucket].
	Horizon time.Duration `json:"horizon"`
	// Headroom is the forecast bound provisioned for [hi80].
	Headroom Headroom `json:"headroom"`
	// TargetUtilization is the utilisation the forecast demand should
	// run at [0.95]:
	//
	//	forecast target = ⌈bound ÷ (Observation.Capacity × TargetUtilization)⌉
	TargetUtilization float64 `json:"target_utilization"`
	// Reactive configures the reactive part, a TargetTracking rule
	// [offered_utilization at 0.9, scale-in period 5 min, 10% steps,
	// warm-up 2 × StartupDelay]; its Min and Max are the policy's.
	Reactive TargetTrackingConfig `json:"reactive"`
	// SurgeWindow and SurgeRise set the surge rule, which sees the fast
	// rises a model of Bucket means cannot: when the request rate rose by
	// more than SurgeRise (a fraction) over the last SurgeWindow of
	// observations, the rise is extrapolated linearly to when capacity
	// asked for now is ready, and the policy provisions for that rate at
	// TargetUtilization [60 s, 0.15]. NoSurge turns the rule off.
	SurgeWindow time.Duration `json:"surge_window"`
	SurgeRise   float64       `json:"surge_rise"`
	NoSurge     bool          `json:"no_surge"`
	// FallbackSMAPE is the rolling sMAPE, in percent, of the policy's own
	// forecasts (of the bucket that holds now + Horizon, against the
	// bucket's mean) above which it stops acting on them and scales
	// reactively until the error recovers [25].
	FallbackSMAPE float64 `json:"fallback_smape"`
	// ScoreWindow is the number of scored forecasts the rolling sMAPE
	// covers; the fallback needs at least a quarter of them [48].
	ScoreWindow int `json:"score_window"`
	// ForecastOnly, as AWS's ForecastOnly mode, forecasts and records the
	// target it would have set (Predictive.WouldBe) but scales only
	// reactively.
	ForecastOnly bool `json:"forecast_only"`
	Min          int  `json:"min"` // fewest instances [1]
	Max          int  `json:"max"` // most instances [100]
}

func (c PredictiveConfig) withDefaults() PredictiveConfig {
	if c.Method == "" {
		c.Method = "auto"
	}
	if c.Bucket == 0 {
		c.Bucket = 5 * time.Minute
	}
	if c.History == 0 {
		c.History = 14 * 24 * time.Hour
	}
	if c.MinHistory == 0 {
		c.MinHistory = 24 * time.Hour
	}
	if c.RefitEvery == 0 {
		c.RefitEvery = 6 * time.Hour
	}
	if c.Seasons == nil {
		c.Seasons = []time.Duration{24 * time.Hour, 168 * time.Hour}
	}
	if c.StartupDelay == 0 {
		c.StartupDelay = 60 * time.Second
	}
	if c.SyncPeriod == 0 {
		c.SyncPeriod = 15 * time.Second
	}
	if c.Horizon == 0 {
		c.Horizon = c.StartupDelay + c.SyncPeriod + c.Bucket
	}
	if c.Headroom == "" {
		c.Headroom = HeadroomHi80
	}
	if c.TargetUtilization == 0 {
		c.TargetUtilization = 0.95
	}
	r := &c.Reactive
	if r.Metric == "" {
		r.Metric = MetricOfferedUtilization
	}
	if r.Target == 0 && r.Metric.isFraction() {
		r.Target = 0.9
	}
	if r.ScaleInPeriod == 0 {
		r.ScaleInPeriod = 5 * time.Minute
	}
	if r.WarmUp == 0 {
		r.WarmUp = 2 * c.StartupDelay
	}
	if c.SurgeWindow == 0 {
		c.SurgeWindow = 60 * time.Second
	}
	if c.SurgeRise == 0 {
		c.SurgeRise = 0.15
	}
	if c.FallbackSMAPE == 0 {
		c.FallbackSMAPE = 25
	}
	if c.ScoreWindow == 0 {
		c.ScoreWindow = 48
	}
	if c.Min == 0 {
		c.Min = awsDefaultMin
	}
	if c.Max == 0 {
		c.Max = awsDefaultMax
	}
	r.Min, r.Max = c.Min, c.Max
	*r = r.withDefaults()
	return c
}

// Validate reports the first field out of range, after defaults.
func (c PredictiveConfig) Validate() error {
	c = c.withDefaults()
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: %s = %v, want %s", ErrInvalidConfig, field, v, want)
	}
	if c.Model == nil {
		if _, err := forecast.Lookup(c.Method); err != nil {
			return fmt.Errorf("%w: Method = %q: %w", ErrInvalidConfig, c.Method, err)
		}
	}
	switch {
	case c.Bucket < time.Second:
		return bad("Bucket", c.Bucket, "≥ 1s")
	case c.History < 2*c.Bucket:
		return bad("History", c.History, fmt.Sprintf("≥ two buckets (%v)", 2*c.Bucket))
	case c.MinHistory < c.Bucket || c.MinHistory > c.History:
		return bad("MinHistory", c.MinHistory, fmt.Sprintf("in [Bucket, History] = [%v, %v]", c.Bucket, c.History))
	case c.RefitEvery < c.Bucket:
		return bad("RefitEvery", c.RefitEvery, fmt.Sprintf("≥ Bucket (%v)", c.Bucket))
	case c.StartupDelay < 0:
		return bad("StartupDelay", c.StartupDelay, "≥ 0")
	case c.SyncPeriod < 0:
		return bad("SyncPeriod", c.SyncPeriod, "≥ 0")
	case c.Horizon < c.StartupDelay || c.Horizon > c.History:
		return bad("Horizon", c.Horizon, fmt.Sprintf("in [StartupDelay, History] = [%v, %v]", c.StartupDelay, c.History))
	case c.Headroom != HeadroomMean && c.Headroom != HeadroomHi80 && c.Headroom != HeadroomHi95:
		return bad("Headroom", c.Headroom, `"mean", "hi80" or "hi95"`)
	case !(c.TargetUtilization > 0 && c.TargetUtilization <= 1):
		return bad("TargetUtilization", c.TargetUtilization, "a utilisation in (0, 1]")
	case c.SurgeWindow < 0:
		return bad("SurgeWindow", c.SurgeWindow, "≥ 0")
	case !(c.SurgeRise > 0) || math.IsInf(c.SurgeRise, 0):
		return bad("SurgeRise", c.SurgeRise, "a finite fraction > 0")
	case !(c.FallbackSMAPE > 0 && c.FallbackSMAPE <= 200):
		return bad("FallbackSMAPE", c.FallbackSMAPE, "a percentage in (0, 200]")
	case c.ScoreWindow < 1:
		return bad("ScoreWindow", c.ScoreWindow, "≥ 1")
	case c.Min < 1:
		return bad("Min", c.Min, "≥ 1")
	case c.Max < c.Min:
		return bad("Max", c.Max, fmt.Sprintf("≥ Min (%d)", c.Min))
	}
	for i, s := range c.Seasons {
		if s <= 0 || s%c.Bucket != 0 {
			return bad(fmt.Sprintf("Seasons[%d]", i), s, fmt.Sprintf("a positive multiple of Bucket (%v)", c.Bucket))
		}
	}
	return c.Reactive.validate("Reactive.")
}

// WouldBe is one decision of a Predictive policy: what the forecast
// asked for, what the reactive part asked for, and the target it set.
type WouldBe struct {
	Time     time.Time
	Forecast int // the forecast target; 0 when there was none
	Reactive int // the reactive part's target
	Combined int // max(Forecast, Reactive) within bounds: what ForecastAndScale would set
	Target   int // what the policy set
}

// Predictive scales ahead of a demand forecast, in the manner of AWS
// predictive scaling combined with a dynamic (target-tracking) policy.
//
// History. The request rates of the observations (each new
// Observation.Time once) are averaged per Bucket into a ring of History;
// a bucket with no observation repeats the last value.
//
// Model. Once the ring holds MinHistory, the policy fits Method to it,
// with Seasons, and refits every RefitEvery; in between, each completed
// bucket updates the model online (forecast.Forecaster.Observe). Fits run
// inside Decide, so that a decision stays pure and deterministic; they are
// rare (every 6 h by default) and every other decision costs a few
// hundred nanoseconds: the forecasts are computed once per bucket.
//
// Decision. With c = Observation.Current, the forecast target is
//
//	F = ⌈max_k bound(k) ÷ (Capacity × TargetUtilization)⌉
//
// over the buckets k from the one holding now + StartupDelay (when what
// is asked for now is ready) to the one holding now + Horizon, bound being
// the Headroom of each bucket's forecast. The reactive part R is a
// TargetTracking rule (Reactive) on the current metric. The target is
//
//	max(F, R) clamped to [Min, Max]
//
// so the forecast only ever raises the target: the policy never scales in
// on the forecast alone, as AWS's never does; scaling in is the reactive
// part's, and the forecast floors it.
//
// Fallback. The policy scores its own forecasts: for each bucket, the
// forecast made for it ⌈Horizon ÷ Bucket⌉ buckets ahead against its mean,
// by sMAPE (percent). While the mean over the last ScoreWindow scores is
// above FallbackSMAPE, or before the first fit, or without a known
// Capacity, it scales on R alone. In ForecastOnly mode it always does, and
// records what it would have set (WouldBe).
//
// LastPrediction returns the forecast the latest decision computed, for
// the bucket holding now + Horizon, also when the policy did not act on it
// (forecast-only mode, fallback), so that its accuracy is always scored.
type Predictive struct {
	cfg    PredictiveConfig
	method forecast.Method

	// need is the instance count behind the latest target before rounding
	// up (the target itself when the reactive part or the bounds set it);
	// fNeed and sNeed are the forecast's and the surge rule's.
	need, fNeed, sNeed float64

	// History ring.
	ring       []float64
	head, n    int       // ring[head] is the oldest of n values
	curStart   time.Time // start of the open bucket
	curSum     float64
	curCount   int
	open       bool // a bucket is open
	lastObs    time.Time
	seenObs    bool
	lastClosed time.Time // start of the newest closed bucket

	// Model.
	model   forecast.Forecaster
	fitAt   time.Time // bucket start at the last fit, or attempt
	tried   bool      // a fit was attempted
	train   []float64
	fc      []forecast.Point // forecasts for the buckets after lastClosed
	fcValid bool
	fits    int

	// Self-scoring: pending[i] is the forecast made for the bucket
	// lastClosed + (i+1)·Bucket.
	scoreH  int
	pending []float64
	hasPend []bool
	scores  []float64
	scoreI  int
	scoreN  int
	sum     float64

	capacity float64 // last known Capacity

	// Recent observations for the surge rule, a ring of the newest.
	recentT [surgeRing]time.Time
	recentV [surgeRing]float64
	recentI int // next slot
	recentN int

	reactive TargetTracking
	last     Prediction
	hasLast  bool
	would    []WouldBe
}

var (
	_ Policy      = (*Predictive)(nil)
	_ Bounded     = (*Predictive)(nil)
	_ Forecasting = (*Predictive)(nil)
)

// NewPredictive returns a Predictive policy, or an error wrapping
// ErrInvalidConfig that names the bad field.
func NewPredictive(cfg PredictiveConfig) (*Predictive, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	m := cfg.Model
	if m == nil {
		m, _ = forecast.Lookup(cfg.Method)
	}
	size := int(cfg.History / cfg.Bucket)
	h := int((cfg.Horizon + cfg.Bucket - 1) / cfg.Bucket)
	p := &Predictive{
		cfg:      cfg,
		method:   m,
		ring:     make([]float64, size),
		train:    make([]float64, 0, size),
		scoreH:   max(1, h),
		scores:   make([]float64, cfg.ScoreWindow),
		reactive: TargetTracking{cfg: cfg.Reactive},
	}
	p.pending = make([]float64, p.scoreH)
	p.hasPend = make([]bool, p.scoreH)
	p.fc = make([]forecast.Point, 0, h+2)
	return p, nil
}

// Name returns "predictive".
func (p *Predictive) Name() string { return "predictive" }

// Config returns the configuration in force, with defaults filled in.
func (p *Predictive) Config() PredictiveConfig { return p.cfg }

// Bounds implements Bounded.
func (p *Predictive) Bounds() (min, max int) { return p.cfg.Min, p.cfg.Max }

// LastPrediction implements Forecasting.
func (p *Predictive) LastPrediction() (Prediction, bool) { return p.last, p.hasLast }

// WouldBe returns the decisions recorded in ForecastOnly mode, oldest
// first; nil otherwise. The slice is the policy's own: do not modify it.
func (p *Predictive) WouldBe() []WouldBe { return p.would }

// Need returns the instance count behind the latest target before it was
// rounded up: the forecast's or the surge rule's fractional count when one
// of them set the target, the target itself otherwise.
func (p *Predictive) Need() float64 { return p.need }

// Fits returns how many times the model has been fitted.
func (p *Predictive) Fits() int { return p.fits }

// ForecastSMAPE returns the rolling sMAPE (percent) of the policy's own
// forecasts and how many scores it covers.
func (p *Predictive) ForecastSMAPE() (smape float64, n int) {
	if p.scoreN == 0 {
		return 0, 0
	}
	return p.sum / float64(p.scoreN), p.scoreN
}

// surgeRing bounds the observations the surge rule looks back over.
const surgeRing = 32

// Decide implements Policy.
func (p *Predictive) Decide(now time.Time, obs Observation) Decision {
	p.hasLast = false
	if obs.Valid {
		p.record(obs)
		if obs.Capacity > 0 {
			p.capacity = obs.Capacity
		}
	}
	cur := obs.Current
	r := p.reactive.propose(now, obs)
	f, fReason, ok := p.forecastTarget(now)
	target, reason := r.Target, r.Reason
	need := float64(target)
	acting := ok && !p.cfg.ForecastOnly
	if acting && f > target {
		target, reason, need = f, fReason, p.fNeed
	}
	if s, ok := p.surgeTarget(now, obs); ok && s > target {
		target, reason, need = s, "request rate surging", p.sNeed
	}
	if c := p.clamp(target); c != target {
		target, need = c, float64(c)
	}
	p.need = need
	if p.cfg.ForecastOnly {
		w := WouldBe{Time: now, Reactive: r.Target, Combined: r.Target, Target: target}
		if ok {
			w.Forecast, w.Combined = f, p.clamp(max(f, r.Target))
		}
		p.would = append(p.would, w)
	}
	p.reactive.commit(now, cur, target)
	return Decision{Target: target, Reason: reason}
}

// forecastTarget returns the forecast target and records the prediction;
// ok is false when the policy should not act on a forecast.
func (p *Predictive) forecastTarget(now time.Time) (int, string, bool) {
	if !p.fcValid || p.capacity <= 0 {
		return 0, "", false
	}
	b := p.cfg.Bucket
	base := p.lastClosed.Add(b) // start of forecast bucket 1
	idx := func(t time.Time) int {
		if t.Before(base) {
			return 0
		}
		return int(t.Sub(base) / b)
	}
	lo, hi := idx(now.Add(p.cfg.StartupDelay)), idx(now.Add(p.cfg.Horizon))
	if hi >= len(p.fc) {
		p.extend(hi + 1)
	}
	peak := 0.0
	for k := lo; k <= hi; k++ {
		peak = max(peak, p.cfg.Headroom.of(p.fc[k]))
	}
	p.last = Prediction{Made: now, At: now.Add(p.cfg.Horizon), Demand: p.fc[hi]}
	p.hasLast = true
	if p.scoreN >= max(1, p.cfg.ScoreWindow/4) && p.sum/float64(p.scoreN) > p.cfg.FallbackSMAPE {
		return 0, "", false
	}
	p.fNeed = peak / (p.capacity * p.cfg.TargetUtilization)
	return ceilUp(p.fNeed), "forecast demand", true
}

// surgeTarget returns the surge rule's target, and false when the rule
// does not fire.
func (p *Predictive) surgeTarget(now time.Time, obs Observation) (int, bool) {
	if p.cfg.NoSurge || !obs.Valid || p.capacity <= 0 || p.recentN < 2 {
		return 0, false
	}
	newest := (p.recentI - 1 + surgeRing) % surgeRing
	tN, vN := p.recentT[newest], p.recentV[newest]
	if !tN.Equal(obs.Time) {
		return 0, false // the newest sample is not this observation's
	}
	// The oldest observation within SurgeWindow of the newest.
	old := newest
	for k := 1; k < p.recentN; k++ {
		i := (newest - k + surgeRing) % surgeRing
		if tN.Sub(p.recentT[i]) > p.cfg.SurgeWindow {
			break
		}
		old = i
	}
	dt := tN.Sub(p.recentT[old]).Seconds()
	v0 := p.recentV[old]
	if dt <= 0 || v0 <= 0 || vN <= v0*(1+p.cfg.SurgeRise) {
		return 0, false
	}
	lead := now.Sub(obs.Time) + p.cfg.StartupDelay + p.cfg.SyncPeriod
	rate := vN + (vN-v0)/dt*lead.Seconds() + obs.Backlog/backlogDrain
	p.sNeed = rate / (p.capacity * p.cfg.TargetUtilization)
	return ceilUp(p.sNeed), true
}

// extend recomputes the forecasts for h buckets.
func (p *Predictive) extend(h int) {
	p.fc = p.model.Forecast(p.fc, h)
	for i := range p.fc {
		if !(p.fc[i].Hi95 >= 0) || math.IsInf(p.fc[i].Hi95, 0) { // NaN or ±Inf: no usable forecast
			p.fc[i] = forecast.Point{}
		}
	}
}

// record adds a new observation's request rate to the open bucket,
// closing buckets as time passes.
func (p *Predictive) record(obs Observation) {
	if p.seenObs && !obs.Time.After(p.lastObs) {
		return
	}
	v := obs.RequestRate
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return
	}
	p.lastObs, p.seenObs = obs.Time, true
	p.recentT[p.recentI], p.recentV[p.recentI] = obs.Time, v
	p.recentI = (p.recentI + 1) % surgeRing
	p.recentN = min(p.recentN+1, surgeRing)
	start := obs.Time.Add(-1).Truncate(p.cfg.Bucket) // the window ending at a boundary belongs to the bucket before it
	if p.open && start.After(p.curStart) {
		val := p.curSum / float64(p.curCount)
		p.close(p.curStart, val)
		// A gap repeats the last value.
		for t := p.curStart.Add(p.cfg.Bucket); t.Before(start); t = t.Add(p.cfg.Bucket) {
			p.close(t, val)
		}
		p.open = false
	}
	if !p.open {
		p.open, p.curStart, p.curSum, p.curCount = true, start, 0, 0
	}
	p.curSum += v
	p.curCount++
}

// close appends a completed bucket: it scores the forecast made for it,
// updates or refits the model, and recomputes the forecasts.
func (p *Predictive) close(start time.Time, v float64) {
	// Score: pending[0] is the forecast made for this bucket.
	if p.hasPend[0] {
		y, f := v, p.pending[0]
		s := 0.0
		if d := math.Abs(y) + math.Abs(f); d > 0 {
			s = 200 * math.Abs(y-f) / d
		}
		if p.scoreN == len(p.scores) {
			p.sum -= p.scores[p.scoreI]
		} else {
			p.scoreN++
		}
		p.scores[p.scoreI] = s
		p.sum += s
		p.scoreI = (p.scoreI + 1) % len(p.scores)
	}
	copy(p.pending, p.pending[1:])
	copy(p.hasPend, p.hasPend[1:])
	p.hasPend[len(p.hasPend)-1] = false

	// History.
	if p.n < len(p.ring) {
		p.ring[(p.head+p.n)%len(p.ring)] = v
		p.n++
	} else {
		p.ring[p.head] = v
		p.head = (p.head + 1) % len(p.ring)
	}
	p.lastClosed = start
	p.fcValid = false

	// Model.
	minN := int(p.cfg.MinHistory / p.cfg.Bucket)
	switch {
	case p.n >= minN && (!p.tried || start.Sub(p.fitAt) >= p.cfg.RefitEvery):
		p.fit(start)
	case p.model != nil:
		p.model.Observe(start, v)
	}
	if p.model == nil {
		return
	}
	p.extend(p.scoreH + 1)
	p.fcValid = true
	p.pending[p.scoreH-1] = p.fc[p.scoreH-1].Mean
	p.hasPend[p.scoreH-1] = true
}

// fit fits the model to the history ending with the bucket at last.
func (p *Predictive) fit(last time.Time) {
	p.train = p.train[:0]
	for i := range p.n {
		p.train = append(p.train, p.ring[(p.head+i)%len(p.ring)])
	}
	p.tried, p.fitAt = true, last
	first := last.Add(-time.Duration(p.n-1) * p.cfg.Bucket)
	m, err := p.method.Fit(p.train, &forecast.FitOptions{Start: first, Step: p.cfg.Bucket, Seasons: p.cfg.Seasons})
	if err != nil {
		// Keep the previous model, if any, and try again at the next
		// refit.
		if p.model != nil {
			p.model.Observe(last, p.train[len(p.train)-1])
		}
		return
	}
	p.model = m
	p.fits++
}

func (p *Predictive) clamp(n int) int {
	return min(max(n, p.cfg.Min), p.cfg.Max)
}
