package forecast

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var approx = cmpopts.EquateApprox(0, 1e-9)

func TestBenchmarkMethods(t *testing.T) {
	day := &FitOptions{Seasons: []time.Duration{2 * time.Hour}}
	tests := []struct {
		name  string
		m     Method
		train []float64
		o     *FitOptions
		want  []Point
	}{
		{"naive", Naive{}, []float64{1, 3, 2}, nil, []Point{
			point(2, math.Sqrt(5.0/2)), point(2, math.Sqrt(5.0/2)*math.Sqrt2),
		}},
		{"snaive", SeasonalNaive{}, []float64{1, 5, 2, 6, 3, 7}, day, []Point{
			point(3, 1), point(7, 1),
		}},
		{"snaive no season is naive", SeasonalNaive{}, []float64{1, 1}, nil, []Point{point(1, 0), point(1, 0)}},
		{"ma", MovingAverage{Window: 2}, []float64{1, 3, 5}, nil, []Point{
			point(4, 3), point(4, 3*math.Sqrt(1+4.0/9)),
		}},
		{"drift", Drift{}, []float64{0, 1, 2}, nil, []Point{point(3, 0), point(4, 0)}},
		{"smean", SeasonalMean{Cycles: 2}, []float64{1, 5, 2, 6, 3, 7}, day, []Point{
			point(2.5, 1.5), point(6.5, 1.5),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := tt.m.Fit(tt.train, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			got := f.Forecast(nil, len(tt.want))
			if d := cmp.Diff(tt.want, got, approx); d != "" {
				t.Errorf("forecast (-want +got):\n%s", d)
			}
		})
	}
}

// TestObserveNoAlloc checks that Observe of the benchmark methods runs
// without allocating.
func TestObserveNoAlloc(t *testing.T) {
	o := &FitOptions{Seasons: []time.Duration{24 * time.Hour}}
	train := make([]float64, 100)
	for i := range train {
		train[i] = float64(i % 24)
	}
	for _, m := range []Method{Naive{}, SeasonalNaive{}, MovingAverage{}, Drift{}, SeasonalMean{}, LevelSES{}, LevelDamped{}} {
		f, err := m.Fit(train, o)
		if err != nil {
			t.Fatalf("%s: %v", m.Name(), err)
		}
		var tm time.Time
		if a := testing.AllocsPerRun(100, func() { f.Observe(tm, 3) }); a != 0 {
			t.Errorf("%s: Observe allocates %v times", m.Name(), a)
		}
	}
}

func TestObserveMatchesRefit(t *testing.T) {
	o := &FitOptions{Seasons: []time.Duration{3 * time.Hour}}
	x := []float64{1, 4, 2, 2, 5, 3, 3, 7, 1, 2, 6, 2, 9}
	for _, m := range []Method{Naive{}, SeasonalNaive{}, MovingAverage{Window: 3}, Drift{}, SeasonalMean{}} {
		f, err := m.Fit(x[:9], o)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range x[9:] {
			f.Observe(time.Time{}, v)
		}
		g, err := m.Fit(x, o)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(g.Forecast(nil, 5), f.Forecast(nil, 5), approx); d != "" {
			t.Errorf("%s: observe vs refit (-want +got):\n%s", m.Name(), d)
		}
	}
}
