package omnixan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/omnixan/omnixan/autoscaler"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// newTest returns an initialized module on a simulated cluster.
func newTest(t *testing.T, cfg Config, sc SimConfig, opts Options) (*Module, *SimulatedCluster, *VirtualClock) {
	t.Helper()
	clock := NewVirtualClock(t0)
	c, err := NewSimulatedCluster(sc)
	if err != nil {
		t.Fatal(err)
	}
	opts.Collector, opts.Orchestrator = c, c
	opts.Now, opts.Sleep = clock.Now, clock.Sleep
	m, err := New(cfg, &opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Initialize(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown(context.Background()) })
	return m, c, clock
}

// checkScalingError checks that err is a T and, through errors.As, a
// *ScalingError with op.
func checkScalingError[T error](t *testing.T, err error, op string) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error %v (%T); want a %T", err, err, target)
	}
	var se *ScalingError
	if !errors.As(err, &se) {
		t.Fatalf("errors.As(%v, *ScalingError) = false", err)
	}
	if se.Op != op {
		t.Errorf("ScalingError.Op = %q, want %q", se.Op, op)
	}
	return target
}

func TestScaleUpBeyondMaxIsResourceExhausted(t *testing.T) {
	m, c, _ := newTest(t, Config{}, SimConfig{Instances: 3}, Options{})
	ctx := context.Background()
	if err := m.ConfigureScaling(ctx, Policy{MaxInstances: 5}, Thresholds{}); err != nil {
		t.Fatal(err)
	}
	r, err := m.ScaleUp(ctx, ResourceSpec{Instances: 3})
	re := checkScalingError[*ResourceExhaustedError](t, err, "scale_up")
	if re.Resource != "instances" || re.Available != 2 || re.Target != 6 {
		t.Errorf("got %+v; want instances exhausted, 2 available, target 6", re)
	}
	if r.Success || c.Calls() != 0 {
		t.Errorf("Success %v, %d calls sent; want a refusal with nothing sent", r.Success, c.Calls())
	}
	if n, _ := c.Current(t0); n != 3 {
		t.Errorf("cluster has %d instances, want 3", n)
	}
	// Up to the maximum is fine.
	if r, err := m.ScaleUp(ctx, ResourceSpec{Instances: 2}); err != nil || r.Target != 5 || !r.Success {
		t.Errorf("ScaleUp(2) = %+v, %v; want 5 instances", r, err)
	}
}

func TestScaleUpBeyondBudgetIsResourceExhausted(t *testing.T) {
	// 2 vCPU at 0.05 USD per vCPU-hour: 0.10 USD/h per instance; 0.55 buys 5.
	m, c, _ := newTest(t, Config{MaxBudgetUSDPerHour: 0.55}, SimConfig{Instances: 3}, Options{})
	_, err := m.ScaleUp(context.Background(), ResourceSpec{Instances: 3})
	re := checkScalingError[*ResourceExhaustedError](t, err, "scale_up")
	if re.Resource != "budget" || re.Available != 2 {
		t.Errorf("got %+v; want budget exhausted, 2 available", re)
	}
	if c.Calls() != 0 {
		t.Errorf("%d calls sent", c.Calls())
	}
	// A larger size costs more: 4 vCPU instances at 0.20 USD/h, 0.55 buys 2.
	_, err = m.ScaleUp(context.Background(), ResourceSpec{CPU: 4})
	re = checkScalingError[*ResourceExhaustedError](t, err, "scale_up")
	if re.Resource != "budget" || re.Available != 0 {
		t.Errorf("resize: got %+v; want budget exhausted, 0 available", re)
	}
}

func TestInvalidPolicyIsConfigurationError(t *testing.T) {
	m, _, _ := newTest(t, Config{}, SimConfig{}, Options{})
	for _, tt := range []struct {
		field string
		p     Policy
	}{
		{"ScalingType", Policy{ScalingType: "diagonal"}},
		{"MinInstances", Policy{MinInstances: -1}},
		{"MaxInstances", Policy{MinInstances: 5, MaxInstances: 4}},
		{"TargetUtilization", Policy{TargetUtilization: 1.5}},
		{"TargetUtilization", Policy{TargetUtilization: 0.9}},
		{"ScaleUpThreshold", Policy{ScaleUpThreshold: math.NaN()}},
		{"ScaleDownThreshold", Policy{ScaleDownThreshold: 0.9, ScaleUpThreshold: 0.8}},
		{"Cooldown", Policy{Cooldown: -time.Second}},
		{"Predictive", Policy{ScalingType: Vertical, Predictive: true}},
	} {
		t.Run(tt.field, func(t *testing.T) {
			err := m.ConfigureScaling(context.Background(), tt.p, Thresholds{})
			ce := checkScalingError[*ConfigurationError](t, err, "configure")
			if ce.Field != tt.field {
				t.Errorf("Field = %q, want %q (%v)", ce.Field, tt.field, err)
			}
			if !errors.Is(err, ErrConfiguration) {
				t.Errorf("%v does not match ErrConfiguration", err)
			}
			if err := tt.p.Validate(); err == nil {
				t.Error("Policy.Validate accepts it")
			}
		})
	}
	var ce *ConfigurationError
	err := m.ConfigureScaling(context.Background(), Policy{}, Thresholds{MemoryUtilization: 2})
	if !errors.As(err, &ce) || ce.Field != "Thresholds.MemoryUtilization" {
		t.Errorf("bad thresholds: %v", err)
	}
	// The policy in force is unchanged by rejected ones.
	s, err := m.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Policy{}.WithDefaults(), s.Policy); diff != "" {
		t.Errorf("policy in force (-want +got):\n%s", diff)
	}
}

func TestOpenBreakerIsCircuitBreakerOpenError(t *testing.T) {
	m, c, clock := newTest(t, Config{}, SimConfig{Load: Constant(180)}, Options{
		Breaker: autoscaler.BreakerConfig{ConsecutiveFailures: 2, OpenTimeout: time.Minute},
		Retry:   autoscaler.RetryConfig{MaxAttempts: 1},
	})
	ctx := context.Background()
	c.FailScaleCalls(1000)
	for range 2 {
		_, err := m.ScaleUp(ctx, ResourceSpec{})
		checkScalingError[*ScalingError](t, err, "scale_up")
		if !errors.Is(err, ErrInjected) || !IsTransient(err) {
			t.Errorf("%v: want the orchestrator's transient cause", err)
		}
	}
	calls := c.Calls()
	_, err := m.ScaleUp(ctx, ResourceSpec{})
	be := checkScalingError[*CircuitBreakerOpenError](t, err, "scale_up")
	if !be.Until.Equal(clock.Now().Add(time.Minute)) {
		t.Errorf("Until = %v, want %v", be.Until, clock.Now().Add(time.Minute))
	}
	r, err := m.CheckAndScale(ctx)
	checkScalingError[*CircuitBreakerOpenError](t, err, "scale")
	if r.Success || r.Target != 3 || r.Calls != 0 {
		t.Errorf("CheckAndScale = %+v; want target 3, nothing sent", r)
	}
	if c.Calls() != calls {
		t.Errorf("the open breaker let %d calls through", c.Calls()-calls)
	}
	if x, err := m.Metrics(ctx); err != nil || x.HealthStatus != Unhealthy {
		t.Errorf("Metrics = %v, %v; want unhealthy while open", x.HealthStatus, err)
	}
	// After the timeout, a successful probe closes it. (CheckAndScale
	// would hold now: the threshold policy's cooldown counts the refused
	// action.)
	c.FailScaleCalls(0)
	clock.Advance(time.Minute)
	if r, err := m.ScaleUp(ctx, ResourceSpec{}); err != nil || r.Target != 3 || !r.Success || r.Calls != 1 {
		t.Fatalf("ScaleUp after the timeout = %+v, %v", r, err)
	}
	s, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Breaker != autoscaler.Closed || s.Stats.BreakerTrips != 1 || s.Stats.Rejected != 2 || s.Stats.BreakerOpen != time.Minute {
		t.Errorf("Status: breaker %v, stats %+v", s.Breaker, s.Stats)
	}
}

func TestCheckAndScaleRetries(t *testing.T) {
	m, c, clock := newTest(t, Config{}, SimConfig{Load: Constant(180)}, Options{Seed: 9})
	c.FailScaleCalls(2)
	r, err := m.CheckAndScale(context.Background())
	if err != nil || !r.Success || r.Calls != 3 || r.Target != 3 {
		t.Fatalf("CheckAndScale = %+v, %v; want success on the third call", r, err)
	}
	if !clock.Now().After(t0) || clock.Now().Sub(t0) > 3*time.Second {
		t.Errorf("retries waited %v; want (0, 3 s] for two backoffs of at most 1 s and 2 s", clock.Now().Sub(t0))
	}
	if n, _ := c.Current(clock.Now()); n != 3 {
		t.Errorf("cluster has %d instances, want 3", n)
	}
}

// permanentOrch fails every Scale with an error that is not transient.
type permanentOrch struct {
	*SimulatedCluster
	calls int
}

func (p *permanentOrch) Scale(time.Time, int) error { p.calls++; return errors.New("forbidden") }

func TestNonTransientErrorIsNotRetried(t *testing.T) {
	clock := NewVirtualClock(t0)
	sc, _ := NewSimulatedCluster(SimConfig{Load: Constant(180)})
	orch := &permanentOrch{SimulatedCluster: sc}
	m, err := New(Config{}, &Options{Collector: sc, Orchestrator: orch, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := m.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := m.CheckAndScale(ctx)
	checkScalingError[*ScalingError](t, err, "scale")
	if r.Calls != 1 || orch.calls != 1 || r.Success {
		t.Errorf("result %+v after %d calls; want one failed call", r, orch.calls)
	}
	_, err = m.ScaleUp(ctx, ResourceSpec{})
	checkScalingError[*ScalingError](t, err, "scale_up")
	if orch.calls != 2 {
		t.Errorf("%d calls; want 2", orch.calls)
	}
}

func TestScaleDownStopsAtMin(t *testing.T) {
	m, c, _ := newTest(t, Config{}, SimConfig{Instances: 4}, Options{})
	r, err := m.ScaleDown(context.Background(), ResourceSpec{Instances: 5})
	if err != nil || r.Target != 2 || r.Requested != -1 || !strings.Contains(r.Reason, "clamped to min 2") {
		t.Errorf("ScaleDown = %+v, %v", r, err)
	}
	if n, _ := c.Current(t0); n != 2 {
		t.Errorf("cluster has %d, want 2", n)
	}
}

func TestResourceSpecValidation(t *testing.T) {
	m, _, _ := newTest(t, Config{}, SimConfig{}, Options{})
	for _, tt := range []struct {
		field string
		r     ResourceSpec
	}{
		{"ResourceSpec.Instances", ResourceSpec{Instances: -2}},
		{"ResourceSpec.CPU", ResourceSpec{CPU: math.NaN()}},
		{"ResourceSpec.MemoryGiB", ResourceSpec{MemoryGiB: -1}},
	} {
		var ce *ConfigurationError
		if _, err := m.ScaleUp(context.Background(), tt.r); !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("ScaleUp(%+v) = %v; want a *ConfigurationError on %s", tt.r, err, tt.field)
		}
	}
}

// countOnly is an orchestrator that cannot resize.
type countOnly struct{ n int }

func (c *countOnly) Current(time.Time) (int, error) { return c.n, nil }
func (c *countOnly) Scale(_ time.Time, n int) error { c.n = n; return nil }

func TestSizeNeedsResizer(t *testing.T) {
	sc, _ := NewSimulatedCluster(SimConfig{})
	clock := NewVirtualClock(t0)
	m, err := New(Config{}, &Options{Collector: sc, Orchestrator: &countOnly{n: 2}, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := m.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	var ce *ConfigurationError
	if _, err := m.ScaleUp(ctx, ResourceSpec{MemoryGiB: 8}); !errors.As(err, &ce) || ce.Field != "ResourceSpec.MemoryGiB" {
		t.Errorf("ScaleUp with a size: %v", err)
	}
	if err := m.ConfigureScaling(ctx, Policy{ScalingType: Vertical}, Thresholds{}); !errors.As(err, &ce) || ce.Field != "ScalingType" {
		t.Errorf("vertical without a Resizer: %v", err)
	}
	// Hybrid falls back to counts.
	if err := m.ConfigureScaling(ctx, Policy{ScalingType: Hybrid}, Thresholds{}); err != nil {
		t.Errorf("hybrid without a Resizer: %v", err)
	}
}

func TestNewRejectsMissingCollaborators(t *testing.T) {
	sc, _ := NewSimulatedCluster(SimConfig{})
	for _, tt := range []struct {
		field string
		opts  *Options
	}{
		{"Options", nil},
		{"Options.Collector", &Options{Orchestrator: sc}},
		{"Options.Orchestrator", &Options{Collector: sc}},
		{"Options.CoresPerInstance", &Options{Collector: sc, Orchestrator: sc, CoresPerInstance: -1}},
		{"Options.History", &Options{Collector: sc, Orchestrator: sc, HistoryStep: time.Hour, History: time.Hour}},
		{"Breaker.Window", &Options{Collector: sc, Orchestrator: sc, Breaker: autoscaler.BreakerConfig{Window: -1}}},
		{"Retry.MaxAttempts", &Options{Collector: sc, Orchestrator: sc, Retry: autoscaler.RetryConfig{MaxAttempts: -1}}},
	} {
		var ce *ConfigurationError
		if _, err := New(Config{}, tt.opts); !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("%s: New = %v", tt.field, err)
		}
	}
	var ce *ConfigurationError
	if _, err := New(Config{PrometheusPort: 70000}, &Options{Collector: sc, Orchestrator: sc}); !errors.As(err, &ce) || ce.Field != "PrometheusPort" {
		t.Errorf("bad config: %v", err)
	}
}

func TestNotInitializedAndShutdown(t *testing.T) {
	sc, _ := NewSimulatedCluster(SimConfig{})
	clock := NewVirtualClock(t0)
	m, err := New(Config{}, &Options{Collector: sc, Orchestrator: sc, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := m.CheckAndScale(ctx); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("CheckAndScale before Initialize: %v", err)
	}
	if _, err := m.Metrics(ctx); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("Metrics before Initialize: %v", err)
	}
	if err := m.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Initialize(ctx); err != nil {
		t.Errorf("second Initialize: %v", err)
	}
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if _, err := m.Execute(ctx, Request{Action: ActionGetStatus}); !errors.Is(err, ErrShutdown) {
		t.Errorf("Execute after Shutdown: %v", err)
	}
	if _, err := m.ScaleUp(ctx, ResourceSpec{}); !errors.Is(err, ErrShutdown) {
		t.Errorf("ScaleUp after Shutdown: %v", err)
	}
}

func TestShutdownCancelsARetryWait(t *testing.T) {
	sc, _ := NewSimulatedCluster(SimConfig{})
	clock := NewVirtualClock(t0)
	waiting := make(chan struct{})
	sleep := func(ctx context.Context, d time.Duration) error {
		close(waiting)
		<-ctx.Done()
		return ctx.Err()
	}
	m, err := New(Config{}, &Options{Collector: sc, Orchestrator: sc, Now: clock.Now, Sleep: sleep})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := m.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	sc.FailScaleCalls(1)
	errc := make(chan error)
	go func() { _, err := m.ScaleUp(ctx, ResourceSpec{}); errc <- err }()
	<-waiting
	// The lock is free while the retry waits.
	if _, err := m.Status(ctx); err != nil {
		t.Errorf("Status during the wait: %v", err)
	}
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrShutdown) || !errors.Is(err, ErrInjected) {
		t.Errorf("ScaleUp interrupted by Shutdown: %v; want ErrShutdown and the cause", err)
	}
}

func TestThresholdsAddAnInstance(t *testing.T) {
	// CPU 60%, within [40%, 85%]; memory 0.55 + 0.5·0.6 = 85%.
	m, _, clock := newTest(t, Config{}, SimConfig{Load: Constant(120), MemoryBase: 0.55}, Options{})
	ctx := context.Background()
	if r, err := m.CheckAndScale(ctx); err != nil || r.Action != "none" {
		t.Fatalf("without thresholds: %+v, %v", r, err)
	}
	if err := m.ConfigureScaling(ctx, Policy{Cooldown: time.Minute}, Thresholds{MemoryUtilization: 0.8}); err != nil {
		t.Fatal(err)
	}
	r, err := m.CheckAndScale(ctx)
	if err != nil || r.Target != 3 || r.Reason != "memory utilization above threshold" {
		t.Fatalf("with a memory threshold: %+v, %v", r, err)
	}
	clock.Advance(30 * time.Second) // in the cooldown
	if r, err := m.CheckAndScale(ctx); err != nil || r.Action != "none" {
		t.Errorf("in the cooldown: %+v, %v", r, err)
	}
}

func TestMetrics(t *testing.T) {
	m, c, _ := newTest(t, Config{QuantumCostPerQubitHour: 1, CPUCostPerCoreHour: 0.1},
		SimConfig{Instances: 3, Load: Constant(150), Quantum: Constant(5)}, Options{})
	x, err := m.Metrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := Metrics{
		Time: t0, CPUUtilization: 0.5, MemoryUtilization: 0.5, QuantumWorkload: 5, InstanceCount: 3,
		CostUSDPerHour: 3*2*0.1 + 5*1, HealthStatus: Healthy,
	}
	if diff := cmp.Diff(want, x, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("Metrics (-want +got):\n%s", diff)
	}
	names := []string{"cpu_utilization", "memory_utilization", "quantum_workload", "instance_count", "cost_usd_per_hour", "health_status"}
	got := x.Map()
	if len(got) != len(names) {
		t.Errorf("Map has %d entries, want %d", len(got), len(names))
	}
	for _, n := range names {
		if _, ok := got[n]; !ok {
			t.Errorf("Map lacks %s", n)
		}
	}
	if got["health_status"] != 1 || got["instance_count"] != 3 {
		t.Errorf("Map = %v", got)
	}
	// Saturated: degraded.
	c.cfg.Load = Constant(1000)
	if x, _ := m.Metrics(context.Background()); x.HealthStatus != Degraded || x.CPUUtilization != 1 {
		t.Errorf("saturated: %+v", x)
	}
}

func TestExecuteActions(t *testing.T) {
	m, _, clock := newTest(t, Config{}, SimConfig{Load: Constant(180)}, Options{})
	ctx := context.Background()
	check := func(req Request, filled func(Response) bool) {
		t.Helper()
		resp, err := m.Execute(ctx, req)
		if err != nil || resp.Action != req.Action || !filled(resp) {
			t.Errorf("Execute(%s) = %+v, %v", req.Action, resp, err)
		}
	}
	check(Request{Action: ActionGetMetrics}, func(r Response) bool { return r.Metrics != nil && r.Metrics.InstanceCount == 2 })
	check(Request{Action: ActionCheckAndScale}, func(r Response) bool { return r.Result != nil && r.Result.Target == 3 })
	check(Request{Action: ActionScaleUp, Resources: ResourceSpec{Instances: 2}}, func(r Response) bool { return r.Result.Target == 5 })
	check(Request{Action: ActionScaleDown}, func(r Response) bool { return r.Result.Target == 4 })
	check(Request{Action: ActionConfigureScaling, Policy: Policy{Name: "p", MaxInstances: 9}}, func(r Response) bool {
		return r.Status != nil && r.Status.Policy.Name == "p" && r.Status.Policy.MaxInstances == 9
	})
	check(Request{Action: ActionGetStatus}, func(r Response) bool { return r.Status != nil && r.Status.Instances == 4 })
	check(Request{Action: ActionOptimizeCosts}, func(r Response) bool { return r.Costs != nil && r.Costs.RecommendedInstances == 3 })
	for range 10 {
		clock.Advance(5 * time.Minute)
		if _, err := m.Metrics(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check(Request{Action: ActionPredictWorkload}, func(r Response) bool {
		return r.Prediction != nil && r.Prediction.Horizon == time.Hour && len(r.Prediction.Points) == 12
	})
	var ce *ConfigurationError
	if _, err := m.Execute(ctx, Request{Action: "reboot"}); !errors.As(err, &ce) || ce.Field != "Request.Action" {
		t.Errorf("unknown action: %v", err)
	}
}

func TestPredictWorkload(t *testing.T) {
	m, _, clock := newTest(t, Config{}, SimConfig{Load: Constant(300), Instances: 4}, Options{HistoryStep: time.Minute})
	ctx := context.Background()
	if _, err := m.PredictWorkload(ctx, 0); err == nil {
		t.Error("horizon 0 accepted")
	}
	for range 30 {
		clock.Advance(time.Minute)
		if _, err := m.Metrics(ctx); err != nil {
			t.Fatal(err)
		}
	}
	p, err := m.PredictWorkload(ctx, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if p.History != 30 || len(p.Points) != 10 || p.Step != time.Minute {
		t.Fatalf("history %d, %d points, step %v", p.History, len(p.Points), p.Step)
	}
	// A constant series: every method forecasts it exactly; 300 req/s at
	// 100 req/s × 0.75 per instance needs 4.
	for i, pt := range p.Points {
		if math.Abs(pt.RequestRate.Mean-300) > 1e-6 || pt.Instances != 4 {
			t.Errorf("point %d: %+v", i, pt)
		}
		if !(pt.RequestRate.Lo95 <= pt.RequestRate.Lo80 && pt.RequestRate.Lo80 <= pt.RequestRate.Mean && pt.RequestRate.Mean <= pt.RequestRate.Hi80 && pt.RequestRate.Hi80 <= pt.RequestRate.Hi95) {
			t.Errorf("point %d: intervals out of order: %+v", i, pt.RequestRate)
		}
	}
	if want := t0.Add(30 * time.Minute); !p.Points[0].At.Equal(want) {
		t.Errorf("first point at %v, want %v", p.Points[0].At, want)
	}
	if p.RecommendedInstances != 4 {
		t.Errorf("RecommendedInstances = %d", p.RecommendedInstances)
	}
}

func TestHistory(t *testing.T) {
	h := history{step: time.Minute, max: 4}
	h.add(t0, 1)
	h.add(t0.Add(30*time.Second), 3) // step 0: mean 2
	h.add(t0.Add(3*time.Minute), 5)  // closes step 0; steps 1 and 2 repeat it
	h.add(t0.Add(2*time.Minute), 99) // late: ignored
	h.add(t0.Add(4*time.Minute), 7)  // closes step 3
	vals, start := h.series()
	if diff := cmp.Diff([]float64{2, 2, 2, 5}, vals); diff != "" || !start.Equal(t0) {
		t.Errorf("series (-want +got):\n%s start %v", diff, start)
	}
	h.add(t0.Add(5*time.Minute), 9) // closes step 4: the oldest goes
	vals, start = h.series()
	if diff := cmp.Diff([]float64{2, 2, 5, 7}, vals); diff != "" || !start.Equal(t0.Add(time.Minute)) {
		t.Errorf("after trimming (-want +got):\n%s start %v", diff, start)
	}
	h.add(t0.Add(24*time.Hour), 1) // a long gap keeps max steps
	vals, start = h.series()
	if len(vals) != 4 || !start.Add(4*time.Minute).Equal(t0.Add(24*time.Hour)) {
		t.Errorf("after a gap: %v from %v", vals, start)
	}
}

func TestOptimizeCosts(t *testing.T) {
	m, c, _ := newTest(t, Config{}, SimConfig{Instances: 10, Load: Constant(300)}, Options{})
	ctx := context.Background()
	rep, err := m.OptimizeCosts(ctx)
	if err != nil || rep.Applied || rep.RecommendedInstances != 4 || math.Abs(rep.SavingsUSDPerHour-0.6) > 1e-9 {
		t.Fatalf("report = %+v, %v", rep, err)
	}
	if n, _ := c.Current(t0); n != 10 {
		t.Errorf("applied without CostOptimization: %d instances", n)
	}
	if err := m.ConfigureScaling(ctx, Policy{CostOptimization: true, MinInstances: 5}, Thresholds{}); err != nil {
		t.Fatal(err)
	}
	rep, err = m.OptimizeCosts(ctx)
	if err != nil || !rep.Applied || rep.RecommendedInstances != 5 || !strings.Contains(rep.Reason, "min 5") {
		t.Fatalf("report = %+v, %v", rep, err)
	}
	if n, _ := c.Current(t0); n != 5 {
		t.Errorf("cluster has %d, want 5", n)
	}
}

func TestPolicyKinds(t *testing.T) {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for _, p := range []Policy{
		{ScalingType: Horizontal, Predictive: true},
		{ScalingType: Vertical},
		{ScalingType: Hybrid},
	} {
		t.Run(fmt.Sprintf("%s predictive=%v", p.ScalingType, p.Predictive), func(t *testing.T) {
			clock := NewVirtualClock(start)
			c, _ := NewSimulatedCluster(SimConfig{Seed: 1, Load: Diurnal(600, 400), Noise: 0.05, Instances: 6})
			m, err := New(Config{}, &Options{Collector: c, Orchestrator: c, Now: clock.Now, Sleep: clock.Sleep})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := m.ConfigureScaling(ctx, p, Thresholds{}); err != nil {
				t.Fatal(err)
			}
			if err := m.Initialize(ctx); err != nil {
				t.Fatal(err)
			}
			counts, sizes := map[int]bool{}, map[Size]bool{}
			for clock.Now().Before(start.Add(30 * time.Hour)) {
				if _, err := m.CheckAndScale(ctx); err != nil {
					t.Fatal(err)
				}
				n, _ := c.Current(clock.Now())
				s, _ := c.Size(clock.Now())
				counts[n], sizes[s] = true, true
				clock.Advance(time.Minute)
			}
			switch p.ScalingType {
			case Vertical:
				if len(counts) != 1 || len(sizes) < 2 {
					t.Errorf("vertical: counts %v, sizes %v; want one count and a resize", counts, sizes)
				}
			default:
				if len(counts) < 3 {
					t.Errorf("counts %v; want the count to follow the load", counts)
				}
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	m, c, clock := newTest(t, Config{}, SimConfig{Load: Diurnal(600, 400), Noise: 0.1}, Options{})
	ctx := context.Background()
	c.FailScaleCalls(3)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				clock.Advance(time.Second)
				var err error
				switch (g + i) % 5 {
				case 0:
					_, err = m.CheckAndScale(ctx)
				case 1:
					_, err = m.Metrics(ctx)
				case 2:
					_, err = m.Status(ctx)
				case 3:
					_, err = m.ScaleUp(ctx, ResourceSpec{})
				case 4:
					_, err = m.ScaleDown(ctx, ResourceSpec{})
				}
				var se *ScalingError
				if err != nil && !errors.As(err, &se) {
					t.Errorf("unexpected error: %v", err)
				}
			}
		})
	}
	wg.Wait()
	s, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Instances < 2 || s.Instances > 20 {
		t.Errorf("%d instances, outside the policy's bounds", s.Instances)
	}
}

func TestOrchestratorQuotaIsResourceExhausted(t *testing.T) {
	m, c, _ := newTest(t, Config{}, SimConfig{Instances: 3, Quota: 4}, Options{})
	r, err := m.ScaleUp(context.Background(), ResourceSpec{Instances: 2})
	re := checkScalingError[*ResourceExhaustedError](t, err, "scale_up")
	if re.Resource != "instances" || re.Available != 1 || re.Op != "scale" {
		t.Errorf("got %+v; want the cluster's quota, 1 available", re)
	}
	var se *ScalingError
	if !errors.As(err, &se) || se.Op != "scale_up" || se.Target != 5 {
		t.Errorf("outermost ScalingError %+v; want the module's scale_up to 5", se)
	}
	if r.Success || r.Calls != 1 || c.Calls() != 1 {
		t.Errorf("result %+v, %d calls: a quota is not transient, want one call", r, c.Calls())
	}
}

func TestRun(t *testing.T) {
	m, c, clock := newTest(t, Config{}, SimConfig{Load: Diurnal(600, 400)}, Options{})
	if err := m.Run(context.Background(), 0); err == nil {
		t.Error("period 0 accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	passes := 0
	m.sleep = func(ctx context.Context, d time.Duration) error {
		if d == 15*time.Second { // a sync wait, not a retry
			if passes++; passes == 4*60*4 { // four hours
				cancel()
			}
		}
		return clock.Sleep(ctx, d)
	}
	if err := m.Run(ctx, 15*time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	// 960 passes: 959 waits of 15 s, the 960th cancelled.
	if got, want := clock.Now().Sub(t0), 4*time.Hour-15*time.Second; got != want {
		t.Errorf("ran for %v of virtual time, want %v", got, want)
	}
	// From 09:00 to 13:00 the load rises from ~950 to 1000 req/s.
	if n, _ := c.Current(clock.Now()); n < 13 {
		t.Errorf("%d instances after 4 hours near the peak; want ≥ 13", n)
	}
	if err := m.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background(), time.Second); !errors.Is(err, ErrShutdown) {
		t.Errorf("Run after Shutdown = %v", err)
	}
}

// pool is an in-memory LoadBalancer.
type pool struct {
	mu       sync.Mutex
	backends []Backend
	err      error
}

var _ LoadBalancer = (*pool)(nil)

func (p *pool) Register(_ context.Context, b Backend) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.backends = append(p.backends, b)
	return nil
}
func (p *pool) Drain(context.Context, string) error      { return nil }
func (p *pool) Deregister(context.Context, string) error { return nil }
func (p *pool) Backends(context.Context) ([]Backend, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Backend(nil), p.backends...), p.err
}

func TestLoadBalancerInStatus(t *testing.T) {
	lb := &pool{err: errors.New("runtime API down")}
	sc, _ := NewSimulatedCluster(SimConfig{})
	clock := NewVirtualClock(t0)
	m, err := New(Config{}, &Options{Collector: sc, Orchestrator: sc, LoadBalancer: lb, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := m.Initialize(ctx); !errors.Is(err, lb.err) {
		t.Fatalf("Initialize with a failing load balancer = %v", err)
	}
	lb.err = nil
	if err := m.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	lb.Register(ctx, Backend{Name: "web-1", Addr: "127.0.0.1:8081"})
	s, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Backend{{Name: "web-1", Addr: "127.0.0.1:8081"}}, s.Backends); diff != "" {
		t.Errorf("Status.Backends (-want +got):\n%s", diff)
	}
}

func TestLogLevel(t *testing.T) {
	for _, tt := range []struct {
		level      string
		want, not  []string
		failScales int
	}{
		{"WARNING", []string{"scale failed"}, []string{"level=INFO", "decision"}, 1},
		{"INFO", []string{"msg=scaled", "msg=initialized"}, []string{"level=DEBUG"}, 0},
		{"DEBUG", []string{"msg=decision"}, nil, 0},
	} {
		t.Run(tt.level, func(t *testing.T) {
			var buf strings.Builder
			logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			sc, _ := NewSimulatedCluster(SimConfig{Load: Constant(180)})
			clock := NewVirtualClock(t0)
			m, err := New(Config{LogLevel: tt.level}, &Options{Collector: sc, Orchestrator: sc, Now: clock.Now, Sleep: clock.Sleep, Logger: logger})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := m.Initialize(ctx); err != nil {
				t.Fatal(err)
			}
			sc.FailScaleCalls(tt.failScales)
			m.CheckAndScale(ctx) // scales
			clock.Advance(time.Second)
			m.CheckAndScale(ctx) // cooldown: a decision only
			out := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("log lacks %q:\n%s", w, out)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(out, n) {
					t.Errorf("log has %q:\n%s", n, out)
				}
			}
			if !strings.Contains(out, "module=omnixan-autoscaling") {
				t.Errorf("records lack the module name:\n%s", out)
			}
		})
	}
}

func TestScaleDownToALargerSizeChecksTheBudget(t *testing.T) {
	// 4 instances of 2 vCPU: 0.40 USD/h. 3 of 8 vCPU would be 1.20 USD/h.
	m, c, _ := newTest(t, Config{MaxBudgetUSDPerHour: 1}, SimConfig{Instances: 4}, Options{})
	_, err := m.ScaleDown(context.Background(), ResourceSpec{Instances: 1, CPU: 8})
	re := checkScalingError[*ResourceExhaustedError](t, err, "scale_down")
	if re.Resource != "budget" || re.Available != 0 {
		t.Errorf("got %+v; want the budget, 0 more available", re)
	}
	if c.Calls() != 0 {
		t.Errorf("%d calls sent", c.Calls())
	}
	r, err := m.ScaleDown(context.Background(), ResourceSpec{Instances: 2, CPU: 4})
	if err != nil || r.Target != 2 || r.Calls != 2 || r.Action != "scale_down" || math.Abs(r.CostUSDPerHour-0.4) > 1e-9 {
		t.Fatalf("ScaleDown to 2 × 4 vCPU = %+v, %v", r, err)
	}
	s, _ := m.Status(context.Background())
	if s.Stats.Calls != 1 || s.Stats.Resizes != 1 {
		t.Errorf("stats %+v; want 1 Scale call and 1 Resize call", s.Stats)
	}
}
