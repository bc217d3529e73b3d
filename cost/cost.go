package cost

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrInvalidPrice is returned by Validate for a negative, NaN or infinite
// price or a negative granularity or minimum.
var ErrInvalidPrice = errors.New("invalid price")

// InstanceHour is a price per instance-hour.
//
// The zero Granularity means per-second billing; the zero Minimum means no
// minimum charge. EC2 Linux on-demand, for example, is per-second with a
// 60-second minimum.
type InstanceHour struct {
	USDPerHour  float64       // price of one instance for one hour, USD
	Granularity time.Duration // billing increment; 0 means one second
	Minimum     time.Duration // least billed time per instance; 0 means none
}

// Validate reports an error naming the field that is out of range.
func (p InstanceHour) Validate() error {
	switch {
	case math.IsNaN(p.USDPerHour) || math.IsInf(p.USDPerHour, 0) || p.USDPerHour < 0:
		return fmt.Errorf("%w: USDPerHour = %v, want a finite value ≥ 0", ErrInvalidPrice, p.USDPerHour)
	case p.Granularity < 0:
		return fmt.Errorf("%w: Granularity = %v, want ≥ 0", ErrInvalidPrice, p.Granularity)
	case p.Minimum < 0:
		return fmt.Errorf("%w: Minimum = %v, want ≥ 0", ErrInvalidPrice, p.Minimum)
	}
	return nil
}

// Billed returns the time charged for an instance that lived for d: d raised
// to the minimum, then rounded up to a whole number of increments.
// A negative d is treated as zero.
func (p InstanceHour) Billed(d time.Duration) time.Duration {
	if d < p.Minimum {
		d = p.Minimum
	}
	if d <= 0 {
		return 0
	}
	g := p.Granularity
	if g <= 0 {
		g = time.Second
	}
	return (d + g - 1) / g * g
}

// Charge returns the cost in USD of one instance that lived for d.
func (p InstanceHour) Charge(d time.Duration) float64 {
	return p.USDPerHour * p.Billed(d).Hours()
}

// Rate returns the running cost in USD per hour of n instances.
func (p InstanceHour) Rate(n int) float64 { return p.USDPerHour * float64(n) }

// Affordable returns the most instances whose running cost stays within
// budget USD per hour. A budget ≤ 0 or a zero price means no limit and
// returns math.MaxInt.
func (p InstanceHour) Affordable(budgetPerHour float64) int {
	if budgetPerHour <= 0 || p.USDPerHour <= 0 {
		return math.MaxInt
	}
	return int(math.Floor(budgetPerHour/p.USDPerHour + 1e-9))
}

// InstanceType is one instance size a provider offers and its price.
type InstanceType struct {
	Name       string  `json:"name"`
	CPU        float64 `json:"cpu"`          // vCPUs
	MemoryGiB  float64 `json:"memory_gib"`   // memory, GiB
	USDPerHour float64 `json:"usd_per_hour"` // price of one instance for one hour, USD
}

// USDPerCoreHour is the original module's price of one vCPU for one hour.
const USDPerCoreHour = 0.05

// DefaultCatalogue returns a small catalogue of general-purpose sizes: 1,
// 2, 4 and 8 vCPU with 2 GiB per vCPU, priced at USDPerCoreHour per vCPU,
// so that the 2-vCPU size costs the simulator's default 0.10 USD per
// instance-hour. It returns a new slice on each call.
func DefaultCatalogue() []InstanceType {
	var c []InstanceType
	for _, cpu := range []float64{1, 2, 4, 8} {
		c = append(c, InstanceType{
			Name: fmt.Sprintf("std-%g", cpu), CPU: cpu, MemoryGiB: 2 * cpu, USDPerHour: USDPerCoreHour * cpu,
		})
	}
	return c
}

// Validate reports an error naming the field that is out of range.
func (t InstanceType) Validate() error {
	switch {
	case math.IsNaN(t.CPU) || math.IsInf(t.CPU, 0) || t.CPU <= 0:
		return fmt.Errorf("%w: %s: CPU = %v, want a finite value > 0", ErrInvalidPrice, t.Name, t.CPU)
	case math.IsNaN(t.MemoryGiB) || math.IsInf(t.MemoryGiB, 0) || t.MemoryGiB < 0:
		return fmt.Errorf("%w: %s: MemoryGiB = %v, want a finite value ≥ 0", ErrInvalidPrice, t.Name, t.MemoryGiB)
	case math.IsNaN(t.USDPerHour) || math.IsInf(t.USDPerHour, 0) || t.USDPerHour < 0:
		return fmt.Errorf("%w: %s: USDPerHour = %v, want a finite value ≥ 0", ErrInvalidPrice, t.Name, t.USDPerHour)
	}
	return nil
}
