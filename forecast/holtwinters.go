package forecast

import (
	"fmt"
	"math"
)

// Seasonal is the form of the seasonal component of HoltWinters.
type Seasonal int

const (
	// Additive seasonality (the zero value): y = ℓ + b + s.
	Additive Seasonal = iota
	// Multiplicative seasonality: y = (ℓ + b)·s; the data must be positive.
	Multiplicative
)

// String returns "additive" or "multiplicative".
func (s Seasonal) String() string {
	switch s {
	case Additive:
		return "additive"
	case Multiplicative:
		return "multiplicative"
	}
	return fmt.Sprintf("Seasonal(%d)", int(s))
}

// HoltWinters is the classical Holt-Winters method with one season: the
// first period of FitOptions.Periods. The level and trend updates are
// Holt's (optionally damped); the seasonal update is the classical one of
// R's stats::HoltWinters,
//
//	s_t = γ_HW (y_t − ℓ_t) + (1−γ_HW) s_{t−m}      (Additive)
//	s_t = γ_HW (y_t / ℓ_t) + (1−γ_HW) s_{t−m}      (Multiplicative)
//
// With Alpha zero (the default) α, β_HW, γ_HW ∈ [1e-4, 0.9999] (and φ ∈
// [0.8, 0.98] when Damped) are estimated by minimising the sum of squared
// one-step errors with Nelder-Mead, as R does with L-BFGS-B. A non-zero
// Alpha fixes α, Beta (β_HW) and Gamma (γ_HW) as given (each in [0, 1]),
// and Phi when Damped (zero Phi then means 0.98). With Init: InitR and
// fixed parameters the fitted values and forecasts are those of R's
// HoltWinters(x, alpha, beta, gamma, seasonal) to rounding.
//
// It needs at least two full seasons; Multiplicative needs positive data.
// Periods longer than MaxSeasonalPeriod are rejected with ErrInvalidSeason.
type HoltWinters struct {
	Seasonal Seasonal
	Damped   bool
	Alpha    float64
	Beta     float64
	Gamma    float64
	Phi      float64
	Init     Init
}

// Name returns e.g. "HoltWinters(additive)" or
// "HoltWinters(multiplicative,damped)".
func (hw HoltWinters) Name() string {
	if hw.Damped {
		return "HoltWinters(" + hw.Seasonal.String() + ",damped)"
	}
	return "HoltWinters(" + hw.Seasonal.String() + ")"
}

// Fit fits the model to train with the season o.Periods()[0].
func (hw HoltWinters) Fit(train []float64, o *FitOptions) (Forecaster, error) {
	m, _, err := hw.FitInSample(train, o)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// FitInSample is Fit that also returns the one-step fitted values μ_t for
// each training point (NaN for the first season under InitR).
func (hw HoltWinters) FitInSample(train []float64, o *FitOptions) (*ExpSmoother, []float64, error) {
	ps, err := o.Periods()
	if err != nil {
		return nil, nil, err
	}
	if len(ps) == 0 || ps[0] < 2 {
		return nil, nil, fmt.Errorf("%w: HoltWinters needs a season of at least 2 steps", ErrInvalidSeason)
	}
	if ps[0] > MaxSeasonalPeriod {
		return nil, nil, fmt.Errorf("%w: period %d exceeds MaxSeasonalPeriod %d", ErrInvalidSeason, ps[0], MaxSeasonalPeriod)
	}
	seas := compA
	if hw.Seasonal == Multiplicative {
		seas = compM
	}
	return fitSmoothing(train, o, smoothSpec{
		trend: compA, damped: hw.Damped, seas: seas, period: ps[0], init: hw.Init,
		classic: true,
		alpha:   hw.Alpha, beta: hw.Beta, gamma: hw.Gamma, phi: hw.Phi, fixed: hw.Alpha != 0,
	})
}

// decomposition is the result of R's classical decompose(): the centred
// moving-average trend (NaN at the ends) and the seasonal figure
// (normalised to sum 0, or to mean 1 when multiplicative).
type decomposition struct {
	trend  []float64
	figure []float64
}

// classicalDecompose is R's stats::decompose(x, type) for period m ≥ 2 and
// len(x) ≥ 2m: the trend is the centred moving average of order m (a 2×m
// MA when m is even), the figure the mean over seasons of x − trend (or
// x / trend), centred.
func classicalDecompose(x []float64, m int, mult bool) decomposition {
	n := len(x)
	trend := make([]float64, n)
	for i := range trend {
		trend[i] = math.NaN()
	}
	o := m / 2
	// Running sum of the m-1 (even) or m (odd) full-weight terms.
	if m%2 == 0 {
		// weights 0.5 at lags ±o, 1 inside, divided by m.
		inner := 0.0
		for k := -o + 1; k <= o-1; k++ {
			inner += x[o+k]
		}
		for i := o; i+o < n; i++ {
			if i > o {
				inner += x[i+o-1] - x[i-o]
			}
			trend[i] = (inner + 0.5*(x[i-o]+x[i+o])) / float64(m)
		}
	} else {
		sum := 0.0
		for k := -o; k <= o; k++ {
			sum += x[o+k]
		}
		for i := o; i+o < n; i++ {
			if i > o {
				sum += x[i+o] - x[i-o-1]
			}
			trend[i] = sum / float64(m)
		}
	}
	figure := make([]float64, m)
	for j := range m {
		s, c := 0.0, 0
		for i := j; i < n; i += m {
			if math.IsNaN(trend[i]) {
				continue
			}
			if mult {
				s += x[i] / trend[i]
			} else {
				s += x[i] - trend[i]
			}
			c++
		}
		figure[j] = s / float64(c)
	}
	mean := 0.0
	for _, f := range figure {
		mean += f
	}
	mean /= float64(m)
	for j := range figure {
		if mult {
			figure[j] /= mean
		} else {
			figure[j] -= mean
		}
	}
	return decomposition{trend: trend, figure: figure}
}

// olsLine returns the least-squares intercept and slope of y on x0, x0+1, ….
func olsLine(y []float64, x0 float64) (intercept, slope float64) {
	n := float64(len(y))
	mx := x0 + (n-1)/2
	my := 0.0
	for _, v := range y {
		my += v
	}
	my /= n
	sxy, sxx := 0.0, 0.0
	for i, v := range y {
		dx := x0 + float64(i) - mx
		sxy += dx * (v - my)
		sxx += dx * dx
	}
	if sxx == 0 {
		return my, 0
	}
	slope = sxy / sxx
	return my - slope*mx, slope
}

// initR returns R HoltWinters' start values and the index of the first
// observation the recursions run on.
func initR(y []float64, trend, seas component, m int) (level, slope float64, season []float64, start int) {
	switch {
	case seas == compN && trend == compN:
		return y[0], 0, nil, 1
	case seas == compN:
		return y[1], y[1] - y[0], nil, 2
	}
	d := classicalDecompose(y[:2*m], m, seas == compM)
	var tr []float64
	for _, v := range d.trend {
		if !math.IsNaN(v) {
			tr = append(tr, v)
		}
	}
	level, slope = olsLine(tr, 1)
	if trend == compN {
		slope = 0
	}
	return level, slope, d.figure, m
}
