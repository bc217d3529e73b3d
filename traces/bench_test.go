package traces

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// streamRows is the length of the file of BenchmarkParquetStream and
// TestStreamRSS.
const streamRows = 10_000_000

// writeStreamFile writes n rows of (timestamp, value), one a second, to
// path, in the format of its extension.
func writeStreamFile(tb testing.TB, path string, n int) {
	tb.Helper()
	w, err := Create(path, []string{"value"})
	if err != nil {
		tb.Fatal(err)
	}
	l, err := NewLoad(LoadOptions{Step: time.Second, Length: time.Duration(n) * time.Second,
		Base: 100, DailyAmplitude: 0.5, Noise: 0.1, Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	var row Row
	for {
		if err := l.Next(&row); err == io.EOF {
			break
		} else if err != nil {
			tb.Fatal(err)
		}
		if err := w.Write(row); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
}

// streamFile reads the trace at path to the end and returns its row count.
func streamFile(tb testing.TB, path string) int {
	tb.Helper()
	r, err := Open(path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	var row Row
	n := 0
	for {
		err := r.Next(&row)
		if err == io.EOF {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
	}
}

// BenchmarkParquetStream reads a 10-million-row Parquet trace, generated
// into a temporary directory, and reports rows/s.
func BenchmarkParquetStream(b *testing.B) {
	path := filepath.Join(b.TempDir(), "stream.parquet")
	writeStreamFile(b, path, streamRows)
	st, _ := os.Stat(path)
	b.Run("10M", func(b *testing.B) {
		b.SetBytes(st.Size())
		b.ReportAllocs()
		for b.Loop() {
			if n := streamFile(b, path); n != streamRows {
				b.Fatalf("%d rows, want %d", n, streamRows)
			}
		}
		b.ReportMetric(float64(b.N)*streamRows/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkCSVStream reads a one-million-row CSV trace and reports rows/s.
func BenchmarkCSVStream(b *testing.B) {
	const rows = 1_000_000
	path := filepath.Join(b.TempDir(), "stream.csv")
	writeStreamFile(b, path, rows)
	b.Run("1M", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if n := streamFile(b, path); n != rows {
				b.Fatalf("%d rows, want %d", n, rows)
			}
		}
		b.ReportMetric(float64(b.N)*rows/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkLoad generates a synthetic load trace and reports rows/s.
func BenchmarkLoad(b *testing.B) {
	l, err := NewLoad(LoadOptions{Step: time.Second, Length: time.Duration(b.N+1) * time.Second,
		Base: 100, DailyAmplitude: 0.5, WeeklyAmplitude: 0.2, Noise: 0.1,
		FlashCrowds: []FlashCrowd{{At: time.Hour, Factor: 3, Decay: time.Hour}}})
	if err != nil {
		b.Fatal(err)
	}
	var row Row
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := l.Next(&row); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkArrivals generates bursty quantum jobs and reports jobs/s.
func BenchmarkArrivals(b *testing.B) {
	a, err := NewArrivals(ArrivalOptions{Length: 1 << 62, RatePerHour: 10, Backends: []string{"a", "b"},
		Burst: &MMPP{BurstRatePerHour: 300, MeanCalm: 5 * time.Hour, MeanBurst: 30 * time.Minute}})
	if err != nil {
		b.Fatal(err)
	}
	var j Job
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := a.Next(&j); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}
