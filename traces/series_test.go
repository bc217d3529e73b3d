package traces

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadSeries(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		opts   *SeriesOptions
		want   []float64
		step   time.Duration
		filled int
		col    string
	}{
		{"regular", "timestamp,a,b\n0,1,10\n60,2,20\n120,3,30\n", nil, []float64{1, 2, 3}, time.Minute, 0, "a"},
		{"second column", "timestamp,a,b\n0,1,10\n60,2,20\n", &SeriesOptions{Column: "b"}, []float64{10, 20}, time.Minute, 0, "b"},
		{"gap filled", "timestamp,v\n0,0\n60,6\n240,0\n", nil, []float64{0, 6, 4, 2, 0}, time.Minute, 2, "v"},
		{"plain indices with a declared step", "timestamp,v\n0,5\n1,6\n2,7\n", &SeriesOptions{Step: time.Hour}, []float64{5, 6, 7}, time.Hour, 0, "v"},
		{"negatives allowed", "timestamp,v\n0,-1\n1,2\n", nil, []float64{-1, 2}, time.Second, 0, "v"},
		{"one row", "timestamp,v\n0,5\n", nil, []float64{5}, time.Hour, 0, "v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadSeries(writeFile(t, "load.csv", tt.text), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, s.Values); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if s.Step != tt.step || s.Filled != tt.filled || s.Name != "load" || s.Column != tt.col {
				t.Errorf("step %v filled %d name %q column %q; want %v %d load %q", s.Step, s.Filled, s.Name, s.Column, tt.step, tt.filled, tt.col)
			}
		})
	}
}

func TestReadSeriesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		opts       *SeriesOptions
		want       error
	}{
		{"irregular", "timestamp,v\n0,1\n60,2\n150,3\n", nil, ErrIrregular},
		{"a gap shorter than the step", "timestamp,v\n0,1\n60,2\n120,3\n150,4\n210,5\n", nil, ErrIrregular},
		{"no such column", "timestamp,v\n0,1\n", &SeriesOptions{Column: "x"}, ErrMissingColumn},
		{"negative rejected", "timestamp,v\n0,-1\n", &SeriesOptions{RejectNegative: true}, ErrNegative},
		{"empty", "timestamp,v\n", nil, ErrEmpty},
		{"out of order", "timestamp,v\n60,1\n0,2\n", nil, ErrOutOfOrder},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSeries(writeFile(t, "bad.csv", tc.text), tc.opts)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
