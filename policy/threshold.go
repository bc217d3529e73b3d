package policy

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrInvalidConfig is wrapped by every configuration error of this package.
var ErrInvalidConfig = errors.New("invalid policy configuration")

// ThresholdConfig configures a Threshold policy. Zero fields take the
// defaults of the original OMNIXAN module, shown in brackets.
type ThresholdConfig struct {
	ScaleUp   float64       `json:"scale_up"`   // utilisation above which to scale up [0.85]
	ScaleDown float64       `json:"scale_down"` // utilisation below which to scale down [0.40]
	Target    float64       `json:"target"`     // utilisation to scale toward [0.75]
	Cooldown  time.Duration `json:"cooldown"`   // least time between two scale actions [300 s]
	Min       int           `json:"min"`        // fewest instances [2]
	Max       int           `json:"max"`        // most instances [20]
}

func (c ThresholdConfig) withDefaults() ThresholdConfig {
	if c.ScaleUp == 0 {
		c.ScaleUp = 0.85
	}
	if c.ScaleDown == 0 {
		c.ScaleDown = 0.40
	}
	if c.Target == 0 {
		c.Target = 0.75
	}
	if c.Cooldown == 0 {
		c.Cooldown = 300 * time.Second
	}
	if c.Min == 0 {
		c.Min = 2
	}
	if c.Max == 0 {
		c.Max = 20
	}
	return c
}

// Validate reports the first field out of range, after defaults.
func (c ThresholdConfig) Validate() error {
	c = c.withDefaults()
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: %s = %v, want %s", ErrInvalidConfig, field, v, want)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"ScaleUp", c.ScaleUp}, {"ScaleDown", c.ScaleDown}, {"Target", c.Target}} {
		if math.IsNaN(f.v) || f.v <= 0 || f.v > 1 {
			return bad(f.name, f.v, "a utilisation in (0, 1]")
		}
	}
	switch {
	case c.ScaleDown >= c.ScaleUp:
		return bad("ScaleDown", c.ScaleDown, fmt.Sprintf("< ScaleUp (%v)", c.ScaleUp))
	case c.Target <= c.ScaleDown || c.Target >= c.ScaleUp:
		return bad("Target", c.Target, fmt.Sprintf("between ScaleDown (%v) and ScaleUp (%v)", c.ScaleDown, c.ScaleUp))
	case c.Cooldown < 0:
		return bad("Cooldown", c.Cooldown, "≥ 0")
	case c.Min < 1:
		return bad("Min", c.Min, "≥ 1")
	case c.Max < c.Min:
		return bad("Max", c.Max, fmt.Sprintf("≥ Min (%d)", c.Min))
	}
	return nil
}

// Threshold is the original module's reactive policy. When utilisation is
// above ScaleUp or below ScaleDown, and at least Cooldown has passed since
// its last scale action, it proposes
//
//	target = ⌈ready × utilisation / Target⌉
//
// (never below the current target on a scale-up, nor above it on a
// scale-down), clamped to [Min, Max] — the instance count at which the same load would
// run at the target utilisation. Otherwise it keeps the current count. With
// no valid observation it keeps the current count.
type Threshold struct {
	cfg        ThresholdConfig
	lastAction time.Time
	acted      bool
}

var (
	_ Policy  = (*Threshold)(nil)
	_ Bounded = (*Threshold)(nil)
)

// NewThreshold returns a Threshold policy, or an error wrapping
// ErrInvalidConfig that names the bad field.
func NewThreshold(cfg ThresholdConfig) (*Threshold, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Threshold{cfg: cfg.withDefaults()}, nil
}

// Bounds implements Bounded.
func (p *Threshold) Bounds() (min, max int) { return p.cfg.Min, p.cfg.Max }

// Config returns the configuration in force, with defaults filled in.
func (p *Threshold) Config() ThresholdConfig { return p.cfg }

// Name returns "threshold".
func (p *Threshold) Name() string { return "threshold" }

// Decide implements Policy.
func (p *Threshold) Decide(now time.Time, obs Observation) Decision {
	cur := obs.Current
	if !obs.Valid || obs.Ready == 0 {
		return Decision{Target: p.clamp(cur), Reason: "no metrics"}
	}
	u := obs.Utilization
	if u <= p.cfg.ScaleUp && u >= p.cfg.ScaleDown {
		return Decision{Target: p.clamp(cur), Reason: "utilization within thresholds"}
	}
	if p.acted && now.Sub(p.lastAction) < p.cfg.Cooldown {
		return Decision{Target: p.clamp(cur), Reason: "cooldown"}
	}
	want := int(math.Ceil(float64(obs.Ready)*u/p.cfg.Target - 1e-9))
	var reason string
	if u > p.cfg.ScaleUp {
		// Instances still starting count toward the target: never cancel
		// them on a scale-up.
		want = max(want, cur)
		reason = "utilization above scale-up threshold"
	} else {
		want = min(want, cur)
		reason = "utilization below scale-down threshold"
	}
	want = p.clamp(want)
	if want != cur {
		p.lastAction = now
		p.acted = true
	}
	return Decision{Target: want, Reason: reason}
}

func (p *Threshold) clamp(n int) int {
	return min(max(n, p.cfg.Min), p.cfg.Max)
}
