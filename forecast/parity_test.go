package forecast

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// rRefDir holds R's reference output (see README-params.txt there).
var rRefDir = filepath.Join("..", "..", "shared", "data", "reference")

// readRefColumn reads the second column of a two-column CSV with a header;
// empty cells are NaN.
func readRefColumn(t *testing.T, name string) []float64 {
	t.Helper()
	f, err := os.Open(filepath.Join(rRefDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := make([]float64, 0, len(recs)-1)
	for _, r := range recs[1:] {
		if r[1] == "" || r[1] == "NA" {
			out = append(out, math.NaN())
			continue
		}
		v, err := strconv.ParseFloat(r[1], 64)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, v)
	}
	return out
}

// TestParityR checks fitted values and forecasts against R's
// stats::HoltWinters with fixed parameters (start.periods = 2).
func TestParityR(t *testing.T) {
	if _, err := os.Stat(filepath.Join(rRefDir, "hourly-synthetic.csv")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("R reference data missing in CI: %v", err)
		}
		t.Skipf("R reference data not found at %s (%v); skipping parity with R", rRefDir, err)
	}
	x := readRefColumn(t, "hourly-synthetic.csv")
	o := &FitOptions{Step: time.Hour, Seasons: []time.Duration{24 * time.Hour}}
	type fitter func() (*ExpSmoother, []float64, error)
	tests := []struct {
		name            string
		fit             fitter
		fitted, predict string
	}{
		{"additive", func() (*ExpSmoother, []float64, error) {
			return HoltWinters{Seasonal: Additive, Alpha: 0.3, Beta: 0.05, Gamma: 0.2, Init: InitR}.FitInSample(x, o)
		}, "hw-additive-fitted.csv", "hw-additive-forecast.csv"},
		{"multiplicative", func() (*ExpSmoother, []float64, error) {
			return HoltWinters{Seasonal: Multiplicative, Alpha: 0.3, Beta: 0.05, Gamma: 0.2, Init: InitR}.FitInSample(x, o)
		}, "hw-multiplicative-fitted.csv", "hw-multiplicative-forecast.csv"},
		{"ses", func() (*ExpSmoother, []float64, error) {
			return SES{Alpha: 0.5, Init: InitR}.FitInSample(x, o)
		}, "ses-fitted.csv", "ses-forecast.csv"},
	}
	const tol = 1e-6
	worst := 0.0
	close := func(want, got float64) bool {
		if math.IsNaN(want) {
			return math.IsNaN(got)
		}
		rel := math.Abs(got-want) / math.Max(math.Abs(want), 1e-12)
		worst = math.Max(worst, rel)
		return rel <= tol
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			worst = 0
			defer func() { t.Logf("largest relative difference from R: %.3g", worst) }()
			m, fitted, err := tt.fit()
			if err != nil {
				t.Fatal(err)
			}
			wantFit := readRefColumn(t, tt.fitted)
			if len(fitted) != len(wantFit) {
				t.Fatalf("fitted: got %d values, want %d", len(fitted), len(wantFit))
			}
			bad := 0
			for i := range wantFit {
				if !close(wantFit[i], fitted[i]) {
					if bad < 5 {
						t.Errorf("fitted[%d] = %.12g, want %.12g (R)", i, fitted[i], wantFit[i])
					}
					bad++
				}
			}
			wantFc := readRefColumn(t, tt.predict)
			fc := m.Forecast(nil, len(wantFc))
			for i := range wantFc {
				if !close(wantFc[i], fc[i].Mean) {
					t.Errorf("forecast[h=%d] = %.12g, want %.12g (R)", i+1, fc[i].Mean, wantFc[i])
				}
			}
		})
	}
}
