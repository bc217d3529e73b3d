package forecast

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// MSTL forecasts a series with several seasonal periods (e.g. daily 24 and
// weekly 168 for hourly data) by decomposing it with MSTL (Bandara,
// Hyndman & Bergmeir 2021, "MSTL: A Seasonal-Trend Decomposition Algorithm
// for Time Series with Multiple Seasonal Patterns"), as R's forecast::mstl
// does:
//
//	y_t = T_t + S¹_t + … + Sᵏ_t + R_t,
//
// with the seasonal components S^i estimated by STL (Cleveland et al. 1990,
// see stl.go), iterated over the periods in increasing order, and the
// seasonally adjusted series A_t = T_t + R_t. The forecast is that of the
// Adjusted method on A plus, for each component, the seasonal naive
// forecast of S^i (its last period repeated), as R's stlf/forecast.mstl do.
// Prediction intervals are those of the Adjusted method, shifted by the
// seasonal forecast.
//
// Periods with fewer than two full cycles in the training window are
// dropped (as in R); with none left the Adjusted method is fitted to the
// series itself.
type MSTL struct {
	// Seasons are the seasonal periods; nil means those of FitOptions.
	Seasons []time.Duration
	// Shortest keeps only the shortest of the periods (STL).
	Shortest bool
	// Adjusted forecasts the seasonally adjusted series. nil means simple
	// exponential smoothing with α and the initial level fitted by least
	// squares (see LevelSES).
	Adjusted Method
	// Iterations of the outer MSTL loop [2].
	Iterations int
	// SWindow is the seasonal loess window of the i-th period (in
	// increasing order of period), in cycles. Zero means R's default
	// 7 + 4(i+1): 11, 15, 19, ….
	SWindow []int
	// Robust uses STL's robustness iterations (15 outer, 1 inner) instead
	// of 2 inner iterations without robustness weights.
	Robust bool
	// Label, when set, is returned by Name.
	Label string
}

var _ Method = MSTL{}

// Name returns Label, or "mstl" followed by the adjusted method's name.
func (m MSTL) Name() string {
	if m.Label != "" {
		return m.Label
	}
	if m.Adjusted == nil {
		return "mstl"
	}
	return "mstl-" + m.Adjusted.Name()
}

func (m MSTL) adjusted() Method {
	if m.Adjusted == nil {
		return LevelSES{}
	}
	return m.Adjusted
}

// Decomposition is the result of Decompose: the series is
// Trend + Σ Seasonal[i] + Remainder.
type Decomposition struct {
	Periods   []int       // seasonal periods, increasing, in steps
	Seasonal  [][]float64 // one component per period
	Trend     []float64
	Remainder []float64
}

// Adjusted returns the seasonally adjusted series Trend + Remainder.
func (d Decomposition) Adjusted() []float64 {
	a := make([]float64, len(d.Trend))
	for i := range a {
		a[i] = d.Trend[i] + d.Remainder[i]
	}
	return a
}

// Decompose runs MSTL on x with the given periods (in steps). Periods
// below 2 or with fewer than two full cycles in x are dropped; with none
// left, Trend is x and Remainder zero. x must be finite.
func (m MSTL) Decompose(x []float64, periods []int) Decomposition {
	n := len(x)
	var ps []int
	for _, p := range periods {
		if p >= 2 && 2*p < n && !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	d := Decomposition{Periods: ps, Trend: make([]float64, n), Remainder: make([]float64, n)}
	if len(ps) == 0 {
		copy(d.Trend, x)
		return d
	}
	iter := m.Iterations
	if iter <= 0 {
		iter = 2
	}
	if len(ps) == 1 {
		iter = 1
	}
	deseas := slices.Clone(x)
	d.Seasonal = make([][]float64, len(ps))
	for i := range ps {
		d.Seasonal[i] = make([]float64, n)
	}
	var w stlWork
	for range iter {
		for i, p := range ps {
			s := d.Seasonal[i]
			for t := range deseas {
				deseas[t] += s[t]
			}
			sw := 7 + 4*(i+1)
			if i < len(m.SWindow) && m.SWindow[i] > 0 {
				sw = m.SWindow[i]
			}
			stl(deseas, newSTLParams(p, sw, m.Robust), s, d.Trend, &w)
			for t := range deseas {
				deseas[t] -= s[t]
			}
		}
	}
	for t := range deseas {
		d.Remainder[t] = deseas[t] - d.Trend[t]
	}
	return d
}

// Fit decomposes train and fits the Adjusted method to the seasonally
// adjusted series. Errors: ErrInvalidSeason, ErrNotFinite, and those of
// the Adjusted method.
func (m MSTL) Fit(train []float64, o *FitOptions) (Forecaster, error) {
	var periods []int
	if m.Seasons != nil {
		for _, s := range m.Seasons {
			p, err := seasonPeriod(s, o)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m.Name(), err)
			}
			periods = append(periods, p)
		}
	} else {
		var err error
		if periods, err = o.Periods(); err != nil {
			return nil, fmt.Errorf("%s: %w", m.Name(), err)
		}
	}
	if m.Shortest && len(periods) > 1 {
		periods = []int{slices.Min(periods)}
	}
	if err := checkFinite(train); err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name(), err)
	}
	d := m.Decompose(train, periods)
	adj, err := m.adjusted().Fit(d.Adjusted(), o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name(), err)
	}
	f := &mstlModel{adj: adj}
	for i, p := range d.Periods {
		f.last = append(f.last, slices.Clone(d.Seasonal[i][len(train)-p:]))
	}
	return f, nil
}

// mstlModel forecasts the seasonal components by their last period:
// last[i] is component i over the last p_i steps of the training window,
// so its value k steps after the window's end is last[i][k mod p_i].
type mstlModel struct {
	adj  Forecaster
	last [][]float64
	k    int // observations since the end of the training window
}

func (f *mstlModel) seasonal(k int) float64 {
	s := 0.0
	for _, l := range f.last {
		p := len(l)
		s += l[k%p]
	}
	return s
}

// Observe removes the forecast seasonal components from v and passes the
// adjusted value to the adjusted model. The seasonal components are not
// re-estimated: refit to update them.
func (f *mstlModel) Observe(t time.Time, v float64) {
	f.adj.Observe(t, v-f.seasonal(f.k))
	f.k++
}

func (f *mstlModel) Forecast(dst []Point, h int) []Point {
	dst = f.adj.Forecast(dst, h)
	for i := range dst {
		s := f.seasonal(f.k + i)
		dst[i].Mean += s
		dst[i].Lo80 += s
		dst[i].Hi80 += s
		dst[i].Lo95 += s
		dst[i].Hi95 += s
	}
	return dst
}

// LevelSES is simple exponential smoothing, ŷ_{t+1} = ℓ_t,
// ℓ_t = ℓ_{t−1} + α(y_t − ℓ_{t−1}), with α ∈ [10⁻⁴, 1] and ℓ_0 chosen to
// minimise the in-sample sum of squared one-step errors (golden-section
// search on α, ℓ_0 solved exactly for each α since the errors are linear
// in it). Intervals: ŷ ± z·σ·√(1 + (h−1)α²) with σ² the mean squared
// one-step error. It is the default model of MSTL's adjusted series; the
// package's SES, when present, is the full ETS(A,N,N) model.
type LevelSES struct{}

var _ Method = LevelSES{}

// Name returns "ses-ls".
func (LevelSES) Name() string { return "ses-ls" }

// Fit needs one point (ErrTooShort) and finite values (ErrNotFinite).
func (LevelSES) Fit(train []float64, _ *FitOptions) (Forecaster, error) {
	if len(train) == 0 {
		return nil, fmt.Errorf("ses-ls: %w: empty series", ErrTooShort)
	}
	if err := checkFinite(train); err != nil {
		return nil, fmt.Errorf("ses-ls: %w", err)
	}
	// The one-step error e_t = y_t − ℓ_{t−1} with ℓ_{t−1} = a_t + c_t ℓ_0,
	// c_t = (1−α)^t, so SSE(ℓ_0) is quadratic: solve it.
	sse := func(alpha float64) (float64, float64) {
		// Run with ℓ_0 = 0 and track c.
		var a, c = 0.0, 1.0
		var sxx, sxy, syy float64
		for _, y := range train {
			r := y - a // e = r − c ℓ_0
			sxx += c * c
			sxy += c * r
			syy += r * r
			a += alpha * r
			c *= 1 - alpha
		}
		l0 := sxy / sxx
		return syy - 2*l0*sxy + l0*l0*sxx, l0
	}
	alpha := golden(func(a float64) float64 { s, _ := sse(a); return s }, 1e-4, 1, 1e-5)
	_, l0 := sse(alpha)
	m := &sesModel{alpha: alpha, level: l0}
	for _, y := range train {
		m.Observe(time.Time{}, y)
	}
	return m, nil
}

type sesModel struct {
	alpha, level float64
	res          rms
}

// Observe updates the level in O(1) without allocating; a value that is
// not finite is ignored.
func (m *sesModel) Observe(_ time.Time, v float64) {
	if !finite(v) {
		return
	}
	e := v - m.level
	m.res.add(e)
	m.level += m.alpha * e
}

func (m *sesModel) Forecast(dst []Point, h int) []Point {
	dst = resize(dst, h)
	sd := m.res.sd()
	for i := range dst {
		dst[i] = point(m.level, sd*math.Sqrt(1+float64(i)*m.alpha*m.alpha))
	}
	return dst
}

// golden minimises f on [a, b] by golden-section search to tolerance tol.
func golden(f func(float64) float64, a, b, tol float64) float64 {
	const g = 0.6180339887498949
	c := b - g*(b-a)
	d := a + g*(b-a)
	fc, fd := f(c), f(d)
	for b-a > tol {
		if fc <= fd {
			b, d, fd = d, c, fc
			c = b - g*(b-a)
			fc = f(c)
		} else {
			a, c, fc = c, d, fd
			d = a + g*(b-a)
			fd = f(d)
		}
	}
	best, fb := (a+b)/2, f((a+b)/2)
	for _, x := range []float64{a, b, c, d} {
		if v := f(x); v < fb {
			best, fb = x, v
		}
	}
	return best
}

// LevelDamped is additive damped-trend exponential smoothing (Gardner &
// McKenzie 1985) in error-correction form: with the one-step error
// e_t = y_t − ℓ_{t−1} − φ b_{t−1},
//
//	ℓ_t = ℓ_{t−1} + φ b_{t−1} + α e_t,   b_t = φ b_{t−1} + β e_t,
//	ŷ_{n+h} = ℓ_n + (φ + … + φ^h) b_n.
//
// α ∈ [10⁻⁴, 1], β ∈ [0, α] and φ ∈ [0.8, 0.98] minimise the in-sample sum
// of squared one-step errors (Nelder–Mead, one start, at most 200
// iterations); ℓ_0 and b_0 are the intercept and slope of a line fitted to
// the first ten points. Intervals use σ, the root mean square one-step
// error, with the ETS(A,Ad,N) variance σ²[1 + Σ_{j=1}^{h−1} (α + β Σ_{i=1}^{j} φ^i)²].
// The package's Holt{Damped: true} is the maximum-likelihood ETS(A,Ad,N);
// this cheaper variant is the one MSTL and Auto use.
type LevelDamped struct{}

var _ Method = LevelDamped{}

// Name returns "damped-ls".
func (LevelDamped) Name() string { return "damped-ls" }

// Fit needs three points (ErrTooShort) and finite values (ErrNotFinite).
func (LevelDamped) Fit(train []float64, _ *FitOptions) (Forecaster, error) {
	if len(train) < 3 {
		return nil, fmt.Errorf("damped-ls: %w: %d points", ErrTooShort, len(train))
	}
	if err := checkFinite(train); err != nil {
		return nil, fmt.Errorf("damped-ls: %w", err)
	}
	k := min(10, len(train))
	var sx, sy, sxx, sxy float64
	for i := range k {
		x := float64(i + 1)
		sx += x
		sy += train[i]
		sxx += x * x
		sxy += x * train[i]
	}
	fk := float64(k)
	b0 := (fk*sxy - sx*sy) / (fk*sxx - sx*sx)
	l0 := (sy - b0*sx) / fk
	clamp := func(p []float64) (a, b, phi float64) {
		a = math.Min(math.Max(p[0], 1e-4), 1)
		b = math.Min(math.Max(p[1], 0), a)
		phi = math.Min(math.Max(p[2], 0.8), 0.98)
		return
	}
	sse := func(p []float64) float64 {
		a, b, phi := clamp(p)
		l, t := l0, b0
		s := 0.0
		for _, y := range train {
			e := y - l - phi*t
			s += e * e
			l += phi*t + a*e
			t = phi*t + b*e
		}
		// penalise leaving the box so the simplex stays inside
		pen := 0.0
		for i, lo := range []float64{1e-4, 0, 0.8} {
			hi := []float64{1, p[0], 0.98}[i]
			if p[i] < lo {
				pen += lo - p[i]
			}
			if p[i] > hi {
				pen += p[i] - hi
			}
		}
		return s * (1 + pen)
	}
	best := []float64{0.5, 0.05, 0.9}
	bv := math.Inf(1)
	for _, x0 := range [][]float64{{0.5, 0.05, 0.9}} {
		x, v := simplexMin(sse, x0, 200)
		if v < bv {
			best, bv = x, v
		}
	}
	a, b, phi := clamp(best)
	m := &dampedModel{alpha: a, beta: b, phi: phi, level: l0, trend: b0}
	for _, y := range train {
		m.Observe(time.Time{}, y)
	}
	return m, nil
}

type dampedModel struct {
	alpha, beta, phi float64
	level, trend     float64
	res              rms
}

// Observe updates level and trend in O(1) without allocating; a value that
// is not finite is ignored.
func (m *dampedModel) Observe(_ time.Time, v float64) {
	if !finite(v) {
		return
	}
	e := v - m.level - m.phi*m.trend
	m.res.add(e)
	m.level += m.phi*m.trend + m.alpha*e
	m.trend = m.phi*m.trend + m.beta*e
}

func (m *dampedModel) Forecast(dst []Point, h int) []Point {
	dst = resize(dst, h)
	sd := m.res.sd()
	phiSum, phiJ := 0.0, 1.0 // Σ_{j=1..h} φ^j
	varSum := 1.0
	for i := range dst {
		phiJ *= m.phi
		phiSum += phiJ
		dst[i] = point(m.level+phiSum*m.trend, sd*math.Sqrt(varSum))
		c := m.alpha + m.beta*phiSum
		varSum += c * c
	}
	return dst
}

// simplexMin minimises f from x0 with the Nelder–Mead simplex method
// (standard coefficients 1, 2, ½, ½), for at most iters iterations. It is
// deterministic.
func simplexMin(f func([]float64) float64, x0 []float64, iters int) ([]float64, float64) {
	n := len(x0)
	pts := make([][]float64, n+1)
	vals := make([]float64, n+1)
	for i := range pts {
		pts[i] = slices.Clone(x0)
		if i > 0 {
			d := 0.1 * math.Abs(x0[i-1])
			if d == 0 {
				d = 0.05
			}
			pts[i][i-1] += d
		}
		vals[i] = f(pts[i])
	}
	c := make([]float64, n)
	tr := func(t float64, w []float64) []float64 {
		// point c + t (w − c)
		p := make([]float64, n)
		for j := range p {
			p[j] = c[j] + t*(w[j]-c[j])
		}
		return p
	}
	idx := make([]int, n+1)
	for range iters {
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case vals[a] < vals[b]:
				return -1
			case vals[a] > vals[b]:
				return 1
			}
			return 0
		})
		ps, vs := make([][]float64, n+1), make([]float64, n+1)
		for i, k := range idx {
			ps[i], vs[i] = pts[k], vals[k]
		}
		pts, vals = ps, vs
		if vals[n]-vals[0] <= 1e-8*(math.Abs(vals[0])+1e-20) {
			break
		}
		for j := range c {
			c[j] = 0
			for i := range n {
				c[j] += pts[i][j] / float64(n)
			}
		}
		r := tr(-1, pts[n])
		fr := f(r)
		switch {
		case fr < vals[0]:
			e := tr(-2, pts[n])
			if fe := f(e); fe < fr {
				pts[n], vals[n] = e, fe
			} else {
				pts[n], vals[n] = r, fr
			}
		case fr < vals[n-1]:
			pts[n], vals[n] = r, fr
		default:
			var k []float64
			if fr < vals[n] {
				k = tr(-0.5, pts[n])
			} else {
				k = tr(0.5, pts[n])
			}
			if fk := f(k); fk < math.Min(fr, vals[n]) {
				pts[n], vals[n] = k, fk
			} else {
				for i := 1; i <= n; i++ {
					for j := range pts[i] {
						pts[i][j] = pts[0][j] + 0.5*(pts[i][j]-pts[0][j])
					}
					vals[i] = f(pts[i])
				}
			}
		}
	}
	bi := 0
	for i := range vals {
		if vals[i] < vals[bi] {
			bi = i
		}
	}
	return pts[bi], vals[bi]
}
