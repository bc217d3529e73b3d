package traces

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const promTwo = `{"status":"success","data":{"resultType":"matrix","result":[
 {"metric":{"__name__":"load","instance":"a"},"values":[[1700000000,"1"],[1700000015.5,"2.5"]]},
 {"metric":{"__name__":"load","instance":"b"},"values":[[1700000000,"10"],[1700000015,"20"],[1700000030,"30"]]}
]}}`

func readProm(t *testing.T, input string, opts *PrometheusOptions) ([]Row, error) {
	t.Helper()
	r, err := NewPrometheusReader("q.json", strings.NewReader(input), opts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if c := r.Columns(); len(c) != 1 || c[0] != PrometheusColumn {
		t.Fatalf("columns %q", c)
	}
	return readAll(r)
}

func TestPrometheusReader(t *testing.T) {
	at := func(sec int64, ns int64) time.Time { return time.Unix(sec, ns).UTC() }
	tests := []struct {
		name   string
		input  string
		labels map[string]string
		want   []Row
	}{
		{"one series", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"1"],[1700000060.25,"2e3"]]}]}}`, nil,
			[]Row{{at(1700000000, 0), []float64{1}}, {at(1700000060, 250e6), []float64{2000}}}},
		{"pick b", promTwo, map[string]string{"instance": "b"},
			[]Row{{at(1700000000, 0), []float64{10}}, {at(1700000015, 0), []float64{20}}, {at(1700000030, 0), []float64{30}}}},
		{"pick a, keys in any order", `{"data":{"result":[{"metric":{"i":"a"},"values":[[1,"5"]]}],"resultType":"matrix"},"status":"success","warnings":["x"]}`,
			map[string]string{"i": "a"}, []Row{{at(1, 0), []float64{5}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readProm(t, tt.input, &PrometheusOptions{Labels: tt.labels})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestPrometheusReaderErrors(t *testing.T) {
	series := func(values string) string {
		return `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"w"},"values":[` + values + `]}]}}`
	}
	tests := []struct {
		name     string
		input    string
		labels   map[string]string
		sentinel error
		row      int
		column   string
	}{
		{"NaN value", series(`[1,"1"],[2,"NaN"]`), nil, ErrNotFinite, 2, "value"},
		{"+Inf value", series(`[1,"+Inf"]`), nil, ErrNotFinite, 1, "value"},
		{"negative", series(`[1,"1"],[2,"2"],[3,"-4"]`), nil, ErrNegative, 3, "value"},
		{"bad number", series(`[1,"x"]`), nil, ErrMalformed, 1, "value"},
		{"out of order", series(`[10,"1"],[20,"1"],[15,"1"]`), nil, ErrOutOfOrder, 3, "timestamp"},
		{"duplicate", series(`[10,"1"],[10,"1"]`), nil, ErrDuplicateTime, 2, "timestamp"},
		{"bad timestamp", series(`[true,"1"]`), nil, ErrMalformed, 1, "timestamp"},
		{"short point", series(`[1]`), nil, ErrMalformed, 1, "value"},
		{"no points", series(``), nil, ErrEmpty, 0, ""},
		{"not JSON", `timestamp,value`, nil, ErrMalformed, 0, ""},
		{"vector", `{"status":"success","data":{"resultType":"vector","result":[]}}`, nil, ErrMalformed, 0, ""},
		{"error status", `{"status":"error","errorType":"bad_data","error":"parse error at char 3","data":{}}`, nil, ErrMalformed, 0, ""},
		{"no series", `{"status":"success","data":{"resultType":"matrix","result":[]}}`, nil, ErrEmpty, 0, ""},
		{"no match", promTwo, map[string]string{"instance": "c"}, ErrEmpty, 0, ""},
		{"two series", promTwo, nil, ErrMalformed, 0, ""},
		{"truncated", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],`, nil, ErrMalformed, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readProm(t, tt.input, &PrometheusOptions{Labels: tt.labels})
			wantParseError(t, err, tt.sentinel, 0, tt.row, tt.column)
			if !strings.HasPrefix(err.Error(), "q.json") || !strings.Contains(err.Error(), "(byte ") {
				t.Errorf("error %q does not name the file and byte offset", err)
			}
		})
	}
}

func TestPrometheusErrorMessage(t *testing.T) {
	_, err := readProm(t, `{"status":"error","errorType":"bad_data","error":"exceeded maximum resolution"}`, nil)
	if err == nil || !strings.Contains(err.Error(), "exceeded maximum resolution") {
		t.Errorf("error %v does not carry Prometheus' message", err)
	}
	_, err = readProm(t, `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"w"},"values":[[1,"1"],[2,"NaN"]]}]}}`, nil)
	if want := `q.json: row 2: column "value": value not finite: NaN (byte `; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v, want prefix %q", err, want)
	}
}

func FuzzPrometheusReader(f *testing.F) {
	for _, s := range []string{
		`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"1"],[1700000060.25,"2e3"]]}]}}`,
		promTwo,
		`{"status":"error","error":"x"}`,
		`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[2,"1"],[1,"NaN"]]}]}}`,
		`{"data":{"result":[{"values":[[1,"1"]],"metric":{"a":"b"}}]}}`,
		``,
	} {
		f.Add([]byte(s), "")
	}
	f.Add([]byte(promTwo), "instance=b")
	f.Fuzz(func(t *testing.T, data []byte, label string) {
		var opts PrometheusOptions
		if k, v, ok := strings.Cut(label, "="); ok {
			opts.Labels = map[string]string{k: v}
		}
		r, err := NewPrometheusReader("fuzz.json", strings.NewReader(string(data)), &opts)
		if err != nil {
			checkReadError(t, err)
			return
		}
		drainChecked(t, r, false)
	})
}

func TestChunks(t *testing.T) {
	t0 := time.Unix(1700000000, 0).UTC()
	q := PrometheusQuery{Start: t0, End: t0.Add(25 * time.Second), Step: time.Second, MaxPoints: 11}
	got := q.Chunks()
	want := [][2]time.Time{{t0, t0.Add(10 * time.Second)}, {t0.Add(11 * time.Second), t0.Add(21 * time.Second)}, {t0.Add(22 * time.Second), t0.Add(25 * time.Second)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	// A week at 15 s is 40,321 points: four requests of at most 11,000.
	q = PrometheusQuery{Start: t0, End: t0.Add(7 * 24 * time.Hour), Step: 15 * time.Second}
	if n := len(q.Chunks()); n != 4 {
		t.Errorf("a week at 15s: %d chunks, want 4", n)
	}
}

// fakeAPI serves /api/v1/query_range from f(t) for each point of the grid,
// omitting points where f returns a negative value, and refuses more than
// maxPts points like Prometheus.
func fakeAPI(t *testing.T, maxPts int, f func(sec float64) float64, requests *atomic.Int32) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		q := r.URL.Query()
		start, _ := strconv.ParseFloat(q.Get("start"), 64)
		end, _ := strconv.ParseFloat(q.Get("end"), 64)
		step, _ := strconv.ParseFloat(q.Get("step"), 64)
		if r.URL.Path != "/api/v1/query_range" || q.Get("query") != "load" || step <= 0 {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"bad request"}`)
			return
		}
		if (end-start)/step+1 > float64(maxPts) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"}`)
			return
		}
		var pts []string
		for s := start; s <= end; s += step {
			if v := f(s); v >= 0 {
				pts = append(pts, fmt.Sprintf(`[%v,"%v"]`, s, v))
			}
		}
		if len(pts) == 0 {
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[]}}`)
			return
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"load"},"values":[%s]}]}}`, strings.Join(pts, ","))
	}))
}

func TestFetchPrometheusChunks(t *testing.T) {
	var requests atomic.Int32
	// Points 0–99 s, with no series at all in 40–69 s (a gap).
	srv := fakeAPI(t, 11000, func(s float64) float64 {
		if s >= 40 && s < 70 {
			return -1
		}
		return s
	}, &requests)
	defer srv.Close()
	var b strings.Builder
	w, err := NewCSVWriter(&b, []string{"value"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := FetchPrometheus(context.Background(), PrometheusQuery{
		URL: srv.URL + "/", Query: "load", Start: time.Unix(0, 0), End: time.Unix(99, 0), Step: time.Second, MaxPoints: 10,
	}, w)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if n != 70 || requests.Load() != 10 {
		t.Errorf("%d rows in %d requests, want 70 in 10", n, requests.Load())
	}
	rows, err := readAll(mustCSV(t, b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 70 || rows[39].Values[0] != 39 || rows[40].Values[0] != 70 {
		t.Errorf("rows around the gap: %v %v", rows[39], rows[40])
	}
}

func mustCSV(t *testing.T, s string) Reader {
	t.Helper()
	r, err := NewCSVReader("fetched.csv", strings.NewReader(s), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFetchPrometheusErrors(t *testing.T) {
	var requests atomic.Int32
	srv := fakeAPI(t, 11000, func(s float64) float64 { return 1 }, &requests)
	defer srv.Close()
	fetch := func(q PrometheusQuery) error {
		w, _ := NewCSVWriter(io.Discard, []string{"value"})
		_, err := FetchPrometheus(context.Background(), q, w)
		return err
	}
	t0 := time.Unix(0, 0)
	// Without chunking Prometheus refuses the range: its message comes back.
	err := fetch(PrometheusQuery{URL: srv.URL, Query: "load", Start: t0, End: t0.Add(20000 * time.Second), Step: time.Second, MaxPoints: 100000})
	if err == nil || !strings.Contains(err.Error(), "exceeded maximum resolution") || !strings.Contains(err.Error(), "400") {
		t.Errorf("too many points: %v", err)
	}
	// With the default it is split and succeeds.
	if err := fetch(PrometheusQuery{URL: srv.URL, Query: "load", Start: t0, End: t0.Add(20000 * time.Second), Step: time.Second}); err != nil {
		t.Errorf("chunked: %v", err)
	}
	if err := fetch(PrometheusQuery{URL: srv.URL, Query: "other", Start: t0, End: t0.Add(time.Minute), Step: time.Second}); err == nil || !strings.Contains(err.Error(), "bad request") {
		t.Errorf("bad query: %v", err)
	}
	empty := fakeAPI(t, 11000, func(float64) float64 { return -1 }, &requests)
	defer empty.Close()
	if err := fetch(PrometheusQuery{URL: empty.URL, Query: "load", Start: t0, End: t0.Add(time.Minute), Step: time.Second}); !errors.Is(err, ErrEmpty) {
		t.Errorf("no data: %v, want ErrEmpty", err)
	}
}

func TestSketchQuantile(t *testing.T) {
	s := NewSketch(0.01)
	for i := range 100000 {
		s.Add(float64(i % 1000))
	}
	for _, q := range []float64{0, 0.5, 0.99, 1} {
		exact := float64(int(q * 999))
		got := s.Quantile(q)
		if exact == 0 && got != 0 || exact > 0 && (got < exact*0.98 || got > exact*1.02) {
			t.Errorf("q%v = %v, want %v within 1%% (plus a rank)", q, got, exact)
		}
	}
	if len(s.buckets) > 800 {
		t.Errorf("%d buckets for values 1–999", len(s.buckets))
	}
}
