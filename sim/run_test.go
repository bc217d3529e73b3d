package sim

import (
	"context"
	"io"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/forecast"
	"github.com/omnixan/omnixan/policy"
	"github.com/omnixan/omnixan/traces"
)

var epoch = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// sliceLoad is a load given as one rate per fixed step.
type sliceLoad struct {
	step  time.Duration
	rates []float64
	i     int
}

func (s *sliceLoad) Columns() []string { return []string{"requests_per_second"} }
func (s *sliceLoad) Next(row *traces.Row) error {
	if s.i >= len(s.rates) {
		return io.EOF
	}
	row.Time = epoch.Add(time.Duration(s.i) * s.step)
	row.Values = append(row.Values[:0], s.rates[s.i])
	s.i++
	return nil
}

func stepLoad(step time.Duration, n, at int, before, after float64) *sliceLoad {
	r := make([]float64, n)
	for i := range r {
		r[i] = before
		if i >= at {
			r[i] = after
		}
	}
	return &sliceLoad{step: step, rates: r}
}

// scripted asks for Before instances until At, then After.
type scripted struct {
	At            time.Time
	Before, After int
}

func (s *scripted) Name() string          { return "scripted" }
func (s *scripted) Initial(time.Time) int { return s.Before }
func (s *scripted) Decide(now time.Time, _ policy.Observation) policy.Decision {
	if now.Before(s.At) {
		return policy.Decision{Target: s.Before}
	}
	return policy.Decision{Target: s.After}
}

// A load step from 300 to 900 req/s at t = 600 s, answered at once by a
// scale from 4 to 12 instances that are ready 60 s later. By hand:
// from 600 s to 660 s the 4 instances (400 req/s) are overloaded, so the
// six steps ending at 610…660 s miss. At 660 s the backlog is
// (900 − 400)·60 = 30 000 requests; 12 instances drain it at
// 1200 − 900 = 300 req/s, so it is gone at 760 s. A step misses while
// 0.05 s + backlog/1200 + W_q > 0.25 s, i.e. backlog > ~237, which holds at
// every step end up to 750 s (backlog 3 000) and not at 760 s (0): nine
// more steps. 15 steps of 10 s = 2.5 minutes.
func TestLoadStepKnownAnswer(t *testing.T) {
	load := stepLoad(10*time.Second, 180, 60, 300, 900) // 30 minutes
	p := &scripted{At: epoch.Add(600 * time.Second), Before: 4, After: 12}
	var misses []time.Duration
	cfg := Config{
		Service: Service{Capacity: 100, Concurrency: 5, Objective: 250 * time.Millisecond, StartupDelay: 60 * time.Second},
		Record: func(r StepRecord) {
			if r.Miss {
				misses = append(misses, r.Time.Sub(epoch)+10*time.Second)
			}
		},
	}
	res, err := Run(context.Background(), cfg, load, p, autoscaler.Config{Min: 1, Max: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.SLOMissMinutes != 2.5 {
		t.Errorf("SLO-miss minutes = %v, want 2.5", res.SLOMissMinutes)
	}
	var want []time.Duration
	for end := 610; end <= 750; end += 10 {
		want = append(want, time.Duration(end)*time.Second)
	}
	if diff := cmp.Diff(want, misses); diff != "" {
		t.Errorf("ends of the missing steps (-want +got):\n%s", diff)
	}
	// Requests arriving 600–750 s: 15 steps × 10 s × 900 req/s.
	wantFrac := 15 * 10 * 900.0 / (60*10*300.0 + 120*10*900.0)
	if math.Abs(res.SLOMissFraction-wantFrac) > 1e-12 {
		t.Errorf("SLO-miss fraction = %v, want %v", res.SLOMissFraction, wantFrac)
	}
	// 4 instances for 600 s, then 12 for 1 200 s, at 0.10 USD/h per second.
	wantSpend := (4*600 + 12*1200) * 0.10 / 3600
	if math.Abs(res.Spend-wantSpend) > 1e-12 {
		t.Errorf("spend = %v USD, want %v", res.Spend, wantSpend)
	}
	if res.ScaleActions != 1 || res.PeakInstances != 12 {
		t.Errorf("scale actions %d, peak %d; want 1 and 12", res.ScaleActions, res.PeakInstances)
	}
}

// Conservation: every request that arrived was served or is still queued.
func TestConservation(t *testing.T) {
	rates := make([]float64, 5000)
	for i := range rates {
		rates[i] = 500 + 450*math.Sin(float64(i)/40) + float64(i%7)*30
	}
	for _, p := range []policy.Policy{
		mustThreshold(t, policy.ThresholdConfig{Min: 1, Max: 6}),
		&scripted{At: epoch.Add(time.Hour), Before: 3, After: 9},
	} {
		res, err := Run(context.Background(), Config{}, &sliceLoad{step: 7 * time.Second, rates: rates}, p, autoscaler.Config{Min: 1, Max: 50})
		if err != nil {
			t.Fatal(err)
		}
		var want float64
		for _, r := range rates {
			want += r * 7
		}
		if math.Abs(res.Arrived-want) > 1e-6*want {
			t.Errorf("%s: arrived %v, want %v", p.Name(), res.Arrived, want)
		}
		if d := res.Arrived - res.Served - res.Backlog; math.Abs(d) > 1e-6 {
			t.Errorf("%s: arrived − served − backlog = %v requests, want 0", p.Name(), d)
		}
		if res.Backlog <= 0 && p.Name() == "threshold" {
			t.Errorf("threshold capped at 6 instances should end with a backlog, got %v", res.Backlog)
		}
	}
}

func mustThreshold(t testing.TB, c policy.ThresholdConfig) *policy.Threshold {
	t.Helper()
	p, err := policy.NewThreshold(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDeterministic(t *testing.T) {
	run := func() (*Result, []StepRecord) {
		var recs []StepRecord
		cfg := Config{Record: func(r StepRecord) { recs = append(recs, r) }}
		load := stepLoad(10*time.Second, 2000, 700, 250, 1100)
		res, err := Run(context.Background(), cfg, load, mustThreshold(t, policy.ThresholdConfig{}), autoscaler.Config{Min: 2, Max: 20})
		if err != nil {
			t.Fatal(err)
		}
		return res, recs
	}
	r1, s1 := run()
	r2, s2 := run()
	if diff := cmp.Diff(r1, r2); diff != "" {
		t.Errorf("results differ (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(s1, s2, cmp.Comparer(func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b)
	})); diff != "" {
		t.Errorf("timelines differ (-first +second):\n%s", diff)
	}
}

// The oracle meets the SLO at every step of a load that swings hard, and
// every policy that meets it spends at least as much.
func TestOracleNeverMisses(t *testing.T) {
	rates := make([]float64, 3000)
	for i := range rates {
		rates[i] = 800 + 700*math.Sin(float64(i)/25)
		if i >= 1500 && i < 1530 {
			rates[i] *= 3
		}
	}
	for _, delay := range []time.Duration{0, 5 * time.Second, 60 * time.Second, 4 * time.Minute} {
		cfg := Config{Service: Service{StartupDelay: delay}}
		o := &policy.Oracle{StartupDelay: cfg.WithDefaults().Service.StartupDelay, SyncPeriod: 15 * time.Second}
		res, err := Run(context.Background(), cfg, &sliceLoad{step: 10 * time.Second, rates: rates}, o, autoscaler.Config{Min: 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.MissSteps != 0 {
			t.Errorf("delay %v: oracle missed %d steps", delay, res.MissSteps)
		}
		if res.OverprovisionRatio < 1 {
			t.Errorf("delay %v: oracle over-provisioning %v < 1", delay, res.OverprovisionRatio)
		}
		thr, err := Run(context.Background(), cfg, &sliceLoad{step: 10 * time.Second, rates: rates}, mustThreshold(t, policy.ThresholdConfig{Max: 100}), autoscaler.Config{Min: 2, Max: 100})
		if err != nil {
			t.Fatal(err)
		}
		if thr.MissSteps == 0 && thr.Spend < res.Spend {
			t.Errorf("delay %v: threshold met the SLO for %v USD, less than the oracle's %v", delay, thr.Spend, res.Spend)
		}
	}
}

func TestLoadResolverMeans(t *testing.T) {
	// A 60 s trace read at 25 s steps: values hold until the next row.
	load := &sliceLoad{step: 60 * time.Second, rates: []float64{60, 120, 0}}
	var r loadResolver
	if err := r.init(load, "", 1); err != nil {
		t.Fatal(err)
	}
	step := int64(25 * time.Second)
	var got []float64
	for k := int64(0); ; k++ {
		m, ok, err := r.mean(k*step, (k+1)*step)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, m)
	}
	// Trace covers 0–180 s (the last row holds for the 60 s gap before it).
	// Steps: [0,25) 60; [25,50) 60; [50,75) (10·60+15·120)/25 = 96; [75,100) 120;
	// [100,125) (20·120+5·0)/25 = 96; [125,150) 0; [150,175) 0; [175,200) covers 5 s: 0.
	want := []float64{60, 60, 96, 120, 96, 0, 0, 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("step means (-want +got):\n%s", diff)
	}
}

func BenchmarkRun30DaysThreshold(b *testing.B) {
	const step = 10 * time.Second
	n := int(30 * 24 * time.Hour / step)
	rates := make([]float64, n)
	for i := range rates {
		h := float64(i) * step.Hours()
		rates[i] = 900 + 600*math.Sin(2*math.Pi*h/24) + 100*math.Sin(2*math.Pi*h/168)
	}
	b.ReportAllocs()
	for b.Loop() {
		p := mustThreshold(b, policy.ThresholdConfig{})
		if _, err := Run(context.Background(), Config{Step: step}, &sliceLoad{step: step, rates: rates}, p, autoscaler.Config{Min: 2, Max: 20}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

// forecasting is scripted that also forecasts, at every decision, the
// demand 30 s ahead as that time's offset from epoch in seconds.
type forecasting struct {
	scripted
	last policy.Prediction
	made []time.Time
}

func (f *forecasting) Decide(now time.Time, obs policy.Observation) policy.Decision {
	at := now.Add(30 * time.Second)
	m := at.Sub(epoch).Seconds()
	f.last = policy.Prediction{Made: now, At: at, Demand: forecast.Point{Mean: m, Lo80: m - 1, Hi80: m + 1, Lo95: m - 2, Hi95: m + 2}}
	f.made = append(f.made, now)
	return f.scripted.Decide(now, obs)
}

func (f *forecasting) LastPrediction() (policy.Prediction, bool) { return f.last, len(f.made) > 0 }

// Each step record carries the latest forecast whose target falls in the
// step, held over steps no forecast targets, and none before the first.
func TestStepRecordForecast(t *testing.T) {
	p := &forecasting{scripted: scripted{Before: 4, After: 4}}
	var recs []StepRecord
	cfg := Config{Record: func(r StepRecord) { recs = append(recs, r) }}
	if _, err := Run(context.Background(), cfg, stepLoad(10*time.Second, 60, 30, 300, 300), p, autoscaler.Config{Min: 1, Max: 100}); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		end := r.Time.Add(10 * time.Second)
		var want float64
		var has bool
		for _, m := range p.made {
			if at := m.Add(30 * time.Second); at.Before(end) {
				want, has = at.Sub(epoch).Seconds(), true
			}
		}
		got := [5]float64{r.Forecast, r.Lower80, r.Upper80, r.Lower95, r.Upper95}
		wantAll := [5]float64{}
		if has {
			wantAll = [5]float64{want, want - 1, want + 1, want - 2, want + 2}
		}
		if r.HasForecast != has || got != wantAll {
			t.Errorf("step at %v: HasForecast %v %v, want %v %v", r.Time.Sub(epoch), r.HasForecast, got, has, wantAll)
		}
	}
	if len(p.made) < 10 {
		t.Fatalf("only %d decisions", len(p.made))
	}

	// A policy that does not forecast records none.
	recs = recs[:0]
	if _, err := Run(context.Background(), cfg, stepLoad(10*time.Second, 60, 30, 300, 300), &scripted{Before: 4, After: 4}, autoscaler.Config{Min: 1, Max: 100}); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.HasForecast || r.Forecast != 0 || r.Upper95 != 0 {
			t.Fatalf("a policy without forecasts recorded %+v", r)
		}
	}
}
