package traces

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxPoints is the most points one query_range request asks for:
// Prometheus refuses more than 11,000 per series.
const DefaultMaxPoints = 11000

// PrometheusQuery is a range query against a running Prometheus server's
// HTTP API (GET /api/v1/query_range).
type PrometheusQuery struct {
	URL        string // base URL of the server, e.g. http://127.0.0.1:9090
	Query      string // PromQL returning one series, or several and Labels
	Start, End time.Time
	Step       time.Duration // resolution; > 0
	// Labels select the series as in PrometheusOptions.
	Labels map[string]string
	// MaxPoints bounds the points of one request [DefaultMaxPoints]: a
	// longer range is split into consecutive requests.
	MaxPoints int
	// Client makes the requests [http.DefaultClient].
	Client *http.Client
}

// Chunks returns the [start, end] ranges, both inclusive, of the requests
// that cover q: each at most MaxPoints points on the grid Start + k·Step,
// the next one starting one Step after the previous one ends.
func (q PrometheusQuery) Chunks() [][2]time.Time {
	maxPts := q.MaxPoints
	if maxPts <= 0 {
		maxPts = DefaultMaxPoints
	}
	var out [][2]time.Time
	span := time.Duration(maxPts-1) * q.Step
	for s := q.Start; !s.After(q.End); {
		e := s.Add(span)
		if e.After(q.End) {
			e = q.End
		}
		out = append(out, [2]time.Time{s, e})
		s = e.Add(q.Step)
	}
	return out
}

// FetchPrometheus pulls the series of q, request by request (see Chunks),
// and writes its points to w, which must have one column. A request whose
// range holds no series leaves a gap; a point not after the last one
// written (a chunk boundary) is dropped. It returns the rows written, and
// ErrEmpty when there were none. Errors name the request's range; a
// response Prometheus refused gives its error message.
func FetchPrometheus(ctx context.Context, q PrometheusQuery, w Writer) (int, error) {
	switch {
	case q.URL == "":
		return 0, errors.New("traces: Prometheus URL is empty")
	case q.Query == "":
		return 0, errors.New("traces: Prometheus query is empty")
	case q.Step <= 0:
		return 0, fmt.Errorf("traces: Prometheus step %v: want > 0", q.Step)
	case q.End.Before(q.Start):
		return 0, fmt.Errorf("traces: Prometheus range ends (%v) before it starts (%v)", q.End, q.Start)
	}
	client := q.Client
	if client == nil {
		client = http.DefaultClient
	}
	base := strings.TrimRight(q.URL, "/") + "/api/v1/query_range"
	var last time.Time
	rows := 0
	var row Row
	for _, c := range q.Chunks() {
		v := url.Values{}
		v.Set("query", q.Query)
		v.Set("start", unixString(c[0]))
		v.Set("end", unixString(c[1]))
		v.Set("step", strconv.FormatFloat(q.Step.Seconds(), 'f', -1, 64))
		name := fmt.Sprintf("%s [%s, %s]", base, c[0].UTC().Format(time.RFC3339Nano), c[1].UTC().Format(time.RFC3339Nano))
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"?"+v.Encode(), nil)
		if err != nil {
			return rows, fmt.Errorf("traces: %w", err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return rows, fmt.Errorf("traces: %w", err)
		}
		n, err := copyChunk(name, resp, q.Labels, w, &row, &last)
		resp.Body.Close()
		rows += n
		if err != nil {
			return rows, err
		}
	}
	if rows == 0 {
		return 0, fmt.Errorf("traces: %s: %w: no points in [%v, %v]", q.Query, ErrEmpty, q.Start.UTC(), q.End.UTC())
	}
	return rows, nil
}

func copyChunk(name string, resp *http.Response, labels map[string]string, w Writer, row *Row, last *time.Time) (int, error) {
	if resp.StatusCode != http.StatusOK {
		// Prometheus explains a refusal in a JSON body with status "error".
		_, err := NewPrometheusReader(name, io.LimitReader(resp.Body, 1<<16), nil)
		if err == nil || errors.Is(err, ErrEmpty) {
			err = errors.New(resp.Status)
		}
		return 0, fmt.Errorf("traces: HTTP %s: %w", resp.Status, err)
	}
	r, err := NewPrometheusReader(name, resp.Body, &PrometheusOptions{Labels: labels})
	if errors.Is(err, ErrEmpty) {
		return 0, nil // no series in this range: a gap
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		err := r.Next(row)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if !last.IsZero() && !row.Time.After(*last) {
			continue
		}
		if err := w.Write(*row); err != nil {
			return n, err
		}
		*last = row.Time
		n++
	}
}

func unixString(t time.Time) string {
	s, ns := t.Unix(), t.Nanosecond()
	if ns < 0 { // not for times after 1970
		return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', -1, 64)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%d.%09d", s, ns), "0"), ".")
}
