package reports

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/bytestreamsplit"
	"github.com/parquet-go/parquet-go/encoding/delta"

	"github.com/omnixan/omnixan/sim"
)

// pqSteps makes n steps of policy with varied values. With gaps, latency
// is unbounded (+Inf) every 5th step and NaN every 97th, both null in the
// file, and a forecast, when forecasts, comes from step 50 on except every
// 11th step; without, every step has a latency and a forecast.
func pqSteps(seed uint64, n int, forecasts, gaps bool) []sim.StepRecord {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]sim.StepRecord, n)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range out {
		ready := rng.IntN(40)
		r := sim.StepRecord{
			Time: t0.Add(time.Duration(i)*time.Second + time.Duration(rng.IntN(1000))), Demand: rng.Float64() * 1e4,
			Ready: ready, Provisioned: ready + rng.IntN(4), Utilization: rng.Float64(), Latency: rng.ExpFloat64() / 10,
			Miss: rng.IntN(3) == 0, Cost: rng.Float64() / 1e3,
		}
		switch {
		case !gaps:
		case i%5 == 0:
			r.Latency = math.Inf(1)
		case i%97 == 0:
			r.Latency = math.NaN()
		}
		if forecasts && (!gaps || i >= 50 && i%11 != 0) {
			f := rng.NormFloat64()*100 + 500
			r.HasForecast, r.Forecast, r.Lower80, r.Upper80, r.Lower95, r.Upper95 = true, f, f-rng.Float64(), f+rng.Float64(), f-2, f+2
		}
		out[i] = r
	}
	return out
}

// pqWant is the row of the file that step r of policy becomes, spend the
// policy's cost up to and including it.
func pqWant(policy string, r sim.StepRecord, capacity, spend float64) timelineRow {
	w := timelineRow{
		Time: r.Time, Policy: policy, Demand: r.Demand, Capacity: float64(r.Ready) * capacity,
		Ready: int64(r.Ready), Pending: int64(r.Provisioned - r.Ready), Utilization: r.Utilization,
		SLOMiss: r.Miss, SpendUSD: spend,
	}
	if !math.IsInf(r.Latency, 0) && !math.IsNaN(r.Latency) {
		w.Latency = ptr(r.Latency)
	}
	if r.HasForecast {
		w.Forecast, w.Lower80, w.Upper80, w.Lower95, w.Upper95 = ptr(r.Forecast), ptr(r.Lower80), ptr(r.Upper80), ptr(r.Lower95), ptr(r.Upper95)
	}
	return w
}

// writeTimeline writes steps of each policy to path, the policies
// recording concurrently.
func writeTimeline(t *testing.T, path string, policies []string, steps [][]sim.StepRecord) {
	t.Helper()
	w, err := NewTimelineWriter(path, 250, policies)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i, p := range policies {
		wg.Go(func() {
			for _, r := range steps[i] {
				w.Record(p, r)
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// Every value written, nulls included, reads back exactly with
// parquet-go, across several row groups and partial pages, and the
// column chunks' statistics agree with the values.
func TestTimelineWriterValuesExact(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, TimelineFile)
	policies := []string{"reactive", "predictive", "oracle"}
	steps := [][]sim.StepRecord{
		pqSteps(1, timelineRowGroup+3*pqPageRows+123, false, true), // two row groups, the last page partial
		pqSteps(2, timelineRowGroup+5, true, true),
		pqSteps(3, pqPageRows+1, true, false), // no nulls
	}
	writeTimeline(t, path, policies, steps)

	var want []timelineRow
	for i, p := range policies {
		spend := 0.0
		for _, r := range steps[i] {
			spend += r.Cost
			want = append(want, pqWant(p, r, 250, spend))
		}
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
	if got := len(pf.RowGroups()); got != 5 {
		t.Errorf("%d row groups, want 5", got)
	}
	got := make([]timelineRow, pf.NumRows()+1)
	n, err := parquet.NewGenericReader[timelineRow](f).Read(got)
	if n != len(want) {
		t.Fatalf("read %d rows, want %d: %v", n, len(want), err)
	}
	for i := range want {
		if pqRowEqual(want[i], got[i]) {
			continue
		}
		if diff := cmp.Diff(want[i], got[i]); diff != "" {
			t.Fatalf("row %d (-want +got):\n%s", i, diff)
		}
	}

	// Statistics: null counts and min/max per column chunk.
	row := 0
	for _, rg := range pf.Metadata().RowGroups {
		rows := want[row : row+int(rg.NumRows)]
		row += int(rg.NumRows)
		for c, cc := range rg.Columns {
			md := cc.MetaData
			var nulls int64
			mn, mx := math.Inf(1), math.Inf(-1)
			for _, r := range rows {
				v := pqValue(r, c)
				if v == nil {
					nulls++
					continue
				}
				mn, mx = min(mn, *v), max(mx, *v)
			}
			if md.NumValues != int64(len(rows)) || md.Statistics.NullCount != nulls {
				t.Errorf("%s: %d values, %d null; want %d, %d", timelineColumns[c], md.NumValues, md.Statistics.NullCount, len(rows), nulls)
			}
			if c == tcPolicy {
				if p := string(md.Statistics.MinValue); p != rows[0].Policy || string(md.Statistics.MaxValue) != p {
					t.Errorf("policy min/max %q, %q, want %q", md.Statistics.MinValue, md.Statistics.MaxValue, rows[0].Policy)
				}
				continue
			}
			if nulls == int64(len(rows)) {
				if md.Statistics.MinValue != nil || md.Statistics.MaxValue != nil {
					t.Errorf("%s: min/max of no values", timelineColumns[c])
				}
				continue
			}
			gmn, gmx := pqStat(c, md.Statistics.MinValue), pqStat(c, md.Statistics.MaxValue)
			if gmn != mn || gmx != mx {
				t.Errorf("%s: min/max %v, %v, want %v, %v", timelineColumns[c], gmn, gmx, mn, mx)
			}
		}
	}

	// The same steps make the same bytes, however the goroutines run.
	again := filepath.Join(dir, "again.parquet")
	writeTimeline(t, again, policies, steps)
	a, _ := os.ReadFile(path)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) {
		t.Error("the same steps written twice differ")
	}
}

// pqRowEqual reports whether a and b are the same row, float for float
// (cmp.Diff is too slow for every row).
func pqRowEqual(a, b timelineRow) bool {
	eq := func(x, y *float64) bool { return x == nil && y == nil || x != nil && y != nil && *x == *y }
	return a.Time.Equal(b.Time) && a.Policy == b.Policy && a.Demand == b.Demand && a.Capacity == b.Capacity &&
		a.Ready == b.Ready && a.Pending == b.Pending && a.Utilization == b.Utilization && eq(a.Latency, b.Latency) &&
		a.SLOMiss == b.SLOMiss && a.SpendUSD == b.SpendUSD && eq(a.Forecast, b.Forecast) && eq(a.Lower80, b.Lower80) &&
		eq(a.Upper80, b.Upper80) && eq(a.Lower95, b.Lower95) && eq(a.Upper95, b.Upper95)
}

// pqValue is column c of r as a float64, nil when null.
func pqValue(r timelineRow, c int) *float64 {
	f := func(v float64) *float64 { return &v }
	switch c {
	case tcTime:
		return f(float64(r.Time.UnixNano()))
	case tcPolicy:
		return f(0)
	case tcDemand:
		return f(r.Demand)
	case tcCapacity:
		return f(r.Capacity)
	case tcReady:
		return f(float64(r.Ready))
	case tcPending:
		return f(float64(r.Pending))
	case tcUtilization:
		return f(r.Utilization)
	case tcLatency:
		return r.Latency
	case tcSLOMiss:
		if r.SLOMiss {
			return f(1)
		}
		return f(0)
	case tcSpend:
		return f(r.SpendUSD)
	}
	return []*float64{r.Forecast, r.Lower80, r.Upper80, r.Lower95, r.Upper95}[c-tcForecast]
}

// pqStat decodes a min or max statistic of column c as a float64.
func pqStat(c int, b []byte) float64 {
	switch timelineSchema[c].kind {
	case pqInt64:
		return float64(int64(binary.LittleEndian.Uint64(b)))
	case pqBool:
		return float64(b[0])
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

func TestPQLevels(t *testing.T) {
	e := newPQEncoder()
	for _, tc := range []struct {
		name    string
		def     []byte
		n       int
		present int
		want    []byte
	}{
		{"all present", []byte{0xff, 0xff}, 13, 13, []byte{2, 0, 0, 0, 26, 1}},
		{"all null", []byte{0, 0}, 13, 0, []byte{2, 0, 0, 0, 26, 0}},
		{"mixed", []byte{0x0f, 0xff}, 13, 9, []byte{3, 0, 0, 0, 2<<1 | 1, 0x0f, 0x1f}},
	} {
		e.levels(tc.def, tc.n, tc.present)
		if !bytes.Equal(e.body, tc.want) {
			t.Errorf("%s: % x, want % x", tc.name, e.body, tc.want)
		}
	}
	// Long bit-packed runs split into runs of 63 groups.
	def := make([]byte, 200)
	def[0] = 1
	e.levels(def, 1600, 1)
	if len(e.body) != 4+200+4 || e.body[4] != 63<<1|1 || e.body[4+64] != 63<<1|1 || e.body[4+3*64] != 11<<1|1 {
		t.Errorf("runs: % x", e.body[:8])
	}
}

// Min/max leave NaNs out, and the zeros' signs follow the spec: -0 as the
// min, +0 as the max.
func TestPQFloatStatistics(t *testing.T) {
	var c pqChunk
	c.float64s([]float64{math.NaN(), math.NaN()})
	if c.count != 0 {
		t.Errorf("all NaN: count %d", c.count)
	}
	c.float64s([]float64{math.NaN(), 3, -1, math.NaN()})
	c.float64s([]float64{2})
	if c.minF != -1 || c.maxF != 3 {
		t.Errorf("min/max %v, %v, want -1, 3", c.minF, c.maxF)
	}
	var z pqChunk
	z.float64s([]float64{0, 0})
	st := z.meta(&pqColumn{name: "x", kind: pqDouble}, 4).MetaData.Statistics
	if mn, mx := pqStat(tcDemand, st.MinValue), pqStat(tcDemand, st.MaxValue); !math.Signbit(mn) || math.Signbit(mx) {
		t.Errorf("zeros: min %v max %v", mn, mx)
	}
}

// DELTA_BINARY_PACKED round-trips through parquet-go's decoder: steps of
// one length (0-bit miniblocks), jitter, wrapping differences (64-bit
// widths), and every length around the block and miniblock sizes.
func TestPQDelta(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	e := newPQEncoder()
	for _, n := range []int{0, 1, 2, 31, 32, 33, 127, 128, 129, 130, 257, 1000, pqPageRows} {
		for kind := range 4 {
			x := make([]int64, n)
			for i := range x {
				switch kind {
				case 0:
					x[i] = 1e18 + int64(i)*1e9
				case 1:
					x[i] = 1e18 + int64(i)*1e9 + rng.Int64N(1000)
				case 2:
					x[i] = int64(rng.Uint64())
				case 3:
					x[i] = []int64{math.MinInt64, math.MaxInt64, 0, -1}[i%4]
				}
			}
			got, err := new(delta.BinaryPackedEncoding).DecodeInt64(nil, pqDelta(e, x))
			if err != nil {
				t.Fatalf("n %d kind %d: %v", n, kind, err)
			}
			if !slices.Equal(got, x) && !(n == 0 && len(got) == 0) {
				t.Fatalf("n %d kind %d: decoded %v..., want %v...", n, kind, got[:min(len(got), 5)], x[:min(n, 5)])
			}
		}
	}
	// A page of regular steps is a few bytes per block.
	x := make([]int64, pqPageRows)
	for i := range x {
		x[i] = int64(i) * 1e9
	}
	if b := pqDelta(e, x); len(b) > pqPageRows/128*10 {
		t.Errorf("regular steps: %d bytes", len(b))
	}
}

// BYTE_STREAM_SPLIT round-trips through parquet-go's decoder.
func TestPQSplit(t *testing.T) {
	e := newPQEncoder()
	rng := rand.New(rand.NewPCG(7, 8))
	special := []float64{0, math.Copysign(0, -1), 1.5, math.Inf(-1), math.NaN(), 123456.789, -1e-300}
	for _, n := range []int{0, 1, 7, 8, 9, 16, 23, 1000} {
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Float64frombits(rng.Uint64())
			if i%3 == 0 {
				x[i] = special[i%len(special)]
			}
		}
		got, err := new(bytestreamsplit.Encoding).DecodeDouble(nil, pqSplit(e, x))
		if err != nil || len(got) != n {
			t.Fatalf("n %d: %d values, %v", n, len(got), err)
		}
		for i := range x {
			if math.Float64bits(got[i]) != math.Float64bits(x[i]) {
				t.Fatalf("n %d, %d: %v, want %v", n, i, got[i], x[i])
			}
		}
	}
}
