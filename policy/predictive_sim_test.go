package policy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/policy"
	"github.com/omnixan/omnixan/sim"
	"github.com/omnixan/omnixan/traces"
)

// runWebDiurnal runs p on the built-in scenario web-diurnal (a week at
// 10 s steps) with the given seed, bounded by the policy's own bounds.
func runWebDiurnal(t *testing.T, seed uint64, p policy.Policy) *sim.Result {
	t.Helper()
	sc, err := sim.LookupScenario("web-diurnal")
	if err != nil {
		t.Fatal(err)
	}
	cfg := sc.Config
	cfg.Step = 10 * time.Second
	length := time.Duration(sc.Days * float64(24*time.Hour))
	load, err := traces.NewLoad(sc.LoadOptions(length, cfg.Step, seed))
	if err != nil {
		t.Fatal(err)
	}
	ac := autoscaler.Config{Min: 1}
	if b, ok := p.(policy.Bounded); ok {
		ac.Min, ac.Max = b.Bounds()
	}
	res, err := sim.Run(context.Background(), cfg, load, p, ac)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestPredictiveBeatsReactiveOnWebDiurnal checks the predictive policy's
// defaults against the reactive baselines on web-diurnal: with the
// default seed (1) it must miss the SLO for fewer minutes than the
// Kubernetes HPA (its defaults: 80% CPU, 5-minute downscale
// stabilisation) while spending no more. Seeds 2–5 are logged, with
// target tracking and step scaling beside them.
func TestPredictiveBeatsReactiveOnWebDiurnal(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5}
	if testing.Short() {
		seeds = seeds[:1]
	}
	var table strings.Builder
	fmt.Fprintf(&table, "seed  %-16s %9s %9s %7s\n", "policy", "spend", "miss-min", "sMAPE")
	for _, seed := range seeds {
		hpa, err := policy.NewHPA(policy.HPAConfig{MaxReplicas: 100})
		if err != nil {
			t.Fatal(err)
		}
		tt, err := policy.NewTargetTracking(policy.TargetTrackingConfig{})
		if err != nil {
			t.Fatal(err)
		}
		st, err := policy.NewStepScaling(policy.StepScalingConfig{})
		if err != nil {
			t.Fatal(err)
		}
		pr, err := policy.NewPredictive(policy.PredictiveConfig{})
		if err != nil {
			t.Fatal(err)
		}
		res := map[string]*sim.Result{}
		for _, p := range []policy.Policy{hpa, tt, st, pr} {
			r := runWebDiurnal(t, seed, p)
			res[p.Name()] = r
			smape := "-"
			if r.Forecast != nil {
				smape = fmt.Sprintf("%.2f", r.Forecast.SMAPE)
			}
			fmt.Fprintf(&table, "%4d  %-16s %9.2f %9.2f %7s\n", seed, p.Name(), r.Spend, r.SLOMissMinutes, smape)
		}
		if seed != 1 {
			continue
		}
		p, base := res["predictive"], res["hpa"]
		if p.Forecast == nil || p.Forecast.Forecasts == 0 {
			t.Errorf("seed %d: the predictive policy's forecasts were not scored", seed)
		}
		if !(p.SLOMissMinutes < base.SLOMissMinutes) || p.Spend > base.Spend {
			t.Errorf("seed %d: predictive missed %.2f min at %.2f USD; want fewer than the HPA's %.2f min at no more than its %.2f USD",
				seed, p.SLOMissMinutes, p.Spend, base.SLOMissMinutes, base.Spend)
		}
	}
	t.Logf("web-diurnal, one week:\n%s", table.String())
}
