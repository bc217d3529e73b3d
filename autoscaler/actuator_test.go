package autoscaler

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/omnixan/omnixan/policy"
)

// flaky is an orchestrator whose next fails Scale calls fail with err.
type flaky struct {
	n     int
	calls []time.Time
	fails int
	err   error
}

func (f *flaky) Current(time.Time) (int, error) { return f.n, nil }
func (f *flaky) Scale(now time.Time, n int) error {
	f.calls = append(f.calls, now)
	if f.fails > 0 {
		f.fails--
		return f.err
	}
	f.n = n
	return nil
}

func newLoop(t testing.TB, cfg Config, p policy.Policy, o Orchestrator) *Loop {
	t.Helper()
	l, err := New(cfg, p, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestRetryAfterTransientFailure(t *testing.T) {
	o := &flaky{n: 2, fails: 2, err: Transient(errCall)}
	l := newLoop(t, Config{Min: 1, Seed: 1}, fixed(5), o)
	d := l.Step(t0, policy.Observation{})
	var se *ScalingError
	if !errors.As(d.Err, &se) || se.Op != OpScale || se.Target != 5 || !errors.Is(d.Err, errCall) || d.GaveUp || !d.Scaled {
		t.Fatalf("first call: %+v, want a transient *ScalingError on scale to 5", d)
	}
	at, ok := l.NextRetry()
	if !ok || !at.Equal(d.RetryAt) || at.Before(t0) || at.After(t0.Add(time.Second)) {
		t.Fatalf("NextRetry = %v, %v; want the decision's %v, within the 1 s first backoff", at, ok, d.RetryAt)
	}
	if _, ok := l.Retry(at.Add(-time.Nanosecond)); ok && at.After(t0) {
		t.Fatal("Retry ran before it was due")
	}
	d, ok = l.Retry(at)
	if !ok || d.Attempt != 1 || d.Err == nil || d.RetryAt.IsZero() {
		t.Fatalf("first retry: %+v, %v; want attempt 1 failing and retried again", d, ok)
	}
	d, ok = l.Retry(d.RetryAt)
	if !ok || d.Attempt != 2 || d.Err != nil || o.n != 5 {
		t.Fatalf("second retry: %+v, %v, orchestrator at %d; want success at 5", d, ok, o.n)
	}
	if _, ok := l.NextRetry(); ok {
		t.Error("a retry is still pending after success")
	}
	want := Stats{Calls: 3, Retries: 2, Failures: 2}
	if diff := cmp.Diff(want, l.Stats(d.Time)); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestRetryGivesUp(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		calls int
	}{
		{"not transient", errCall, 1},
		{"attempts used up", Transient(errCall), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &flaky{n: 2, fails: 100, err: tt.err}
			l := newLoop(t, Config{Breaker: BreakerConfig{ConsecutiveFailures: -1, FailureRatio: -1}}, fixed(5), o)
			d := l.Step(t0, policy.Observation{})
			for !d.GaveUp {
				at, ok := l.NextRetry()
				if !ok {
					t.Fatalf("no retry pending and not given up: %+v", d)
				}
				d, _ = l.Retry(at)
			}
			if len(o.calls) != tt.calls {
				t.Errorf("%d calls, want %d", len(o.calls), tt.calls)
			}
			if s := l.Stats(t0); s.FailedActions != 1 || s.Retries != tt.calls-1 {
				t.Errorf("stats %+v, want 1 failed action and %d retries", s, tt.calls-1)
			}
		})
	}
}

func TestStepSupersedesRetry(t *testing.T) {
	o := &flaky{n: 2, fails: 1, err: Transient(errCall)}
	p := &fixedPtr{n: 5}
	l := newLoop(t, Config{}, p, o)
	l.Step(t0, policy.Observation{})
	if _, ok := l.NextRetry(); !ok {
		t.Fatal("no retry pending")
	}
	p.n = 7
	d := l.Step(t0.Add(15*time.Second), policy.Observation{})
	if d.Err != nil || o.n != 7 || d.Attempt != 0 {
		t.Fatalf("newer step: %+v, orchestrator at %d; want a first call to 7", d, o.n)
	}
	if _, ok := l.Retry(t0.Add(time.Hour)); ok {
		t.Error("the superseded retry ran")
	}
	if s := l.Stats(t0); s.Superseded != 1 || s.Retries != 0 {
		t.Errorf("stats %+v, want one superseded retry and none made", s)
	}
}

func TestRetryAlreadyAtTarget(t *testing.T) {
	o := &flaky{n: 2, fails: 1, err: Transient(errCall)}
	l := newLoop(t, Config{}, fixed(5), o)
	l.Step(t0, policy.Observation{})
	o.n = 5 // the call took effect after all
	at, _ := l.NextRetry()
	d, ok := l.Retry(at)
	if !ok || d.Scaled || d.Err != nil || len(o.calls) != 1 {
		t.Errorf("retry %+v with %d calls; want none sent", d, len(o.calls))
	}
}

func TestBreakerFailsFast(t *testing.T) {
	var trans []Transition
	o := &flaky{n: 2, fails: 2, err: errCall}
	cfg := Config{Breaker: BreakerConfig{ConsecutiveFailures: 2, OpenTimeout: time.Minute, OnTransition: func(tr Transition) { trans = append(trans, tr) }}}
	l := newLoop(t, cfg, fixed(5), o)
	l.Step(t0, policy.Observation{})
	l.Step(t0.Add(15*time.Second), policy.Observation{})
	d := l.Step(t0.Add(30*time.Second), policy.Observation{})
	var be *CircuitBreakerOpenError
	if !errors.As(d.Err, &be) || !be.Until.Equal(t0.Add(75*time.Second)) || be.Target != 5 || d.Scaled || !d.GaveUp {
		t.Fatalf("step with the breaker open: %+v; want a CircuitBreakerOpenError until 75 s, no call", d)
	}
	if len(o.calls) != 2 {
		t.Errorf("%d calls sent, want 2", len(o.calls))
	}
	// After the timeout the probe goes through, succeeds and closes it.
	d = l.Step(t0.Add(75*time.Second), policy.Observation{})
	if d.Err != nil || o.n != 5 {
		t.Fatalf("probe: %+v", d)
	}
	want := []Transition{
		{t0.Add(15 * time.Second), Closed, Open},
		{t0.Add(75 * time.Second), Open, HalfOpen},
		{t0.Add(75 * time.Second), HalfOpen, Closed},
	}
	if diff := cmp.Diff(want, trans); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
	s := l.Stats(t0.Add(2 * time.Minute))
	if s.Rejected != 1 || s.FailedActions != 3 || s.BreakerTrips != 1 || s.BreakerOpen != time.Minute {
		t.Errorf("stats %+v; want 1 rejected, 3 failed actions, 1 trip, open 1m", s)
	}
}

type fixedPtr struct{ n int }

func (f *fixedPtr) Name() string { return "fixed" }
func (f *fixedPtr) Decide(time.Time, policy.Observation) policy.Decision {
	return policy.Decision{Target: f.n}
}

func TestAntiFlapping(t *testing.T) {
	tests := []struct {
		name      string
		threshold float64
		obs       policy.Observation
		cur, want int
		proposed  int
	}{
		{"off", 0, policy.Observation{Valid: true, Utilization: 0.6, Ready: 3}, 3, 2, 2},
		// Azure's example: 60% on 3 is 90% on 2, above an 80% threshold.
		{"blocks", 0.8, policy.Observation{Valid: true, Utilization: 0.6, Ready: 3}, 3, 3, 2},
		{"allows", 0.95, policy.Observation{Valid: true, Utilization: 0.6, Ready: 3}, 3, 2, 2},
		{"at the threshold", 0.9, policy.Observation{Valid: true, Utilization: 0.6, Ready: 3}, 3, 2, 2},
		// 30% on 10 is 3 instances' worth: 2 → 150%; ⌈3/0.8⌉ = 4 stays under.
		{"intermediate", 0.8, policy.Observation{Valid: true, Utilization: 0.3, Ready: 10}, 10, 4, 2},
		{"scale out untouched", 0.8, policy.Observation{Valid: true, Utilization: 0.99, Ready: 3}, 3, 6, 6},
		{"no metrics", 0.8, policy.Observation{}, 3, 1, 1},
		{"to zero", 0.8, policy.Observation{Valid: true, Utilization: 0.1, Ready: 2}, 2, 1, 0},
		{"idle to zero", 0.8, policy.Observation{Valid: true, Utilization: 0, Ready: 2}, 2, 0, 0},
		{"no ready count uses current", 0.8, policy.Observation{Valid: true, Utilization: 0.6}, 3, 3, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &flaky{n: tt.cur}
			l := newLoop(t, Config{AntiFlapThreshold: tt.threshold}, fixed(tt.proposed), o)
			d := l.Step(t0, tt.obs)
			if d.Target != tt.want || o.n != tt.want || d.Proposed != tt.proposed {
				t.Errorf("decision %+v, orchestrator at %d; want target %d", d, o.n, tt.want)
			}
		})
	}
	if _, err := New(Config{AntiFlapThreshold: 1.5}, fixed(1), nil, &flaky{}); !errors.Is(err, ErrConfiguration) {
		t.Errorf("AntiFlapThreshold 1.5: err = %v, want ErrConfiguration", err)
	}
}

// counter is an orchestrator that only keeps the count.
type counter struct{ n int }

func (c *counter) Current(time.Time) (int, error) { return c.n, nil }
func (c *counter) Scale(_ time.Time, n int) error { c.n = n; return nil }

// toggle asks for one instance more or less than it has, so every step
// makes a call.
type toggle struct{}

func (toggle) Name() string { return "toggle" }
func (toggle) Decide(_ time.Time, o policy.Observation) policy.Decision {
	return policy.Decision{Target: 4 + (o.Current+1)%2, Reason: "toggle"}
}

func BenchmarkLoopStep(b *testing.B) {
	obs := policy.Observation{Valid: true, Utilization: 0.5, Ready: 4, RequestRate: 400, Capacity: 100}
	for _, bc := range []struct {
		name string
		p    policy.Policy
	}{{"hold", fixed(4)}, {"scale", toggle{}}} {
		b.Run(bc.name, func(b *testing.B) {
			l := newLoop(b, Config{Min: 1, Max: 100}, bc.p, &counter{n: 4})
			now := t0
			b.ReportAllocs()
			for b.Loop() {
				now = now.Add(15 * time.Second)
				if d := l.Step(now, obs); d.Err != nil {
					b.Fatal(d.Err)
				}
			}
		})
	}
}
