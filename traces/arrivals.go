package traces

import (
	"io"
	"math"
	"math/rand/v2"
	"time"
)

// ArrivalOptions configure a synthetic quantum job stream.
type ArrivalOptions struct {
	// Start is the origin of the stream. Zero means the Unix epoch in UTC.
	Start time.Time
	// Length is the span: jobs arrive in [Start, Start+Length). Zero means
	// 24 hours.
	Length time.Duration
	// RatePerHour is the Poisson arrival rate in jobs per hour (≥ 0); with
	// Burst set, the rate of the calm state.
	RatePerHour float64
	// Burst, when set, modulates the rate with a two-state Markov chain
	// (an MMPP); nil means a homogeneous Poisson process.
	Burst *MMPP
	// Backends are the backend names jobs are spread over, uniformly at
	// random. Empty means Job.Backend is "".
	Backends []string
	// MaxQubits truncates the qubit distribution to at most this many
	// qubits (≥ 1), as a pool whose largest device or simulator has this
	// size would see. Zero means no limit (the table's maximum, 65).
	MaxQubits int
	// Seed selects the stream; the same options and seed give the same jobs
	// bit for bit.
	Seed uint64
}

// MMPP is a two-state Markov-modulated Poisson process: jobs arrive at
// ArrivalOptions.RatePerHour in the calm state and at BurstRatePerHour in
// the burst state; the process stays in each state for an exponentially
// distributed time with the given mean, then switches to the other.
type MMPP struct {
	// BurstRatePerHour is the arrival rate in the burst state, in jobs per
	// hour (≥ 0).
	BurstRatePerHour float64
	// MeanCalm and MeanBurst are the mean sojourn times in each state (> 0).
	MeanCalm, MeanBurst time.Duration
}

// Arrivals generates quantum jobs: Poisson or MMPP arrival times, and
// qubits, shots and depth drawn independently from the distributions of
// the package documentation. It implements JobReader and streams in
// constant memory. Arrivals is not safe for concurrent use.
type Arrivals struct {
	opts     ArrivalOptions
	now      time.Duration // offset of the last arrival or state switch
	burst    bool          // MMPP state
	switchAt time.Duration // offset of the next state switch (MMPP)
	arr      *rand.Rand    // inter-arrival times
	mod      *rand.Rand    // MMPP state sojourns
	attr     *rand.Rand    // qubits, shots, depth
	back     *rand.Rand    // backend choice
	circ     *rand.Rand    // circuits per job
	qubitMax float64       // u bound that truncates qubits to MaxQubits
	done     bool
	closed   bool
}

var _ JobReader = (*Arrivals)(nil)

// NewArrivals validates opts, applies the defaults and returns the
// generator. Errors wrap ErrInvalidOption and name the offending field.
func NewArrivals(opts ArrivalOptions) (*Arrivals, error) {
	o := opts
	if o.Start.IsZero() {
		o.Start = time.Unix(0, 0).UTC()
	}
	if o.Length == 0 {
		o.Length = 24 * time.Hour
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case o.Length < 0:
		return nil, optionError("ArrivalOptions.Length", o.Length, "must be > 0")
	case !finite(o.RatePerHour) || o.RatePerHour < 0:
		return nil, optionError("ArrivalOptions.RatePerHour", o.RatePerHour, "must be finite and ≥ 0")
	case o.MaxQubits < 0:
		return nil, optionError("ArrivalOptions.MaxQubits", o.MaxQubits, "must be ≥ 0")
	case o.Start.Before(minTime) || o.Start.Add(o.Length).After(maxTime):
		return nil, optionError("ArrivalOptions.Start", o.Start, "the stream must lie in years 0000-9999")
	}
	for i, b := range o.Backends {
		if b == "" || !csvSafe(b) {
			return nil, optionError("ArrivalOptions.Backends", i, "backend names must be non-empty, without surrounding space or CRLF")
		}
	}
	if b := o.Burst; b != nil {
		switch {
		case !finite(b.BurstRatePerHour) || b.BurstRatePerHour < 0:
			return nil, optionError("ArrivalOptions.Burst.BurstRatePerHour", b.BurstRatePerHour, "must be finite and ≥ 0")
		case b.MeanCalm <= 0:
			return nil, optionError("ArrivalOptions.Burst.MeanCalm", b.MeanCalm, "must be > 0")
		case b.MeanBurst <= 0:
			return nil, optionError("ArrivalOptions.Burst.MeanBurst", b.MeanBurst, "must be > 0")
		}
		burst := *b
		o.Burst = &burst
	}
	o.Backends = append([]string(nil), o.Backends...)
	a := &Arrivals{
		opts:     o,
		arr:      rand.New(rand.NewPCG(o.Seed, streamArrivals)),
		mod:      rand.New(rand.NewPCG(o.Seed, streamModulation)),
		attr:     rand.New(rand.NewPCG(o.Seed, streamAttributes)),
		back:     rand.New(rand.NewPCG(o.Seed, streamBackends)),
		circ:     rand.New(rand.NewPCG(o.Seed, streamCircuits)),
		qubitMax: 1,
	}
	if o.MaxQubits > 0 {
		a.qubitMax = qubitQuantiles.below(float64(o.MaxQubits) + 0.5)
	}
	if b := o.Burst; b != nil {
		// Start in the stationary distribution; by memorylessness the
		// residual sojourn is exponential with the state's mean.
		pBurst := float64(b.MeanBurst) / (float64(b.MeanBurst) + float64(b.MeanCalm))
		a.burst = a.mod.Float64() < pBurst
		a.switchAt = a.sojourn()
	}
	return a, nil
}

// Options returns the options with defaults applied.
func (a *Arrivals) Options() ArrivalOptions { return a.opts }

// MeanRatePerHour returns the long-run mean arrival rate in jobs per hour:
// RatePerHour for Poisson, (λc·Mc + λb·Mb)/(Mc + Mb) for an MMPP with rates
// λ and mean sojourns M.
func (a *Arrivals) MeanRatePerHour() float64 {
	b := a.opts.Burst
	if b == nil {
		return a.opts.RatePerHour
	}
	mc, mb := float64(b.MeanCalm), float64(b.MeanBurst)
	return (a.opts.RatePerHour*mc + b.BurstRatePerHour*mb) / (mc + mb)
}

// sojourn draws the time until the next state switch, from now.
func (a *Arrivals) sojourn() time.Duration {
	mean := a.opts.Burst.MeanCalm
	if a.burst {
		mean = a.opts.Burst.MeanBurst
	}
	d := a.mod.ExpFloat64() * float64(mean)
	left := float64(a.opts.Length - a.now)
	if d >= left {
		return a.opts.Length
	}
	return a.now + max(time.Duration(d), 1)
}

func (a *Arrivals) rate() float64 {
	if a.burst {
		return a.opts.Burst.BurstRatePerHour
	}
	return a.opts.RatePerHour
}

// Next fills job with the next arrival; io.EOF once the stream passes
// Start+Length.
func (a *Arrivals) Next(job *Job) error {
	if a.closed {
		return ErrClosed
	}
	if a.done {
		return io.EOF
	}
	for {
		dt := math.Inf(1)
		if r := a.rate(); r > 0 {
			dt = a.arr.ExpFloat64() / r * float64(time.Hour)
		}
		if a.opts.Burst != nil && a.switchAt < a.opts.Length && dt >= float64(a.switchAt-a.now) {
			a.now = a.switchAt
			a.burst = !a.burst
			a.switchAt = a.sojourn()
			continue
		}
		if dt >= float64(a.opts.Length-a.now) {
			a.done = true
			return io.EOF
		}
		a.now += time.Duration(math.Round(dt))
		if a.now >= a.opts.Length {
			a.done = true
			return io.EOF
		}
		break
	}
	*job = Job{
		Submit: a.opts.Start.Add(a.now),
		Shots:  drawShots(a.attr.Float64()),
		Depth:  int(math.Floor(depthQuantiles.at(a.attr.Float64()) + 0.5)),
		Qubits: min(max(int(math.Floor(qubitQuantiles.at(a.attr.Float64()*a.qubitMax)+0.5)), 1), a.maxQubits()),
	}
	job.Circuits = int(math.Floor(circuitQuantiles.at(a.circ.Float64()) + 0.5))
	if n := len(a.opts.Backends); n > 0 {
		job.Backend = a.opts.Backends[a.back.IntN(n)]
	}
	return nil
}

func (a *Arrivals) maxQubits() int {
	if a.opts.MaxQubits > 0 {
		return a.opts.MaxQubits
	}
	return math.MaxInt
}

// Close ends the stream; later calls to Next return ErrClosed.
func (a *Arrivals) Close() error {
	a.closed = true
	return nil
}

// quantileTable is a piecewise-linear quantile function through the knots
// (p[i], x[i]), with p from 0 to 1 and x non-decreasing.
type quantileTable struct{ p, x []float64 }

// Job attributes from Ravi et al., IISWC 2021 (arXiv:2203.13121), as
// summarised in data/quantum/README.md: 5,704 IBM Quantum jobs, 2019-2021.
var (
	// Circuit depth: p10 0, p50 13, p90 108, p99 325, max 849 (min 0).
	depthQuantiles = quantileTable{
		p: []float64{0, 0.10, 0.50, 0.90, 0.99, 1},
		x: []float64{0, 0, 13, 108, 325, 849},
	}
	// Device qubits: p50 5, p90 27, p99 65, max 65. The source gives no
	// p10; the minimum is taken as 1 qubit.
	qubitQuantiles = quantileTable{
		p: []float64{0, 0.50, 0.90, 0.99, 1},
		x: []float64{1, 5, 27, 65, 65},
	}
	// Circuits per job (batch size): p10 1, p50 2, p90 680, p99 900,
	// max 900; the minimum is 1. Heavy-tailed: most jobs hold a circuit or
	// two, a tenth hold hundreds (parameter sweeps, tomography).
	circuitQuantiles = quantileTable{
		p: []float64{0, 0.10, 0.50, 0.90, 0.99, 1},
		x: []float64{1, 1, 2, 680, 900, 900},
	}
	// The five most common shot counts, most common first. The source
	// gives their ranking and the quantiles p10 1,000, p50 8,000, p90
	// 8,192, max 8,192 but not their frequencies; these weights keep both.
	shotValues  = []int{8192, 1024, 8000, 1000, 5000}
	shotWeights = []float64{0.40, 0.22, 0.18, 0.12, 0.08}
)

// at returns the quantile at u in [0, 1].
func (q quantileTable) at(u float64) float64 {
	for i := 1; i < len(q.p); i++ {
		if u <= q.p[i] {
			w := (u - q.p[i-1]) / (q.p[i] - q.p[i-1])
			return q.x[i-1] + w*(q.x[i]-q.x[i-1])
		}
	}
	return q.x[len(q.x)-1]
}

// below returns the probability that a draw is below limit: the least u
// with at(u) ≥ limit, or 1 if there is none.
func (q quantileTable) below(limit float64) float64 {
	if limit > q.x[len(q.x)-1] {
		return 1
	}
	if limit <= q.x[0] {
		return 0
	}
	for i := 1; i < len(q.x); i++ {
		if q.x[i] >= limit {
			w := (limit - q.x[i-1]) / (q.x[i] - q.x[i-1])
			return q.p[i-1] + w*(q.p[i]-q.p[i-1])
		}
	}
	return 1
}

// drawShots maps u in [0, 1) to a shot count.
func drawShots(u float64) int {
	for i, w := range shotWeights {
		if u < w {
			return shotValues[i]
		}
		u -= w
	}
	return shotValues[0]
}
