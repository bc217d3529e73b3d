package reports

import (
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/omnixan/omnixan/sim"
)

type timelineRow struct {
	Time        time.Time `parquet:"time,timestamp(nanosecond)"`
	Policy      string    `parquet:"policy"`
	Demand      float64   `parquet:"demand"`
	Capacity    float64   `parquet:"capacity"`
	Ready       int64     `parquet:"ready"`
	Pending     int64     `parquet:"pending"`
	Utilization float64   `parquet:"utilization"`
	Latency     *float64  `parquet:"latency,optional"`
	SLOMiss     bool      `parquet:"slo_miss"`
	SpendUSD    float64   `parquet:"spend_usd"`
	Forecast    *float64  `parquet:"forecast,optional"`
	Lower80     *float64  `parquet:"lower_80,optional"`
	Upper80     *float64  `parquet:"upper_80,optional"`
	Lower95     *float64  `parquet:"lower_95,optional"`
	Upper95     *float64  `parquet:"upper_95,optional"`
}

func ptr(v float64) *float64 { return &v }

// stepRecord is the i-th step of a made-up run; forecasting policies get
// a forecast from step 2 on, and every 7th step is overloaded.
func stepRecord(i int, forecasts bool) sim.StepRecord {
	r := sim.StepRecord{
		Time: epoch.Add(time.Duration(i) * 10 * time.Second), Demand: float64(100 + i),
		Ready: 2 + i%3, Provisioned: 3 + i%3, Utilization: 0.5, Latency: 0.1, Cost: 0.001,
	}
	if i%7 == 0 {
		r.Latency, r.Miss = math.Inf(1), true
	}
	if forecasts && i >= 2 {
		f := float64(i)
		r.HasForecast, r.Forecast, r.Lower80, r.Upper80, r.Lower95, r.Upper95 = true, f, f-1, f+1, f-2, f+2
	}
	return r
}

var epoch = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func TestTimelineWriterRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, TimelineFile)
	policies := []string{"threshold", "predictive", "oracle"}
	const steps = 3000 // several batches per policy
	w, err := NewTimelineWriter(path, 100, policies)
	if err != nil {
		t.Fatal(err)
	}
	// Policies record in parallel, as cmd/sim runs them; the file is in
	// policy order all the same.
	var wg sync.WaitGroup
	for _, p := range policies {
		wg.Go(func() {
			for i := range steps {
				w.Record(p, stepRecord(i, p == "predictive"))
			}
		})
	}
	wg.Wait()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("%s exists before Close: %v", path, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range pf.Schema().Fields() {
		names = append(names, c.Name())
	}
	if diff := cmp.Diff(timelineColumns, names); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	types := map[string]string{}
	for _, c := range pf.Schema().Fields() {
		types[c.Name()] = c.Type().String()
		if lt := c.Type().LogicalType(); lt != nil {
			types[c.Name()] = lt.String()
		}
		if c.Optional() {
			types[c.Name()] += " optional"
		}
	}
	wantTypes := map[string]string{
		"time": "TIMESTAMP(isAdjustedToUTC=true,unit=NANOS)", "policy": "STRING", "demand": "DOUBLE", "capacity": "DOUBLE",
		"ready": "INT(64,true)", "pending": "INT(64,true)", "utilization": "DOUBLE", "latency": "DOUBLE optional",
		"slo_miss": "BOOLEAN", "spend_usd": "DOUBLE", "forecast": "DOUBLE optional",
		"lower_80": "DOUBLE optional", "upper_80": "DOUBLE optional", "lower_95": "DOUBLE optional", "upper_95": "DOUBLE optional",
	}
	if diff := cmp.Diff(wantTypes, types); diff != "" {
		t.Errorf("column types (-want +got):\n%s", diff)
	}

	rows := make([]timelineRow, pf.NumRows())
	r := parquet.NewGenericReader[timelineRow](f)
	n, err := r.Read(rows)
	if n != len(rows) || n != steps*len(policies) {
		t.Fatalf("read %d of %d rows, want %d: %v", n, len(rows), steps*len(policies), err)
	}
	for pi, p := range policies {
		for i := range steps {
			in := stepRecord(i, p == "predictive")
			want := timelineRow{
				Time: in.Time, Policy: p, Demand: in.Demand, Capacity: float64(in.Ready) * 100,
				Ready: int64(in.Ready), Pending: 1, Utilization: 0.5, SLOMiss: in.Miss,
				SpendUSD: float64(i+1) * 0.001,
			}
			if !in.Miss {
				want.Latency = ptr(0.1)
			}
			if in.HasForecast {
				want.Forecast, want.Lower80, want.Upper80, want.Lower95, want.Upper95 =
					ptr(in.Forecast), ptr(in.Lower80), ptr(in.Upper80), ptr(in.Lower95), ptr(in.Upper95)
			}
			got := rows[pi*steps+i]
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(a)) })); diff != "" {
				t.Fatalf("row %d (-want +got):\n%s", pi*steps+i, diff)
			}
		}
	}
}

func TestTimelineWriterAbort(t *testing.T) {
	dir := t.TempDir()
	w, err := NewTimelineWriter(filepath.Join(dir, TimelineFile), 100, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		w.Record("a", stepRecord(i, false))
	}
	w.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left after Abort: %v", entries)
	}
	if err := w.Close(); err == nil {
		t.Error("Close after Abort succeeded")
	}
	if _, err := NewTimelineWriter(filepath.Join(dir, TimelineFile), 100, []string{"a", "a"}); err == nil {
		t.Error("a policy named twice was accepted")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left after a failed NewTimelineWriter: %v", entries)
	}
}
