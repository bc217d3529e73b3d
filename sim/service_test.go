package sim

import (
	"math"
	"testing"
	"time"
)

// erlangCDirect computes Erlang's C formula from its textbook definition
// with log-factorials, as an independent check of the recursion.
func erlangCDirect(c int, a float64) float64 {
	lg := func(k int) float64 { v, _ := math.Lgamma(float64(k) + 1); return v }
	var sum float64
	for k := 0; k < c; k++ {
		sum += math.Exp(float64(k)*math.Log(a) - lg(k))
	}
	top := math.Exp(float64(c)*math.Log(a)-lg(c)) * float64(c) / (float64(c) - a)
	return top / (sum + top)
}

func TestWaitQuantileMatchesErlangC(t *testing.T) {
	for _, tc := range []struct {
		c int
		a float64
	}{{1, 0.9}, {2, 1.5}, {10, 9}, {60, 55}, {100, 97}, {5, 4.99}} {
		muOne := 2.0 // per-server rate
		spare := float64(tc.c)*muOne - tc.a*muOne
		tail := 0.05
		got := waitQuantile(tc.c, tc.a, spare, tail)
		ec := erlangCDirect(tc.c, tc.a)
		want := 0.0
		if ec > tail {
			want = math.Log(ec/tail) / spare
		}
		if math.Abs(got-want) > 1e-9*math.Max(1, want) {
			t.Errorf("c=%d a=%v: waitQuantile = %v, want %v (C = %v)", tc.c, tc.a, got, want, ec)
		}
	}
}

func TestLatency(t *testing.T) {
	s := Service{Capacity: 100, Concurrency: 5, Objective: 250 * time.Millisecond}
	if got := s.Latency(0, 0, 0); got != 0.05 {
		t.Errorf("idle, no instances: %v, want the service time 0.05", got)
	}
	if got := s.Latency(1, 0, 0); !math.IsInf(got, 1) {
		t.Errorf("load with no instances: %v, want +Inf", got)
	}
	if got := s.Latency(400, 4, 0); !math.IsInf(got, 1) {
		t.Errorf("λ = n·μ: %v, want +Inf", got)
	}
	if got := s.Latency(10, 4, 0); got != 0.05 {
		t.Errorf("light load: %v, want the service time 0.05", got)
	}
	if got, want := s.Latency(10, 4, 800), 0.05+2.0; math.Abs(got-want) > 1e-12 {
		t.Errorf("backlog of 800 on 400 req/s: %v, want %v", got, want)
	}
}

func TestNeedIsLeastCountMeetingObjective(t *testing.T) {
	s := Service{}
	obj := (250 * time.Millisecond).Seconds()
	for _, lambda := range []float64{0.5, 50, 99.9, 100, 300, 1234.5, 9000} {
		n := s.Need(lambda)
		if s.Latency(lambda, n, 0) > obj {
			t.Errorf("Need(%v) = %d does not meet the objective", lambda, n)
		}
		if n > 1 && s.Latency(lambda, n-1, 0) <= obj {
			t.Errorf("Need(%v) = %d but %d instances also meet it", lambda, n, n-1)
		}
	}
	if got := s.Need(0); got != 0 {
		t.Errorf("Need(0) = %d, want 0", got)
	}
}

// Continuing the Erlang B walk from where need stopped gives the latency
// computed from scratch.
func TestLatencyAfterNeedMatchesLatency(t *testing.T) {
	s := Service{}.WithDefaults()
	for _, lambda := range []float64{0.3, 12, 99, 150, 480.5, 999, 2500, 7777} {
		need, inv := s.needInv(lambda)
		for _, units := range []float64{0, 1, float64(need) - 1, float64(need), float64(need) + 0.5, float64(need) + 3, float64(need) * 2} {
			for _, backlog := range []float64{0, 250} {
				want := s.latencyUnits(lambda, units, backlog)
				got := s.latencyAfterNeed(lambda, need, inv, units, backlog)
				if math.IsInf(want, 1) != math.IsInf(got, 1) || (!math.IsInf(want, 1) && math.Abs(got-want) > 1e-9*math.Max(1, want)) {
					t.Errorf("λ %v, %v units, backlog %v: %v, from scratch %v", lambda, units, backlog, got, want)
				}
			}
		}
	}
}
