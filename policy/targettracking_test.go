package policy

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTargetTrackingDecide(t *testing.T) {
	s, m := time.Second, time.Minute
	// steady returns calls every 15 s over d at utilisation u with n ready.
	steady := func(from, d time.Duration, u float64, n int) []awsCall {
		var cs []awsCall
		for at := from; at < from+d; at += 15 * s {
			cs = append(cs, awsCall{at, u, n, 0, n, false})
		}
		return cs
	}
	last := func(cs []awsCall) []int {
		out := make([]int, len(cs))
		for i, c := range cs {
			out[i] = c.cur
		}
		return out
	}
	tests := []struct {
		name  string
		cfg   TargetTrackingConfig
		calls []awsCall
		want  []int
	}{
		{"at target", TargetTrackingConfig{}, []awsCall{{0, 0.5, 10, 0, 10, false}}, []int{10}},
		{"scale out proportionally", TargetTrackingConfig{}, []awsCall{{0, 0.8, 10, 0, 10, false}}, []int{16}},
		{"just above target", TargetTrackingConfig{}, []awsCall{{0, 0.51, 10, 0, 10, false}}, []int{11}},
		{"starting instances count", TargetTrackingConfig{}, []awsCall{{0, 0.8, 10, 6, 16, false}, {15 * s, 0.9, 10, 6, 16, false}}, []int{16, 18}},
		{"saturated cpu understates", TargetTrackingConfig{}, []awsCall{{0, 3, 10, 0, 10, false}}, []int{20}},
		{"offered utilisation sees the overload", TargetTrackingConfig{Metric: MetricOfferedUtilization}, []awsCall{{0, 3, 10, 0, 10, false}}, []int{60}},
		{"requests per instance", TargetTrackingConfig{Metric: MetricRequestsPerInstance, Target: 40}, []awsCall{{0, 0.8, 10, 0, 10, false}}, []int{20}},
		{"scale in only after the period", TargetTrackingConfig{},
			steady(0, 15*m+15*s, 0.2, 20), append(last(steady(0, 15*m, 0.2, 20)), 18)},
		{"scale in removes at most 10%", TargetTrackingConfig{ScaleInPeriod: time.Minute},
			steady(0, 75*s, 0.05, 40), []int{40, 40, 40, 40, 36}},
		{"scale in to the period's largest proposal", TargetTrackingConfig{ScaleInPeriod: 30 * s, ScaleInStep: 1}, []awsCall{
			{0, 0.2, 10, 0, 10, false}, {15 * s, 0.4, 10, 0, 10, false}, {30 * s, 0.1, 10, 0, 10, false},
		}, []int{10, 10, 8}},
		{"a proposal at current restarts the period", TargetTrackingConfig{ScaleInPeriod: 30 * s}, []awsCall{
			{0, 0.2, 10, 0, 10, false}, {15 * s, 0.5, 10, 0, 10, false}, {30 * s, 0.2, 10, 0, 10, false}, {45 * s, 0.2, 10, 0, 10, false}, {60 * s, 0.2, 10, 0, 10, false},
		}, []int{10, 10, 10, 10, 9}},
		{"scale in waits for warm-up", TargetTrackingConfig{ScaleInPeriod: 15 * s}, []awsCall{
			{0, 0.6, 10, 0, 10, false}, {15 * s, 0.1, 10, 2, 12, false}, {60 * s, 0.1, 12, 0, 12, false}, {300 * s, 0.1, 12, 0, 12, false},
		}, []int{12, 12, 12, 11}},
		{"no metrics keeps count", TargetTrackingConfig{}, []awsCall{{0, 0.9, 10, 0, 10, true}}, []int{10}},
		{"bounded", TargetTrackingConfig{Max: 12}, []awsCall{{0, 0.9, 10, 0, 10, false}}, []int{12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewTargetTracking(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, c := range tt.calls {
				got = append(got, p.Decide(t0.Add(c.at), c.obs()).Target)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTargetTrackingConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   TargetTrackingConfig
		field string
	}{
		{"defaults", TargetTrackingConfig{}, ""},
		{"target above 1", TargetTrackingConfig{Target: 1.2}, "Target"},
		{"requests need a target", TargetTrackingConfig{Metric: MetricRequestsPerInstance}, "Target"},
		{"requests target", TargetTrackingConfig{Metric: MetricRequestsPerInstance, Target: 300}, ""},
		{"unknown metric", TargetTrackingConfig{Metric: "latency"}, "Metric"},
		{"scale-in step above 1", TargetTrackingConfig{ScaleInStep: 2}, "ScaleInStep"},
		{"negative period", TargetTrackingConfig{ScaleInPeriod: -time.Second}, "ScaleInPeriod"},
		{"min 0 is the default", TargetTrackingConfig{Min: 0}, ""},
		{"negative min", TargetTrackingConfig{Min: -1}, "Min"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkConfigError(t, tt.cfg.Validate(), tt.field) })
	}
}
