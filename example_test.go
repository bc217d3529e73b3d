package omnixan_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/omnixan/omnixan"
	"github.com/omnixan/omnixan/autoscaler"
)

// The original module's first example: configure, initialize, read the
// metrics, run one check_and_scale. It is the README's quick start.
func Example_basicSetup() {
	ctx := context.Background()
	clock := omnixan.NewVirtualClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	// A simulated service: 2 instances of 100 req/s each, 180 req/s of load.
	cluster, err := omnixan.NewSimulatedCluster(omnixan.SimConfig{Load: omnixan.Constant(180)})
	if err != nil {
		log.Fatal(err)
	}
	m, err := omnixan.New(omnixan.Config{MaxBudgetUSDPerHour: 5}, &omnixan.Options{
		Collector:    cluster,
		Orchestrator: cluster,
		Now:          clock.Now, // virtual time: the same output every run
		Sleep:        clock.Sleep,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Shutdown(ctx)
	if err := m.Initialize(ctx); err != nil {
		log.Fatal(err)
	}

	x, err := m.Metrics(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d instances, CPU %.0f%%, %.2f USD/h, %s\n",
		x.InstanceCount, 100*x.CPUUtilization, x.CostUSDPerHour, x.HealthStatus)

	r, err := m.CheckAndScale(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %d → %d: %s\n", r.Action, r.Previous, r.Target, r.Reason)
	// Output:
	// 2 instances, CPU 90%, 0.20 USD/h, healthy
	// scale_up 2 → 3: utilization above scale-up threshold
}

// Policies: the original's ScalingPolicy, validated field by field, then
// put in force with extra thresholds.
func Example_policyConfiguration() {
	ctx := context.Background()
	clock := omnixan.NewVirtualClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	cluster, err := omnixan.NewSimulatedCluster(omnixan.SimConfig{})
	if err != nil {
		log.Fatal(err)
	}
	m, err := omnixan.New(omnixan.Config{}, &omnixan.Options{Collector: cluster, Orchestrator: cluster, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Shutdown(ctx)

	bad := omnixan.Policy{Name: "web", MinInstances: 5, MaxInstances: 3}
	err = m.ConfigureScaling(ctx, bad, omnixan.Thresholds{})
	var ce *omnixan.ConfigurationError
	if errors.As(err, &ce) {
		fmt.Println("rejected:", ce.Field, ce.Problem)
	}

	p := omnixan.Policy{
		Name:               "web",
		ScalingType:        omnixan.Horizontal,
		MinInstances:       2,
		MaxInstances:       12,
		TargetUtilization:  0.6,
		ScaleUpThreshold:   0.8,
		ScaleDownThreshold: 0.3,
		Cooldown:           2 * time.Minute,
	}
	if err := m.ConfigureScaling(ctx, p, omnixan.Thresholds{MemoryUtilization: 0.9}); err != nil {
		log.Fatal(err)
	}
	s, err := m.Status(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %s, %d–%d instances, target %.0f%%, up above %.0f%%, down below %.0f%%, cooldown %v\n",
		s.Policy.Name, s.Policy.ScalingType, s.Policy.MinInstances, s.Policy.MaxInstances,
		100*s.Policy.TargetUtilization, 100*s.Policy.ScaleUpThreshold, 100*s.Policy.ScaleDownThreshold, s.Policy.Cooldown)

	// The zero Policy is the original module's default.
	d := omnixan.Policy{}.WithDefaults()
	fmt.Printf("default: %s, %d–%d instances, target %.0f%%, cooldown %v\n",
		d.ScalingType, d.MinInstances, d.MaxInstances, 100*d.TargetUtilization, d.Cooldown)
	// Output:
	// rejected: MaxInstances = 3, want ≥ MinInstances (5)
	// web: horizontal, 2–12 instances, target 60%, up above 80%, down below 30%, cooldown 2m0s
	// default: horizontal, 2–20 instances, target 75%, cooldown 5m0s
}

// Manual scaling with ScaleUp and ScaleDown: counts, the minimum, the
// maximum, and a resize.
func Example_manualScaling() {
	ctx := context.Background()
	clock := omnixan.NewVirtualClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	cluster, err := omnixan.NewSimulatedCluster(omnixan.SimConfig{Instances: 3})
	if err != nil {
		log.Fatal(err)
	}
	m, err := omnixan.New(omnixan.Config{}, &omnixan.Options{Collector: cluster, Orchestrator: cluster, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Shutdown(ctx)
	if err := m.ConfigureScaling(ctx, omnixan.Policy{MinInstances: 2, MaxInstances: 8}, omnixan.Thresholds{}); err != nil {
		log.Fatal(err)
	}
	if err := m.Initialize(ctx); err != nil {
		log.Fatal(err)
	}

	r, err := m.ScaleUp(ctx, omnixan.ResourceSpec{Instances: 4})
	fmt.Printf("%s %d → %d, %.2f USD/h, err %v\n", r.Action, r.Previous, r.Target, r.CostUSDPerHour, err)

	r, err = m.ScaleDown(ctx, omnixan.ResourceSpec{Instances: 10})
	fmt.Printf("%s %d → %d (%s), err %v\n", r.Action, r.Previous, r.Target, r.Reason, err)

	_, err = m.ScaleUp(ctx, omnixan.ResourceSpec{Instances: 7})
	var re *omnixan.ResourceExhaustedError
	if errors.As(err, &re) {
		fmt.Printf("refused: %s exhausted, %d available\n", re.Resource, re.Available)
	}

	// A size: 4 vCPU and 8 GiB per instance, on an orchestrator that can resize.
	r, err = m.ScaleUp(ctx, omnixan.ResourceSpec{CPU: 4, MemoryGiB: 8})
	fmt.Printf("%s to %v vCPU / %v GiB, %d instances, %.2f USD/h, err %v\n", r.Action, r.Size.CPU, r.Size.MemoryGiB, r.Target, r.CostUSDPerHour, err)
	// Output:
	// scale_up 3 → 7, 0.70 USD/h, err <nil>
	// scale_down 7 → 2 (manual scale_down; clamped to min 2), err <nil>
	// refused: instances exhausted, 6 available
	// resize to 4 vCPU / 8 GiB, 2 instances, 0.40 USD/h, err <nil>
}

// Automatic scaling from metrics: check_and_scale every 15 s of a
// simulated day of diurnal load.
func Example_automaticScaling() {
	ctx := context.Background()
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	clock := omnixan.NewVirtualClock(start)
	cluster, err := omnixan.NewSimulatedCluster(omnixan.SimConfig{
		Seed:  7,
		Load:  omnixan.Diurnal(600, 400), // 200 req/s at midnight, 1000 at noon
		Noise: 0.05,
	})
	if err != nil {
		log.Fatal(err)
	}
	m, err := omnixan.New(omnixan.Config{}, &omnixan.Options{Collector: cluster, Orchestrator: cluster, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Shutdown(ctx)
	if err := m.Initialize(ctx); err != nil {
		log.Fatal(err)
	}

	actions := 0
	for clock.Now().Before(start.Add(24 * time.Hour)) {
		r, err := m.CheckAndScale(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if r.Action != "none" {
			actions++
		}
		if t := clock.Now(); t.Minute() == 0 && t.Second() == 0 && t.Hour()%4 == 0 {
			x, err := m.Metrics(ctx)
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf("%s  %2d instances  CPU %3.0f%%  %.2f USD/h\n", t.Format("15:04"), x.InstanceCount, 100*x.CPUUtilization, x.CostUSDPerHour)
		}
		clock.Advance(15 * time.Second)
	}
	s, err := m.Status(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d scale actions, %d calls, %.2f USD spent\n", actions, s.Stats.Calls, s.SpentUSD)
	// Output:
	// 00:00   3 instances  CPU  99%  0.30 USD/h
	// 04:00   6 instances  CPU  62%  0.60 USD/h
	// 08:00  11 instances  CPU  75%  1.10 USD/h
	// 12:00  15 instances  CPU  69%  1.50 USD/h
	// 16:00  15 instances  CPU  53%  1.50 USD/h
	// 20:00   6 instances  CPU  67%  0.60 USD/h
	// 13 scale actions, 13 calls, 22.37 USD spent
}

// Predictive workload analysis: after three days of observations the
// module forecasts the next six hours, with 80% and 95% intervals, and
// the instances they need.
func Example_predictiveWorkload() {
	ctx := context.Background()
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	clock := omnixan.NewVirtualClock(start)
	cluster, err := omnixan.NewSimulatedCluster(omnixan.SimConfig{Seed: 3, Load: omnixan.Diurnal(600, 400), Noise: 0.05, Instances: 10})
	if err != nil {
		log.Fatal(err)
	}
	m, err := omnixan.New(omnixan.Config{}, &omnixan.Options{Collector: cluster, Orchestrator: cluster, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Shutdown(ctx)
	if err := m.Initialize(ctx); err != nil {
		log.Fatal(err)
	}
	if _, err := m.PredictWorkload(ctx, time.Hour); errors.Is(err, omnixan.ErrInsufficientHistory) {
		fmt.Println("too early:", err)
	}
	// Every call that reads the metrics feeds the history.
	for clock.Now().Before(start.Add(72 * time.Hour)) {
		if _, err := m.Metrics(ctx); err != nil {
			log.Fatal(err)
		}
		clock.Advance(time.Minute)
	}

	p, err := m.PredictWorkload(ctx, 6*time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("fitted on %d steps of %v, method %s\n", p.History, p.Step, p.Method)
	for _, pt := range p.Points {
		if pt.At.Minute() != 0 {
			continue
		}
		fmt.Printf("%s  %4.0f req/s  80%% [%4.0f, %4.0f]  95%% [%4.0f, %4.0f]  %2d instances\n", pt.At.Format("15:04"),
			pt.RequestRate.Mean, pt.RequestRate.Lo80, pt.RequestRate.Hi80, pt.RequestRate.Lo95, pt.RequestRate.Hi95, pt.Instances)
	}
	fmt.Printf("peak at %s: provision %d instances\n", p.Peak.At.Format("15:04"), p.RecommendedInstances)
	// Output:
	// too early: omnixan: not enough workload history to forecast: 0 of 4 steps of 5m0s
	// fitted on 863 steps of 5m0s, method stl-damped
	// 00:00   203 req/s  80% [ 190,  216]  95% [ 183,  223]   3 instances
	// 01:00   206 req/s  80% [ 193,  219]  95% [ 186,  226]   3 instances
	// 02:00   256 req/s  80% [ 243,  269]  95% [ 236,  276]   4 instances
	// 03:00   321 req/s  80% [ 308,  334]  95% [ 301,  341]   5 instances
	// 04:00   400 req/s  80% [ 387,  413]  95% [ 380,  419]   6 instances
	// 05:00   503 req/s  80% [ 490,  516]  95% [ 483,  523]   7 instances
	// peak at 05:45: provision 8 instances
}

// Cost optimisation: a report first, then the same with
// CostOptimization on, which applies it; and an hourly budget that caps
// check_and_scale.
func Example_costOptimization() {
	ctx := context.Background()
	clock := omnixan.NewVirtualClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	cluster, err := omnixan.NewSimulatedCluster(omnixan.SimConfig{Instances: 10, Load: omnixan.Constant(300), Quantum: omnixan.Constant(4)})
	if err != nil {
		log.Fatal(err)
	}
	m, err := omnixan.New(omnixan.Config{MaxBudgetUSDPerHour: 4}, &omnixan.Options{Collector: cluster, Orchestrator: cluster, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Shutdown(ctx)
	if err := m.Initialize(ctx); err != nil {
		log.Fatal(err)
	}

	c, err := m.OptimizeCosts(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d → %d instances, %.2f → %.2f USD/h (4 qubits at 0.75 included): %s\n",
		c.Instances, c.RecommendedInstances, c.CurrentUSDPerHour, c.RecommendedUSDPerHour, c.Reason)

	if err := m.ConfigureScaling(ctx, omnixan.Policy{CostOptimization: true}, omnixan.Thresholds{}); err != nil {
		log.Fatal(err)
	}
	c, err = m.OptimizeCosts(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("applied %v: saves %.2f USD/h\n", c.Applied, c.SavingsUSDPerHour)

	// A budget caps automatic scaling too: at 0.10 USD/h per instance,
	// 1.20 USD/h buys 12 instances, fewer than the 14 that the saturated
	// fleet of 10 asks for.
	cluster2, err := omnixan.NewSimulatedCluster(omnixan.SimConfig{Instances: 10, Load: omnixan.Constant(3000)})
	if err != nil {
		log.Fatal(err)
	}
	m2, err := omnixan.New(omnixan.Config{MaxBudgetUSDPerHour: 1.2}, &omnixan.Options{Collector: cluster2, Orchestrator: cluster2, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		log.Fatal(err)
	}
	defer m2.Shutdown(ctx)
	if err := m2.Initialize(ctx); err != nil {
		log.Fatal(err)
	}
	r, err := m2.CheckAndScale(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d → %d: %s\n", r.Previous, r.Target, r.Reason)
	// Output:
	// 10 → 4 instances, 4.00 → 3.40 USD/h (4 qubits at 0.75 included): 4 instances run the load at 75% utilisation; not applied: Policy.CostOptimization is off
	// applied true: saves 0.60 USD/h
	// 10 → 12: utilization above scale-up threshold; clamped to budget 1.20 USD/h affords 12
}

// Error handling and resilience: retries of transient failures, the
// circuit breaker opening after failures in a row and closing after its
// timeout, and the error hierarchy.
func Example_resilience() {
	ctx := context.Background()
	clock := omnixan.NewVirtualClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	cluster, err := omnixan.NewSimulatedCluster(omnixan.SimConfig{Load: omnixan.Constant(180)})
	if err != nil {
		log.Fatal(err)
	}
	m, err := omnixan.New(omnixan.Config{}, &omnixan.Options{
		Collector: cluster, Orchestrator: cluster, Now: clock.Now, Sleep: clock.Sleep,
		Seed: 1, // the retry jitter
		Breaker: autoscaler.BreakerConfig{
			ConsecutiveFailures: 3,
			OpenTimeout:         time.Minute,
			OnTransition: func(t autoscaler.Transition) {
				fmt.Printf("  breaker %s → %s\n", t.From, t.To)
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Shutdown(ctx)
	if err := m.Initialize(ctx); err != nil {
		log.Fatal(err)
	}

	// Two transient failures: the third call succeeds.
	cluster.FailScaleCalls(2)
	r, err := m.CheckAndScale(ctx)
	fmt.Printf("check_and_scale: %d → %d after %d calls, success %v, err %v\n", r.Previous, r.Target, r.Calls, r.Success, err)

	// An outage: three failures in a row open the breaker.
	cluster.FailScaleCalls(1000)
	_, err = m.ScaleUp(ctx, omnixan.ResourceSpec{Instances: 1})
	fmt.Println("scale_up:", err)
	_, err = m.ScaleUp(ctx, omnixan.ResourceSpec{Instances: 1})
	var open *omnixan.CircuitBreakerOpenError
	if errors.As(err, &open) {
		fmt.Printf("scale_up refused until %s\n", open.Until.Format("15:04:05"))
	}
	var se *omnixan.ScalingError
	fmt.Println("is a ScalingError:", errors.As(err, &se), se.Op)
	x, _ := m.Metrics(ctx)
	fmt.Println("health:", x.HealthStatus)

	// The outage ends; after the open timeout one probe call goes through.
	cluster.FailScaleCalls(0)
	clock.Advance(time.Minute)
	r, err = m.ScaleUp(ctx, omnixan.ResourceSpec{Instances: 1})
	fmt.Printf("scale_up: %d → %d, err %v\n", r.Previous, r.Target, err)
	s, _ := m.Status(ctx)
	fmt.Printf("breaker %s; %d calls, %d retries, %d failures, %d refused, %d trip\n",
		s.Breaker, s.Stats.Calls, s.Stats.Retries, s.Stats.Failures, s.Stats.Rejected, s.Stats.BreakerTrips)
	// Output:
	// check_and_scale: 2 → 3 after 3 calls, success true, err <nil>
	//   breaker closed → open
	// scale_up: autoscaler: scale_up to 4: omnixan: injected orchestrator failure
	// scale_up refused until 09:01:01
	// is a ScalingError: true scale_up
	// health: unhealthy
	//   breaker open → half-open
	//   breaker half-open → closed
	// scale_up: 3 → 4, err <nil>
	// breaker closed; 7 calls, 4 retries, 5 failures, 1 refused, 1 trip
}

// fleet is a ContainerOrchestrator written by a user: it keeps a replica
// count and would call its platform's API in Scale.
type fleet struct{ replicas int }

var _ omnixan.ContainerOrchestrator = (*fleet)(nil)

func (f *fleet) Current(time.Time) (int, error) { return f.replicas, nil }

func (f *fleet) Scale(now time.Time, n int) error {
	fmt.Printf("  fleet: %d → %d replicas at %s\n", f.replicas, n, now.Format("15:04"))
	f.replicas = n
	return nil
}

// requestMeter is a MetricsCollector written by a user: each replica
// serves 50 req/s, and the load is whatever the meter reads.
type requestMeter struct {
	f   *fleet
	rps float64
}

func (r *requestMeter) Observe(now time.Time) (omnixan.Observation, error) {
	capacity := 50 * float64(r.f.replicas)
	return omnixan.Observation{
		Time: now, Valid: true, Ready: r.f.replicas, RequestRate: r.rps,
		Utilization: min(1, r.rps/capacity), Capacity: 50,
	}, nil
}

// Integration of an external orchestrator: any type with Current and
// Scale is a ContainerOrchestrator, and any type with Observe a
// MetricsCollector; the live adapters are such types too.
func Example_externalOrchestrator() {
	ctx := context.Background()
	clock := omnixan.NewVirtualClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	f := &fleet{replicas: 4}
	meter := &requestMeter{f: f, rps: 100}
	m, err := omnixan.New(omnixan.Config{}, &omnixan.Options{Collector: meter, Orchestrator: f, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Shutdown(ctx)
	if err := m.Initialize(ctx); err != nil {
		log.Fatal(err)
	}
	for _, rps := range []float64{100, 400, 400, 400, 100} {
		meter.rps = rps
		r, err := m.CheckAndScale(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %4.0f req/s: %s (%s)\n", clock.Now().Format("15:04"), rps, r.Action, r.Reason)
		clock.Advance(3 * time.Minute)
	}
	// Output:
	// 09:00  100 req/s: none (utilization within thresholds)
	//   fleet: 4 → 6 replicas at 09:03
	// 09:03  400 req/s: scale_up (utilization above scale-up threshold)
	// 09:06  400 req/s: none (cooldown)
	//   fleet: 6 → 8 replicas at 09:09
	// 09:09  400 req/s: scale_up (utilization above scale-up threshold)
	// 09:12  100 req/s: none (cooldown)
}
