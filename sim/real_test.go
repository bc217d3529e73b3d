package sim

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/policy"
	"github.com/omnixan/omnixan/traces"
)

// sharedTrace returns the path of a real trace under ../shared, skipping
// the test when it is absent, unless CI is set.
func sharedTrace(t *testing.T, rel string) string {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "data", "traces", rel)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared trace %s is missing in CI: %v", path, err)
		}
		t.Skipf("shared trace %s absent (it lives in ../shared beside the repository): %v", path, err)
	}
	return path
}

// The NASA web log, read as it is (requests per minute, one row a minute,
// a 37.7-hour outage as zeros), runs through both policies: every request
// is accounted for and the oracle never misses.
func TestRealTraceNASA(t *testing.T) {
	path := sharedTrace(t, "nasa-http-1995/nasa-http-1995-per-minute.csv")
	for _, p := range []policy.Policy{
		mustThreshold(t, policy.ThresholdConfig{Min: 1}),
		&policy.Oracle{StartupDelay: 60e9, SyncPeriod: 15e9},
	} {
		load, err := traces.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Requests per minute ×10 ÷ 60 as req/s: a few instances of 100 req/s, 7 at the peak.
		cfg := Config{Step: 30e9, Scale: 10.0 / 6}
		res, err := Run(context.Background(), cfg, load, p, autoscaler.Config{Min: 1})
		load.Close()
		if err != nil {
			t.Fatal(err)
		}
		if res.Steps != 84332*2 {
			t.Errorf("%s: %d steps of 30 s, want %d (84 332 minutes)", p.Name(), res.Steps, 84332*2)
		}
		if d := res.Arrived - res.Served - res.Backlog; math.Abs(d) > 1e-6*res.Arrived {
			t.Errorf("%s: arrived − served − backlog = %v", p.Name(), d)
		}
		if p.Name() == "oracle" && res.MissSteps != 0 {
			t.Errorf("oracle missed %d steps", res.MissSteps)
		}
		t.Logf("%s: spend %.2f USD, %.1f SLO-miss minutes, peak %d", p.Name(), res.Spend, res.SLOMissMinutes, res.PeakInstances)
	}
}
