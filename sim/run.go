package sim

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/cost"
	"github.com/omnixan/omnixan/forecast"
	"github.com/omnixan/omnixan/policy"
	"github.com/omnixan/omnixan/traces"
)

// Load supplies the arrival rate, one row at a time. Every traces.Reader is
// a Load.
type Load interface {
	Columns() []string
	Next(row *traces.Row) error
}

// Scrape describes the metrics collector as the policy sees it.
type Scrape struct {
	Interval time.Duration // time between two samples [15 s]
	// Delay is the time from a sample's end to when the policy can read
	// it [one Interval]; a negative Delay means none.
	Delay time.Duration
}

// Config configures one simulation run. Zero fields take the defaults in
// brackets, which follow common practice (reference/AUTOSCALERS.md: the HPA
// syncs every 15 s, metrics arrive every 15–60 s and lag one interval, a
// pod is ready 30–90 s after it is asked for).
type Config struct {
	Step       time.Duration // the service model's time step [10 s]
	SyncPeriod time.Duration // time between two autoscaler decisions [15 s]
	Scrape     Scrape
	Service    Service
	// Price is what one instance of Size costs [0.10 USD per
	// instance-hour, billed per second: two cores at the original module's
	// 0.05 USD per core-hour].
	Price cost.InstanceHour
	// Size is the size every instance has at the start [2 vCPU, 4 GiB]: one
	// of that size serves Service.Capacity and costs Price. An instance u
	// times as many vCPUs serves u·Service.Capacity and costs u·Price
	// (price per vCPU-hour); memory is not priced.
	Size policy.Size
	// Column names the load column holding the arrival rate; "" means the
	// first column.
	Column string
	// Scale multiplies every load value to give requests per second [1];
	// 1/60 reads a requests-per-minute trace.
	Scale float64
	// InitialInstances is the count every policy starts with, ready at the
	// start, unless the policy chooses its own (policy.Initializer). 0 means
	// enough to serve the first step at 75% utilisation.
	InitialInstances int
	// Record, when not nil, is called at the end of every step.
	Record func(StepRecord)
	// Faults injects orchestrator errors, latency and outages; the zero
	// value injects none.
	Faults Faults
}

// StepRecord is the state of the world at the end of one step.
type StepRecord struct {
	Time        time.Time // start of the step
	Demand      float64   // mean arrival rate over the step, req/s
	Need        int       // least instances meeting the SLO at Demand
	Ready       int       // instances serving at the end of the step
	Provisioned int       // instances billed at the end of the step (ready + starting)
	Utilization float64   // served ÷ ready capacity over the step (0 with no capacity)
	Backlog     float64   // requests queued at the end of the step
	Latency     float64   // latency at the SLO quantile at the end of the step, s (+Inf when overloaded)
	Miss        bool      // Latency broke the objective
	Cost        float64   // USD accrued over the step by the provisioned instances, before billing rounding

	// HasForecast reports that the fields below hold the policy's demand
	// forecast for this step: the latest prediction (policy.Forecasting)
	// whose target time falls in this step, or, when none does, the one
	// held from an earlier step. It is false, and the fields zero, for a
	// policy that does not forecast and before its first forecast comes due.
	// These are the same forecasts Result.Forecast scores.
	HasForecast      bool
	Forecast         float64 // forecast mean arrival rate, req/s
	Lower80, Upper80 float64 // 80% interval of the forecast, req/s
	Lower95, Upper95 float64 // 95% interval of the forecast, req/s
}

// Result summarises one run of one policy.
type Result struct {
	Policy     string
	Start, End time.Time
	Steps      int
	// Spend is the billed cost in USD of every instance launched, to its
	// termination or the end of the run.
	Spend float64
	// SLOMissMinutes is the time in steps that broke the objective.
	SLOMissMinutes float64
	// SLOMissFraction is the fraction of requests that arrived during those
	// steps (0 when nothing arrived).
	SLOMissFraction float64
	MissSteps       int
	ScaleActions    int     // times the orchestrator target changed
	MeanInstances   float64 // time-weighted mean of billed instances
	PeakInstances   int     // most billed instances at once
	// OverprovisionRatio is billed instance-time ÷ needed instance-time,
	// where the need of a step is the least count meeting the SLO at its
	// demand; 0 when nothing was needed.
	OverprovisionRatio float64
	Arrived            float64 // requests that arrived
	Served             float64 // requests served
	Backlog            float64 // requests still queued at the end
	// ActuationErrors counts the loop's passes and retries that ended in
	// an error: a scale call that failed, or one the open breaker refused.
	ActuationErrors int
	// BudgetBreachMinutes is the time the billed instances cost more per
	// hour than the autoscaler's budget (0 without a budget).
	BudgetBreachMinutes float64
	// Retries counts scale calls repeated after a transient failure.
	Retries int
	// FailedActions counts scale actions abandoned: a permanent error,
	// retries used up, or refused by the open breaker.
	FailedActions int
	// BreakerOpenMinutes is the time the circuit breaker spent open (not
	// half-open).
	BreakerOpenMinutes float64
	// Resizes counts changes of the instance size; Restarts the instances
	// restarted by them (rolling); OOMKills the instances restarted for
	// running out of memory.
	Resizes, Restarts, OOMKills int
	// MeanInstanceCPU is the time-weighted mean vCPUs of a billed instance
	// (Config.Size.CPU when no policy resizes).
	MeanInstanceCPU float64
	// Forecast scores the demand forecasts of a policy that makes them
	// (policy.Forecasting); nil otherwise.
	Forecast *ForecastScore

	// Classical is false for a run with no classical service (a
	// quantum-only scenario): the classical scores above are then zero.
	Classical bool
	// Quantum scores the quantum side of the run; nil without one.
	// AddQuantum sets it.
	Quantum *QuantumResult
	// SpendClassical and SpendQuantum split Spend by class.
	SpendClassical, SpendQuantum float64
}

// AddQuantum attaches the quantum side of the run: Spend becomes the sum of
// both classes.
func (r *Result) AddQuantum(q *QuantumResult) {
	r.Quantum = q
	r.SpendQuantum = q.Spend
	r.Spend = r.SpendClassical + r.SpendQuantum
}

// ForecastScore is the accuracy of a policy's demand forecasts, each
// scored against the mean demand of the step its target time falls in.
type ForecastScore struct {
	Forecasts      int     // forecasts scored
	HorizonSeconds float64 // mean time from decision to target, s
	SMAPE          float64 // percent, mean over forecasts
	// MASE is the mean absolute error over that of the persistence
	// forecast at the same horizon (the demand at decision time); 0 when
	// the demand never changed.
	MASE       float64
	WAPE       float64 // Σ|y − ŷ| / Σ|y|; 0 when no demand
	Accuracy   float64 // 1 − WAPE
	Coverage80 float64 // share of actuals inside the 80% interval
	Coverage95 float64 // share of actuals inside the 95% interval
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Step == 0 {
		c.Step = 10 * time.Second
	}
	if c.SyncPeriod == 0 {
		c.SyncPeriod = 15 * time.Second
	}
	if c.Scrape.Interval == 0 {
		c.Scrape.Interval = 15 * time.Second
	}
	switch {
	case c.Scrape.Delay == 0:
		c.Scrape.Delay = c.Scrape.Interval
	case c.Scrape.Delay < 0:
		c.Scrape.Delay = 0
	}
	if c.Price == (cost.InstanceHour{}) {
		c.Price = cost.InstanceHour{USDPerHour: 0.10}
	}
	if c.Size.IsZero() {
		c.Size = policy.Size{CPU: 2, MemoryGiB: 4}
	}
	if c.Scale == 0 {
		c.Scale = 1
	}
	c.Service = c.Service.WithDefaults()
	return c
}

// Validate reports the first field out of range, after defaults.
func (c Config) Validate() error {
	c = c.WithDefaults()
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: %s = %v, want %s", ErrInvalidConfig, field, v, want)
	}
	switch {
	case c.Step < time.Millisecond:
		return bad("Step", c.Step, "≥ 1ms")
	case c.SyncPeriod < time.Millisecond:
		return bad("SyncPeriod", c.SyncPeriod, "≥ 1ms")
	case c.Scrape.Interval < time.Millisecond:
		return bad("Scrape.Interval", c.Scrape.Interval, "≥ 1ms")
	case math.IsNaN(c.Scale) || math.IsInf(c.Scale, 0) || c.Scale <= 0:
		return bad("Scale", c.Scale, "a finite value > 0")
	case c.InitialInstances < 0:
		return bad("InitialInstances", c.InitialInstances, "≥ 0")
	case !validSize(c.Size):
		return bad("Size", c.Size, "finite CPU and MemoryGiB > 0")
	}
	if err := c.Price.Validate(); err != nil {
		return fmt.Errorf("%w: Price: %w", ErrInvalidConfig, err)
	}
	if err := c.Faults.Validate(); err != nil {
		return err
	}
	return c.Service.Validate()
}

// Event kinds.
const (
	evScrape uint32 = iota
	evSync
	evReady
	evRetry // the loop's pending retry may be due
	evApply // a slow scale call takes effect; Arg is the target
)

// instance is one instance: when its billing started and its size.
type instance struct {
	launch int64   // ns since start, of the current billing segment
	units  float64 // vCPUs ÷ Config.Size.CPU: capacity and price in base instances
	mem    float64 // memory, GiB
}

type pendingInstance struct {
	instance
	id   int64
	roll bool // restarting for a resize
}

type sample struct {
	at, avail int64
	obs       policy.Observation
}

type stepInfo struct {
	rate float64
	need int
	inv  float64 // 1/B(need·m), where need's Erlang B walk stopped
}

// world is the simulated environment of one run: it is the autoscaler's
// metrics source and orchestrator.
type world struct {
	cfg   Config
	svc   Service
	start time.Time
	step  int64 // ns
	q     Queue

	load   loadResolver
	feed   *Steps     // resolved steps shared with other runs, instead of load
	ahead  []stepInfo // ring of resolved steps, from step index base
	base   int        // index of ahead's first step
	head   int        // ring position of step base
	count  int        // resolved steps held
	nSteps int        // total steps, known once the load has ended; -1 before

	// Cluster: ready instances as a stack, newest last; starting
	// instances in order of readiness.
	ready   []instance
	pending []pendingInstance
	nextID  int64
	// size is the size new instances get; units its vCPUs in Config.Size.
	size    policy.Size
	units   float64
	rolling int // instances restarting for a resize
	// readyUnits and provUnits are the ready and billed capacity in base
	// instances; with every instance of Config.Size they equal the counts.
	readyUnits, provUnits float64
	winOOM                int // OOM kills since the last scrape

	// Fluid service state.
	now     int64 // ns since start, up to which the state is integrated
	k       int   // current step index
	lambda  float64
	backlog float64

	// Accumulators.
	arrived, served     float64
	stepArrived         float64
	stepServed, stepCap float64 // requests, request-capacity
	stepCost            float64
	winArrived          float64
	winServed, winCap   float64
	winStart            int64
	instSec, needSec    float64
	unitSec             float64
	spend               float64
	res                 Result

	samples []sample // newest last, bounded

	// oomRisk counts the ready instances whose memory a saturated load
	// would exceed; with none, the per-step OOM check is skipped.
	oomRisk int

	budgetPerHour float64
	breachSec     float64
	predictions   []pendingPrediction // not yet scored, in order of target time
	fc            forecastAcc
	lastDue       forecast.Point // the latest scored prediction, for StepRecord
	hasDue        bool
}

type pendingPrediction struct {
	made, at int64   // ns since start
	yMade    float64 // demand at decision time, for the persistence scale
	p        forecast.Point
}

type forecastAcc struct {
	n                          int
	horizon                    float64
	smape, absErr, absY, naive float64
	in80, in95                 int
}

// Run simulates policy p, bounded by the autoscaler configuration ac, on
// the load, and returns its summary. The load is read once, as a stream:
// memory does not grow with its length. Run stops early with ctx's error.
// A clairvoyant policy (policy.Clairvoyant) is given the future load.
func Run(ctx context.Context, cfg Config, load Load, p policy.Policy, ac autoscaler.Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	w := &world{cfg: cfg, svc: cfg.Service, step: int64(cfg.Step), nSteps: -1, budgetPerHour: ac.BudgetPerHour,
		size: cfg.Size, units: 1}
	forecaster, _ := p.(policy.Forecasting)
	if st, ok := load.(*Steps); ok {
		w.feed, w.start = st, st.s.start
		defer st.abandon()
	} else {
		if err := w.load.init(load, cfg.Column, cfg.Scale); err != nil {
			return nil, err
		}
		w.start = w.load.start
	}
	lookahead := 2
	if c, ok := p.(policy.Clairvoyant); ok {
		c.Foresee(foresight{w})
		horizon := cfg.Service.StartupDelay + cfg.SyncPeriod
		lookahead = int((int64(horizon)+w.step-1)/w.step) + 2
	}
	w.ahead = make([]stepInfo, lookahead)
	w.samples = make([]sample, 0, int(cfg.Scrape.Delay/cfg.Scrape.Interval)+2)
	if err := w.fill(len(w.ahead) - 1); err != nil {
		return nil, err
	}
	if w.count == 0 {
		return nil, fmt.Errorf("sim: load has no steps: %w", io.ErrUnexpectedEOF)
	}
	var orch autoscaler.Orchestrator = w
	if cfg.Faults.Enabled() {
		orch = newFaulty(w, cfg.Faults)
	}
	loop, err := autoscaler.New(ac, p, w, orch)
	if err != nil {
		return nil, err
	}

	// Initial fleet, ready at the start.
	var n0 int
	switch ip, ok := p.(policy.Initializer); {
	case ok:
		n0 = ip.Initial(w.start)
	case cfg.InitialInstances > 0:
		n0 = cfg.InitialInstances
	default:
		n0 = int(math.Ceil(w.ahead[w.head].rate / (0.75 * w.svc.Capacity)))
	}
	n0, _ = loop.Clamp(n0)
	for range n0 {
		w.ready = append(w.ready, instance{units: 1, mem: cfg.Size.MemoryGiB})
	}
	w.recount()
	w.res.PeakInstances = n0

	// Step boundaries are a fixed schedule kept outside the queue, so that
	// at equal times a step closes before anything else happens: the step
	// is judged on the capacity it actually had.
	w.q.Push(Event{At: int64(cfg.Scrape.Interval), Kind: evScrape})
	w.q.Push(Event{At: 0, Kind: evSync})
	w.k = -1
	nextStep := int64(0)
	for n := 0; ; n++ {
		if n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if e, ok := w.q.Peek(); !ok || e.At >= nextStep {
			w.advance(nextStep)
			done, err := w.stepBoundary()
			if err != nil {
				return nil, err
			}
			if done {
				return w.finish(p.Name(), loop), nil
			}
			nextStep += w.step
			continue
		}
		e, _ := w.q.Pop()
		w.advance(e.At)
		switch e.Kind {
		case evScrape:
			w.scrape()
			w.q.Push(Event{At: e.At + int64(cfg.Scrape.Interval), Kind: evScrape})
		case evSync:
			now := w.timeAt(e.At)
			if d := loop.Tick(now); d.Err != nil {
				w.res.ActuationErrors++
			}
			w.scheduleRetry(loop)
			if forecaster != nil {
				if pr, ok := forecaster.LastPrediction(); ok && pr.Made.Equal(now) {
					w.predictions = append(w.predictions, pendingPrediction{
						made: e.At, at: int64(pr.At.Sub(w.start)), yMade: w.lambda, p: pr.Demand,
					})
				}
			}
			w.q.Push(Event{At: e.At + int64(cfg.SyncPeriod), Kind: evSync})
		case evRetry:
			if d, ok := loop.Retry(w.timeAt(e.At)); ok {
				if d.Err != nil {
					w.res.ActuationErrors++
				}
				w.scheduleRetry(loop)
			}
		case evApply:
			// The target was checked when the call was made.
			_ = w.Scale(w.timeAt(e.At), int(e.Arg))
		case evReady:
			if len(w.pending) > 0 && w.pending[0].id == e.Arg {
				p := w.pending[0]
				w.ready = append(w.ready, p.instance)
				w.pending = w.pending[1:]
				if p.roll {
					w.rolling--
				}
				w.roll(e.At)
				w.recount()
			}
		}
	}
}

func (w *world) timeAt(ns int64) time.Time { return w.start.Add(time.Duration(ns)) }

// scheduleRetry schedules an event at the loop's pending retry, if any.
// The same breaker and retry code that runs live decides when; a retry
// superseded by a later decision finds nothing due and does nothing.
func (w *world) scheduleRetry(loop *autoscaler.Loop) {
	if at, ok := loop.NextRetry(); ok {
		w.q.Push(Event{At: int64(at.Sub(w.start)), Kind: evRetry})
	}
}

// advance integrates the fluid service model from w.now to t with the
// current arrival rate and ready capacity.
func (w *world) advance(t int64) {
	if t <= w.now {
		return
	}
	dt := float64(t-w.now) / 1e9
	capWork := w.readyUnits * w.svc.Capacity * dt
	a := w.lambda * dt
	avail := w.backlog + a
	s := min(avail, capWork)
	w.backlog = avail - s
	w.arrived += a
	w.served += s
	w.stepArrived += a
	w.stepServed += s
	w.stepCap += capWork
	w.winArrived += a
	w.winServed += s
	w.winCap += capWork
	prov := float64(len(w.ready) + len(w.pending))
	w.instSec += prov * dt
	w.unitSec += w.provUnits * dt
	w.stepCost += w.provUnits * dt / 3600 * w.cfg.Price.USDPerHour
	if w.budgetPerHour > 0 && w.provUnits*w.cfg.Price.USDPerHour > w.budgetPerHour {
		w.breachSec += dt
	}
	w.now = t
}

// stepBoundary closes the step that ends at w.now and opens the next one.
// It reports done when the load has no more steps.
func (w *world) stepBoundary() (done bool, err error) {
	if w.k >= 0 {
		w.closeStep()
	}
	w.k++
	if err := w.fill(w.k + len(w.ahead) - 1); err != nil {
		return false, err
	}
	// Drop steps before k from the ring.
	for w.base < w.k && w.count > 0 {
		w.head = (w.head + 1) % len(w.ahead)
		w.base++
		w.count--
	}
	if w.count == 0 {
		return true, nil
	}
	w.lambda = w.ahead[w.head].rate
	return false, nil
}

func (w *world) closeStep() {
	info := w.ahead[w.head]
	lat := w.svc.latencyAfterNeed(info.rate, info.need, info.inv, w.readyUnits, w.backlog)
	miss := lat > w.svc.Objective.Seconds()
	stepSec := float64(w.step) / 1e9
	if miss {
		w.res.MissSteps++
		w.res.SLOMissFraction += w.stepArrived // requests; divided at the end
	}
	w.needSec += float64(info.need) * stepSec
	w.scorePredictions(info.rate, int64(w.k+1)*w.step)
	if w.cfg.Record != nil {
		u := 0.0
		if w.stepCap > 0 {
			u = w.stepServed / w.stepCap
		}
		w.cfg.Record(StepRecord{
			Time: w.timeAt(int64(w.k) * w.step), Demand: info.rate, Need: info.need,
			Ready: len(w.ready), Provisioned: len(w.ready) + len(w.pending),
			Utilization: u, Backlog: w.backlog, Latency: lat, Miss: miss, Cost: w.stepCost,
			HasForecast: w.hasDue, Forecast: w.lastDue.Mean,
			Lower80: w.lastDue.Lo80, Upper80: w.lastDue.Hi80, Lower95: w.lastDue.Lo95, Upper95: w.lastDue.Hi95,
		})
	}
	w.oom(w.stepServed / stepSec)
	w.stepArrived, w.stepServed, w.stepCap, w.stepCost = 0, 0, 0, 0
}

// fill resolves load steps up to index last into the look-ahead ring, or
// until the load ends.
func (w *world) fill(last int) error {
	for w.nSteps < 0 && w.base+w.count <= last && w.count < len(w.ahead) {
		k := w.base + w.count
		if w.feed != nil {
			info, ok, err := w.feed.next()
			if err != nil {
				return err
			}
			if !ok {
				w.nSteps = k
				break
			}
			w.ahead[(w.head+w.count)%len(w.ahead)] = info
			w.count++
			continue
		}
		rate, ok, err := w.load.mean(int64(k)*w.step, int64(k+1)*w.step)
		if err != nil {
			return err
		}
		if !ok {
			w.nSteps = k
			break
		}
		need, inv := w.svc.needInv(rate)
		w.ahead[(w.head+w.count)%len(w.ahead)] = stepInfo{rate: rate, need: need, inv: inv}
		w.count++
	}
	return nil
}

func (w *world) scrape() {
	var obs policy.Observation
	obs.Time = w.timeAt(w.now)
	if w.winCap > 0 || w.winArrived > 0 {
		win := float64(w.now-w.winStart) / 1e9
		obs.Valid = true
		obs.RequestRate = w.winArrived / win
		if w.winCap > 0 {
			obs.Utilization = min(1, w.winServed/w.winCap)
		}
		obs.Ready = len(w.ready)
		obs.Starting = len(w.pending)
		obs.Backlog = w.backlog
		obs.Capacity = w.svc.Capacity * w.units
		obs.MemoryUtilization = w.memoryUtilization(w.winServed / win)
	} else if w.now > w.winStart {
		// Nothing arrived and no instance served: an idle, valid sample.
		obs.Valid = true
	}
	obs.Size = w.size
	obs.OOMEvents = w.winOOM
	w.winOOM = 0
	if len(w.samples) == cap(w.samples) {
		w.samples = slices.Delete(w.samples, 0, 1)
	}
	w.samples = append(w.samples, sample{at: w.now, avail: w.now + int64(w.cfg.Scrape.Delay), obs: obs})
	w.winArrived, w.winServed, w.winCap = 0, 0, 0
	w.winStart = w.now
}

// Observe implements autoscaler.MetricsSource: the newest sample whose
// delay has passed.
func (w *world) Observe(now time.Time) (policy.Observation, error) {
	t := int64(now.Sub(w.start))
	for i := len(w.samples) - 1; i >= 0; i-- {
		if w.samples[i].avail <= t {
			return w.samples[i].obs, nil
		}
	}
	return policy.Observation{}, nil
}

// Current implements autoscaler.Orchestrator.
func (w *world) Current(time.Time) (int, error) { return len(w.ready) + len(w.pending), nil }

// Scale implements autoscaler.Orchestrator. New instances are ready after
// the start-up delay; removals take starting instances first, newest first,
// then ready ones, newest first, and stop billing at once.
func (w *world) Scale(now time.Time, target int) error {
	if target < 0 {
		return fmt.Errorf("sim: scale to %d instances", target)
	}
	t := int64(now.Sub(w.start))
	cur := len(w.ready) + len(w.pending)
	if target == cur {
		return nil
	}
	w.res.ScaleActions++
	for ; cur < target; cur++ {
		w.start1(t, instance{launch: t, units: w.units, mem: w.size.MemoryGiB}, false)
	}
	for ; cur > target; cur-- {
		var in instance
		if n := len(w.pending); n > 0 {
			in = w.pending[n-1].instance
			if w.pending[n-1].roll {
				w.rolling--
			}
			w.pending = w.pending[:n-1]
		} else {
			n := len(w.ready)
			in = w.ready[n-1]
			w.ready = w.ready[:n-1]
		}
		w.bill(in, t)
	}
	w.roll(t)
	w.recount()
	w.res.PeakInstances = max(w.res.PeakInstances, target)
	return nil
}

// start1 starts instance in, ready after the start-up delay.
func (w *world) start1(t int64, in instance, roll bool) {
	w.nextID++
	w.pending = append(w.pending, pendingInstance{instance: in, id: w.nextID, roll: roll})
	w.q.Push(Event{At: t + int64(w.svc.StartupDelay), Kind: evReady, Arg: w.nextID})
}

// bill charges instance in from its launch to t.
func (w *world) bill(in instance, t int64) {
	p := w.cfg.Price
	p.USDPerHour *= in.units
	w.spend += p.Charge(time.Duration(t - in.launch))
}

// recount sums the ready and billed capacity in base instances.
func (w *world) recount() {
	r := 0.0
	w.oomRisk = 0
	peak := w.svc.MemoryPerRequestGiB * float64(w.svc.Concurrency) // GiB at full concurrency, per unit
	for _, in := range w.ready {
		r += in.units
		if w.svc.MemoryBaseGiB+peak*in.units > in.mem {
			w.oomRisk++
		}
	}
	p := r
	for _, in := range w.pending {
		p += in.units
	}
	w.readyUnits, w.provUnits = r, p
}

// Size implements autoscaler.Resizer.
func (w *world) Size(time.Time) (policy.Size, error) { return w.size, nil }

// Resize implements autoscaler.Resizer. New instances get the new size at
// once; running ones are restarted at it in a rolling restart (see roll).
func (w *world) Resize(now time.Time, size policy.Size) error {
	if !validSize(size) {
		return fmt.Errorf("sim: resize to %+v", size)
	}
	if size == w.size {
		return nil
	}
	w.res.Resizes++
	w.size = size
	w.units = size.CPU / w.cfg.Size.CPU
	t := int64(now.Sub(w.start))
	w.roll(t)
	w.recount()
	return nil
}

func validSize(s policy.Size) bool {
	ok := func(x float64) bool { return x > 0 && !math.IsInf(x, 0) }
	return ok(s.CPU) && ok(s.MemoryGiB)
}

// roll continues a rolling restart after a resize, as a Kubernetes
// Deployment's rolling update with maxSurge 0 and maxUnavailable 25%: while
// fewer than max(1, ⌊n/4⌋) of the n instances are restarting for the
// resize, it restarts the oldest ready instance not yet at the current
// size. A restarted instance is billed at its old size up to now and at
// the new one from now, and is ready after the start-up delay.
func (w *world) roll(t int64) {
	limit := max(1, (len(w.ready)+len(w.pending))/4)
	for w.rolling < limit {
		i := slices.IndexFunc(w.ready, func(in instance) bool { return in.units != w.units || in.mem != w.size.MemoryGiB })
		if i < 0 {
			return
		}
		w.bill(w.ready[i], t)
		w.ready = slices.Delete(w.ready, i, i+1)
		w.start1(t, instance{launch: t, units: w.units, mem: w.size.MemoryGiB}, true)
		w.rolling++
		w.res.Restarts++
	}
}

// inFlight returns the requests in flight on a ready instance of units
// base instances when the pool serves served req/s: by Little's law the
// pool holds served·m/μ requests, shared in proportion to capacity, at
// most u·m on one instance (its concurrency). Queued requests wait at the
// load balancer and take no instance memory.
func (w *world) inFlight(served, units float64) float64 {
	if w.readyUnits <= 0 {
		return 0
	}
	m := float64(w.svc.Concurrency)
	return min(units*m, served*m/w.svc.Capacity*units/w.readyUnits)
}

// memoryUtilization returns the ready instances' memory use over their
// memory when the pool serves served req/s.
func (w *world) memoryUtilization(served float64) float64 {
	var use, mem float64
	for _, in := range w.ready {
		use += w.svc.MemoryBaseGiB + w.svc.MemoryPerRequestGiB*w.inFlight(served, in.units)
		mem += in.mem
	}
	if mem == 0 {
		return 0
	}
	return use / mem
}

// oom restarts every ready instance whose memory use, when the pool
// serves served req/s, exceeds its memory: it is killed and unavailable
// for the start-up delay, still billed.
func (w *world) oom(served float64) {
	if w.oomRisk == 0 {
		return // no ready instance can run out of memory even when saturated
	}
	killed := false
	for i := 0; i < len(w.ready); {
		in := w.ready[i]
		if w.svc.MemoryBaseGiB+w.svc.MemoryPerRequestGiB*w.inFlight(served, in.units) <= in.mem {
			i++
			continue
		}
		w.ready = slices.Delete(w.ready, i, i+1)
		w.start1(w.now, in, false)
		w.res.OOMKills++
		w.winOOM++
		killed = true
	}
	if killed {
		w.recount()
	}
}

func (w *world) finish(name string, loop *autoscaler.Loop) *Result {
	end := w.now
	for _, in := range w.ready {
		w.bill(in, end)
	}
	for _, p := range w.pending {
		w.bill(p.instance, end)
	}
	r := w.res
	r.Policy = name
	r.Start = w.start
	r.End = w.timeAt(end)
	r.Steps = w.nSteps
	r.Spend, r.SpendClassical, r.Classical = w.spend, w.spend, true
	r.SLOMissMinutes = float64(r.MissSteps) * w.cfg.Step.Minutes()
	if w.arrived > 0 {
		r.SLOMissFraction /= w.arrived
	} else {
		r.SLOMissFraction = 0
	}
	if sec := float64(end) / 1e9; sec > 0 {
		r.MeanInstances = w.instSec / sec
	}
	if w.needSec > 0 {
		r.OverprovisionRatio = w.unitSec / w.needSec
	}
	if w.instSec > 0 {
		r.MeanInstanceCPU = w.unitSec / w.instSec * w.cfg.Size.CPU
	}
	r.Arrived, r.Served, r.Backlog = w.arrived, w.served, w.backlog
	r.BudgetBreachMinutes = w.breachSec / 60
	st := loop.Stats(r.End)
	r.Retries, r.FailedActions = st.Retries, st.FailedActions
	r.BreakerOpenMinutes = st.BreakerOpen.Minutes()
	if a := w.fc; a.n > 0 {
		n := float64(a.n)
		r.Forecast = &ForecastScore{
			Forecasts: a.n, HorizonSeconds: a.horizon / n, SMAPE: a.smape / n,
			Coverage80: float64(a.in80) / n, Coverage95: float64(a.in95) / n,
		}
		if a.naive > 0 {
			r.Forecast.MASE = a.absErr / a.naive
		}
		if a.absY > 0 {
			r.Forecast.WAPE = a.absErr / a.absY
			r.Forecast.Accuracy = 1 - r.Forecast.WAPE
		}
	}
	return &r
}

// scorePredictions scores the pending predictions whose target time falls
// before end, the end of the step just closed, against its demand y.
func (w *world) scorePredictions(y float64, end int64) {
	kept := w.predictions[:0]
	for _, pr := range w.predictions {
		if pr.at >= end {
			kept = append(kept, pr)
			continue
		}
		a := &w.fc
		a.n++
		a.horizon += float64(pr.at-pr.made) / 1e9
		e := math.Abs(y - pr.p.Mean)
		if d := math.Abs(y) + math.Abs(pr.p.Mean); d > 0 {
			a.smape += 200 * e / d
		}
		a.absErr += e
		a.absY += math.Abs(y)
		a.naive += math.Abs(y - pr.yMade)
		if y >= pr.p.Lo80 && y <= pr.p.Hi80 {
			a.in80++
		}
		if y >= pr.p.Lo95 && y <= pr.p.Hi95 {
			a.in95++
		}
		w.lastDue, w.hasDue = pr.p, true
	}
	w.predictions = kept
}

// foresight lets a clairvoyant policy read the look-ahead ring.
type foresight struct{ w *world }

// PeakNeed implements policy.Foresight over the steps that overlap
// [from, to]. Steps past the end of the load need nothing.
func (f foresight) PeakNeed(from, to time.Time) int {
	w := f.w
	a := int(int64(from.Sub(w.start)) / w.step)
	b := int(int64(to.Sub(w.start)) / w.step)
	if from.Before(w.start) {
		a = 0
	}
	peak := 0
	for k := max(a, w.base); k <= b && k < w.base+w.count; k++ {
		peak = max(peak, w.ahead[(w.head+k-w.base)%len(w.ahead)].need)
	}
	return peak
}
