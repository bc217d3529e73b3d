package policy

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// awsCall is one decision of a table test: at t0 + at, with the metric u
// (utilisation, or request rate per instance), ready and current counts and
// starting instances.
type awsCall struct {
	at                   time.Duration
	u                    float64
	ready, starting, cur int
	invalid              bool
}

func (c awsCall) obs() Observation {
	return Observation{
		Time: t0.Add(c.at), Valid: !c.invalid, Utilization: min(1, c.u), RequestRate: c.u * 100 * float64(c.ready),
		Ready: c.ready, Starting: c.starting, Current: c.cur, Capacity: 100,
	}
}

func TestStepScalingDecide(t *testing.T) {
	s := time.Second
	tests := []struct {
		name  string
		cfg   StepScalingConfig
		calls []awsCall
		want  []int
	}{
		{"below the alarm", StepScalingConfig{}, []awsCall{{0, 0.69, 10, 0, 10, false}}, []int{10}},
		{"step 1 lower bound inclusive", StepScalingConfig{}, []awsCall{{0, 0.70, 10, 0, 10, false}}, []int{11}},
		{"step 1 upper bound exclusive", StepScalingConfig{}, []awsCall{{0, 0.7999, 10, 0, 10, false}}, []int{11}},
		{"step 2", StepScalingConfig{}, []awsCall{{0, 0.80, 10, 0, 10, false}}, []int{12}},
		{"step 3 percent", StepScalingConfig{}, []awsCall{{0, 0.95, 20, 0, 20, false}}, []int{26}},
		{"step 3 min adjustment magnitude", StepScalingConfig{}, []awsCall{{0, 0.95, 4, 0, 4, false}}, []int{7}},
		{"scale-in upper bound inclusive", StepScalingConfig{}, []awsCall{
			{0, 0.30, 10, 0, 10, false}, {15 * s, 0.30, 10, 0, 10, false}, {30 * s, 0.30, 10, 0, 10, false},
		}, []int{10, 10, 9}},
		{"scale-in needs consecutive periods", StepScalingConfig{}, []awsCall{
			{0, 0.2, 10, 0, 10, false}, {15 * s, 0.2, 10, 0, 10, false}, {30 * s, 0.5, 10, 0, 10, false}, {45 * s, 0.2, 10, 0, 10, false},
		}, []int{10, 10, 10, 10}},
		{"a repeated observation is one period", StepScalingConfig{}, []awsCall{
			{0, 0.2, 10, 0, 10, false}, {0, 0.2, 10, 0, 10, false}, {0, 0.2, 10, 0, 10, false},
		}, []int{10, 10, 10}},
		{"same step during warm-up adds nothing", StepScalingConfig{}, []awsCall{
			{0, 0.85, 10, 0, 10, false}, {15 * s, 0.85, 10, 0, 12, false}, {30 * s, 0.85, 10, 2, 12, false},
		}, []int{12, 12, 12}},
		{"larger step during warm-up adds the difference", StepScalingConfig{}, []awsCall{
			{0, 0.75, 10, 0, 10, false}, {15 * s, 0.85, 10, 1, 11, false},
		}, []int{11, 12}},
		{"percent step during warm-up applies to the warm capacity", StepScalingConfig{}, []awsCall{
			{0, 0.85, 20, 0, 20, false}, {15 * s, 0.95, 20, 2, 22, false},
		}, []int{22, 26}},
		{"after warm-up the same step adds again", StepScalingConfig{}, []awsCall{
			{0, 0.85, 10, 0, 10, false}, {300 * s, 0.85, 12, 0, 12, false},
		}, []int{12, 14}},
		{"scale-in waits for warm-up", StepScalingConfig{ScaleInCooldown: s}, []awsCall{
			{0, 0.75, 10, 0, 10, false}, {15 * s, 0.1, 10, 1, 11, false}, {30 * s, 0.1, 10, 1, 11, false},
			{45 * s, 0.1, 11, 0, 11, false}, {300 * s, 0.1, 11, 0, 11, false},
		}, []int{11, 11, 11, 11, 10}},
		{"scale-in cooldown", StepScalingConfig{ScaleIn: StepAlarm{EvaluationPeriods: 1}}, []awsCall{
			{0, 0.1, 10, 0, 10, false}, {15 * s, 0.1, 9, 0, 9, false}, {299 * s, 0.1, 9, 0, 9, false}, {300 * s, 0.1, 9, 0, 9, false},
		}, []int{9, 9, 9, 8}},
		{"exact capacity", StepScalingConfig{ScaleOut: StepAlarm{Steps: []StepAdjustment{{LowerBound: f64(0), Type: ExactCapacity, Adjustment: 30}}}}, []awsCall{
			{0, 0.9, 10, 0, 10, false}, {15 * s, 0.9, 40, 0, 40, false},
		}, []int{30, 40}},
		{"percent scale-in rounds toward zero", StepScalingConfig{ScaleIn: StepAlarm{EvaluationPeriods: 1, Steps: []StepAdjustment{{UpperBound: f64(0), Type: PercentChangeInCapacity, Adjustment: -25}}}}, []awsCall{
			{0, 0.1, 10, 0, 10, false},
		}, []int{8}},
		{"small percent change is one instance", StepScalingConfig{ScaleIn: StepAlarm{EvaluationPeriods: 1, Steps: []StepAdjustment{{UpperBound: f64(0), Type: PercentChangeInCapacity, Adjustment: -10}}}}, []awsCall{
			{0, 0.1, 5, 0, 5, false},
		}, []int{4}},
		{"requests per instance", StepScalingConfig{
			Metric:   MetricRequestsPerInstance,
			ScaleOut: StepAlarm{Threshold: 80, Steps: []StepAdjustment{{LowerBound: f64(0), UpperBound: f64(50), Adjustment: 1}, {LowerBound: f64(50), Adjustment: 4}}},
			ScaleIn:  StepAlarm{Threshold: 20, Steps: []StepAdjustment{{UpperBound: f64(0), Adjustment: -1}}},
		}, []awsCall{{0, 1.5, 10, 0, 10, false}}, []int{14}},
		{"bounded", StepScalingConfig{Max: 12}, []awsCall{{0, 0.95, 20, 0, 20, false}}, []int{12}},
		{"no metrics keeps count", StepScalingConfig{}, []awsCall{{0, 0.9, 10, 0, 10, true}}, []int{10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewStepScaling(tt.cfg)
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

func TestStepScalingConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   StepScalingConfig
		field string // "" for valid
	}{
		{"defaults", StepScalingConfig{}, ""},
		{"unknown metric", StepScalingConfig{Metric: "memory"}, "Metric"},
		{"threshold above 1", StepScalingConfig{ScaleOut: StepAlarm{Threshold: 1.5}}, "ScaleOut.Threshold"},
		{"requests need thresholds", StepScalingConfig{Metric: MetricRequestsPerInstance}, "ScaleOut.Threshold"},
		{"scale-in above scale-out", StepScalingConfig{ScaleIn: StepAlarm{Threshold: 0.8}}, "ScaleIn.Threshold"},
		{"overlapping steps", StepScalingConfig{ScaleOut: StepAlarm{Steps: []StepAdjustment{{LowerBound: f64(0), UpperBound: f64(0.2), Adjustment: 1}, {LowerBound: f64(0.1), Adjustment: 2}}}}, "ScaleOut.Steps[1]"},
		{"negative scale-out bound", StepScalingConfig{ScaleOut: StepAlarm{Steps: []StepAdjustment{{Adjustment: 1}}}}, "ScaleOut.Steps[0].LowerBound"},
		{"removing on scale-out", StepScalingConfig{ScaleOut: StepAlarm{Steps: []StepAdjustment{{LowerBound: f64(0), Adjustment: -1}}}}, "ScaleOut.Steps[0].Adjustment"},
		{"bad type", StepScalingConfig{ScaleIn: StepAlarm{Steps: []StepAdjustment{{UpperBound: f64(0), Type: "Halve", Adjustment: -1}}}}, "ScaleIn.Steps[0].Type"},
		{"max below min", StepScalingConfig{Min: 5, Max: 4}, "Max"},
		{"negative warm-up", StepScalingConfig{WarmUp: -time.Second}, "WarmUp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			checkConfigError(t, err, tt.field)
			if _, nerr := NewStepScaling(tt.cfg); (nerr == nil) != (err == nil) {
				t.Errorf("NewStepScaling error %v, Validate error %v", nerr, err)
			}
		})
	}
}

// checkConfigError checks that err is nil when field is "", and otherwise
// wraps ErrInvalidConfig and names field.
func checkConfigError(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("Validate() = %v, want nil", err)
		}
		return
	}
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Validate() = %v, want an error wrapping ErrInvalidConfig", err)
	}
	if msg := err.Error(); !containsField(msg, field) {
		t.Errorf("Validate() = %q, want it to name %s", msg, field)
	}
}

func containsField(msg, field string) bool {
	for i := 0; i+len(field) <= len(msg); i++ {
		if msg[i:i+len(field)] == field && (i+len(field) == len(msg) || msg[i+len(field)] == ' ') {
			return true
		}
	}
	return false
}
