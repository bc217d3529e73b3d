package policy

import (
	"fmt"
	"math"
	"time"

	"github.com/omnixan/omnixan/cost"
)

// HybridConfig configures a Hybrid policy. Zero fields take the defaults
// in brackets.
type HybridConfig struct {
	// Predictive configures the demand forecast and its reactive fallback
	// [PredictiveConfig's defaults]; its Min and Max are ignored.
	Predictive PredictiveConfig `json:"predictive"`
	// Catalogue holds the instance sizes to choose from and their prices
	// [cost.DefaultCatalogue: 1, 2, 4 and 8 vCPU, 2 GiB per vCPU, 0.05 USD
	// per vCPU-hour].
	Catalogue []cost.InstanceType `json:"catalogue"`
	// ResizeSaving is the least saving, a fraction of the running cost at
	// the current size, for which the policy changes size, since a resize
	// restarts every instance [0.1].
	ResizeSaving float64 `json:"resize_saving"`
	// ResizeCooldown is the least time between two changes of size [30 min].
	ResizeCooldown time.Duration `json:"resize_cooldown"`
	Min            int           `json:"min"` // fewest instances [1]
	Max            int           `json:"max"` // most instances [100]
}

func (c HybridConfig) withDefaults() HybridConfig {
	if c.Catalogue == nil {
		c.Catalogue = cost.DefaultCatalogue()
	}
	if c.ResizeSaving == 0 {
		c.ResizeSaving = 0.1
	}
	if c.ResizeCooldown == 0 {
		c.ResizeCooldown = 30 * time.Minute
	}
	if c.Min == 0 {
		c.Min = awsDefaultMin
	}
	if c.Max == 0 {
		c.Max = awsDefaultMax
	}
	// The forecast part works in instances of the current size, bounded
	// by the policy itself.
	c.Predictive.Min, c.Predictive.Max = 1, math.MaxInt32
	return c
}

// Validate reports the first field out of range, after defaults.
func (c HybridConfig) Validate() error {
	c = c.withDefaults()
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: %s = %v, want %s", ErrInvalidConfig, field, v, want)
	}
	switch {
	case len(c.Catalogue) == 0:
		return bad("Catalogue", c.Catalogue, "at least one instance type")
	case !(c.ResizeSaving >= 0 && c.ResizeSaving < 1):
		return bad("ResizeSaving", c.ResizeSaving, "in [0, 1)")
	case c.ResizeCooldown < 0:
		return bad("ResizeCooldown", c.ResizeCooldown, "≥ 0")
	case c.Min < 0:
		return bad("Min", c.Min, "≥ 0")
	case c.Max < c.Min:
		return bad("Max", c.Max, "≥ Min")
	}
	for i, t := range c.Catalogue {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("%w: Catalogue[%d]: %w", ErrInvalidConfig, i, err)
		}
	}
	if err := c.Predictive.Validate(); err != nil {
		return fmt.Errorf("Predictive: %w", err)
	}
	return nil
}

// Choice is a fleet: Count instances of Type, and what it costs per hour.
type Choice struct {
	Type       cost.InstanceType
	Count      int
	USDPerHour float64
}

// Hybrid scales horizontally and vertically at once: it provisions the
// cheapest instance size × count that covers the forecast demand.
//
// The demand comes from an embedded Predictive policy (forecast.Auto on
// 5-min buckets, its surge rule and its reactive fallback): the count n
// it proposes, in instances of the current size (Observation.Size, whose
// capacity is Observation.Capacity), is turned into vCPUs, n ×
// Observation.Size.CPU, since an instance's capacity is proportional to
// its vCPUs. Then for each catalogue type t the least count covering it is
// k_t = max(Min, ⌈vCPUs ÷ t.CPU⌉), and the policy picks the cheapest k_t ×
// t.USDPerHour among those with k_t ≤ Max (see Cheapest for ties). It
// changes size only when that saves at least ResizeSaving of the cost at
// the current size, and at most once per ResizeCooldown; otherwise it
// keeps the size and proposes its k. With no known size (an orchestrator
// that cannot resize) it acts as the Predictive policy within Min and Max.
type Hybrid struct {
	cfg        HybridConfig
	pred       *Predictive
	lastResize time.Time
	resized    bool
}

var (
	_ Policy      = (*Hybrid)(nil)
	_ Bounded     = (*Hybrid)(nil)
	_ Forecasting = (*Hybrid)(nil)
)

// NewHybrid returns a Hybrid policy, or an error wrapping
// ErrInvalidConfig.
func NewHybrid(cfg HybridConfig) (*Hybrid, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	p, err := NewPredictive(cfg.Predictive)
	if err != nil {
		return nil, err
	}
	return &Hybrid{cfg: cfg, pred: p}, nil
}

// Name implements Policy.
func (h *Hybrid) Name() string { return "hybrid" }

// Bounds implements Bounded.
func (h *Hybrid) Bounds() (min, max int) { return h.cfg.Min, h.cfg.Max }

// LastPrediction implements Forecasting with the embedded forecast.
func (h *Hybrid) LastPrediction() (Prediction, bool) { return h.pred.LastPrediction() }

// Cheapest returns the cheapest choice of catalogue type and count
// covering cpu vCPUs with between min and max instances (max 0: no upper
// bound), and false when no type can. Ties go to the type of size prefer
// (to spare a resize), then to fewer instances, then to catalogue order.
func Cheapest(catalogue []cost.InstanceType, cpu float64, min, max int, prefer Size) (Choice, bool) {
	var best Choice
	found := false
	for _, t := range catalogue {
		k := int(math.Ceil(cpu/t.CPU - 1e-9))
		if k < min {
			k = min
		}
		if max > 0 && k > max {
			continue
		}
		c := Choice{Type: t, Count: k, USDPerHour: float64(k) * t.USDPerHour}
		switch {
		case !found:
		case c.USDPerHour < best.USDPerHour-1e-12:
		case c.USDPerHour > best.USDPerHour+1e-12:
			continue
		case sizeOf(t) == prefer && sizeOf(best.Type) != prefer:
		case sizeOf(best.Type) == prefer:
			continue
		case k < best.Count:
		default:
			continue
		}
		best, found = c, true
	}
	return best, found
}

func sizeOf(t cost.InstanceType) Size { return Size{CPU: t.CPU, MemoryGiB: t.MemoryGiB} }

// Decide implements Policy.
func (h *Hybrid) Decide(now time.Time, obs Observation) Decision {
	pd := h.pred.Decide(now, obs)
	cur := obs.Size
	if cur.IsZero() {
		pd.Target = min(max(pd.Target, h.cfg.Min), h.cfg.Max)
		return pd
	}
	cpu := min(h.pred.Need(), float64(pd.Target)) * cur.CPU
	best, ok := Cheapest(h.cfg.Catalogue, cpu, h.cfg.Min, h.cfg.Max, cur)
	if !ok {
		// Nothing fits under Max: the largest type, at Max.
		big := h.cfg.Catalogue[0]
		for _, t := range h.cfg.Catalogue {
			if t.CPU > big.CPU {
				big = t
			}
		}
		best = Choice{Type: big, Count: h.cfg.Max, USDPerHour: float64(h.cfg.Max) * big.USDPerHour}
	}
	want := sizeOf(best.Type)
	if want == cur {
		return Decision{Target: best.Count, Reason: pd.Reason}
	}
	// Stay at the current size when it is in the catalogue and the saving
	// is small, or a resize was recent.
	for _, t := range h.cfg.Catalogue {
		if sizeOf(t) != cur {
			continue
		}
		keep, ok := Cheapest([]cost.InstanceType{t}, cpu, h.cfg.Min, h.cfg.Max, cur)
		if !ok {
			break
		}
		if best.USDPerHour > (1-h.cfg.ResizeSaving)*keep.USDPerHour ||
			h.resized && now.Sub(h.lastResize) < h.cfg.ResizeCooldown {
			return Decision{Target: keep.Count, Reason: pd.Reason}
		}
		break
	}
	h.lastResize, h.resized = now, true
	return Decision{Target: best.Count, Size: want, Reason: "resize"}
}
