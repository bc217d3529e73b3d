package sim

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/omnixan/omnixan/cost"
	"github.com/omnixan/omnixan/policy"
	"github.com/omnixan/omnixan/traces"
)

// ErrInvalidQuantum marks an invalid quantum configuration; errors name
// the field.
var ErrInvalidQuantum = errors.New("invalid quantum configuration")

// QuantumConfig is the quantum side of a world: the jobs' SLO, a pool of
// state-vector simulator workers, QPU backends, and the routing rule
// between them. Zero fields take the defaults in brackets (DefaultQuantum
// holds them all). Sources of the defaults are cited on each field and in
// docs/quantum.md.
type QuantumConfig struct {
	// WaitObjective is the quantum SLO: a job should start within this
	// time of its submission [5 min].
	WaitObjective Duration `json:"wait_objective"`
	// Simulators is the pool of state-vector simulator workers.
	Simulators SimulatorPool `json:"simulators"`
	// QPUs are the QPU backends jobs may run on.
	QPUs []QPUBackend `json:"qpus"`
	// Routing decides where each job runs.
	Routing Routing `json:"routing"`
	// Budget caps on-demand QPU spend [none]: a job whose price would
	// break it is rejected when submitted, as Amazon Braket's spending
	// limits reject tasks, and counted failed. PerRun is checked against
	// all quantum spend accrued so far plus the on-demand jobs accepted and
	// not yet charged; PerHour against the on-demand charges of the
	// current hour (hours counted from the start of the run). Reserved
	// devices and simulator workers are bounded by their pools' maxima,
	// not by the budget.
	Budget cost.Budget `json:"budget"`
	// OnDemandWaitScale multiplies the drawn public-queue wait of on-demand
	// QPU jobs [1]; 0 is the default, a negative value turns it off (an
	// idle public queue).
	OnDemandWaitScale float64 `json:"on_demand_wait_scale"`
	// Prices is the catalogue on-demand prices are looked up in [nil: the
	// default catalogue, cost.DefaultPrices].
	Prices *cost.Catalogue `json:"-"`
}

// prices is the catalogue in use.
func (c *QuantumConfig) prices() *cost.Catalogue {
	if c.Prices != nil {
		return c.Prices
	}
	return cost.DefaultPrices()
}

// SimulatorPool is a pool of state-vector simulator workers. A worker runs
// one job at a time; a job runs only on a worker with the memory its
// state vector needs. Workers scale horizontally (count) and vertically
// (size, in the steps of Sizes) through the policy package.
type SimulatorPool struct {
	// Sizes are the worker sizes, ascending in memory [powers of two from
	// 16 to 512 GiB at 1 vCPU per 8 GiB, as memory-optimised instances
	// are: policy.StateVectorSizes(16, 512, 1.0/8)]. A state vector of n
	// qubits takes 16·2^n bytes in complex128: 30 qubits 16 GiB, 33
	// qubits 128 GiB, 34 qubits 256 GiB (../shared/data/quantum/README.md).
	Sizes []policy.Size `json:"sizes"`
	// MemoryOverheadGiB is the memory a job needs beyond its state vector:
	// the simulator process, the circuit, the results [1 GiB].
	MemoryOverheadGiB float64 `json:"memory_overhead_gib"`
	// AmplitudeRate is the amplitude updates one vCPU makes per second
	// [5e8]. A job's runtime is
	//
	//	JobOverhead + circuits × shots × max(depth, 1) × 2^qubits ÷ (AmplitudeRate × vCPUs)
	//
	// (each shot a trajectory through the circuit's layers, each layer a
	// pass over the state vector). A pass over memory at ~8 GB/s per core
	// moves ~5e8 complex128 amplitudes a second.
	AmplitudeRate float64 `json:"amplitude_rate"`
	// JobOverhead is the time a worker spends per job beyond the
	// simulation: loading, transpiling, returning results [2 s].
	JobOverhead Duration `json:"job_overhead"`
	// StartupDelay is the time from asking for a worker to its being
	// ready [90 s].
	StartupDelay Duration `json:"startup_delay"`
	// Price prices a worker of any size by its vCPUs and memory [the
	// default catalogue's resources: 0.05 USD per vCPU-hour, billed per
	// second].
	Price cost.ResourcePrice `json:"price"`
	// Min and Max bound the worker count [0, 64]; a policy's own bounds
	// narrow them.
	Min int `json:"min"`
	Max int `json:"max"`
	// Initial is the worker count at the start, ready, of the smallest size
	// (or the one fitting the largest job, for a static allocation),
	// unless the policy chooses its own (policy.Initializer) [1].
	Initial int `json:"initial"`
	// SizeHold is how long the pool keeps a larger size after the last job
	// that needed it [30 min] (policy.StateVectorSizing).
	SizeHold Duration `json:"size_hold"`
}

// QPUBackend is a QPU device type. It runs one job at a time. Jobs reach it
// two ways: reserved devices, held for exclusive use, billed per hour
// whether busy or not, and scaled by the policy; and the provider's
// on-demand access, priced per job, where a job first waits behind other
// users' jobs in the public queue.
type QPUBackend struct {
	Name   string `json:"name"`
	Qubits int    `json:"qubits"` // the device's qubit count (≥ 1)
	// A job's runtime is
	//
	//	JobOverhead + circuits × shots × (max(depth, 1) × LayerTime + ShotTime)
	//
	// LayerTime is the time of one layer of gates (a two-qubit gate's
	// duration); ShotTime the measurement and reset between shots.
	LayerTime   Duration `json:"layer_time"`
	ShotTime    Duration `json:"shot_time"`
	JobOverhead Duration `json:"job_overhead"`
	// OnDemandPrice names the quantum price model (cost catalogue) that
	// bills on-demand jobs, e.g. "ibm-payg" or "braket-ionq-aria"; "" turns
	// on-demand access off.
	OnDemandPrice string `json:"on_demand_price"`
	// ReservedUSDPerQubitHour prices a reserved device per qubit-hour [the
	// original module's 0.75 USD]: a device of Qubits qubits costs
	// Qubits × this per hour.
	ReservedUSDPerQubitHour float64 `json:"reserved_usd_per_qubit_hour"`
	// ReservedBilling rounds a reservation's length [per second, 1 h
	// minimum: reservations are sold by the hour].
	ReservedBilling cost.Billing `json:"reserved_billing"`
	// ReservationLead is the time from asking for a reserved device to its
	// being usable [5 min].
	ReservationLead Duration `json:"reservation_lead"`
	// MinReserved and MaxReserved bound the reserved devices [0, 0]; a
	// policy's own bounds narrow them. MaxReserved 0 means the backend
	// offers no reservations: its jobs run on-demand.
	MinReserved int `json:"min_reserved"`
	MaxReserved int `json:"max_reserved"`
}

// Routing is the rule that sends each job to the simulators or to a QPU,
// decided when the job arrives from the job alone (so a clairvoyant policy
// knows each pool's future work):
//
//  1. A job naming a backend (traces.Job.Backend) goes there: "simulator"
//     to the simulator pool, a QPU backend's name to that QPU; "" and
//     "auto" mean no choice and fall to the rules below.
//  2. A job whose state vector fits a worker size and whose runtime on the
//     smallest such size is at most MaxSimulatorRuntime goes to the
//     simulators.
//  3. Otherwise a QPU with enough qubits takes it: among those offering
//     reservations (MaxReserved > 0) if any does, the one with the
//     shortest runtime for the job.
//  4. Otherwise a job that fits the largest worker goes to the simulators
//     (slow, but it runs).
//  5. Otherwise the job fails with autoscaler.ResourceExhaustedError: no
//     device or worker size can hold it. So does a job naming a backend too
//     small for it, or one naming an unknown backend.
//
// On a QPU, a job runs on a reserved device whenever the backend holds any
// (ready or being reserved), else through on-demand access.
type Routing struct {
	// MaxSimulatorRuntime is the longest runtime, on the smallest worker
	// that holds it, of a job the simulators take by choice [30 min].
	MaxSimulatorRuntime Duration `json:"max_simulator_runtime"`
}

// Duration is a time.Duration that reads from and writes to JSON and YAML
// as a string such as "90s" or "5m".
type Duration = cost.Duration

// DefaultQuantum returns the quantum world of the built-in scenarios, with
// every default filled in.
func DefaultQuantum() QuantumConfig {
	return QuantumConfig{
		QPUs: []QPUBackend{
			{
				// IBM Eagle r3 (e.g. ibm_brisbane): 127 qubits; echoed
				// cross-resonance gate 660 ns; default repetition delay
				// 250 µs between shots (IBM Quantum documentation,
				// backend properties and "rep_delay"). JobOverhead makes
				// the median job of the IISWC 2021 statistics (2 circuits
				// × 8,000 shots at depth 13) run 0.9 min against the
				// published median run time of 0.97 min.
				Name: "ibm-eagle", Qubits: 127,
				LayerTime: Duration(660 * time.Nanosecond), ShotTime: Duration(250 * time.Microsecond),
				JobOverhead: Duration(50 * time.Second), OnDemandPrice: "ibm-payg",
				MaxReserved: 8,
			},
			{
				// On-demand only (no reservations): jobs that name it wait in
				// the public queue and pay Braket's per-task and per-shot
				// price. Auto-routed jobs seldom pick it: only a job of 25
				// qubits, too slow for the simulators, with few enough
				// circuits × shots × depth that its smaller job overhead
				// wins (e.g. 8,000 shots at depth 7: 46 s against the IBM
				// device's 52 s). IonQ Aria: 25 qubits; two-qubit gate
				// ~600 µs, readout and reset ~300 µs per shot (IonQ Aria
				// system specifications).
				Name: "ionq-aria", Qubits: 25,
				LayerTime: Duration(600 * time.Microsecond), ShotTime: Duration(300 * time.Microsecond),
				JobOverhead: Duration(10 * time.Second), OnDemandPrice: "braket-ionq-aria",
			},
		},
	}.WithDefaults()
}

// WithDefaults fills in the zero fields.
func (c QuantumConfig) WithDefaults() QuantumConfig {
	if c.WaitObjective == 0 {
		c.WaitObjective = Duration(5 * time.Minute)
	}
	if c.OnDemandWaitScale == 0 {
		c.OnDemandWaitScale = 1
	}
	s := &c.Simulators
	if len(s.Sizes) == 0 {
		s.Sizes = policy.StateVectorSizes(16, 512, 1.0/8)
	}
	if s.MemoryOverheadGiB == 0 {
		s.MemoryOverheadGiB = 1
	}
	if s.AmplitudeRate == 0 {
		s.AmplitudeRate = 5e8
	}
	if s.JobOverhead == 0 {
		s.JobOverhead = Duration(2 * time.Second)
	}
	if s.StartupDelay == 0 {
		s.StartupDelay = Duration(90 * time.Second)
	}
	if s.Price == (cost.ResourcePrice{}) {
		s.Price = *cost.DefaultPrices().Resources
	}
	if s.Max == 0 {
		s.Max = 64
	}
	if s.Initial == 0 {
		s.Initial = 1
	}
	if s.SizeHold == 0 {
		s.SizeHold = Duration(30 * time.Minute)
	}
	c.QPUs = append([]QPUBackend(nil), c.QPUs...)
	for i := range c.QPUs {
		q := &c.QPUs[i]
		if q.ReservedUSDPerQubitHour == 0 {
			q.ReservedUSDPerQubitHour = 0.75
		}
		if q.ReservedBilling == (cost.Billing{}) {
			q.ReservedBilling = cost.Billing{Granularity: cost.Duration(time.Second), Minimum: cost.Duration(time.Hour)}
		}
		if q.ReservationLead == 0 {
			q.ReservationLead = Duration(5 * time.Minute)
		}
	}
	if c.Routing.MaxSimulatorRuntime == 0 {
		c.Routing.MaxSimulatorRuntime = Duration(30 * time.Minute)
	}
	return c
}

// Validate reports the first invalid field, by its name, after defaults.
func (c QuantumConfig) Validate() error {
	c = c.WithDefaults()
	bad := func(field string, v any, why string) error {
		return fmt.Errorf("%w: %s = %v: %s", ErrInvalidQuantum, field, v, why)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if c.WaitObjective < 0 {
		return bad("wait_objective", c.WaitObjective, "must be > 0")
	}
	if !finite(c.OnDemandWaitScale) {
		return bad("on_demand_wait_scale", c.OnDemandWaitScale, "must be finite")
	}
	if !finite(c.Budget.PerHour) || !finite(c.Budget.PerRun) {
		return bad("budget", c.Budget, "must be finite")
	}
	s := c.Simulators
	for i, z := range s.Sizes {
		if !(z.CPU > 0) || !(z.MemoryGiB > 0) || !finite(z.CPU) || !finite(z.MemoryGiB) {
			return bad(fmt.Sprintf("simulators.sizes[%d]", i), z, "vCPUs and memory must be > 0")
		}
		if i > 0 && z.MemoryGiB <= s.Sizes[i-1].MemoryGiB {
			return bad(fmt.Sprintf("simulators.sizes[%d]", i), z, "sizes must grow in memory")
		}
	}
	switch {
	case !finite(s.MemoryOverheadGiB) || s.MemoryOverheadGiB < 0:
		return bad("simulators.memory_overhead_gib", s.MemoryOverheadGiB, "must be ≥ 0")
	case !finite(s.AmplitudeRate) || s.AmplitudeRate <= 0:
		return bad("simulators.amplitude_rate", s.AmplitudeRate, "must be > 0")
	case s.JobOverhead < 0:
		return bad("simulators.job_overhead", s.JobOverhead, "must be ≥ 0")
	case s.StartupDelay < 0:
		return bad("simulators.startup_delay", s.StartupDelay, "must be ≥ 0")
	case s.Min < 0:
		return bad("simulators.min", s.Min, "must be ≥ 0")
	case s.Max < s.Min:
		return bad("simulators.max", s.Max, "must be ≥ min")
	case s.Initial < 0:
		return bad("simulators.initial", s.Initial, "must be ≥ 0")
	case s.SizeHold < 0:
		return bad("simulators.size_hold", s.SizeHold, "must be ≥ 0")
	case !finite(s.Price.USDPerCoreHour) || s.Price.USDPerCoreHour < 0 || !finite(s.Price.USDPerGiBHour) || s.Price.USDPerGiBHour < 0:
		return bad("simulators.price", s.Price, "prices must be ≥ 0")
	}
	seen := map[string]bool{"simulator": true, "auto": true}
	for i, q := range c.QPUs {
		f := func(k string) string { return fmt.Sprintf("qpus[%d].%s", i, k) }
		switch {
		case q.Name == "" || seen[q.Name]:
			return bad(f("name"), q.Name, "must be non-empty, unique, and not \"simulator\" or \"auto\"")
		case q.Qubits < 1:
			return bad(f("qubits"), q.Qubits, "must be ≥ 1")
		case q.LayerTime < 0:
			return bad(f("layer_time"), q.LayerTime, "must be ≥ 0")
		case q.ShotTime < 0:
			return bad(f("shot_time"), q.ShotTime, "must be ≥ 0")
		case q.JobOverhead < 0:
			return bad(f("job_overhead"), q.JobOverhead, "must be ≥ 0")
		case !finite(q.ReservedUSDPerQubitHour) || q.ReservedUSDPerQubitHour < 0:
			return bad(f("reserved_usd_per_qubit_hour"), q.ReservedUSDPerQubitHour, "must be ≥ 0")
		case q.ReservationLead < 0:
			return bad(f("reservation_lead"), q.ReservationLead, "must be ≥ 0")
		case q.MinReserved < 0:
			return bad(f("min_reserved"), q.MinReserved, "must be ≥ 0")
		case q.MaxReserved < q.MinReserved:
			return bad(f("max_reserved"), q.MaxReserved, "must be ≥ min_reserved")
		}
		if q.OnDemandPrice != "" {
			if _, ok := c.prices().QuantumPrice(q.OnDemandPrice); !ok {
				return bad(f("on_demand_price"), q.OnDemandPrice, "no such quantum price in the catalogue (docs/cost-catalogue.md lists them)")
			}
		}
		if q.OnDemandPrice == "" && q.MaxReserved == 0 {
			return bad(f("max_reserved"), 0, "a backend with no on-demand price needs reserved devices")
		}
		seen[q.Name] = true
	}
	if c.Routing.MaxSimulatorRuntime < 0 {
		return bad("routing.max_simulator_runtime", c.Routing.MaxSimulatorRuntime, "must be ≥ 0")
	}
	return nil
}

// StateVectorGiB returns the memory a state vector of n qubits takes in
// complex128, 16·2^n bytes, in GiB.
func StateVectorGiB(qubits int) float64 { return math.Ldexp(16, qubits) / (1 << 30) }

// jobNeedGiB is the memory a job needs on a simulator worker.
func (s *SimulatorPool) jobNeedGiB(j *traces.Job) float64 {
	return StateVectorGiB(j.Qubits) + s.MemoryOverheadGiB
}

// simRuntime is a job's runtime on a worker of size z.
func (s *SimulatorPool) simRuntime(j *traces.Job, z policy.Size) time.Duration {
	work := float64(circuits(j)) * float64(j.Shots) * float64(max(j.Depth, 1)) * math.Ldexp(1, j.Qubits)
	sec := work / (s.AmplitudeRate * z.CPU)
	return addSat(time.Duration(s.JobOverhead), durationOf(sec))
}

// qpuRuntime is a job's runtime on backend q.
func (q *QPUBackend) runtime(j *traces.Job) time.Duration {
	perShot := float64(max(j.Depth, 1))*float64(q.LayerTime) + float64(q.ShotTime) // ns
	ns := float64(circuits(j)) * float64(j.Shots) * perShot
	return addSat(time.Duration(q.JobOverhead), durationOf(ns/1e9))
}

// reservedPrice is what one reserved device costs.
func (q *QPUBackend) reservedPrice() cost.InstanceHour {
	return cost.InstanceHour{USDPerHour: float64(q.Qubits) * q.ReservedUSDPerQubitHour,
		Granularity: time.Duration(q.ReservedBilling.Granularity), Minimum: time.Duration(q.ReservedBilling.Minimum)}
}

func circuits(j *traces.Job) int { return max(j.Circuits, 1) }

// durationOf converts seconds to a Duration, saturating.
func durationOf(sec float64) time.Duration {
	if !(sec < float64(math.MaxInt64)/1e9) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(math.Round(sec * 1e9))
}

// addSat returns a + b for a, b ≥ 0, saturating at the largest Duration.
func addSat(a, b time.Duration) time.Duration {
	if b > math.MaxInt64-a {
		return math.MaxInt64
	}
	return a + b
}
