package policy

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/omnixan/omnixan/cost"
)

func TestCheapest(t *testing.T) {
	def := cost.DefaultCatalogue()
	discount := []cost.InstanceType{
		{Name: "small", CPU: 1, MemoryGiB: 2, USDPerHour: 0.06},
		{Name: "large", CPU: 4, MemoryGiB: 8, USDPerHour: 0.20},
	}
	tests := []struct {
		name      string
		cat       []cost.InstanceType
		cpu       float64
		min, max  int
		prefer    Size
		wantType  string
		wantCount int
		wantUSD   float64
		wantOK    bool
	}{
		{"tie goes to the current size", def, 5.3, 1, 100, Size{2, 4}, "std-2", 3, 0.30, true},
		{"tie goes to the current size, 1 vCPU", def, 5.3, 1, 100, Size{1, 2}, "std-1", 6, 0.30, true},
		{"tie without a current size: fewer instances", def, 5.3, 1, 100, Size{}, "std-2", 3, 0.30, true},
		{"1 vCPU granularity saves", def, 4.1, 1, 100, Size{2, 4}, "std-1", 5, 0.25, true},
		{"exact fit", def, 8, 1, 100, Size{8, 16}, "std-8", 1, 0.40, true},
		{"volume discount: one large", discount, 3.5, 1, 100, Size{}, "large", 1, 0.20, true},
		{"volume discount: small below", discount, 0.9, 1, 100, Size{}, "small", 1, 0.06, true},
		{"volume discount: small on a mixed need", discount, 4.5, 1, 100, Size{}, "small", 5, 0.30, true},
		{"volume discount: large on a larger one", discount, 7.5, 1, 100, Size{}, "large", 2, 0.40, true},
		{"min raises the count", def, 1, 3, 100, Size{}, "std-1", 3, 0.15, true},
		{"max rules out small sizes", def, 20, 1, 4, Size{}, "std-8", 3, 1.20, true},
		{"nothing fits", def, 100, 1, 2, Size{}, "", 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Cheapest(tc.cat, tc.cpu, tc.min, tc.max, tc.prefer)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			if got.Type.Name != tc.wantType || got.Count != tc.wantCount || math.Abs(got.USDPerHour-tc.wantUSD) > 1e-9 {
				t.Errorf("Cheapest = %d × %s at %v USD/h, want %d × %s at %v", got.Count, got.Type.Name, got.USDPerHour, tc.wantCount, tc.wantType, tc.wantUSD)
			}
		})
	}
}

func TestHybridDecide(t *testing.T) {
	cat := []cost.InstanceType{
		{Name: "small", CPU: 2, MemoryGiB: 4, USDPerHour: 0.10},
		{Name: "big", CPU: 8, MemoryGiB: 16, USDPerHour: 0.20},
	}
	h, err := NewHybrid(HybridConfig{Catalogue: cat})
	if err != nil {
		t.Fatal(err)
	}
	// The same forecast part on its own, to know the demand it proposes.
	ref, _ := NewPredictive(HybridConfig{}.withDefaults().Predictive)
	obs := Observation{Time: t0, Valid: true, Utilization: 0.9, RequestRate: 720, Ready: 8, Current: 8, Capacity: 100, Size: Size{2, 4}}
	n := ref.Decide(t0, obs).Target
	d := h.Decide(t0, obs)
	want := Decision{Target: int(math.Ceil(float64(n) * 2 / 8)), Size: Size{8, 16}, Reason: "resize"}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Fatalf("Decide (-want +got):\n%s", diff)
	}
	// Now at the big size: no resize, the count follows the demand.
	obs = Observation{Time: t0.Add(15 * time.Second), Valid: true, Utilization: 0.9, RequestRate: 720, Ready: 2, Current: 2, Capacity: 400, Size: Size{8, 16}}
	if d := h.Decide(t0.Add(15*time.Second), obs); !d.Size.IsZero() || d.Target < 1 {
		t.Errorf("Decide at the chosen size = %+v, want no resize", d)
	}
}

func TestHybridKeepsSizeForSmallSavings(t *testing.T) {
	// The reactive part asks for 3 instances of 2 vCPU, 0.30 USD/h; 2 of 3
	// vCPU cost 0.26: a 13.3% saving resizes at 10%, not at 20%.
	cat := []cost.InstanceType{
		{Name: "two", CPU: 2, MemoryGiB: 4, USDPerHour: 0.10},
		{Name: "three", CPU: 3, MemoryGiB: 6, USDPerHour: 0.13},
	}
	obs := Observation{Time: t0, Valid: true, Utilization: 0.95, RequestRate: 190, Ready: 2, Current: 2, Capacity: 100, Size: Size{2, 4}}
	for _, tc := range []struct {
		saving float64
		resize bool
	}{{0.1, true}, {0.2, false}} {
		h, _ := NewHybrid(HybridConfig{ResizeSaving: tc.saving, Catalogue: cat})
		ref, _ := NewPredictive(HybridConfig{}.withDefaults().Predictive)
		n := ref.Decide(t0, obs).Target
		d := h.Decide(t0, obs)
		if got := !d.Size.IsZero(); got != tc.resize {
			t.Errorf("saving %v, demand %d × 2 vCPU: Decide = %+v, resize %v, want %v", tc.saving, n, d, got, tc.resize)
		}
	}
}

func TestHybridWithoutSizeActsAsPredictive(t *testing.T) {
	h, _ := NewHybrid(HybridConfig{})
	ref, _ := NewPredictive(HybridConfig{}.withDefaults().Predictive)
	obs := Observation{Time: t0, Valid: true, Utilization: 0.9, RequestRate: 720, Ready: 8, Current: 8, Capacity: 100}
	if got, want := h.Decide(t0, obs), ref.Decide(t0, obs); got != want {
		t.Errorf("Decide = %+v, want the predictive policy's %+v", got, want)
	}
}
