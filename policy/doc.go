// Package policy holds scaling policies: pure decision code that turns what
// the metrics show into a target instance count.
//
// A Policy never reads a clock, does no I/O and starts no goroutines: it is
// given the time and the observation, and returns a Decision. The same
// policy value therefore runs unchanged in the simulator and live (package
// autoscaler owns the loop around it).
//
// # The contract
//
// Decide(now, obs) is called once per sync period with the latest
// Observation (utilisation as a fraction, request rate in req/s, ready and
// starting instances, backlog, per-instance capacity, memory use, the
// instance Size) and Observation.Current, the orchestrator's count, filled
// in by the loop. It returns a Decision: a target count, a short constant
// reason, and optionally a Size. Policies keep state between calls
// (cooldowns, histories, forecasters), must be deterministic given their
// inputs, and are not safe for concurrent use. Optional interfaces add what
// some need: Bounded (instance bounds the loop enforces), Initializer (a
// count at the start of a run), Clairvoyant (a look at the future, for the
// oracle) and Forecasting (the forecast behind the latest decision, so its
// accuracy can be scored).
//
// # The policies
//
//   - Threshold: the original OMNIXAN module's rule, toward a target
//     utilisation when it leaves [ScaleDown, ScaleUp], with a cooldown.
//   - HPA: the Kubernetes HorizontalPodAutoscaler controller, legacy and
//     behaviour paths, from a config or an autoscaling/v2 manifest (LoadHPA).
//   - StepScaling and TargetTracking: AWS EC2 Auto Scaling's policies.
//   - Predictive: scales ahead of a forecast.Auto demand forecast, never in
//     on the forecast alone, with a reactive fallback.
//   - Vertical: the Kubernetes VPA recommender and updater; resizes, keeps
//     the count.
//   - Hybrid: the cheapest instance size × count (Cheapest) for the
//     predictive forecast.
//   - Oracle: the clairvoyant lower bound every report shows.
//
// Each type's doc comment has its equations and defaults; zero config
// fields take the defaults in brackets.
//
// # Selecting policies by name
//
// Specs lists the policies selectable by name with their parameters, units
// and defaults (what `sim policies` prints); Lookup finds one, and its New
// builds it from a parameter map (DecodeParams is the strict decoder).
// LoadFile and ParseFile read policy files and HPA manifests; the format is
// in docs/policy-files.md. Configuration errors wrap ErrInvalidConfig and
// name the field.
package policy
