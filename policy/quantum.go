package policy

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// Resource pools a policy may scale (Env.Pool).
const (
	PoolClassical  = ""           // the classical service
	PoolSimulators = "simulators" // state-vector simulator workers
	PoolQPU        = "qpu:"       // prefix of a QPU backend's reserved devices, "qpu:NAME"
)

// StaticConfig configures a Static policy.
type StaticConfig struct {
	// Instances is the count held in the classical pool and in every pool
	// not named in Pools (≥ 0).
	Instances int `json:"instances"`
	// Pools holds per-pool counts by pool name (Env.Pool: "simulators",
	// "qpu:NAME"), overriding Instances there.
	Pools map[string]int `json:"pools"`
}

// Static holds a fixed instance count: the baseline an autoscaler has to
// beat, a fixed allocation of capacity bought up front. It never resizes.
type Static struct{ n int }

var _ Policy = (*Static)(nil)
var _ Initializer = (*Static)(nil)
var _ Bounded = (*Static)(nil)

// NewStatic returns the static policy of cfg for the pool named pool.
// The same cfg is valid or not for every pool; an error names the field,
// the first bad pool in name order.
func NewStatic(cfg StaticConfig, pool string) (*Static, error) {
	if cfg.Instances < 0 {
		return nil, fmt.Errorf("%w: instances: %d is negative", ErrInvalidConfig, cfg.Instances)
	}
	for _, k := range slices.Sorted(maps.Keys(cfg.Pools)) {
		if v := cfg.Pools[k]; v < 0 {
			return nil, fmt.Errorf("%w: pools.%s: %d is negative", ErrInvalidConfig, k, v)
		}
	}
	n := cfg.Instances
	if v, ok := cfg.Pools[pool]; ok {
		n = v
	}
	return &Static{n: n}, nil
}

// Name returns "static".
func (s *Static) Name() string { return "static" }

// Initial implements Initializer: the pool starts at its fixed count.
func (s *Static) Initial(time.Time) int { return s.n }

// Bounds implements Bounded: exactly the fixed count.
func (s *Static) Bounds() (min, max int) { return s.n, s.n }

// Decide implements Policy: always the fixed count.
func (s *Static) Decide(time.Time, Observation) Decision {
	return Decision{Target: s.n, Reason: "static allocation"}
}

// StateVectorSizes returns the worker sizes a state-vector simulator needs,
// one per qubit count: memory doubles with each qubit (16·2^n bytes in
// complex128), so the steps are the powers of two from minGiB to maxGiB,
// with cpuPerGiB vCPUs per GiB (at least one). A range doubling cannot
// cross (minGiB ≤ 0, or maxGiB infinite) gives no sizes.
func StateVectorSizes(minGiB, maxGiB, cpuPerGiB float64) []Size {
	var out []Size
	if !(minGiB > 0) || math.IsInf(maxGiB, 1) {
		return nil
	}
	for m := minGiB; m <= maxGiB*(1+1e-9); m *= 2 {
		out = append(out, Size{CPU: max(1, math.Round(m*cpuPerGiB)), MemoryGiB: m})
	}
	return out
}

// StateVectorSizing scales a pool of state-vector simulator workers
// vertically under any policy that scales it horizontally: the count is
// the inner policy's, the size the smallest of Sizes whose memory holds
// the largest state vector waiting or running (Observation.JobMemoryGiB).
// It grows the size at once, since a job that fits no worker cannot start,
// and shrinks it only after Hold has passed without a need for the larger
// size, so a stream of large jobs does not restart the pool between them.
// A Static inner policy is passed through unchanged: a static allocation
// keeps its size. The wrapper implements no optional interface of the
// inner policy (Initializer, Bounded, Clairvoyant): its driver asks Inner.
type StateVectorSizing struct {
	Inner Policy
	Sizes []Size        // ascending memory; at least one
	Hold  time.Duration // time without a need before shrinking [30 min]

	size     int       // index into Sizes of the current proposal
	lastNeed time.Time // when the current size was last needed
}

var _ Policy = (*StateVectorSizing)(nil)

// NewStateVectorSizing wraps inner; sizes must be non-empty with
// increasing memory.
func NewStateVectorSizing(inner Policy, sizes []Size, hold time.Duration) (*StateVectorSizing, error) {
	if len(sizes) == 0 {
		return nil, fmt.Errorf("%w: no simulator worker sizes", ErrInvalidConfig)
	}
	for i := 1; i < len(sizes); i++ {
		if sizes[i].MemoryGiB <= sizes[i-1].MemoryGiB {
			return nil, fmt.Errorf("%w: simulator worker sizes must grow in memory: %v then %v", ErrInvalidConfig, sizes[i-1], sizes[i])
		}
	}
	if hold <= 0 {
		hold = 30 * time.Minute
	}
	return &StateVectorSizing{Inner: inner, Sizes: slices.Clone(sizes), Hold: hold}, nil
}

// Name returns the inner policy's name.
func (s *StateVectorSizing) Name() string { return s.Inner.Name() }

// Decide implements Policy.
func (s *StateVectorSizing) Decide(now time.Time, obs Observation) Decision {
	d := s.Inner.Decide(now, obs)
	if _, ok := s.Inner.(*Static); ok {
		return d
	}
	want := 0
	for want < len(s.Sizes)-1 && s.Sizes[want].MemoryGiB < obs.JobMemoryGiB {
		want++
	}
	switch {
	case want >= s.size:
		s.size, s.lastNeed = want, now
	case now.Sub(s.lastNeed) >= s.Hold:
		s.size, s.lastNeed = want, now
	}
	d.Size = s.Sizes[s.size]
	return d
}

func init() {
	register(Spec{
		Name:    "static",
		Summary: "a fixed allocation: holds the same count in every pool, the baseline a policy has to beat",
		Params: []Param{
			{"instances", "instances", "0 (required)", "count held in the classical pool and every pool not in pools"},
			{"pools", "map", "none", "per-pool counts: {simulators: N, \"qpu:NAME\": N}"},
		},
		New: func(env Env, params map[string]any) (Policy, error) {
			var c StaticConfig
			if err := DecodeParams(params, &c); err != nil {
				return nil, err
			}
			return NewStatic(c, env.Pool)
		},
	})
}
