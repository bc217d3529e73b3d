package forecast

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var hourly2 = &FitOptions{Step: time.Hour, Seasons: []time.Duration{24 * time.Hour, 168 * time.Hour}}

func TestAutoRobust(t *testing.T) {
	ramp := make([]float64, 60)
	for i := range ramp {
		ramp[i] = float64(i)
	}
	tests := []struct {
		name  string
		train []float64
		o     *FitOptions
		want  float64 // first forecast, NaN to skip
	}{
		{"constant", slices.Repeat([]float64{5}, 1000), hourly2, 5},
		{"zeros", make([]float64, 1000), hourly2, 0},
		{"one point", []float64{3}, hourly2, 3},
		{"short, no validation", []float64{1, 2, 3, 4, 5}, hourly2, math.NaN()},
		{"under two days", ramp[:40], hourly2, math.NaN()},
		{"no seasons", ramp, nil, math.NaN()},
		{"two seasons", twoSeasons(800, 4), hourly2, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Auto{}.Fit(tt.train, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			fc := f.Forecast(nil, 48)
			if !allFinite(fc) {
				t.Fatalf("forecast not finite: %+v (choice %+v)", fc[:3], f.(*AutoForecaster).Choice)
			}
			if !math.IsNaN(tt.want) && math.Abs(fc[0].Mean-tt.want) > 1e-9 {
				t.Errorf("first forecast %v, want %v", fc[0].Mean, tt.want)
			}
		})
	}
}

func TestAutoErrors(t *testing.T) {
	if _, err := (Auto{}).Fit(nil, nil); !errors.Is(err, ErrTooShort) {
		t.Errorf("empty: %v, want ErrTooShort", err)
	}
	if _, err := (Auto{}).Fit([]float64{1, math.NaN()}, nil); !errors.Is(err, ErrNotFinite) {
		t.Errorf("NaN: %v, want ErrNotFinite", err)
	}
	bad := &FitOptions{Step: time.Hour, Seasons: []time.Duration{90 * time.Minute}}
	if _, err := (Auto{}).Fit([]float64{1, 2}, bad); !errors.Is(err, ErrInvalidSeason) {
		t.Errorf("bad season: %v, want ErrInvalidSeason", err)
	}
}

func TestAutoDeterministic(t *testing.T) {
	x := twoSeasons(900, 5)
	var prev []Point
	for range 3 {
		f, err := Auto{}.Fit(x, hourly2)
		if err != nil {
			t.Fatal(err)
		}
		fc := f.Forecast(nil, 48)
		if prev != nil {
			if d := cmp.Diff(prev, fc); d != "" {
				t.Fatalf("refit differs (-first +again):\n%s", d)
			}
		}
		prev = fc
	}
}

func TestRegistry(t *testing.T) {
	for _, name := range Methods() {
		m, err := Lookup(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		f, err := m.Fit(twoSeasons(24*15, 6), hourly2)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if fc := f.Forecast(nil, 48); !allFinite(fc) {
			t.Errorf("%s: forecast not finite", name)
		}
	}
	if _, err := Lookup("nope"); !errors.Is(err, ErrUnknownMethod) {
		t.Errorf("unknown: %v, want ErrUnknownMethod", err)
	}
}

func TestSubsets(t *testing.T) {
	want := [][]int{{0}, {1}, {2}, {0, 1}, {0, 2}, {1, 2}}
	if d := cmp.Diff(want, subsets(3, 2)); d != "" {
		t.Errorf("subsets (-want +got):\n%s", d)
	}
}
