package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/policy"
)

// Errors of injected faults. The orchestrator returns them marked with
// autoscaler.Transient, so the loop retries them; match them with
// errors.Is.
var (
	ErrInjected = errors.New("sim: injected orchestrator error")
	ErrOutage   = errors.New("sim: orchestrator outage")
	ErrTimeout  = errors.New("sim: orchestrator call timed out")
)

// The transient forms, made once so a failing call allocates nothing.
var (
	errInjected = autoscaler.Transient(ErrInjected)
	errOutage   = autoscaler.Transient(ErrOutage)
	errTimeout  = autoscaler.Transient(ErrTimeout)
)

// Faults injects faults into the orchestrator's Scale calls, as a flaky
// Kubernetes API or cloud provider would show them. The zero value injects
// nothing, and the run is exactly that of a world without faults. Reads of
// the current count (Orchestrator.Current) never fail.
//
// Each Scale call, in order:
//
//  1. fails with ErrOutage when it falls in an outage window;
//  2. else fails with ErrInjected with probability ErrorRate;
//  3. else takes Latency plus an exponential extra of mean LatencyJitter;
//     when that exceeds Timeout (if set) it fails with ErrTimeout,
//     otherwise it succeeds and the new count takes effect that much
//     later.
//
// All three errors are transient. A failed call changes nothing. The loop
// does not block on a call: it learns of a timeout at once, and until a
// slow call takes effect it reads the old count (and may call again).
type Faults struct {
	// Seed seeds the faults' own PCG stream: the same seed, the same faults.
	Seed uint64
	// ErrorRate is the probability in [0, 1] that a call outside an outage
	// fails.
	ErrorRate float64
	// Latency is the fixed time a call takes before its effect, ≥ 0.
	Latency time.Duration
	// LatencyJitter is the mean of an exponentially distributed extra
	// latency per call, ≥ 0; 0 means none.
	LatencyJitter time.Duration
	// Timeout fails calls whose latency exceeds it; 0 means no timeout.
	Timeout time.Duration
	// Outages are windows in which every call fails.
	Outages []Outage
}

// Outage is a window [Start, End) of offsets from the start of the run in
// which every orchestrator call fails.
type Outage struct {
	Start, End time.Duration
}

// Enabled reports whether f injects anything.
func (f Faults) Enabled() bool {
	return f.ErrorRate > 0 || f.Latency > 0 || f.LatencyJitter > 0 || len(f.Outages) > 0
}

// Validate reports the first field out of range.
func (f Faults) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: Faults.%s = %v, want %s", ErrInvalidConfig, field, v, want)
	}
	switch {
	case math.IsNaN(f.ErrorRate) || f.ErrorRate < 0 || f.ErrorRate > 1:
		return bad("ErrorRate", f.ErrorRate, "a probability in [0, 1]")
	case f.Latency < 0:
		return bad("Latency", f.Latency, "≥ 0")
	case f.LatencyJitter < 0:
		return bad("LatencyJitter", f.LatencyJitter, "≥ 0")
	case f.Timeout < 0:
		return bad("Timeout", f.Timeout, "≥ 0")
	}
	for i, o := range f.Outages {
		if o.Start < 0 || o.End <= o.Start {
			return bad(fmt.Sprintf("Outages[%d]", i), o, "0 ≤ Start < End")
		}
	}
	return nil
}

// faultStream is the PCG stream of the faults ("faults").
const faultStream = 0x6661756c7473

// faulty wraps the world's orchestrator with the faults.
type faulty struct {
	w   *world
	f   Faults
	rng *rand.Rand
}

var (
	_ autoscaler.Orchestrator = (*faulty)(nil)
	_ autoscaler.Resizer      = (*faulty)(nil)
	_ autoscaler.Resizer      = (*world)(nil)
)

func newFaulty(w *world, f Faults) *faulty {
	return &faulty{w: w, f: f, rng: rand.New(rand.NewPCG(f.Seed, faultStream))}
}

// Current implements autoscaler.Orchestrator; it never fails.
func (o *faulty) Current(now time.Time) (int, error) { return o.w.Current(now) }

// Scale implements autoscaler.Orchestrator with the faults.
func (o *faulty) Scale(now time.Time, target int) error {
	t := now.Sub(o.w.start)
	for _, out := range o.f.Outages {
		if t >= out.Start && t < out.End {
			return errOutage
		}
	}
	if o.f.ErrorRate > 0 && o.rng.Float64() < o.f.ErrorRate {
		return errInjected
	}
	lat := o.f.Latency
	if o.f.LatencyJitter > 0 {
		lat += time.Duration(o.rng.ExpFloat64() * float64(o.f.LatencyJitter))
	}
	if o.f.Timeout > 0 && lat > o.f.Timeout {
		return errTimeout
	}
	if lat == 0 {
		return o.w.Scale(now, target)
	}
	if target < 0 {
		return fmt.Errorf("sim: scale to %d instances", target)
	}
	o.w.q.Push(Event{At: int64(t + lat), Kind: evApply, Arg: int64(target)})
	return nil
}

// Size implements autoscaler.Resizer; it never fails.
func (o *faulty) Size(now time.Time) (policy.Size, error) { return o.w.Size(now) }

// Resize implements autoscaler.Resizer with the outages and the error
// rate of Scale; a resize that does not fail takes effect at once
// (latency is not modelled for resizes).
func (o *faulty) Resize(now time.Time, size policy.Size) error {
	t := now.Sub(o.w.start)
	for _, out := range o.f.Outages {
		if t >= out.Start && t < out.End {
			return errOutage
		}
	}
	if o.f.ErrorRate > 0 && o.rng.Float64() < o.f.ErrorRate {
		return errInjected
	}
	return o.w.Resize(now, size)
}
