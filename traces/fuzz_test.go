package traces

import (
	"bytes"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// maxFuzzRows bounds the rows a fuzz iteration reads.
const maxFuzzRows = 10000

// checkReadError fails unless err is io.EOF or a located *ParseError
// wrapping one of the sentinels.
func checkReadError(t *testing.T, err error) {
	t.Helper()
	if err == nil || err == io.EOF {
		return
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *ParseError", err, err)
	}
	for _, s := range []error{ErrOutOfOrder, ErrDuplicateTime, ErrNotFinite, ErrNegative, ErrMissingColumn, ErrEmpty, ErrMalformed} {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v wraps no sentinel", err)
}

// drainChecked reads up to maxFuzzRows rows, checking the reader's promises.
func drainChecked(t *testing.T, r Reader, allowNegative bool) []Row {
	t.Helper()
	var rows []Row
	var row Row
	for len(rows) < maxFuzzRows {
		err := r.Next(&row)
		if err != nil {
			checkReadError(t, err)
			break
		}
		if len(row.Values) != len(r.Columns()) {
			t.Fatalf("%d values for %d columns", len(row.Values), len(r.Columns()))
		}
		if n := len(rows); n > 0 && !row.Time.After(rows[n-1].Time) {
			t.Fatalf("time %v not after %v", row.Time, rows[n-1].Time)
		}
		for _, v := range row.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) || (v < 0 && !allowNegative) {
				t.Fatalf("value %v passed validation", v)
			}
		}
		rows = append(rows, Row{Time: row.Time, Values: append([]float64(nil), row.Values...)})
	}
	r.Close()
	return rows
}

// checkRoundTrip writes rows as CSV and reads them back unchanged.
func checkRoundTrip(t *testing.T, columns []string, rows []Row, allowNegative bool) {
	t.Helper()
	if len(rows) == 0 {
		return
	}
	var buf bytes.Buffer
	w, err := NewCSVWriter(&buf, columns)
	if err != nil {
		return // column names a writer refuses, such as "TIMESTAMP"
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatalf("re-writing a row that was read: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := NewCSVReader("again.csv", &buf, &ReadOptions{AllowNegative: allowNegative})
	if err != nil {
		t.Fatalf("reading back: %v\n%s", err, buf.Bytes())
	}
	got, err := readAll(r)
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	if len(got) != len(rows) {
		t.Fatalf("read back %d rows, want %d", len(got), len(rows))
	}
	for i := range got {
		if !got[i].Time.Equal(rows[i].Time) {
			t.Fatalf("row %d: time %v, want %v", i, got[i].Time, rows[i].Time)
		}
		for j := range got[i].Values {
			if math.Float64bits(got[i].Values[j]) != math.Float64bits(rows[i].Values[j]) {
				t.Fatalf("row %d: value %v, want %v", i, got[i].Values[j], rows[i].Values[j])
			}
		}
	}
}

func FuzzCSVReader(f *testing.F) {
	for _, s := range []string{
		"timestamp,value\n0,42\n60,62\n120,58\n",
		"timestamp,requests_per_second,cpu_cores\n2025-03-01T00:00:00Z,120.5,3.25\n2025-03-01T00:01:00.5+01:00,131,3.5\n",
		"time,a\n-1.5,1e-300\n0,-0\n1e3,1.7976931348623157e308\n",
		"\ufeffa,\"b\",timestamp\r\n1,2,0\r\n3,4,1\r\n",
		"timestamp,value\n60,1\n0,2\n",
		"timestamp,value\n0,NaN\n",
		"timestamp,value\n0,1,2\n",
		"timestamp,\"va\nlue\"\n0,\"1\"\n",
		"",
	} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte("timestamp,v\n0,-1\n1,-2.5\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, allowNegative bool) {
		opts := &ReadOptions{AllowNegative: allowNegative}
		r, err := NewCSVReader("fuzz.csv", bytes.NewReader(data), opts)
		if err != nil {
			checkReadError(t, err)
			return
		}
		cols := r.Columns()
		rows := drainChecked(t, r, allowNegative)
		checkRoundTrip(t, cols, rows, allowNegative)
	})
}

// parquetSeeds are valid and foreign Parquet files for the seed corpora.
func parquetSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	var buf bytes.Buffer
	w, _ := NewParquetWriter(&buf, []string{"requests_per_second", "cpu_cores"})
	for _, r := range oddRows() {
		w.Write(r)
	}
	w.Close()
	seeds = append(seeds, bytes.Clone(buf.Bytes()))
	seeds = append(seeds, rawParquet(t, []string{"host", "timestamp", "v"},
		[]parquet.Node{parquet.String(), parquet.Timestamp(parquet.Millisecond), parquet.Optional(parquet.Int(32))},
		[][]any{{"a", int64(0), int32(1)}, {"b", int64(1000), nil}}))
	seeds = append(seeds, rawParquet(t, []string{"timestamp", "value"},
		[]parquet.Node{parquet.String(), parquet.Leaf(parquet.DoubleType)},
		[][]any{{"2025-03-01T00:00:00Z", 1.0}, {"60", 2.0}}))
	return seeds
}

func FuzzParquetReader(f *testing.F) {
	for _, s := range parquetSeeds(f) {
		f.Add(s, false)
	}
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"), false)
	f.Fuzz(func(t *testing.T, data []byte, allowNegative bool) {
		r, err := NewParquetReader("fuzz.parquet", bytes.NewReader(data), int64(len(data)), &ReadOptions{AllowNegative: allowNegative})
		if err != nil {
			checkReadError(t, err)
			return
		}
		cols := r.Columns()
		rows := drainChecked(t, r, allowNegative)
		checkRoundTrip(t, cols, rows, allowNegative)
	})
}

// drainJobs reads up to maxFuzzRows jobs, checking the reader's promises,
// and writes them back through a CSV job writer.
func drainJobs(t *testing.T, r JobReader) {
	t.Helper()
	var jobs []Job
	for len(jobs) < maxFuzzRows {
		var j Job
		err := r.Next(&j)
		if err != nil {
			checkReadError(t, err)
			break
		}
		if j.Qubits < 1 || j.Shots < 1 || j.Depth < 0 || j.Circuits < 0 {
			t.Fatalf("invalid job passed validation: %+v", j)
		}
		if n := len(jobs); n > 0 && j.Submit.Before(jobs[n-1].Submit) {
			t.Fatalf("job at %v before %v", j.Submit, jobs[n-1].Submit)
		}
		jobs = append(jobs, j)
	}
	r.Close()
	var buf bytes.Buffer
	w, _ := NewJobCSVWriter(&buf, true)
	for _, j := range jobs {
		if err := w.Write(j); err != nil {
			t.Fatalf("re-writing a job that was read: %v", err)
		}
	}
	w.Close()
	if len(jobs) == 0 {
		return
	}
	back, err := NewJobCSVReader("again.csv", &buf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAllJobs(back)
	if err != nil {
		t.Fatalf("reading back: %v\n%s", err, buf.Bytes())
	}
	if len(got) != len(jobs) {
		t.Fatalf("read back %d jobs, want %d", len(got), len(jobs))
	}
	for i := range got {
		// A job read without a circuits column (Circuits 0, meaning 1)
		// comes back with 1; any other count comes back as it was.
		if !got[i].Submit.Equal(jobs[i].Submit) || got[i].Qubits != jobs[i].Qubits || got[i].Shots != jobs[i].Shots ||
			got[i].Depth != jobs[i].Depth || got[i].Circuits != max(jobs[i].Circuits, 1) || got[i].Backend != jobs[i].Backend {
			t.Fatalf("job %d: read back %+v, want %+v", i, got[i], jobs[i])
		}
	}
}

func FuzzJobCSVReader(f *testing.F) {
	for _, s := range []string{
		"submit_time,qubits,shots,depth,backend\n2025-03-01T09:00:00Z,5,8192,13,ibm_brisbane\n2025-03-01T09:00:00Z,27,1024,108,\"a, b\"\n",
		"submit_time,qubits,shots,depth\n0,1,1,0\n60,65,8000.0,849\n",
		"depth,shots,qubits,time,extra\n1,2,3,4,x\n",
		"submit_time,qubits,shots,depth\n60,1,1,0\n0,1,1,0\n",
		"submit_time,qubits,shots,depth\n0,0,1,0\n",
		"submit_time,qubits,shots,depth,circuits,backend\n0,5,8192,13,1,a\n0,27,1024,108,680,\n",
		"Circuits,depth,shots,qubits,time\n2.0,1,2,3,4\n",
		"submit_time,qubits,shots,depth,circuits\n0,1,1,0,0\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewJobCSVReader("fuzz.csv", bytes.NewReader(data))
		if err != nil {
			checkReadError(t, err)
			return
		}
		drainJobs(t, r)
	})
}

func jobParquetSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, withBackend := range []bool{true, false} {
		var buf bytes.Buffer
		w, _ := NewJobParquetWriter(&buf, withBackend)
		for _, j := range sampleJobs() {
			if !withBackend {
				j.Backend = ""
			}
			w.Write(j)
		}
		w.Close()
		seeds = append(seeds, bytes.Clone(buf.Bytes()))
	}
	seeds = append(seeds, rawParquet(t, []string{"backend", "submit_time", "qubits", "shots", "depth"},
		[]parquet.Node{parquet.Optional(parquet.String()), parquet.Timestamp(parquet.Microsecond),
			parquet.Int(32), parquet.Leaf(parquet.DoubleType), parquet.Uint(32)},
		[][]any{{"x", int64(1e6), int32(5), 8192.0, int32(13)}, {nil, int64(2e6), int32(27), 1024.0, int32(0)}}))
	seeds = append(seeds, rawParquet(t, []string{"submit_time", "qubits", "shots", "depth", "circuits"},
		[]parquet.Node{parquet.Timestamp(parquet.Microsecond), parquet.Int(32), parquet.Int(32), parquet.Int(32),
			parquet.Optional(parquet.Leaf(parquet.DoubleType))},
		[][]any{{int64(1e6), int32(5), int32(8192), int32(13), 2.0}, {int64(2e6), int32(27), int32(1024), int32(0), nil}}))
	return seeds
}

func FuzzJobParquetReader(f *testing.F) {
	for _, s := range jobParquetSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewJobParquetReader("fuzz.parquet", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			checkReadError(t, err)
			return
		}
		drainJobs(t, r)
	})
}
