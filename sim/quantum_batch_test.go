package sim

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/omnixan/omnixan/policy"
	"github.com/omnixan/omnixan/traces"
)

// runBatch runs the quantum-batch scenario for its default length under
// the policies spec builds with params.
func runBatch(t *testing.T, name string, params map[string]any) *QuantumResult {
	t.Helper()
	sc, err := LookupScenario("quantum-batch")
	if err != nil {
		t.Fatal(err)
	}
	length := time.Duration(sc.Days * float64(24*time.Hour))
	ao := sc.JobOptions(length, 1)
	jobs, err := traces.NewArrivals(ao)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := policy.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := RunQuantum(context.Background(), QuantumRun{
		Config: sc.Quantum.Config, Start: ao.Start, End: ao.Start.Add(length), Seed: 1,
		Policy: func(env policy.Env) (policy.Policy, error) { return spec.New(env, params) },
	}, jobs)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The required result: on quantum-batch, a predictive or hybrid
// policy waits less at the 95th percentile than a static allocation of
// the same spend. The static allocation holds, in every pool, at least the
// policy's mean count, and more reserved QPUs until it spends at least as
// much; it still waits longer, because bursts outrun any fixed capacity
// the same money buys.
func TestAdaptiveBeatsStaticOfSameSpend(t *testing.T) {
	if testing.Short() {
		t.Skip("runs quantum-batch eight times")
	}
	for _, name := range []string{"predictive", "hybrid"} {
		a := runBatch(t, name, nil)
		workers := int(math.Ceil(a.MeanByPool[policy.PoolSimulators]))
		qpu := policy.PoolQPU + "ibm-eagle"
		var s *QuantumResult
		n := int(math.Ceil(a.MeanByPool[qpu]))
		for ; n <= 8; n++ {
			s = runBatch(t, "static", map[string]any{"instances": 0, "pools": map[string]any{policy.PoolSimulators: workers, qpu: n}})
			if s.Spend >= a.Spend {
				break
			}
		}
		t.Logf("%s: %.0f USD, wait p95 %v, %d over objective; static (%d workers, %d reserved): %.0f USD, wait p95 %v, %d over objective",
			name, a.Spend, a.WaitP95, a.OverSLO, workers, n, s.Spend, s.WaitP95, s.OverSLO)
		if s.Spend < a.Spend {
			t.Fatalf("%s: no static allocation within the reservation limit spends as much (%.0f < %.0f USD)", name, s.Spend, a.Spend)
		}
		if a.WaitP95 >= s.WaitP95 {
			t.Errorf("%s waits %v at p95, not less than the static allocation of the same spend (%v)", name, a.WaitP95, s.WaitP95)
		}
	}
}
