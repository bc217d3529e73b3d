package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omnixan/omnixan/forecast"
)

// writeSeries writes values as a trace with plain-index timestamps.
func writeSeries(t *testing.T, dir, name string, values []float64) string {
	return writeSeriesStep(t, dir, name, values, 1)
}

// writeSeriesStep writes values as a trace with timestamps step seconds apart.
func writeSeriesStep(t *testing.T, dir, name string, values []float64, step int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	for i, v := range values {
		fmt.Fprintf(&b, "%d,%s\n", i*step, strconv.FormatFloat(v, 'g', -1, 64))
	}
	path := filepath.Join(dir, name+".csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// m4Rows reads an M4 file into id → values.
func m4Rows(t *testing.T, path string) (map[string][]float64, []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("M4 data absent in CI: %v", err)
		}
		t.Skipf("M4 data absent (it lives in ../shared beside the repository): %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float64{}
	var ids []string
	for _, rec := range recs[1:] {
		var vs []float64
		for _, c := range rec[1:] {
			if c == "" {
				break
			}
			v, err := strconv.ParseFloat(c, 64)
			if err != nil {
				t.Fatal(err)
			}
			vs = append(vs, v)
		}
		out[rec[0]] = vs
		ids = append(ids, rec[0])
	}
	return out, ids
}

// replay forecast on M4 Hourly series written as plain-index traces gives
// exactly the scores of the library's Auto on the same series.
func TestForecastM4MatchesLibrary(t *testing.T) {
	m4 := filepath.Join("..", "..", "..", "shared", "data", "m4")
	train, ids := m4Rows(t, filepath.Join(m4, "Hourly-train.csv"))
	test, _ := m4Rows(t, filepath.Join(m4, "Hourly-test.csv"))
	dir := t.TempDir()
	ids = ids[:40] // the whole set runs in forecast's own M4 test
	var want float64
	for _, id := range ids {
		writeSeries(t, dir, id, append(append([]float64{}, train[id]...), test[id]...))
		f, err := forecast.Auto{}.Fit(train[id], &forecast.FitOptions{Step: time.Hour, Seasons: []time.Duration{24 * time.Hour, 168 * time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		want += forecast.SMAPE(test[id], forecast.Means(f.Forecast(nil, 48)))
	}
	want /= float64(len(ids))

	out := filepath.Join(t.TempDir(), "fc.csv")
	stdout, stderr, code := runReplay(t, "forecast", "--trace", dir, "--step", "1h", "--horizon", "48", "--holdout", "48", "--out", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep forecastReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(rep.Methods) != 1 || rep.Methods[0].Series != len(ids) {
		t.Fatalf("methods %+v", rep.Methods)
	}
	if got := *rep.Methods[0].SMAPE; math.Abs(got-want) > 1e-9 {
		t.Errorf("sMAPE %v, library %v", got, want)
	}
	recs := readCSV(t, out)
	if len(recs) != 1+48*len(ids) || strings.Join(recs[0], ",") != "series,step,forecast,lower80,upper80,lower95,upper95" {
		t.Errorf("forecasts.csv: %d rows, header %v", len(recs), recs[0])
	}
	if len(rep.Methods[0].ChosenCount) == 0 {
		t.Error("auto's choices are not reported")
	}
}

func TestForecastFallbacksAndErrors(t *testing.T) {
	dir := t.TempDir()
	seasonal := make([]float64, 24*10)
	for i := range seasonal {
		seasonal[i] = 100 + 30*math.Sin(2*math.Pi*float64(i)/24)
	}
	writeSeriesStep(t, dir, "seasonal", seasonal, 3600)
	writeSeriesStep(t, dir, "constant", []float64{5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5}, 3600)
	writeSeriesStep(t, dir, "zeros", make([]float64, 40), 3600)
	writeSeriesStep(t, dir, "short", []float64{1, 2, 3, 4, 5, 6, 7, 8}, 3600)
	// A missing hour (t = 3) is filled by interpolation.
	os.WriteFile(filepath.Join(dir, "gappy.csv"), []byte("timestamp,value\n0,1\n3600,2\n7200,3\n14400,5\n18000,6\n21600,7\n25200,8\n28800,9\n"), 0o644)
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "irregular.csv"), []byte("timestamp,value\n0,1\n60,2\n150,3\n180,4\n240,5\n300,6\n"), 0o644)
	writeSeriesStep(t, bad, "tiny", []float64{1, 2}, 3600)

	out := filepath.Join(t.TempDir(), "fc.csv")
	stdout, stderr, code := runReplay(t, "forecast", "--trace", dir+","+bad, "--horizon", "6", "--holdout", "4",
		"--method", "snaive,auto", "--season", "24h", "--out", out, "--json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (two bad series); stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"irregular.csv: timestamps not on a regular step: the row at 1970-01-01T00:02:30Z comes 1m30s after", "series tiny: 2 points leave no training data", "2 failures"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stdout, "NaN") {
		t.Errorf("NaN in the output:\n%s", stdout)
	}
	var rep forecastReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	bySeries := map[string]seriesResult{}
	for _, r := range rep.Series {
		if r.Method == "snaive" {
			bySeries[r.Series] = r
		}
	}
	if r := bySeries["short"]; !strings.HasPrefix(r.Fallback, "naive") {
		t.Errorf("short series: fallback %q, want naive", r.Fallback)
	}
	if r := bySeries["constant"]; r.MASE != nil || r.SMAPE == nil || *r.SMAPE != 0 {
		t.Errorf("constant series: %+v; want MASE null and sMAPE 0", r)
	}
	if r := bySeries["zeros"]; r.WAPE != nil || r.MASE != nil {
		t.Errorf("zero series: WAPE and MASE should be null: %+v", r)
	}
	if r := bySeries["gappy"]; r.Filled != 1 || r.Points != 9 {
		t.Errorf("gappy series: filled %d points %d, want 1 and 9", r.Filled, r.Points)
	}
	if r := bySeries["seasonal"]; r.SMAPE == nil || *r.SMAPE > 1e-9 {
		t.Errorf("exactly periodic series: seasonal naive sMAPE %v, want 0", r.SMAPE)
	}
	if rep.Overall == nil || rep.Overall.Series != 10 {
		t.Errorf("overall covers %d results, want 10 (5 series × 2 methods)", rep.Overall.Series)
	}
	recs := readCSV(t, out)
	if recs[0][1] != "method" || len(recs) != 1+10*6 {
		t.Errorf("forecasts.csv with two methods: header %v, %d rows", recs[0], len(recs))
	}
}

func TestForecastNoHoldout(t *testing.T) {
	dir := t.TempDir()
	writeSeries(t, dir, "s", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	out := filepath.Join(t.TempDir(), "fc.csv")
	stdout, stderr, code := runReplay(t, "forecast", "--trace", filepath.Join(dir, "s.csv"), "--holdout", "0", "--horizon", "3", "--method", "naive", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "nothing to score") {
		t.Errorf("stdout:\n%s", stdout)
	}
	recs := readCSV(t, out)
	if len(recs) != 4 || recs[1][2] != "10" || recs[3][2] != "10" {
		t.Errorf("naive forecasts past the end: %v", recs)
	}
}

func TestForecastBadFlags(t *testing.T) {
	dir := t.TempDir()
	path := writeSeries(t, dir, "s", []float64{1, 2, 3})
	for _, args := range [][]string{
		{},
		{"--trace", path, "--horizon", "0"},
		{"--trace", path, "--holdout", "-1"},
		{"--trace", path, "--method", "magic"},
		{"--trace", path, "--method", "naive,naive"},
		{"--trace", path, "--season", "yearly"},
		{"--trace", path, "--season", "none,24h"},
		{"--trace", path, "stray"},
		{"--trace", path, "--no-such-flag"},
	} {
		_, stderr, code := runReplay(t, append([]string{"forecast"}, args...)...)
		if code != 2 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, stderr)
		}
	}
	if out, _, code := runReplay(t, "forecast", "--help"); code != 0 || !strings.Contains(out, "--holdout") {
		t.Errorf("forecast --help: exit %d\n%s", code, out)
	}
}
