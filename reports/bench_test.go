package reports

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/omnixan/omnixan/sim"
)

// BenchmarkTimelineRecord measures timeline.parquet's cost per step: one
// policy's rows recorded and the file closed, with a forecast on every
// other step as a forecasting policy has.
func BenchmarkTimelineRecord(b *testing.B) {
	dir := b.TempDir()
	w, err := NewTimelineWriter(filepath.Join(dir, TimelineFile), 100, []string{"threshold"})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := sim.StepRecord{Time: t0.Add(time.Duration(i) * time.Second), Demand: 500 + float64(i%97), Need: 6, Ready: 7, Provisioned: 8,
			Utilization: 0.7, Latency: 0.05, Cost: 1e-4}
		if i%2 == 0 {
			r.HasForecast, r.Forecast, r.Lower80, r.Upper80, r.Lower95, r.Upper95 = true, 510, 480, 540, 470, 550
		}
		w.Record("threshold", r)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/step")
}
