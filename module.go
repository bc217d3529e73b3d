package omnixan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/cost"
	"github.com/omnixan/omnixan/forecast"
	"github.com/omnixan/omnixan/policy"
)

// Module is the auto-scaling module, the original's AutoScalingModule:
// a control loop (autoscaler.Loop) over an injected collector and
// orchestrator, with manual scaling, metrics, workload prediction and cost
// reports beside it.
//
// The life cycle is New, Initialize, then any of the other methods, then
// Shutdown. ConfigureScaling may come before or after Initialize; until it
// is called the zero Policy (the original's defaults) is in force.
//
// A Module is safe for concurrent use. Its methods take one lock, so calls
// to the collector and the orchestrator never overlap; the only waits are
// the pauses between the retries of a failed scale call, during which the
// lock is released and other calls proceed (a check_and_scale that
// decides meanwhile supersedes a pending retry of the loop's). Every time
// comes from Options.Now.
type Module struct {
	cfg   Config
	opt   Options
	log   *slog.Logger
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	stopCtx  context.Context
	stop     context.CancelFunc
	inflight sync.WaitGroup

	mu          sync.Mutex
	initialized bool
	closed      bool
	pol         Policy
	th          Thresholds
	loop        *autoscaler.Loop
	retry       *autoscaler.Retry // manual actions' retries
	manual      Stats             // manual actions' counters
	retired     Stats             // counters of loops replaced by ConfigureScaling
	hist        history
	lastObs     policy.Observation
	spent       float64   // USD
	rate        float64   // USD per hour at spentAt
	spentAt     time.Time // zero before the first observation
}

// Stream of the manual actions' retry jitter in the PCG seeded with
// Options.Seed ("manual").
const manualStream = 0x6d616e75616c

// New returns a Module, or a *ConfigurationError naming the bad field of
// cfg or opts (as "Options.Collector"). It calls nothing: Initialize does.
func New(cfg Config, opts *Options) (*Module, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if opts == nil {
		return nil, configError("Options", "is required (Collector and Orchestrator)", nil)
	}
	o := *opts
	switch {
	case o.Collector == nil:
		return nil, configError("Options.Collector", "is required", nil)
	case o.Orchestrator == nil:
		return nil, configError("Options.Orchestrator", "is required", nil)
	case !(o.CoresPerInstance >= 0) || math.IsInf(o.CoresPerInstance, 0):
		return nil, configError("Options.CoresPerInstance", fmt.Sprintf("= %v, want a finite vCPU count ≥ 0", o.CoresPerInstance), nil)
	case o.HistoryStep < 0:
		return nil, configError("Options.HistoryStep", fmt.Sprintf("= %v, want ≥ 0", o.HistoryStep), nil)
	case o.History < 0:
		return nil, configError("Options.History", fmt.Sprintf("= %v, want ≥ 0", o.History), nil)
	}
	if err := o.Breaker.Validate(); err != nil {
		return nil, err
	}
	if o.CoresPerInstance == 0 {
		o.CoresPerInstance = 2
	}
	if o.HistoryStep == 0 {
		o.HistoryStep = 5 * time.Minute
	}
	if o.History == 0 {
		o.History = 14 * 24 * time.Hour
	}
	if o.History < 2*o.HistoryStep {
		return nil, configError("Options.History", fmt.Sprintf("= %v, want ≥ 2 × HistoryStep (%v)", o.History, o.HistoryStep), nil)
	}
	retry, err := autoscaler.NewRetry(o.Retry, rand.New(rand.NewPCG(o.Seed, manualStream)))
	if err != nil {
		return nil, err
	}
	lv, _ := ParseLogLevel(cfg.LogLevel) // validated above
	h := slog.DiscardHandler
	if o.Logger != nil {
		h = o.Logger.Handler()
	}
	m := &Module{
		cfg:   cfg,
		opt:   o,
		log:   slog.New(levelHandler{min: lv, h: h}).With("module", cfg.ModuleName),
		now:   o.Now,
		sleep: o.Sleep,
		retry: retry,
		hist:  history{step: o.HistoryStep, max: int(o.History / o.HistoryStep)},
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.sleep == nil {
		m.sleep = sleepReal
	}
	m.stopCtx, m.stop = context.WithCancel(context.Background())
	if err := m.configure(Policy{}, Thresholds{}); err != nil {
		return nil, err
	}
	return m, nil
}

// begin registers an operation; the returned context is also cancelled
// by Shutdown, and done must be called when the operation ends.
func (m *Module) begin(ctx context.Context) (context.Context, func(), error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, nil, ErrShutdown
	}
	m.inflight.Add(1)
	m.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	unhook := context.AfterFunc(m.stopCtx, cancel)
	return ctx, func() { unhook(); cancel(); m.inflight.Done() }, nil
}

// Initialize checks the collaborators: it reads the orchestrator's count,
// takes a first observation and lists the load balancer's backends. It is
// idempotent. Errors are *ScalingError (Op "current") for the
// orchestrator, or the collector's or load balancer's error wrapped.
func (m *Module) Initialize(ctx context.Context) error {
	ctx, done, err := m.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.initialized {
		return nil
	}
	now := m.now()
	n, err := m.opt.Orchestrator.Current(now)
	if err != nil {
		return &ScalingError{Op: autoscaler.OpCurrent, Err: err}
	}
	obs, err := m.opt.Collector.Observe(now)
	if err != nil {
		return fmt.Errorf("omnixan: initialize: metrics collector: %w", err)
	}
	if m.opt.LoadBalancer != nil {
		if _, err := m.opt.LoadBalancer.Backends(ctx); err != nil {
			return fmt.Errorf("omnixan: initialize: load balancer: %w", err)
		}
	}
	m.record(now, obs, nil)
	m.initialized = true
	m.log.Info("initialized", "instances", n, "policy", m.pol.Name, "scaling_type", string(m.pol.ScalingType))
	return nil
}

// ConfigureScaling puts p and t in force. p is validated after defaults
// (a *ConfigurationError naming the field, such as "MaxInstances"), as is
// t. A vertical policy needs an orchestrator that implements Resizer.
//
// The control loop is rebuilt: its cooldown, forecast history, circuit
// breaker and pending retry start afresh; its counters carry over into
// Status.Stats.
func (m *Module) ConfigureScaling(ctx context.Context, p Policy, t Thresholds) error {
	_, done, err := m.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.configure(p, t)
}

func (m *Module) configure(p Policy, t Thresholds) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := t.Validate(); err != nil {
		return err
	}
	p = p.WithDefaults()
	if _, ok := m.opt.Orchestrator.(Resizer); p.ScalingType == Vertical && !ok {
		return configError("ScalingType", "= vertical, but the orchestrator cannot resize (it does not implement Resizer)", nil)
	}
	engine, err := p.engine(t, m.cfg.CPUCostPerCoreHour)
	if err != nil {
		return err
	}
	bc := m.opt.Breaker
	user := bc.OnTransition
	bc.OnTransition = func(tr autoscaler.Transition) {
		m.log.Warn("circuit breaker", "from", tr.From.String(), "to", tr.To.String(), "at", tr.At)
		if user != nil {
			user(tr)
		}
	}
	loop, err := autoscaler.New(autoscaler.Config{
		Min:           p.MinInstances,
		Max:           p.MaxInstances,
		BudgetPerHour: m.cfg.MaxBudgetUSDPerHour,
		Price:         cost.InstanceHour{USDPerHour: m.opt.CoresPerInstance * m.cfg.CPUCostPerCoreHour},
		PriceCPU:      m.opt.CoresPerInstance,
		Breaker:       bc,
		Retry:         m.opt.Retry,
		Seed:          m.opt.Seed,
	}, engine, m.opt.Collector, m.opt.Orchestrator)
	if err != nil {
		return err
	}
	if m.loop != nil {
		m.retired = addStats(m.retired, m.loop.Stats(m.now()))
	}
	m.loop, m.pol, m.th = loop, p, t
	m.log.Info("scaling configured", "policy", p.Name, "scaling_type", string(p.ScalingType),
		"min", p.MinInstances, "max", p.MaxInstances, "predictive", p.Predictive)
	return nil
}

// Execute runs one Action, as the original module's execute did. An
// unknown action is a *ConfigurationError on "Request.Action". The error
// is the action's; the Response may be filled in as well (a ScalingResult
// explains a failed scale).
func (m *Module) Execute(ctx context.Context, req Request) (Response, error) {
	resp := Response{Action: req.Action}
	var err error
	switch req.Action {
	case ActionCheckAndScale:
		var r ScalingResult
		r, err = m.CheckAndScale(ctx)
		resp.Result = &r
	case ActionScaleUp:
		var r ScalingResult
		r, err = m.ScaleUp(ctx, req.Resources)
		resp.Result = &r
	case ActionScaleDown:
		var r ScalingResult
		r, err = m.ScaleDown(ctx, req.Resources)
		resp.Result = &r
	case ActionGetMetrics:
		var x Metrics
		if x, err = m.Metrics(ctx); err == nil {
			resp.Metrics = &x
		}
	case ActionPredictWorkload:
		h := req.Horizon
		if h == 0 {
			h = time.Hour
		}
		var x WorkloadPrediction
		if x, err = m.PredictWorkload(ctx, h); err == nil {
			resp.Prediction = &x
		}
	case ActionConfigureScaling:
		if err = m.ConfigureScaling(ctx, req.Policy, req.Thresholds); err == nil {
			var s Status
			if s, err = m.Status(ctx); err == nil {
				resp.Status = &s
			}
		}
	case ActionGetStatus:
		var s Status
		if s, err = m.Status(ctx); err == nil {
			resp.Status = &s
		}
	case ActionOptimizeCosts:
		var c CostReport
		c, err = m.OptimizeCosts(ctx)
		resp.Costs = &c
	default:
		err = configError("Request.Action", fmt.Sprintf("= %q, want one of check_and_scale, scale_up, scale_down, get_metrics, predict_workload, configure_scaling, get_status, optimize_costs", req.Action), nil)
	}
	return resp, err
}

// CheckAndScale is the check_and_scale action: it reads the metrics and
// runs one pass of the control loop (policy, bounds and budget, breaker),
// then waits out and makes the loop's retries of a transiently failed
// call. The error, when not nil, is the last call's: a *ScalingError, or
// a *CircuitBreakerOpenError when the breaker refused the call. A
// collector error does not fail the pass: the policy decides without
// metrics (most keep the count).
func (m *Module) CheckAndScale(ctx context.Context) (ScalingResult, error) {
	ctx, done, err := m.begin(ctx)
	if err != nil {
		return ScalingResult{}, err
	}
	defer done()
	m.mu.Lock()
	if !m.initialized {
		m.mu.Unlock()
		return ScalingResult{}, ErrNotInitialized
	}
	now := m.now()
	obs := m.observe(now)
	loop := m.loop
	d := loop.Step(now, obs)
	res := ScalingResult{Time: now, Previous: d.Previous, Requested: d.Proposed, Target: d.Target, Size: d.Size, Reason: d.Reason}
	res.record(d)
	m.logDecision(d)
	m.mu.Unlock()
	fin := func(err error) (ScalingResult, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.finish(res), err
	}
	for !d.RetryAt.IsZero() {
		if err := m.sleep(ctx, d.RetryAt.Sub(m.now())); err != nil {
			res.Success = false
			return fin(errors.Join(d.Err, err))
		}
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			res.Success = false
			return fin(errors.Join(d.Err, ErrShutdown))
		}
		if m.loop != loop {
			m.mu.Unlock()
			res.Success = false
			res.Reason += "; retry dropped: the policy was reconfigured"
			return fin(d.Err)
		}
		next, ok := loop.Retry(m.now())
		if !ok {
			at, pending := loop.NextRetry()
			m.mu.Unlock()
			if pending && at.Equal(d.RetryAt) {
				continue // woken early: wait again
			}
			res.Reason += "; retry superseded by a newer decision"
			return fin(d.Err)
		}
		m.logDecision(next)
		res.record(next)
		m.mu.Unlock()
		d = next
	}
	return fin(d.Err)
}

// Run calls CheckAndScale every period (the sync period; 15 s is the
// Kubernetes HPA's) until ctx is done or the module shuts down, waiting
// with Options.Sleep; the first pass is at once. A pass that fails is
// logged and does not stop the loop: the next pass decides again. It
// returns ctx's error, ErrShutdown, or ErrNotInitialized when called
// before Initialize. A period ≤ 0 is a *ConfigurationError on "period".
//
// With the default Options.Now and Sleep this is the live driver; with a
// VirtualClock it runs a simulation as fast as the collector answers
// (until ctx is cancelled).
func (m *Module) Run(ctx context.Context, period time.Duration) error {
	if period <= 0 {
		return configError("period", fmt.Sprintf("= %v, want > 0", period), nil)
	}
	for {
		start := m.now()
		if _, err := m.CheckAndScale(ctx); errors.Is(err, ErrShutdown) || errors.Is(err, ErrNotInitialized) {
			return err
		} else if err != nil && ctx.Err() == nil {
			m.log.Warn("check_and_scale failed", "error", err.Error())
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		wait := period - m.now().Sub(start)
		if wait <= 0 {
			continue
		}
		rctx, done, err := m.begin(ctx)
		if err != nil {
			return err
		}
		err = m.sleep(rctx, wait)
		done()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return ErrShutdown
		}
	}
}

// record adds a pass or retry of the loop to r.
func (r *ScalingResult) record(d autoscaler.Decision) {
	if d.Scaled {
		r.Calls++
	}
	if d.Resized {
		r.Calls++
	}
	r.Success = d.Err == nil
}

// finish fills in r's Action and cost. Called with m.mu held.
func (m *Module) finish(r ScalingResult) ScalingResult {
	switch {
	case r.Target > r.Previous:
		r.Action = "scale_up"
	case r.Target < r.Previous:
		r.Action = "scale_down"
	case !r.Size.IsZero():
		r.Action = "resize"
	default:
		r.Action = "none"
	}
	r.CostUSDPerHour = float64(r.Target) * m.instanceUSDPerHour(r.Size)
	return r
}

func (m *Module) logDecision(d autoscaler.Decision) {
	attrs := []any{"previous", d.Previous, "proposed", d.Proposed, "target", d.Target, "reason", d.Reason, "attempt", d.Attempt}
	switch {
	case d.Err != nil:
		m.log.Warn("scale failed", append(attrs, "error", d.Err.Error(), "retry_at", d.RetryAt)...)
	case d.Scaled || d.Resized:
		m.log.Info("scaled", attrs...)
	default:
		m.log.Debug("decision", attrs...)
	}
}

// ScaleUp adds r.Instances instances (one for the zero ResourceSpec),
// and first sets the size when r gives one, through the circuit breaker
// with retries. The policy's cooldown does not apply. Errors:
//
//   - *ConfigurationError for a bad r, or a size without a Resizer;
//   - *ResourceExhaustedError (Resource "instances") when the count would
//     pass Policy.MaxInstances, or (Resource "budget") when its running
//     cost would pass Config.MaxBudgetUSDPerHour — nothing is sent then;
//   - *CircuitBreakerOpenError when the breaker refuses the call;
//   - *ScalingError wrapping the orchestrator's error otherwise.
func (m *Module) ScaleUp(ctx context.Context, r ResourceSpec) (ScalingResult, error) {
	return m.scaleManual(ctx, r, +1)
}

// ScaleDown removes r.Instances instances (one for the zero
// ResourceSpec), stopping at Policy.MinInstances (Reason says so), and sets
// the size when r gives one. Errors are ScaleUp's, except that MaxInstances
// cannot be passed; a larger size can still pass the budget.
func (m *Module) ScaleDown(ctx context.Context, r ResourceSpec) (ScalingResult, error) {
	return m.scaleManual(ctx, r, -1)
}

func (m *Module) scaleManual(ctx context.Context, r ResourceSpec, sign int) (ScalingResult, error) {
	op := string(ActionScaleUp)
	if sign < 0 {
		op = string(ActionScaleDown)
	}
	if err := r.Validate(); err != nil {
		return ScalingResult{}, err
	}
	ctx, done, err := m.begin(ctx)
	if err != nil {
		return ScalingResult{}, err
	}
	defer done()
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.initialized {
		return ScalingResult{}, ErrNotInitialized
	}
	now := m.now()
	cur, err := m.opt.Orchestrator.Current(now)
	if err != nil {
		return ScalingResult{}, &ScalingError{Op: autoscaler.OpCurrent, Err: err}
	}
	n := r.Instances
	if n == 0 && r.CPU == 0 && r.MemoryGiB == 0 {
		n = 1
	}
	res := ScalingResult{Time: now, Previous: cur, Requested: cur + sign*n, Target: cur + sign*n}
	size := m.currentSize(now)
	if r.CPU > 0 || r.MemoryGiB > 0 {
		if _, ok := m.opt.Orchestrator.(Resizer); !ok {
			field := "ResourceSpec.CPU"
			if r.CPU == 0 {
				field = "ResourceSpec.MemoryGiB"
			}
			return res, configError(field, "sets a size, but the orchestrator cannot resize (it does not implement Resizer)", nil)
		}
		want := size
		if r.CPU > 0 {
			want.CPU = r.CPU
		}
		if r.MemoryGiB > 0 {
			want.MemoryGiB = r.MemoryGiB
		}
		if want != size {
			res.Size, size = want, want
		}
	}
	p := m.pol
	var why []string
	if sign > 0 && res.Target > p.MaxInstances {
		m.manual.FailedActions++
		return m.finish(res), &ResourceExhaustedError{
			ScalingError: ScalingError{Op: op, Target: res.Target},
			Resource:     "instances", Available: max(0, p.MaxInstances-cur),
		}
	}
	if sign < 0 && res.Target < p.MinInstances {
		res.Target = p.MinInstances
		why = append(why, fmt.Sprintf("clamped to min %d", p.MinInstances))
	}
	if b := m.cfg.MaxBudgetUSDPerHour; b > 0 && (sign > 0 || !res.Size.IsZero()) {
		per := m.instanceUSDPerHour(size)
		if afford := (cost.InstanceHour{USDPerHour: per}).Affordable(b); res.Target > afford {
			m.manual.FailedActions++
			return m.finish(res), &ResourceExhaustedError{
				ScalingError: ScalingError{Op: op, Target: res.Target},
				Resource:     "budget", Available: max(0, afford-cur),
			}
		}
	}
	res.Reason = strings.Join(append([]string{"manual " + op}, why...), "; ")
	res.Success = true
	if !res.Size.IsZero() {
		rs := m.opt.Orchestrator.(Resizer)
		calls, err := m.call(ctx, autoscaler.OpResize, res.Target, true, func(now time.Time) error { return rs.Resize(now, res.Size) })
		res.Calls += calls
		if err != nil {
			res.Success = false
			return m.finish(res), err
		}
	}
	if res.Target != cur {
		calls, err := m.call(ctx, op, res.Target, false, func(now time.Time) error { return m.opt.Orchestrator.Scale(now, res.Target) })
		res.Calls += calls
		if err != nil {
			res.Success = false
			return m.finish(res), err
		}
	}
	m.log.Info("manual scale", "op", op, "previous", cur, "target", res.Target, "calls", res.Calls)
	return m.finish(res), nil
}

// call makes f, a Scale call or (resize) a Resize call, through the
// loop's circuit breaker, retrying transient failures after the manual
// retry schedule. It is called with m.mu held
// and returns with it held, releasing it while it waits for a retry. It
// returns the calls made and the final error: a *CircuitBreakerOpenError
// when the breaker refused, a *ScalingError wrapping f's error, ErrShutdown
// when the module shut down during a wait.
func (m *Module) call(ctx context.Context, op string, target int, resize bool, f func(time.Time) error) (int, error) {
	first := m.now()
	calls := 0
	for attempt := 1; ; attempt++ {
		now := m.now()
		b := m.loop.Breaker()
		if !b.Allow(now) {
			m.manual.Rejected++
			m.manual.FailedActions++
			return calls, &CircuitBreakerOpenError{ScalingError: ScalingError{Op: op, Target: target}, Until: b.ReadyAt(now)}
		}
		calls++
		if resize {
			m.manual.Resizes++
		} else {
			m.manual.Calls++
		}
		if attempt > 1 {
			m.manual.Retries++
		}
		err := f(now)
		b.Record(now, err)
		if err == nil {
			return calls, nil
		}
		m.manual.Failures++
		serr := &ScalingError{Op: op, Target: target, Err: err}
		at, ok := m.retry.Next(first, now, attempt, err)
		if ok && at.Before(b.ReadyAt(now)) {
			ok = false // this failure opened the breaker
		}
		if !ok {
			m.manual.FailedActions++
			m.log.Warn("scale failed", "op", op, "target", target, "attempt", attempt, "error", err.Error())
			return calls, serr
		}
		m.log.Warn("scale failed, will retry", "op", op, "target", target, "attempt", attempt, "retry_at", at, "error", err.Error())
		m.mu.Unlock()
		werr := m.sleep(ctx, at.Sub(m.now()))
		m.mu.Lock()
		if m.closed {
			return calls, errors.Join(serr, ErrShutdown)
		}
		if werr != nil {
			m.manual.FailedActions++
			return calls, errors.Join(serr, werr)
		}
	}
}

// currentSize returns the instances' size: the orchestrator's when it is
// a Resizer, else the last observation's, else CoresPerInstance vCPUs.
func (m *Module) currentSize(now time.Time) Size {
	if r, ok := m.opt.Orchestrator.(Resizer); ok {
		if s, err := r.Size(now); err == nil && !s.IsZero() {
			return s
		}
	}
	if !m.lastObs.Size.IsZero() {
		return m.lastObs.Size
	}
	return Size{CPU: m.opt.CoresPerInstance}
}

// instanceUSDPerHour prices one instance of size s (zero: the last
// observed or default size).
func (m *Module) instanceUSDPerHour(s Size) float64 {
	cpu := s.CPU
	if cpu == 0 {
		cpu = m.lastObs.Size.CPU
	}
	if cpu == 0 {
		cpu = m.opt.CoresPerInstance
	}
	return cpu * m.cfg.CPUCostPerCoreHour
}

// observe reads the collector at now, records the request rate in the
// history and the spend, and returns the observation (invalid when the
// collector failed). Called with m.mu held.
func (m *Module) observe(now time.Time) policy.Observation {
	obs, err := m.opt.Collector.Observe(now)
	return m.record(now, obs, err)
}

// record is observe on an observation already read.
func (m *Module) record(now time.Time, obs policy.Observation, err error) policy.Observation {
	if err != nil {
		m.log.Warn("metrics collector failed", "error", err.Error())
		obs = policy.Observation{}
	}
	if obs.Valid {
		m.hist.add(now, obs.RequestRate)
		m.lastObs = obs
	}
	n := obs.Ready + obs.Starting
	if !obs.Valid {
		n, _ = m.opt.Orchestrator.Current(now)
	}
	q, _ := m.quantum(now)
	if !m.spentAt.IsZero() && now.After(m.spentAt) {
		m.spent += m.rate * now.Sub(m.spentAt).Hours()
	}
	m.rate = float64(n)*m.instanceUSDPerHour(obs.Size) + q*m.cfg.QuantumCostPerQubitHour
	m.spentAt = now
	return obs
}

func (m *Module) quantum(now time.Time) (float64, error) {
	if q, ok := m.opt.Collector.(QuantumWorkloadSource); ok {
		v, err := q.QuantumWorkload(now)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return 0, err
		}
		return v, nil
	}
	return 0, nil
}

// Metrics reads the collector and the orchestrator and returns the six
// metrics. A collector failure is not an error: it shows as zero
// utilisations and HealthStatus Unhealthy. An orchestrator failure is a
// *ScalingError.
func (m *Module) Metrics(ctx context.Context) (Metrics, error) {
	_, done, err := m.begin(ctx)
	if err != nil {
		return Metrics{}, err
	}
	defer done()
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.initialized {
		return Metrics{}, ErrNotInitialized
	}
	now := m.now()
	obs := m.observe(now)
	n, err := m.opt.Orchestrator.Current(now)
	if err != nil {
		return Metrics{}, &ScalingError{Op: autoscaler.OpCurrent, Err: err}
	}
	q, _ := m.quantum(now)
	x := Metrics{
		Time:            now,
		QuantumWorkload: q,
		InstanceCount:   n,
		CostUSDPerHour:  float64(n)*m.instanceUSDPerHour(obs.Size) + q*m.cfg.QuantumCostPerQubitHour,
		HealthStatus:    Healthy,
	}
	if obs.Valid {
		x.CPUUtilization, x.MemoryUtilization = obs.Utilization, obs.MemoryUtilization
	}
	switch st := m.loop.Breaker().State(now); {
	case !obs.Valid || obs.Ready == 0 || st == autoscaler.Open:
		x.HealthStatus = Unhealthy
	case st == autoscaler.HalfOpen || obs.Backlog > 0:
		x.HealthStatus = Degraded
	}
	return x, nil
}

// PredictWorkload forecasts the request rate over the next horizon from
// the history of observations the module has made (every call that reads
// the metrics adds one), in steps of Options.HistoryStep, with
// forecast.Auto and seasons of 24 h and 168 h once the history holds two
// cycles of them. It needs at least four completed steps
// (ErrInsufficientHistory); a horizon ≤ 0 is a *ConfigurationError on
// "horizon".
func (m *Module) PredictWorkload(ctx context.Context, horizon time.Duration) (WorkloadPrediction, error) {
	if horizon <= 0 {
		return WorkloadPrediction{}, configError("horizon", fmt.Sprintf("= %v, want > 0", horizon), nil)
	}
	_, done, err := m.begin(ctx)
	if err != nil {
		return WorkloadPrediction{}, err
	}
	defer done()
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.initialized {
		return WorkloadPrediction{}, ErrNotInitialized
	}
	now := m.now()
	series, start := m.hist.series()
	if len(series) < 4 {
		return WorkloadPrediction{}, fmt.Errorf("%w: %d of 4 steps of %v", ErrInsufficientHistory, len(series), m.hist.step)
	}
	step := m.hist.step
	fo := &forecast.FitOptions{Start: start, Step: step}
	for _, s := range []time.Duration{24 * time.Hour, 168 * time.Hour} {
		if s%step == 0 {
			fo.Seasons = append(fo.Seasons, s)
		}
	}
	f, err := forecast.Auto{}.Fit(series, fo)
	if err != nil {
		return WorkloadPrediction{}, fmt.Errorf("omnixan: predict workload: %w", err)
	}
	h := int((horizon + step - 1) / step)
	pts := f.Forecast(nil, h)
	wp := WorkloadPrediction{Made: now, Step: step, Horizon: horizon, Method: "auto", History: len(series)}
	if af, ok := f.(*forecast.AutoForecaster); ok {
		wp.Method = strings.Join(af.Choice.Chosen, "+")
	}
	per := m.lastObs.Capacity * m.pol.TargetUtilization
	need := func(v float64) int {
		if per <= 0 {
			return 0
		}
		return int(math.Ceil(v/per - 1e-9))
	}
	last := start.Add(time.Duration(len(series)-1) * step)
	for i, p := range pts {
		p.Mean, p.Lo80, p.Hi80, p.Lo95, p.Hi95 = max(p.Mean, 0), max(p.Lo80, 0), max(p.Hi80, 0), max(p.Lo95, 0), max(p.Hi95, 0)
		pl := PredictedLoad{At: last.Add(time.Duration(i+1) * step), RequestRate: p, Instances: need(p.Mean), InstancesHi95: need(p.Hi95)}
		wp.Points = append(wp.Points, pl)
		if i == 0 || p.Mean > wp.Peak.RequestRate.Mean {
			wp.Peak = pl
		}
	}
	wp.RecommendedInstances = min(max(wp.Peak.Instances, m.pol.MinInstances), m.pol.MaxInstances)
	return wp, nil
}

// OptimizeCosts is the optimize_costs action. It reads the metrics and
// recommends the least instance count that runs the current request rate
// at Policy.TargetUtilization (⌈rate ÷ (capacity × target)⌉, or
// ⌈ready × utilisation ÷ target⌉ without a known capacity), within the
// policy's bounds and the budget. When Policy.CostOptimization is set and
// the recommendation is a scale-in, it applies it through the breaker
// with retries; the error is then that call's.
func (m *Module) OptimizeCosts(ctx context.Context) (CostReport, error) {
	ctx, done, err := m.begin(ctx)
	if err != nil {
		return CostReport{}, err
	}
	defer done()
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.initialized {
		return CostReport{}, ErrNotInitialized
	}
	now := m.now()
	obs := m.observe(now)
	cur, err := m.opt.Orchestrator.Current(now)
	if err != nil {
		return CostReport{}, &ScalingError{Op: autoscaler.OpCurrent, Err: err}
	}
	size := m.currentSize(now)
	per := m.instanceUSDPerHour(size)
	q, _ := m.quantum(now)
	qc := q * m.cfg.QuantumCostPerQubitHour
	rep := CostReport{Time: now, Instances: cur, Size: size, CurrentUSDPerHour: float64(cur)*per + qc, SpentUSD: m.spent}
	if !obs.Valid {
		rep.RecommendedInstances, rep.RecommendedUSDPerHour = cur, rep.CurrentUSDPerHour
		rep.Reason = "no metrics: keep the current count"
		return rep, nil
	}
	tu := m.pol.TargetUtilization
	var rec int
	if obs.Capacity > 0 {
		rec = int(math.Ceil((obs.RequestRate+obs.Backlog/60)/(obs.Capacity*tu) - 1e-9))
	} else {
		rec = int(math.Ceil(float64(obs.Ready)*obs.Utilization/tu - 1e-9))
	}
	rec, why := m.loop.Clamp(rec)
	rep.RecommendedInstances = rec
	rep.RecommendedUSDPerHour = float64(rec)*per + qc
	rep.SavingsUSDPerHour = rep.CurrentUSDPerHour - rep.RecommendedUSDPerHour
	switch {
	case rec < cur:
		rep.Reason = fmt.Sprintf("%d instances run the load at %.0f%% utilisation", rec, 100*tu)
	case rec > cur:
		rep.Reason = fmt.Sprintf("under-provisioned: the load needs %d instances at %.0f%% utilisation", rec, 100*tu)
	default:
		rep.Reason = "the fleet is the right size"
	}
	if why != "" {
		rep.Reason += " (clamped to " + why + ")"
	}
	if rec >= cur {
		return rep, nil
	}
	if !m.pol.CostOptimization {
		rep.Reason += "; not applied: Policy.CostOptimization is off"
		return rep, nil
	}
	_, err = m.call(ctx, string(ActionOptimizeCosts), rec, false, func(now time.Time) error { return m.opt.Orchestrator.Scale(now, rec) })
	rep.Applied = err == nil
	if err == nil {
		rep.Reason += "; applied"
		m.log.Info("cost optimisation applied", "previous", cur, "target", rec)
	}
	return rep, err
}

// Status is the get_status action: the policy in force, the instance
// count, the breaker and the counters. It does not read the metrics.
func (m *Module) Status(ctx context.Context) (Status, error) {
	_, done, err := m.begin(ctx)
	if err != nil {
		return Status{}, err
	}
	defer done()
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	s := Status{
		ModuleName:        m.cfg.ModuleName,
		Initialized:       m.initialized,
		Policy:            m.pol,
		Thresholds:        m.th,
		Instances:         -1,
		Breaker:           m.loop.Breaker().State(now),
		BreakerReadyAt:    m.loop.Breaker().ReadyAt(now),
		Stats:             addStats(addStats(m.retired, m.loop.Stats(now)), m.manual),
		BudgetUSDPerHour:  m.cfg.MaxBudgetUSDPerHour,
		SpentUSD:          m.spent,
		PrometheusEnabled: m.cfg.EnablePrometheus,
		PrometheusPort:    m.cfg.PrometheusPort,
	}
	if n, err := m.opt.Orchestrator.Current(now); err == nil {
		s.Instances = n
	}
	if m.opt.LoadBalancer != nil {
		b, err := m.opt.LoadBalancer.Backends(ctx)
		if err != nil {
			return s, fmt.Errorf("omnixan: status: load balancer: %w", err)
		}
		s.Backends = b
	}
	return s, nil
}

// Shutdown stops the module: calls in progress that wait for a retry are
// cancelled and return ErrShutdown, later calls return ErrShutdown. It
// waits for calls in progress to return, or for ctx, whose error it then
// returns. It sends nothing to the orchestrator: the workload keeps its
// instances. A second Shutdown returns nil at once.
func (m *Module) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	m.stop()
	waited := make(chan struct{})
	go func() { m.inflight.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-ctx.Done():
		return ctx.Err()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log.Info("shut down", "spent_usd", m.spent)
	return nil
}

func addStats(a, b Stats) Stats {
	a.Calls += b.Calls
	a.Retries += b.Retries
	a.Failures += b.Failures
	a.Rejected += b.Rejected
	a.FailedActions += b.FailedActions
	a.Superseded += b.Superseded
	a.BreakerTrips += b.BreakerTrips
	a.Resizes += b.Resizes
	a.BreakerOpen += b.BreakerOpen
	return a
}

// history buckets request rates by step: each completed step holds the
// mean of its observations; a step with none repeats the last mean.
type history struct {
	step  time.Duration
	max   int       // completed steps kept
	vals  []float64 // completed steps, oldest first
	start time.Time // start of vals[0]
	cur   time.Time // start of the step in progress; zero before any
	sum   float64
	n     int
}

func (h *history) add(t time.Time, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	b := t.Truncate(h.step)
	switch {
	case h.cur.IsZero():
		h.cur = b
	case b.After(h.cur):
		mean := h.sum / float64(h.n)
		if len(h.vals) == 0 {
			h.start = h.cur
		}
		k := int(b.Sub(h.cur) / h.step) // the step closed, and any empty ones after it
		if k > h.max {
			h.vals = h.vals[:0]
			h.start = b.Add(-time.Duration(h.max) * h.step)
			k = h.max
		}
		for range k {
			h.vals = append(h.vals, mean)
		}
		if drop := len(h.vals) - h.max; drop > 0 {
			h.vals = append(h.vals[:0], h.vals[drop:]...)
			h.start = h.start.Add(time.Duration(drop) * h.step)
		}
		h.cur, h.sum, h.n = b, 0, 0
	case b.Before(h.cur):
		return // late sample: its step is closed
	}
	h.sum += v
	h.n++
}

// series returns the completed steps and the start of the first.
func (h *history) series() ([]float64, time.Time) {
	return append([]float64(nil), h.vals...), h.start
}
