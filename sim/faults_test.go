package sim

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/policy"
)

// toggle asks for one instance more or less than the current target, so
// the loop calls the orchestrator at every sync period.
type toggle struct{}

func (toggle) Name() string { return "toggle" }
func (toggle) Decide(_ time.Time, o policy.Observation) policy.Decision {
	return policy.Decision{Target: 4 + (o.Current+1)%2, Reason: "toggle"}
}

// runFaults runs p for the given length on a flat 300 req/s with the
// faults, recording the breaker's transitions.
func runFaults(t *testing.T, length time.Duration, f Faults, p policy.Policy, ac autoscaler.Config) (*Result, []autoscaler.Transition) {
	t.Helper()
	var trans []autoscaler.Transition
	ac.Breaker.OnTransition = func(tr autoscaler.Transition) { trans = append(trans, tr) }
	n := int(length / (10 * time.Second))
	cfg := Config{InitialInstances: 4, Faults: f}
	res, err := Run(context.Background(), cfg, stepLoad(10*time.Second, n, n, 300, 300), p, ac)
	if err != nil {
		t.Fatal(err)
	}
	return res, trans
}

// An outage from 20 to 30 minutes, no other faults, and a call every 15 s.
// The action at 20:00 fails 4 times (the first call and 3 retries, all
// within 7 s); the call at 20:15 is the fifth failure in a row and opens
// the breaker. Every 30 s it turns half-open, the sync at that instant
// sends the probe, which fails until the outage ends; the probe at 30:15
// succeeds and closes it. Open: 20:15 to 30:15, 10 minutes.
func TestBreakerAcrossOutageKnownAnswer(t *testing.T) {
	m := func(min, sec int) time.Time {
		return epoch.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
	}
	f := Faults{Outages: []Outage{{Start: 20 * time.Minute, End: 30 * time.Minute}}}
	res, got := runFaults(t, time.Hour, f, toggle{}, autoscaler.Config{Min: 1, Max: 10, Seed: 1})
	want := []autoscaler.Transition{{At: m(20, 15), From: autoscaler.Closed, To: autoscaler.Open}}
	for at := m(20, 45); at.Before(m(30, 0)); at = at.Add(30 * time.Second) {
		want = append(want,
			autoscaler.Transition{At: at, From: autoscaler.Open, To: autoscaler.HalfOpen},
			autoscaler.Transition{At: at, From: autoscaler.HalfOpen, To: autoscaler.Open})
	}
	want = append(want,
		autoscaler.Transition{At: m(30, 15), From: autoscaler.Open, To: autoscaler.HalfOpen},
		autoscaler.Transition{At: m(30, 15), From: autoscaler.HalfOpen, To: autoscaler.Closed})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("breaker transitions (-want +got):\n%s", diff)
	}
	if res.BreakerOpenMinutes != 10 {
		t.Errorf("breaker open %v minutes, want 10", res.BreakerOpenMinutes)
	}
	// Retries: the 3 of the action at 20:00. The failure at 20:15 opened the
	// breaker, and each failed probe reopens it, so their retries would be
	// refused and are not scheduled.
	if res.Retries != 3 {
		t.Errorf("%d retries, want 3", res.Retries)
	}
	// Actions given up: one per sync from 20:00 to 30:00, 41 — the action
	// at 20:00 after its retries, the call at 20:15, the 19 failed probes
	// 20:45…29:45 and the 20 syncs refused in between (20:30, 21:00, …
	// 30:00).
	if res.FailedActions != 41 {
		t.Errorf("%d failed actions, want 41", res.FailedActions)
	}
	// Errors: every one of those passes, plus the 3 failed retries.
	if res.ActuationErrors != 44 {
		t.Errorf("%d actuation errors, want 44", res.ActuationErrors)
	}
	// A change every 15 s but for those 41 syncs.
	if want := 4*60 - 41; res.ScaleActions != want {
		t.Errorf("%d scale actions, want %d", res.ScaleActions, want)
	}
}

// The scenario: 20% of calls fail at random and the orchestrator
// is down for 10 minutes. The breaker opens within a minute of the outage,
// never closes during it, turns half-open exactly one open timeout after
// each opening, and closes within two minutes of the end; the run still
// completes with its scores.
func TestBreakerWithErrorsAndOutage(t *testing.T) {
	start, end := 40*time.Minute, 50*time.Minute
	for _, seed := range []uint64{1, 2, 3} {
		f := Faults{Seed: seed, ErrorRate: 0.2, Outages: []Outage{{Start: start, End: end}}}
		res, trans := runFaults(t, 2*time.Hour, f, toggle{}, autoscaler.Config{Min: 1, Max: 10, Seed: seed})
		var opened, closed time.Time
		var lastOpen time.Time
		for _, tr := range trans {
			off := tr.At.Sub(epoch)
			switch tr.To {
			case autoscaler.Open:
				lastOpen = tr.At
				if opened.IsZero() && off >= start {
					opened = tr.At
				}
			case autoscaler.HalfOpen:
				if d := tr.At.Sub(lastOpen); d != 30*time.Second {
					t.Errorf("seed %d: half-open %v after opening, want the 30 s timeout", seed, d)
				}
			case autoscaler.Closed:
				if off >= start && off < end {
					t.Errorf("seed %d: breaker closed at %v, during the outage", seed, off)
				}
				if closed.IsZero() && off >= end {
					closed = tr.At
				}
			}
		}
		if o := opened.Sub(epoch); opened.IsZero() || o >= start+time.Minute {
			t.Errorf("seed %d: breaker opened at %v, want within a minute of the outage at %v", seed, o, start)
		}
		if c := closed.Sub(epoch); closed.IsZero() || c > end+2*time.Minute {
			t.Errorf("seed %d: breaker closed at %v, want within two minutes of the end at %v", seed, c, end)
		}
		if res.BreakerOpenMinutes < 9 || res.BreakerOpenMinutes > 12 {
			t.Errorf("seed %d: breaker open %v minutes, want about 10", seed, res.BreakerOpenMinutes)
		}
		if res.Steps != 720 || res.Spend <= 0 || res.Arrived <= 0 || math.IsNaN(res.SLOMissFraction) {
			t.Errorf("seed %d: incomplete result %+v", seed, res)
		}
		// 20% of about 480 calls outside the outage fail; most are retried.
		if res.Retries < 50 || res.FailedActions < 20 || res.ActuationErrors < res.FailedActions {
			t.Errorf("seed %d: %d retries, %d failed actions, %d errors", seed, res.Retries, res.FailedActions, res.ActuationErrors)
		}
		t.Logf("seed %d: opened at %v, closed at %v, open %.3f min, %d trips, %d retries, %d failed actions, %d errors",
			seed, opened.Sub(epoch), closed.Sub(epoch), res.BreakerOpenMinutes, countTrips(trans), res.Retries, res.FailedActions, res.ActuationErrors)
	}
}

func countTrips(trans []autoscaler.Transition) int {
	n := 0
	for _, tr := range trans {
		if tr.From == autoscaler.Closed && tr.To == autoscaler.Open {
			n++
		}
	}
	return n
}

// A real policy through faults of every kind: same seeds, same result,
// bit for bit; another fault seed, another result.
func TestFaultsDeterministic(t *testing.T) {
	run := func(seed uint64) (*Result, []StepRecord) {
		var recs []StepRecord
		cfg := Config{
			Record: func(r StepRecord) { recs = append(recs, r) },
			Faults: Faults{
				Seed: seed, ErrorRate: 0.2, Latency: 2 * time.Second, LatencyJitter: 3 * time.Second, Timeout: 10 * time.Second,
				Outages: []Outage{{Start: 3 * time.Hour, End: 3*time.Hour + 10*time.Minute}},
			},
		}
		load := stepLoad(10*time.Second, 2000, 1070, 250, 1100) // the step at 2:58:20, just before the outage
		res, err := Run(context.Background(), cfg, load, mustThreshold(t, policy.ThresholdConfig{Cooldown: time.Minute}),
			autoscaler.Config{Min: 2, Max: 20, Seed: seed, AntiFlapThreshold: 0.85})
		if err != nil {
			t.Fatal(err)
		}
		return res, recs
	}
	bitwise := cmp.Comparer(func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) })
	r1, s1 := run(7)
	r2, s2 := run(7)
	if diff := cmp.Diff(r1, r2, bitwise); diff != "" {
		t.Errorf("results differ (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(s1, s2, bitwise); diff != "" {
		t.Errorf("timelines differ (-first +second):\n%s", diff)
	}
	if r1.ActuationErrors == 0 || r1.Retries == 0 {
		t.Errorf("no faults seen: %+v", r1)
	}
	if r3, _ := run(8); cmp.Equal(r1, r3, bitwise) {
		t.Error("fault seeds 7 and 8 give the same result")
	}
	t.Logf("seed 7: %d scale actions, %d retries, %d failed actions, %d errors, breaker open %.2f min, %.2f SLO-miss min",
		r1.ScaleActions, r1.Retries, r1.FailedActions, r1.ActuationErrors, r1.BreakerOpenMinutes, r1.SLOMissMinutes)
}

// The fault wrapper with nothing to inject in the run (an outage after its
// end) gives exactly the fault-free result.
func TestFaultsIdleIsTransparent(t *testing.T) {
	run := func(f Faults) *Result {
		cfg := Config{Faults: f}
		load := stepLoad(10*time.Second, 2000, 700, 250, 1100)
		res, err := Run(context.Background(), cfg, load, mustThreshold(t, policy.ThresholdConfig{}), autoscaler.Config{Min: 2, Max: 20})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	base := run(Faults{})
	idle := run(Faults{Seed: 9, Outages: []Outage{{Start: 100 * time.Hour, End: 101 * time.Hour}}})
	if diff := cmp.Diff(base, idle); diff != "" {
		t.Errorf("idle faults changed the result (-none +idle):\n%s", diff)
	}
	if base.Retries != 0 || base.FailedActions != 0 || base.BreakerOpenMinutes != 0 || base.ActuationErrors != 0 {
		t.Errorf("fault-free run reports faults: %+v", base)
	}
}

// A slow call takes effect after its latency; a call slower than the
// timeout fails and changes nothing.
func TestSlowCalls(t *testing.T) {
	run := func(f Faults) (*Result, map[time.Duration]int) {
		prov := map[time.Duration]int{}
		cfg := Config{
			Faults: f,
			Record: func(r StepRecord) { prov[r.Time.Sub(epoch)+10*time.Second] = r.Provisioned },
		}
		p := &scripted{At: epoch.Add(600 * time.Second), Before: 4, After: 12}
		res, err := Run(context.Background(), cfg, stepLoad(10*time.Second, 120, 60, 300, 900), p, autoscaler.Config{Min: 1, Max: 100})
		if err != nil {
			t.Fatal(err)
		}
		return res, prov
	}
	res, prov := run(Faults{Latency: 12 * time.Second})
	if prov[610*time.Second] != 4 || prov[620*time.Second] != 12 {
		t.Errorf("provisioned %d at 610 s and %d at 620 s, want 4 then 12 (the call at 600 s takes 12 s)", prov[610*time.Second], prov[620*time.Second])
	}
	if res.ScaleActions != 1 || res.ActuationErrors != 0 {
		t.Errorf("%d scale actions, %d errors; want 1 and 0", res.ScaleActions, res.ActuationErrors)
	}
	res, prov = run(Faults{Latency: 12 * time.Second, Timeout: 10 * time.Second})
	if prov[1200*time.Second] != 4 || res.ScaleActions != 0 {
		t.Errorf("timed-out calls: provisioned %d at the end, %d scale actions; want 4 and 0", prov[1200*time.Second], res.ScaleActions)
	}
	if res.ActuationErrors == 0 || res.FailedActions == 0 || res.Retries == 0 || res.BreakerOpenMinutes == 0 {
		t.Errorf("timed-out calls: %+v; want errors, retries, failed actions and an open breaker", res)
	}
}

func TestFaultsValidate(t *testing.T) {
	for _, f := range []Faults{
		{ErrorRate: -0.1}, {ErrorRate: 1.1}, {ErrorRate: math.NaN()}, {Latency: -1}, {LatencyJitter: -1}, {Timeout: -1},
		{Outages: []Outage{{Start: time.Hour, End: time.Hour}}}, {Outages: []Outage{{Start: -time.Second, End: time.Hour}}},
	} {
		if err := (Config{Faults: f}).Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: err = %v, want ErrInvalidConfig", f, err)
		}
	}
}

func TestInjectedErrorsAreTransient(t *testing.T) {
	for _, err := range []error{errInjected, errOutage, errTimeout} {
		if !autoscaler.IsTransient(err) {
			t.Errorf("%v is not transient", err)
		}
	}
	if !errors.Is(errOutage, ErrOutage) {
		t.Error("errOutage does not match ErrOutage")
	}
}
