package forecast

import (
	"errors"
	"fmt"
	"time"
)

// Point is one step of a forecast: the point forecast (the mean of the
// forecast distribution) and the central 80% and 95% prediction intervals.
type Point struct {
	Mean       float64
	Lo80, Hi80 float64
	Lo95, Hi95 float64
}

// Forecaster is a fitted model that is updated online, one observation at
// a time. Forecasters are not safe for concurrent use.
type Forecaster interface {
	// Observe adds the next value of the series, taken at t (one step after
	// the previous one). For the O(1) methods it runs in constant time and
	// allocates nothing.
	Observe(t time.Time, v float64)
	// Forecast returns forecasts for the next h steps after the last
	// observation, written into dst (resliced to length h; a new slice is
	// allocated only when cap(dst) < h).
	Forecast(dst []Point, h int) []Point
}

// Method fits a Forecaster to a training window: it estimates the model's
// parameters on train and returns the model with its state at the end of
// train, ready to forecast or to observe more.
type Method interface {
	Name() string
	Fit(train []float64, o *FitOptions) (Forecaster, error)
}

// FitOptions describes the series a Method is fitted on. A nil
// *FitOptions means hourly data starting at the Unix epoch, with no
// seasonality.
type FitOptions struct {
	Start   time.Time       // time of train[0]
	Step    time.Duration   // spacing of the series [1h]
	Seasons []time.Duration // seasonal periods as durations, e.g. 24h and 168h
}

// Errors a Method returns, to branch on with errors.Is.
var (
	// ErrTooShort: the training window is too short for the method (for a
	// seasonal method, fewer than two full seasons).
	ErrTooShort = errors.New("series too short for the method")
	// ErrInvalidSeason: a season is not a positive whole multiple of the step.
	ErrInvalidSeason = errors.New("season is not a whole number of steps")
	// ErrNotFinite: the training window holds NaN or ±Inf.
	ErrNotFinite = errors.New("series holds a value that is not finite")
)

// StepOrDefault returns the step, one hour when o is nil or its Step is 0.
func (o *FitOptions) StepOrDefault() time.Duration {
	if o == nil || o.Step == 0 {
		return time.Hour
	}
	return o.Step
}

// Periods converts the seasons to whole numbers of steps, in the order
// given, or returns an error wrapping ErrInvalidSeason.
func (o *FitOptions) Periods() ([]int, error) {
	if o == nil {
		return nil, nil
	}
	step := o.StepOrDefault()
	ps := make([]int, 0, len(o.Seasons))
	for _, s := range o.Seasons {
		if s <= 0 || s%step != 0 {
			return nil, fmt.Errorf("%w: season %v with step %v", ErrInvalidSeason, s, step)
		}
		ps = append(ps, int(s/step))
	}
	return ps, nil
}
