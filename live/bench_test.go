package live

import (
	"io"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/omnixan/omnixan/cost"
	"github.com/omnixan/omnixan/policy"
)

func costPrice(usd float64) cost.InstanceHour { return cost.InstanceHour{USDPerHour: usd} }

// timingSampler notes when it hands out its observation.
type timingSampler struct {
	scriptSampler
	at time.Time
}

func (s *timingSampler) Sample(now time.Time) Sample {
	smp := s.scriptSampler.Sample(now)
	s.at = time.Now()
	return smp
}

// BenchmarkObservationToScale measures a live pass from the moment the
// observation is in hand to the moment the orchestrator's Scale is called:
// the guard, the policy, the anti-flapping rule, the bounds and budget, the
// breaker, plus the Runner's bookkeeping before the call. Network time is
// left out (the orchestrator is in memory). Every pass scales, alternating
// between 2 and 3 instances. It reports the p99 in microseconds.
func BenchmarkObservationToScale(b *testing.B) {
	r, orch, _ := newTestRunner(b, []float64{45}, io.Discard)
	// The real HPA policy (CPU at 80%), without its scale-down window so
	// that every pass scales.
	spec, err := policy.Lookup("hpa")
	if err != nil {
		b.Fatal(err)
	}
	hpa, err := spec.New(policy.Env{SyncPeriod: time.Second}, map[string]any{"downscale_stabilization": "0s"})
	if err != nil {
		b.Fatal(err)
	}
	r.Guard.Policy = hpa
	smp := &timingSampler{scriptSampler: scriptSampler{rates: []float64{45, 15}, orch: orch}}
	r.Source = smp
	lat := make([]time.Duration, 0, b.N)
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		smp.rates[0], smp.rates[1] = smp.rates[1], smp.rates[0]
		smp.i = 0
		calls := orch.calls
		if err := r.Pass(now.Add(time.Duration(i) * time.Second)); err != nil {
			b.Fatal(err)
		}
		if orch.calls == calls {
			b.Fatalf("pass %d did not call Scale", i)
		}
		lat = append(lat, orch.called.Sub(smp.at))
	}
	b.StopTimer()
	slices.Sort(lat)
	p99 := lat[int(math.Ceil(0.99*float64(len(lat))))-1]
	b.ReportMetric(float64(p99.Nanoseconds())/1e3, "p99-µs")
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
}
