package sim

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/policy"
)

// rampLoad grows linearly from a to b req/s over n steps of 10 s.
func rampLoad(n int, a, b float64) *sliceLoad {
	r := make([]float64, n)
	for i := range r {
		r[i] = a + (b-a)*float64(i)/float64(n-1)
	}
	return &sliceLoad{step: 10 * time.Second, rates: r}
}

// fleetWatch records the worst rolling restart: the most billed instances
// not ready at the end of a step.
type fleetWatch struct {
	down, steps int
}

func (f *fleetWatch) record(r StepRecord) {
	f.steps++
	f.down = max(f.down, r.Provisioned-r.Ready)
}

func TestVerticalGrowsInstancesInRollingRestarts(t *testing.T) {
	// Two days growing from 150 to 600 req/s on 4 instances that start at
	// 2 vCPU (100 req/s each): the load needs bigger instances.
	var fw fleetWatch
	cfg := Config{InitialInstances: 4, Record: fw.record}
	p, err := policy.NewVertical(policy.VerticalConfig{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), cfg, rampLoad(2*8640, 150, 600), p, autoscaler.Config{Min: 1, Max: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 2*8640 || fw.steps != res.Steps {
		t.Fatalf("ran %d steps (recorded %d), want %d", res.Steps, fw.steps, 2*8640)
	}
	if res.Resizes == 0 || res.Restarts < 4 {
		t.Fatalf("resizes %d, restarts %d: want the policy to resize the 4 instances", res.Resizes, res.Restarts)
	}
	if res.MeanInstanceCPU <= 2 {
		t.Errorf("mean instance CPU %v, want above the starting 2 vCPU", res.MeanInstanceCPU)
	}
	if res.ScaleActions != 0 || res.PeakInstances != 4 {
		t.Errorf("scale actions %d, peak %d: the vertical policy keeps the count", res.ScaleActions, res.PeakInstances)
	}
	// Rolling: with 4 instances at most max(1, ⌊4/4⌋) = 1 restarts at a
	// time (OOM kills aside).
	if res.OOMKills == 0 && fw.down > 1 {
		t.Errorf("up to %d instances down at once, want at most 1", fw.down)
	}
	if res.Served < 0.99*res.Arrived {
		t.Errorf("served %v of %v requests", res.Served, res.Arrived)
	}
}

func TestResizeRollsAQuarterAtATime(t *testing.T) {
	// 12 instances resized at 10 min: 3 restart at a time (60 s each), so
	// 4 waves; the ready count never falls below 9.
	var minReady = 1 << 30
	cfg := Config{InitialInstances: 12, Record: func(r StepRecord) { minReady = min(minReady, r.Ready) }}
	p := &resizeAt{at: epoch.Add(10 * time.Minute), size: policy.Size{CPU: 4, MemoryGiB: 8}}
	res, err := Run(context.Background(), cfg, stepLoad(10*time.Second, 180, 0, 500, 500), p, autoscaler.Config{Min: 1, Max: 100})
	if err != nil {
		t.Fatal(err)
	}
	got := []int{res.Resizes, res.Restarts, minReady, res.OOMKills}
	if d := cmp.Diff([]int{1, 12, 9, 0}, got); d != "" {
		t.Errorf("resizes, restarts, least ready, OOM kills (-want +got):\n%s", d)
	}
	// 12 × 2 vCPU for 30 min, and 4 vCPU from the restarts: the bill of
	// the mean vCPU is between.
	if res.MeanInstanceCPU <= 2 || res.MeanInstanceCPU >= 4 {
		t.Errorf("mean instance CPU %v, want in (2, 4)", res.MeanInstanceCPU)
	}
}

// resizeAt keeps the count and asks for size from at.
type resizeAt struct {
	at   time.Time
	size policy.Size
}

func (r *resizeAt) Name() string { return "resize-at" }
func (r *resizeAt) Decide(now time.Time, o policy.Observation) policy.Decision {
	d := policy.Decision{Target: o.Current}
	if !now.Before(r.at) {
		d.Size = r.size
	}
	return d
}

func TestOOMKillsRestartAndAreObserved(t *testing.T) {
	// 1 vCPU instances with 1 GiB at 90% load hold 2.25 requests each:
	// 0.5 + 0.5 × 2.25 = 1.625 GiB > 1 GiB, so they are killed.
	w := &oomWatch{}
	cfg := Config{InitialInstances: 4, Size: policy.Size{CPU: 1, MemoryGiB: 1}, Service: Service{Capacity: 50}}
	res, err := Run(context.Background(), cfg, stepLoad(10*time.Second, 60, 0, 180, 180), w, autoscaler.Config{Min: 1, Max: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.OOMKills == 0 || w.seen == 0 {
		t.Fatalf("OOM kills %d, observed %d: want both", res.OOMKills, w.seen)
	}
	if w.seen > res.OOMKills {
		t.Errorf("observed %d OOM kills of %d", w.seen, res.OOMKills)
	}
}

type oomWatch struct{ seen int }

func (w *oomWatch) Name() string { return "oom-watch" }
func (w *oomWatch) Decide(_ time.Time, o policy.Observation) policy.Decision {
	w.seen += o.OOMEvents
	return policy.Decision{Target: o.Current}
}

func TestResizingPoliciesDeterministic(t *testing.T) {
	for _, name := range []string{"vertical", "hybrid"} {
		run := func() *Result {
			spec, err := policy.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			p, err := spec.New(policy.Env{StartupDelay: time.Minute, SyncPeriod: 15 * time.Second, Capacity: 100}, nil)
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{Faults: Faults{Seed: 3, ErrorRate: 0.1}}
			res, err := Run(context.Background(), cfg, rampLoad(8640, 150, 900), p, autoscaler.Config{Min: 1, Max: 100, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		a, b := run(), run()
		if d := cmp.Diff(a, b); d != "" {
			t.Errorf("%s: two runs differ (-first +second):\n%s", name, d)
		}
	}
}
