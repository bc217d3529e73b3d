package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/cost"
	"github.com/omnixan/omnixan/policy"
	"github.com/omnixan/omnixan/traces"
)

// QuantumRun is one run of the quantum world under one policy.
type QuantumRun struct {
	Config QuantumConfig
	// Start and End bound the run: every job must be submitted in
	// [Start, End); jobs still waiting or running at End are counted so.
	Start, End time.Time
	// Step is the interval of the records [10 s]; SyncPeriod the time
	// between two decisions of every pool's loop [15 s].
	Step, SyncPeriod time.Duration
	// Policy builds the policy of one pool: it is called once per pool
	// with the pool's environment (policy.Env.Pool names it; Capacity is 1:
	// a worker or device does one second of work per second).
	Policy func(env policy.Env) (policy.Policy, error)
	// Loop is the autoscaler configuration of every pool (breaker, retry,
	// seed); Min and Max come from the pool's bounds narrowed by the
	// policy's (policy.Bounded), Price from the pool.
	Loop autoscaler.Config
	// Seed draws the on-demand public-queue waits; the same seed gives
	// every policy the same draws.
	Seed uint64
	// Record, when not nil, is called at the end of every step.
	Record func(QuantumRecord)
}

// QuantumRecord is the state of the quantum world at the end of a step.
type QuantumRecord struct {
	Time          time.Time // start of the step
	Queued        int       // jobs waiting, on every queue (quantum_workload = Queued + Running)
	Running       int       // jobs running
	Workers       int       // simulator workers billed (ready, starting, or draining a job after a scale-in)
	WorkersReady  int       // simulator workers ready for jobs (not draining)
	WorkerMemGiB  float64   // memory of the size new workers get, GiB
	Reserved      int       // reserved QPU devices billed, all backends (draining ones included)
	ReservedReady int       // reserved QPU devices usable for new jobs
	Spend         float64   // quantum USD accrued so far, before billing rounding
}

// Workload is the original module's quantum_workload metric: jobs queued
// plus running.
func (r QuantumRecord) Workload() int { return r.Queued + r.Running }

// QuantumResult scores one quantum run. Every job that arrived is in
// exactly one of Done, Failed, Queued and Running:
// Jobs = Done + Failed + Queued + Running.
type QuantumResult struct {
	Jobs    int // jobs that arrived
	Done    int // jobs finished
	Failed  int // jobs that could run nowhere (autoscaler.ResourceExhaustedError), or were refused
	Queued  int // jobs still waiting at the end
	Running int // jobs still running at the end
	// FailedBy counts the failed jobs by reason.
	FailedBy map[string]int
	// OverSLO counts the jobs whose wait exceeded the objective, the jobs
	// still waiting at the end among them once their wait so far does.
	OverSLO int
	// WaitP95 and WaitMean are over the jobs that started and those still
	// waiting at the end, whose wait so far (a lower bound) counts.
	WaitP95, WaitMean time.Duration
	// WaitObjective is the objective the jobs were judged against.
	WaitObjective time.Duration
	// Where the jobs ran: the simulators, reserved QPU devices, on-demand.
	SimulatorJobs, ReservedJobs, OnDemandJobs int
	// Spend is the quantum USD billed: SpendWorkers for simulator workers,
	// SpendReserved for reserved devices, SpendOnDemand for on-demand jobs
	// (charged when they finish).
	Spend, SpendWorkers, SpendReserved, SpendOnDemand float64
	// MeanWorkers and MeanReserved are the time-weighted mean billed
	// workers and reserved devices; PeakWorkers and PeakReserved their
	// peaks (reserved devices of all backends together).
	MeanWorkers, MeanReserved float64
	PeakWorkers, PeakReserved int
	// MeanByPool is the time-weighted mean billed units of each pool, by
	// pool name (policy.PoolSimulators, policy.PoolQPU + backend): what a
	// static allocation of the same spend would hold.
	MeanByPool map[string]float64
	// Resizes counts changes of the workers' size; ScaleActions the
	// changes of any pool's target.
	Resizes, ScaleActions int
	// ActuationErrors, Retries and FailedActions sum the pools' loops'
	// (see Result).
	ActuationErrors, Retries, FailedActions int
}

// Failure reasons (QuantumResult.FailedBy).
const (
	FailTooLarge    = "no_device_fits"  // no QPU has the qubits and no worker the memory
	FailUnknown     = "unknown_backend" // the job names no known backend
	FailRuntimeCap  = "runtime_cap"     // the provider would not run it this long
	FailBudget      = "spending_limit"  // the quantum budget refused it
	FailNoOnDemand  = "no_capacity"     // no reserved device and no on-demand access
	evQArrive       = 1
	evQWorkerReady  = 2
	evQWorkerDone   = 3
	evQDeviceReady  = 4
	evQDeviceDone   = 5
	evQEligible     = 6
	evQSync         = 7
	evQRetry        = 8
	evQOnDemandDone = 9
)

// qjob is a job of the run.
type qjob struct {
	traces.Job
	submit  int64 // ns since Start
	route   int   // pool index: 0 the simulators, 1+i QPU i; -1 failed at arrival
	fail    string
	needGiB float64       // on a simulator worker
	run     time.Duration // runtime on the QPU, or on the worker size fitting it
	odWait  time.Duration // public-queue wait if it goes on-demand
	odCost  float64       // its on-demand price, once accepted there
	state   jobState
}

type jobState uint8

const (
	jobPending jobState = iota // not yet arrived
	jobWaiting                 // arrived, waiting on some queue
	jobRunning
	jobDone
	jobFailed
)

// unit is a simulator worker or a reserved QPU device.
type unit struct {
	id       int64
	size     policy.Size // workers only
	launch   int64
	ready    bool
	job      int // running job index, -1 when idle
	retiring bool
	price    cost.InstanceHour
}

// qpool is one scalable pool: the simulator workers or one QPU backend's
// reserved devices. It is the pool loop's MetricsSource and Orchestrator.
type qpool struct {
	w       *qworld
	idx     int
	name    string
	qpu     *QPUBackend // nil for the simulators
	units   []*unit
	queue   []int // waiting job indexes, in arrival order
	size    policy.Size
	loop    *autoscaler.Loop
	startup time.Duration

	// on-demand access (QPUs only)
	odPrice cost.QuantumPrice
	odQueue []int // eligible on-demand jobs, in order
	odBusy  int   // job running on-demand, -1 when none
	odWait  int   // jobs in the public queue (not yet eligible)

	// integrals since the last observation
	lastT                   int64
	busyInt, readyInt, work float64
	obsT                    int64
	billedInt               float64 // unit-ns of billed units, for the mean

	need []needChange // the oracle's view: concurrency if every job started on arrival
}

type needChange struct {
	at    int64
	count int
}

type qworld struct {
	run   QuantumRun
	cfg   QuantumConfig
	start time.Time
	end   int64
	q     Queue
	jobs  []qjob
	pools []*qpool
	res   QuantumResult
	waits []float64
	spent float64 // closed bills and on-demand charges
	// pending is the price of the on-demand jobs accepted and not yet
	// charged, wherever they are: public queue, eligible, running.
	pending float64
	hour    struct {
		start int64
		spent float64 // on-demand charges this clock hour
	}
	nextID int64
}

// RunQuantum runs the quantum world of run on the jobs of r, to run.End.
// It reads every job first (a clairvoyant policy sees each pool's future
// work); a job trace of a million jobs takes about 100 MB.
func RunQuantum(ctx context.Context, run QuantumRun, r traces.JobReader) (*QuantumResult, error) {
	if err := run.Config.Validate(); err != nil {
		return nil, err
	}
	if run.Step == 0 {
		run.Step = 10 * time.Second
	}
	if run.SyncPeriod == 0 {
		run.SyncPeriod = 15 * time.Second
	}
	switch {
	case run.Step < 0:
		return nil, fmt.Errorf("%w: step %v must be > 0", ErrInvalidConfig, run.Step)
	case run.SyncPeriod < 0:
		return nil, fmt.Errorf("%w: sync period %v must be > 0", ErrInvalidConfig, run.SyncPeriod)
	case !run.End.After(run.Start):
		return nil, fmt.Errorf("%w: quantum run ends at %v, not after its start %v", ErrInvalidConfig, run.End, run.Start)
	case run.Policy == nil:
		return nil, fmt.Errorf("%w: no quantum policy", ErrInvalidConfig)
	}
	cfg := run.Config.WithDefaults()
	w := &qworld{run: run, cfg: cfg, start: run.Start, end: int64(run.End.Sub(run.Start))}
	w.res.WaitObjective = time.Duration(cfg.WaitObjective)
	w.res.FailedBy = map[string]int{}
	w.res.MeanByPool = map[string]float64{}
	if err := w.read(r); err != nil {
		return nil, err
	}
	w.makePools()
	w.route()
	for _, p := range w.pools {
		if err := p.startLoop(); err != nil {
			return nil, err
		}
	}
	for i := range w.jobs {
		w.q.Push(Event{At: w.jobs[i].submit, Kind: evQArrive, Arg: int64(i)})
	}
	w.q.Push(Event{At: 0, Kind: evQSync})
	for n, b := 0, int64(run.Step); ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if e, ok := w.q.Peek(); !ok || e.At >= b || e.At >= w.end {
			// The step [b-Step, b) is over.
			w.advance(min(b, w.end))
			if run.Record != nil {
				run.Record(w.record(b-int64(run.Step), min(b, w.end)))
			}
			if b >= w.end {
				break
			}
			b += int64(run.Step)
			continue
		}
		e, _ := w.q.Pop()
		w.advance(e.At)
		w.handle(e)
	}
	return w.finish(), nil
}

// read loads the jobs and checks them.
func (w *qworld) read(r traces.JobReader) error {
	rng := rand.New(rand.NewPCG(w.run.Seed, 0x9e3779b97f4a7c15))
	var j traces.Job
	last := int64(-1)
	for i := 0; ; i++ {
		err := r.Next(&j)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		at := int64(j.Submit.Sub(w.start))
		if j.Submit.Before(w.start) || at >= w.end {
			return fmt.Errorf("%w: job %d submitted at %s, outside the run [%s, %s)", ErrInvalidConfig, i+1,
				j.Submit.Format(time.RFC3339), w.start.Format(time.RFC3339), w.start.Add(time.Duration(w.end)).Format(time.RFC3339))
		}
		if at < last {
			return fmt.Errorf("%w: job %d submitted at %s, before the job ahead of it", ErrInvalidConfig, i+1, j.Submit.Format(time.RFC3339))
		}
		last = at
		if j.Qubits < 1 || j.Shots < 1 || j.Depth < 0 || j.Circuits < 0 {
			return fmt.Errorf("%w: job %d: qubits %d, shots %d, depth %d, circuits %d: want qubits, shots ≥ 1, depth, circuits ≥ 0",
				ErrInvalidConfig, i+1, j.Qubits, j.Shots, j.Depth, j.Circuits)
		}
		u := rng.Float64()
		wait := durationOf(publicQueueMinutes(u) * 60 * max(w.cfg.OnDemandWaitScale, 0))
		w.jobs = append(w.jobs, qjob{Job: j, submit: at, odWait: wait})
	}
}

// publicQueueMinutes maps u in [0, 1) to a wait in the public queue of a
// shared QPU, in minutes, interpolating the queue-time quantiles of the
// IISWC 2021 statistics (../shared/data/quantum/README.md: p10 0.0035,
// p50 4.3, p90 784, p99 1,892, max 3,458 min) linearly below p10 and
// log-linearly above, since the tail spans six orders of magnitude.
func publicQueueMinutes(u float64) float64 {
	p := []float64{0.10, 0.50, 0.90, 0.99, 1}
	x := []float64{0.0035, 4.3, 784, 1892, 3458}
	if u <= p[0] {
		return x[0] * u / p[0]
	}
	for i := 1; i < len(p); i++ {
		if u <= p[i] {
			f := (u - p[i-1]) / (p[i] - p[i-1])
			return math.Exp(math.Log(x[i-1]) + f*(math.Log(x[i])-math.Log(x[i-1])))
		}
	}
	return x[len(x)-1]
}

func (w *qworld) makePools() {
	sims := &qpool{w: w, idx: 0, name: policy.PoolSimulators, startup: time.Duration(w.cfg.Simulators.StartupDelay), odBusy: -1}
	w.pools = append(w.pools, sims)
	for i := range w.cfg.QPUs {
		q := &w.cfg.QPUs[i]
		p := &qpool{w: w, idx: i + 1, name: policy.PoolQPU + q.Name, qpu: q, startup: time.Duration(q.ReservationLead), odBusy: -1}
		if q.OnDemandPrice != "" {
			p.odPrice, _ = w.cfg.prices().QuantumPrice(q.OnDemandPrice)
		}
		w.pools = append(w.pools, p)
	}
}

// route applies the routing rule (Routing) to every job.
func (w *qworld) route() {
	s := &w.cfg.Simulators
	fits := func(j *qjob) (policy.Size, bool) {
		for _, z := range s.Sizes {
			if j.needGiB <= z.MemoryGiB {
				return z, true
			}
		}
		return policy.Size{}, false
	}
	for i := range w.jobs {
		j := &w.jobs[i]
		j.needGiB = s.jobNeedGiB(&j.Job)
		toSim := func() {
			z, _ := fits(j)
			j.route, j.run = 0, s.simRuntime(&j.Job, z)
		}
		toQPU := func(k int) {
			j.route, j.run = k+1, w.cfg.QPUs[k].runtime(&j.Job)
		}
		fail := func(why string) { j.route, j.fail = -1, why }
		_, simOK := fits(j)
		switch b := j.Backend; b {
		case "simulator":
			if simOK {
				toSim()
			} else {
				fail(FailTooLarge)
			}
			continue
		case "", "auto":
		default:
			k := slices.IndexFunc(w.cfg.QPUs, func(q QPUBackend) bool { return q.Name == b })
			switch {
			case k < 0:
				fail(FailUnknown)
			case w.cfg.QPUs[k].Qubits < j.Qubits:
				fail(FailTooLarge)
			default:
				toQPU(k)
			}
			continue
		}
		if z, ok := fits(j); ok && s.simRuntime(&j.Job, z) <= time.Duration(w.cfg.Routing.MaxSimulatorRuntime) {
			toSim()
			continue
		}
		// Backends that offer reservations first (a policy can add
		// capacity there; on-demand only means the public queue and the
		// per-job price), then the shortest runtime.
		best, bestRun, bestRes := -1, time.Duration(0), false
		for k := range w.cfg.QPUs {
			q := &w.cfg.QPUs[k]
			if q.Qubits < j.Qubits {
				continue
			}
			rt, res := q.runtime(&j.Job), q.MaxReserved > 0
			if best < 0 || (res && !bestRes) || (res == bestRes && rt < bestRun) {
				best, bestRun, bestRes = k, rt, res
			}
		}
		switch {
		case best >= 0:
			toQPU(best)
		case simOK:
			toSim()
		default:
			fail(FailTooLarge)
		}
	}
	// The oracle's view of each pool: how many jobs would run at once if
	// every one started as it arrived.
	type edge struct {
		at int64
		d  int
	}
	edges := make([][]edge, len(w.pools))
	for i := range w.jobs {
		j := &w.jobs[i]
		if j.route < 0 {
			continue
		}
		edges[j.route] = append(edges[j.route], edge{j.submit, +1}, edge{later(j.submit, j.run), -1})
	}
	for k, es := range edges {
		sort.SliceStable(es, func(a, b int) bool {
			if es[a].at != es[b].at {
				return es[a].at < es[b].at
			}
			return es[a].d < es[b].d
		})
		c := 0
		for _, e := range es {
			c += e.d
			if n := len(w.pools[k].need); n > 0 && w.pools[k].need[n-1].at == e.at {
				w.pools[k].need[n-1].count = c
			} else {
				w.pools[k].need = append(w.pools[k].need, needChange{e.at, c})
			}
		}
	}
}

// PeakNeed implements policy.Foresight for a pool: the most jobs that
// would run at once in [from, to] if each started on arrival.
func (p *qpool) PeakNeed(from, to time.Time) int {
	a, b := int64(from.Sub(p.w.start)), int64(to.Sub(p.w.start))
	i := sort.Search(len(p.need), func(i int) bool { return p.need[i].at > a })
	peak := 0
	if i > 0 {
		peak = p.need[i-1].count
	}
	for ; i < len(p.need) && p.need[i].at <= b; i++ {
		peak = max(peak, p.need[i].count)
	}
	return peak
}

func (p *qpool) startLoop() error {
	w := p.w
	if p.qpu != nil && p.qpu.MaxReserved == 0 {
		return nil // no reservations: nothing to scale
	}
	env := policy.Env{StartupDelay: p.startup, SyncPeriod: w.run.SyncPeriod, Capacity: 1, Pool: p.name}
	inner, err := w.run.Policy(env)
	if err != nil {
		return fmt.Errorf("pool %s: %w", p.name, err)
	}
	pol := inner
	ac := w.run.Loop
	s := &w.cfg.Simulators
	lo, hi := s.Min, s.Max
	if p.qpu != nil {
		lo, hi = p.qpu.MinReserved, p.qpu.MaxReserved
	}
	if b, ok := inner.(policy.Bounded); ok {
		bl, bh := b.Bounds()
		lo = max(lo, bl)
		if bh > 0 {
			hi = min(hi, bh)
		}
		lo = min(lo, hi)
	}
	ac.Min, ac.Max = lo, hi
	ac.BudgetPerHour = 0
	if p.qpu == nil {
		p.size = s.Sizes[0]
		if _, static := inner.(*policy.Static); static {
			// A static allocation is sized up front for the largest job
			// the simulators will see.
			for _, j := range w.jobs {
				if j.route == 0 {
					for _, z := range s.Sizes {
						if j.needGiB <= z.MemoryGiB {
							if z.MemoryGiB > p.size.MemoryGiB {
								p.size = z
							}
							break
						}
					}
				}
			}
		}
		sv, err := policy.NewStateVectorSizing(inner, s.Sizes, time.Duration(s.SizeHold))
		if err != nil {
			return err
		}
		pol = sv
		ac.Price, ac.PriceCPU = s.Price.Price(p.size.CPU, p.size.MemoryGiB), 0
	} else {
		ac.Price = p.qpu.reservedPrice()
	}
	if c, ok := inner.(policy.Clairvoyant); ok {
		c.Foresee(p)
	}
	var orch autoscaler.Orchestrator = p
	if p.qpu != nil {
		orch = countOnly{p}
	}
	p.loop, err = autoscaler.New(ac, pol, p, orch)
	if err != nil {
		return fmt.Errorf("pool %s: %w", p.name, err)
	}
	n0 := s.Initial
	if p.qpu != nil {
		n0 = p.qpu.MinReserved
	}
	if ip, ok := inner.(policy.Initializer); ok {
		n0 = ip.Initial(w.start)
	}
	n0, _ = p.loop.Clamp(n0)
	for range n0 {
		u := p.launch(0)
		u.ready = true
	}
	return nil
}

// launch adds a unit launched at t, not yet ready.
func (p *qpool) launch(t int64) *unit {
	p.w.nextID++
	u := &unit{id: p.w.nextID, size: p.size, launch: t, job: -1}
	if p.qpu == nil {
		u.price = p.w.cfg.Simulators.Price.Price(p.size.CPU, p.size.MemoryGiB)
	} else {
		u.price = p.qpu.reservedPrice()
	}
	p.units = append(p.units, u)
	return u
}

// start schedules a launched unit's readiness.
func (p *qpool) schedule(u *unit, t int64) {
	kind := uint32(evQWorkerReady)
	if p.qpu != nil {
		kind = evQDeviceReady
	}
	p.w.q.Push(Event{At: t + int64(p.startup), Kind: kind, Arg: u.id})
}

// remove takes u out of the pool at t and bills it.
func (p *qpool) remove(u *unit, t int64) {
	p.units = slices.DeleteFunc(p.units, func(x *unit) bool { return x == u })
	usd := u.price.Charge(time.Duration(t - u.launch))
	p.w.spent += usd
	if p.qpu == nil {
		p.w.res.SpendWorkers += usd
	} else {
		p.w.res.SpendReserved += usd
	}
}

// counts returns the units not retiring (the orchestrator's current
// target) and those of them ready.
func (p *qpool) counts() (active, ready, busy int) {
	for _, u := range p.units {
		if u.job >= 0 {
			busy++
		}
		if u.retiring {
			continue
		}
		active++
		if u.ready {
			ready++
		}
	}
	return
}

func (w *qworld) advance(t int64) {
	reserved := 0
	for _, p := range w.pools[1:] {
		reserved += len(p.units)
	}
	w.res.PeakWorkers = max(w.res.PeakWorkers, len(w.pools[0].units))
	w.res.PeakReserved = max(w.res.PeakReserved, reserved)
	for _, p := range w.pools {
		dt := float64(t - p.lastT)
		if dt <= 0 {
			continue
		}
		ready, busy := 0, 0
		for _, u := range p.units {
			if u.ready {
				ready++
			}
			if u.job >= 0 {
				busy++
			}
		}
		p.busyInt += dt * float64(busy)
		p.readyInt += dt * float64(ready)
		p.billedInt += dt * float64(len(p.units))
		p.lastT = t
	}
}

func (w *qworld) handle(e Event) {
	t := e.At
	switch e.Kind {
	case evQArrive:
		w.arrive(int(e.Arg), t)
	case evQWorkerReady, evQDeviceReady:
		for _, p := range w.pools {
			for _, u := range p.units {
				if u.id == e.Arg && !u.ready {
					u.ready = true
					p.dispatch(t)
				}
			}
		}
	case evQWorkerDone, evQDeviceDone:
		for _, p := range w.pools {
			for _, u := range p.units {
				if u.id == e.Arg && u.job >= 0 {
					w.jobs[u.job].state = jobDone
					u.job = -1
					switch {
					case u.retiring:
						p.remove(u, t)
					case p.qpu == nil && u.size != p.size:
						// Replace a worker of an old size now that it is free.
						p.remove(u, t)
						nu := p.launch(t)
						p.schedule(nu, t)
					}
					p.dispatch(t)
					return
				}
			}
		}
	case evQEligible:
		j := &w.jobs[e.Arg]
		p := w.pools[j.route]
		p.odWait--
		p.odQueue = append(p.odQueue, int(e.Arg))
		p.dispatchOnDemand(t)
	case evQOnDemandDone:
		p := w.pools[e.Arg]
		j := &w.jobs[p.odBusy]
		w.charge(j.odCost, t)
		w.pending -= j.odCost
		w.res.SpendOnDemand += j.odCost
		j.state = jobDone
		p.odBusy = -1
		p.dispatchOnDemand(t)
	case evQSync:
		now := w.start.Add(time.Duration(t))
		for _, p := range w.pools {
			if p.loop == nil {
				continue
			}
			if d := p.loop.Tick(now); d.Err != nil {
				w.res.ActuationErrors++
			}
			p.scheduleRetry()
		}
		w.q.Push(Event{At: t + int64(w.run.SyncPeriod), Kind: evQSync})
	case evQRetry:
		p := w.pools[e.Arg]
		if d, ok := p.loop.Retry(w.start.Add(time.Duration(t))); ok {
			if d.Err != nil {
				w.res.ActuationErrors++
			}
			p.scheduleRetry()
		}
	}
}

func (p *qpool) scheduleRetry() {
	if at, ok := p.loop.NextRetry(); ok {
		p.w.q.Push(Event{At: int64(at.Sub(p.w.start)), Kind: evQRetry, Arg: int64(p.idx)})
	}
}

// charge books an on-demand charge at t against the clock hour.
func (w *qworld) charge(usd float64, t int64) {
	w.rollHour(t)
	w.spent += usd
	w.hour.spent += usd
}

func (w *qworld) rollHour(t int64) {
	if h := t - t%int64(time.Hour); h != w.hour.start {
		w.hour.start, w.hour.spent = h, 0
	}
}

func (w *qworld) arrive(i int, t int64) {
	j := &w.jobs[i]
	w.res.Jobs++
	j.state = jobWaiting
	if j.route < 0 {
		w.failJob(j, j.fail)
		return
	}
	p := w.pools[j.route]
	if p.qpu == nil {
		w.res.SimulatorJobs++
		p.queue = append(p.queue, i)
		p.work += j.run.Seconds()
		p.dispatch(t)
		return
	}
	p.work += j.run.Seconds()
	if active, _, _ := p.counts(); active > 0 {
		w.res.ReservedJobs++
		p.queue = append(p.queue, i)
		p.dispatch(t)
		return
	}
	w.onDemand(p, i, t)
}

// onDemand submits job i to p's on-demand access at t, or fails it.
func (w *qworld) onDemand(p *qpool, i int, t int64) {
	j := &w.jobs[i]
	if p.odPrice == nil {
		w.failJob(j, FailNoOnDemand)
		return
	}
	usd, err := p.odPrice.JobCost(cost.QuantumJob{Qubits: j.Qubits, Shots: j.Shots, Circuits: circuits(&j.Job), Runtime: j.run})
	if err != nil {
		w.failJob(j, FailRuntimeCap)
		return
	}
	w.rollHour(t)
	if fit := w.cfg.Budget.Fits(usd+w.pending, w.hour.spent, w.accrued(t)); !fit.OK {
		w.failJob(j, FailBudget)
		return
	}
	w.res.OnDemandJobs++
	j.odCost = usd
	w.pending += usd
	p.odWait++
	w.q.Push(Event{At: later(t, j.odWait), Kind: evQEligible, Arg: int64(i)})
}

func (w *qworld) failJob(j *qjob, why string) {
	j.state = jobFailed
	w.res.FailedBy[why]++
}

// dispatch starts waiting jobs on idle ready units: each idle unit, in
// launch order, takes the first waiting job that fits it.
func (p *qpool) dispatch(t int64) {
	w := p.w
	for _, u := range p.units {
		if !u.ready || u.retiring || u.job >= 0 || len(p.queue) == 0 {
			continue
		}
		k := 0
		if p.qpu == nil {
			k = slices.IndexFunc(p.queue, func(i int) bool { return w.jobs[i].needGiB <= u.size.MemoryGiB })
			if k < 0 {
				continue
			}
		}
		i := p.queue[k]
		p.queue = slices.Delete(p.queue, k, k+1)
		j := &w.jobs[i]
		run := j.run
		kind := uint32(evQDeviceDone)
		if p.qpu == nil {
			run = w.cfg.Simulators.simRuntime(&j.Job, u.size)
			kind = evQWorkerDone
		}
		w.started(j, t)
		u.job = i
		w.q.Push(Event{At: later(t, run), Kind: kind, Arg: u.id})
	}
}

// dispatchOnDemand starts the next eligible on-demand job when the device
// is free.
func (p *qpool) dispatchOnDemand(t int64) {
	if p.odBusy >= 0 || len(p.odQueue) == 0 {
		return
	}
	i := p.odQueue[0]
	p.odQueue = p.odQueue[1:]
	p.odBusy = i
	j := &p.w.jobs[i]
	p.w.started(j, t)
	p.w.q.Push(Event{At: later(t, j.run), Kind: evQOnDemandDone, Arg: int64(p.idx)})
}

func (w *qworld) started(j *qjob, t int64) {
	j.state = jobRunning
	wait := float64(t-j.submit) / 1e9
	w.waits = append(w.waits, wait)
	if wait > time.Duration(w.cfg.WaitObjective).Seconds() {
		w.res.OverSLO++
	}
}

// Observe implements autoscaler.MetricsSource: the job scheduler knows its
// pools exactly, so the observation is current. Utilisation is busy over
// ready unit-time since the previous observation; RequestRate the work
// (runtime seconds) that arrived per second, in units a worker or device
// serves one of per second (Capacity 1); Backlog the work waiting.
func (p *qpool) Observe(now time.Time) (policy.Observation, error) {
	t := int64(now.Sub(p.w.start))
	p.w.advance(t)
	_, ready, _ := p.counts()
	obs := policy.Observation{Time: now, Valid: true, Ready: ready, Capacity: 1, Size: p.size}
	for _, u := range p.units {
		if !u.retiring && !u.ready {
			obs.Starting++
		}
	}
	if p.readyInt > 0 {
		obs.Utilization = min(1, p.busyInt/p.readyInt)
	}
	if dt := float64(t-p.obsT) / 1e9; dt > 0 {
		obs.RequestRate = p.work / dt
	}
	for _, i := range p.queue {
		j := &p.w.jobs[i]
		obs.Backlog += j.run.Seconds()
		obs.JobMemoryGiB = max(obs.JobMemoryGiB, j.needGiB)
	}
	if p.qpu == nil {
		for _, u := range p.units {
			if u.job >= 0 {
				obs.JobMemoryGiB = max(obs.JobMemoryGiB, p.w.jobs[u.job].needGiB)
			}
		}
	} else {
		obs.Size = policy.Size{}
	}
	p.busyInt, p.readyInt, p.work, p.obsT = 0, 0, 0, t
	return obs, nil
}

// Current implements autoscaler.Orchestrator.
func (p *qpool) Current(time.Time) (int, error) {
	a, _, _ := p.counts()
	return a, nil
}

// Scale implements autoscaler.Orchestrator. Scale-in takes starting units
// first, newest first, then idle ones, newest first, then busy ones, which
// finish their job before they go (a graceful drain, billed to its end).
func (p *qpool) Scale(now time.Time, target int) error {
	if target < 0 {
		return fmt.Errorf("sim: scale pool %s to %d", p.name, target)
	}
	t := int64(now.Sub(p.w.start))
	p.w.advance(t)
	cur, _, _ := p.counts()
	if cur == target {
		return nil
	}
	p.w.res.ScaleActions++
	for ; cur < target; cur++ {
		// Take back a retiring unit before launching a new one.
		if k := slices.IndexFunc(p.units, func(u *unit) bool { return u.retiring && u.size == p.size }); k >= 0 {
			p.units[k].retiring = false
			continue
		}
		u := p.launch(t)
		p.schedule(u, t)
	}
	for pass := 0; cur > target && pass < 3; pass++ {
		for k := len(p.units) - 1; k >= 0 && cur > target; k-- {
			u := p.units[k]
			if u.retiring {
				continue
			}
			switch {
			case pass == 0 && !u.ready, pass == 1 && u.ready && u.job < 0:
				p.remove(u, t)
				cur--
			case pass == 2 && u.job >= 0:
				u.retiring = true
				cur--
			}
		}
	}
	if p.qpu != nil && cur == 0 {
		// No reserved device left: waiting jobs go on-demand.
		q := p.queue
		p.queue = nil
		for _, i := range q {
			p.w.res.ReservedJobs--
			p.w.onDemand(p, i, t)
		}
	}
	p.dispatch(t)
	return nil
}

// Size implements autoscaler.Resizer for the simulator workers.
func (p *qpool) Size(time.Time) (policy.Size, error) { return p.size, nil }

// countOnly hides a pool's Resizer: reserved QPU devices have no size.
type countOnly struct{ p *qpool }

func (c countOnly) Current(now time.Time) (int, error)    { return c.p.Current(now) }
func (c countOnly) Scale(now time.Time, target int) error { return c.p.Scale(now, target) }

// Resize implements autoscaler.Resizer: new workers get the new size;
// starting and idle workers are replaced at once, busy ones when their job
// ends.
func (p *qpool) Resize(now time.Time, size policy.Size) error {
	if !validSize(size) {
		return fmt.Errorf("sim: resize simulator workers to %+v", size)
	}
	if size == p.size {
		return nil
	}
	t := int64(now.Sub(p.w.start))
	p.w.advance(t)
	p.w.res.Resizes++
	p.size = size
	for _, u := range slices.Clone(p.units) {
		if u.job < 0 && !u.retiring && u.size != size {
			p.remove(u, t)
			nu := p.launch(t)
			p.schedule(nu, t)
		}
	}
	return nil
}

// accrued is the quantum spend to t, before billing rounding.
func (w *qworld) accrued(t int64) float64 {
	usd := w.spent
	for _, p := range w.pools {
		for _, u := range p.units {
			usd += u.price.USDPerHour * float64(t-u.launch) / float64(time.Hour)
		}
	}
	return usd
}

// record is the state at t of the step that started at from.
func (w *qworld) record(from, t int64) QuantumRecord {
	r := QuantumRecord{Time: w.start.Add(time.Duration(from)), Spend: w.accrued(t)}
	for _, p := range w.pools {
		r.Queued += len(p.queue) + len(p.odQueue) + p.odWait
		if p.odBusy >= 0 {
			r.Running++
		}
		// Billed: every unit in the pool, those draining a job after a
		// scale-in included, as MeanWorkers and PeakWorkers count them.
		_, ready, busy := p.counts()
		r.Running += busy
		if p.qpu == nil {
			r.Workers, r.WorkersReady, r.WorkerMemGiB = len(p.units), ready, p.size.MemoryGiB
		} else {
			r.Reserved += len(p.units)
			r.ReservedReady += ready
		}
	}
	return r
}

func (w *qworld) finish() *QuantumResult {
	w.advance(w.end)
	res := &w.res
	for _, p := range w.pools {
		for _, u := range slices.Clone(p.units) {
			p.remove(u, w.end)
		}
		mean := p.billedInt / float64(w.end)
		res.MeanByPool[p.name] = mean
		if p.qpu == nil {
			res.MeanWorkers = mean
		} else {
			res.MeanReserved += mean
		}
		if p.loop != nil {
			st := p.loop.Stats(w.start.Add(time.Duration(w.end)))
			res.Retries += st.Retries
			res.FailedActions += st.FailedActions
		}
	}
	for i := range w.jobs {
		switch j := &w.jobs[i]; j.state {
		case jobWaiting:
			res.Queued++
			w.waitingAtEnd(j)
		case jobRunning:
			res.Running++
		case jobDone:
			res.Done++
		case jobFailed:
			res.Failed++
		}
	}
	res.Spend = res.SpendWorkers + res.SpendReserved + res.SpendOnDemand
	if n := len(w.waits); n > 0 {
		slices.Sort(w.waits)
		sum := 0.0
		for _, x := range w.waits {
			sum += x
		}
		res.WaitMean = durationOf(sum / float64(n))
		res.WaitP95 = durationOf(w.waits[int(math.Ceil(0.95*float64(n)))-1])
	}
	return res
}

// waitingAtEnd counts a job still waiting at the end with its wait so far.
func (w *qworld) waitingAtEnd(j *qjob) {
	wait := float64(w.end-j.submit) / 1e9
	w.waits = append(w.waits, wait)
	if wait > time.Duration(w.cfg.WaitObjective).Seconds() {
		w.res.OverSLO++
	}
}

// later returns t + d, saturating: a runtime or wait that durationOf
// saturated at the largest Duration must end never, not wrap around to
// before t.
func later(t int64, d time.Duration) int64 { return int64(addSat(time.Duration(t), d)) }
