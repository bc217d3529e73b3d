package omnixan

import (
	"fmt"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/forecast"
)

// ResourceSpec is what a manual ScaleUp or ScaleDown asks for, the
// original module's ResourceSpec. The zero ResourceSpec means one
// instance.
type ResourceSpec struct {
	// Instances is how many instances to add (ScaleUp) or remove
	// (ScaleDown), ≥ 0. 0 means 1 when CPU and MemoryGiB are 0 too, and no
	// change of count otherwise.
	Instances int
	// CPU (vCPUs) and MemoryGiB (GiB) set the size of every instance; 0
	// keeps the current value. A size needs an orchestrator that
	// implements Resizer. The size is applied before the count, so that new
	// instances start at it.
	CPU       float64
	MemoryGiB float64
}

// Validate reports the first bad field as a *ConfigurationError whose
// Field starts with "ResourceSpec.".
func (r ResourceSpec) Validate() error {
	switch {
	case r.Instances < 0:
		return configError("ResourceSpec.Instances", fmt.Sprintf("= %d, want ≥ 0", r.Instances), nil)
	case !(r.CPU >= 0) || r.CPU > 1e6:
		return configError("ResourceSpec.CPU", fmt.Sprintf("= %v, want a finite vCPU count ≥ 0", r.CPU), nil)
	case !(r.MemoryGiB >= 0) || r.MemoryGiB > 1e9:
		return configError("ResourceSpec.MemoryGiB", fmt.Sprintf("= %v, want a finite GiB count ≥ 0", r.MemoryGiB), nil)
	}
	return nil
}

// ScalingResult explains one scaling action: what was asked, what was
// sent and why.
type ScalingResult struct {
	// Action is "scale_up", "scale_down", "resize" or "none".
	Action string
	// Time is when the action was decided (the module's clock).
	Time time.Time
	// Previous is the orchestrator's instance count before the action.
	Previous int
	// Requested is what was asked for: the policy's proposal for
	// check_and_scale, Previous ± ResourceSpec.Instances for a manual one.
	Requested int
	// Target is the count sent, after the bounds and the budget.
	Target int
	// Size is the instance size asked for; the zero Size keeps it.
	Size Size
	// Reason says why, in words: the policy's reason and any clamp.
	Reason string
	// Calls is the number of calls sent to the orchestrator (Scale and
	// Resize), retries after transient failures included; 0 when nothing
	// was sent (no change, a refusal, an open breaker).
	Calls int
	// Success is true when the orchestrator has the target: the action
	// needed no call, or its last call succeeded.
	Success bool
	// CostUSDPerHour is the running cost of Target instances at the
	// current size, USD per hour (quantum workload excluded).
	CostUSDPerHour float64
}

// HealthStatus is the module's view of the managed workload's health.
// Its Value is the health_status metric.
type HealthStatus int

// Health states, worst first.
const (
	// Unhealthy: the collector failed, no instance is ready, or the
	// breaker is open.
	Unhealthy HealthStatus = iota
	// Degraded: the breaker is half-open, or demand exceeds the ready
	// capacity (a backlog builds).
	Degraded
	// Healthy: none of the above.
	Healthy
)

// String returns "unhealthy", "degraded" or "healthy".
func (h HealthStatus) String() string {
	switch h {
	case Unhealthy:
		return "unhealthy"
	case Degraded:
		return "degraded"
	case Healthy:
		return "healthy"
	}
	return fmt.Sprintf("HealthStatus(%d)", int(h))
}

// Value returns the health_status gauge value: 0, 0.5 or 1.
func (h HealthStatus) Value() float64 { return float64(h) / 2 }

// Metric names, as the original module exported them (and live mode does).
const (
	MetricCPUUtilization    = "cpu_utilization"
	MetricMemoryUtilization = "memory_utilization"
	MetricQuantumWorkload   = "quantum_workload"
	MetricInstanceCount     = "instance_count"
	MetricCostUSDPerHour    = "cost_usd_per_hour"
	MetricHealthStatus      = "health_status"
)

// Metrics are the original module's six metrics at one time.
type Metrics struct {
	Time time.Time // when they were read (the module's clock)
	// CPUUtilization is the ready instances' mean CPU utilisation, a
	// fraction (0.5 = 50%); 0 when the collector had no sample.
	CPUUtilization float64
	// MemoryUtilization is their mean memory use, a fraction of memory.
	MemoryUtilization float64
	// QuantumWorkload is the qubits in use (QuantumWorkloadSource); 0
	// when the collector does not report it.
	QuantumWorkload float64
	// InstanceCount is the orchestrator's count, ready plus starting.
	InstanceCount int
	// CostUSDPerHour is the running cost, USD per hour: InstanceCount ×
	// vCPUs per instance × Config.CPUCostPerCoreHour + QuantumWorkload ×
	// Config.QuantumCostPerQubitHour.
	CostUSDPerHour float64
	// HealthStatus is the health; its Value is the metric.
	HealthStatus HealthStatus
}

// Map returns the six metrics by their names (Metric* constants), as the
// original module's get_metrics returned them, health as its Value.
func (m Metrics) Map() map[string]float64 {
	return map[string]float64{
		MetricCPUUtilization:    m.CPUUtilization,
		MetricMemoryUtilization: m.MemoryUtilization,
		MetricQuantumWorkload:   m.QuantumWorkload,
		MetricInstanceCount:     float64(m.InstanceCount),
		MetricCostUSDPerHour:    m.CostUSDPerHour,
		MetricHealthStatus:      m.HealthStatus.Value(),
	}
}

// PredictedLoad is one step of a WorkloadPrediction.
type PredictedLoad struct {
	// At is the start of the step.
	At time.Time
	// RequestRate is the forecast mean request rate over the step, req/s,
	// with its 80% and 95% prediction intervals; values are floored at 0.
	RequestRate forecast.Point
	// Instances is ⌈RequestRate.Mean ÷ (capacity × TargetUtilization)⌉,
	// the instances that run the mean at the policy's target, and
	// InstancesHi95 the same for RequestRate.Hi95; both 0 when the
	// collector reports no per-instance capacity. Not clamped to the
	// policy's bounds.
	Instances, InstancesHi95 int
}

// WorkloadPrediction is a forecast of the request rate from the history
// the module has observed.
type WorkloadPrediction struct {
	Made    time.Time     // when it was made (the module's clock)
	Step    time.Duration // the history's and the forecast's step (Options.HistoryStep)
	Horizon time.Duration // as asked; the forecast covers ⌈Horizon ÷ Step⌉ steps
	// Method is the forecasting method forecast.Auto chose, "+"-joined
	// when it averages several.
	Method string
	// History is the number of steps the forecast was fitted on.
	History int
	Points  []PredictedLoad
	// Peak is the step with the largest mean, and RecommendedInstances
	// its Instances clamped to the policy's bounds.
	Peak                 PredictedLoad
	RecommendedInstances int
}

// CostReport is the outcome of optimize_costs.
type CostReport struct {
	Time      time.Time
	Instances int  // the orchestrator's count
	Size      Size // the instances' size, as observed or assumed
	// CurrentUSDPerHour and RecommendedUSDPerHour are the running costs
	// of the current and recommended fleets (classical and quantum), USD
	// per hour; SavingsUSDPerHour is their difference, ≥ 0 when the
	// recommendation is a scale-in.
	CurrentUSDPerHour     float64
	RecommendedInstances  int
	RecommendedUSDPerHour float64
	SavingsUSDPerHour     float64
	// SpentUSD is what the module has seen spent since Initialize: the
	// running cost integrated over the times it observed.
	SpentUSD float64
	// Applied is true when the recommendation was sent to the orchestrator
	// (Policy.CostOptimization and a scale-in) and succeeded.
	Applied bool
	Reason  string
}

// BreakerState is autoscaler.BreakerState: Closed, Open or HalfOpen.
type BreakerState = autoscaler.BreakerState

// Stats is autoscaler.Stats, the actuator's counters.
type Stats = autoscaler.Stats

// Status is the outcome of get_status.
type Status struct {
	ModuleName  string
	Initialized bool
	Policy      Policy     // in force, defaults filled in
	Thresholds  Thresholds // in force
	Instances   int        // the orchestrator's count; -1 when it could not be read
	Breaker     BreakerState
	// BreakerReadyAt is when the breaker lets a call through again; the
	// status time when it already does.
	BreakerReadyAt time.Time
	// Stats counts the calls to the orchestrator, the policy's and the
	// manual ones together, since New.
	Stats             Stats
	BudgetUSDPerHour  float64 // Config.MaxBudgetUSDPerHour; 0: no cap
	SpentUSD          float64 // as CostReport.SpentUSD
	PrometheusEnabled bool    // Config.EnablePrometheus
	PrometheusPort    int     // Config.PrometheusPort
	// Backends are the load balancer's backends; nil without one.
	Backends []Backend
}

// Action names an operation of Execute, as the original module's execute
// took it.
type Action string

// The actions Execute accepts.
const (
	// ActionCheckAndScale reads the metrics and runs one pass of the
	// control loop: the policy proposes, the guard clamps to the bounds
	// and the budget, the actuator scales through the breaker and retries.
	// Response.Result.
	ActionCheckAndScale Action = "check_and_scale"
	// ActionScaleUp and ActionScaleDown are ScaleUp and ScaleDown with
	// Request.Resources. Response.Result.
	ActionScaleUp   Action = "scale_up"
	ActionScaleDown Action = "scale_down"
	// ActionGetMetrics is Metrics. Response.Metrics.
	ActionGetMetrics Action = "get_metrics"
	// ActionPredictWorkload is PredictWorkload with Request.Horizon [1 h].
	// Response.Prediction.
	ActionPredictWorkload Action = "predict_workload"
	// ActionConfigureScaling is ConfigureScaling with Request.Policy and
	// Request.Thresholds. Response.Status.
	ActionConfigureScaling Action = "configure_scaling"
	// ActionGetStatus is Status. Response.Status.
	ActionGetStatus Action = "get_status"
	// ActionOptimizeCosts is OptimizeCosts. Response.Costs.
	ActionOptimizeCosts Action = "optimize_costs"
)

// Request is an Execute request: an Action and the fields it uses.
type Request struct {
	Action     Action
	Resources  ResourceSpec  // scale_up, scale_down
	Horizon    time.Duration // predict_workload [1 h]
	Policy     Policy        // configure_scaling
	Thresholds Thresholds    // configure_scaling
}

// Response is an Execute response: the Action and the one field it
// fills.
type Response struct {
	Action     Action
	Result     *ScalingResult
	Metrics    *Metrics
	Prediction *WorkloadPrediction
	Status     *Status
	Costs      *CostReport
}
