package omnixan

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/policy"
)

// The three collaborators a Module is given are the engine's own
// interfaces, as type aliases: anything that implements
// autoscaler.MetricsSource, autoscaler.Orchestrator or
// autoscaler.LoadBalancer — the simulator's pieces, the live adapters
// (Prometheus, Kubernetes, processes, HAProxy), SimulatedCluster, or a type
// of your own — is usable as is, with no adapter in between.
type (
	// MetricsCollector is autoscaler.MetricsSource: Observe(now) returns
	// the latest observation as a collector sees it at time now. The
	// module calls it with the lock held, from one goroutine at a time.
	MetricsCollector = autoscaler.MetricsSource
	// ContainerOrchestrator is autoscaler.Orchestrator: Current(now)
	// reports the target instance count (ready plus starting) and
	// Scale(now, n) sets it. Errors wrapped with Transient are retried.
	// One that also implements autoscaler.Resizer can change instance
	// sizes (vertical and hybrid scaling, ResourceSpec.CPU). The module
	// calls it from one goroutine at a time.
	ContainerOrchestrator = autoscaler.Orchestrator
	// LoadBalancer is autoscaler.LoadBalancer, the original module's
	// LoadBalancerProtocol. An orchestrator that starts instances itself
	// registers them with it; the module lists its backends in Status.
	// Implementations must be safe for concurrent use.
	LoadBalancer = autoscaler.LoadBalancer
	// Backend is autoscaler.Backend, one instance behind a LoadBalancer.
	Backend = autoscaler.Backend
	// Resizer is autoscaler.Resizer, the optional interface of an
	// orchestrator that can change the instances' size.
	Resizer = autoscaler.Resizer
	// Size is policy.Size, an instance's vCPUs and GiB of memory.
	Size = policy.Size
	// Observation is policy.Observation, what a MetricsCollector returns.
	Observation = policy.Observation
)

// QuantumWorkloadSource is implemented by a MetricsCollector that also
// reports the quantum workload. Without it Metrics.QuantumWorkload is 0.
type QuantumWorkloadSource interface {
	// QuantumWorkload returns the qubits in use at time now (the mean
	// number of qubits occupied by running quantum jobs), which the
	// module prices at Config.QuantumCostPerQubitHour.
	QuantumWorkload(now time.Time) (float64, error)
}

// Options are a Module's collaborators and engine settings, which the
// original module's AutoScalingConfig did not hold. A nil *Options is not
// enough: Collector and Orchestrator are required. Other zero fields take
// the defaults in brackets.
type Options struct {
	// Collector reads the metrics; required.
	Collector MetricsCollector
	// Orchestrator scales the workload; required.
	Orchestrator ContainerOrchestrator
	// LoadBalancer, when not nil, is listed in Status [none].
	LoadBalancer LoadBalancer
	// Now returns the current time [time.Now]. Every time the module uses,
	// and passes to the collector, orchestrator and breaker, comes from
	// it: inject a VirtualClock's Now for deterministic runs. It must not
	// go backwards.
	Now func() time.Time
	// Sleep waits for d or until ctx is done, returning ctx.Err() then
	// [a timer]. The module sleeps between the retries of a failed scale
	// call, without holding its lock, and between Run's passes.
	// VirtualClock.Sleep advances virtual time instead of waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives the module's records at Config.LogLevel and above
	// [none: records are discarded].
	Logger *slog.Logger
	// CoresPerInstance is the vCPUs of one instance, used to price
	// instances when the collector reports no Observation.Size [2].
	CoresPerInstance float64
	// Breaker and Retry configure the circuit breaker and the retries
	// around Scale calls [the engine's defaults: open after 5 failures in
	// a row or half of the last 20 calls, for 30 s; up to 4 calls per
	// action, exponential backoff with full jitter from 1 s to 30 s].
	Breaker autoscaler.BreakerConfig
	Retry   autoscaler.RetryConfig
	// Seed seeds the retry jitter: the same seed, the same retry times [0].
	Seed uint64
	// HistoryStep is the spacing of the request-rate history that
	// PredictWorkload forecasts from: the observations within a step are
	// averaged [5 min].
	HistoryStep time.Duration
	// History is how much of it is kept [14 days].
	History time.Duration
}

// VirtualClock is a clock that moves only when told to, for examples,
// tests and simulations: Now returns the virtual time, Advance and Sleep
// move it forward. Pass its Now and Sleep methods in Options. It is safe
// for concurrent use.
type VirtualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewVirtualClock returns a clock that reads start.
func NewVirtualClock(start time.Time) *VirtualClock { return &VirtualClock{t: start} }

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d (backward when d < 0, which the
// module's breaker does not expect: don't).
func (c *VirtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Sleep advances the clock by d at once, unless ctx is already done.
func (c *VirtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// sleepReal is the default Options.Sleep.
func sleepReal(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// levelHandler drops the records below a level before they reach h.
type levelHandler struct {
	min slog.Level
	h   slog.Handler
}

func (l levelHandler) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= l.min && l.h.Enabled(ctx, lv)
}
func (l levelHandler) Handle(ctx context.Context, r slog.Record) error { return l.h.Handle(ctx, r) }
func (l levelHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return levelHandler{l.min, l.h.WithAttrs(a)}
}
func (l levelHandler) WithGroup(g string) slog.Handler { return levelHandler{l.min, l.h.WithGroup(g)} }
