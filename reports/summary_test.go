package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/omnixan/omnixan/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func sample() Summary {
	return Summary{
		Scenario: "web-diurnal", Seed: 7,
		Start:       time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC),
		End:         time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC),
		StepSeconds: 10,
		Policies: []PolicySummary{
			{Name: "threshold", SpendUSD: 175.35666666666668, SLOMissMinutes: 26.833333333333332, SLOMissFraction: 0.0073602935412,
				ScaleActions: 55, MeanInstances: 10.437896825396825, PeakInstances: 20, OverprovisionRatio: 1.3537135312},
			{Name: "oracle", SpendUSD: 129.6975, ScaleActions: 138, MeanInstances: 7.72, PeakInstances: 23, OverprovisionRatio: 1.0012},
			{Name: "predictive", SpendUSD: 140.1, ScaleActions: 90, MeanInstances: 8.3, PeakInstances: 21, OverprovisionRatio: 1.2,
				BudgetBreachMinutes: 3.5, BreakerOpenMinutes: 10, Retries: 4, FailedActions: 1,
				Forecast: &ForecastSummary{HorizonSeconds: 75, SMAPE: 6.123456789012, MASE: 0.9, WAPE: 0.061, Accuracy: 0.939, IntervalCoverage: 0.93}},
		},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// The JSON field names are an interface: this golden file must only ever
// gain fields.
func TestSummaryJSONGolden(t *testing.T) {
	var b bytes.Buffer
	if err := sample().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.golden.json", b.Bytes())
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"scenario", "seed", "start", "end", "step_seconds", "policies"} {
		if _, ok := m[k]; !ok {
			t.Errorf("summary.json lacks %q", k)
		}
	}
	p := m["policies"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "spend_usd", "slo_miss_minutes", "slo_miss_fraction", "scale_actions", "mean_instances", "peak_instances", "overprovision_ratio",
		"budget_breach_minutes", "breaker_open_minutes", "retries", "failed_actions"} {
		if _, ok := p[k]; !ok {
			t.Errorf("policy object lacks %q", k)
		}
	}
	if _, ok := p["forecast"]; ok {
		t.Error("a policy without forecasts has a forecast object")
	}
	f := m["policies"].([]any)[2].(map[string]any)["forecast"].(map[string]any)
	for _, k := range []string{"horizon_seconds", "smape", "mase", "wape", "accuracy", "interval_coverage"} {
		if _, ok := f[k]; !ok {
			t.Errorf("forecast object lacks %q", k)
		}
	}
}

func TestSummaryMarkdownGolden(t *testing.T) {
	var b bytes.Buffer
	if err := sample().WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.golden.md", b.Bytes())
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := sample().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 4 || !strings.Contains(lines[1], "threshold") || !strings.Contains(lines[1], "175.36") {
		t.Errorf("table:\n%s", b.String())
	}
}

func TestWriteFileKeepsOldFileOnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.txt")
	if err := WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "first"); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := WriteFile(path, func(w io.Writer) error { io.WriteString(w, "half"); return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "first" {
		t.Errorf("file holds %q after a failed write, want the earlier %q", got, "first")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestTimelineBuckets(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tl := NewTimeline("p", 100, time.Hour, 10*time.Second, 12) // 5-minute buckets
	if tl.Bucket != 5*time.Minute {
		t.Fatalf("bucket %v, want 5m", tl.Bucket)
	}
	for i := 0; i < 360; i++ {
		tl.Record(sim.StepRecord{Time: start.Add(time.Duration(i) * 10 * time.Second), Demand: float64(i / 30), Ready: 2, Provisioned: 3})
	}
	tl.Close()
	if len(tl.Time) != 12 {
		t.Fatalf("%d buckets, want 12", len(tl.Time))
	}
	for i := range tl.Time {
		if want := start.Add(time.Duration(i) * 5 * time.Minute); !tl.Time[i].Equal(want) {
			t.Errorf("bucket %d starts %v, want %v", i, tl.Time[i], want)
		}
		if tl.Demand[i] != float64(i) || tl.Served[i] != 200 || tl.Instance[i] != 3 {
			t.Errorf("bucket %d: demand %v served %v instances %v", i, tl.Demand[i], tl.Served[i], tl.Instance[i])
		}
	}
}

func TestDemandVsCapacityPNG(t *testing.T) {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	var tls []*Timeline
	for _, name := range []string{"threshold", "oracle"} {
		tl := NewTimeline(name, 100, 24*time.Hour, time.Minute, 500)
		for i := 0; i < 24*60; i++ {
			tl.Record(sim.StepRecord{Time: start.Add(time.Duration(i) * time.Minute), Demand: 500 + float64(i%300), Ready: 8 + i%3})
		}
		tl.Close()
		tls = append(tls, tl)
	}
	p, err := DemandVsCapacity("test", tls)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "plot.png")
	if err := SavePNG(p, 600, 300, path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 400 {
		t.Errorf("image is %v, want 600×300 points at 96 dpi: 800×400 pixels", b)
	}
	if _, err := DemandVsCapacity("empty", nil); err == nil {
		t.Error("plotting no timelines succeeded")
	}
}

func TestTimeTicks(t *testing.T) {
	lo := float64(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).Unix())
	ticks := timeTicker{}.Ticks(lo, lo+7*86400)
	if len(ticks) != 8 || ticks[0].Label != "Mon Jan 5" || ticks[7].Label != "Mon Jan 12" {
		t.Errorf("week ticks: %+v", ticks)
	}
	ticks = timeTicker{}.Ticks(lo, lo+86400)
	if len(ticks) != 9 || ticks[1].Label != "03:00" {
		t.Errorf("day ticks: %+v", ticks)
	}
}

func TestNiceTicks(t *testing.T) {
	var labels []string
	for _, tk := range (niceTicker{}).Ticks(0, 2520) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if diff := cmp.Diff([]string{"0", "500", "1000", "1500", "2000", "2500"}, labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}
