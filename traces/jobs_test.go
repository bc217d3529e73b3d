package traces

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
)

func sampleJobs() []Job {
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	return []Job{
		{Submit: t0, Qubits: 5, Shots: 8192, Depth: 13, Circuits: 1, Backend: "ibm_brisbane"},
		{Submit: t0, Qubits: 27, Shots: 1024, Depth: 108, Circuits: 680, Backend: "ibm_brisbane"},             // tie
		{Submit: t0.Add(271250 * time.Millisecond), Qubits: 1, Shots: 1, Depth: 0, Backend: "ionq, \"aria\""}, // Circuits 0 means 1
		{Submit: t0.Add(time.Hour + 1), Qubits: 65, Shots: 100000, Depth: 849, Circuits: 900, Backend: ""},
	}
}

func TestJobRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, ext := range []string{".csv", ".parquet"} {
		for _, withBackend := range []bool{true, false} {
			jobs := sampleJobs()
			want := sampleJobs()
			for i := range want {
				if !withBackend {
					jobs[i].Backend = ""
					want[i].Backend = ""
				}
				if want[i].Circuits == 0 {
					want[i].Circuits = 1 // written as what it means
				}
			}
			name := ext[1:]
			if withBackend {
				name += "/backend"
			}
			t.Run(name, func(t *testing.T) {
				path := filepath.Join(dir, strings.ReplaceAll(name, "/", "_")+ext)
				w, err := CreateJobs(path, withBackend)
				if err != nil {
					t.Fatal(err)
				}
				for _, j := range jobs {
					if err := w.Write(j); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				r, err := OpenJobs(path)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				got, err := readAllJobs(r)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("jobs (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestJobCSVReader also shows a file without a circuits column reading with
// Circuits 0 (which means 1).
func TestJobCSVReader(t *testing.T) {
	in := "backend,depth,extra,shots,qubits,submit_time\n" +
		"a,13,x,8192,5,0\n" +
		"b,0,y,1024.0,7,60\n"
	r, err := NewJobCSVReader("jobs.csv", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAllJobs(r)
	if err != nil {
		t.Fatal(err)
	}
	want := []Job{
		{Submit: epoch, Qubits: 5, Shots: 8192, Depth: 13, Backend: "a"},
		{Submit: epoch.Add(time.Minute), Qubits: 7, Shots: 1024, Depth: 0, Backend: "b"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
}

func TestJobCSVCircuits(t *testing.T) {
	// Found case-insensitively, in any position; integral floats accepted.
	in := "Circuits,submit_time,qubits,shots,depth\n" +
		"1,0,5,8192,13\n" +
		"680.0,60,7,1024,0\n"
	r, err := NewJobCSVReader("jobs.csv", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAllJobs(r)
	if err != nil {
		t.Fatal(err)
	}
	want := []Job{
		{Submit: epoch, Qubits: 5, Shots: 8192, Depth: 13, Circuits: 1},
		{Submit: epoch.Add(time.Minute), Qubits: 7, Shots: 1024, Depth: 0, Circuits: 680},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
}

func TestJobCSVWriterOutput(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewJobCSVWriter(&buf, true)
	for _, j := range sampleJobs()[1:3] {
		if err := w.Write(j); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "submit_time,qubits,shots,depth,circuits,backend\n" +
		"2025-03-01T09:00:00Z,27,1024,108,680,ibm_brisbane\n" +
		"2025-03-01T09:04:31.25Z,1,1,0,1,\"ionq, \"\"aria\"\"\"\n" // Circuits 0 written as 1
	if got := buf.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestJobReaderErrors(t *testing.T) {
	const header = "submit_time,qubits,shots,depth\n"
	tests := []struct {
		name     string
		in       string
		sentinel error
		line     int
		column   string
	}{
		{"empty", "", ErrEmpty, 0, ""},
		{"header only", header, ErrEmpty, 0, ""},
		{"missing shots", "submit_time,qubits,depth\n0,1,1\n", ErrMissingColumn, 1, "shots"},
		{"missing time", "qubits,shots,depth\n1,1,1\n", ErrMissingColumn, 1, "submit_time"},
		{"out of order", header + "60,1,1,1\n0,1,1,1\n", ErrOutOfOrder, 3, "submit_time"},
		{"negative depth", header + "0,1,1,-1\n", ErrNegative, 2, "depth"},
		{"negative qubits", header + "0,-5,1,1\n", ErrNegative, 2, "qubits"},
		{"zero qubits", header + "0,0,1,1\n", ErrMalformed, 2, "qubits"},
		{"zero shots", header + "0,1,0,1\n", ErrMalformed, 2, "shots"},
		{"fractional shots", header + "0,1,1.5,1\n", ErrMalformed, 2, "shots"},
		{"NaN qubits", header + "0,NaN,1,1\n", ErrNotFinite, 2, "qubits"},
		{"huge depth", header + "0,1,1,1e300\n", ErrMalformed, 2, "depth"},
		{"bad time", header + "0,1,1,1\nnoon,1,1,1\n", ErrMalformed, 3, "submit_time"},
		{"field count", header + "0,1,1\n", ErrMalformed, 2, ""},
		{"zero circuits", "submit_time,qubits,shots,depth,circuits\n0,1,1,1,2\n0,1,1,1,0\n", ErrMalformed, 3, "circuits"},
		{"negative circuits", "submit_time,qubits,shots,depth,circuits\n0,1,1,1,-1\n", ErrNegative, 2, "circuits"},
		{"bad circuits", "submit_time,circuits,qubits,shots,depth\n0,1,1,1,1\n0,x,1,1,1\n", ErrMalformed, 3, "circuits"},
		{"fractional circuits", "submit_time,qubits,shots,depth,Circuits\n0,1,1,1,1.5\n", ErrMalformed, 2, "Circuits"},
		{"empty circuits", "submit_time,qubits,shots,depth,circuits,backend\n0,1,1,1,,a\n", ErrMalformed, 2, "circuits"},
		{"NaN circuits", "submit_time,qubits,shots,depth,circuits\n0,1,1,1,NaN\n", ErrNotFinite, 2, "circuits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewJobCSVReader("jobs.csv", strings.NewReader(tc.in))
			if err == nil {
				_, err = readAllJobs(r)
			}
			wantParseError(t, err, tc.sentinel, tc.line, 0, tc.column)
		})
	}
}

func TestJobParquetReaderErrors(t *testing.T) {
	ts := timestampNode()
	i64 := parquet.Int(64)
	names := []string{"submit_time", "qubits", "shots", "depth"}
	nodes := []parquet.Node{ts, i64, i64, i64}
	tests := []struct {
		name     string
		file     []byte
		sentinel error
		row      int
		column   string
	}{
		{"no rows", rawParquet(t, names, nodes, nil), ErrEmpty, 0, ""},
		{"missing depth", rawParquet(t, names[:3], nodes[:3], [][]any{{int64(0), int64(1), int64(1)}}), ErrMissingColumn, 0, "depth"},
		{"out of order", rawParquet(t, names, nodes, [][]any{{int64(5), int64(1), int64(1), int64(1)}, {int64(4), int64(1), int64(1), int64(1)}}), ErrOutOfOrder, 2, "submit_time"},
		{"negative shots", rawParquet(t, names, nodes, [][]any{{int64(5), int64(1), int64(-1), int64(1)}}), ErrNegative, 1, "shots"},
		{"string qubits", rawParquet(t, names, []parquet.Node{ts, parquet.String(), i64, i64}, [][]any{{int64(5), "1", int64(1), int64(1)}}), ErrMalformed, 0, "qubits"},
		{"int backend", rawParquet(t, append(names, "backend"), append(nodes, i64), [][]any{{int64(5), int64(1), int64(1), int64(1), int64(3)}}), ErrMalformed, 0, "backend"},
		{"fractional depth", rawParquet(t, names, []parquet.Node{ts, i64, i64, parquet.Leaf(parquet.DoubleType)}, [][]any{{int64(5), int64(1), int64(1), 2.5}}), ErrMalformed, 1, "depth"},
		{"zero circuits", rawParquet(t, append(names, "circuits"), append(nodes, i64), [][]any{{int64(5), int64(1), int64(1), int64(1), int64(3)}, {int64(5), int64(1), int64(1), int64(1), int64(0)}}), ErrMalformed, 2, "circuits"},
		{"negative circuits", rawParquet(t, append(names, "circuits"), append(nodes, i64), [][]any{{int64(5), int64(1), int64(1), int64(1), int64(-1)}}), ErrNegative, 1, "circuits"},
		{"fractional circuits", rawParquet(t, append(names, "circuits"), append(nodes, parquet.Leaf(parquet.DoubleType)), [][]any{{int64(5), int64(1), int64(1), int64(1), 1.5}}), ErrMalformed, 1, "circuits"},
		{"null circuits", rawParquet(t, append(names, "circuits"), append(nodes, parquet.Optional(i64)), [][]any{{int64(5), int64(1), int64(1), int64(1), nil}}), ErrMalformed, 1, "circuits"},
		{"string circuits", rawParquet(t, append(names, "circuits"), append(nodes, parquet.String()), [][]any{{int64(5), int64(1), int64(1), int64(1), "x"}}), ErrMalformed, 0, "circuits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewJobParquetReader("jobs.parquet", bytes.NewReader(tc.file), int64(len(tc.file)))
			if err == nil {
				_, err = readAllJobs(r)
			}
			wantParseError(t, err, tc.sentinel, 0, tc.row, tc.column)
		})
	}
}

func TestJobParquetForeign(t *testing.T) {
	names := []string{"backend", "submit_time", "qubits", "shots", "depth"}
	nodes := []parquet.Node{parquet.Optional(parquet.String()), parquet.Timestamp(parquet.Microsecond),
		parquet.Int(32), parquet.Leaf(parquet.DoubleType), parquet.Uint(32)}
	b := rawParquet(t, names, nodes, [][]any{
		{"x", int64(1e6), int32(5), 8192.0, int32(13)},
		{nil, int64(2e6), int32(27), 1024.0, int32(0)},
	})
	r, err := NewJobParquetReader("jobs.parquet", bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAllJobs(r)
	if err != nil {
		t.Fatal(err)
	}
	want := []Job{
		{Submit: epoch.Add(time.Second), Qubits: 5, Shots: 8192, Depth: 13, Backend: "x"},
		{Submit: epoch.Add(2 * time.Second), Qubits: 27, Shots: 1024, Depth: 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
}

func TestJobParquetForeignCircuits(t *testing.T) {
	names := []string{"submit_time", "qubits", "shots", "depth", "CIRCUITS"}
	nodes := []parquet.Node{parquet.Timestamp(parquet.Microsecond), parquet.Int(32), parquet.Int(32), parquet.Int(32),
		parquet.Optional(parquet.Leaf(parquet.DoubleType))}
	b := rawParquet(t, names, nodes, [][]any{
		{int64(1e6), int32(5), int32(8192), int32(13), 1.0},
		{int64(2e6), int32(27), int32(1024), int32(0), 680.0},
	})
	r, err := NewJobParquetReader("jobs.parquet", bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAllJobs(r)
	if err != nil {
		t.Fatal(err)
	}
	want := []Job{
		{Submit: epoch.Add(time.Second), Qubits: 5, Shots: 8192, Depth: 13, Circuits: 1},
		{Submit: epoch.Add(2 * time.Second), Qubits: 27, Shots: 1024, Depth: 0, Circuits: 680},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
}

func TestJobWriterErrors(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		jobs     []Job
		sentinel error
	}{
		{"zero qubits", []Job{{Submit: t0, Qubits: 0, Shots: 1}}, ErrMalformed},
		{"negative depth", []Job{{Submit: t0, Qubits: 1, Shots: 1, Depth: -1}}, ErrNegative},
		{"negative circuits", []Job{{Submit: t0, Qubits: 1, Shots: 1, Circuits: -1}}, ErrNegative},
		{"order", []Job{{Submit: t0, Qubits: 1, Shots: 1}, {Submit: t0.Add(-1), Qubits: 1, Shots: 1}}, ErrOutOfOrder},
		{"backend without column", []Job{{Submit: t0, Qubits: 1, Shots: 1, Backend: "x"}}, ErrMalformed},
		{"backend with space", []Job{{Submit: t0, Qubits: 1, Shots: 1, Backend: " x"}}, ErrMalformed},
	}
	for _, format := range []string{"csv", "parquet"} {
		for _, tc := range tests {
			var w JobWriter
			if format == "csv" {
				w, _ = NewJobCSVWriter(io.Discard, false)
			} else {
				w, _ = NewJobParquetWriter(io.Discard, false)
			}
			var err error
			for _, j := range tc.jobs {
				err = w.Write(j)
			}
			if !errors.Is(err, tc.sentinel) {
				t.Errorf("%s/%s: error %v, want %v", format, tc.name, err, tc.sentinel)
			}
			w.Close()
		}
	}
}
