package traces

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// sharedTraces is where the real traces live, relative to this package.
var sharedTraces = filepath.Join("..", "..", "shared", "data", "traces")

// TestRealTraces reads the derived per-minute series of data/traces in
// full. It skips when they are absent, except under CI, where it fails.
func TestRealTraces(t *testing.T) {
	tests := []struct {
		file       string
		rows       int
		last       time.Duration
		min, max   float64
		meanApprox float64
	}{
		{"nasa-http-1995/nasa-http-1995-per-minute.csv", 84332, 5059860 * time.Second, 0, 409, 41},
		{"alibaba-2018-machine-usage/alibaba-2018-machine-usage-per-minute.csv", 11207, 672360 * time.Second, 15, 79, 38.5},
	}
	for _, tc := range tests {
		t.Run(filepath.Dir(tc.file), func(t *testing.T) {
			path := filepath.Join(sharedTraces, tc.file)
			if _, err := os.Stat(path); err != nil {
				if os.Getenv("CI") != "" {
					t.Fatalf("real trace missing under CI: %v", err)
				}
				t.Skipf("real trace not available (%v); it lives in ../shared/data/traces", err)
			}
			r, err := Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if got := r.Columns(); len(got) != 1 || got[0] != "value" {
				t.Errorf("Columns() = %q, want [value]", got)
			}
			rows, err := readAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tc.rows {
				t.Fatalf("%d rows, want %d", len(rows), tc.rows)
			}
			if !rows[0].Time.Equal(epoch) {
				t.Errorf("first timestamp %v, want the Unix epoch", rows[0].Time)
			}
			if got := rows[len(rows)-1].Time.Sub(epoch); got != tc.last {
				t.Errorf("last timestamp %v after the start, want %v", got, tc.last)
			}
			lo, hi, sum := rows[0].Values[0], rows[0].Values[0], 0.0
			for i, row := range rows {
				v := row.Values[0]
				lo, hi, sum = min(lo, v), max(hi, v), sum+v
				if i > 0 && row.Time.Sub(rows[i-1].Time) != time.Minute {
					t.Fatalf("row %d: step %v, want 1m", i, row.Time.Sub(rows[i-1].Time))
				}
			}
			mean := sum / float64(len(rows))
			if lo < tc.min-1 || hi > tc.max+1 || mean < tc.meanApprox*0.95 || mean > tc.meanApprox*1.05 {
				t.Errorf("min %v, max %v, mean %v; SOURCE.md says about %v, %v, %v", lo, hi, mean, tc.min, tc.max, tc.meanApprox)
			}
		})
	}
}
