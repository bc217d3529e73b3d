package forecast

import (
	"math/rand/v2"
	"testing"
	"time"
)

// smBenchSeries is a 960-point hourly series (40 days) with a daily
// multiplicative season, a slow trend and noise.
func smBenchSeries() []float64 {
	rng := rand.New(rand.NewPCG(11, 12))
	pat := smDailyPattern(0.4, true)
	y := make([]float64, 960)
	for i := range y {
		y[i] = (200+0.05*float64(i))*pat[i%24] + 5*rng.NormFloat64()
	}
	return y
}

var smBenchMethods = []Method{
	SES{}, Holt{}, Holt{Damped: true}, HoltWinters{}, HoltWinters{Seasonal: Multiplicative},
	ETS{Model: "MAdM"}, ETS{}, Theta{},
	Naive{}, SeasonalNaive{}, MovingAverage{}, Drift{},
}

// BenchmarkObserveForecast measures one Observe plus a one-step Forecast
// on a fitted model.
func BenchmarkObserveForecast(b *testing.B) {
	y := smBenchSeries()
	for _, m := range smBenchMethods {
		b.Run(m.Name(), func(b *testing.B) {
			f, err := m.Fit(y, smHourly)
			if err != nil {
				b.Fatal(err)
			}
			dst := make([]Point, 0, 1)
			t := time.Unix(0, 0)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				f.Observe(t, y[i])
				dst = f.Forecast(dst, 1)
				i++
				if i == len(y) {
					i = 0
				}
			}
		})
	}
}

// BenchmarkFit measures fitting each method to the 960-point series.
func BenchmarkFit(b *testing.B) {
	y := smBenchSeries()
	for _, m := range smBenchMethods {
		b.Run(m.Name(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Fit(y, smHourly); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/fit")
		})
	}
}

// TestObserveForecastAllocs checks that Observe and a one-step Forecast
// into a slice with capacity allocate nothing.
func TestObserveForecastAllocs(t *testing.T) {
	y := smBenchSeries()
	for _, m := range smBenchMethods {
		f, err := m.Fit(y, smHourly)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]Point, 0, 1)
		i := 0
		allocs := testing.AllocsPerRun(100, func() {
			f.Observe(time.Time{}, y[i])
			dst = f.Forecast(dst, 1)
			i++
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocs per Observe+Forecast(dst, 1)", m.Name(), allocs)
		}
	}
}
