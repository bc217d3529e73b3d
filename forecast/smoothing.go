package forecast

import (
	"fmt"
	"math"
	"time"
)

// This file holds the exponential-smoothing engine shared by SES, Holt,
// HoltWinters and ETS, and the SES and Holt methods.
//
// Every model is written in the innovations (error-correction) form of
// Hyndman et al. (2008, ch. 2). With level ℓ, trend b, damping φ (φ = 1
// when undamped; b ≡ 0 when there is no trend), seasonal state s for the
// current step (s ≡ 0 additive / 1 multiplicative when non-seasonal) and
// smoothing parameters α, β, γ:
//
//	μ_t = (ℓ_{t-1} + φ b_{t-1}) ⊕ s_{t-m}        one-step mean, ⊕ = + or ×
//	e_t = y_t − μ_t                                one-step error
//	additive season:        ℓ_t = ℓ_{t-1} + φb_{t-1} + α e_t
//	                        b_t = φ b_{t-1} + β e_t
//	                        s_t = s_{t-m} + γ e_t
//	multiplicative season:  ℓ_t = ℓ_{t-1} + φb_{t-1} + α e_t / s_{t-m}
//	                        b_t = φ b_{t-1} + β e_t / s_{t-m}
//	                        s_t = s_{t-m} + γ e_t / (ℓ_{t-1} + φ b_{t-1})
//
// The point recursions do not depend on whether the error is additive or
// multiplicative; the error type changes only the likelihood and the
// forecast variance. Classical Holt-Winters (R's stats::HoltWinters) uses
// the same level and trend updates with β = α·β_HW, and the seasonal
// update
//
//	s_t = γ_HW (y_t ⊖ ℓ_t) + (1 − γ_HW) s_{t-m}     ⊖ = − or ÷
//
// which equals the form above with γ = γ_HW (1 − α) for additive
// seasonality, and to first order in e_t for multiplicative seasonality.
//
// Forecasts h steps ahead are μ_{n+h|n} = (ℓ_n + φ_h b_n) ⊕ s_{n+h-m(k+1)}
// with φ_h = φ + φ² + … + φ^h and k = ⌊(h−1)/m⌋. Forecast variances
// follow Hyndman et al. (2008, ch. 6); see (*ExpSmoother).Forecast.

// Normal quantiles for the central 80% and 95% intervals.
const (
	esZ80 = 1.2815515655446004
	esZ95 = 1.959963984540054
)

// Init selects how the states of SES, Holt and HoltWinters are
// initialised before the recursions run over the training window.
type Init int

const (
	// InitHeuristic, the zero value, is the heuristic of Hyndman et al.
	// (2008, §2.6.1) as in R forecast's initstate: seasonal indices from a
	// classical decomposition of the whole window; level and trend from a
	// regression on the first max(10, 2m) seasonally adjusted values. The
	// recursions and the error sums start at the first observation.
	InitHeuristic Init = iota
	// InitR reproduces R's stats::HoltWinters (start.periods = 2): SES
	// starts from ℓ = y_1 and runs from y_2; Holt from ℓ = y_2, b = y_2 − y_1
	// and runs from y_3; seasonal models take ℓ and b as the intercept and
	// slope of a regression of the decompose() trend of the first two
	// seasons on 1, 2, …, and the seasonal indices as decompose()'s figure,
	// and run from y_{m+1}.
	InitR
)

// String returns the initialisation's name: "heuristic" or "R".
func (i Init) String() string {
	switch i {
	case InitHeuristic:
		return "heuristic"
	case InitR:
		return "R"
	}
	return fmt.Sprintf("Init(%d)", int(i))
}

// component is the type of a trend or seasonal component, or of the error.
type component uint8

const (
	compN component = iota // none
	compA                  // additive
	compM                  // multiplicative
)

func (c component) letter() string { return [...]string{"N", "A", "M"}[c] }

// Params are the smoothing parameters of a fitted exponential-smoothing
// model, in the innovations form (see the file comment): for a model
// fitted with the classical Holt-Winters parameterisation, Beta = α·β_HW
// and Gamma = (1−α)·γ_HW.
type Params struct {
	Alpha, Beta, Gamma float64
	Phi                float64 // 1 when the trend is not damped
	// Sigma2 is the variance of the one-step errors: absolute errors for
	// additive-error models, relative errors e/μ for multiplicative ones.
	Sigma2 float64
}

// ExpSmoother is a fitted exponential-smoothing model (SES, Holt,
// Holt-Winters or any ETS model); it implements Forecaster. Observe runs
// in O(1) time and allocates nothing; Forecast allocates only when cap(dst)
// < h or, for h > 1 with multiplicative error or season, the first time a
// horizon longer than any before is asked for (a scratch buffer that is
// kept). An ExpSmoother is not safe for concurrent use.
type ExpSmoother struct {
	err, trend, seas component
	damped           bool
	classic          bool    // seasonal update in classical Holt-Winters form
	gammaHW          float64 // γ_HW for the classical seasonal update
	p                Params

	level, slope float64
	season       []float64 // ring of m seasonal states; season[pos] is used next
	pos          int
	n            int       // observations seen, including training
	work         []float64 // scratch for Forecast variances
}

var _ Forecaster = (*ExpSmoother)(nil)

// Model returns the ETS label of the model, e.g. "ANN", "AAdA", "MAM".
func (m *ExpSmoother) Model() string {
	t := m.trend.letter()
	if m.damped {
		t += "d"
	}
	return m.err.letter() + t + m.seas.letter()
}

// Params returns the smoothing parameters and the error variance.
func (m *ExpSmoother) Params() Params { return m.p }

// State returns the current level, trend and seasonal states; season[0] is
// the seasonal state for the next step, season[i] the one i steps later.
// It allocates the returned seasonal slice.
func (m *ExpSmoother) State() (level, trend float64, season []float64) {
	s := make([]float64, len(m.season))
	for i := range s {
		s[i] = m.season[(m.pos+i)%len(m.season)]
	}
	return m.level, m.slope, s
}

// seasonal returns the seasonal state used next, or the neutral value.
func (m *ExpSmoother) seasonal() float64 {
	switch m.seas {
	case compA:
		return m.season[m.pos]
	case compM:
		return m.season[m.pos]
	}
	return 0
}

// step runs the recursions for one observation y and returns the one-step
// mean μ and error e = y − μ. A non-finite y is treated as missing: the
// states advance to their forecasts and e is NaN. An update that would
// make a state non-finite (a diverged multiplicative model) is not
// applied beyond advancing the states.
func (m *ExpSmoother) step(y float64) (mu, e float64) {
	phi := m.p.Phi
	lb := m.level + phi*m.slope
	var s float64
	switch m.seas {
	case compN:
		mu = lb
	case compA:
		s = m.season[m.pos]
		mu = lb + s
	case compM:
		s = m.season[m.pos]
		mu = lb * s
	}
	if math.IsNaN(y) || math.IsInf(y, 0) {
		m.advance(lb)
		return mu, math.NaN()
	}
	e = y - mu
	var l, b, sn float64
	a, bt := m.p.Alpha, m.p.Beta
	switch m.seas {
	case compN:
		l = lb + a*e
		b = phi*m.slope + bt*e
	case compA:
		l = lb + a*e
		b = phi*m.slope + bt*e
		if m.classic {
			sn = m.gammaHW*(y-l) + (1-m.gammaHW)*s
		} else {
			sn = s + m.p.Gamma*e
		}
	case compM:
		r := e / s
		l = lb + a*r
		b = phi*m.slope + bt*r
		if m.classic {
			sn = m.gammaHW*(y/l) + (1-m.gammaHW)*s
		} else {
			sn = s + m.p.Gamma*e/lb
		}
	}
	if !esFinite(l) || !esFinite(b) || !esFinite(sn) {
		m.advance(lb)
		return mu, e
	}
	m.level, m.slope = l, b
	if m.seas != compN {
		m.season[m.pos] = sn
		m.pos++
		if m.pos == len(m.season) {
			m.pos = 0
		}
	}
	m.n++
	return mu, e
}

// advance moves the states one step without an observation.
func (m *ExpSmoother) advance(lb float64) {
	m.level = lb
	m.slope *= m.p.Phi
	if m.seas != compN {
		m.pos++
		if m.pos == len(m.season) {
			m.pos = 0
		}
	}
	m.n++
}

// Observe adds the next value. t is not used: values are assumed one step
// apart. A NaN or ±Inf value is treated as missing (the states advance to
// their one-step forecasts).
func (m *ExpSmoother) Observe(_ time.Time, v float64) { m.step(v) }

// Forecast writes the h-step forecasts into dst. The mean is
// μ_{n+h|n} above. The variance v_h is, with
// c_j = α + β(φ + … + φ^j) + γ·[j mod m = 0] (Hyndman et al. 2008, ch. 6):
//
//   - additive error, non-multiplicative season (class 1, exact):
//     v_h = σ² (1 + Σ_{j<h} c_j²);
//   - multiplicative error, non-multiplicative season (class 2, exact):
//     v_h = (1+σ²) θ_h − μ_h², θ_h = μ_h² + σ² Σ_{j<h} c_j² θ_{h−j};
//   - multiplicative error and season (class 3, the approximation of
//     Hyndman et al. 2008, ch. 6, for class 3 models): with μ̃ the
//     non-seasonal mean and c_j without the γ term, v_h =
//     s_h² [θ_h (1+σ²)(1+γ²σ²)^k − μ̃_h²], k = ⌊(h−1)/m⌋;
//   - additive error, multiplicative season (ANM, AAM, AAdM and classical
//     multiplicative Holt-Winters): the first-order (delta-method)
//     approximation v_h = σ² (1 + Σ_{i<h} d_{h,i}²) with
//     d_{h,i} = (s_h/s_i)(α + β(φ+…+φ^{h−i})) + γ (μ̃_h/μ̃_i)[(h−i) mod m = 0].
//
// The intervals are μ ± z √v_h with normal quantiles. Forecasts are never
// NaN for a model whose states are finite.
func (m *ExpSmoother) Forecast(dst []Point, h int) []Point {
	if h <= 0 {
		return dst[:0]
	}
	if cap(dst) < h {
		dst = make([]Point, h)
	}
	dst = dst[:h]
	per := len(m.season)
	phi := m.p.Phi
	a, bt, g, s2 := m.p.Alpha, m.p.Beta, m.p.Gamma, m.p.Sigma2
	class := 1
	switch {
	case m.seas == compM && m.err == compM:
		class = 3
	case m.seas == compM:
		class = 4
	case m.err == compM:
		class = 2
	}
	var mut, sv, cj []float64 // μ̃_i (i=1..h), s_i, c_j; only when h > 1 and class > 1
	if h > 1 && class > 1 {
		if cap(m.work) < 3*h {
			m.work = make([]float64, 3*h)
		}
		w := m.work[:3*h]
		mut, sv, cj = w[:h], w[h:2*h], w[2*h:]
	}
	phiPow, phiSum := 1.0, 0.0
	sumc2 := 0.0 // class 1: Σ c_j²
	var lastV float64
	for i := range h {
		hh := i + 1
		phiPow *= phi
		phiSum += phiPow
		nm := m.level + phiSum*m.slope
		s := 1.0
		if m.seas == compA {
			s = m.season[(m.pos+i)%per]
		} else if m.seas == compM {
			s = m.season[(m.pos+i)%per]
		}
		var mean float64
		switch m.seas {
		case compN:
			mean = nm
		case compA:
			mean = nm + s
		case compM:
			mean = nm * s
		}
		// c_{hh} for use by later horizons: α + β φ_{hh} + γ[hh mod m = 0].
		c := a + bt*phiSum
		if m.seas == compA && per > 0 && hh%per == 0 {
			c += g
		}
		var v float64
		switch class {
		case 1:
			v = s2 * (1 + sumc2)
			sumc2 += c * c
		case 2:
			mu2 := mean * mean
			if h == 1 {
				v = s2 * mu2
				break
			}
			// θ_h stored in mut[i] (reusing the slot), c_j in cj[j-1].
			th := mu2
			for j := 1; j < hh; j++ {
				th += s2 * cj[j-1] * cj[j-1] * mut[hh-j-1]
			}
			mut[i] = th
			cj[i] = c
			v = (1+s2)*th - mu2
		case 3:
			c = a + bt*phiSum // no γ term
			k := float64(i / max(per, 1))
			mu2 := nm * nm
			th := mu2
			if h > 1 {
				for j := 1; j < hh; j++ {
					th += s2 * cj[j-1] * cj[j-1] * mut[hh-j-1]
				}
				mut[i] = th
				cj[i] = c
			}
			v = s*s*(th*(1+s2)*math.Pow(1+g*g*s2, k)) - s*s*mu2
		case 4:
			c = a + bt*phiSum
			sum := 0.0
			if h > 1 {
				mut[i], sv[i], cj[i] = nm, s, c
				for j := 1; j < hh; j++ { // error at step j ≤ hh−1, lag hh−j
					d := s / sv[j-1] * cj[hh-j-1]
					if (hh-j)%per == 0 && mut[j-1] != 0 {
						d += g * nm / mut[j-1]
					}
					sum += d * d
				}
			}
			v = s2 * (1 + sum)
		}
		if !(v >= 0) || math.IsInf(v, 0) {
			v = lastV
		}
		lastV = v
		sd := math.Sqrt(v)
		dst[i] = Point{
			Mean: mean,
			Lo80: mean - esZ80*sd, Hi80: mean + esZ80*sd,
			Lo95: mean - esZ95*sd, Hi95: mean + esZ95*sd,
		}
	}
	return dst
}

func esFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// esCheckFinite returns an error wrapping ErrNotFinite for the first value of
// y that is NaN or ±Inf.
func esCheckFinite(y []float64) error {
	for i, v := range y {
		if !esFinite(v) {
			return fmt.Errorf("%w: train[%d] = %v", ErrNotFinite, i, v)
		}
	}
	return nil
}

// SES is simple exponential smoothing, ETS(A,N,N): ℓ_t = ℓ_{t-1} + α e_t,
// forecasts flat at ℓ_n. With Alpha zero (the default) α is estimated by
// minimising the sum of squared one-step errors (the Gaussian maximum
// likelihood) over α ∈ [1e-4, 0.9999]; a non-zero Alpha in (0, 1] is used
// as given. It needs at least 3 observations (InitR: 2).
type SES struct {
	Alpha float64
	Init  Init
}

// Name returns "SES".
func (SES) Name() string { return "SES" }

// Fit fits the model to train; o is not used beyond validation.
func (s SES) Fit(train []float64, o *FitOptions) (Forecaster, error) {
	m, _, err := s.FitInSample(train, o)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// FitInSample is Fit that also returns the one-step fitted values μ_t for
// each training point (NaN where the initialisation leaves none).
func (s SES) FitInSample(train []float64, o *FitOptions) (*ExpSmoother, []float64, error) {
	return fitSmoothing(train, o, smoothSpec{
		trend: compN, seas: compN, init: s.Init,
		alpha: s.Alpha, fixed: s.Alpha != 0,
	})
}

// Holt is Holt's linear trend method, ETS(A,A,N), or with Damped the
// damped trend ETS(A,Ad,N) of Gardner & McKenzie (1985): forecasts
// ℓ_n + (φ+…+φ^h) b_n. With Alpha zero (the default) α, β (and φ ∈ [0.8,
// 0.98] when damped) are estimated by least squares with β < α; a non-zero
// Alpha fixes α, Beta and (when damped) Phi as given, in the classical
// parameterisation of R's HoltWinters (β_HW, so the innovations-form β is
// α·Beta); a zero Phi then means 0.98. It needs at least 4 observations.
type Holt struct {
	Damped bool
	Alpha  float64
	Beta   float64
	Phi    float64
	Init   Init
}

// Name returns "Holt" or "HoltDamped".
func (h Holt) Name() string {
	if h.Damped {
		return "HoltDamped"
	}
	return "Holt"
}

// Fit fits the model to train; o is not used beyond validation.
func (h Holt) Fit(train []float64, o *FitOptions) (Forecaster, error) {
	m, _, err := h.FitInSample(train, o)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// FitInSample is Fit that also returns the one-step fitted values.
func (h Holt) FitInSample(train []float64, o *FitOptions) (*ExpSmoother, []float64, error) {
	return fitSmoothing(train, o, smoothSpec{
		trend: compA, damped: h.Damped, seas: compN, init: h.Init,
		alpha: h.Alpha, beta: h.Beta, phi: h.Phi, fixed: h.Alpha != 0,
	})
}
