package live

import (
	"testing"
	"time"

	"github.com/omnixan/omnixan/policy"
)

type fixedPolicy struct{ n int }

func (f fixedPolicy) Name() string { return "fixed" }
func (f fixedPolicy) Decide(time.Time, policy.Observation) policy.Decision {
	return policy.Decision{Target: f.n, Reason: "fixed"}
}

func TestNoScaleInOnPartial(t *testing.T) {
	tests := []struct {
		name    string
		propose int
		partial bool
		valid   bool
		want    int
	}{
		{"full data scales in", 2, false, true, 2},
		{"partial data holds a scale-in", 2, true, true, 5},
		{"invalid data holds a scale-in", 2, false, false, 5},
		{"partial data scales out", 8, true, true, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &NoScaleInOnPartial{Policy: fixedPolicy{tt.propose}, Partial: tt.partial}
			d := g.Decide(time.Time{}, policy.Observation{Valid: tt.valid, Current: 5})
			if d.Target != tt.want {
				t.Errorf("target %d, want %d (%s)", d.Target, tt.want, d.Reason)
			}
		})
	}
}
