package forecast

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// m4Dir holds the M4 Hourly data, relative to the package directory.
var m4Dir = filepath.Join("..", "..", "shared", "data", "m4")

// m4Series is one M4 series: its id, training part and test part.
type m4Series struct {
	ID          string
	Train, Test []float64
}

// readM4 reads an M4 csv file: a header row, then one row per series, the
// id followed by the values, padded with empty cells.
func readM4(path string) (map[string][]float64, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		return nil, nil, fmt.Errorf("%s: header: %w", path, err)
	}
	out := map[string][]float64{}
	var ids []string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(rec) == 0 {
			continue
		}
		id := rec[0]
		var vs []float64
		for j, c := range rec[1:] {
			if c == "" {
				break
			}
			v, err := strconv.ParseFloat(c, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: series %s column %d: %w", path, id, j+2, err)
			}
			vs = append(vs, v)
		}
		out[id] = vs
		ids = append(ids, id)
	}
	return out, ids, nil
}

// loadM4Hourly returns the 414 hourly series in file order, skipping the
// test (failing it when the environment variable CI is set) when the data
// are absent.
func loadM4Hourly(tb testing.TB) []m4Series {
	tb.Helper()
	trainPath := filepath.Join(m4Dir, "Hourly-train.csv")
	if _, err := os.Stat(trainPath); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("M4 data absent (CI is set): %v", err)
		}
		tb.Skipf("M4 Hourly data absent (%v); see ../shared/data/m4/README.md", err)
	}
	train, ids, err := readM4(trainPath)
	if err != nil {
		tb.Fatal(err)
	}
	test, _, err := readM4(filepath.Join(m4Dir, "Hourly-test.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]m4Series, 0, len(ids))
	for _, id := range ids {
		out = append(out, m4Series{ID: id, Train: train[id], Test: test[id]})
	}
	return out
}

// m4Options are the fit options of the benchmark: hourly, daily and weekly seasons.
var m4Options = FitOptions{Step: time.Hour, Seasons: []time.Duration{24 * time.Hour, 168 * time.Hour}}

// m4Result is the mean accuracy of a method over the benchmark.
type m4Result struct {
	Method      string
	SMAPE, MASE float64
	MSIS, ACD   float64
	Failed      int
	Elapsed     time.Duration
	PerSeries   []Score
}

// runM4 fits m to every series, in parallel on GOMAXPROCS workers, and
// scores the 48-step forecasts as M4 does (MASE with period 24). The
// result does not depend on the scheduling.
func runM4(tb testing.TB, m Method, series []m4Series) m4Result {
	tb.Helper()
	start := time.Now()
	scores := make([]Score, len(series))
	errs := make([]error, len(series))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			var fc []Point
			for i := range next {
				s := series[i]
				f, err := m.Fit(s.Train, &m4Options)
				if err != nil {
					errs[i] = err
					continue
				}
				fc = f.Forecast(fc, len(s.Test))
				scores[i] = ScoreForecast(s.Train, s.Test, fc, 24)
			}
		})
	}
	for i := range series {
		next <- i
	}
	close(next)
	wg.Wait()
	r := m4Result{Method: m.Name(), Elapsed: time.Since(start), PerSeries: scores}
	for i, s := range scores {
		if errs[i] != nil {
			tb.Errorf("%s on %s: %v", m.Name(), series[i].ID, errs[i])
			r.Failed++
			continue
		}
		r.SMAPE += s.SMAPE
		r.MASE += s.MASE
		r.MSIS += s.MSIS
		r.ACD += s.Coverage95
	}
	n := float64(len(series))
	r.SMAPE /= n
	r.MASE /= n
	r.MSIS /= n
	r.ACD = abs(r.ACD/n - 0.95)
	return r
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestM4Hourly runs the methods of the registry on the 414 M4 Hourly
// series (horizon 48, seasons 24 h and 168 h, MASE with period 24), logs
// the table, checks the scoring against the published seasonal naive
// figures and asserts Auto's accuracy. It is skipped under the race
// detector (the full run takes minutes there); CI runs it without -race.
func TestM4Hourly(t *testing.T) {
	if raceEnabled {
		t.Skip("M4 benchmark skipped under -race; run it without the race detector")
	}
	series := loadM4Hourly(t)
	if len(series) != 414 {
		t.Fatalf("got %d series, want 414", len(series))
	}
	names := []string{"naive", "snaive", "snaive168", "smean", "ma", "drift", "ses-ls", "stl", "mstl"}
	if !testing.Short() {
		// The slowest methods, kept out of -short runs.
		names = append(names, "damped-ls")
	}
	for _, name := range Methods() {
		if !slices.Contains(names, name) && name != "auto" {
			names = append(names, name) // methods of other files, when present
		}
	}
	names = append(names, "auto")
	results := map[string]m4Result{}
	t.Logf("%-12s %8s %7s %8s %6s %10s", "method", "sMAPE", "MASE", "MSIS", "ACD", "seconds")
	for _, name := range names {
		m, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		r := runM4(t, m, series)
		results[name] = r
		t.Logf("%-12s %8.3f %7.3f %8.3f %6.3f %10.2f", name, r.SMAPE, r.MASE, r.MSIS, r.ACD, r.Elapsed.Seconds())
	}
	// The scoring: seasonal naive and naive reproduce the published figures.
	for _, c := range []struct {
		name        string
		smape, mase float64
	}{{"snaive", 13.912, 1.193}, {"naive", 43.003, 11.608}} {
		r := results[c.name]
		if math.Abs(r.SMAPE-c.smape) > 5e-4 || math.Abs(r.MASE-c.mase) > 5e-4 {
			t.Errorf("%s: sMAPE %.4f MASE %.4f, published %.3f / %.3f", c.name, r.SMAPE, r.MASE, c.smape, c.mase)
		}
	}
	if r := results["auto"]; r.SMAPE > 11.0 || r.MASE > 0.93 || r.Failed > 0 {
		t.Errorf("auto: sMAPE %.3f MASE %.3f (%d failed), want sMAPE ≤ 11.0 and MASE ≤ 0.93", r.SMAPE, r.MASE, r.Failed)
	}
}

// BenchmarkM4Auto measures Auto on all 414 M4 Hourly series, fitted in
// parallel on GOMAXPROCS workers; it reports seconds per run and series/s.
//
//	go test -run '^$' -bench M4Auto -benchtime 3x ./forecast
func BenchmarkM4Auto(b *testing.B) {
	series := loadM4Hourly(b)
	var r m4Result
	for b.Loop() {
		r = runM4(b, Auto{}, series)
	}
	b.ReportMetric(r.SMAPE, "sMAPE")
	b.ReportMetric(r.MASE, "MASE")
	b.ReportMetric(float64(len(series))*float64(b.N)/b.Elapsed().Seconds(), "series/s")
}
