package omnixan

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/policy"
)

// LoadFunc is a workload as a function of time, in its own unit (req/s
// for requests, qubits for the quantum workload). It must be
// deterministic.
type LoadFunc func(t time.Time) float64

// Constant returns a LoadFunc that is v at all times.
func Constant(v float64) LoadFunc { return func(time.Time) float64 { return v } }

// Diurnal returns a daily cycle, mean + amplitude·sin(2π·(h − 6)/24) at
// hour of day h (UTC): mean at 06:00 and 18:00, peak at 12:00, trough at
// 00:00.
func Diurnal(mean, amplitude float64) LoadFunc {
	return func(t time.Time) float64 {
		h := float64(t.UTC().Hour()) + float64(t.UTC().Minute())/60 + float64(t.UTC().Second())/3600
		return mean + amplitude*math.Sin(2*math.Pi*(h-6)/24)
	}
}

// SimConfig configures a SimulatedCluster. Zero fields take the defaults
// in brackets; Capacity, StartupDelay and Size are package sim's.
type SimConfig struct {
	// Seed seeds the metric noise [0]. The noise at time t depends only on
	// Seed and t, so the same calls give the same observations.
	Seed uint64
	// Instances is the count at the start [2].
	Instances int
	// Size is the instances' size [2 vCPU, 4 GiB].
	Size Size
	// Capacity is what one instance of Size serves when saturated, req/s
	// [100]; an instance of another size serves in proportion to its vCPUs.
	Capacity float64
	// StartupDelay is the time from Scale to an instance being ready [60 s].
	StartupDelay time.Duration
	// Load is the request rate, req/s [Constant(150)].
	Load LoadFunc
	// Quantum is the quantum workload, qubits in use [none].
	Quantum LoadFunc
	// Noise is the relative standard deviation of the observed request
	// rate (0.05 = 5%) [0: exact].
	Noise float64
	// Quota, when > 0, is the most instances the cluster can run: a Scale
	// beyond it fails with a *ResourceExhaustedError [0: none].
	Quota int
	// MemoryBase and MemoryPerLoad model memory use per instance as a
	// fraction of its memory: base + perLoad × CPU utilisation [0.25, 0.5].
	MemoryBase, MemoryPerLoad float64
}

func (c SimConfig) withDefaults() SimConfig {
	if c.Instances == 0 {
		c.Instances = 2
	}
	if c.Size.IsZero() {
		c.Size = Size{CPU: 2, MemoryGiB: 4}
	}
	if c.Capacity == 0 {
		c.Capacity = 100
	}
	if c.StartupDelay == 0 {
		c.StartupDelay = 60 * time.Second
	}
	if c.Load == nil {
		c.Load = Constant(150)
	}
	if c.MemoryBase == 0 {
		c.MemoryBase = 0.25
	}
	if c.MemoryPerLoad == 0 {
		c.MemoryPerLoad = 0.5
	}
	return c
}

// ErrInjected is the cause of the failures FailScaleCalls injects.
var ErrInjected = errors.New("omnixan: injected orchestrator failure")

// SimulatedCluster is a small deterministic model of a classical service
// with a quantum workload beside it, for examples and tests. It is a
// MetricsCollector, a ContainerOrchestrator, a Resizer and a
// QuantumWorkloadSource at once; give it to a Module as both Collector and
// Orchestrator. Package sim holds the full discrete-event simulator that
// backtests run on; this model is its per-call, clock-driven cousin:
//
//	ready(t)       instances whose start-up delay has passed by t
//	λ(t)           Load(t) × (1 + Noise·z),  z ~ N(0,1) seeded by (Seed, t)
//	μ              Capacity × Size.CPU / base CPU          req/s per instance
//	utilisation    min(1, λ / (ready·μ))                   (1 with no ready instance)
//	backlog        max(0, λ − ready·μ) × 60 s              requests, a minute's excess
//	memory         min(1, MemoryBase + MemoryPerLoad × utilisation)
//
// Scale adds instances that become ready StartupDelay later and removes
// starting ones first, then the newest. Resize changes every instance's
// size at once, without a restart. It is safe for concurrent use.
type SimulatedCluster struct {
	mu      sync.Mutex
	cfg     SimConfig
	base    float64     // base CPU of Capacity
	readyAt []time.Time // one per instance, oldest first
	size    Size
	fail    int // Scale calls left to fail
	calls   int
}

var (
	_ MetricsCollector      = (*SimulatedCluster)(nil)
	_ ContainerOrchestrator = (*SimulatedCluster)(nil)
	_ Resizer               = (*SimulatedCluster)(nil)
	_ QuantumWorkloadSource = (*SimulatedCluster)(nil)
)

// NewSimulatedCluster returns a cluster whose initial instances are all
// ready, or a *ConfigurationError naming the bad SimConfig field.
func NewSimulatedCluster(cfg SimConfig) (*SimulatedCluster, error) {
	cfg = cfg.withDefaults()
	switch {
	case cfg.Instances < 0:
		return nil, configError("SimConfig.Instances", fmt.Sprintf("= %d, want ≥ 0", cfg.Instances), nil)
	case !(cfg.Size.CPU > 0) || !(cfg.Size.MemoryGiB >= 0):
		return nil, configError("SimConfig.Size", fmt.Sprintf("= %+v, want CPU > 0 and memory ≥ 0", cfg.Size), nil)
	case !(cfg.Capacity > 0) || math.IsInf(cfg.Capacity, 0):
		return nil, configError("SimConfig.Capacity", fmt.Sprintf("= %v, want a finite value > 0 req/s", cfg.Capacity), nil)
	case cfg.StartupDelay < 0:
		return nil, configError("SimConfig.StartupDelay", fmt.Sprintf("= %v, want ≥ 0", cfg.StartupDelay), nil)
	case !(cfg.Noise >= 0) || cfg.Noise > 1:
		return nil, configError("SimConfig.Noise", fmt.Sprintf("= %v, want in [0, 1]", cfg.Noise), nil)
	case cfg.Quota < 0:
		return nil, configError("SimConfig.Quota", fmt.Sprintf("= %d, want ≥ 0", cfg.Quota), nil)
	}
	return &SimulatedCluster{
		cfg:     cfg,
		base:    cfg.Size.CPU,
		readyAt: make([]time.Time, cfg.Instances), // the zero time: ready since ever
		size:    cfg.Size,
	}, nil
}

// Observe implements MetricsCollector.
func (c *SimulatedCluster) Observe(now time.Time) (policy.Observation, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ready := 0
	for _, t := range c.readyAt {
		if !t.After(now) {
			ready++
		}
	}
	lambda := c.cfg.Load(now)
	if c.cfg.Noise > 0 {
		r := rand.New(rand.NewPCG(c.cfg.Seed, uint64(now.UnixNano())))
		lambda *= 1 + c.cfg.Noise*r.NormFloat64()
	}
	lambda = max(lambda, 0)
	mu := c.cfg.Capacity * c.size.CPU / c.base
	util, backlog := 1.0, lambda*60
	if capacity := float64(ready) * mu; capacity > 0 {
		util = min(1, lambda/capacity)
		backlog = max(0, lambda-capacity) * 60
	}
	return policy.Observation{
		Time:              now,
		Valid:             true,
		Utilization:       util,
		RequestRate:       lambda,
		Ready:             ready,
		Starting:          len(c.readyAt) - ready,
		Backlog:           backlog,
		Capacity:          mu,
		MemoryUtilization: min(1, c.cfg.MemoryBase+c.cfg.MemoryPerLoad*util),
		Size:              c.size,
	}, nil
}

// QuantumWorkload implements QuantumWorkloadSource: Quantum(now), or 0.
func (c *SimulatedCluster) QuantumWorkload(now time.Time) (float64, error) {
	if c.cfg.Quantum == nil {
		return 0, nil
	}
	return max(0, c.cfg.Quantum(now)), nil
}

// Current implements ContainerOrchestrator.
func (c *SimulatedCluster) Current(time.Time) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.readyAt), nil
}

// Scale implements ContainerOrchestrator.
func (c *SimulatedCluster) Scale(now time.Time, target int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.injectLocked(); err != nil {
		return err
	}
	if target < 0 {
		return fmt.Errorf("omnixan: simulated scale to %d instances", target)
	}
	if q := c.cfg.Quota; q > 0 && target > q {
		return &ResourceExhaustedError{
			ScalingError: ScalingError{Op: autoscaler.OpScale, Target: target},
			Resource:     "instances", Available: max(0, q-len(c.readyAt)),
		}
	}
	for len(c.readyAt) < target {
		c.readyAt = append(c.readyAt, now.Add(c.cfg.StartupDelay))
	}
	// Newest first: starting instances are the newest.
	c.readyAt = c.readyAt[:target]
	return nil
}

// injectLocked counts a call and fails it while injected failures remain;
// c.mu is held.
func (c *SimulatedCluster) injectLocked() error {
	c.calls++
	if c.fail > 0 {
		c.fail--
		return Transient(ErrInjected)
	}
	return nil
}

// Size implements Resizer.
func (c *SimulatedCluster) Size(time.Time) (Size, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size, nil
}

// Resize implements Resizer: every instance takes the new size at once.
func (c *SimulatedCluster) Resize(_ time.Time, s Size) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.injectLocked(); err != nil {
		return err
	}
	if !(s.CPU > 0) || !(s.MemoryGiB >= 0) {
		return fmt.Errorf("omnixan: simulated resize to %+v", s)
	}
	c.size = s
	return nil
}

// FailScaleCalls makes the next n Scale and Resize calls fail with a
// transient error wrapping ErrInjected, as an unreachable API server
// would.
func (c *SimulatedCluster) FailScaleCalls(n int) {
	c.mu.Lock()
	c.fail = max(0, n)
	c.mu.Unlock()
}

// Calls returns how many Scale and Resize calls the cluster has received,
// failed ones included.
func (c *SimulatedCluster) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}
