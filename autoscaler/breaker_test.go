package autoscaler

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var errCall = errors.New("call failed")

// op is one step of a breaker script at t0 + at: "allow" checks Allow,
// "ok" and "fail" record an outcome (after an Allow that must be true).
type op struct {
	at    time.Duration
	do    string
	allow bool         // for "allow": the wanted answer
	state BreakerState // the wanted state after the step
}

func TestBreakerStateMachine(t *testing.T) {
	s := time.Second
	fails := func(from time.Duration, n int) []op {
		var ops []op
		for i := range n {
			ops = append(ops, op{at: from + time.Duration(i)*s, do: "fail", state: Closed})
		}
		return ops
	}
	cat := func(parts ...[]op) []op {
		var all []op
		for _, p := range parts {
			all = append(all, p...)
		}
		return all
	}
	tests := []struct {
		name  string
		cfg   BreakerConfig
		ops   []op
		trans []Transition
		open  time.Duration // OpenDuration at the last op
	}{
		{
			name: "five consecutive failures open it",
			ops: cat(fails(0, 4), []op{
				{at: 4 * s, do: "fail", state: Open},
				{at: 5 * s, do: "allow", allow: false, state: Open},
				{at: 33 * s, do: "allow", allow: false, state: Open},
			}),
			trans: []Transition{{t0.Add(4 * s), Closed, Open}},
			open:  29 * s,
		},
		{
			name: "a success resets the run",
			ops: cat(fails(0, 4), []op{{at: 4 * s, do: "ok", state: Closed}}, fails(5*s, 4), []op{
				{at: 9 * s, do: "ok", state: Closed},
			}),
		},
		{
			name: "failure ratio over the window",
			cfg:  BreakerConfig{ConsecutiveFailures: -1, Window: 4, MinCalls: 4, FailureRatio: 0.5},
			ops: []op{
				{at: 0, do: "fail", state: Closed},
				{at: s, do: "ok", state: Closed},
				{at: 2 * s, do: "ok", state: Closed},
				{at: 3 * s, do: "ok", state: Closed},   // 1 of 4
				{at: 4 * s, do: "fail", state: Closed}, // window ok ok ok fail: 1 of 4
				{at: 5 * s, do: "fail", state: Open},   // ok ok fail fail: 2 of 4
			},
			trans: []Transition{{t0.Add(5 * s), Closed, Open}},
		},
		{
			name: "ratio needs the minimum number of calls",
			cfg:  BreakerConfig{ConsecutiveFailures: -1, Window: 10, MinCalls: 4},
			ops: []op{
				{at: 0, do: "fail", state: Closed},
				{at: s, do: "fail", state: Closed},
				{at: 2 * s, do: "fail", state: Closed},
				{at: 3 * s, do: "fail", state: Open},
			},
			trans: []Transition{{t0.Add(3 * s), Closed, Open}},
		},
		{
			name: "half-open probe succeeds and closes",
			cfg:  BreakerConfig{ConsecutiveFailures: 1, OpenTimeout: 10 * s},
			ops: []op{
				{at: 0, do: "fail", state: Open},
				{at: 9 * s, do: "allow", allow: false, state: Open},
				{at: 12 * s, do: "allow", allow: true, state: HalfOpen},
				{at: 12 * s, do: "allow", allow: false, state: HalfOpen}, // the one probe is out
				{at: 13 * s, do: "ok", state: Closed},
				{at: 14 * s, do: "allow", allow: true, state: Closed},
			},
			trans: []Transition{
				{t0, Closed, Open},
				{t0.Add(10 * s), Open, HalfOpen}, // at the end of the timeout, not at the call
				{t0.Add(13 * s), HalfOpen, Closed},
			},
			open: 10 * s,
		},
		{
			name: "half-open probe fails and reopens",
			cfg:  BreakerConfig{ConsecutiveFailures: 1, OpenTimeout: 10 * s},
			ops: []op{
				{at: 0, do: "fail", state: Open},
				{at: 10 * s, do: "allow", allow: true, state: HalfOpen},
				{at: 11 * s, do: "fail", state: Open},
				{at: 20 * s, do: "allow", allow: false, state: Open},
				{at: 21 * s, do: "allow", allow: true, state: HalfOpen},
			},
			trans: []Transition{
				{t0, Closed, Open},
				{t0.Add(10 * s), Open, HalfOpen},
				{t0.Add(11 * s), HalfOpen, Open},
				{t0.Add(21 * s), Open, HalfOpen},
			},
			open: 20 * s,
		},
		{
			name: "every probe must succeed",
			cfg:  BreakerConfig{ConsecutiveFailures: 1, OpenTimeout: 10 * s, HalfOpenProbes: 2},
			ops: []op{
				{at: 0, do: "fail", state: Open},
				{at: 10 * s, do: "allow", allow: true, state: HalfOpen},
				{at: 10 * s, do: "ok", state: HalfOpen},
				{at: 11 * s, do: "allow", allow: true, state: HalfOpen},
				{at: 11 * s, do: "fail", state: Open},
			},
			trans: []Transition{
				{t0, Closed, Open},
				{t0.Add(10 * s), Open, HalfOpen},
				{t0.Add(11 * s), HalfOpen, Open},
			},
			open: 10 * s,
		},
		{
			name: "closing clears the window",
			cfg:  BreakerConfig{ConsecutiveFailures: 2, OpenTimeout: 10 * s},
			ops: []op{
				{at: 0, do: "fail", state: Closed},
				{at: s, do: "fail", state: Open},
				{at: 11 * s, do: "allow", allow: true, state: HalfOpen},
				{at: 11 * s, do: "ok", state: Closed},
				{at: 12 * s, do: "fail", state: Closed}, // one failure, not three
			},
			trans: []Transition{
				{t0.Add(s), Closed, Open},
				{t0.Add(11 * s), Open, HalfOpen},
				{t0.Add(11 * s), HalfOpen, Closed},
			},
			open: 10 * s,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Transition
			cfg := tt.cfg
			cfg.OnTransition = func(tr Transition) { got = append(got, tr) }
			b, err := NewBreaker(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var now time.Time
			for i, o := range tt.ops {
				now = t0.Add(o.at)
				switch o.do {
				case "allow":
					if a := b.Allow(now); a != o.allow {
						t.Fatalf("op %d at %v: Allow = %v, want %v", i, o.at, a, o.allow)
					}
				case "ok", "fail":
					if b.State(now) != HalfOpen && !b.Allow(now) {
						t.Fatalf("op %d at %v: Allow = false before recording", i, o.at)
					}
					var e error
					if o.do == "fail" {
						e = errCall
					}
					b.Record(now, e)
				}
				if s := b.State(now); s != o.state {
					t.Fatalf("op %d at %v (%s): state %v, want %v", i, o.at, o.do, s, o.state)
				}
			}
			if diff := cmp.Diff(tt.trans, got); diff != "" {
				t.Errorf("transitions (-want +got):\n%s", diff)
			}
			if d := b.OpenDuration(now); d != tt.open {
				t.Errorf("open for %v, want %v", d, tt.open)
			}
		})
	}
}

func TestBreakerReadyAt(t *testing.T) {
	b, err := NewBreaker(BreakerConfig{ConsecutiveFailures: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.ReadyAt(t0); !got.Equal(t0) {
		t.Errorf("closed: ready at %v, want now", got)
	}
	b.Allow(t0)
	b.Record(t0, errCall)
	if got, want := b.ReadyAt(t0.Add(time.Second)), t0.Add(30*time.Second); !got.Equal(want) {
		t.Errorf("open: ready at %v, want %v (the default 30 s timeout)", got, want)
	}
}

func TestBreakerConfigValidate(t *testing.T) {
	for _, c := range []BreakerConfig{
		{FailureRatio: 1.5}, {Window: -1}, {Window: 5, MinCalls: 6}, {OpenTimeout: -time.Second}, {HalfOpenProbes: -1},
	} {
		var ce *ConfigurationError
		if _, err := NewBreaker(c); !errors.As(err, &ce) || !errors.Is(err, ErrConfiguration) {
			t.Errorf("%+v: err = %v, want a *ConfigurationError", c, err)
		}
	}
	want := BreakerConfig{ConsecutiveFailures: 5, FailureRatio: 0.5, Window: 20, MinCalls: 10, OpenTimeout: 30 * time.Second, HalfOpenProbes: 1}
	if diff := cmp.Diff(want, BreakerConfig{}.WithDefaults()); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}
