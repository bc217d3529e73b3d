package live

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/omnixan/omnixan/traces"
)

func readTrace(t *testing.T, path string) ([]string, [][]float64) {
	t.Helper()
	r, err := traces.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows [][]float64
	var row traces.Row
	for {
		err := r.Next(&row)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, append([]float64(nil), row.Values...))
	}
	return r.Columns(), rows
}

func TestRecorderRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.csv")
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	rec, err := OpenRecorder(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := rec.Write(Record{Time: t0.Add(time.Duration(i) * time.Second), RequestRate: 10.5 + float64(i), CPU: 0.25,
			Ready: 2, Current: 2, Proposed: 3, Target: 3, Scaled: true, Valid: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Write(Record{Time: t0}); err == nil {
		t.Error("a row not after the previous one was written")
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}

	// A crash during an append leaves a torn line: reading stops before it,
	// and reopening cuts it off and appends after the last whole row.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("2026-12-04T12:00:03Z,99,0.2")
	f.Close()
	cols, rows := readTrace(t, path)
	if diff := cmp.Diff(RecordColumns, cols); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	if len(rows) != 3 || rows[2][0] != 12.5 {
		t.Fatalf("rows after a torn append: %v", rows)
	}
	rec, err = OpenRecorder(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Write(Record{Time: t0.Add(2 * time.Second)}); err == nil {
		t.Error("reopened recorder wrote a row not after the file's last one")
	}
	if err := rec.Write(Record{Time: t0.Add(5 * time.Second), RequestRate: 7, Valid: true}); err != nil {
		t.Fatal(err)
	}
	rec.Close()
	_, rows = readTrace(t, path)
	want := []float64{7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	if len(rows) != 4 || !cmp.Equal(rows[3], want) {
		t.Errorf("rows after reopening: %v, want 4 with the last %v", rows, want)
	}
	data, _ := os.ReadFile(path)
	if strings.Count(string(data), "timestamp,") != 1 {
		t.Errorf("header written twice:\n%s", data)
	}
}

func TestRecorderRefusesOtherFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.csv")
	os.WriteFile(path, []byte("timestamp,value\n0,1\n"), 0o644)
	if _, err := OpenRecorder(path, 0); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("OpenRecorder on another trace: %v", err)
	}
}
