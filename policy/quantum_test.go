package policy

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPoolNames(t *testing.T) {
	if PoolClassical != "" || PoolSimulators != "simulators" || PoolQPU != "qpu:" {
		t.Errorf("pool names %q, %q, %q", PoolClassical, PoolSimulators, PoolQPU)
	}
}

func TestStaticPerPool(t *testing.T) {
	cfg := StaticConfig{Instances: 2, Pools: map[string]int{PoolSimulators: 5, PoolQPU + "ibm-eagle": 0}}
	for pool, want := range map[string]int{
		PoolClassical:         2, // not in pools: instances
		PoolSimulators:        5,
		PoolQPU + "ibm-eagle": 0, // a count of 0 in pools overrides instances
		PoolQPU + "ionq-aria": 2,
	} {
		s, err := NewStatic(cfg, pool)
		if err != nil {
			t.Fatalf("%q: %v", pool, err)
		}
		if s.Name() != "static" {
			t.Errorf("name %q", s.Name())
		}
		if got := s.Initial(t0); got != want {
			t.Errorf("%q: initial %d, want %d", pool, got, want)
		}
		if lo, hi := s.Bounds(); lo != want || hi != want {
			t.Errorf("%q: bounds [%d, %d], want [%d, %d]", pool, lo, hi, want, want)
		}
		// Whatever it observes, at any time, the count is fixed and the
		// size kept.
		for k, o := range []Observation{{}, {Valid: true, Utilization: 1, Backlog: 1e6, Ready: 1, Current: 1, JobMemoryGiB: 300},
			{Valid: true, Utilization: 0, Ready: 40, Current: 40}} {
			d := s.Decide(t0.Add(time.Duration(k)*time.Hour), o)
			if d.Target != want || !d.Size.IsZero() || d.Reason == "" {
				t.Errorf("%q: decision %+v, want target %d, no size, a reason", pool, d, want)
			}
		}
	}
}

func TestStaticErrorsNameTheField(t *testing.T) {
	cases := []struct {
		cfg   StaticConfig
		pool  string
		field string
	}{
		{StaticConfig{Instances: -1}, PoolClassical, "instances"},
		{StaticConfig{Instances: -1}, PoolSimulators, "instances"},
		// A negative instances is an error even for a pool that overrides it.
		{StaticConfig{Instances: -1, Pools: map[string]int{PoolSimulators: 2}}, PoolSimulators, "instances"},
		// A negative per-pool count names its pool, asked for or not.
		{StaticConfig{Instances: 1, Pools: map[string]int{PoolSimulators: -2}}, PoolSimulators, "pools.simulators"},
		{StaticConfig{Instances: 1, Pools: map[string]int{PoolSimulators: -2}}, PoolQPU + "x", "pools.simulators"},
	}
	for _, c := range cases {
		_, err := NewStatic(c.cfg, c.pool)
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), c.field+":") {
			t.Errorf("%+v for %q: got %v, want ErrInvalidConfig naming %s", c.cfg, c.pool, err, c.field)
		}
	}
	// With several bad pools, the error is the same every time: the first
	// in name order.
	cfg := StaticConfig{Pools: map[string]int{"qpu:c": -1, "qpu:a": -3, "qpu:b": -2, "simulators": -4}}
	for range 20 {
		if _, err := NewStatic(cfg, PoolSimulators); err == nil || !strings.Contains(err.Error(), "pools.qpu:a:") {
			t.Fatalf("got %v, want the error on pools.qpu:a", err)
		}
	}
}

func TestStaticFromRegistry(t *testing.T) {
	spec, err := Lookup("static")
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]any{"instances": 3, "pools": map[string]any{"simulators": 6, "qpu:ibm-eagle": 1}}
	for pool, want := range map[string]int{PoolClassical: 3, PoolSimulators: 6, "qpu:ibm-eagle": 1, "qpu:ionq-aria": 3} {
		p, err := spec.New(Env{Pool: pool, StartupDelay: time.Minute, SyncPeriod: 15 * time.Second, Capacity: 1}, params)
		if err != nil {
			t.Fatalf("%q: %v", pool, err)
		}
		if got := p.(Initializer).Initial(t0); got != want {
			t.Errorf("%q: %d instances, want %d", pool, got, want)
		}
	}
	for _, c := range []struct {
		params map[string]any
		key    string
	}{
		{map[string]any{"instance": 3}, "instance"},
		{map[string]any{"instances": "three"}, "instances"},
		{map[string]any{"instances": -3}, "instances"},
		{map[string]any{"instances": 1, "pools": map[string]any{"simulators": 1.5}}, "pools"},
		{map[string]any{"instances": 1, "pools": map[string]any{"qpu:x": -1}}, "pools.qpu:x"},
	} {
		if _, err := spec.New(Env{Pool: PoolSimulators}, c.params); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%v: got %v, want an error naming %s", c.params, err, c.key)
		}
	}
}

func TestStateVectorSizes(t *testing.T) {
	cases := []struct {
		min, max, cpuPerGiB float64
		want                []Size
	}{
		// The default ladder: 16 to 512 GiB at 1 vCPU per 8 GiB.
		{16, 512, 1.0 / 8, []Size{{2, 16}, {4, 32}, {8, 64}, {16, 128}, {32, 256}, {64, 512}}},
		// The last power of two not above max; at least one vCPU.
		{1, 100, 0.1, []Size{{1, 1}, {1, 2}, {1, 4}, {1, 8}, {2, 16}, {3, 32}, {6, 64}}},
		// A max reached through doubling is kept despite rounding.
		{0.1, 0.8, 10, []Size{{1, 0.1}, {2, 0.2}, {4, 0.4}, {8, 0.8}}},
		{3, 3, 1, []Size{{3, 3}}},
		{4, 2, 1, nil},
	}
	for _, c := range cases {
		if d := cmp.Diff(c.want, StateVectorSizes(c.min, c.max, c.cpuPerGiB)); d != "" {
			t.Errorf("StateVectorSizes(%v, %v, %v) (-want +got):\n%s", c.min, c.max, c.cpuPerGiB, d)
		}
	}
}

// TestStateVectorSizesBadRange checks that a range doubling never leaves
// gives no sizes rather than looping forever.
func TestStateVectorSizesBadRange(t *testing.T) {
	inf := math.Inf(1)
	for _, r := range [][2]float64{{0, 512}, {-16, 512}, {16, inf}, {0, 0}} {
		done := make(chan []Size, 1)
		go func() { done <- StateVectorSizes(r[0], r[1], 1) }()
		select {
		case got := <-done:
			if len(got) != 0 {
				t.Errorf("StateVectorSizes(%v, %v) = %v, want none", r[0], r[1], got)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("StateVectorSizes(%v, %v) does not return", r[0], r[1])
		}
	}
}

// qFixed proposes a fixed count and records what it was shown.
type qFixed struct {
	n    int
	size Size
	seen []Observation
}

func (f *qFixed) Name() string { return "fixed" }
func (f *qFixed) Decide(_ time.Time, o Observation) Decision {
	f.seen = append(f.seen, o)
	return Decision{Target: f.n, Reason: "fixed", Size: f.size}
}

func TestNewStateVectorSizing(t *testing.T) {
	inner := &qFixed{n: 1}
	if _, err := NewStateVectorSizing(inner, nil, time.Hour); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("no sizes: %v", err)
	}
	if _, err := NewStateVectorSizing(inner, []Size{{2, 16}, {4, 16}}, time.Hour); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("sizes not growing: %v", err)
	}
	if _, err := NewStateVectorSizing(inner, []Size{{2, 32}, {4, 16}}, time.Hour); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("sizes shrinking: %v", err)
	}
	sizes := []Size{{2, 16}, {4, 32}}
	s, err := NewStateVectorSizing(inner, sizes, 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Hold != 30*time.Minute || s.Name() != "fixed" || s.Inner != inner {
		t.Errorf("hold %v, name %q", s.Hold, s.Name())
	}
	// It keeps its own copy of the sizes.
	sizes[0] = Size{1, 1}
	if s.Sizes[0] != (Size{2, 16}) {
		t.Errorf("sizes aliased: %v", s.Sizes)
	}
	// It implements none of the inner policy's optional interfaces: the
	// driver asks Inner.
	var p Policy = s
	if _, ok := p.(Initializer); ok {
		t.Error("StateVectorSizing implements Initializer")
	}
	if _, ok := p.(Bounded); ok {
		t.Error("StateVectorSizing implements Bounded")
	}
	if _, ok := p.(Clairvoyant); ok {
		t.Error("StateVectorSizing implements Clairvoyant")
	}
}

func TestStateVectorSizingDecide(t *testing.T) {
	ladder := StateVectorSizes(16, 512, 1.0/8)
	inner := &qFixed{n: 3, size: Size{CPU: 1, MemoryGiB: 2}} // a size the wrapper overrides
	s, err := NewStateVectorSizing(inner, ladder, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	gib := func(qubits int) float64 { return 16 * float64(uint64(1)<<qubits) / (1 << 30) }
	steps := []struct {
		at   time.Duration
		need float64 // Observation.JobMemoryGiB
		want float64 // memory of the proposed size
	}{
		{0, 0, 16},                           // nothing waiting: the smallest
		{time.Minute, 16, 16},                // exactly 16 GiB fits the 16 GiB worker
		{2 * time.Minute, gib(30) + 1, 32},   // 30 qubits + 1 GiB: 32 GiB
		{3 * time.Minute, gib(31) + 1, 64},   // grows at once
		{4 * time.Minute, 0, 64},             // held
		{32 * time.Minute, 0, 64},            // 29 min since the last need: held
		{33 * time.Minute, gib(5) + 1, 16},   // 30 min: shrinks to what is needed
		{35 * time.Minute, gib(33) + 1, 256}, // 129 GiB: 256
		{50 * time.Minute, gib(33) + 1, 256}, // needed again: the hold restarts
		{79 * time.Minute, gib(30) + 1, 256}, // 29 min later: held
		{80 * time.Minute, gib(30) + 1, 32},  // shrinks to the size still needed, not the least
		{81 * time.Minute, 0, 32},            // held again from 80 min
		{82 * time.Minute, 1e6, 512},         // larger than any size: the largest
		{83 * time.Minute, 600, 512},
		{113 * time.Minute, 0, 16},
	}
	for _, st := range steps {
		d := s.Decide(t0.Add(st.at), Observation{Valid: true, JobMemoryGiB: st.need})
		if d.Target != 3 || d.Reason != "fixed" {
			t.Errorf("at %v: target %d reason %q, want the inner policy's 3 and reason", st.at, d.Target, d.Reason)
		}
		want := ladder[0]
		for _, z := range ladder {
			if z.MemoryGiB == st.want {
				want = z
			}
		}
		if d.Size != want {
			t.Errorf("at %v, need %v GiB: size %+v, want %+v", st.at, st.need, d.Size, want)
		}
	}
	if len(inner.seen) != len(steps) || inner.seen[3].JobMemoryGiB != gib(31)+1 {
		t.Errorf("the inner policy saw %d observations, want each of %d as given", len(inner.seen), len(steps))
	}
}

func TestStateVectorSizingKeepsStatic(t *testing.T) {
	st, err := NewStatic(StaticConfig{Instances: 4}, PoolSimulators)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStateVectorSizing(st, StateVectorSizes(16, 512, 1.0/8), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for k, need := range []float64{0, 300, 1e6, 0} {
		d := s.Decide(t0.Add(time.Duration(k)*time.Hour), Observation{Valid: true, JobMemoryGiB: need})
		if d.Target != 4 || !d.Size.IsZero() {
			t.Errorf("need %v GiB: %+v, want 4 and the size kept", need, d)
		}
	}
	if s.Name() != "static" {
		t.Errorf("name %q", s.Name())
	}
}
