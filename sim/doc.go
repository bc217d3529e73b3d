// Package sim is OMNIXAN's discrete-event simulator: a virtual clock, an
// event queue, and the world models a scaling policy acts on. It drives the
// very autoscaler.Loop, policies and cost code that run live; only the
// clock, the metrics source and the orchestrator are simulated.
//
// # Engine
//
// Time is virtual: nanoseconds since the start of the run, kept as int64 and
// shown as time.Time. Events are values in a Queue, a 4-ary heap ordered by
// (time, sequence number), so events at the same instant run first in,
// first out, and scheduling allocates nothing. Step boundaries are a fixed
// schedule outside the queue and come before any event at the same instant,
// so a step is judged on the capacity it actually had. One run is one
// goroutine; parallelism comes from running independent runs at once.
//
// # Classical service model
//
// The load gives the arrival rate λ in requests per second (a trace column
// times Config.Scale; each row holds until the next, and a step takes the
// time-weighted mean over its span). The service has n ready instances,
// each serving μ = Service.Capacity req/s when saturated, m =
// Service.Concurrency requests at once, so a request takes s = m/μ seconds
// on average.
//
// Between two events nothing changes, and the model is integrated exactly
// as a fluid. Over an interval of length Δt with backlog B requests:
//
//	arrived  A = λ·Δt
//	served   S = min(B + A, n·μ·Δt)
//	backlog  B' = B + A − S
//
// so arrived = served + backlog holds at every instant (up to float
// rounding, far below one request). Utilisation over a window is S divided
// by the ready capacity n·μ·Δt, and is at most 1.
//
// At the end of each step the latency at quantile q (Service.Quantile, 0.95
// by default) of a request arriving then is
//
//	L = s + W_q(q) + B/(n·μ)
//
// the service time, plus the q-quantile of the waiting time of an M/M/c
// queue with c = n·m servers each of rate 1/s and offered load a = λ·s
// Erlangs,
//
//	P(W_q > t) = C(c, a)·exp(−(n·μ − λ)·t)   ⇒   W_q(q) = max(0, ln(C/(1−q)) / (n·μ − λ)),
//
// where C is Erlang's C formula, plus the time to drain the backlog ahead
// of the request at full capacity. L is +Inf when λ ≥ n·μ, since the queue
// has no steady state then. The step misses its SLO when
// L > Service.Objective (250 ms by default). The need of a step is the
// least n whose L meets the objective at its λ with no backlog.
//
// # Instances and billing
//
// Asking for an instance launches it at once; it serves after
// Service.StartupDelay (60 s by default) and is billed from launch, per
// Config.Price (0.10 USD per instance-hour, per second, by default).
// Removals take starting instances first, then ready ones, newest first,
// and stop billing at once. Instances left at the end are billed to the end.
//
// # Instance sizes, memory and rolling restarts
//
// Every instance has a size: u = its vCPUs ÷ Config.Size.CPU (2 vCPU, 4 GiB
// by default) and its memory M in GiB. It serves u·μ req/s and u·m requests
// at once, and costs u·Config.Price per hour (a price per vCPU-hour; memory
// is not priced). With several sizes ready, n in the equations above is
// the ready capacity in base instances, Σu (so for one size everything is
// as above). At the start every instance has Config.Size.
//
// Memory: an instance of u base instances holds r = min(u·m, S·s·u/Σu)
// requests in flight when the pool serves S req/s (Little's law, shared in
// proportion to capacity, at most its concurrency; queued requests wait at
// the load balancer), and uses
//
//	use = Service.MemoryBaseGiB + Service.MemoryPerRequestGiB · r   GiB
//
// (0.5 GiB + 0.5 GiB per request by default, so the default instance uses
// at most 3 of its 4 GiB, and one of 1 vCPU and 2 GiB at most 1.75 GiB).
// At the end of each step, with S the step's mean served rate, every
// ready instance whose use
// exceeds M is killed for want of memory (an OOM kill): it restarts, is
// unavailable for Service.StartupDelay and is still billed. The next
// sample counts the kills (Observation.OOMEvents) and shows the mean
// memory use ÷ memory of the ready instances (Observation.MemoryUtilization,
// at the sample window's served rate).
//
// Resizing (autoscaler.Resizer; policy.Decision.Size) sets the size new
// instances get at once, and restarts the running ones in a rolling
// restart, as a Kubernetes Deployment's rolling update with maxSurge 0 and
// maxUnavailable 25%: while fewer than max(1, ⌊N/4⌋) of the N instances
// are restarting for the resize, the oldest ready instance of another size
// stops serving and restarts at the new size, ready after the start-up
// delay; each restart that completes lets the next one start. So at most a
// quarter of the fleet (at least one instance) is down at once. A
// restarted instance is billed at its old size up to the restart and at
// its new size from then. Observation.Size is the new instances' size and
// Observation.Capacity that of one of them.
//
// # Metrics as the policy sees them
//
// A collector takes a sample every Scrape.Interval (15 s): the mean
// utilisation and arrival rate over the interval and the ready count. The
// policy can read a sample Scrape.Delay (one interval) after it was taken,
// and always sees the newest readable one. The autoscaler decides every
// Config.SyncPeriod (15 s, the HPA's default).
//
// # Orchestrator faults, retries and the circuit breaker
//
// Config.Faults wraps the world's orchestrator with seeded faults (its own
// PCG stream, seeded by Faults.Seed): Scale calls fail during outage
// windows and at random with Faults.ErrorRate, and take Faults.Latency plus
// an exponential extra of mean Faults.LatencyJitter; a call slower than
// Faults.Timeout fails, a slower one that does not takes effect that much
// later. Every injected error is transient (autoscaler.Transient). Reads of
// the current count never fail. The zero Faults injects nothing and leaves
// a run exactly as it was.
//
// The loop's own circuit breaker and retry (autoscaler.Breaker,
// autoscaler.Retry), the code that runs live, decide what happens: after a
// transient failure the loop holds the action with a retry time, and the
// simulator schedules an event at that virtual time (Loop.NextRetry) which
// calls Loop.Retry. The next sync supersedes a pending retry. Calls the open
// breaker refuses are not sent. Result.Retries, FailedActions,
// ActuationErrors and BreakerOpenMinutes count what happened.
//
// # Scores
//
// SLO-miss minutes are the missing steps times the step. The SLO-miss
// fraction is the share of requests that arrived during missing steps.
// Over-provisioning is billed instance-time divided by needed
// instance-time. The oracle (policy.Oracle) is given a look-ahead into the
// load through policy.Foresight and meets the SLO at every step at the
// least spend the start-up delay allows.
//
// Same configuration, load and policy, same result, bit for bit.
//
// # The quantum world
//
// RunQuantum runs quantum jobs (traces.Job: qubits, shots, circuits,
// depth, backend) beside the classical service, event by event. A job is
// routed, from the job alone, to the state-vector simulator workers (it
// needs 16·2^qubits bytes plus overhead, and runs circuits × shots ×
// depth × 2^qubits amplitude updates at AmplitudeRate per vCPU) or to a
// QPU backend (one job at a time; JobOverhead + circuits × shots ×
// (depth × LayerTime + ShotTime)), on a reserved device or on-demand after
// a wait in the provider's public queue; a job that fits nowhere fails and
// is counted. Each pool (the workers; each backend's reserved devices) has
// an autoscaler.Loop of its own around a policy of the run's kind, which
// sees the pool's busy fraction as utilisation and its offered work, in
// worker-seconds per second, as the request rate (capacity 1); the workers
// are also resized in the steps a state vector needs
// (policy.StateVectorSizing). Jobs = done + failed + queued + running at
// the end; the SLO is the job wait's 95th percentile and the share of
// jobs over the objective. docs/quantum.md has the constants, their
// sources and a worked example.
//
// SharedLoad resolves one load into steps once for several runs: the
// trace is read, averaged per step and each step's need found on one
// goroutine, and every run reads the shared blocks.
package sim
