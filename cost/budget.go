package cost

import (
	"fmt"
	"math"
	"slices"
)

// Budget caps spending. A zero or negative field means no limit.
type Budget struct {
	PerHour float64 `json:"per_hour"` // most to spend in any one hour, USD
	PerRun  float64 `json:"per_run"`  // most to spend over the whole run, USD
}

// Fit says whether a charge fits a Budget and why.
type Fit struct {
	OK        bool    // the charge fits both limits
	Remaining float64 // USD left under the tighter limit before the charge; +Inf when unlimited
	Limit     string  // the tighter limit: "per_hour", "per_run", or "" when unlimited
}

// Fits says whether a charge of usd fits, given what was spent in the
// current hour and over the run so far. A negative or NaN charge never fits.
func (b Budget) Fits(usd, spentThisHour, spentThisRun float64) Fit {
	f := Fit{Remaining: math.Inf(1)}
	if b.PerHour > 0 {
		f.Remaining, f.Limit = b.PerHour-spentThisHour, "per_hour"
	}
	if b.PerRun > 0 && b.PerRun-spentThisRun < f.Remaining {
		f.Remaining, f.Limit = b.PerRun-spentThisRun, "per_run"
	}
	f.OK = usd >= 0 && usd <= f.Remaining+1e-9
	return f
}

// Class is a kind of spending reported separately.
type Class string

// The classes in summary.json's spend_breakdown_usd.
const (
	Classical Class = "classical"
	Quantum   Class = "quantum"
)

// Ledger accumulates charges by class. Each class is summed in the order
// of its charges, so equal inputs give bit-equal totals. The zero value is
// empty and ready; it is not safe for concurrent use.
type Ledger struct {
	classes []Class   // sorted
	totals  []float64 // parallel to classes
}

// Add charges usd to class c. A negative, NaN or infinite charge is an
// error wrapping ErrInvalidPrice and is not recorded.
func (l *Ledger) Add(c Class, usd float64) error {
	if err := checkUSD(usd); err != nil {
		return fmt.Errorf("%s charge: %w", c, err)
	}
	i, ok := slices.BinarySearch(l.classes, c)
	if !ok {
		l.classes = slices.Insert(l.classes, i, c)
		l.totals = slices.Insert(l.totals, i, 0)
	}
	l.totals[i] += usd
	return nil
}

// Spent returns the total charged to class c.
func (l *Ledger) Spent(c Class) float64 {
	if i, ok := slices.BinarySearch(l.classes, c); ok {
		return l.totals[i]
	}
	return 0
}

// Total returns all charges, summed in class-name order.
func (l *Ledger) Total() float64 {
	var t float64
	for _, v := range l.totals {
		t += v
	}
	return t
}

// Classes returns the classes charged so far, sorted.
func (l *Ledger) Classes() []Class { return slices.Clone(l.classes) }

// Breakdown returns the spend per class for summary.json's
// spend_breakdown_usd. "classical" and "quantum" are always present, zero
// when nothing was charged; encoding/json writes map keys sorted.
func (l *Ledger) Breakdown() map[string]float64 {
	m := map[string]float64{string(Classical): 0, string(Quantum): 0}
	for i, c := range l.classes {
		m[string(c)] = l.totals[i]
	}
	return m
}
