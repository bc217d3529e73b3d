package live

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/omnixan/omnixan/autoscaler"
)

// Metrics are what the autoscaler exports on /metrics. The first six carry
// the original module's names; the rest are prefixed omnixan_autoscaler_.
//
//	cpu_utilization        gauge   mean CPU utilisation of the ready instances, fraction
//	memory_utilization     gauge   mean memory utilisation, fraction
//	quantum_workload       gauge   the quantum query's value (job backlog)
//	instance_count         gauge   the orchestrator's current target
//	cost_usd_per_hour      gauge   instance_count × the price per instance-hour
//	health_status          gauge   1 healthy, 0 not (no valid observation, or a breaker not closed)
//	omnixan_autoscaler_request_rate                 gauge     observed requests per second
//	omnixan_autoscaler_ready_instances              gauge     ready instances
//	omnixan_autoscaler_desired_instances            gauge     the target of the last decision
//	omnixan_autoscaler_decisions_total{outcome}     counter   passes and retries: hold, scale_up, scale_down, error
//	omnixan_autoscaler_scale_actions_total{direction,result}  Scale calls: up/down × ok/error
//	omnixan_autoscaler_retries_total                counter   retried Scale calls
//	omnixan_autoscaler_breaker_state{breaker}       gauge     0 closed, 1 open, 2 half-open; breaker orchestrator or metrics
//	omnixan_autoscaler_breaker_trips_total{breaker} counter   times a breaker opened
//	omnixan_autoscaler_observation_failures_total{metric}  counter  missing inputs per metric
//	omnixan_autoscaler_decision_latency_seconds     histogram from observation to orchestrator call, without the orchestrator's own time
//	omnixan_autoscaler_last_decision_timestamp_seconds gauge  Unix time of the last pass
//
// All methods are safe for concurrent use.
type Metrics struct {
	CPU, Memory, Quantum, Instances, Cost, Health prometheus.Gauge

	RequestRate, Ready, Desired, LastDecision prometheus.Gauge
	Decisions, ScaleActions, BreakerTrips     *prometheus.CounterVec
	ObservationFailures                       *prometheus.CounterVec
	Retries                                   prometheus.Counter
	BreakerState                              *prometheus.GaugeVec
	DecisionLatency                           prometheus.Histogram
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	}
	const ns = "omnixan_autoscaler_"
	m := &Metrics{
		CPU:          g("cpu_utilization", "Mean CPU utilisation of the ready instances, as a fraction of their capacity."),
		Memory:       g("memory_utilization", "Mean memory utilisation of the ready instances, as a fraction."),
		Quantum:      g("quantum_workload", "Quantum workload: the value of the quantum query (job backlog)."),
		Instances:    g("instance_count", "Instances the orchestrator is asked to run (its current target)."),
		Cost:         g("cost_usd_per_hour", "Running cost of instance_count instances, USD per hour."),
		Health:       g("health_status", "1 when the last observation was valid and no circuit breaker is open, else 0."),
		RequestRate:  g(ns+"request_rate", "Observed request rate, requests per second."),
		Ready:        g(ns+"ready_instances", "Ready instances as the orchestrator reports them."),
		Desired:      g(ns+"desired_instances", "Target instance count of the last decision."),
		LastDecision: g(ns+"last_decision_timestamp_seconds", "Unix time of the last pass of the control loop."),
		Decisions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "decisions_total",
			Help: "Passes of the control loop by outcome: hold, scale_up, scale_down, error."}, []string{"outcome"}),
		ScaleActions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "scale_actions_total",
			Help: "Scale calls sent to the orchestrator, by direction (up, down) and result (ok, error)."}, []string{"direction", "result"}),
		BreakerTrips: prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "breaker_trips_total",
			Help: "Times a circuit breaker opened from closed."}, []string{"breaker"}),
		ObservationFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "observation_failures_total",
			Help: "Inputs missing from an observation, by metric."}, []string{"metric"}),
		Retries: prometheus.NewCounter(prometheus.CounterOpts{Name: ns + "retries_total",
			Help: "Scale calls that retried an action after a transient failure."}),
		BreakerState: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: ns + "breaker_state",
			Help: "Circuit breaker state: 0 closed, 1 open, 2 half-open."}, []string{"breaker"}),
		DecisionLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: ns + "decision_latency_seconds",
			Help:    "Time from the observation to the orchestrator call, excluding the orchestrator's own time.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 12)}),
	}
	for _, c := range []prometheus.Collector{m.CPU, m.Memory, m.Quantum, m.Instances, m.Cost, m.Health,
		m.RequestRate, m.Ready, m.Desired, m.LastDecision, m.Decisions, m.ScaleActions, m.BreakerTrips,
		m.ObservationFailures, m.Retries, m.BreakerState, m.DecisionLatency} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, b := range []string{BreakerOrchestrator, BreakerMetrics} {
		m.BreakerState.WithLabelValues(b).Set(0)
		m.BreakerTrips.WithLabelValues(b)
	}
	for _, o := range []string{"hold", "scale_up", "scale_down", "error"} {
		m.Decisions.WithLabelValues(o)
	}
	return m, nil
}

// Breaker names in the breaker label.
const (
	BreakerOrchestrator = "orchestrator"
	BreakerMetrics      = "metrics"
)

// breakerValue is the breaker_state value of s.
func breakerValue(s autoscaler.BreakerState) float64 {
	switch s {
	case autoscaler.Open:
		return 1
	case autoscaler.HalfOpen:
		return 2
	}
	return 0
}
