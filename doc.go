// Package omnixan is OMNIXAN as a library: the original Python module's
// API — AutoScalingConfig, ScalingPolicy, ResourceSpec and the
// AutoScalingModule with its execute actions — in Go, over the same engine
// the simulator (cmd/sim), the backtests (cmd/replay) and live mode run:
// package autoscaler's control loop, circuit breaker and retries, package
// policy's policies, package forecast's forecasters and package cost's
// prices.
//
// # Parts
//
//   - Config is the original AutoScalingConfig (module name, log level,
//     hourly budget, USD per qubit-hour and per vCPU-hour, Prometheus
//     switch and port); ConfigFromEnv applies the OMNIXAN_AUTOSCALING_*
//     environment variables.
//   - Policy is the original ScalingPolicy (horizontal, vertical or hybrid;
//     bounds; target utilisation and thresholds; cooldown; predictive; cost
//     optimisation); Thresholds adds memory and backlog triggers.
//   - Module runs it: Initialize, ConfigureScaling, Execute (the actions
//     check_and_scale, scale_up, scale_down, get_metrics,
//     predict_workload, configure_scaling, get_status, optimize_costs),
//     and one method per action (CheckAndScale, ScaleUp, ScaleDown,
//     Metrics, PredictWorkload, ConfigureScaling, Status, OptimizeCosts),
//     then Shutdown. Run calls CheckAndScale once per sync period until
//     its context ends.
//   - Options injects the collaborators. MetricsCollector,
//     ContainerOrchestrator and LoadBalancer are aliases of the engine's
//     autoscaler.MetricsSource, autoscaler.Orchestrator and
//     autoscaler.LoadBalancer, so live mode's adapters,
//     SimulatedCluster and types of your own plug in unchanged.
//   - SimulatedCluster is a deterministic in-memory service to try it on,
//     and VirtualClock a clock that moves only when told to.
//
// # check_and_scale
//
// One pass reads the collector, lets the policy propose a count (and,
// for vertical and hybrid policies, a size), raises it by one when a
// Thresholds trigger fires, clamps it to [MinInstances, MaxInstances] and
// to what Config.MaxBudgetUSDPerHour affords, and sends it to the
// orchestrator through the circuit breaker. A call that fails with a
// transient error (see Transient) is retried with exponential backoff and
// full jitter; the module waits with Options.Sleep between tries. Manual
// ScaleUp and ScaleDown go through the same breaker with their own retry
// schedule, and are refused before any call when they would pass
// MaxInstances or the budget.
//
// # Units
//
// Utilisations are fractions (0.75 = 75%), request rates req/s, sizes
// vCPUs and GiB, money USD and USD per hour, the quantum workload qubits in
// use. An instance of c vCPUs costs c × Config.CPUCostPerCoreHour per hour
// (0.10 USD/h for the default 2 vCPU), the quantum workload q costs
// q × Config.QuantumCostPerQubitHour per hour (0.75 USD per qubit-hour by
// default).
//
// # Time
//
// The module never reads the wall clock directly: every time comes from
// Options.Now (time.Now by default) and every wait goes through
// Options.Sleep. Give it a VirtualClock's Now and Sleep and a run is
// deterministic — the Examples rely on it.
//
// # Errors
//
// ScalingError, ResourceExhaustedError, ConfigurationError and
// CircuitBreakerOpenError are the engine's types (aliases). Each specific
// one matches *ScalingError under errors.As; ConfigurationError also
// matches ErrConfiguration under errors.Is and names the bad field, option
// or environment variable in Field.
//
// # Concurrency
//
// A Module is safe for concurrent use; its calls to the collector and
// the orchestrator never overlap. Config, Policy, Thresholds and
// ResourceSpec are plain values. SimulatedCluster and VirtualClock are safe
// for concurrent use.
//
// # Prometheus
//
// The package starts no server and imports no Prometheus client:
// Config.EnablePrometheus and Config.PrometheusPort are recorded (Status
// shows them) for the program that serves /metrics, and Metrics.Map gives
// the six metrics under their exported names.
//
// docs/api.md walks through a complete program.
package omnixan
