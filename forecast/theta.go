package forecast

import (
	"fmt"
	"math"
	"time"
)

// Theta is the Theta method of Assimakopoulos & Nikolopoulos (2000) in the
// form shown by Hyndman & Billah (2003) and used by R forecast's thetaf and
// the M4 benchmarks: simple exponential smoothing (ETS(A,N,N), α by
// maximum likelihood) with a drift of half the least-squares slope b of
// the series on time,
//
//	ŷ_{n+h} = ℓ_n + (b/2) [(h − 1) + (1 − (1−α)^n)/α],
//
// with SES's prediction intervals, σ² (1 + (h−1)α²).
//
// When FitOptions gives a period m ≥ 2, the window holds at least 3m
// positive values and the series is seasonal by the 90% test of the M4
// benchmark code — |r_m| > 1.645 √((1 + 2 Σ_{k<m} r_k²)/n), r_k the
// sample autocorrelation — the series is first divided by the
// multiplicative classical-decomposition indices and the forecasts and
// intervals multiplied back. (The M4 code computes r only up to lag
// 10 log10 n and so never finds a weekly hourly season; here r_m is
// computed for any m.)
//
// Observe updates the SES level, the regression slope (running moments)
// and the seasonal position in O(1) without allocating; the seasonal
// indices stay as fitted. It needs at least 4 observations.
type Theta struct{}

// Name returns "Theta".
func (Theta) Name() string { return "Theta" }

// ThetaModel is a fitted Theta model; it implements Forecaster and is not
// safe for concurrent use.
type ThetaModel struct {
	ses    *ExpSmoother // on the seasonally adjusted series
	season []float64    // multiplicative indices, nil when not seasonal
	pos    int          // index in season of the next observation
	pow    float64      // (1−α)^n
	// running moments of (t, y) for the slope: n, means, co-moments.
	n, mt, my, ctt, cty float64
}

var _ Forecaster = (*ThetaModel)(nil)

// Seasonal reports whether the model adjusts for seasonality.
func (tm *ThetaModel) Seasonal() bool { return tm.season != nil }

// Fit fits the model to train.
func (Theta) Fit(train []float64, o *FitOptions) (Forecaster, error) {
	if err := esCheckFinite(train); err != nil {
		return nil, err
	}
	ps, err := o.Periods()
	if err != nil {
		return nil, err
	}
	if len(train) < 4 {
		return nil, fmt.Errorf("%w: Theta needs 4 points, have %d", ErrTooShort, len(train))
	}
	tm := &ThetaModel{}
	des := train
	if len(ps) > 0 && ps[0] >= 2 && len(train) >= 3*ps[0] && allPositiveValues(train) && m4SeasonalTest(train, ps[0]) {
		m := ps[0]
		d := classicalDecompose(train, m, true)
		tm.season = d.figure
		des = make([]float64, len(train))
		for i, v := range train {
			des[i] = v / d.figure[i%m]
		}
		tm.pos = len(train) % m
	}
	r, err := fitSmoothingCached(des, smoothSpec{err: compA, trend: compN, seas: compN}, &initCache{})
	if err != nil {
		return nil, err
	}
	tm.ses = r.model
	tm.pow = math.Pow(1-tm.ses.p.Alpha, float64(len(des)))
	for _, v := range des {
		tm.addMoment(v)
	}
	return tm, nil
}

func allPositiveValues(y []float64) bool {
	for _, v := range y {
		if v <= 0 {
			return false
		}
	}
	return true
}

// m4SeasonalTest is the M4 benchmarks' 90% autocorrelation test at lag m.
func m4SeasonalTest(y []float64, m int) bool {
	n := len(y)
	mean := 0.0
	for _, v := range y {
		mean += v
	}
	mean /= float64(n)
	den := 0.0
	for _, v := range y {
		den += (v - mean) * (v - mean)
	}
	if den == 0 {
		return false
	}
	acf := func(k int) float64 {
		s := 0.0
		for t := 0; t+k < n; t++ {
			s += (y[t] - mean) * (y[t+k] - mean)
		}
		return s / den
	}
	sum := 1.0
	for k := 1; k < m; k++ {
		r := acf(k)
		sum += 2 * r * r
	}
	lim := 1.645 / math.Sqrt(float64(n)) * math.Sqrt(sum)
	return math.Abs(acf(m)) > lim
}

// addMoment adds (t = n, y) to the running moments (Welford).
func (tm *ThetaModel) addMoment(y float64) {
	t := tm.n
	tm.n++
	dt := t - tm.mt
	dy := y - tm.my
	tm.mt += dt / tm.n
	tm.my += dy / tm.n
	tm.ctt += dt * (t - tm.mt)
	tm.cty += dt * (y - tm.my)
}

// Observe adds the next value; NaN or ±Inf is treated as missing (the
// level advances unchanged, the slope is not updated).
func (tm *ThetaModel) Observe(t time.Time, v float64) {
	if tm.season != nil {
		v /= tm.season[tm.pos]
		tm.pos++
		if tm.pos == len(tm.season) {
			tm.pos = 0
		}
	}
	tm.ses.Observe(t, v)
	tm.pow *= 1 - tm.ses.p.Alpha
	if esFinite(v) {
		tm.addMoment(v)
	}
}

// Forecast writes the h-step forecasts into dst; see Theta.
func (tm *ThetaModel) Forecast(dst []Point, h int) []Point {
	dst = tm.ses.Forecast(dst, h)
	b := 0.0
	if tm.ctt > 0 {
		b = tm.cty / tm.ctt
	}
	a := max(tm.ses.p.Alpha, 1e-10)
	k := (1 - tm.pow) / a
	for i := range dst {
		d := b / 2 * (float64(i) + k)
		p := &dst[i]
		p.Mean += d
		p.Lo80 += d
		p.Hi80 += d
		p.Lo95 += d
		p.Hi95 += d
		if tm.season != nil {
			s := tm.season[(tm.pos+i)%len(tm.season)]
			p.Mean *= s
			p.Lo80 *= s
			p.Hi80 *= s
			p.Lo95 *= s
			p.Hi95 *= s
		}
	}
	return dst
}
