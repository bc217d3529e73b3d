package traces

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// writeTrace writes n rows of a 1-second trace to a Parquet file in row
// groups of rg rows, with the row at swap (if ≥ 0) moved back in time so
// the file is out of order there (this package's writers would refuse it).
func writeTrace(t *testing.T, n, rg, swap int) string {
	t.Helper()
	type rec struct {
		Timestamp int64   `parquet:"timestamp,timestamp(nanosecond)"`
		Value     float64 `parquet:"value"`
	}
	path := filepath.Join(t.TempDir(), "t.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[rec](f, parquet.MaxRowsPerRowGroup(int64(rg)))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Second)
		if i == swap {
			at = t0.Add(time.Duration(i-2) * time.Second)
		}
		v := 100 + 50*math.Sin(float64(i)/600) + float64(i%7)
		if _, err := w.Write([]rec{{at.UnixNano(), v}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// ScanFile reads a Parquet file of several row groups in two halves and
// describes it as one pass does.
func TestScanFileHalvesAgree(t *testing.T) {
	n := 30_000 + 1234
	path := writeTrace(t, n, 1000, -1)
	r, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	one, err := Scan(r, "")
	if err != nil {
		t.Fatal(err)
	}
	two, err := ScanFile(path, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if one.Rows != n || two.Rows != n || !one.Start.Equal(two.Start) || !one.End.Equal(two.End) || one.LastGap != two.LastGap || one.Max != two.Max || one.Column != two.Column {
		t.Errorf("one pass %+v, two halves %+v", one, two)
	}
	if math.Abs(one.Mean-two.Mean) > 1e-9*one.Mean {
		t.Errorf("mean %v vs %v", one.Mean, two.Mean)
	}
	for _, q := range []float64{0, 0.5, 0.9, 0.99, 1} {
		if a, b := one.Quantile(q), two.Quantile(q); a != b {
			t.Errorf("q%v: %v in one pass, %v in halves", q, a, b)
		}
	}
}

// An out-of-order row is reported at its row, wherever the halves meet.
func TestScanFileOrderAcrossHalves(t *testing.T) {
	for _, at := range []int{2000, 3005, 1005} {
		path := writeTrace(t, 4000, 1000, at)
		_, err := ScanFile(path, nil, "")
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, ErrOutOfOrder) || pe.Row != at+1 {
			t.Errorf("row %d out of order: %v", at+1, err)
		}
	}
}

// The sketch's shortcuts (the cached bucket, the walk to a near one) put
// every value in the bucket the logarithm gives.
func TestSketchBucketsMatchLogarithm(t *testing.T) {
	s := NewSketch(0.01)
	want := map[int]uint64{}
	add := func(v float64) {
		s.Add(v)
		want[int(math.Ceil(math.Log(v)/s.lnGamma))]++
	}
	x := uint64(1)
	for i := range 500_000 {
		x = x*6364136223846793005 + 1442695040888963407
		noise := float64(x>>11) / (1 << 53)
		add(500 + 200*math.Sin(float64(i)/8000) + 30*math.Sin(float64(i)/6) + 5*noise)
		if i%1000 == 0 {
			add(math.Pow(s.gamma, float64(i%300))) // exactly on a bound
			add(1e-3 + noise*1e6)                  // far from the last
		}
	}
	s.flush()
	if len(s.buckets) != len(want) {
		t.Fatalf("%d buckets, want %d", len(s.buckets), len(want))
	}
	for k, n := range want {
		if s.buckets[k] != n {
			t.Errorf("bucket %d: %d values, want %d", k, s.buckets[k], n)
		}
	}
}
