// Package autoscaler is the control loop shared by the simulator and live
// mode.
//
// Once per sync period the driver (package sim in simulation, live on a real
// clock) calls Loop.Tick, or Loop.Step with an observation it already has:
//
//  1. the observation goes to the policy, which proposes a target;
//  2. the guard holds back a scale-in that would flap (Config.AntiFlapThreshold,
//     when set) and clamps the target to the instance bounds and to what
//     the hourly budget affords;
//  3. the actuator sends the target to the orchestrator when it differs
//     from the current one, through a circuit breaker (Breaker), and
//     retries a call that fails transiently with exponential backoff and
//     full jitter (Retry). When the policy also asks for an instance size
//     (policy.Decision.Size) and the orchestrator is a Resizer, a size
//     that differs from the current one is sent first, through the same
//     breaker but without retries (the policy asks again at the next
//     pass). The budget counts instances at Config.Price whatever their
//     size.
//
// Breaker and retry are state machines driven by the caller's clock: they
// take the time, never sleep and start no goroutines. After a transient
// failure the loop holds the action pending; Loop.NextRetry says when to
// call Loop.Retry. Live, the driver sleeps until then; the simulator
// schedules an event at that virtual time. So the same code runs in both.
//
// Errors are a small hierarchy rooted at ScalingError (see its doc), and
// errors the orchestrator marks with Transient are the only ones retried.
//
// The loop talks to the world only through MetricsSource and Orchestrator,
// which the driver implements. It never reads a clock: every method takes
// the time as an argument.
package autoscaler
