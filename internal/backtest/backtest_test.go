package backtest

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/internal/cli"
	"github.com/omnixan/omnixan/sim"
	"github.com/omnixan/omnixan/traces"
)

func TestPolicies(t *testing.T) {
	env := Env(sim.Config{})
	got, err := Policies([]string{"threshold", "hpa"}, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, c := range got {
		labels = append(labels, c.Label)
	}
	if diff := cmp.Diff([]string{"threshold", "hpa", "oracle"}, labels); diff != "" {
		t.Errorf("labels (-want +got)\n%s", diff)
	}
	if got, _ := Policies([]string{"oracle", "threshold"}, nil, env); len(got) != 2 {
		t.Errorf("the oracle was added twice: %d policies", len(got))
	}
	for _, names := range [][]string{{"nope"}, {"threshold", "threshold"}} {
		if _, err := Policies(names, nil, env); !errors.As(err, new(cli.UsageError)) {
			t.Errorf("%q: error %v, want a usage error", names, err)
		}
	}
}

func TestRunIsDeterministicAndOrdered(t *testing.T) {
	length, step := 6*time.Hour, 10*time.Second
	cfg := sim.Config{Step: step}
	pols := func() []string { return []string{"threshold", "target-tracking"} }
	run := func() ([]*sim.Result, int64) {
		ps, err := Policies(pols(), nil, Env(cfg))
		if err != nil {
			t.Fatal(err)
		}
		var steps atomic.Int64
		res, tls, err := Run(context.Background(), Job{
			Config:   cfg,
			Policies: ps,
			Bounds:   autoscaler.Config{Min: 1, Seed: 1},
			Span:     length,
			Open: func() (sim.Load, error) {
				return traces.NewLoad(traces.LoadOptions{Length: length, Step: step, Seed: 1, Base: 500, DailyAmplitude: 0.5})
			},
			Step: func() { steps.Add(1) },
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(tls) != len(res) {
			t.Fatalf("%d timelines for %d results", len(tls), len(res))
		}
		return res, steps.Load()
	}
	a, steps := run()
	b, _ := run()
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two runs differ (-first +second)\n%s", diff)
	}
	if want := int64(3 * length / step); steps != want {
		t.Errorf("%d steps recorded, want %d", steps, want)
	}
	var names []string
	for _, r := range a {
		names = append(names, r.Policy)
	}
	if strings.Join(names, ",") != "threshold,target-tracking,oracle" {
		t.Errorf("results in order %q", names)
	}

	// A load that cannot be opened fails the run with its error.
	ps, _ := Policies(pols(), nil, Env(cfg))
	boom := errors.New("boom")
	_, _, err := Run(context.Background(), Job{Config: cfg, Policies: ps, Span: length, Open: func() (sim.Load, error) { return nil, boom }})
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want boom", err)
	}
}
