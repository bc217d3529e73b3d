package policy

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestThresholdDecide(t *testing.T) {
	type call struct {
		at  time.Duration // after t0
		obs Observation
	}
	obs := func(u float64, ready, cur int) Observation {
		return Observation{Valid: true, Utilization: u, Ready: ready, Current: cur}
	}
	tests := []struct {
		name  string
		cfg   ThresholdConfig
		calls []call
		want  []int
	}{
		{"scale up toward target", ThresholdConfig{}, []call{{0, obs(0.9, 10, 10)}}, []int{12}},
		{"scale down toward target", ThresholdConfig{}, []call{{0, obs(0.3, 10, 10)}}, []int{4}},
		{"within band keeps count", ThresholdConfig{}, []call{{0, obs(0.6, 10, 10)}, {0, obs(0.85, 10, 10)}, {0, obs(0.40, 10, 10)}}, []int{10, 10, 10}},
		{"clamped to max", ThresholdConfig{}, []call{{0, obs(1, 19, 19)}}, []int{20}},
		{"clamped to min", ThresholdConfig{}, []call{{0, obs(0.01, 3, 3)}}, []int{2}},
		{"cooldown blocks a second action", ThresholdConfig{}, []call{
			{0, obs(0.95, 4, 4)}, {299 * time.Second, obs(0.95, 6, 6)}, {300 * time.Second, obs(0.95, 6, 6)},
		}, []int{6, 6, 8}},
		{"cooldown configurable", ThresholdConfig{Cooldown: 30 * time.Second}, []call{
			{0, obs(0.95, 4, 4)}, {30 * time.Second, obs(0.95, 6, 6)},
		}, []int{6, 8}},
		{"scale-up keeps starting instances", ThresholdConfig{}, []call{{0, obs(0.9, 2, 8)}}, []int{8}},
		{"scale-down never above current", ThresholdConfig{}, []call{{0, obs(0.39, 10, 5)}}, []int{5}},
		{"no metrics keeps count", ThresholdConfig{}, []call{{0, Observation{Current: 7}}}, []int{7}},
		{"no metrics still clamps", ThresholdConfig{}, []call{{0, Observation{Current: 40}}}, []int{20}},
		{"custom thresholds", ThresholdConfig{ScaleUp: 0.7, ScaleDown: 0.2, Target: 0.5, Min: 1, Max: 100}, []call{{0, obs(0.72, 10, 10)}}, []int{15}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewThreshold(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, c := range tt.calls {
				got = append(got, p.Decide(t0.Add(c.at), c.obs).Target)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestThresholdDefaultsAreTheOriginalModules(t *testing.T) {
	p, err := NewThreshold(ThresholdConfig{})
	if err != nil {
		t.Fatal(err)
	}
	want := ThresholdConfig{ScaleUp: 0.85, ScaleDown: 0.40, Target: 0.75, Cooldown: 300 * time.Second, Min: 2, Max: 20}
	if diff := cmp.Diff(want, p.Config()); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestThresholdConfigValidate(t *testing.T) {
	for _, c := range []ThresholdConfig{
		{ScaleUp: 1.2}, {ScaleDown: -0.1}, {ScaleDown: 0.9}, {Target: 0.9}, {Target: 0.3},
		{Cooldown: -time.Second}, {Min: -1}, {Min: 5, Max: 4},
	} {
		if _, err := NewThreshold(c); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: err = %v, want ErrInvalidConfig", c, err)
		}
	}
}

type fixedFuture map[int64]int // second offset from t0 → need

func (f fixedFuture) PeakNeed(from, to time.Time) int {
	peak := 0
	for s, n := range f {
		at := t0.Add(time.Duration(s) * time.Second)
		if !at.Before(from) && !at.After(to) {
			peak = max(peak, n)
		}
	}
	return peak
}

func TestOracleProvisionsPeakOverHorizon(t *testing.T) {
	o := &Oracle{StartupDelay: 60 * time.Second, SyncPeriod: 15 * time.Second}
	o.Foresee(fixedFuture{0: 3, 70: 9, 75: 5, 76: 20})
	if got := o.Initial(t0); got != 9 {
		t.Errorf("Initial = %d, want 9 (peak over the first 75 s)", got)
	}
	if got := o.Decide(t0.Add(10*time.Second), Observation{}).Target; got != 20 {
		t.Errorf("Decide at 10 s = %d, want 20", got)
	}
	if got := o.Decide(t0.Add(77*time.Second), Observation{}).Target; got != 0 {
		t.Errorf("Decide past the load = %d, want 0", got)
	}
}
