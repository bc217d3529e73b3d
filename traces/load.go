package traces

import (
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// PCG stream numbers, one per random component of this package, so that
// generators given the same seed still draw independent streams.
const (
	streamLoadNoise  = 1
	streamArrivals   = 2
	streamModulation = 3
	streamAttributes = 4
	streamBackends   = 5
	streamCircuits   = 6
)

// LoadOptions configure a synthetic load trace (see the package
// documentation for the equations). Zero values mean the documented
// defaults.
type LoadOptions struct {
	// Start is the time of the first row; the daily and weekly cycles
	// follow the wall clock of Start's location. Zero means the Unix epoch
	// in UTC.
	Start time.Time
	// Step is the spacing of rows. Zero means one minute.
	Step time.Duration
	// Length is the span of the trace: rows are at Start + k·Step for
	// 0 ≤ k·Step < Length. Zero means 24 hours.
	Length time.Duration
	// Column is the name of the single value column. Empty means
	// "requests_per_second".
	Column string
	// Base is the mean level before seasonality, trend and flash crowds, in
	// the units of the column (for example req/s). Zero gives an all-zero
	// series.
	Base float64
	// DailyAmplitude is the relative amplitude of the daily cycle, in
	// [0, 1]: 0.5 means ±50%, peaking at 15:00 and bottoming at 03:00 local
	// time.
	DailyAmplitude float64
	// WeeklyAmplitude is the relative weekend dip, in [0, 1]: 0.2 means
	// Saturdays and Sundays (local time) carry 20% less load.
	WeeklyAmplitude float64
	// Trend is the relative growth per day, compounded: the level after d
	// days is multiplied by (1+Trend)^d. Must be greater than -1.
	Trend float64
	// Noise is the relative standard deviation of the multiplicative noise
	// (a mean-one log-normal AR(1) factor), ≥ 0. Zero means no noise.
	Noise float64
	// NoiseCorrelation is the correlation time τ of the noise: successive
	// rows Step apart correlate with coefficient exp(-Step/τ). Zero means
	// five minutes; a τ much shorter than Step gives independent noise.
	NoiseCorrelation time.Duration
	// FlashCrowds are transient surges multiplied onto the level.
	FlashCrowds []FlashCrowd
	// Seed selects the noise; the same options and seed give the same
	// trace bit for bit.
	Seed uint64
}

// FlashCrowd is a transient surge: the load rises linearly from its normal
// level to Factor times that level over Rise, then decays back
// exponentially with time constant Decay.
type FlashCrowd struct {
	// At is when the surge starts, as an offset from LoadOptions.Start.
	At time.Duration
	// Factor is the multiplier at the peak (> 0); 3 means three times the
	// normal load. A Factor below 1 makes a dip instead.
	Factor float64
	// Rise is the time from start to peak (≥ 0; zero jumps at once).
	Rise time.Duration
	// Decay is the exponential time constant of the return to normal
	// (> 0): one Decay after the peak, (Factor-1)/e of the excess remains.
	Decay time.Duration
}

// DefaultLoadColumn is the column name of a Load when LoadOptions.Column is
// empty.
const DefaultLoadColumn = "requests_per_second"

// Load is a synthetic load trace, generated row by row in constant memory.
// It implements Reader. A Load is not safe for concurrent use, except for
// Rate, which only reads the options.
type Load struct {
	opts    LoadOptions
	columns []string
	n, k    int64 // rows in all, rows emitted
	rng     *rand.Rand
	sigma   float64 // sd of the log-noise
	phi     float64 // AR(1) coefficient
	x       float64 // AR(1) state
	closed  bool
}

var _ Reader = (*Load)(nil)

// NewLoad validates opts, applies the defaults and returns the generator.
// Errors wrap ErrInvalidOption and name the offending field.
func NewLoad(opts LoadOptions) (*Load, error) {
	o := opts
	if o.Start.IsZero() {
		o.Start = time.Unix(0, 0).UTC()
	}
	if o.Step == 0 {
		o.Step = time.Minute
	}
	if o.Length == 0 {
		o.Length = 24 * time.Hour
	}
	if o.Column == "" {
		o.Column = DefaultLoadColumn
	}
	if o.NoiseCorrelation == 0 {
		o.NoiseCorrelation = 5 * time.Minute
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case o.Step < 0:
		return nil, optionError("LoadOptions.Step", o.Step, "must be > 0")
	case o.Length < 0:
		return nil, optionError("LoadOptions.Length", o.Length, "must be > 0")
	case o.Column == timeColumnName:
		return nil, optionError("LoadOptions.Column", o.Column, "clashes with the timestamp column")
	case !finite(o.Base) || o.Base < 0:
		return nil, optionError("LoadOptions.Base", o.Base, "must be finite and ≥ 0")
	case !finite(o.DailyAmplitude) || o.DailyAmplitude < 0 || o.DailyAmplitude > 1:
		return nil, optionError("LoadOptions.DailyAmplitude", o.DailyAmplitude, "must be in [0, 1]")
	case !finite(o.WeeklyAmplitude) || o.WeeklyAmplitude < 0 || o.WeeklyAmplitude > 1:
		return nil, optionError("LoadOptions.WeeklyAmplitude", o.WeeklyAmplitude, "must be in [0, 1]")
	case !finite(o.Trend) || o.Trend <= -1:
		return nil, optionError("LoadOptions.Trend", o.Trend, "must be finite and > -1")
	case !finite(o.Noise) || o.Noise < 0:
		return nil, optionError("LoadOptions.Noise", o.Noise, "must be finite and ≥ 0")
	case o.NoiseCorrelation < 0:
		return nil, optionError("LoadOptions.NoiseCorrelation", o.NoiseCorrelation, "must be ≥ 0")
	case o.Start.Before(minTime) || o.Start.After(maxTime):
		return nil, optionError("LoadOptions.Start", o.Start, "must be in years 0000-9999")
	}
	for i, fc := range o.FlashCrowds {
		field := func(name string) string { return "LoadOptions.FlashCrowds[" + strconv.Itoa(i) + "]." + name }
		switch {
		case !finite(fc.Factor) || fc.Factor <= 0:
			return nil, optionError(field("Factor"), fc.Factor, "must be finite and > 0")
		case fc.Rise < 0:
			return nil, optionError(field("Rise"), fc.Rise, "must be ≥ 0")
		case fc.Decay <= 0:
			return nil, optionError(field("Decay"), fc.Decay, "must be > 0")
		}
	}
	o.FlashCrowds = append([]FlashCrowd(nil), o.FlashCrowds...)
	n := int64(o.Length / o.Step)
	if o.Length%o.Step != 0 {
		n++
	}
	if end := o.Start.Add(time.Duration(n-1) * o.Step); end.After(maxTime) {
		return nil, optionError("LoadOptions.Length", o.Length, "runs past year 9999")
	}
	l := &Load{
		opts:    o,
		columns: []string{o.Column},
		n:       n,
		rng:     rand.New(rand.NewPCG(o.Seed, streamLoadNoise)),
		sigma:   math.Sqrt(math.Log1p(o.Noise * o.Noise)),
		phi:     math.Exp(-float64(o.Step) / float64(o.NoiseCorrelation)),
	}
	return l, nil
}

// Options returns the options with defaults applied.
func (l *Load) Options() LoadOptions { return l.opts }

// Len returns the number of rows the Load yields in all.
func (l *Load) Len() int { return int(l.n) }

// Columns returns the single value column.
func (l *Load) Columns() []string { return l.columns }

// Next fills row with the next sample: Rate(t) times the noise factor.
// It returns io.EOF after Len rows.
func (l *Load) Next(row *Row) error {
	if l.closed {
		return ErrClosed
	}
	if l.k >= l.n {
		return io.EOF
	}
	t := l.opts.Start.Add(time.Duration(l.k) * l.opts.Step)
	v := l.Rate(t)
	if l.sigma > 0 {
		if l.k == 0 {
			l.x = l.rng.NormFloat64()
		} else {
			l.x = l.phi*l.x + math.Sqrt(1-l.phi*l.phi)*l.rng.NormFloat64()
		}
		v *= math.Exp(l.sigma*l.x - l.sigma*l.sigma/2)
	}
	row.Time = t
	row.Values = resize(row.Values, 1)
	row.Values[0] = v
	l.k++
	return nil
}

// Close ends the stream; later calls to Next return ErrClosed.
func (l *Load) Close() error {
	l.closed = true
	return nil
}

// Rate returns the noise-free mean level at t, in the units of the column:
//
//	Base · D(t) · W(t) · T(t) · F(t)
//
// with the factors defined in the package documentation. It is the
// expectation of the value Next yields at t.
func (l *Load) Rate(t time.Time) float64 {
	o := &l.opts
	local := t.In(o.Start.Location())
	hour := float64(local.Hour()) + float64(local.Minute())/60 +
		(float64(local.Second())+float64(local.Nanosecond())/1e9)/3600
	daily := 1 + o.DailyAmplitude*math.Cos(2*math.Pi*(hour-peakHour)/24)
	weekly := 1.0
	if wd := local.Weekday(); wd == time.Saturday || wd == time.Sunday {
		weekly = 1 - o.WeeklyAmplitude
	}
	since := t.Sub(o.Start)
	trend := 1.0
	if o.Trend != 0 {
		trend = math.Exp(since.Hours() / 24 * math.Log1p(o.Trend))
	}
	flash := 1.0
	for _, fc := range o.FlashCrowds {
		flash += (fc.Factor - 1) * fc.shape(since-fc.At)
	}
	flash = max(flash, 0)
	return o.Base * daily * weekly * trend * flash
}

// peakHour is the local hour of the daily maximum.
const peakHour = 15

// shape is the flash-crowd profile g(τ): 0 before the start, a linear rise
// to 1 at τ = Rise, then exp(-(τ-Rise)/Decay).
func (fc FlashCrowd) shape(tau time.Duration) float64 {
	switch {
	case tau < 0:
		return 0
	case tau < fc.Rise:
		return float64(tau) / float64(fc.Rise)
	}
	return math.Exp(-float64(tau-fc.Rise) / float64(fc.Decay))
}
