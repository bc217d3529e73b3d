package live

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
)

// Clock is the time the Runner reads: k8s.io/utils/clock's PassiveClock
// plus After. RealClock is the wall clock; tests run under testing/synctest.
type Clock interface {
	Now() time.Time
	Since(t time.Time) time.Duration
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

func (RealClock) Now() time.Time                         { return time.Now() }
func (RealClock) Since(t time.Time) time.Duration        { return time.Since(t) }
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Sampler gives the observation of a pass; PromSource is one.
type Sampler interface {
	Sample(now time.Time) Sample
}

// Runner drives an autoscaler.Loop on a real clock: a pass every Sync
// period (Sample, then Loop.Step), and a Loop.Retry whenever one is due in
// between. It logs each pass, updates Metrics and appends to Recorder.
// Fields must be set before Run and not changed after.
type Runner struct {
	Loop   *autoscaler.Loop
	Source Sampler
	// Guard, when not nil, is the NoScaleInOnPartial the Loop's policy is
	// wrapped in: Run sets its Partial flag before each pass.
	Guard *NoScaleInOnPartial
	// Orchestrator is the Loop's orchestrator wrapped by Timed, so that
	// the decision latency leaves out the orchestrator's own time; nil
	// counts it in.
	Orchestrator *Timed
	// MetricsBreaker is the breaker around the metrics queries, exported
	// with the orchestrator's; nil when there is none.
	MetricsBreaker *autoscaler.Breaker
	Sync           time.Duration // between two passes [15 s]
	PricePerHour   float64       // USD per instance-hour, for cost_usd_per_hour
	Clock          Clock         // [RealClock]
	Log            *slog.Logger  // [discard]
	Metrics        *Metrics      // nil: none
	Recorder       *Recorder     // nil: none

	once      sync.Once
	ready     atomic.Bool
	lastPass  atomic.Int64 // Unix nanoseconds of the last pass
	syncNanos atomic.Int64 // Sync, for Healthz
	passes    atomic.Int64

	mu       sync.Mutex
	lastRate float64
	trips    map[string]int
}

// Ready reports whether a pass has had a valid observation.
func (r *Runner) Ready() bool { return r.ready.Load() }

// Passes returns how many passes Run has made.
func (r *Runner) Passes() int64 { return r.passes.Load() }

// Run makes passes until ctx ends, then lets the pass in flight finish,
// fsyncs the recording and returns nil. Only a recording failure ends it
// early, with that error.
func (r *Runner) Run(ctx context.Context) error {
	r.once.Do(r.defaults)
	next := r.Clock.Now()
	for {
		now := r.Clock.Now()
		wake := next
		if at, ok := r.Loop.NextRetry(); ok && at.Before(wake) {
			wake = at
		}
		if d := wake.Sub(now); d > 0 {
			select {
			case <-ctx.Done():
				return r.finish()
			case <-r.Clock.After(d):
			}
			now = r.Clock.Now()
		} else if ctx.Err() != nil {
			return r.finish()
		}
		if d, ok := r.Loop.Retry(now); ok {
			r.report(now, d, Sample{}, true)
		}
		if !now.Before(next) {
			if err := r.Pass(now); err != nil {
				return err
			}
			next = next.Add(r.Sync)
			if !next.After(now) { // a pass took longer than a period: skip, don't burst
				next = now.Add(r.Sync)
			}
		}
	}
}

// defaults fills in the zero fields.
func (r *Runner) defaults() {
	if r.Sync <= 0 {
		r.Sync = 15 * time.Second
	}
	if r.Clock == nil {
		r.Clock = RealClock{}
	}
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
	r.trips = map[string]int{}
	r.syncNanos.Store(int64(r.Sync))
}

func (r *Runner) finish() error {
	if r.Recorder != nil {
		return r.Recorder.Sync()
	}
	return nil
}

// Pass makes one pass at time now: sample, decide, act, report. Run calls
// it once per sync period; call it directly only when not using Run.
func (r *Runner) Pass(now time.Time) error {
	r.once.Do(r.defaults)
	smp := r.Source.Sample(now)
	if r.Guard != nil {
		r.Guard.Partial = smp.Partial
	}
	start := r.Clock.Now()
	if r.Orchestrator != nil {
		r.Orchestrator.Reset()
	}
	d := r.Loop.Step(now, smp.Obs)
	lat := r.Clock.Since(start)
	if r.Orchestrator != nil {
		lat -= r.Orchestrator.Spent()
	}
	r.passes.Add(1)
	r.lastPass.Store(now.UnixNano())
	if smp.Obs.Valid {
		r.ready.Store(true)
	}
	if r.Metrics != nil {
		r.Metrics.DecisionLatency.Observe(max(lat, 0).Seconds())
	}
	return r.report(now, d, smp, false)
}

// report logs, exports and records a pass or a retry.
func (r *Runner) report(now time.Time, d autoscaler.Decision, smp Sample, retry bool) error {
	obs := smp.Obs
	cur := d.Previous
	if d.Scaled && d.Err == nil {
		cur = d.Target
	}
	attrs := make([]slog.Attr, 0, 20)
	attrs = append(attrs, slog.Bool("retry", retry))
	if !retry { // a retry repeats a call; its inputs are those of the pass that decided it
		attrs = append(attrs,
			slog.Bool("valid", obs.Valid),
			slog.Float64("requests_per_second", obs.RequestRate),
			slog.Float64("cpu_utilization", obs.Utilization),
			slog.Float64("memory_utilization", obs.MemoryUtilization),
			slog.Int("ready", obs.Ready),
			slog.Int("starting", obs.Starting))
	}
	attrs = append(attrs,
		slog.Int("current", d.Previous),
		slog.Int("proposed", d.Proposed),
		slog.Int("target", d.Target),
		slog.String("reason", d.Reason),
		slog.Bool("scaled", d.Scaled))
	if !d.Size.IsZero() { // not actuated live: no orchestrator here resizes
		attrs = append(attrs, slog.Float64("size_cpu", d.Size.CPU), slog.Float64("size_memory_gib", d.Size.MemoryGiB))
	}
	if smp.Partial {
		attrs = append(attrs, slog.Any("missing", smp.Missing))
		if smp.Err != nil {
			attrs = append(attrs, slog.String("metrics_error", smp.Err.Error()))
		}
	}
	level := slog.LevelInfo
	if d.Err != nil {
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("err", d.Err.Error()), slog.Int("attempt", d.Attempt), slog.Bool("gave_up", d.GaveUp))
		if !d.RetryAt.IsZero() {
			attrs = append(attrs, slog.Time("retry_at", d.RetryAt))
		}
	}
	r.Log.LogAttrs(context.Background(), level, "decision", attrs...)

	if m := r.Metrics; m != nil {
		r.export(now, d, smp, cur, retry)
	}
	if r.Recorder == nil || retry {
		return nil
	}
	rate := obs.RequestRate
	r.mu.Lock()
	if obs.Valid {
		r.lastRate = rate
	} else {
		rate = r.lastRate
	}
	r.mu.Unlock()
	err := r.Recorder.Write(Record{
		Time: now, RequestRate: rate, CPU: obs.Utilization, Memory: obs.MemoryUtilization, Quantum: smp.Quantum,
		Ready: obs.Ready, Starting: obs.Starting, Current: d.Previous, Proposed: d.Proposed, Target: d.Target,
		Scaled: d.Scaled, Err: d.Err != nil, Partial: smp.Partial, Valid: obs.Valid,
	})
	if errors.Is(err, ErrNotAfter) { // the clock stepped back: skip the row, keep going
		r.Log.Warn("recording: row skipped", "err", err.Error())
		return nil
	}
	return err
}

func (r *Runner) export(now time.Time, d autoscaler.Decision, smp Sample, cur int, retry bool) {
	m := r.Metrics
	obs := smp.Obs
	if !retry {
		if obs.Valid {
			m.RequestRate.Set(obs.RequestRate)
			m.CPU.Set(obs.Utilization)
			m.Memory.Set(obs.MemoryUtilization)
			m.Quantum.Set(smp.Quantum)
		}
		m.Ready.Set(float64(obs.Ready))
		for _, what := range smp.Missing {
			m.ObservationFailures.WithLabelValues(what).Inc()
		}
		m.LastDecision.Set(float64(now.UnixNano()) / 1e9)
	}
	if d.Err == nil || d.Previous > 0 || d.Scaled {
		m.Instances.Set(float64(cur))
		m.Cost.Set(float64(cur) * r.PricePerHour)
	}
	m.Desired.Set(float64(d.Target))
	outcome := "hold"
	switch {
	case d.Err != nil:
		outcome = "error"
	case d.Scaled && d.Target > d.Previous:
		outcome = "scale_up"
	case d.Scaled:
		outcome = "scale_down"
	}
	m.Decisions.WithLabelValues(outcome).Inc()
	if d.Scaled {
		dir, res := "up", "ok"
		if d.Target < d.Previous {
			dir = "down"
		}
		if d.Err != nil {
			res = "error"
		}
		m.ScaleActions.WithLabelValues(dir, res).Inc()
		if d.Attempt > 0 {
			m.Retries.Inc()
		}
	}
	healthy := obs.Valid || retry
	for name, b := range map[string]*autoscaler.Breaker{BreakerOrchestrator: r.Loop.Breaker(), BreakerMetrics: r.MetricsBreaker} {
		if b == nil {
			continue
		}
		st := b.State(now)
		m.BreakerState.WithLabelValues(name).Set(breakerValue(st))
		if st != autoscaler.Closed {
			healthy = false
		}
		r.mu.Lock()
		if t := b.Trips(); t > r.trips[name] {
			m.BreakerTrips.WithLabelValues(name).Add(float64(t - r.trips[name]))
			r.trips[name] = t
		}
		r.mu.Unlock()
	}
	switch {
	case !healthy:
		m.Health.Set(0)
	case !retry: // a retry has no observation: the last pass's stands
		m.Health.Set(1)
	}
}

// Healthz answers 200 while passes keep coming (the last one less than
// three sync periods plus 30 s ago, or none yet), else 503.
func (r *Runner) Healthz(w http.ResponseWriter, req *http.Request) {
	last, sync := r.lastPass.Load(), time.Duration(r.syncNanos.Load())
	// The last pass's time is the Runner's clock; health is judged on the
	// wall clock, which is the same one outside tests.
	if last != 0 && time.Since(time.Unix(0, last)) > 3*sync+30*time.Second {
		http.Error(w, "control loop stalled", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

// Readyz answers 200 once a pass has had a valid observation, else 503.
func (r *Runner) Readyz(w http.ResponseWriter, req *http.Request) {
	if !r.Ready() {
		http.Error(w, "no valid observation yet", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

// Timed wraps an orchestrator and adds up the time its calls take, so
// that the decision latency can leave it out. It is meant for one driver
// goroutine, like the Loop.
type Timed struct {
	Orch  autoscaler.Orchestrator
	Clock Clock // [RealClock]
	spent time.Duration
}

var _ autoscaler.Orchestrator = (*Timed)(nil)

// Reset zeroes the time spent.
func (t *Timed) Reset() { t.spent = 0 }

// Spent returns the time spent in calls since Reset.
func (t *Timed) Spent() time.Duration { return t.spent }

func (t *Timed) clock() Clock {
	if t.Clock == nil {
		return RealClock{}
	}
	return t.Clock
}

// Current calls the wrapped orchestrator's Current.
func (t *Timed) Current(now time.Time) (int, error) {
	s := t.clock().Now()
	n, err := t.Orch.Current(now)
	t.spent += t.clock().Since(s)
	return n, err
}

// Scale calls the wrapped orchestrator's Scale.
func (t *Timed) Scale(now time.Time, target int) error {
	s := t.clock().Now()
	err := t.Orch.Scale(now, target)
	t.spent += t.clock().Since(s)
	return err
}

// DryRun is an orchestrator that reads the real one and changes nothing:
// Scale only logs the target it would have set.
type DryRun struct {
	Orch autoscaler.Orchestrator
	Log  *slog.Logger
}

var _ autoscaler.Orchestrator = (*DryRun)(nil)

// Current returns the real orchestrator's count.
func (d *DryRun) Current(now time.Time) (int, error) { return d.Orch.Current(now) }

// Scale logs the target and returns nil.
func (d *DryRun) Scale(now time.Time, target int) error {
	if d.Log != nil {
		d.Log.Info("dry run: not scaling", "target", target)
	}
	return nil
}
