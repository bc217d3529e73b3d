package reports

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/cmpimg"
	"gonum.org/v1/plot/vg"

	"github.com/omnixan/omnixan/sim"
)

// goldenPNG renders p and compares it with testdata/name, allowing the
// small differences font rasterisers give across platforms. With -update
// it rewrites the golden image; on a mismatch it writes the new image
// next to it as name.got.png for inspection.
func goldenPNG(t *testing.T, name string, p *plot.Plot, w, h vg.Length) {
	t.Helper()
	wt, err := p.WriterTo(w, h, "png")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := wt.WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	ok, err := cmpimg.EqualApprox("png", want, got.Bytes(), 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		gotPath := path + ".got.png"
		os.WriteFile(gotPath, got.Bytes(), 0o644)
		t.Errorf("%s differs from the golden image; see %s (run go test ./reports -update to accept it)", path, gotPath)
	}
}

// sampleTimelines are two days of one-minute steps of a daily cycle for
// three policies: threshold lags and misses at the peaks, predictive
// forecasts, and the oracle follows the need.
func sampleTimelines() []*Timeline {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	const steps = 2 * 24 * 60
	var tls []*Timeline
	for pi, name := range []string{"threshold", "predictive", "oracle"} {
		tl := NewTimeline(name, 100, steps*time.Minute, time.Minute, 500)
		spendPerInst := 0.10 / 60
		for i := range steps {
			phase := 2 * math.Pi * float64(i) / (24 * 60)
			d := 1000 - 600*math.Cos(phase)
			lag := []float64{40, 15, 0}[pi]
			dl := 1000 - 600*math.Cos(phase-2*math.Pi*lag/(24*60))
			ready := int(math.Ceil(dl / 95))
			r := sim.StepRecord{
				Time: start.Add(time.Duration(i) * time.Minute), Demand: d,
				Ready: ready, Provisioned: ready + 1, Cost: float64(ready+1) * spendPerInst,
				Miss: float64(ready)*100 < d,
			}
			if name == "predictive" && i >= 60 {
				f := 1000 - 600*math.Cos(phase-0.05)
				r.HasForecast, r.Forecast = true, f
				r.Lower80, r.Upper80, r.Lower95, r.Upper95 = f-80, f+80, f-130, f+130
			}
			tl.Record(r)
		}
		tl.Close()
		tls = append(tls, tl)
	}
	return tls
}

func TestPlotsGolden(t *testing.T) {
	tls := sampleTimelines()
	const w, h = 30 * vg.Centimeter, 14 * vg.Centimeter
	for _, tc := range []struct {
		name string
		plot func() (*plot.Plot, error)
		w    vg.Length
	}{
		{"demand-vs-capacity.golden.png", func() (*plot.Plot, error) { return DemandVsCapacity("Demand vs capacity", tls) }, w},
		{"forecast.golden.png", func() (*plot.Plot, error) { return ForecastVsActual("Forecast vs actual: predictive", tls[1]) }, w},
		{"cumulative-spend.golden.png", func() (*plot.Plot, error) { return CumulativeSpend("Cumulative spend", tls) }, w},
		{"slo-misses.golden.png", func() (*plot.Plot, error) { return SLOMisses("SLO misses", tls) }, w},
		{"spend-vs-slo.golden.png", func() (*plot.Plot, error) { return SpendVsSLO("Spend vs SLO misses", sample()) }, 20 * vg.Centimeter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.plot()
			if err != nil {
				t.Fatal(err)
			}
			goldenPNG(t, tc.name, p, tc.w, h)
		})
	}
}

func TestPlotsRejectNothing(t *testing.T) {
	if _, err := ForecastVsActual("x", sampleTimelines()[0]); err == nil {
		t.Error("forecast plot of a policy without forecasts succeeded")
	}
	if _, err := CumulativeSpend("x", nil); err == nil {
		t.Error("spend plot of nothing succeeded")
	}
	if _, err := SLOMisses("x", nil); err == nil {
		t.Error("SLO plot of nothing succeeded")
	}
	if _, err := SpendVsSLO("x", Summary{}); err == nil {
		t.Error("scatter of no policies succeeded")
	}
}

func TestTimelineForecastAndSpend(t *testing.T) {
	tls := sampleTimelines()
	thr, pred := tls[0], tls[1]
	if thr.Forecasts() || !pred.Forecasts() {
		t.Errorf("Forecasts(): threshold %v, predictive %v", thr.Forecasts(), pred.Forecasts())
	}
	if pred.HasForecast[0] || !pred.HasForecast[len(pred.HasForecast)-1] {
		t.Errorf("predictive forecasts from the first hour: %v…", pred.HasForecast[:3])
	}
	for i := 1; i < len(thr.Spend); i++ {
		if thr.Spend[i] <= thr.Spend[i-1] {
			t.Fatalf("spend fell at bucket %d: %v → %v", i, thr.Spend[i-1], thr.Spend[i])
		}
	}
	misses := 0
	for _, m := range tls[2].Misses {
		misses += m
	}
	if misses != 0 {
		t.Errorf("sample oracle missed %d steps", misses)
	}
}
