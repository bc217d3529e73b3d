package cost

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestBudgetFits(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name           string
		b              Budget
		usd, hour, run float64
		want           Fit
	}{
		{"unlimited", Budget{}, 1e9, 0, 0, Fit{OK: true, Remaining: inf}},
		{"fits the hour", Budget{PerHour: 10}, 4, 5, 100, Fit{OK: true, Remaining: 5, Limit: "per_hour"}},
		{"exactly fills the hour", Budget{PerHour: 10}, 5, 5, 0, Fit{OK: true, Remaining: 5, Limit: "per_hour"}},
		{"over the hour", Budget{PerHour: 10}, 6, 5, 0, Fit{OK: false, Remaining: 5, Limit: "per_hour"}},
		{"run is tighter", Budget{PerHour: 10, PerRun: 100}, 3, 1, 98, Fit{OK: false, Remaining: 2, Limit: "per_run"}},
		{"negative charge", Budget{}, -1, 0, 0, Fit{OK: false, Remaining: inf}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.b.Fits(tt.usd, tt.hour, tt.run)); diff != "" {
				t.Errorf("Fits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLedger(t *testing.T) {
	var l Ledger
	if diff := cmp.Diff(map[string]float64{"classical": 0, "quantum": 0}, l.Breakdown()); diff != "" {
		t.Errorf("empty Breakdown (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		class Class
		usd   float64
	}{{Quantum, 30.30}, {Classical, 0.10}, {Quantum, 144}, {Classical, 0.05}} {
		if err := l.Add(c.class, c.usd); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		if err := l.Add(Classical, bad); !errors.Is(err, ErrInvalidPrice) {
			t.Errorf("Add(%v): err = %v, want ErrInvalidPrice", bad, err)
		}
	}
	approx := cmpopts.EquateApprox(0, 1e-12)
	if diff := cmp.Diff(map[string]float64{"classical": 0.15, "quantum": 174.30}, l.Breakdown(), approx); diff != "" {
		t.Errorf("Breakdown (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(174.45, l.Total(), approx); diff != "" {
		t.Errorf("Total (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Class{Classical, Quantum}, l.Classes()); diff != "" {
		t.Errorf("Classes (-want +got):\n%s", diff)
	}
	js, err := json.Marshal(struct {
		Spend map[string]float64 `json:"spend_breakdown_usd"`
	}{l.Breakdown()})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"spend_breakdown_usd":{"classical":0.15000000000000002,"quantum":174.3}}`; string(js) != want {
		t.Errorf("JSON = %s, want %s", js, want)
	}
}
