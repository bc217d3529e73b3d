package autoscaler

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/omnixan/omnixan/cost"
	"github.com/omnixan/omnixan/policy"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

type fixed int

func (f fixed) Name() string { return "fixed" }
func (f fixed) Decide(time.Time, policy.Observation) policy.Decision {
	return policy.Decision{Target: int(f), Reason: "fixed"}
}

// recorder is an in-memory orchestrator that can be told to fail.
type recorder struct {
	n     int
	calls []int
	fail  error
}

func (r *recorder) Current(time.Time) (int, error) { return r.n, nil }
func (r *recorder) Scale(_ time.Time, n int) error {
	r.calls = append(r.calls, n)
	if r.fail != nil {
		return r.fail
	}
	r.n = n
	return nil
}

type source struct {
	obs policy.Observation
	err error
}

func (s source) Observe(time.Time) (policy.Observation, error) { return s.obs, s.err }

func TestStepClampsAndActuates(t *testing.T) {
	price := cost.InstanceHour{USDPerHour: 0.5}
	tests := []struct {
		name     string
		cfg      Config
		proposed int
		start    int
		want     Decision
	}{
		{"within bounds", Config{Min: 1, Max: 10}, 5, 3, Decision{Proposed: 5, Target: 5, Previous: 3, Scaled: true, Reason: "fixed"}},
		{"above max", Config{Min: 1, Max: 10}, 50, 3, Decision{Proposed: 50, Target: 10, Previous: 3, Scaled: true, Reason: "fixed; clamped to max 10"}},
		{"below min", Config{Min: 2, Max: 10}, 0, 3, Decision{Proposed: 0, Target: 2, Previous: 3, Scaled: true, Reason: "fixed; clamped to min 2"}},
		{"budget", Config{Min: 1, BudgetPerHour: 2, Price: price}, 9, 3, Decision{Proposed: 9, Target: 4, Previous: 3, Scaled: true, Reason: "fixed; clamped to budget 2.00 USD/h affords 4"}},
		{"no change", Config{Min: 1, Max: 10}, 3, 3, Decision{Proposed: 3, Target: 3, Previous: 3, Reason: "fixed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orch := &recorder{n: tt.start}
			l, err := New(tt.cfg, fixed(tt.proposed), nil, orch)
			if err != nil {
				t.Fatal(err)
			}
			got := l.Step(t0, policy.Observation{})
			tt.want.Time = t0
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
			if orch.n != tt.want.Target {
				t.Errorf("orchestrator at %d, want %d", orch.n, tt.want.Target)
			}
		})
	}
}

func TestStepReportsActuationError(t *testing.T) {
	boom := errors.New("api unavailable")
	orch := &recorder{n: 2, fail: boom}
	l, err := New(Config{Min: 1, Max: 10}, fixed(6), nil, orch)
	if err != nil {
		t.Fatal(err)
	}
	d := l.Step(t0, policy.Observation{})
	if !errors.Is(d.Err, boom) || !d.Scaled || orch.n != 2 {
		t.Errorf("decision %+v, orchestrator at %d; want the error wrapped and the count unchanged", d, orch.n)
	}
}

// capture is a policy that remembers the last observation it saw.
type capture struct{ seen policy.Observation }

func (c *capture) Name() string { return "capture" }
func (c *capture) Decide(_ time.Time, o policy.Observation) policy.Decision {
	c.seen = o
	return policy.Decision{Target: o.Current}
}

func TestTickPassesObservationAndCurrent(t *testing.T) {
	p := &capture{}
	l, err := New(Config{Min: 1}, p, source{obs: policy.Observation{Valid: true, Utilization: 0.5, Ready: 4}}, &recorder{n: 4})
	if err != nil {
		t.Fatal(err)
	}
	l.Tick(t0)
	want := policy.Observation{Valid: true, Utilization: 0.5, Ready: 4, Current: 4}
	if diff := cmp.Diff(want, p.seen); diff != "" {
		t.Errorf("observation (-want +got):\n%s", diff)
	}
	// A metrics error is an invalid observation, not a failure of the loop.
	l, _ = New(Config{Min: 1}, p, source{err: errors.New("scrape failed")}, &recorder{n: 4})
	l.Tick(t0)
	if p.seen.Valid {
		t.Errorf("observation after a metrics error is valid: %+v", p.seen)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{Min: -1}, {Min: 5, Max: 3}, {BudgetPerHour: -1}, {Price: cost.InstanceHour{USDPerHour: -2}}} {
		if _, err := New(c, fixed(1), nil, &recorder{}); !errors.Is(err, ErrConfiguration) {
			t.Errorf("%+v: err = %v, want ErrConfiguration", c, err)
		}
	}
}

// budgetSized proposes a count at a size.
type budgetSized struct {
	n    int
	size policy.Size
}

func (s budgetSized) Name() string { return "sized" }
func (s budgetSized) Decide(time.Time, policy.Observation) policy.Decision {
	return policy.Decision{Target: s.n, Size: s.size}
}

// The budget prices instances by their size when PriceCPU says what size
// Price is for.
func TestBudgetBySize(t *testing.T) {
	cfg := Config{Min: 1, BudgetPerHour: 2, Price: cost.InstanceHour{USDPerHour: 0.1}, PriceCPU: 2}
	for _, tc := range []struct {
		size policy.Size
		obs  policy.Observation
		want int
	}{
		{policy.Size{}, policy.Observation{}, 20},                          // unknown size: at Price
		{policy.Size{CPU: 8, MemoryGiB: 16}, policy.Observation{}, 5},      // 0.4 USD/h each
		{policy.Size{}, policy.Observation{Size: policy.Size{CPU: 1}}, 40}, // observed 1 vCPU: 0.05 USD/h each
	} {
		orch := &recorder{n: 1}
		l, err := New(cfg, budgetSized{n: 100, size: tc.size}, nil, orch)
		if err != nil {
			t.Fatal(err)
		}
		if d := l.Step(t0, tc.obs); d.Target != tc.want {
			t.Errorf("size %+v, observed %+v: target %d, want %d", tc.size, tc.obs.Size, d.Target, tc.want)
		}
	}
}
