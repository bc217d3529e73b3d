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

func TestThetaKnownAnswers(t *testing.T) {
	approx := cmpopts.EquateApprox(1e-9, 1e-9)
	f, err := Theta{}.Fit(smLine(50, 4, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float64{4, 4, 4}, smMeans(f.Forecast(nil, 3)), approx); diff != "" {
		t.Errorf("constant (-want +got):\n%s", diff)
	}
	// On an exact line SES tracks with lag (1−α)/α·b; the drift b/2 per
	// step is half the slope, so forecasts increase by b/2 per step.
	f, err = Theta{}.Fit(smLine(100, 0, 2), nil)
	if err != nil {
		t.Fatal(err)
	}
	fc := f.Forecast(nil, 3)
	if diff := cmp.Diff([]float64{1, 1}, []float64{fc[1].Mean - fc[0].Mean, fc[2].Mean - fc[1].Mean}, approx); diff != "" {
		t.Errorf("line increments (-want +got):\n%s", diff)
	}
	smCheckIntervals(t, "line", fc)
}

func TestThetaSeasonalTest(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	noise := make([]float64, 24*10)
	for i := range noise {
		noise[i] = 100 + rng.NormFloat64()
	}
	seasonal := smPeriodic(24*10, 100, 0, smDailyPattern(0.3, true), true)
	for i := range seasonal {
		seasonal[i] += rng.NormFloat64()
	}
	tests := []struct {
		name string
		y    []float64
		o    *FitOptions
		want bool
	}{
		{"noise", noise, smHourly, false},
		{"seasonal", seasonal, smHourly, true},
		{"seasonal without period", seasonal, nil, false},
		{"seasonal too short", seasonal[:71], smHourly, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Theta{}.Fit(tt.y, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			tm := f.(*ThetaModel)
			if got := tm.Seasonal(); got != tt.want {
				t.Errorf("Seasonal() = %v, want %v", got, tt.want)
			}
			fc := f.Forecast(nil, 48)
			smCheckIntervals(t, tt.name, fc)
			if tt.want {
				// The seasonal shape is carried into the forecasts.
				hi, lo := fc[6].Mean, fc[18].Mean // sin peaks at 6, trough at 18 (len 240 ≡ 0)
				if !(hi > 120 && lo < 80) {
					t.Errorf("seasonal forecasts peak %v trough %v", hi, lo)
				}
			}
		})
	}
}

func TestThetaErrorsAndObserve(t *testing.T) {
	if _, err := (Theta{}).Fit([]float64{1, 2, 3}, nil); !errors.Is(err, ErrTooShort) {
		t.Errorf("short: %v", err)
	}
	if _, err := (Theta{}).Fit([]float64{1, 2, 3, math.NaN()}, nil); !errors.Is(err, ErrNotFinite) {
		t.Errorf("NaN: %v", err)
	}
	f, err := Theta{}.Fit(smLine(20, 0, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 20; i < 40; i++ {
		f.Observe(time.Time{}, float64(i))
	}
	f.Observe(time.Time{}, math.NaN())
	smCheckIntervals(t, "observed", f.Forecast(nil, 10))
}
