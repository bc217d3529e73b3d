// Package live runs the autoscaler's control loop on a real clock against
// real systems: Prometheus as the metrics source (PromSource), Kubernetes
// (Kube) or local processes (Processes) as the orchestrator, and HAProxy
// (HAProxy) as the load balancer in front of local processes. Runner is the
// driver: once per sync period it reads an observation, hands it to
// autoscaler.Loop.Step — the same loop, policies, breaker and retry that the
// simulator runs — sleeps until a pending retry is due, exports what it
// did on /metrics (Metrics), logs every decision with log/slog and appends
// it to a CSV trace (Recorder) that replay reads back.
//
// # Missing and stale data
//
// Like the Kubernetes HPA, the loop never scales in on data it does not
// fully have. A pass is partial when the request-rate query failed or came
// back empty, when a secondary query (CPU, memory, quantum) that was
// configured failed, or when the orchestrator's ready count could not be read (the last
// count read stands in for it). An observation without a request rate is
// invalid (policy.Observation.Valid false): the policies hold. Any other partial pass may scale out but never
// in (NoScaleInOnPartial). Prometheus itself drops a series five minutes
// after its last sample or at once when a target disappears (staleness
// markers), so a dead exporter shows as an empty result, i.e. missing data.
//
// # Clock
//
// Decision code never reads the clock: Runner reads it (Clock, the
// k8s.io/utils/clock shape) and passes the time down.
package live
