package live

import (
	"time"

	"github.com/omnixan/omnixan/policy"
)

// NoScaleInOnPartial wraps a policy so that it never proposes fewer
// instances than the current count while the data it decides on is
// incomplete: when the observation is invalid, or when Partial is set (the
// driver sets it before each pass from Sample.Partial). This is the HPA's
// rule for missing metrics — missing pods count as 0% when scaling out and
// as 100% when scaling in — reduced to "out yes, in no".
//
// It is not safe for concurrent use, like the policy it wraps.
type NoScaleInOnPartial struct {
	Policy  policy.Policy
	Partial bool
}

var _ policy.Policy = (*NoScaleInOnPartial)(nil)

// ReasonPartial is the decision reason when a scale-in was held back.
const ReasonPartial = "held: no scale-in on partial data"

// Name returns the wrapped policy's name.
func (g *NoScaleInOnPartial) Name() string { return g.Policy.Name() }

// Decide asks the wrapped policy and holds back a scale-in on partial data.
func (g *NoScaleInOnPartial) Decide(now time.Time, obs policy.Observation) policy.Decision {
	d := g.Policy.Decide(now, obs)
	if (g.Partial || !obs.Valid) && d.Target < obs.Current {
		d.Target = obs.Current
		d.Reason = ReasonPartial
	}
	return d
}

// Bounds returns the wrapped policy's bounds when it has any (see
// policy.Bounded), else (0, 0).
func (g *NoScaleInOnPartial) Bounds() (min, max int) {
	if b, ok := g.Policy.(policy.Bounded); ok {
		return b.Bounds()
	}
	return 0, 0
}
