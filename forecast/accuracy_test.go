package forecast

import (
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestPointMeasures(t *testing.T) {
	y := []float64{1, 2, 4, 0}
	f := []float64{2, 2, 2, 0}
	got := map[string]float64{
		"MAE":     MAE(y, f),
		"RMSE":    RMSE(y, f),
		"SMAPE":   SMAPE(y, f),
		"Pinball": Pinball(y, f, 0.9),
	}
	want := map[string]float64{
		"MAE":     0.75,                        // (1+0+2+0)/4
		"RMSE":    math.Sqrt(5.0 / 4),          // (1+0+4+0)/4
		"SMAPE":   (200*1.0/3 + 200*2.0/6) / 4, // 0/0 step counts 0
		"Pinball": (0.1*1 + 0 + 0.9*2 + 0) / 4, // under-forecast weighs 0.9
	}
	if d := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12)); d != "" {
		t.Errorf("measures (-want +got):\n%s", d)
	}
}

func TestUndefinedMeasures(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"MAPE zero actual", func() error { _, err := MAPE([]float64{1, 0}, []float64{1, 1}); return err }()},
		{"MASE constant train", func() error { _, err := MASE([]float64{3, 3, 3}, []float64{1}, []float64{2}, 1); return err }()},
		{"MASE short train", func() error { _, err := MASE([]float64{1, 2}, []float64{1}, []float64{2}, 24); return err }()},
		{"WAPE zero actuals", func() error { _, err := WAPE([]float64{0, 0}, []float64{1, 1}); return err }()},
		{"MSIS periodic train", func() error {
			_, err := MSIS([]float64{1, 2, 1, 2}, []float64{1}, []float64{0}, []float64{2}, 2, 0.05)
			return err
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, ErrUndefined) {
				t.Errorf("error %v, want ErrUndefined", tt.err)
			}
		})
	}
}

func TestIntervalMeasures(t *testing.T) {
	x := []float64{0, 1, 2, 3, 4} // scale with m = 1: 1
	y := []float64{5, 10, 2}
	lo := []float64{4, 4, 4}
	hi := []float64{6, 6, 6}
	msis, err := MSIS(x, y, lo, hi, 1, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	got := []float64{Coverage(y, lo, hi), msis}
	want := []float64{1.0 / 3, (2 + (2 + 40*4) + (2 + 40*2)) / 3.0}
	if d := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12)); d != "" {
		t.Errorf("coverage, MSIS (-want +got):\n%s", d)
	}
	acc, err := Accuracy([]float64{10, 10}, []float64{9, 12})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(0.85, acc, cmpopts.EquateApprox(0, 1e-12)); d != "" {
		t.Errorf("Accuracy (-want +got):\n%s", d)
	}
}

// referenceDir holds values computed with R, relative to the package.
var referenceDir = filepath.Join("..", "..", "shared", "data", "reference")

// readReferenceSeries reads hourly-synthetic.csv (t, value), skipping the
// test when absent, unless CI is set.
func readReferenceSeries(t *testing.T) []float64 {
	t.Helper()
	f, err := os.Open(filepath.Join(referenceDir, "hourly-synthetic.csv"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("reference data absent (CI is set): %v", err)
		}
		t.Skipf("reference data absent (%v); see ../shared/data/reference", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var x []float64
	for _, r := range rows[1:] {
		v, err := strconv.ParseFloat(r[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		x = append(x, v)
	}
	return x
}

// TestSeasonalNaiveReference reproduces the sMAPE and MASE that R gives for
// the seasonal naive forecast of the last 48 points of hourly-synthetic.csv
// (README-params.txt).
func TestSeasonalNaiveReference(t *testing.T) {
	x := readReferenceSeries(t)
	if len(x) != 504 {
		t.Fatalf("reference series has %d points, want 504", len(x))
	}
	train, test := x[:456], x[456:]
	f, err := SeasonalNaive{}.Fit(train, &FitOptions{Seasons: []time.Duration{24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	fc := Means(f.Forecast(nil, 48))
	mase, err := MASE(train, test, fc, 24)
	if err != nil {
		t.Fatal(err)
	}
	got := []float64{SMAPE(test, fc), mase}
	want := []float64{7.2113977391499313, 0.86785488419350143}
	if d := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); d != "" {
		t.Errorf("sMAPE, MASE (-want +got):\n%s", d)
	}
}

func TestRollingOrigin(t *testing.T) {
	x := make([]float64, 24*10)
	for i := range x {
		x[i] = float64(i%24) + 10
	}
	o := &FitOptions{Seasons: []time.Duration{24 * time.Hour}}
	ev, err := RollingOrigin(SeasonalNaive{}, x, o, RollingOptions{Horizon: 24, Origins: 3, Period: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int{24 * 7, 24 * 8, 24 * 9}, ev.Origins); d != "" {
		t.Errorf("origins (-want +got):\n%s", d)
	}
	if ev.SMAPE != 0 {
		t.Errorf("sMAPE of an exact forecast: %v, want 0", ev.SMAPE)
	}
	if _, err := RollingOrigin(Naive{}, x[:30], o, RollingOptions{Horizon: 24, Origins: 2}); !errors.Is(err, ErrTooShort) {
		t.Errorf("too short: error %v, want ErrTooShort", err)
	}
}
