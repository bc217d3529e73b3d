package policy

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// benchWorld feeds a policy a week-periodic diurnal load with log-normal
// noise, one decision every 15 s, instances of 100 req/s ready at once.
type benchWorld struct {
	now time.Time
	cur int
	rng *rand.Rand
}

func (w *benchWorld) next() Observation {
	w.now = w.now.Add(15 * time.Second)
	r := diurnal(w.now) * math.Exp(0.05*w.rng.NormFloat64())
	u := min(1, r/(100*float64(w.cur)))
	return Observation{Time: w.now.Add(-15 * time.Second), Valid: true, RequestRate: r,
		Utilization: u, Ready: w.cur, Current: w.cur, Capacity: 100,
		Size: Size{CPU: 2, MemoryGiB: 4}, MemoryUtilization: (0.5 + 2.5*u) / 4}
}

// constantNeed is a Foresight whose need never changes.
type constantNeed int

func (c constantNeed) PeakNeed(time.Time, time.Time) int { return int(c) }

// BenchmarkDecide times every Decide call of each policy on its
// own and reports the 99th percentile and the maximum, ns per call. The
// predictive policy is first given two days of history (untimed), so the
// timed run refits every 6 h of virtual time (1,440 calls); use
// -benchtime=100000x or more for a run that spans several refits. Refits
// are rarer than one call in a hundred, so p99 is the cost of an ordinary
// decision and max that of a refit.
func BenchmarkDecide(b *testing.B) {
	for _, bc := range []struct {
		name string
		new  func() Policy
		warm time.Duration
	}{
		{"threshold", func() Policy { p, _ := NewThreshold(ThresholdConfig{}); return p }, 0},
		{"hpa", func() Policy { p, _ := NewHPA(HPAConfig{MaxReplicas: 100}); return p }, 0},
		{"oracle", func() Policy {
			o := &Oracle{StartupDelay: time.Minute, SyncPeriod: 15 * time.Second}
			o.Foresee(constantNeed(12))
			return o
		}, 0},
		{"step", func() Policy { p, _ := NewStepScaling(StepScalingConfig{}); return p }, 0},
		{"target-tracking", func() Policy { p, _ := NewTargetTracking(TargetTrackingConfig{}); return p }, 0},
		{"predictive", func() Policy { p, _ := NewPredictive(PredictiveConfig{}); return p }, 48 * time.Hour},
		{"vertical", func() Policy { p, _ := NewVertical(VerticalConfig{}); return p }, 48 * time.Hour},
		{"hybrid", func() Policy { p, _ := NewHybrid(HybridConfig{}); return p }, 48 * time.Hour},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := bc.new()
			w := &benchWorld{now: t0, cur: 10, rng: rand.New(rand.NewPCG(1, 2))}
			for w.now.Before(t0.Add(bc.warm)) {
				w.cur = max(1, p.Decide(w.now, w.next()).Target)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				obs := w.next()
				start := time.Now()
				d := p.Decide(w.now, obs)
				lat = append(lat, time.Since(start))
				w.cur = max(1, d.Target)
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[(len(lat)*99)/100]), "p99-ns")
			b.ReportMetric(float64(lat[len(lat)-1]), "max-ns")
			if pp, ok := p.(*Predictive); ok {
				b.ReportMetric(float64(pp.Fits()), "fits")
			}
		})
	}
}
