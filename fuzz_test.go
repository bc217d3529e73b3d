package omnixan

import (
	"context"
	"errors"
	"testing"
	"time"
)

// FuzzApplyEnv checks that any value of any variable either applies and
// gives a valid Config, or is a *ConfigurationError naming the variable.
func FuzzApplyEnv(f *testing.F) {
	names := []string{EnvModuleName, EnvLogLevel, EnvMaxBudgetUSDPerHour, EnvQuantumCostPerQubitHour,
		EnvCPUCostPerCoreHour, EnvEnablePrometheus, EnvPrometheusPort}
	for i, v := range []string{"web", "debug", "12.5", "0.75", "0x1p-4", "TRUE", "9090", "", "-0", "1e309", "NaN", " 8000 ", "65536"} {
		f.Add(uint8(i), v)
	}
	f.Fuzz(func(t *testing.T, which uint8, value string) {
		name := names[int(which)%len(names)]
		c, err := Config{}.ApplyEnv(mapLookup(map[string]string{name: value}))
		if err != nil {
			var ce *ConfigurationError
			if !errors.As(err, &ce) || ce.Field != name {
				t.Fatalf("%s=%q: error %v does not name the variable", name, value, err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("%s=%q applied, but the Config is invalid: %v", name, value, err)
		}
	})
}

// BenchmarkCheckAndScale measures one check_and_scale pass on a
// simulated cluster: collector, policy, guard, breaker and orchestrator.
func BenchmarkCheckAndScale(b *testing.B) {
	clock := NewVirtualClock(t0)
	c, _ := NewSimulatedCluster(SimConfig{Load: Diurnal(600, 400), Noise: 0.05})
	m, err := New(Config{}, &Options{Collector: c, Orchestrator: c, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := m.Initialize(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.CheckAndScale(ctx); err != nil {
			b.Fatal(err)
		}
		clock.Advance(15 * time.Second)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "passes/s")
}
