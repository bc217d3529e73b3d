package forecast

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Accuracy measures, defined as in the M4 competition (Makridakis,
// Spiliotis & Assimakopoulos 2020, "The M4 Competition: 100,000 time series
// and 61 forecasting methods", IJF 36(1)). Throughout, y is the actual
// series over the forecast horizon, f the forecasts, both of length H, and
// x the training series of length n.
//
// Every function panics when y and f (or the interval bounds) differ in
// length, which is a programmer error. A measure that is undefined for its
// input returns an error wrapping ErrUndefined, never NaN.

// ErrUndefined is returned (wrapped) by an accuracy measure that is not
// defined for its input: MAPE with a zero actual, MASE or MSIS with a
// training series whose seasonal differences are all zero (or that is not
// longer than the period), WAPE with all actuals zero, or an empty horizon.
var ErrUndefined = errors.New("accuracy measure undefined for this input")

func checkLen(name string, y, f []float64) {
	if len(y) != len(f) {
		panic(fmt.Sprintf("forecast.%s: %d actuals but %d forecasts", name, len(y), len(f)))
	}
}

// MAE is the mean absolute error (1/H) Σ |y_t − f_t|, in the units of the
// series. It is 0 for an empty horizon.
func MAE(y, f []float64) float64 {
	checkLen("MAE", y, f)
	if len(y) == 0 {
		return 0
	}
	s := 0.0
	for i := range y {
		s += math.Abs(y[i] - f[i])
	}
	return s / float64(len(y))
}

// RMSE is the root mean squared error √((1/H) Σ (y_t − f_t)²), in the units
// of the series. It is 0 for an empty horizon.
func RMSE(y, f []float64) float64 {
	checkLen("RMSE", y, f)
	if len(y) == 0 {
		return 0
	}
	s := 0.0
	for i := range y {
		d := y[i] - f[i]
		s += d * d
	}
	return math.Sqrt(s / float64(len(y)))
}

// MAPE is the mean absolute percentage error (100/H) Σ |y_t − f_t| / |y_t|,
// in percent. It returns an error wrapping ErrUndefined when some y_t is 0
// or the horizon is empty.
func MAPE(y, f []float64) (float64, error) {
	checkLen("MAPE", y, f)
	if len(y) == 0 {
		return 0, fmt.Errorf("MAPE: %w: empty horizon", ErrUndefined)
	}
	s := 0.0
	for i := range y {
		if y[i] == 0 {
			return 0, fmt.Errorf("MAPE: %w: actual %d is zero", ErrUndefined, i)
		}
		s += math.Abs(y[i]-f[i]) / math.Abs(y[i])
	}
	return 100 * s / float64(len(y)), nil
}

// SMAPE is the symmetric mean absolute percentage error of M4,
//
//	sMAPE = (1/H) Σ 200 |y_t − f_t| / (|y_t| + |f_t|),
//
// in percent, between 0 and 200. A step with y_t = f_t = 0 counts as 0 (a
// perfect forecast). It is 0 for an empty horizon.
func SMAPE(y, f []float64) float64 {
	checkLen("SMAPE", y, f)
	if len(y) == 0 {
		return 0
	}
	s := 0.0
	for i := range y {
		d := math.Abs(y[i]) + math.Abs(f[i])
		if d == 0 {
			continue
		}
		s += 200 * math.Abs(y[i]-f[i]) / d
	}
	return s / float64(len(y))
}

// SeasonalScale is the denominator of MASE and MSIS: the in-sample MAE of
// the seasonal naive method with period m on the training series x,
//
//	(1/(n−m)) Σ_{t=m+1..n} |x_t − x_{t−m}|.
//
// m ≤ 0 is taken as 1. It returns an error wrapping ErrUndefined when
// n ≤ m or the scale is 0 (x is periodic with period m, e.g. constant).
func SeasonalScale(x []float64, m int) (float64, error) {
	if m < 1 {
		m = 1
	}
	if len(x) <= m {
		return 0, fmt.Errorf("seasonal scale: %w: %d training points for period %d", ErrUndefined, len(x), m)
	}
	s := 0.0
	for t := m; t < len(x); t++ {
		s += math.Abs(x[t] - x[t-m])
	}
	s /= float64(len(x) - m)
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return 0, fmt.Errorf("seasonal scale: %w: seasonal differences are %v", ErrUndefined, s)
	}
	return s, nil
}

// MASE is the mean absolute scaled error of M4: MAE(y, f) divided by
// SeasonalScale(x, m). It is dimensionless; 1 means as good in the horizon
// as the seasonal naive method was in-sample. Errors are those of
// SeasonalScale.
func MASE(x, y, f []float64, m int) (float64, error) {
	checkLen("MASE", y, f)
	s, err := SeasonalScale(x, m)
	if err != nil {
		return 0, fmt.Errorf("MASE: %w", err)
	}
	return MAE(y, f) / s, nil
}

// WAPE is the weighted absolute percentage error Σ|y_t − f_t| / Σ|y_t|, a
// fraction (not percent). It returns an error wrapping ErrUndefined when
// all y_t are 0 or the horizon is empty.
func WAPE(y, f []float64) (float64, error) {
	checkLen("WAPE", y, f)
	num, den := 0.0, 0.0
	for i := range y {
		num += math.Abs(y[i] - f[i])
		den += math.Abs(y[i])
	}
	if den == 0 {
		return 0, fmt.Errorf("WAPE: %w: actuals sum to zero", ErrUndefined)
	}
	return num / den, nil
}

// Accuracy is 1 − WAPE(y, f): 1 for a perfect forecast, and negative when
// the absolute errors exceed the actuals. Errors are those of WAPE.
func Accuracy(y, f []float64) (float64, error) {
	w, err := WAPE(y, f)
	if err != nil {
		return 0, err
	}
	return 1 - w, nil
}

// Pinball is the mean pinball (quantile) loss of the τ-quantile forecasts q,
//
//	(1/H) Σ max(τ (y_t − q_t), (τ − 1)(y_t − q_t)),
//
// in the units of the series. It panics unless 0 < τ < 1. It is 0 for an
// empty horizon.
func Pinball(y, q []float64, tau float64) float64 {
	checkLen("Pinball", y, q)
	if !(tau > 0 && tau < 1) {
		panic(fmt.Sprintf("forecast.Pinball: quantile %v not in (0, 1)", tau))
	}
	if len(y) == 0 {
		return 0
	}
	s := 0.0
	for i := range y {
		d := y[i] - q[i]
		s += math.Max(tau*d, (tau-1)*d)
	}
	return s / float64(len(y))
}

// Coverage is the fraction of steps with lo_t ≤ y_t ≤ hi_t, between 0 and
// 1. M4's ACD is |Coverage − 0.95| for the 95% interval. It is 0 for an
// empty horizon.
func Coverage(y, lo, hi []float64) float64 {
	checkLen("Coverage", y, lo)
	checkLen("Coverage", y, hi)
	if len(y) == 0 {
		return 0
	}
	c := 0
	for i := range y {
		if lo[i] <= y[i] && y[i] <= hi[i] {
			c++
		}
	}
	return float64(c) / float64(len(y))
}

// MSIS is M4's mean scaled interval score of the central (1−α) prediction
// interval [lo, hi] (α = 0.05 for the 95% interval M4 scores):
//
//	(1/H) Σ [(u_t − l_t) + (2/α)(l_t − y_t)·1{y_t < l_t} + (2/α)(y_t − u_t)·1{y_t > u_t}]
//
// divided by SeasonalScale(x, m). It panics unless 0 < α < 1; other errors
// are those of SeasonalScale.
func MSIS(x, y, lo, hi []float64, m int, alpha float64) (float64, error) {
	checkLen("MSIS", y, lo)
	checkLen("MSIS", y, hi)
	if !(alpha > 0 && alpha < 1) {
		panic(fmt.Sprintf("forecast.MSIS: alpha %v not in (0, 1)", alpha))
	}
	sc, err := SeasonalScale(x, m)
	if err != nil {
		return 0, fmt.Errorf("MSIS: %w", err)
	}
	if len(y) == 0 {
		return 0, fmt.Errorf("MSIS: %w: empty horizon", ErrUndefined)
	}
	s := 0.0
	for i := range y {
		s += hi[i] - lo[i]
		if y[i] < lo[i] {
			s += 2 / alpha * (lo[i] - y[i])
		}
		if y[i] > hi[i] {
			s += 2 / alpha * (y[i] - hi[i])
		}
	}
	return s / float64(len(y)) / sc, nil
}

// Means returns the point forecasts of fc as a new slice.
func Means(fc []Point) []float64 {
	m := make([]float64, len(fc))
	for i, p := range fc {
		m[i] = p.Mean
	}
	return m
}

// Score is the accuracy of one forecast against the actuals.
type Score struct {
	SMAPE float64 // percent, 0..200
	MASE  float64 // dimensionless; NaN-free: 0 with MASEErr set when undefined
	MAE   float64 // units of the series
	RMSE  float64 // units of the series
	MSIS  float64 // 95% interval, dimensionless; 0 with MASEErr set when undefined
	// Coverage95 is the fraction of actuals inside the 95% interval.
	Coverage95 float64
	// MASEErr is the error of MASE and MSIS (scale undefined), or nil.
	MASEErr error
}

// ScoreForecast scores the forecasts fc of the actuals y, after training
// series x, with MASE and MSIS scaled with the seasonal period m. It panics
// when len(fc) != len(y).
func ScoreForecast(x, y []float64, fc []Point, m int) Score {
	if len(fc) != len(y) {
		panic(fmt.Sprintf("forecast.ScoreForecast: %d actuals but %d forecasts", len(y), len(fc)))
	}
	f := Means(fc)
	lo := make([]float64, len(fc))
	hi := make([]float64, len(fc))
	for i, p := range fc {
		lo[i], hi[i] = p.Lo95, p.Hi95
	}
	s := Score{
		SMAPE:      SMAPE(y, f),
		MAE:        MAE(y, f),
		RMSE:       RMSE(y, f),
		Coverage95: Coverage(y, lo, hi),
	}
	s.MASE, s.MASEErr = MASE(x, y, f, m)
	if s.MASEErr == nil {
		s.MSIS, s.MASEErr = MSIS(x, y, lo, hi, m, 0.05)
	}
	return s
}

// RollingOptions configures RollingOrigin. The zero value means one origin,
// horizon 48, scaled with period 1.
type RollingOptions struct {
	Horizon int // steps forecast at each origin [48]
	Origins int // number of forecast origins [1]
	// Stride is the number of steps between origins [Horizon]. The last
	// origin leaves exactly Horizon points after it.
	Stride int
	// Period is the seasonal period of the MASE/MSIS scale, in steps [1].
	Period int
}

// Evaluation is the result of RollingOrigin.
type Evaluation struct {
	Origins []int   // index of the first forecast point at each origin
	Scores  []Score // one per origin
	// SMAPE and MASE are the means over origins (MASE over the origins
	// where it is defined; 0 when none).
	SMAPE, MASE float64
	// ByHorizon[h] is the mean absolute error h+1 steps ahead, over origins.
	ByHorizon []float64
}

// RollingOrigin evaluates m by rolling-origin (time-series cross-)
// validation on series: at each origin k it fits m to series[:k] and scores
// the next Horizon points. Origins are len(series) − Horizon − i·Stride for
// i = Origins−1, …, 0. o describes series[0], where every window starts,
// so each fit gets a copy of o. It returns an error wrapping
// ErrTooShort when the first origin is not positive, and any error of Fit.
func RollingOrigin(m Method, series []float64, o *FitOptions, r RollingOptions) (Evaluation, error) {
	h := r.Horizon
	if h <= 0 {
		h = 48
	}
	nOrig := max(r.Origins, 1)
	stride := r.Stride
	if stride <= 0 {
		stride = h
	}
	per := max(r.Period, 1)
	first := len(series) - h - (nOrig-1)*stride
	if first <= 0 {
		return Evaluation{}, fmt.Errorf("rolling origin: %w: %d points for %d origins of horizon %d", ErrTooShort, len(series), nOrig, h)
	}
	ev := Evaluation{ByHorizon: make([]float64, h)}
	var fc []Point
	nm := 0
	for i := range nOrig {
		k := first + i*stride
		var fo FitOptions
		if o != nil {
			fo = *o
		}
		f, err := m.Fit(series[:k], &fo)
		if err != nil {
			return Evaluation{}, fmt.Errorf("rolling origin %d: %w", k, err)
		}
		fc = f.Forecast(fc, h)
		s := ScoreForecast(series[:k], series[k:k+h], fc, per)
		ev.Origins = append(ev.Origins, k)
		ev.Scores = append(ev.Scores, s)
		ev.SMAPE += s.SMAPE
		if s.MASEErr == nil {
			ev.MASE += s.MASE
			nm++
		}
		for j := range h {
			ev.ByHorizon[j] += math.Abs(series[k+j]-fc[j].Mean) / float64(nOrig)
		}
	}
	ev.SMAPE /= float64(nOrig)
	if nm > 0 {
		ev.MASE /= float64(nm)
	}
	return ev, nil
}

// shiftOptions returns a copy of o for a window starting off steps after o's start.
func shiftOptions(o *FitOptions, off int) *FitOptions {
	var fo FitOptions
	if o != nil {
		fo = *o
	}
	fo.Start = fo.Start.Add(time.Duration(off) * fo.StepOrDefault())
	return &fo
}
