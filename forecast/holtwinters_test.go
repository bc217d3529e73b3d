package forecast

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// smHourly is FitOptions for hourly data with a daily season.
var smHourly = &FitOptions{Step: time.Hour, Seasons: []time.Duration{24 * time.Hour}}

// periodic returns n values of level + slope·t + pattern[t mod len] (or
// (level + slope·t)·pattern when mult).
func smPeriodic(n int, level, slope float64, pattern []float64, mult bool) []float64 {
	y := make([]float64, n)
	for i := range y {
		base := level + slope*float64(i)
		if mult {
			y[i] = base * pattern[i%len(pattern)]
		} else {
			y[i] = base + pattern[i%len(pattern)]
		}
	}
	return y
}

func smDailyPattern(amp float64, mult bool) []float64 {
	p := make([]float64, 24)
	for i := range p {
		v := amp * math.Sin(2*math.Pi*float64(i)/24)
		if mult {
			v = 1 + v
		}
		p[i] = v
	}
	return p
}

func TestHoltWintersKnownAnswers(t *testing.T) {
	add := smDailyPattern(10, false)
	mul := smDailyPattern(0.3, true)
	tests := []struct {
		name string
		m    Method
		y    []float64
		all  []float64 // the series continued
	}{
		{"additive flat", HoltWinters{}, smPeriodic(24*5, 100, 0, add, false), smPeriodic(24*7, 100, 0, add, false)},
		{"multiplicative flat", HoltWinters{Seasonal: Multiplicative}, smPeriodic(24*5, 100, 0, mul, true), smPeriodic(24*7, 100, 0, mul, true)},
		{"additive flat damped", HoltWinters{Damped: true}, smPeriodic(24*5, 50, 0, add, false), smPeriodic(24*7, 50, 0, add, false)},
		{"ETS(AAA) flat", ETS{Model: "AAA"}, smPeriodic(24*5, 100, 0, add, false), smPeriodic(24*7, 100, 0, add, false)},
		{"ETS(MNM) flat", ETS{Model: "MNM"}, smPeriodic(24*5, 100, 0, mul, true), smPeriodic(24*7, 100, 0, mul, true)},
		{"fixed additive trend InitR", HoltWinters{Alpha: 0.3, Beta: 0.1, Gamma: 0.2, Init: InitR}, smPeriodic(24*5, 100, 0, add, false), smPeriodic(24*7, 100, 0, add, false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := tt.m.Fit(tt.y, smHourly)
			if err != nil {
				t.Fatal(err)
			}
			got := f.Forecast(nil, 48)
			want := tt.all[len(tt.y):]
			if diff := cmp.Diff(want, smMeans(got), cmpopts.EquateApprox(1e-6, 1e-6)); diff != "" {
				t.Errorf("forecast mismatch (-want +got):\n%s", diff)
			}
			smCheckIntervals(t, tt.name, got)
		})
	}
}

func TestDecompose(t *testing.T) {
	// Period 4 (even): 2×4 MA; period 3 (odd): plain MA.
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	d := classicalDecompose(x, 4, false)
	nan := math.NaN()
	want := []float64{nan, nan, 3, 4, 5, 6, 7, nan, nan}
	if diff := cmp.Diff(want, d.trend, cmpopts.EquateNaNs(), cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("trend (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{0, 0, 0, 0}, d.figure, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("figure (-want +got):\n%s", diff)
	}
	d = classicalDecompose([]float64{1, 5, 3, 1, 5, 3}, 3, false)
	if diff := cmp.Diff([]float64{-2, 2, 0}, d.figure, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("odd figure (-want +got):\n%s", diff)
	}
}

func TestHoltWintersErrors(t *testing.T) {
	y := smPeriodic(24*3, 100, 0, smDailyPattern(10, false), false)
	neg := append([]float64{-1}, y[1:]...)
	weekly := &FitOptions{Step: time.Hour, Seasons: []time.Duration{24 * 8 * time.Hour}}
	tests := []struct {
		name string
		m    HoltWinters
		y    []float64
		o    *FitOptions
		want error
	}{
		{"no season", HoltWinters{}, y, nil, ErrInvalidSeason},
		{"bad season", HoltWinters{}, y, &FitOptions{Step: time.Hour, Seasons: []time.Duration{time.Minute}}, ErrInvalidSeason},
		{"period too long", HoltWinters{}, y, weekly, ErrInvalidSeason},
		{"short", HoltWinters{}, y[:47], smHourly, ErrTooShort},
		{"NaN", HoltWinters{}, append([]float64{math.NaN()}, y...), smHourly, ErrNotFinite},
		{"multiplicative nonpositive", HoltWinters{Seasonal: Multiplicative}, neg, smHourly, ErrNotPositive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.m.Fit(tt.y, tt.o)
			if !errors.Is(err, tt.want) {
				t.Errorf("Fit error = %v, want %v", err, tt.want)
			}
		})
	}
}
