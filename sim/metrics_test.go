package sim

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/policy"
)

// watcher keeps a fixed count and records what it is shown.
type watcher struct {
	n    int
	seen []seen
}

type seen struct {
	now time.Duration
	obs policy.Observation
}

func (w *watcher) Name() string          { return "watcher" }
func (w *watcher) Initial(time.Time) int { return w.n }
func (w *watcher) Decide(now time.Time, o policy.Observation) policy.Decision {
	w.seen = append(w.seen, seen{now.Sub(epoch), o})
	return policy.Decision{Target: w.n}
}

// The policy sees a load change one scrape window plus the collector's
// delay after it happens, never sooner.
func TestScrapeIntervalAndDelay(t *testing.T) {
	for _, tc := range []struct {
		interval, delay time.Duration
		firstSeen       time.Duration
	}{
		{15 * time.Second, 15 * time.Second, 330 * time.Second}, // window (300, 315] readable at 330
		{15 * time.Second, -1, 315 * time.Second},               // no delay: the sample at 315 s, read at once
		{30 * time.Second, 60 * time.Second, 390 * time.Second}, // window (300, 330] readable at 390
	} {
		w := &watcher{n: 10}
		cfg := Config{Scrape: Scrape{Interval: tc.interval, Delay: tc.delay}}
		load := stepLoad(10*time.Second, 60, 30, 250, 500) // 250 → 500 req/s at 300 s
		if _, err := Run(context.Background(), cfg, load, w, autoscaler.Config{Min: 1}); err != nil {
			t.Fatal(err)
		}
		var first time.Duration = -1
		for _, s := range w.seen {
			if s.obs.Valid && s.obs.RequestRate == 500 {
				first = s.now
				break
			}
		}
		if first != tc.firstSeen {
			t.Errorf("interval %v delay %v: policy first saw 500 req/s at %v, want %v", tc.interval, tc.delay, first, tc.firstSeen)
		}
		for _, s := range w.seen {
			if !s.obs.Valid {
				continue
			}
			if age := s.now - s.obs.Time.Sub(epoch); age < max(tc.delay, 0) {
				t.Errorf("at %v the policy saw a sample %v old, younger than the delay %v", s.now, age, tc.delay)
			}
			if s.obs.Ready != 10 || s.obs.Current != 10 {
				t.Errorf("at %v ready %d current %d, want 10", s.now, s.obs.Ready, s.obs.Current)
			}
			if u := s.obs.RequestRate / 1000; math.Abs(s.obs.Utilization-u) > 1e-12 {
				t.Errorf("at %v utilisation %v, want rate/capacity = %v", s.now, s.obs.Utilization, u)
			}
		}
		if len(w.seen) == 0 || w.seen[0].obs.Valid {
			t.Errorf("the first decision, before any scrape, should see no metrics")
		}
	}
}
