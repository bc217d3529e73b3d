package forecast

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// means returns the point forecasts.
func smMeans(ps []Point) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = p.Mean
	}
	return out
}

// smCheckIntervals reports the first point whose intervals are not nested
// around the mean or not finite.
func smCheckIntervals(t *testing.T, name string, ps []Point) {
	t.Helper()
	for i, p := range ps {
		for _, v := range []float64{p.Mean, p.Lo80, p.Hi80, p.Lo95, p.Hi95} {
			if !esFinite(v) {
				t.Fatalf("%s: h=%d: non-finite forecast %+v", name, i+1, p)
			}
		}
		if !(p.Lo95 <= p.Lo80 && p.Lo80 <= p.Mean && p.Mean <= p.Hi80 && p.Hi80 <= p.Hi95) {
			t.Fatalf("%s: h=%d: intervals not nested: %+v", name, i+1, p)
		}
	}
}

func smLine(n int, a, b float64) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = a + b*float64(i)
	}
	return y
}

func TestKnownAnswersNonSeasonal(t *testing.T) {
	approx := cmpopts.EquateApprox(1e-9, 1e-9)
	tests := []struct {
		name string
		m    Method
		y    []float64
		want []float64 // first 5 forecasts
	}{
		{"SES constant", SES{}, smLine(50, 7, 0), []float64{7, 7, 7, 7, 7}},
		{"SES fixed alpha constant", SES{Alpha: 0.3}, smLine(20, -2, 0), []float64{-2, -2, -2, -2, -2}},
		{"Holt line", Holt{}, smLine(60, 3, 0.5), []float64{33, 33.5, 34, 34.5, 35}},
		{"Holt line InitR", Holt{Alpha: 0.4, Beta: 0.2, Init: InitR}, smLine(30, 1, -2), []float64{-59, -61, -63, -65, -67}},
		{"ETS(AAN) line", ETS{Model: "AAN"}, smLine(60, 3, 0.5), []float64{33, 33.5, 34, 34.5, 35}},
		{"ETS auto constant", ETS{}, smLine(40, 5, 0), []float64{5, 5, 5, 5, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := tt.m.Fit(tt.y, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := f.Forecast(nil, 5)
			if diff := cmp.Diff(tt.want, smMeans(got), approx); diff != "" {
				t.Errorf("forecast mismatch (-want +got):\n%s", diff)
			}
			smCheckIntervals(t, tt.name, got)
		})
	}
}

func TestDampedTrendFlattens(t *testing.T) {
	f, err := Holt{Damped: true}.Fit(smLine(80, 10, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	fc := f.Forecast(nil, 200)
	step1 := fc[1].Mean - fc[0].Mean
	stepN := fc[199].Mean - fc[198].Mean
	if !(step1 > 0 && stepN < step1/10) {
		t.Errorf("damped increments: first %v, last %v; want positive and shrinking", step1, stepN)
	}
}

func TestSmoothingErrors(t *testing.T) {
	nan := []float64{1, 2, math.NaN(), 4, 5}
	tests := []struct {
		name string
		m    Method
		y    []float64
		o    *FitOptions
		want error
	}{
		{"SES short", SES{}, []float64{1, 2}, nil, ErrTooShort},
		{"SES empty", SES{}, nil, nil, ErrTooShort},
		{"Holt short", Holt{}, []float64{1, 2, 3}, nil, ErrTooShort},
		{"SES NaN", SES{}, nan, nil, ErrNotFinite},
		{"Holt Inf", Holt{}, []float64{1, math.Inf(1), 3, 4, 5}, nil, ErrNotFinite},
		{"SES bad season", SES{}, smLine(10, 1, 0), &FitOptions{Step: time.Hour, Seasons: []time.Duration{90 * time.Minute}}, ErrInvalidSeason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.m.Fit(tt.y, tt.o)
			if !errors.Is(err, tt.want) {
				t.Errorf("Fit error = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := (SES{Alpha: 1.5}).Fit(smLine(10, 1, 0), nil); err == nil {
		t.Error("SES{Alpha: 1.5}: no error")
	}
}

func TestObserveMissing(t *testing.T) {
	f, err := Holt{}.Fit(smLine(30, 0, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Observe(time.Time{}, math.NaN())
	f.Observe(time.Time{}, math.Inf(-1))
	got := f.Forecast(nil, 2)
	if diff := cmp.Diff([]float64{32, 33}, smMeans(got), cmpopts.EquateApprox(1e-9, 1e-9)); diff != "" {
		t.Errorf("after missing values (-want +got):\n%s", diff)
	}
}

func TestForecastReusesDst(t *testing.T) {
	f, err := SES{}.Fit(smLine(30, 1, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]Point, 0, 4)
	got := f.Forecast(dst, 3)
	if &got[0] != &dst[:1][0] {
		t.Error("Forecast allocated although cap(dst) ≥ h")
	}
	if n := len(f.Forecast(dst, 0)); n != 0 {
		t.Errorf("Forecast(h=0) has %d points", n)
	}
}

// smSimulate draws n values from an additive-error model with the given
// parameters (Hyndman et al. 2008, ch. 2), starting from level l, trend b
// and seasonal states s (s[i] used at step i mod m).
func smSimulate(rng *rand.Rand, n int, sigma, alpha, beta, gamma, l, b float64, s []float64) []float64 {
	y := make([]float64, n)
	ring := append([]float64(nil), s...)
	for t := range y {
		var st float64
		if len(ring) > 0 {
			st = ring[t%len(ring)]
		}
		e := sigma * rng.NormFloat64()
		y[t] = l + b + st + e
		l, b = l+b+alpha*e, b+beta*e
		if len(ring) > 0 {
			ring[t%len(ring)] = st + gamma*e
		}
	}
	return y
}

// TestCoverage checks that the 80% and 95% intervals of models fitted to
// data simulated from the model cover close to the nominal share.
func TestCoverage(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation")
	}
	tests := []struct {
		name        string
		m           Method
		alpha, beta float64
	}{
		{"SES", SES{}, 0.3, 0},
		{"Holt", Holt{}, 0.3, 0.05},
		{"ETS(ANN)", ETS{Model: "ANN"}, 0.5, 0},
	}
	const reps, n, h = 300, 200, 6
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var in80, in95 [h]int
			var dst []Point
			for range reps {
				y := smSimulate(rng, n+h, 1, tt.alpha, tt.beta, 0, 100, 0.1, nil)
				f, err := tt.m.Fit(y[:n], nil)
				if err != nil {
					t.Fatal(err)
				}
				dst = f.Forecast(dst, h)
				smCheckIntervals(t, tt.name, dst)
				for i, p := range dst {
					v := y[n+i]
					if p.Lo80 <= v && v <= p.Hi80 {
						in80[i]++
					}
					if p.Lo95 <= v && v <= p.Hi95 {
						in95[i]++
					}
					if i > 0 && p.Hi95-p.Lo95 < dst[i-1].Hi95-dst[i-1].Lo95 {
						t.Fatalf("interval width shrinks at h=%d", i+1)
					}
				}
			}
			for i := range h {
				c80 := float64(in80[i]) / reps
				c95 := float64(in95[i]) / reps
				if math.Abs(c80-0.80) > 0.08 || math.Abs(c95-0.95) > 0.05 {
					t.Errorf("h=%d: coverage 80%%: %.3f, 95%%: %.3f", i+1, c80, c95)
				}
			}
		})
	}
}
