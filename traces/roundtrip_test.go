package traces

import (
	"bytes"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// oddRows exercises float and time corner cases.
func oddRows() []Row {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	vals := [][]float64{
		{0, 1e-300, math.MaxFloat64},
		{math.Copysign(0, -1), math.SmallestNonzeroFloat64, 0.1},
		{123.456, 1.0 / 3, 2.5e10},
		{42, 9007199254740993, 1e308},
		{5e-324, 0.30000000000000004, 7},
	}
	offsets := []time.Duration{0, 1, time.Millisecond + 7, time.Second + 123456789, time.Hour}
	rows := make([]Row, len(vals))
	for i := range vals {
		rows[i] = Row{Time: t0.Add(offsets[i]), Values: vals[i]}
	}
	return rows
}

// bitsEqual compares float64 slices bit for bit, so -0 differs from 0.
var bitsEqual = cmp.Comparer(func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) })

func TestRoundTrip(t *testing.T) {
	columns := []string{"requests_per_second", "cpu_cores", "a_memory_gib"}
	want := oddRows()
	// A time in another zone must come back as the same instant in UTC.
	want = append(want, Row{Time: time.Date(2025, 3, 1, 9, 0, 0, 1, time.FixedZone("X", -5*3600)), Values: []float64{1, 2, 3}})
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer) (Writer, error)
		read  func([]byte) (Reader, error)
	}{
		{"csv",
			func(b *bytes.Buffer) (Writer, error) { return NewCSVWriter(b, columns) },
			func(b []byte) (Reader, error) { return NewCSVReader("t.csv", bytes.NewReader(b), nil) }},
		{"parquet",
			func(b *bytes.Buffer) (Writer, error) { return NewParquetWriter(b, columns) },
			func(b []byte) (Reader, error) {
				return NewParquetReader("t.parquet", bytes.NewReader(b), int64(len(b)), nil)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := tc.write(&buf)
			if err != nil {
				t.Fatal(err)
			}
			writeRows(t, w, want)
			r, err := tc.read(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if diff := cmp.Diff(columns, r.Columns()); diff != "" {
				t.Errorf("Columns() (-want +got):\n%s", diff)
			}
			got, err := readAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, bitsEqual); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			for i, row := range got {
				if row.Time.Location() != time.UTC {
					t.Errorf("row %d: location %v, want UTC", i, row.Time.Location())
				}
			}
		})
	}
}

// TestRoundTripLarge crosses Parquet batch and row-group boundaries.
func TestRoundTripLarge(t *testing.T) {
	n := parquetRowGroupRows + 3*parquetBatch + 17
	if testing.Short() {
		n = 3*parquetBatch + 17
	}
	dir := t.TempDir()
	for _, ext := range []string{".csv", ".parquet"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(dir, "big"+ext)
			w, err := Create(path, []string{"x", "y"})
			if err != nil {
				t.Fatal(err)
			}
			row := Row{Values: make([]float64, 2)}
			for i := range n {
				row.Time = epoch.Add(time.Duration(i) * time.Second)
				row.Values[0], row.Values[1] = float64(i), math.Sqrt(float64(i))
				if err := w.Write(row); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r, err := Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var got Row
			for i := range n {
				if err := r.Next(&got); err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
				wantT := epoch.Add(time.Duration(i) * time.Second)
				if !got.Time.Equal(wantT) || got.Values[0] != float64(i) || got.Values[1] != math.Sqrt(float64(i)) {
					t.Fatalf("row %d: got %v %v, want %v [%v %v]", i, got.Time, got.Values, wantT, float64(i), math.Sqrt(float64(i)))
				}
			}
			if err := r.Next(&got); err == nil {
				t.Fatalf("after %d rows: got a row, want io.EOF", n)
			}
		})
	}
}
