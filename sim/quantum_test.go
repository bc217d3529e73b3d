package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/omnixan/omnixan/cost"
	"github.com/omnixan/omnixan/policy"
	"github.com/omnixan/omnixan/traces"
)

// qStart is the start of every quantum run here.
var qStart = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// qSlice is a JobReader over a slice of jobs.
type qSlice struct {
	jobs []traces.Job
	i    int
}

func (s *qSlice) Next(j *traces.Job) error {
	if s.i >= len(s.jobs) {
		return io.EOF
	}
	*j = s.jobs[s.i]
	s.i++
	return nil
}

func (s *qSlice) Close() error { return nil }

func qJobs(jobs ...traces.Job) *qSlice { return &qSlice{jobs: jobs} }

// qJob is a job submitted at qStart+at.
func qJob(at time.Duration, qubits, shots, depth, circuits int, backend string) traces.Job {
	return traces.Job{Submit: qStart.Add(at), Qubits: qubits, Shots: shots, Depth: depth, Circuits: circuits, Backend: backend}
}

// qStatic holds instances in every pool, overridden by pools.
func qStatic(instances int, pools map[string]int) func(policy.Env) (policy.Policy, error) {
	return func(env policy.Env) (policy.Policy, error) {
		return policy.NewStatic(policy.StaticConfig{Instances: instances, Pools: pools}, env.Pool)
	}
}

// qNamed builds the registered policy name, with params, for every pool.
func qNamed(t testing.TB, name string, params map[string]any) func(policy.Env) (policy.Policy, error) {
	t.Helper()
	spec, err := policy.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return func(env policy.Env) (policy.Policy, error) { return spec.New(env, params) }
}

// qOut is a run's result and its records.
type qOut struct {
	res  *QuantumResult
	recs []QuantumRecord
}

// runQ runs the quantum world and checks the invariants every run keeps.
func runQ(t testing.TB, run QuantumRun, jobs traces.JobReader) qOut {
	t.Helper()
	var out qOut
	run.Record = func(r QuantumRecord) { out.recs = append(out.recs, r) }
	res, err := RunQuantum(context.Background(), run, jobs)
	if err != nil {
		t.Fatal(err)
	}
	out.res = res
	checkQuantumInvariants(t, run, out)
	return out
}

func checkQuantumInvariants(t testing.TB, run QuantumRun, out qOut) {
	t.Helper()
	res := out.res
	if n := res.Done + res.Failed + res.Queued + res.Running; n != res.Jobs {
		t.Errorf("conservation: done %d + failed %d + queued %d + running %d = %d, want jobs %d",
			res.Done, res.Failed, res.Queued, res.Running, n, res.Jobs)
	}
	failed := 0
	for _, n := range res.FailedBy {
		failed += n
	}
	if failed != res.Failed {
		t.Errorf("FailedBy %v sums to %d, want Failed %d", res.FailedBy, failed, res.Failed)
	}
	if sum := res.SpendWorkers + res.SpendReserved + res.SpendOnDemand; math.Abs(sum-res.Spend) > 1e-9 {
		t.Errorf("Spend %v, want workers + reserved + on-demand = %v", res.Spend, sum)
	}
	if res.OverSLO > res.Jobs-res.Failed {
		t.Errorf("OverSLO %d > jobs that waited %d", res.OverSLO, res.Jobs-res.Failed)
	}
	step := run.Step
	if step == 0 {
		step = 10 * time.Second
	}
	length := run.End.Sub(run.Start)
	if want := int((length + step - 1) / step); len(out.recs) != want {
		t.Fatalf("%d records, want ⌈%v / %v⌉ = %d", len(out.recs), length, step, want)
	}
	spend := 0.0
	for k, r := range out.recs {
		if want := run.Start.Add(time.Duration(k) * step); !r.Time.Equal(want) {
			t.Fatalf("record %d at %v, want %v", k, r.Time, want)
		}
		if r.Workload() != r.Queued+r.Running || r.Queued < 0 || r.Running < 0 {
			t.Fatalf("record %d: workload %d, queued %d, running %d", k, r.Workload(), r.Queued, r.Running)
		}
		if r.WorkersReady > r.Workers || r.ReservedReady > r.Reserved {
			t.Fatalf("record %d: more ready than billed: %+v", k, r)
		}
		if r.Spend < spend-1e-9 {
			t.Fatalf("record %d: spend fell from %v to %v", k, spend, r.Spend)
		}
		spend = r.Spend
	}
	if last := out.recs[len(out.recs)-1]; last.Queued != res.Queued || last.Running != res.Running {
		t.Errorf("last record queued %d running %d, result queued %d running %d", last.Queued, last.Running, res.Queued, res.Running)
	}
	if spend > res.Spend+1e-9 {
		t.Errorf("records accrued %v USD, more than billed %v", spend, res.Spend)
	}
}

func approx(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// qReservable is the default quantum world with reservations on every
// backend (by default ionq-aria is on-demand only).
func qReservable() QuantumConfig {
	c := DefaultQuantum()
	for i := range c.QPUs {
		c.QPUs[i].MaxReserved = 8
	}
	return c
}

func TestDefaultQuantum(t *testing.T) {
	c := DefaultQuantum()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.WaitObjective != Duration(5*time.Minute) || c.OnDemandWaitScale != 1 || c.Routing.MaxSimulatorRuntime != Duration(30*time.Minute) {
		t.Errorf("objective %v, wait scale %v, max simulator runtime %v", c.WaitObjective, c.OnDemandWaitScale, c.Routing.MaxSimulatorRuntime)
	}
	// The worker ladder: powers of two from 16 to 512 GiB at 1 vCPU per 8 GiB.
	want := []policy.Size{{CPU: 2, MemoryGiB: 16}, {CPU: 4, MemoryGiB: 32}, {CPU: 8, MemoryGiB: 64},
		{CPU: 16, MemoryGiB: 128}, {CPU: 32, MemoryGiB: 256}, {CPU: 64, MemoryGiB: 512}}
	if d := cmp.Diff(want, c.Simulators.Sizes); d != "" {
		t.Errorf("sizes (-want +got):\n%s", d)
	}
	s := c.Simulators
	if s.MemoryOverheadGiB != 1 || s.AmplitudeRate != 5e8 || s.JobOverhead != Duration(2*time.Second) ||
		s.StartupDelay != Duration(90*time.Second) || s.Min != 0 || s.Max != 64 || s.Initial != 1 ||
		s.SizeHold != Duration(30*time.Minute) || s.Price.USDPerCoreHour != 0.05 || s.Price.USDPerGiBHour != 0 {
		t.Errorf("simulator defaults %+v", s)
	}
	if len(c.QPUs) != 2 {
		t.Fatalf("%d QPUs, want ibm-eagle and ionq-aria", len(c.QPUs))
	}
	ibm, ionq := c.QPUs[0], c.QPUs[1]
	if ibm.Name != "ibm-eagle" || ibm.Qubits != 127 || ibm.LayerTime != Duration(660*time.Nanosecond) ||
		ibm.ShotTime != Duration(250*time.Microsecond) || ibm.JobOverhead != Duration(50*time.Second) || ibm.OnDemandPrice != "ibm-payg" {
		t.Errorf("ibm-eagle %+v", ibm)
	}
	if ionq.Name != "ionq-aria" || ionq.Qubits != 25 || ionq.LayerTime != Duration(600*time.Microsecond) ||
		ionq.ShotTime != Duration(300*time.Microsecond) || ionq.JobOverhead != Duration(10*time.Second) || ionq.OnDemandPrice != "braket-ionq-aria" {
		t.Errorf("ionq-aria %+v", ionq)
	}
	// Reservations on ibm-eagle, up to 8 devices; ionq-aria on-demand only.
	if ibm.MinReserved != 0 || ibm.MaxReserved != 8 || ionq.MinReserved != 0 || ionq.MaxReserved != 0 {
		t.Errorf("reserved bounds: ibm-eagle [%d, %d], ionq-aria [%d, %d]", ibm.MinReserved, ibm.MaxReserved, ionq.MinReserved, ionq.MaxReserved)
	}
	for _, q := range c.QPUs {
		if q.ReservedUSDPerQubitHour != 0.75 || q.ReservationLead != Duration(5*time.Minute) ||
			q.ReservedBilling != (cost.Billing{Granularity: Duration(time.Second), Minimum: Duration(time.Hour)}) {
			t.Errorf("%s reserved defaults %+v", q.Name, q)
		}
	}
	// WithDefaults copies the QPU slice: filling in defaults does not
	// write through to the caller's backends.
	mine := []QPUBackend{{Name: "x", Qubits: 5, OnDemandPrice: "ibm-payg"}}
	_ = QuantumConfig{QPUs: mine}.WithDefaults()
	if mine[0].ReservationLead != 0 {
		t.Errorf("WithDefaults wrote through to the caller's QPUs: %+v", mine[0])
	}
}

func TestStateVectorGiB(t *testing.T) {
	// 16·2^n bytes: 30 qubits 16 GiB, 32 64 GiB, 33 128 GiB, 34 256 GiB,
	// 36 1 TiB, 40 16 TiB; 1 qubit 32 bytes.
	for n, want := range map[int]float64{1: 32.0 / (1 << 30), 20: 1.0 / 64, 30: 16, 32: 64, 33: 128, 34: 256, 36: 1024, 40: 16384} {
		if got := StateVectorGiB(n); got != want {
			t.Errorf("StateVectorGiB(%d) = %v, want %v", n, got, want)
		}
	}
}

// TestQuantumRuntimeKnownAnswers runs one job at a time on a pool that
// holds one ready worker and one reserved device of each backend, and
// checks, to the nanosecond, that the job is still running at
// submit + runtime and done 1 ns later, the runtime being computed by hand
// from the documented formulas; the runtime tells which backend ran it.
func TestQuantumRuntimeKnownAnswers(t *testing.T) {
	// The median job of the IISWC 2021 statistics: 2 circuits × 8,000
	// shots at depth 13.
	//  QPU: JobOverhead + circuits × shots × (max(depth, 1) × LayerTime + ShotTime)
	ibm := 50*time.Second + 2*8000*(13*660*time.Nanosecond+250*time.Microsecond)
	ionq := 10*time.Second + 2*8000*(13*600*time.Microsecond+300*time.Microsecond)
	if ibm != 54137280*time.Microsecond || ionq != 139600*time.Millisecond {
		t.Fatalf("hand arithmetic: ibm %v, ionq %v", ibm, ionq)
	}
	//  Simulator: JobOverhead + circuits × shots × max(depth, 1) × 2^qubits ÷ (AmplitudeRate × vCPUs).
	// 5 qubits need 16·2^5 B + 1 GiB: the 16 GiB worker of 2 vCPUs, which
	// makes 5e8 × 2 = 1e9 amplitude updates a second, one a nanosecond.
	sim5 := 2*time.Second + time.Duration(2*8000*13*(1<<5))
	if sim5 != 2006656*time.Microsecond {
		t.Fatalf("hand arithmetic: sim %v", sim5)
	}
	// 25 qubits on the 16 GiB worker: 6,979 s, over the 30 min the
	// simulators take by choice.
	sim25 := 2*time.Second + time.Duration(2*8000*13*(1<<25))
	// depth 0 counts as one layer; one shot.
	ibm1 := 50*time.Second + 660*time.Nanosecond + 250*time.Microsecond
	ionq1 := 10*time.Second + 600*time.Microsecond + 300*time.Microsecond
	// 30 qubits need 16 + 1 GiB: the 32 GiB worker of 4 vCPUs, 2e9 updates a second.
	sim30 := 2*time.Second + time.Duration(1000*100*(1<<30))/2

	// One reserved device on every backend, ready at the start.
	def := qReservable()
	noSimChoice := qReservable()
	noSimChoice.Routing.MaxSimulatorRuntime = Duration(time.Nanosecond)
	onlyIonQ := qReservable()
	onlyIonQ.QPUs = onlyIonQ.QPUs[1:]

	const (
		toSim = iota
		toQPU
	)
	cases := []struct {
		name  string
		cfg   QuantumConfig
		job   traces.Job
		run   time.Duration
		where int
	}{
		{"named ibm-eagle", def, qJob(time.Minute, 5, 8000, 13, 2, "ibm-eagle"), ibm, toQPU},
		{"named ionq-aria", def, qJob(time.Minute, 5, 8000, 13, 2, "ionq-aria"), ionq, toQPU},
		{"rule 2: small and fast to the simulators", def, qJob(time.Minute, 5, 8000, 13, 2, ""), sim5, toSim},
		{"rule 2 with auto", def, qJob(time.Minute, 5, 8000, 13, 2, "auto"), sim5, toSim},
		{"rule 1: named simulator, however slow", def, qJob(time.Minute, 25, 8000, 13, 2, "simulator"), sim25, toSim},
		{"rule 3: too slow on the simulators, fastest QPU is ibm-eagle", def, qJob(time.Minute, 25, 8000, 13, 2, ""), ibm, toQPU},
		{"rule 3: fastest QPU is ionq-aria", noSimChoice, qJob(time.Minute, 5, 1, 0, 1, ""), ionq1, toQPU},
		{"rule 3: ionq-aria too small, ibm-eagle", noSimChoice, qJob(time.Minute, 26, 1, 0, 1, ""), ibm1, toQPU},
		{"rule 3: no worker holds 36 qubits", def, qJob(time.Minute, 36, 8000, 13, 2, ""), ibm, toQPU},
		{"rule 4: no QPU has 30 qubits, slow on a worker", onlyIonQ, qJob(time.Minute, 30, 1000, 100, 1, ""), sim30, toSim},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, extra := range []time.Duration{0, 1} {
				end := c.job.Submit.Add(c.run + extra)
				out := runQ(t, QuantumRun{Config: c.cfg, Start: qStart, End: end, Step: time.Hour, Policy: qStatic(1, nil)}, qJobs(c.job))
				res := out.res
				want := QuantumResult{Jobs: 1, Running: 1}
				if extra > 0 {
					want.Running, want.Done = 0, 1
				}
				if res.Jobs != want.Jobs || res.Running != want.Running || res.Done != want.Done {
					t.Errorf("end at submit + %v: jobs %d done %d running %d failed %v, want done %d running %d",
						c.run+extra, res.Jobs, res.Done, res.Running, res.FailedBy, want.Done, want.Running)
				}
				if c.where == toSim && res.SimulatorJobs != 1 || c.where == toQPU && res.ReservedJobs != 1 || res.OnDemandJobs != 0 {
					t.Errorf("simulator jobs %d, reserved %d, on-demand %d", res.SimulatorJobs, res.ReservedJobs, res.OnDemandJobs)
				}
				if res.WaitMean != 0 || res.OverSLO != 0 {
					t.Errorf("a job with a ready worker or device waited %v", res.WaitMean)
				}
			}
		})
	}
}

func TestQuantumFailureReasons(t *testing.T) {
	priv := DefaultQuantum()
	priv.QPUs = append(priv.QPUs, QPUBackend{Name: "private", Qubits: 50, MaxReserved: 2})
	priv = priv.WithDefaults()
	jobs := qJobs(
		qJob(time.Minute, 5, 100, 4, 1, "nope"),               // unknown backend
		qJob(time.Minute, 5, 100, 4, 1, "ibm_brisbane"),       // a real device name, not a configured backend
		qJob(2*time.Minute, 128, 100, 4, 1, ""),               // no QPU has 128 qubits, no worker 2^128·16 B
		qJob(2*time.Minute, 40, 100, 4, 1, "simulator"),       // 16 TiB: no worker size
		qJob(3*time.Minute, 30, 100, 4, 1, "ionq-aria"),       // 25-qubit device
		qJob(3*time.Minute, 5, 100, 4, 1, "private"),          // no on-demand access, no reserved device
		qJob(4*time.Minute, 5, 100000, 849, 900, "ibm-eagle"), // 20 h: over IBM's 3 h cap on pay-go
		qJob(5*time.Minute, 5, 8000, 13, 2, ""),               // runs
		qJob(5*time.Minute, 35, 100, 4, 1, "simulator"),       // 513 GiB: one over the largest worker
		qJob(5*time.Minute, 34, 100, 4, 1, "simulator"),       // 257 GiB: the 512 GiB worker
	)
	// Static: one worker, no reserved device anywhere, so QPU jobs go on-demand.
	out := runQ(t, QuantumRun{Config: priv, Start: qStart, End: qStart.Add(time.Hour), Policy: qStatic(0, map[string]int{policy.PoolSimulators: 1})}, jobs)
	want := map[string]int{FailUnknown: 2, FailTooLarge: 4, FailNoOnDemand: 1, FailRuntimeCap: 1}
	if d := cmp.Diff(want, out.res.FailedBy); d != "" {
		t.Errorf("FailedBy (-want +got):\n%s", d)
	}
	if out.res.Jobs != 10 || out.res.Failed != 8 || out.res.Done != 2 {
		t.Errorf("jobs %d failed %d done %d, want 10, 8, 2", out.res.Jobs, out.res.Failed, out.res.Done)
	}
	// The static pool is sized for its largest job, 34 qubits: 512 GiB.
	if got := out.recs[0].WorkerMemGiB; got != 512 {
		t.Errorf("static worker memory %v GiB, want 512", got)
	}
}

// TestQuantumOnDemandPrices runs on-demand jobs, with the public queue
// turned off, and checks the catalogue's prices by hand.
func TestQuantumOnDemandPrices(t *testing.T) {
	cfg := DefaultQuantum()
	cfg.OnDemandWaitScale = -1 // an idle public queue
	// ionq-aria: 3 circuits of 100 shots at depth 4. Braket charges each
	// circuit as a task: 3 × (0.30 + 100 × 0.03) = 9.90 USD. Runtime
	// 10 s + 3 × 100 × (4 × 600 µs + 300 µs) = 10.81 s.
	ionqRun := 10*time.Second + 3*100*(4*600*time.Microsecond+300*time.Microsecond)
	ionqUSD := 3 * (0.30 + 100*0.03)
	// ibm-eagle: the median job, 54.13728 s, billed in whole seconds at
	// 1.60 USD: 55 × 1.60 = 88 USD.
	ibmUSD := 55 * 1.60
	jobs := qJobs(
		qJob(time.Minute, 5, 100, 4, 3, "ionq-aria"),
		qJob(time.Minute, 5, 8000, 13, 2, "ibm-eagle"),
		qJob(time.Minute, 5, 100, 4, 3, "ionq-aria"), // waits for the first: one job at a time
	)
	out := runQ(t, QuantumRun{Config: cfg, Start: qStart, End: qStart.Add(time.Hour), Policy: qStatic(0, nil)}, jobs)
	res := out.res
	if res.Done != 3 || res.OnDemandJobs != 3 || res.ReservedJobs != 0 || res.SimulatorJobs != 0 {
		t.Fatalf("done %d, on-demand %d, reserved %d, simulator %d; failed %v", res.Done, res.OnDemandJobs, res.ReservedJobs, res.SimulatorJobs, res.FailedBy)
	}
	if want := 2*ionqUSD + ibmUSD; !approx(res.SpendOnDemand, want, 1e-9) || !approx(res.Spend, want, 1e-9) {
		t.Errorf("on-demand spend %v, total %v, want %v", res.SpendOnDemand, res.Spend, want)
	}
	if res.SpendWorkers != 0 || res.SpendReserved != 0 {
		t.Errorf("static 0 billed workers %v, reserved %v", res.SpendWorkers, res.SpendReserved)
	}
	// Waits 0, 0 and ionqRun: mean ionqRun/3, p95 (nearest rank 3 of 3) ionqRun.
	if res.WaitP95 != ionqRun || res.WaitMean != ionqRun/3 {
		t.Errorf("wait p95 %v mean %v, want %v and %v", res.WaitP95, res.WaitMean, ionqRun, ionqRun/3)
	}
}

// TestQuantumPublicQueue checks the drawn public-queue wait of on-demand
// jobs: it scales with OnDemandWaitScale, and over many seeds follows the
// published queue-time quantiles (p50 4.3 min, p90 784 min, max 3,458 min).
func TestQuantumPublicQueue(t *testing.T) {
	wait := func(seed uint64, scale float64) time.Duration {
		cfg := DefaultQuantum()
		cfg.OnDemandWaitScale = scale
		run := QuantumRun{Config: cfg, Start: qStart, End: qStart.Add(60 * time.Hour), Step: time.Hour, SyncPeriod: time.Hour,
			Policy: qStatic(0, nil), Seed: seed}
		out := runQ(t, run, qJobs(qJob(0, 5, 100, 4, 1, "ionq-aria")))
		if out.res.OnDemandJobs != 1 || out.res.Done != 1 {
			t.Fatalf("seed %d: on-demand %d done %d", seed, out.res.OnDemandJobs, out.res.Done)
		}
		return out.res.WaitMean
	}
	w1, w2, w0 := wait(3, 1), wait(3, 2), wait(3, -1)
	if w0 != 0 {
		t.Errorf("with the public queue off the job waited %v", w0)
	}
	if w1 <= 0 || (w2-2*w1).Abs() > 2 {
		t.Errorf("wait %v at scale 1, %v at scale 2, want twice", w1, w2)
	}
	if wait(3, 1) != w1 {
		t.Errorf("the same seed drew another wait")
	}
	if testing.Short() {
		return
	}
	const n = 400
	var mins []float64
	for s := range uint64(n) {
		mins = append(mins, wait(s+100, 1).Minutes())
	}
	slices.Sort(mins)
	// Quantile interpolation, log-linear between p10 0.0035 and p50 4.3
	// and between p50 and p90 784: at u = 0.40, 0.0035·(4.3/0.0035)^0.75 =
	// 0.73 min; at u = 0.60, 4.3·(784/4.3)^0.25 = 15.8 min. The sample
	// median of 400 draws lies between with overwhelming probability.
	if med := mins[n/2]; med < 0.72 || med > 15.9 {
		t.Errorf("median public-queue wait %v min, want in [0.73, 15.8] around 4.3", med)
	}
	over := 0
	for _, m := range mins {
		if m > 784 {
			over++
		}
	}
	if f := float64(over) / n; f < 0.05 || f > 0.15 {
		t.Errorf("%.3f of waits over p90 784 min, want about 0.10", f)
	}
	if mins[n-1] > 3458 || mins[0] < 0 {
		t.Errorf("waits span [%v, %v] min, want within [0, 3458]", mins[0], mins[n-1])
	}
}

func TestQuantumBudget(t *testing.T) {
	// One circuit of 100 shots on ionq-aria: 0.30 + 100 × 0.03 = 3.30 USD;
	// three circuits 9.90 USD.
	run := func(b cost.Budget, scale float64, jobs ...traces.Job) *QuantumResult {
		cfg := DefaultQuantum()
		cfg.Budget = b
		cfg.OnDemandWaitScale = scale
		return runQ(t, QuantumRun{Config: cfg, Start: qStart, End: qStart.Add(4 * time.Hour), Policy: qStatic(0, nil), Seed: 1}, qJobs(jobs...)).res
	}
	t.Run("a job over the run budget is refused", func(t *testing.T) {
		res := run(cost.Budget{PerRun: 5}, -1, qJob(time.Minute, 5, 100, 4, 3, "ionq-aria"), qJob(2*time.Minute, 5, 100, 4, 1, "ionq-aria"))
		if res.FailedBy[FailBudget] != 1 || res.Done != 1 || !approx(res.SpendOnDemand, 3.30, 1e-9) {
			t.Errorf("failed %v, done %d, spend %v; want the 9.90 USD job refused and the 3.30 USD one run", res.FailedBy, res.Done, res.SpendOnDemand)
		}
	})
	t.Run("jobs in the public queue count against the budget", func(t *testing.T) {
		// Both are accepted at once only if the first, still in the
		// public queue when the second arrives, is forgotten: 6.60 > 5.
		res := run(cost.Budget{PerRun: 5}, 1, qJob(time.Minute, 5, 100, 4, 1, "ionq-aria"), qJob(time.Minute, 5, 100, 4, 1, "ionq-aria"))
		if res.FailedBy[FailBudget] != 1 || res.OnDemandJobs != 1 || res.SpendOnDemand > 5 {
			t.Errorf("failed %v, on-demand %d, spend %v USD over a 5 USD budget", res.FailedBy, res.OnDemandJobs, res.SpendOnDemand)
		}
	})
	t.Run("the hourly budget renews each clock hour", func(t *testing.T) {
		res := run(cost.Budget{PerHour: 5}, -1,
			qJob(time.Minute, 5, 100, 4, 1, "ionq-aria"),
			qJob(2*time.Minute, 5, 100, 4, 1, "ionq-aria"), // 6.60 USD in the first hour
			qJob(time.Hour+time.Minute, 5, 100, 4, 1, "ionq-aria"))
		if res.FailedBy[FailBudget] != 1 || res.Done != 2 || !approx(res.SpendOnDemand, 6.60, 1e-9) {
			t.Errorf("failed %v, done %d, spend %v", res.FailedBy, res.Done, res.SpendOnDemand)
		}
	})
}

// TestQuantumWaitingAtEndCounts checks that jobs still waiting at the end
// count with their wait so far, in the p95, the mean and OverSLO.
func TestQuantumWaitingAtEndCounts(t *testing.T) {
	jobs := qJobs(qJob(10*time.Minute, 5, 100, 4, 1, ""), qJob(59*time.Minute, 5, 100, 4, 1, ""))
	out := runQ(t, QuantumRun{Config: DefaultQuantum(), Start: qStart, End: qStart.Add(time.Hour), Policy: qStatic(0, nil)}, jobs)
	res := out.res
	if res.Queued != 2 || res.OverSLO != 1 || res.WaitP95 != 50*time.Minute || res.WaitMean != (50*time.Minute+time.Minute)/2 {
		t.Errorf("queued %d, over SLO %d, wait p95 %v mean %v; want 2, 1 (50 min > 5 min; 1 min is not), 50m, 25m30s",
			res.Queued, res.OverSLO, res.WaitP95, res.WaitMean)
	}
	if res.WaitObjective != 5*time.Minute {
		t.Errorf("objective %v", res.WaitObjective)
	}
	// The records see both waiting: quantum_workload 1 from 10 min, 2 from 59 min.
	for _, r := range out.recs {
		want := 0
		switch at := r.Time.Sub(qStart); {
		case at >= 59*time.Minute:
			want = 2
		case at >= 10*time.Minute:
			want = 1
		}
		if r.Workload() != want || r.Queued != want {
			t.Fatalf("record at %v: workload %d (queued %d), want %d", r.Time.Sub(qStart), r.Workload(), r.Queued, want)
		}
	}
}

// TestQuantumStaticPools checks that a static policy holds each pool's
// count from the pools map, ready from the start, and its bill.
func TestQuantumStaticPools(t *testing.T) {
	pools := map[string]int{policy.PoolSimulators: 3, policy.PoolQPU + "ibm-eagle": 2}
	run := QuantumRun{Config: qReservable(), Start: qStart, End: qStart.Add(2 * time.Hour), Step: time.Minute, Policy: qStatic(1, pools)}
	out := runQ(t, run, qJobs())
	for _, r := range out.recs {
		if r.Workers != 3 || r.WorkersReady != 3 || r.Reserved != 3 || r.ReservedReady != 3 || r.WorkerMemGiB != 16 {
			t.Fatalf("record %+v: want 3 workers of 16 GiB, 2 + 1 reserved devices, all ready", r)
		}
	}
	res := out.res
	want := map[string]float64{policy.PoolSimulators: 3, policy.PoolQPU + "ibm-eagle": 2, policy.PoolQPU + "ionq-aria": 1}
	if d := cmp.Diff(want, res.MeanByPool); d != "" {
		t.Errorf("MeanByPool (-want +got):\n%s", d)
	}
	if res.MeanWorkers != 3 || res.MeanReserved != 3 || res.PeakWorkers != 3 || res.PeakReserved != 3 || res.ScaleActions != 0 || res.Resizes != 0 {
		t.Errorf("mean workers %v reserved %v, peaks %d %d, actions %d resizes %d",
			res.MeanWorkers, res.MeanReserved, res.PeakWorkers, res.PeakReserved, res.ScaleActions, res.Resizes)
	}
	// 2 h of 3 workers of 2 vCPUs at 0.05 USD per vCPU-hour; of reserved
	// devices at 0.75 USD per qubit-hour, 2 × 127 qubits and 1 × 25.
	if w := 3 * 2 * 0.05 * 2; !approx(res.SpendWorkers, w, 1e-9) {
		t.Errorf("workers cost %v, want %v", res.SpendWorkers, w)
	}
	if r := (2*127 + 25) * 0.75 * 2; !approx(res.SpendReserved, r, 1e-9) {
		t.Errorf("reserved devices cost %v, want %v", res.SpendReserved, r)
	}
	// Whole seconds and hours: the bills are what the records accrued.
	if last := out.recs[len(out.recs)-1]; !approx(last.Spend, res.Spend, 1e-9) {
		t.Errorf("records accrued %v USD, billed %v", last.Spend, res.Spend)
	}
	// By default ionq-aria offers no reservations: static holds none there.
	def := run
	def.Config = DefaultQuantum()
	if out := runQ(t, def, qJobs()); out.recs[0].Reserved != 2 || out.res.MeanByPool[policy.PoolQPU+"ionq-aria"] != 0 {
		t.Errorf("default backends: %d reserved devices, ionq-aria mean %v; want 2 and 0", out.recs[0].Reserved, out.res.MeanByPool[policy.PoolQPU+"ionq-aria"])
	}
	// A reservation is billed an hour at least: a 10 min run pays the hour.
	run.End = qStart.Add(10 * time.Minute)
	out = runQ(t, run, qJobs())
	if r := (2*127 + 25) * 0.75; !approx(out.res.SpendReserved, r, 1e-9) {
		t.Errorf("10 min of reservations cost %v, want the hour minimum %v", out.res.SpendReserved, r)
	}
	if w := 3 * 2 * 0.05 / 6; !approx(out.res.SpendWorkers, w, 1e-9) {
		t.Errorf("10 min of workers cost %v, want %v", out.res.SpendWorkers, w)
	}
}

// TestQuantumStateVectorSizing checks that the workers grow at once when a
// 31-qubit job (32 + 1 GiB) waits, and shrink SizeHold after it ran.
func TestQuantumStateVectorSizing(t *testing.T) {
	cfg := DefaultQuantum()
	cfg.Simulators.SizeHold = Duration(10 * time.Minute)
	// 31 qubits, one shot at depth 1: on the 64 GiB worker of 8 vCPUs,
	// 2 s + 2^31 / 4e9 s.
	runtime := 2*time.Second + time.Duration(1<<31)/4
	arrive := 10 * time.Minute
	run := QuantumRun{Config: cfg, Start: qStart, End: qStart.Add(time.Hour), Step: 10 * time.Second,
		Policy: qNamed(t, "threshold", map[string]any{"min": 1, "max": 4})}
	out := runQ(t, run, qJobs(qJob(arrive, 31, 1, 1, 1, "")))
	res := out.res
	if res.Done != 1 || res.SimulatorJobs != 1 || res.Resizes != 2 {
		t.Fatalf("done %d, simulator jobs %d, resizes %d; want 1, 1, 2 (up and down)", res.Done, res.SimulatorJobs, res.Resizes)
	}
	// The job waits for a 64 GiB worker: the next decision (≤ one sync
	// period) plus the start-up delay.
	sync, startup := 15*time.Second, time.Duration(cfg.Simulators.StartupDelay)
	if res.WaitMean < startup || res.WaitMean > startup+sync {
		t.Errorf("the 31-qubit job waited %v, want the start-up delay %v plus at most a sync period", res.WaitMean, startup)
	}
	var grown, shrunk time.Duration = -1, -1
	for _, r := range out.recs {
		at := r.Time.Sub(qStart)
		switch {
		case r.WorkerMemGiB == 64 && grown < 0:
			grown = at
		case r.WorkerMemGiB == 16 && grown >= 0 && shrunk < 0:
			shrunk = at
		case r.WorkerMemGiB != 16 && r.WorkerMemGiB != 64:
			t.Fatalf("record at %v: worker memory %v GiB, want 16 or 64", at, r.WorkerMemGiB)
		}
	}
	if grown < arrive-run.Step || grown > arrive+sync {
		t.Errorf("grew at %v, want within a sync period of the arrival at %v", grown, arrive)
	}
	// The job ends at arrive + wait + runtime; the size was last needed
	// then, up to a sync period later; it shrinks Hold after that.
	done := arrive + res.WaitMean + runtime
	hold := time.Duration(cfg.Simulators.SizeHold)
	if shrunk < done+hold-run.Step || shrunk > done+hold+2*sync {
		t.Errorf("shrank at %v, want SizeHold %v after the job ended at %v", shrunk, hold, done)
	}
	if last := out.recs[len(out.recs)-1]; last.WorkerMemGiB != 16 || last.WorkersReady < 1 {
		t.Errorf("last record %+v: want ready 16 GiB workers", last)
	}
}

// TestQuantumScaleInDrains checks that a busy worker scaled in finishes its
// job, and is billed (and recorded) until then.
func TestQuantumScaleInDrains(t *testing.T) {
	// 20 qubits, 1,000 shots at depth 1,200 on the 16 GiB worker of 2
	// vCPUs (1e9 amplitude updates a second): 2 s + 1000·1200·2^20 ns, 21 min.
	runtime := 2*time.Second + time.Duration(1000*1200*(1<<20))
	submit := time.Minute
	pol := func(env policy.Env) (policy.Policy, error) {
		if env.Pool == policy.PoolSimulators {
			return &scripted{At: qStart.Add(5 * time.Minute), Before: 1, After: 0}, nil
		}
		return policy.NewStatic(policy.StaticConfig{}, env.Pool)
	}
	run := QuantumRun{Config: DefaultQuantum(), Start: qStart, End: qStart.Add(time.Hour), Step: time.Minute, Policy: pol}
	out := runQ(t, run, qJobs(qJob(submit, 20, 1000, 1200, 1, "")))
	res := out.res
	if res.Done != 1 || res.Running != 0 || res.SimulatorJobs != 1 || res.WaitMean != 0 {
		t.Fatalf("done %d running %d simulator %d wait %v: want the job run at once and finished", res.Done, res.Running, res.SimulatorJobs, res.WaitMean)
	}
	end := submit + runtime
	// Billed from the start to the job's end, per second rounded up, at
	// 2 vCPUs × 0.05 USD.
	billed := (end + time.Second - 1) / time.Second * time.Second
	if want := 0.10 * billed.Hours(); !approx(res.SpendWorkers, want, 1e-9) {
		t.Errorf("worker billed %v USD, want %v (to the job's end at %v)", res.SpendWorkers, want, end)
	}
	if want := end.Seconds() / time.Hour.Seconds(); !approx(res.MeanWorkers, want, 1e-9) {
		t.Errorf("mean workers %v, want %v", res.MeanWorkers, want)
	}
	for _, r := range out.recs {
		at := r.Time.Sub(qStart) + run.Step // the records' state is at the step's end
		switch {
		case at > 6*time.Minute && at < end:
			if r.Running != 1 || r.Workers != 1 || r.WorkersReady != 0 {
				t.Errorf("at %v, draining: running %d, workers billed %d, ready for jobs %d; want 1, 1, 0", at, r.Running, r.Workers, r.WorkersReady)
			}
		case at > end:
			if r.Running != 0 || r.Workers != 0 {
				t.Errorf("at %v, after the drain: running %d, workers %d", at, r.Running, r.Workers)
			}
		}
	}
}

// qBursty is a day of bursty jobs: a calm hour rate of 1 and bursts of 200
// an hour, spread over every kind of backend, a bad one included.
func qBursty(t testing.TB, seed uint64, backends ...string) *traces.Arrivals {
	t.Helper()
	if len(backends) == 0 {
		backends = []string{"auto", "auto", "ibm-eagle", "ionq-aria", "simulator", "nope"}
	}
	a, err := traces.NewArrivals(traces.ArrivalOptions{Start: qStart, Length: 24 * time.Hour, RatePerHour: 1,
		Burst: &traces.MMPP{BurstRatePerHour: 200, MeanCalm: 4 * time.Hour, MeanBurst: 30 * time.Minute}, Backends: backends, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var qPolicies = []struct {
	label, name string
	params      map[string]any
}{
	{"threshold", "threshold", nil},
	// Down to no reserved device: jobs go on-demand, and those waiting for
	// a device scaled in move there.
	{"threshold-min-0", "threshold", map[string]any{"min": 0, "max": 10}},
	{"target-tracking", "target-tracking", nil},
	{"predictive", "predictive", nil},
	{"hybrid", "hybrid", nil},
	{"hpa", "hpa", nil},
	{"oracle", "oracle", nil},
	{"static", "static", map[string]any{"instances": 1, "pools": map[string]any{"simulators": 4, "qpu:ibm-eagle": 0}}},
}

// TestQuantumConservation runs every kind of policy on a bursty day and
// checks that every job that arrived is in exactly one of done, failed,
// queued and running, the records agreeing.
func TestQuantumConservation(t *testing.T) {
	onDemand := 0
	for _, seed := range []uint64{11, 3} {
		n := 0
		for a := qBursty(t, seed); ; n++ {
			var j traces.Job
			if err := a.Next(&j); err != nil {
				break
			}
		}
		if n < 100 {
			t.Fatalf("the bursty stream of seed %d has only %d jobs", seed, n)
		}
		for _, p := range qPolicies {
			t.Run(fmt.Sprintf("%s/seed-%d", p.label, seed), func(t *testing.T) {
				run := QuantumRun{Config: DefaultQuantum(), Start: qStart, End: qStart.Add(24 * time.Hour), Step: time.Minute,
					Policy: qNamed(t, p.name, p.params), Seed: 5}
				out := runQ(t, run, qBursty(t, seed))
				res := out.res
				if res.Jobs != n {
					t.Errorf("%d jobs arrived, want %d", res.Jobs, n)
				}
				if res.Done == 0 || res.SimulatorJobs == 0 || res.ReservedJobs+res.OnDemandJobs == 0 || res.FailedBy[FailUnknown] == 0 {
					t.Errorf("a stream that exercises little: %+v", res)
				}
				onDemand += res.OnDemandJobs
				if res.SimulatorJobs+res.ReservedJobs+res.OnDemandJobs+res.Failed < res.Jobs {
					t.Errorf("simulator %d + reserved %d + on-demand %d + failed %d < jobs %d",
						res.SimulatorJobs, res.ReservedJobs, res.OnDemandJobs, res.Failed, res.Jobs)
				}
				// The workload in each record is at most the jobs arrived by then.
				arrived := 0
				a := qBursty(t, seed)
				var j traces.Job
				more := a.Next(&j) == nil
				for k, r := range out.recs {
					for more && j.Submit.Before(r.Time.Add(run.Step)) {
						arrived++
						more = a.Next(&j) == nil
					}
					if r.Workload() > arrived {
						t.Fatalf("record %d at %v: workload %d, only %d jobs arrived", k, r.Time, r.Workload(), arrived)
					}
				}
			})
		}
	}
	if onDemand == 0 {
		t.Errorf("no policy sent a job on-demand")
	}
}

func TestQuantumDeterministic(t *testing.T) {
	for _, name := range []string{"threshold", "oracle", "hybrid"} {
		t.Run(name, func(t *testing.T) {
			run := QuantumRun{Config: DefaultQuantum(), Start: qStart, End: qStart.Add(24 * time.Hour), Step: time.Minute,
				Policy: qNamed(t, name, nil), Seed: 9}
			a := runQ(t, run, qBursty(t, 3))
			b := runQ(t, run, qBursty(t, 3))
			if !reflect.DeepEqual(a.res, b.res) {
				t.Errorf("two runs differ (-first +second):\n%s", cmp.Diff(a.res, b.res))
			}
			if d := cmp.Diff(a.recs, b.recs); d != "" {
				t.Errorf("two runs' records differ (-first +second):\n%s", d)
			}
			// Another seed draws other public-queue waits: on-demand jobs
			// change, the routing does not.
			run.Seed = 10
			c := runQ(t, run, qBursty(t, 3))
			if c.res.Jobs != a.res.Jobs || c.res.SimulatorJobs != a.res.SimulatorJobs || c.res.FailedBy[FailUnknown] != a.res.FailedBy[FailUnknown] {
				t.Errorf("the seed moved the routing: %+v vs %+v", c.res, a.res)
			}
		})
	}
}

// TestQuantumOracleMeetsObjective checks that the clairvoyant policy, with
// room to scale, has no job wait over the objective.
func TestQuantumOracleMeetsObjective(t *testing.T) {
	cfg := DefaultQuantum()
	cfg.Simulators.Max = 10000
	for i := range cfg.QPUs {
		cfg.QPUs[i].MaxReserved = 10000
	}
	for _, seed := range []uint64{1, 2, 3} {
		run := QuantumRun{Config: cfg, Start: qStart, End: qStart.Add(24 * time.Hour), Step: time.Minute,
			Policy: qNamed(t, "oracle", nil), Seed: seed}
		res := runQ(t, run, qBursty(t, seed, "auto", "auto", "ibm-eagle", "ionq-aria", "simulator")).res
		if res.OverSLO != 0 || res.WaitP95 > res.WaitObjective {
			t.Errorf("seed %d: oracle: %d jobs over the objective, wait p95 %v, max reserved %d, workers %d",
				seed, res.OverSLO, res.WaitP95, res.PeakReserved, res.PeakWorkers)
		}
		if res.OnDemandJobs != 0 {
			t.Errorf("seed %d: the oracle holds a device on every backend, yet %d jobs went on-demand", seed, res.OnDemandJobs)
		}
	}
}

func TestQuantumValidate(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		field string
		edit  func(c *QuantumConfig)
	}{
		{"wait_objective", func(c *QuantumConfig) { c.WaitObjective = -1 }},
		{"on_demand_wait_scale", func(c *QuantumConfig) { c.OnDemandWaitScale = math.Inf(1) }},
		{"budget", func(c *QuantumConfig) { c.Budget.PerRun = nan }},
		{"budget", func(c *QuantumConfig) { c.Budget.PerHour = math.Inf(-1) }},
		{"simulators.sizes[0]", func(c *QuantumConfig) { c.Simulators.Sizes = []policy.Size{{CPU: 0, MemoryGiB: 16}} }},
		{"simulators.sizes[0]", func(c *QuantumConfig) { c.Simulators.Sizes = []policy.Size{{CPU: 1, MemoryGiB: nan}} }},
		{"simulators.sizes[1]", func(c *QuantumConfig) {
			c.Simulators.Sizes = []policy.Size{{CPU: 2, MemoryGiB: 16}, {CPU: 4, MemoryGiB: 16}}
		}},
		{"simulators.memory_overhead_gib", func(c *QuantumConfig) { c.Simulators.MemoryOverheadGiB = -1 }},
		{"simulators.amplitude_rate", func(c *QuantumConfig) { c.Simulators.AmplitudeRate = -5 }},
		{"simulators.job_overhead", func(c *QuantumConfig) { c.Simulators.JobOverhead = -1 }},
		{"simulators.startup_delay", func(c *QuantumConfig) { c.Simulators.StartupDelay = -1 }},
		{"simulators.min", func(c *QuantumConfig) { c.Simulators.Min = -1 }},
		{"simulators.max", func(c *QuantumConfig) { c.Simulators.Min, c.Simulators.Max = 5, 3 }},
		{"simulators.initial", func(c *QuantumConfig) { c.Simulators.Initial = -1 }},
		{"simulators.size_hold", func(c *QuantumConfig) { c.Simulators.SizeHold = -1 }},
		{"simulators.price", func(c *QuantumConfig) { c.Simulators.Price.USDPerCoreHour = -0.05 }},
		{"simulators.price", func(c *QuantumConfig) { c.Simulators.Price.USDPerGiBHour = nan }},
		{"qpus[0].name", func(c *QuantumConfig) { c.QPUs[0].Name = "" }},
		{"qpus[1].name", func(c *QuantumConfig) { c.QPUs[1].Name = c.QPUs[0].Name }},
		{"qpus[0].name", func(c *QuantumConfig) { c.QPUs[0].Name = "simulator" }},
		{"qpus[1].name", func(c *QuantumConfig) { c.QPUs[1].Name = "auto" }},
		{"qpus[0].qubits", func(c *QuantumConfig) { c.QPUs[0].Qubits = 0 }},
		{"qpus[1].layer_time", func(c *QuantumConfig) { c.QPUs[1].LayerTime = -1 }},
		{"qpus[1].shot_time", func(c *QuantumConfig) { c.QPUs[1].ShotTime = -1 }},
		{"qpus[0].job_overhead", func(c *QuantumConfig) { c.QPUs[0].JobOverhead = -1 }},
		{"qpus[0].reserved_usd_per_qubit_hour", func(c *QuantumConfig) { c.QPUs[0].ReservedUSDPerQubitHour = -0.75 }},
		{"qpus[0].reservation_lead", func(c *QuantumConfig) { c.QPUs[0].ReservationLead = -1 }},
		{"qpus[1].min_reserved", func(c *QuantumConfig) { c.QPUs[1].MinReserved = -1 }},
		{"qpus[1].max_reserved", func(c *QuantumConfig) { c.QPUs[1].MinReserved, c.QPUs[1].MaxReserved = 3, 2 }},
		{"qpus[1].max_reserved", func(c *QuantumConfig) { c.QPUs[1].MinReserved = 1 }}, // on-demand only, yet a minimum
		{"qpus[2].max_reserved", func(c *QuantumConfig) { c.QPUs = append(c.QPUs, QPUBackend{Name: "private", Qubits: 10}) }},
		{"qpus[0].on_demand_price", func(c *QuantumConfig) { c.QPUs[0].OnDemandPrice = "ibm-free" }},
		{"routing.max_simulator_runtime", func(c *QuantumConfig) { c.Routing.MaxSimulatorRuntime = -1 }},
	}
	for _, c := range cases {
		cfg := DefaultQuantum()
		c.edit(&cfg)
		err := cfg.Validate()
		if !errors.Is(err, ErrInvalidQuantum) || !strings.Contains(err.Error(), c.field+" = ") {
			t.Errorf("%s: got %v, want ErrInvalidQuantum naming %s", c.field, err, c.field)
			continue
		}
		// RunQuantum refuses it too.
		_, rerr := RunQuantum(context.Background(), QuantumRun{Config: cfg, Start: qStart, End: qStart.Add(time.Hour), Policy: qStatic(1, nil)}, qJobs())
		if !errors.Is(rerr, ErrInvalidQuantum) {
			t.Errorf("%s: RunQuantum: %v", c.field, rerr)
		}
	}
	// Zero fields take defaults and are valid.
	if err := (QuantumConfig{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	if err := (QuantumConfig{QPUs: []QPUBackend{{Name: "private", Qubits: 10, MaxReserved: 1}}}).Validate(); err != nil {
		t.Errorf("a backend with reserved devices only: %v", err)
	}
}

func TestRunQuantumRejects(t *testing.T) {
	end := qStart.Add(time.Hour)
	ok := QuantumRun{Config: DefaultQuantum(), Start: qStart, End: end, Policy: qStatic(1, nil)}
	cases := []struct {
		name string
		run  QuantumRun
		jobs []traces.Job
		want string
	}{
		{"before start", ok, []traces.Job{qJob(-time.Nanosecond, 5, 10, 1, 1, "")}, "job 1 "},
		{"at end", ok, []traces.Job{qJob(0, 5, 10, 1, 1, ""), qJob(time.Hour, 5, 10, 1, 1, "")}, "job 2 "},
		{"out of order", ok, []traces.Job{qJob(time.Minute, 5, 10, 1, 1, ""), qJob(2*time.Minute, 5, 10, 1, 1, ""),
			qJob(time.Minute, 5, 10, 1, 1, "")}, "job 3 "},
		{"no qubits", ok, []traces.Job{qJob(time.Minute, 0, 10, 1, 1, "")}, "job 1:"},
		{"no shots", ok, []traces.Job{qJob(time.Minute, 5, 10, 1, 1, ""), qJob(time.Minute, 5, 0, 1, 1, "")}, "job 2:"},
		{"negative depth", ok, []traces.Job{qJob(time.Minute, 5, 10, -1, 1, "")}, "job 1:"},
		{"negative circuits", ok, []traces.Job{qJob(time.Minute, 5, 10, 1, -1, "")}, "job 1:"},
		{"no policy", QuantumRun{Config: DefaultQuantum(), Start: qStart, End: end}, nil, "no quantum policy"},
		{"empty run", QuantumRun{Config: DefaultQuantum(), Start: qStart, End: qStart, Policy: qStatic(1, nil)}, nil, "not after its start"},
		{"negative step", QuantumRun{Config: DefaultQuantum(), Start: qStart, End: end, Step: -time.Second, Policy: qStatic(1, nil)}, nil, "step"},
	}
	for _, c := range cases {
		_, err := RunQuantum(context.Background(), c.run, qJobs(c.jobs...))
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want ErrInvalidConfig containing %q", c.name, err, c.want)
		}
	}
	// Ties are allowed, and a job at the last instant before the end.
	jobs := qJobs(qJob(0, 5, 10, 1, 1, ""), qJob(0, 5, 10, 1, 1, ""), qJob(time.Hour-time.Nanosecond, 5, 10, 1, 1, ""))
	if res := runQ(t, ok, jobs).res; res.Jobs != 3 {
		t.Errorf("%d jobs, want 3", res.Jobs)
	}
	// A policy that cannot be built for a pool names the pool.
	bad := ok
	bad.Policy = func(env policy.Env) (policy.Policy, error) {
		if env.Pool == policy.PoolQPU+"ibm-eagle" {
			return nil, errors.New("no such thing")
		}
		return policy.NewStatic(policy.StaticConfig{Instances: 1}, env.Pool)
	}
	if _, err := RunQuantum(context.Background(), bad, qJobs()); err == nil || !strings.Contains(err.Error(), "qpu:ibm-eagle") {
		t.Errorf("got %v, want an error naming the pool", err)
	}
	// A cancelled context stops the run.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := RunQuantum(ctx, ok, qJobs()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestQuantumPoolEnv checks what each pool's policy is told.
func TestQuantumPoolEnv(t *testing.T) {
	var envs []policy.Env
	run := QuantumRun{Config: DefaultQuantum(), Start: qStart, End: qStart.Add(time.Hour), SyncPeriod: 20 * time.Second,
		Policy: func(env policy.Env) (policy.Policy, error) {
			envs = append(envs, env)
			return policy.NewStatic(policy.StaticConfig{}, env.Pool)
		}}
	runQ(t, run, qJobs())
	// ionq-aria offers no reservations: no policy scales it.
	want := []policy.Env{
		{StartupDelay: 90 * time.Second, SyncPeriod: 20 * time.Second, Capacity: 1, Pool: "simulators"},
		{StartupDelay: 5 * time.Minute, SyncPeriod: 20 * time.Second, Capacity: 1, Pool: "qpu:ibm-eagle"},
	}
	if d := cmp.Diff(want, envs); d != "" {
		t.Errorf("envs (-want +got):\n%s", d)
	}
}

// TestQuantumHugeJobNeverEnds checks that a job whose runtime saturates
// time.Duration keeps running: its end must not wrap around to the past.
func TestQuantumHugeJobNeverEnds(t *testing.T) {
	// 20 qubits, 10^9 shots at depth 10^4, 1,000 circuits: 10^16 · 2^20
	// amplitude updates, 10^22 ns at 10^9 a second, past time.Duration.
	jobs := qJobs(qJob(time.Minute, 20, 1e9, 1e4, 1000, "simulator"), qJob(2*time.Minute, 5, 10, 1, 1, "simulator"))
	for _, name := range []string{"static", "oracle"} {
		params := map[string]any{"instances": 2}
		if name == "oracle" {
			params = nil
		}
		jobs.i = 0
		out := runQ(t, QuantumRun{Config: DefaultQuantum(), Start: qStart, End: qStart.Add(time.Hour), Policy: qNamed(t, name, params)}, jobs)
		if res := out.res; res.Running != 1 || res.Done != 1 {
			t.Errorf("%s: running %d done %d, want the huge job running and the small one done", name, res.Running, res.Done)
		}
	}
}

// qWatch records what its pool's loop observes and holds a fixed count.
type qWatch struct {
	target int
	at     []time.Duration
	obs    []policy.Observation
}

func (w *qWatch) Name() string          { return "q-watch" }
func (w *qWatch) Initial(time.Time) int { return w.target }
func (w *qWatch) Decide(now time.Time, o policy.Observation) policy.Decision {
	w.at = append(w.at, now.Sub(qStart))
	w.obs = append(w.obs, o)
	return policy.Decision{Target: w.target}
}

func (w *qWatch) obsAt(t *testing.T, at time.Duration) policy.Observation {
	t.Helper()
	k := slices.Index(w.at, at)
	if k < 0 {
		t.Fatalf("no decision at %v", at)
	}
	return w.obs[k]
}

// TestQuantumObservations checks what each pool's policy observes: the
// busy share of ready units, the work (runtime seconds) arriving per
// second, the work waiting, and the largest state vector.
func TestQuantumObservations(t *testing.T) {
	watch := map[string]*qWatch{
		policy.PoolSimulators:        {target: 1},
		policy.PoolQPU + "ibm-eagle": {target: 1},
		policy.PoolQPU + "ionq-aria": {target: 0},
	}
	run := QuantumRun{Config: DefaultQuantum(), Start: qStart, End: qStart.Add(20 * time.Minute),
		Policy: func(env policy.Env) (policy.Policy, error) { return watch[env.Pool], nil }}
	// Simulators: 5 qubits, 171,875 shots at depth 1,000 on the 16 GiB
	// worker: 2 s + 171875·1000·2^5 ns = 7.5 s, submitted on a decision.
	simRun := 2*time.Second + time.Duration(171875*1000*(1<<5))
	if simRun != 7500*time.Millisecond {
		t.Fatalf("hand arithmetic: %v", simRun)
	}
	ibm := 50*time.Second + 2*8000*(13*660*time.Nanosecond+250*time.Microsecond)
	jobs := qJobs(
		qJob(10*time.Minute, 5, 171875, 1000, 1, ""),
		qJob(10*time.Minute+5*time.Second, 5, 8000, 13, 2, "ibm-eagle"),
		qJob(10*time.Minute+5*time.Second, 5, 8000, 13, 2, "ibm-eagle"), // waits for the first
	)
	runQ(t, run, jobs)
	sims, qpu := watch[policy.PoolSimulators], watch[policy.PoolQPU+"ibm-eagle"]
	near := func(what string, got, want float64) {
		t.Helper()
		if !approx(got, want, 1e-9) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	// At 10:00 the job has just arrived and started: 7.5 s of work in the
	// 15 s since the last decision, nothing waiting, 32 B + 1 GiB running.
	o := sims.obsAt(t, 10*time.Minute)
	if !o.Valid || o.Ready != 1 || o.Starting != 0 || o.Capacity != 1 || o.Size != (policy.Size{CPU: 2, MemoryGiB: 16}) || o.Current != 1 {
		t.Errorf("simulators at 10:00: %+v", o)
	}
	near("simulators request rate at 10:00", o.RequestRate, 7.5/15)
	near("simulators backlog at 10:00", o.Backlog, 0)
	near("simulators job memory at 10:00", o.JobMemoryGiB, StateVectorGiB(5)+1)
	near("simulators utilisation at 10:00", o.Utilization, 0)
	// At 10:15 the worker was busy 7.5 s of 15; the job is done.
	o = sims.obsAt(t, 10*time.Minute+15*time.Second)
	near("simulators utilisation at 10:15", o.Utilization, 0.5)
	near("simulators request rate at 10:15", o.RequestRate, 0)
	near("simulators job memory at 10:15", o.JobMemoryGiB, 0)
	// ibm-eagle at 10:15: two median jobs arrived, one runs, one waits;
	// the device was busy 10 s of 15.
	o = qpu.obsAt(t, 10*time.Minute+15*time.Second)
	if !o.Size.IsZero() || o.Ready != 1 {
		t.Errorf("ibm-eagle at 10:15: %+v, want a ready device and no size", o)
	}
	near("ibm-eagle request rate", o.RequestRate, 2*ibm.Seconds()/15)
	near("ibm-eagle backlog", o.Backlog, ibm.Seconds())
	near("ibm-eagle utilisation", o.Utilization, 10.0/15)
	o = qpu.obsAt(t, 10*time.Minute+30*time.Second)
	near("ibm-eagle utilisation at 10:30", o.Utilization, 1)
}

// TestQuantumReservedToOnDemand checks that when a backend's last reserved
// device is scaled in, the jobs waiting for it go on-demand, while the job
// it runs finishes on it.
func TestQuantumReservedToOnDemand(t *testing.T) {
	cfg := DefaultQuantum()
	cfg.OnDemandWaitScale = -1
	pol := func(env policy.Env) (policy.Policy, error) {
		if env.Pool == policy.PoolQPU+"ibm-eagle" {
			return &scripted{At: qStart.Add(5 * time.Minute), Before: 1, After: 0}, nil
		}
		return policy.NewStatic(policy.StaticConfig{}, env.Pool)
	}
	// 680 circuits × 8,192 shots at depth 108 (the published p90s) on
	// ibm-eagle: 50 s + 5,570,560 × (108 × 660 ns + 250 µs) = 1,839.7 s.
	rt := 50*time.Second + 680*8192*(108*660*time.Nanosecond+250*time.Microsecond)
	if rt != 1839709516800*time.Nanosecond {
		t.Fatalf("hand arithmetic: %v", rt)
	}
	run := QuantumRun{Config: cfg, Start: qStart, End: qStart.Add(2 * time.Hour), Step: time.Minute, Policy: pol}
	out := runQ(t, run, qJobs(qJob(time.Minute, 5, 8192, 108, 680, "ibm-eagle"), qJob(time.Minute, 5, 8192, 108, 680, "ibm-eagle")))
	res := out.res
	if res.Done != 2 || res.ReservedJobs != 1 || res.OnDemandJobs != 1 {
		t.Fatalf("done %d, reserved %d, on-demand %d; want 2, 1, 1", res.Done, res.ReservedJobs, res.OnDemandJobs)
	}
	// The second job waited from 1 min to the scale-in at 5 min.
	if res.WaitMean != 2*time.Minute || res.WaitP95 != 4*time.Minute {
		t.Errorf("wait mean %v p95 %v, want 2m and 4m", res.WaitMean, res.WaitP95)
	}
	// Pay-go bills ⌈1,839.7 s⌉ = 1,840 s at 1.60 USD; the reservation,
	// from the start to the first job's end at 31.7 min, its hour minimum.
	if !approx(res.SpendOnDemand, 1840*1.60, 1e-9) || !approx(res.SpendReserved, 127*0.75, 1e-9) {
		t.Errorf("on-demand %v USD, reserved %v USD; want %v and %v", res.SpendOnDemand, res.SpendReserved, 1840*1.60, 127*0.75)
	}
	for _, r := range out.recs {
		if at := r.Time.Sub(qStart) + run.Step; at > 6*time.Minute && at < time.Minute+rt {
			if r.Running != 2 || r.Reserved != 1 || r.ReservedReady != 0 {
				t.Fatalf("at %v: running %d, reserved billed %d, usable %d; want 2, 1 draining, 0", at, r.Running, r.Reserved, r.ReservedReady)
			}
		}
	}
}

// TestQuantumReservationLead checks that a job arriving while a device is
// being reserved waits for it, and one arriving before goes on-demand.
func TestQuantumReservationLead(t *testing.T) {
	cfg := DefaultQuantum()
	cfg.OnDemandWaitScale = -1
	pol := func(env policy.Env) (policy.Policy, error) {
		if env.Pool == policy.PoolQPU+"ibm-eagle" {
			return &scripted{At: qStart.Add(10 * time.Minute), Before: 0, After: 1}, nil
		}
		return policy.NewStatic(policy.StaticConfig{}, env.Pool)
	}
	run := QuantumRun{Config: cfg, Start: qStart, End: qStart.Add(2 * time.Hour), Policy: pol}
	out := runQ(t, run, qJobs(qJob(5*time.Minute, 5, 8000, 13, 2, "ibm-eagle"), qJob(12*time.Minute, 5, 8000, 13, 2, "ibm-eagle")))
	res := out.res
	if res.Done != 2 || res.OnDemandJobs != 1 || res.ReservedJobs != 1 {
		t.Fatalf("done %d, on-demand %d, reserved %d", res.Done, res.OnDemandJobs, res.ReservedJobs)
	}
	// Asked for at 10 min, usable 5 min later: the 12 min job waits 3 min.
	if res.WaitP95 != 3*time.Minute || res.WaitMean != 90*time.Second {
		t.Errorf("wait p95 %v mean %v, want 3m and 1m30s", res.WaitP95, res.WaitMean)
	}
	// Billed from 10 min to the end, 110 min, at 127 × 0.75 USD an hour.
	if want := 127 * 0.75 * 110 / 60; !approx(res.SpendReserved, want, 1e-9) {
		t.Errorf("reserved %v USD, want %v", res.SpendReserved, want)
	}
	if !approx(res.SpendOnDemand, 55*1.60, 1e-9) {
		t.Errorf("on-demand %v USD, want 88", res.SpendOnDemand)
	}
}

// TestQuantumPoolBounds checks that the pools' bounds hold whatever the
// policy asks.
func TestQuantumPoolBounds(t *testing.T) {
	cfg := DefaultQuantum()
	cfg.Simulators.Max = 3
	cfg.QPUs[1].MinReserved, cfg.QPUs[1].MaxReserved = 2, 8
	cfg.QPUs[0].MaxReserved = 1
	run := QuantumRun{Config: cfg, Start: qStart, End: qStart.Add(24 * time.Hour), Step: time.Minute,
		Policy: qNamed(t, "static", map[string]any{"instances": 0, "pools": map[string]any{"simulators": 50, "qpu:ibm-eagle": 5}})}
	out := runQ(t, run, qBursty(t, 4))
	for _, r := range out.recs {
		// simulators: 3; ibm-eagle: 1; ionq-aria: 2 (static 0 raised to its min).
		if r.Workers != 3 || r.Reserved != 3 {
			t.Fatalf("record %+v: want 3 workers and 1 + 2 reserved devices", r)
		}
	}
	if d := cmp.Diff(map[string]float64{"simulators": 3, "qpu:ibm-eagle": 1, "qpu:ionq-aria": 2}, out.res.MeanByPool); d != "" {
		t.Errorf("MeanByPool (-want +got):\n%s", d)
	}
	// A scaling policy: never more than 3 workers ready for jobs.
	run.Policy = qNamed(t, "threshold", map[string]any{"min": 1, "max": 20})
	out = runQ(t, run, qBursty(t, 4))
	peak := 0
	for _, r := range out.recs {
		peak = max(peak, r.WorkersReady)
	}
	if peak != 3 {
		t.Errorf("threshold: at most %d workers ready, want the pool's max 3 reached and kept", peak)
	}
}

// TestQuantumWorkerLadder checks which worker of the default ladder each
// qubit count needs, 16·2^n bytes + 1 GiB, as docs/quantum.md tabulates
// it: a static pool is sized for the largest job it will be sent.
func TestQuantumWorkerLadder(t *testing.T) {
	want := map[int]float64{1: 16, 20: 16, 29: 16, 30: 32, 31: 64, 32: 128, 33: 256, 34: 512, 35: 0}
	for n, mem := range want {
		run := QuantumRun{Config: DefaultQuantum(), Start: qStart, End: qStart.Add(time.Hour), Step: time.Hour, Policy: qStatic(1, nil)}
		out := runQ(t, run, qJobs(qJob(time.Minute, n, 1, 1, 1, "simulator")))
		switch {
		case mem == 0:
			if out.res.FailedBy[FailTooLarge] != 1 {
				t.Errorf("%d qubits: %v, want no worker to fit", n, out.res.FailedBy)
			}
		case out.recs[0].WorkerMemGiB != mem || out.res.Done != 1:
			t.Errorf("%d qubits: %v GiB worker, done %d; want %v GiB", n, out.recs[0].WorkerMemGiB, out.res.Done, mem)
		}
	}
}

// TestQuantumPublicQueueDraw recomputes, by hand from the documented
// interpolation of the published queue-time quantiles, the public-queue
// wait drawn for the first job of a seed, and checks the on-demand job
// waits exactly that long and is charged the catalogue's price whatever
// its wait.
func TestQuantumPublicQueueDraw(t *testing.T) {
	// Quantiles (u, minutes): p10 0.0035, p50 4.3, p90 784, p99 1,892,
	// max 3,458; linear from 0 below p10, log-linear above.
	minutes := func(u float64) float64 {
		if u <= 0.10 {
			return 0.0035 * u / 0.10
		}
		p := []float64{0.10, 0.50, 0.90, 0.99, 1}
		x := []float64{0.0035, 4.3, 784, 1892, 3458}
		for i := 1; i < len(p); i++ {
			if u <= p[i] {
				f := (u - p[i-1]) / (p[i] - p[i-1])
				return x[i-1] * math.Pow(x[i]/x[i-1], f)
			}
		}
		return 3458
	}
	for seed := range uint64(12) {
		// The draws' stream: one uniform per job, in trace order.
		u := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)).Float64()
		want := time.Duration(minutes(u) * 60 * 1e9)
		run := QuantumRun{Config: DefaultQuantum(), Start: qStart, End: qStart.Add(60 * time.Hour), Step: time.Hour, SyncPeriod: time.Hour,
			Policy: qStatic(0, nil), Seed: seed}
		res := runQ(t, run, qJobs(qJob(0, 5, 100, 4, 1, "ionq-aria"))).res
		if d := res.WaitMean - want; d.Abs() > time.Microsecond {
			t.Errorf("seed %d, u %.4f: waited %v, want the draw %v", seed, u, res.WaitMean, want)
		}
		if !approx(res.SpendOnDemand, 0.30+100*0.03, 1e-9) || res.OnDemandJobs != 1 || res.Done != 1 {
			t.Errorf("seed %d: on-demand %d done %d charged %v, want 3.30 USD", seed, res.OnDemandJobs, res.Done, res.SpendOnDemand)
		}
		if over := res.WaitMean > res.WaitObjective; over != (res.OverSLO == 1) {
			t.Errorf("seed %d: wait %v, over SLO %d", seed, res.WaitMean, res.OverSLO)
		}
	}
}

// qChaos proposes a random count at every decision.
type qChaos struct{ r *rand.Rand }

func (c *qChaos) Name() string { return "chaos" }
func (c *qChaos) Decide(time.Time, policy.Observation) policy.Decision {
	return policy.Decision{Target: c.r.IntN(5)}
}

// TestQuantumRandomScaling scales every pool to a random count each
// minute — launches, cancelled starts, drains, take-backs, resizes,
// reserved jobs moved on-demand — and checks that no job is lost, no more
// jobs run than there are units, and the budget holds.
func TestQuantumRandomScaling(t *testing.T) {
	for seed := range uint64(12) {
		cfg := DefaultQuantum()
		cfg.Simulators.SizeHold = Duration(time.Minute)
		cfg.OnDemandWaitScale = 0.01
		if seed%2 == 1 {
			cfg.Budget.PerRun = 20000
		}
		var k uint64
		pol := func(env policy.Env) (policy.Policy, error) {
			k++
			return &qChaos{rand.New(rand.NewPCG(seed, k))}, nil
		}
		run := QuantumRun{Config: cfg, Start: qStart, End: qStart.Add(24 * time.Hour), Step: time.Minute, SyncPeriod: time.Minute, Policy: pol, Seed: seed}
		out := runQ(t, run, qBursty(t, seed, "auto", "auto", "simulator", "ibm-eagle", "ionq-aria"))
		for _, r := range out.recs {
			// Every running job holds a worker, a reserved device or a
			// backend's one on-demand device.
			if r.Running > r.Workers+r.Reserved+len(cfg.QPUs) {
				t.Fatalf("seed %d: %d jobs running on %d workers and %d devices", seed, r.Running, r.Workers, r.Reserved)
			}
		}
		res := out.res
		if cfg.Budget.PerRun > 0 && res.SpendOnDemand > cfg.Budget.PerRun {
			t.Errorf("seed %d: on-demand spend %v over the run budget %v", seed, res.SpendOnDemand, cfg.Budget.PerRun)
		}
		if res.ScaleActions == 0 || res.Done == 0 {
			t.Errorf("seed %d: %d scale actions, %d jobs done", seed, res.ScaleActions, res.Done)
		}
	}
}

// TestQuantumAutoRoutedToIonQ checks a 25-qubit job whose shortest QPU
// runtime is ionq-aria's: rule 3 sends it there, and with the default
// backends (no reservations on ionq-aria) it goes on-demand even while
// an ibm-eagle device sits idle.
func TestQuantumAutoRoutingPrefersReservations(t *testing.T) {
	// 8,000 shots at depth 7 on 25 qubits, one circuit:
	//  simulators (16 GiB, 1e9 updates/s): 2 s + 8000·7·2^25 ns = 1,881 s > 30 min
	//  ibm-eagle: 50 s + 8000 × (7 × 660 ns + 250 µs) = 52.03696 s
	//  ionq-aria: 10 s + 8000 × (7 × 600 µs + 300 µs) = 46 s
	sim := 2*time.Second + time.Duration(8000*7*(1<<25))
	ibm := 50*time.Second + 8000*(7*660*time.Nanosecond+250*time.Microsecond)
	ionq := 10*time.Second + 8000*(7*600*time.Microsecond+300*time.Microsecond)
	if sim <= 30*time.Minute || ionq >= ibm || ionq != 46*time.Second {
		t.Fatalf("hand arithmetic: simulators %v, ibm %v, ionq %v", sim, ibm, ionq)
	}
	cfg := DefaultQuantum()
	cfg.OnDemandWaitScale = -1
	run := QuantumRun{Config: cfg, Start: qStart, End: qStart.Add(time.Minute + ibm + 1), Policy: qStatic(1, nil)}
	res := runQ(t, run, qJobs(qJob(time.Minute, 25, 8000, 7, 1, ""))).res
	// ionq-aria would finish sooner, but ibm-eagle offers reservations and
	// holds one: the job runs there, reserved, with no on-demand charge.
	if res.Done != 1 || res.OnDemandJobs != 0 || res.ReservedJobs != 1 || res.SpendOnDemand != 0 {
		t.Errorf("done %d, on-demand %d, reserved %d, on-demand spend %v; want the job on a reserved ibm-eagle device",
			res.Done, res.OnDemandJobs, res.ReservedJobs, res.SpendOnDemand)
	}
	// Without reservations anywhere, the shortest runtime wins: ionq-aria,
	// on-demand, 0.30 + 8000 × 0.03 = 240.30 USD.
	cfg.QPUs[0].MaxReserved = 0
	run.Config = cfg
	res = runQ(t, run, qJobs(qJob(time.Minute, 25, 8000, 7, 1, ""))).res
	if res.Done != 1 || res.OnDemandJobs != 1 || !approx(res.SpendOnDemand, 0.30+8000*0.03, 1e-9) {
		t.Errorf("done %d, on-demand %d, on-demand spend %v; want the job on-demand on ionq-aria for 240.30 USD",
			res.Done, res.OnDemandJobs, res.SpendOnDemand)
	}
}
