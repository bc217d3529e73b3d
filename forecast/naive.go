package forecast

import (
	"fmt"
	"math"
	"time"
)

// Standard normal quantiles of the central 80% and 95% intervals.
const (
	z80 = 1.2815515655446004
	z95 = 1.959963984540054
)

// checkFinite returns an error wrapping ErrNotFinite when x holds NaN or ±Inf.
func checkFinite(x []float64) error {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: value %v at index %d", ErrNotFinite, v, i)
		}
	}
	return nil
}

// finite reports whether v is neither NaN nor ±Inf.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// point returns the forecast with mean m and a normal prediction interval
// of standard deviation sd.
func point(m, sd float64) Point {
	return Point{
		Mean: m,
		Lo80: m - z80*sd, Hi80: m + z80*sd,
		Lo95: m - z95*sd, Hi95: m + z95*sd,
	}
}

// resize returns dst resliced to length h, reallocated when too small.
func resize(dst []Point, h int) []Point {
	if h < 0 {
		h = 0
	}
	if cap(dst) < h {
		return make([]Point, h)
	}
	return dst[:h]
}

// rms accumulates residuals e and gives their root mean square √(Σe²/n),
// the residual standard deviation of a method with no fitted mean.
type rms struct {
	sum float64
	n   int
}

func (r *rms) add(e float64) { r.sum += e * e; r.n++ }

func (r *rms) sd() float64 {
	if r.n == 0 {
		return 0
	}
	return math.Sqrt(r.sum / float64(r.n))
}

// Naive is the random-walk method ("Naive1" in M4): every forecast is the
// last observation, ŷ_{n+h} = y_n. Prediction intervals are
// ŷ ± z·σ·√h, where σ is the root mean square of the one-step residuals
// y_t − y_{t−1} (Hyndman & Athanasopoulos, fpp3 §5.5). The zero value is
// ready to use.
type Naive struct{}

var _ Method = Naive{}

// Name returns "naive".
func (Naive) Name() string { return "naive" }

// Fit returns the naive forecaster after train. It needs at least one
// point (ErrTooShort) and finite values (ErrNotFinite); o is not used.
func (Naive) Fit(train []float64, _ *FitOptions) (Forecaster, error) {
	if len(train) == 0 {
		return nil, fmt.Errorf("naive: %w: empty series", ErrTooShort)
	}
	if err := checkFinite(train); err != nil {
		return nil, fmt.Errorf("naive: %w", err)
	}
	m := &naiveModel{last: train[0]}
	for _, v := range train[1:] {
		m.Observe(time.Time{}, v)
	}
	return m, nil
}

type naiveModel struct {
	last float64
	res  rms
}

// Observe records v in O(1) without allocating. A value that is not finite
// is taken as missing and ignored.
func (m *naiveModel) Observe(_ time.Time, v float64) {
	if !finite(v) {
		return
	}
	m.res.add(v - m.last)
	m.last = v
}

func (m *naiveModel) Forecast(dst []Point, h int) []Point {
	dst = resize(dst, h)
	sd := m.res.sd()
	for i := range dst {
		dst[i] = point(m.last, sd*math.Sqrt(float64(i+1)))
	}
	return dst
}

// SeasonalNaive forecasts each step with the value one season earlier,
// ŷ_{n+h} = y_{n+h−m(k+1)} with k = ⌊(h−1)/m⌋. Prediction intervals are
// ŷ ± z·σ·√(k+1), where σ is the root mean square of the in-sample
// seasonal differences y_t − y_{t−m} (fpp3 §5.5).
type SeasonalNaive struct {
	// Season is the seasonal period. Zero means the first of the
	// FitOptions' Seasons; with no season at all the method is Naive.
	Season time.Duration
}

var _ Method = SeasonalNaive{}

// Name returns "snaive" followed by the period in steps of an hour when
// Season is set, e.g. "snaive168", and "snaive" otherwise.
func (s SeasonalNaive) Name() string {
	if s.Season > 0 {
		return "snaive" + seasonLabel(s.Season)
	}
	return "snaive"
}

// seasonLabel names a season in whole hours ("24", "168") when it is one,
// and as a duration ("30m0s") otherwise.
func seasonLabel(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprint(int64(d / time.Hour))
	}
	return d.String()
}

// period returns the seasonal period in steps, 0 for none.
func seasonPeriod(season time.Duration, o *FitOptions) (int, error) {
	if season > 0 {
		step := o.StepOrDefault()
		if season%step != 0 {
			return 0, fmt.Errorf("%w: season %v with step %v", ErrInvalidSeason, season, step)
		}
		return int(season / step), nil
	}
	ps, err := o.Periods()
	if err != nil || len(ps) == 0 {
		return 0, err
	}
	return ps[0], nil
}

// Fit returns the seasonal naive forecaster after train. It needs two full
// seasons (ErrTooShort) and finite values (ErrNotFinite).
func (s SeasonalNaive) Fit(train []float64, o *FitOptions) (Forecaster, error) {
	m, err := seasonPeriod(s.Season, o)
	if err != nil {
		return nil, fmt.Errorf("snaive: %w", err)
	}
	if m <= 1 {
		return Naive{}.Fit(train, o)
	}
	if len(train) < 2*m {
		return nil, fmt.Errorf("snaive: %w: %d points for period %d", ErrTooShort, len(train), m)
	}
	if err := checkFinite(train); err != nil {
		return nil, fmt.Errorf("snaive: %w", err)
	}
	f := &seasonalNaiveModel{ring: make([]float64, m)}
	copy(f.ring, train[:m])
	for _, v := range train[m:] {
		f.Observe(time.Time{}, v)
	}
	return f, nil
}

// seasonalNaiveModel keeps the last season in a ring; ring[pos] is the
// value one season before the next observation.
type seasonalNaiveModel struct {
	ring []float64
	pos  int
	res  rms
}

// Observe records v in O(1) without allocating. A value that is not finite
// is taken as missing and replaced by its forecast (the value a season ago).
func (m *seasonalNaiveModel) Observe(_ time.Time, v float64) {
	if finite(v) {
		m.res.add(v - m.ring[m.pos])
		m.ring[m.pos] = v
	}
	m.pos++
	if m.pos == len(m.ring) {
		m.pos = 0
	}
}

func (m *seasonalNaiveModel) Forecast(dst []Point, h int) []Point {
	dst = resize(dst, h)
	p := len(m.ring)
	sd := m.res.sd()
	for i := range dst {
		k := i / p
		dst[i] = point(m.ring[(m.pos+i)%p], sd*math.Sqrt(float64(k+1)))
	}
	return dst
}

// MovingAverage forecasts every step with the mean of the last Window
// observations. Prediction intervals are ŷ ± z·σ·√(1 + (h−1)α²) with
// α = 2/(Window+1), the intervals of simple exponential smoothing with the
// smoothing weight whose mean age matches the window's; σ is the root mean
// square of the one-step residuals y_t − ŷ_t.
type MovingAverage struct {
	Window int // number of observations averaged [24]
}

var _ Method = MovingAverage{}

// Name returns "ma" followed by the window, e.g. "ma24".
func (a MovingAverage) Name() string { return fmt.Sprintf("ma%d", a.window()) }

func (a MovingAverage) window() int {
	if a.Window <= 0 {
		return 24
	}
	return a.Window
}

// Fit returns the moving-average forecaster after train. It needs Window
// points (ErrTooShort) and finite values (ErrNotFinite); o is not used.
func (a MovingAverage) Fit(train []float64, _ *FitOptions) (Forecaster, error) {
	k := a.window()
	if len(train) < k {
		return nil, fmt.Errorf("ma: %w: %d points for window %d", ErrTooShort, len(train), k)
	}
	if err := checkFinite(train); err != nil {
		return nil, fmt.Errorf("ma: %w", err)
	}
	m := &movingAverageModel{ring: make([]float64, k)}
	copy(m.ring, train[:k])
	m.resum()
	for _, v := range train[k:] {
		m.Observe(time.Time{}, v)
	}
	return m, nil
}

// movingAverageModel keeps the window in a ring with its running sum; the
// sum is recomputed every window to keep rounding errors from accumulating.
type movingAverageModel struct {
	ring  []float64
	pos   int // index of the oldest value
	sum   float64
	since int // observations since the sum was recomputed
	res   rms
}

func (m *movingAverageModel) resum() {
	s := 0.0
	for _, v := range m.ring {
		s += v
	}
	m.sum, m.since = s, 0
}

// Observe records v in O(1) amortised time without allocating. A value
// that is not finite is taken as missing and ignored.
func (m *movingAverageModel) Observe(_ time.Time, v float64) {
	if !finite(v) {
		return
	}
	k := len(m.ring)
	m.res.add(v - m.sum/float64(k))
	m.sum += v - m.ring[m.pos]
	m.ring[m.pos] = v
	m.pos++
	if m.pos == k {
		m.pos = 0
	}
	m.since++
	if m.since == k {
		m.resum()
	}
}

func (m *movingAverageModel) Forecast(dst []Point, h int) []Point {
	dst = resize(dst, h)
	k := float64(len(m.ring))
	mean := m.sum / k
	a := 2 / (k + 1)
	sd := m.res.sd()
	for i := range dst {
		dst[i] = point(mean, sd*math.Sqrt(1+float64(i)*a*a))
	}
	return dst
}

// SeasonalMean forecasts each step with the mean of the values at the same
// phase of the last Cycles seasons, ŷ_{n+h} = (1/K) Σ_{k=1..K} y_{n+h−k·m}
// for h ≤ m, repeated with period m beyond. It is the seasonal naive
// method with the noise of one season averaged away. Intervals are
// ŷ ± z·σ·√(⌊(h−1)/m⌋+1), with σ the root mean square of the in-sample
// one-step errors y_t − ŷ_t.
type SeasonalMean struct {
	// Season is the seasonal period; zero means the first of the
	// FitOptions' Seasons (with none, the method is a moving average of
	// Cycles points).
	Season time.Duration
	Cycles int // seasons averaged [2]
}

var _ Method = SeasonalMean{}

// Name returns "smean" followed by the period in hours and the number of
// cycles, e.g. "smean168x2", or "smean" with no Season and 2 cycles.
func (s SeasonalMean) Name() string {
	if s.Season == 0 && s.cycles() == 2 {
		return "smean"
	}
	return fmt.Sprintf("smean%sx%d", seasonLabel(s.Season), s.cycles())
}

func (s SeasonalMean) cycles() int {
	if s.Cycles <= 0 {
		return 2
	}
	return s.Cycles
}

// Fit needs Cycles+1 full seasons (ErrTooShort) and finite values
// (ErrNotFinite).
func (s SeasonalMean) Fit(train []float64, o *FitOptions) (Forecaster, error) {
	m, err := seasonPeriod(s.Season, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name(), err)
	}
	k := s.cycles()
	if m <= 1 {
		return MovingAverage{Window: k}.Fit(train, o)
	}
	if len(train) < (k+1)*m {
		return nil, fmt.Errorf("%s: %w: %d points for %d cycles of %d", s.Name(), ErrTooShort, len(train), k+1, m)
	}
	if err := checkFinite(train); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name(), err)
	}
	f := &seasonalMeanModel{ring: make([]float64, k*m), m: m}
	copy(f.ring, train[:k*m])
	for _, v := range train[k*m:] {
		f.Observe(time.Time{}, v)
	}
	return f, nil
}

// seasonalMeanModel keeps the last K seasons in a ring; ring[pos] is the
// oldest value, K seasons before the next observation.
type seasonalMeanModel struct {
	ring []float64
	pos  int
	m    int
	res  rms
}

func (f *seasonalMeanModel) mean(j int) float64 {
	// mean of the values at phase j (0 = the next step) of each stored season
	s := 0.0
	k := len(f.ring) / f.m
	for c := range k {
		s += f.ring[(f.pos+j+c*f.m)%len(f.ring)]
	}
	return s / float64(k)
}

// Observe records v in O(Cycles) without allocating; a value that is not
// finite is replaced by its forecast.
func (f *seasonalMeanModel) Observe(_ time.Time, v float64) {
	mu := f.mean(0)
	if finite(v) {
		f.res.add(v - mu)
	} else {
		v = mu
	}
	f.ring[f.pos] = v
	f.pos++
	if f.pos == len(f.ring) {
		f.pos = 0
	}
}

func (f *seasonalMeanModel) Forecast(dst []Point, h int) []Point {
	dst = resize(dst, h)
	sd := f.res.sd()
	for i := range dst {
		k := i / f.m
		dst[i] = point(f.mean(i%f.m), sd*math.Sqrt(float64(k+1)))
	}
	return dst
}

// Drift is the naive method with drift (fpp3 §5.2): the line through the
// first and last observations extended, ŷ_{n+h} = y_n + h·(y_n − y_1)/(n−1).
// Intervals are ŷ ± z·σ·√(h(1 + h/(n−1))), with σ the root mean square of
// the one-step residuals y_t − y_{t−1} − (y_n − y_1)/(n−1).
type Drift struct{}

var _ Method = Drift{}

// Name returns "drift".
func (Drift) Name() string { return "drift" }

// Fit needs two points (ErrTooShort) and finite values (ErrNotFinite).
func (Drift) Fit(train []float64, _ *FitOptions) (Forecaster, error) {
	if len(train) < 2 {
		return nil, fmt.Errorf("drift: %w: %d points", ErrTooShort, len(train))
	}
	if err := checkFinite(train); err != nil {
		return nil, fmt.Errorf("drift: %w", err)
	}
	m := &driftModel{first: train[0], last: train[0], n: 1}
	for _, v := range train[1:] {
		m.Observe(time.Time{}, v)
	}
	return m, nil
}

// driftModel keeps the first and last values, the count and the sums of
// the differences needed for the residual variance.
type driftModel struct {
	first, last float64
	n           int
	sd, sd2     float64 // Σ d and Σ d² of the differences d_t = y_t − y_{t−1}
}

// Observe records v in O(1) without allocating; a value that is not finite
// is ignored.
func (m *driftModel) Observe(_ time.Time, v float64) {
	if !finite(v) {
		return
	}
	d := v - m.last
	m.sd += d
	m.sd2 += d * d
	m.last = v
	m.n++
}

func (m *driftModel) Forecast(dst []Point, h int) []Point {
	dst = resize(dst, h)
	var b, sigma float64
	if k := float64(m.n - 1); k > 0 {
		b = (m.last - m.first) / k
		// Σ (d − b)² = Σd² − 2bΣd + k b², with Σd = k b.
		if v := (m.sd2 - b*m.sd) / k; v > 0 {
			sigma = math.Sqrt(v)
		}
	}
	T := float64(max(m.n-1, 1))
	for i := range dst {
		hh := float64(i + 1)
		dst[i] = point(m.last+hh*b, sigma*math.Sqrt(hh*(1+hh/T)))
	}
	return dst
}
