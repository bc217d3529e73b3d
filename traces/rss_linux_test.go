//go:build linux

package traces

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// TestStreamRSS measures the peak resident set of streaming a 10-million-row
// Parquet trace. It runs only when OMNIXAN_STREAM_RSS names the file; if the
// file is missing it writes it and stops, so that a second run measures the
// reader alone. See the package documentation for the commands.
func TestStreamRSS(t *testing.T) {
	path := os.Getenv("OMNIXAN_STREAM_RSS")
	if path == "" {
		t.Skip("set OMNIXAN_STREAM_RSS=/path/to/file.parquet to measure streaming memory")
	}
	if _, err := os.Stat(path); err != nil {
		writeStreamFile(t, path, streamRows)
		t.Skipf("wrote %d rows to %s; run again to measure the reader", streamRows, path)
	}
	start := time.Now()
	n := streamFile(t, path)
	elapsed := time.Since(start)
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	t.Logf("streamed %d rows in %v (%.3g rows/s); peak RSS %.1f MiB", n, elapsed, float64(n)/elapsed.Seconds(), float64(ru.Maxrss)/1024)
	if n != streamRows {
		t.Errorf("%d rows, want %d", n, streamRows)
	}
	if mib := float64(ru.Maxrss) / 1024; mib > 50 {
		t.Errorf("peak RSS %.1f MiB, want under 50 MiB", mib)
	}
}
