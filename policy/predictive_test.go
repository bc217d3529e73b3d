package policy

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/omnixan/omnixan/forecast"
)

// constMethod forecasts a constant, whatever it is fitted on.
type constMethod struct{ v float64 }

func (m constMethod) Name() string { return "const" }
func (m constMethod) Fit(train []float64, _ *forecast.FitOptions) (forecast.Forecaster, error) {
	return &constForecaster{v: m.v}, nil
}

type constForecaster struct {
	v        float64
	observed int
}

func (f *constForecaster) Observe(time.Time, float64) { f.observed++ }
func (f *constForecaster) Forecast(dst []forecast.Point, h int) []forecast.Point {
	dst = dst[:0]
	for range h {
		dst = append(dst, forecast.Point{Mean: f.v, Lo80: f.v, Hi80: f.v, Lo95: f.v, Hi95: f.v})
	}
	return dst
}

// drive runs p every 15 s from start for d on the demand rate(t), req/s,
// with instances of 100 req/s that are ready at once, and returns the
// decisions. The observation is the 15 s before the decision.
func drive(p Policy, start time.Time, d time.Duration, cur int, rate func(time.Time) float64) []Decision {
	var out []Decision
	for at := time.Duration(0); at < d; at += 15 * time.Second {
		now := start.Add(at)
		r := rate(now.Add(-15 * time.Second))
		obs := Observation{Time: now, Valid: true, RequestRate: r, Utilization: min(1, r/(100*float64(cur))),
			Ready: cur, Current: cur, Capacity: 100}
		dec := p.Decide(now, obs)
		out = append(out, dec)
		cur = dec.Target
	}
	return out
}

func diurnal(t time.Time) float64 {
	h := float64(t.Sub(t0)) / float64(time.Hour)
	return 700 * (1 + 0.6*math.Cos(2*math.Pi*(h-15)/24))
}

func flat(v float64) func(time.Time) float64 { return func(time.Time) float64 { return v } }

func TestPredictiveForecastRaisesTarget(t *testing.T) {
	p, err := NewPredictive(PredictiveConfig{Model: constMethod{2000}, MinHistory: time.Hour, NoSurge: true})
	if err != nil {
		t.Fatal(err)
	}
	ds := drive(p, t0, time.Hour+5*time.Minute, 6, flat(500))
	if _, ok := p.LastPrediction(); !ok {
		t.Fatal("no prediction after an hour of history")
	}
	got := ds[len(ds)-1]
	want := Decision{Target: 22, Reason: "forecast demand"} // ⌈2000 / (100 × 0.95)⌉
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decision (-want +got):\n%s", diff)
	}
	pr, _ := p.LastPrediction()
	now := t0.Add(time.Hour + 5*time.Minute - 15*time.Second)
	if !pr.Made.Equal(now) || !pr.At.Equal(now.Add(p.Config().Horizon)) || pr.Demand.Mean != 2000 {
		t.Errorf("LastPrediction = %+v, want made at %v for %v, mean 2000", pr, now, now.Add(p.Config().Horizon))
	}
}

func TestPredictiveNeverScalesInOnForecast(t *testing.T) {
	p, err := NewPredictive(PredictiveConfig{Model: constMethod{100}, MinHistory: time.Hour, NoSurge: true})
	if err != nil {
		t.Fatal(err)
	}
	// An hour at 1500 req/s on 17 instances trains the model; the forecast
	// (100 req/s, 2 instances) is far below.
	drive(p, t0, time.Hour, 17, flat(1500))
	if p.Fits() == 0 {
		t.Fatal("no fit")
	}
	// Then 30 instances: the reactive part wants 17 but waits its 5-minute
	// scale-in period; the forecast must not scale in meanwhile.
	ds := drive(p, t0.Add(time.Hour), 5*time.Minute+15*time.Second, 30, flat(1500))
	for i, d := range ds[:len(ds)-1] {
		if d.Target != 30 {
			t.Fatalf("decision %d = %+v, want 30 (no scale-in on the forecast)", i, d)
		}
	}
	if got := ds[len(ds)-1]; got.Target != 27 { // the reactive part: 10% of 30
		t.Errorf("after the scale-in period: %+v, want 27", got)
	}
}

func TestPredictiveFallsBackWhenForecastsAreBad(t *testing.T) {
	p, err := NewPredictive(PredictiveConfig{Model: constMethod{5000}, MinHistory: time.Hour, NoSurge: true})
	if err != nil {
		t.Fatal(err)
	}
	ds := drive(p, t0, 3*time.Hour, 6, flat(500))
	if s, n := p.ForecastSMAPE(); n < 12 || s < 100 {
		t.Fatalf("ForecastSMAPE() = %v over %d, want > 100 over ≥ 12", s, n)
	}
	for _, d := range ds[len(ds)-120:] { // the last half hour
		if d.Reason == "forecast demand" {
			t.Fatalf("decision %+v acted on a forecast with sMAPE above the fallback", d)
		}
	}
	if _, ok := p.LastPrediction(); !ok {
		t.Error("LastPrediction is not ok in fallback: the forecast is still scored")
	}
	// The first forecasts, before enough were scored, were acted on.
	acted := false
	for _, d := range ds {
		acted = acted || d.Reason == "forecast demand"
	}
	if !acted {
		t.Error("the forecast was never acted on before the fallback")
	}
}

func TestPredictiveForecastOnly(t *testing.T) {
	p, err := NewPredictive(PredictiveConfig{Model: constMethod{2000}, MinHistory: time.Hour, ForecastOnly: true, NoSurge: true})
	if err != nil {
		t.Fatal(err)
	}
	ds := drive(p, t0, 2*time.Hour, 6, flat(500))
	for _, d := range ds {
		if d.Target > 6 {
			t.Fatalf("forecast-only decision %+v scaled on the forecast", d)
		}
	}
	w := p.WouldBe()
	if len(w) != len(ds) {
		t.Fatalf("WouldBe has %d entries, want %d", len(w), len(ds))
	}
	got := w[len(w)-1]
	want := WouldBe{Time: t0.Add(2*time.Hour - 15*time.Second), Forecast: 22, Reactive: 6, Combined: 22, Target: 6}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("last WouldBe (-want +got):\n%s", diff)
	}
	if w[0].Forecast != 0 {
		t.Errorf("first WouldBe %+v: a forecast before any history", w[0])
	}
}

func TestPredictiveSurge(t *testing.T) {
	p, err := NewPredictive(PredictiveConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// 1000 req/s doubling over two minutes, on 12 instances.
	ramp := func(tm time.Time) float64 {
		x := float64(tm.Sub(t0.Add(10*time.Minute))) / float64(2*time.Minute)
		return 1000 * (1 + min(1, max(0, x)))
	}
	ds := drive(p, t0, 10*time.Minute+75*time.Second, 12, ramp)
	got := ds[len(ds)-1]
	if got.Reason != "request rate surging" || got.Target < 20 {
		t.Errorf("decision during the ramp %+v, want a surge scale-out to ≥ 20", got)
	}
}

func TestPredictiveDeterministic(t *testing.T) {
	run := func() ([]Decision, int) {
		p, err := NewPredictive(PredictiveConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return drive(p, t0, 40*time.Hour, 12, diurnal), p.Fits()
	}
	a, fa := run()
	b, fb := run()
	if fa < 2 {
		t.Errorf("%d fits in 40 h, want ≥ 2 (first after a day, then every 6 h)", fa)
	}
	if diff := cmp.Diff(a, b); diff != "" || fa != fb {
		t.Errorf("two runs differ (-first +second):\n%s", diff)
	}
}

func TestPredictiveConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   PredictiveConfig
		field string
	}{
		{"defaults", PredictiveConfig{}, ""},
		{"unknown method", PredictiveConfig{Method: "prophet"}, "Method"},
		{"season not a whole number of buckets", PredictiveConfig{Seasons: []time.Duration{7 * time.Minute}}, "Seasons[0]"},
		{"min history above history", PredictiveConfig{MinHistory: 30 * 24 * time.Hour}, "MinHistory"},
		{"horizon shorter than the start-up", PredictiveConfig{Horizon: 30 * time.Second}, "Horizon"},
		{"headroom", PredictiveConfig{Headroom: "hi99"}, "Headroom"},
		{"target utilisation", PredictiveConfig{TargetUtilization: 1.5}, "TargetUtilization"},
		{"reactive target", PredictiveConfig{Reactive: TargetTrackingConfig{Target: 2}}, "Reactive.Target"},
		{"fallback", PredictiveConfig{FallbackSMAPE: -1}, "FallbackSMAPE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkConfigError(t, tt.cfg.Validate(), tt.field) })
	}
}
