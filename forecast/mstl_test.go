package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// twoSeasons is a level plus daily and weekly sine waves plus noise.
func twoSeasons(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n)
	for i := range x {
		t := float64(i)
		x[i] = 100 + 10*math.Sin(2*math.Pi*t/24) + 5*math.Sin(2*math.Pi*t/168) + r.NormFloat64()
	}
	return x
}

func TestMSTLDecompose(t *testing.T) {
	x := twoSeasons(168*4, 1)
	d := MSTL{}.Decompose(x, []int{168, 24})
	if len(d.Periods) != 2 || d.Periods[0] != 24 || d.Periods[1] != 168 {
		t.Fatalf("periods %v, want [24 168]", d.Periods)
	}
	// The components add up to the series, and each seasonal component is
	// close to its sine.
	var e24, e168 float64
	for i := range x {
		sum := d.Trend[i] + d.Seasonal[0][i] + d.Seasonal[1][i] + d.Remainder[i]
		if math.Abs(sum-x[i]) > 1e-9 {
			t.Fatalf("components at %d add to %v, want %v", i, sum, x[i])
		}
		ti := float64(i)
		e24 = math.Max(e24, math.Abs(d.Seasonal[0][i]-10*math.Sin(2*math.Pi*ti/24)))
		e168 = math.Max(e168, math.Abs(d.Seasonal[1][i]-5*math.Sin(2*math.Pi*ti/168)))
	}
	if e24 > 2 || e168 > 2.5 {
		t.Errorf("largest seasonal errors %.2f (daily), %.2f (weekly), want ≤ 2, 2.5", e24, e168)
	}
}

func TestMSTLForecast(t *testing.T) {
	x := twoSeasons(168*5, 2)
	o := &FitOptions{Seasons: []time.Duration{24 * time.Hour, 168 * time.Hour}}
	for _, m := range []Method{MSTL{}, MSTL{Adjusted: Naive{}}, MSTL{Robust: true}, MSTL{Shortest: true, Adjusted: LevelDamped{}}} {
		f, err := m.Fit(x[:168*4], o)
		if err != nil {
			t.Fatal(err)
		}
		fc := f.Forecast(nil, 48)
		if s := SMAPE(x[168*4:168*4+48], Means(fc)); s > 3 {
			t.Errorf("%s: sMAPE %.2f on a clean two-season series, want ≤ 3", m.Name(), s)
		}
		for i, p := range fc {
			if !(p.Lo95 <= p.Lo80 && p.Lo80 <= p.Mean && p.Mean <= p.Hi80 && p.Hi80 <= p.Hi95) {
				t.Fatalf("%s: step %d: intervals not nested: %+v", m.Name(), i, p)
			}
		}
	}
}

func TestMSTLShortDropsSeasons(t *testing.T) {
	// 100 points: the weekly season has fewer than two cycles and is dropped.
	x := twoSeasons(100, 3)
	d := MSTL{}.Decompose(x, []int{24, 168})
	if len(d.Periods) != 1 || d.Periods[0] != 24 {
		t.Errorf("periods %v, want [24]", d.Periods)
	}
}
