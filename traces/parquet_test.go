package traces

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
)

func openParquetBytes(b []byte, opts *ReadOptions) (Reader, error) {
	return NewParquetReader("trace.parquet", bytes.NewReader(b), int64(len(b)), opts)
}

func TestParquetReaderErrors(t *testing.T) {
	ts := timestampNode()
	dbl := parquet.Leaf(parquet.DoubleType)
	sec := func(s int64) int64 { return s * 1e9 }
	valid := rawParquet(t, []string{"timestamp", "value"}, []parquet.Node{ts, dbl}, [][]any{{sec(0), 1.0}})
	tests := []struct {
		name     string
		file     []byte
		opts     *ReadOptions
		sentinel error
		row      int
		column   string
	}{
		{"zero bytes", nil, nil, ErrEmpty, 0, ""},
		{"not parquet", []byte("timestamp,value\n0,1\n"), nil, ErrMalformed, 0, ""},
		{"truncated", valid[:len(valid)-3], nil, ErrMalformed, 0, ""},
		{"no rows", rawParquet(t, []string{"timestamp", "value"}, []parquet.Node{ts, dbl}, nil), nil, ErrEmpty, 0, ""},
		{"no time column", rawParquet(t, []string{"t", "value"}, []parquet.Node{ts, dbl}, [][]any{{sec(0), 1.0}}), nil, ErrMissingColumn, 0, "timestamp"},
		{"no value column", rawParquet(t, []string{"timestamp", "name"}, []parquet.Node{ts, parquet.String()}, [][]any{{sec(0), "x"}}), nil, ErrMissingColumn, 0, ""},
		{"time column of booleans", rawParquet(t, []string{"timestamp", "value"}, []parquet.Node{parquet.Leaf(parquet.BooleanType), dbl}, [][]any{{true, 1.0}}), nil, ErrMalformed, 0, "timestamp"},
		{"out of order", rawParquet(t, []string{"timestamp", "value"}, []parquet.Node{ts, dbl},
			[][]any{{sec(0), 1.0}, {sec(60), 1.0}, {sec(30), 1.0}}), nil, ErrOutOfOrder, 3, "timestamp"},
		{"duplicate", rawParquet(t, []string{"timestamp", "value"}, []parquet.Node{ts, dbl},
			[][]any{{sec(0), 1.0}, {sec(0), 1.0}}), nil, ErrDuplicateTime, 2, "timestamp"},
		{"NaN", rawParquet(t, []string{"timestamp", "a", "b"}, []parquet.Node{ts, dbl, dbl},
			[][]any{{sec(0), 1.0, 2.0}, {sec(1), 1.0, math.NaN()}}), nil, ErrNotFinite, 2, "b"},
		{"Inf", rawParquet(t, []string{"timestamp", "value"}, []parquet.Node{ts, dbl},
			[][]any{{sec(0), math.Inf(1)}}), nil, ErrNotFinite, 1, "value"},
		{"negative", rawParquet(t, []string{"timestamp", "value"}, []parquet.Node{ts, dbl},
			[][]any{{sec(0), 1.0}, {sec(1), 2.0}, {sec(2), -1.0}}), nil, ErrNegative, 3, "value"},
		{"null value", rawParquet(t, []string{"timestamp", "value"}, []parquet.Node{ts, parquet.Optional(dbl)},
			[][]any{{sec(0), 1.0}, {sec(1), nil}}), nil, ErrMalformed, 2, "value"},
		{"null time", rawParquet(t, []string{"timestamp", "value"}, []parquet.Node{parquet.Optional(ts), dbl},
			[][]any{{nil, 1.0}}), nil, ErrMalformed, 1, "timestamp"},
		{"bad string time", rawParquet(t, []string{"timestamp", "value"}, []parquet.Node{parquet.String(), dbl},
			[][]any{{"yesterday", 1.0}}), nil, ErrMalformed, 1, "timestamp"},
		{"float time NaN", rawParquet(t, []string{"timestamp", "value"}, []parquet.Node{dbl, dbl},
			[][]any{{math.NaN(), 1.0}}), nil, ErrNotFinite, 1, "timestamp"},
		{"repeated value column", rawParquet(t, []string{"timestamp", "value"}, []parquet.Node{ts, parquet.Repeated(dbl)},
			[][]any{{sec(0), 1.0}}), nil, ErrMalformed, 0, "value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := openParquetBytes(tc.file, tc.opts)
			if err == nil {
				_, err = readAll(r)
				if err2 := r.Next(&Row{}); err2 != err {
					t.Errorf("second Next after error: %v, want %v", err2, err)
				}
			}
			wantParseError(t, err, tc.sentinel, 0, tc.row, tc.column)
			var pe *ParseError
			if errors.As(err, &pe) && pe.File != "trace.parquet" {
				t.Errorf("File = %q, want trace.parquet", pe.File)
			}
		})
	}
}

// TestParquetForeign reads files laid out as other tools write them.
func TestParquetForeign(t *testing.T) {
	dbl := parquet.Leaf(parquet.DoubleType)
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		names   []string
		nodes   []parquet.Node
		rows    [][]any
		columns []string
		want    []Row
	}{
		{
			name:  "millisecond timestamps, int and float values, pandas index, strings skipped",
			names: []string{"host", "timestamp", "requests", "cpu", "__index_level_0__", "ok"},
			nodes: []parquet.Node{parquet.String(), parquet.Timestamp(parquet.Millisecond), parquet.Int(64),
				parquet.Leaf(parquet.FloatType), parquet.Int(64), parquet.Leaf(parquet.BooleanType)},
			rows: [][]any{
				{"a", t0.UnixMilli(), int64(10), float32(0.5), int64(0), true},
				{"b", t0.UnixMilli() + 1500, int64(-2), float32(1.25), int64(1), false},
			},
			columns: []string{"requests", "cpu"},
			want: []Row{
				{t0, []float64{10, 0.5}},
				{t0.Add(1500 * time.Millisecond), []float64{-2, 1.25}},
			},
		},
		{
			name:    "microseconds and int32",
			names:   []string{"time", "n"},
			nodes:   []parquet.Node{parquet.Timestamp(parquet.Microsecond), parquet.Int(32)},
			rows:    [][]any{{t0.UnixMicro() + 1, int32(7)}},
			columns: []string{"n"},
			want:    []Row{{t0.Add(time.Microsecond), []float64{7}}},
		},
		{
			name:    "unix seconds as int64, optional values",
			names:   []string{"timestamp", "value"},
			nodes:   []parquet.Node{parquet.Leaf(parquet.Int64Type), parquet.Optional(dbl)},
			rows:    [][]any{{int64(0), 42.0}, {int64(60), 62.0}},
			columns: []string{"value"},
			want:    []Row{{epoch, []float64{42}}, {epoch.Add(time.Minute), []float64{62}}},
		},
		{
			name:    "fractional unix seconds as double",
			names:   []string{"timestamp", "value"},
			nodes:   []parquet.Node{dbl, dbl},
			rows:    [][]any{{0.5, 1.0}},
			columns: []string{"value"},
			want:    []Row{{epoch.Add(500 * time.Millisecond), []float64{1}}},
		},
		{
			name:    "RFC 3339 strings and a decimal",
			names:   []string{"timestamp", "price"},
			nodes:   []parquet.Node{parquet.String(), parquet.Decimal(2, 9, parquet.Int32Type)},
			rows:    [][]any{{"2025-03-01T00:00:00Z", int32(1234)}},
			columns: []string{"price"},
			want:    []Row{{t0, []float64{12.34}}},
		},
		{
			name:    "date",
			names:   []string{"timestamp", "v"},
			nodes:   []parquet.Node{parquet.Date(), dbl},
			rows:    [][]any{{int32(20148), 1.0}},
			columns: []string{"v"},
			want:    []Row{{t0, []float64{1}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := rawParquet(t, tc.names, tc.nodes, tc.rows)
			r, err := openParquetBytes(b, &ReadOptions{AllowNegative: true})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.columns, r.Columns()); diff != "" {
				t.Errorf("Columns() (-want +got):\n%s", diff)
			}
			got, err := readAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}
