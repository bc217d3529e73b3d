package traces

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// readAll drains r, copying each row.
func readAll(r Reader) ([]Row, error) {
	var rows []Row
	var row Row
	for {
		err := r.Next(&row)
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, Row{Time: row.Time, Values: append([]float64(nil), row.Values...)})
	}
}

// readAllJobs drains r.
func readAllJobs(r JobReader) ([]Job, error) {
	var jobs []Job
	for {
		var j Job
		err := r.Next(&j)
		if err == io.EOF {
			return jobs, nil
		}
		if err != nil {
			return jobs, err
		}
		jobs = append(jobs, j)
	}
}

// rawParquet writes rows with an arbitrary flat schema, bypassing the
// validation of this package's writers, to make invalid or foreign files.
// Each row holds one Go value per column: nil for null, or int32, int64,
// float32, float64, string, bool.
func rawParquet(t testing.TB, names []string, nodes []parquet.Node, rows [][]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, newOrderedSchema("raw", names, nodes))
	for _, r := range rows {
		row := make(parquet.Row, len(r))
		for i, v := range r {
			def := 0
			if nodes[i].Optional() || nodes[i].Repeated() {
				def = 1
			}
			var pv parquet.Value
			switch v := v.(type) {
			case nil:
				pv = parquet.NullValue()
				def = 0
			case int32:
				pv = parquet.Int32Value(v)
			case int64:
				pv = parquet.Int64Value(v)
			case float32:
				pv = parquet.FloatValue(v)
			case float64:
				pv = parquet.DoubleValue(v)
			case string:
				pv = parquet.ByteArrayValue([]byte(v))
			case bool:
				pv = parquet.BooleanValue(v)
			default:
				t.Fatalf("rawParquet: unsupported %T", v)
			}
			row[i] = pv.Level(0, def, i)
		}
		if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
			t.Fatalf("rawParquet: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("rawParquet: %v", err)
	}
	return buf.Bytes()
}

// writeRows writes rows with w and closes it.
func writeRows(t testing.TB, w Writer, rows []Row) {
	t.Helper()
	for i, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatalf("Write(row %d): %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// wantParseError checks that err is a *ParseError at the given place
// wrapping sentinel.
func wantParseError(t *testing.T, err error, sentinel error, line, row int, column string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v: want errors.Is(err, %v)", err, sentinel)
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T): want a *ParseError", err, err)
	}
	if pe.Line != line || pe.Row != row || pe.Column != column {
		t.Errorf("error %v: got line %d, row %d, column %q; want line %d, row %d, column %q",
			err, pe.Line, pe.Row, pe.Column, line, row, column)
	}
}

var epoch = time.Unix(0, 0).UTC()
