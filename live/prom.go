package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/policy"
)

// ErrNoData is returned (wrapped) by Query when the expression has no
// sample at the evaluation time: an empty vector, or NaN or ±Inf.
var ErrNoData = errors.New("no data")

// ErrMetricsBreakerOpen is returned by PromSource.Observe while its circuit
// breaker refuses queries.
var ErrMetricsBreakerOpen = errors.New("metrics circuit breaker open")

// Query evaluates the PromQL expr at time at with the instant-query API
// (a form-encoded POST to base/api/v1/query) and returns its value: a scalar, or the sum of
// the samples of a vector. An empty vector, NaN and ±Inf wrap ErrNoData.
// A refusal by Prometheus returns its error message; a network error or a
// 5xx/429 answer is marked autoscaler.Transient.
func Query(ctx context.Context, client *http.Client, base, expr string, at time.Time) (float64, error) {
	if client == nil {
		client = http.DefaultClient
	}
	v := url.Values{}
	v.Set("query", expr)
	v.Set("time", strconv.FormatFloat(float64(at.UnixNano())/1e9, 'f', 3, 64))
	u := strings.TrimRight(base, "/") + "/api/v1/query"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(v.Encode()))
	if err != nil {
		return 0, fmt.Errorf("prometheus query %q: %w", expr, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return 0, autoscaler.Transient(fmt.Errorf("prometheus query %q: %w", expr, err))
	}
	defer resp.Body.Close()
	var r struct {
		Status    string `json:"status"`
		Error     string `json:"error"`
		ErrorType string `json:"errorType"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&r); err != nil {
		err = fmt.Errorf("prometheus query %q: HTTP %s: %w", expr, resp.Status, err)
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			err = autoscaler.Transient(err)
		}
		return 0, err
	}
	if r.Status != "success" {
		err := fmt.Errorf("prometheus query %q: HTTP %s: %s: %s", expr, resp.Status, r.ErrorType, r.Error)
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || r.ErrorType == "timeout" {
			err = autoscaler.Transient(err)
		}
		return 0, err
	}
	var sum float64
	switch r.Data.ResultType {
	case "scalar":
		var p [2]any
		if err := json.Unmarshal(r.Data.Result, &p); err != nil {
			return 0, fmt.Errorf("prometheus query %q: scalar: %w", expr, err)
		}
		x, err := sampleValue(p[1])
		if err != nil {
			return 0, fmt.Errorf("prometheus query %q: %w", expr, err)
		}
		sum = x
	case "vector":
		var vec []struct {
			Value [2]any `json:"value"`
		}
		if err := json.Unmarshal(r.Data.Result, &vec); err != nil {
			return 0, fmt.Errorf("prometheus query %q: vector: %w", expr, err)
		}
		if len(vec) == 0 {
			return 0, fmt.Errorf("prometheus query %q: %w: empty result", expr, ErrNoData)
		}
		for _, s := range vec {
			x, err := sampleValue(s.Value[1])
			if err != nil {
				return 0, fmt.Errorf("prometheus query %q: %w", expr, err)
			}
			sum += x
		}
	default:
		return 0, fmt.Errorf("prometheus query %q: result type %q: want a scalar or an instant vector", expr, r.Data.ResultType)
	}
	if math.IsNaN(sum) || math.IsInf(sum, 0) {
		return 0, fmt.Errorf("prometheus query %q: %w: value %v", expr, ErrNoData, sum)
	}
	return sum, nil
}

func sampleValue(v any) (float64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("sample value %v: want a string", v)
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("sample value %q: %w", s, err)
	}
	return x, nil
}

// Queries are the PromQL expressions PromSource evaluates, one per metric.
// Only RequestRate is required.
type Queries struct {
	// RequestRate is the workload's total request rate, req/s, e.g.
	// sum(rate(http_requests_total{job="web"}[1m])).
	RequestRate string
	// CPU is the mean CPU utilisation of the ready instances as a fraction
	// (0.5 = 50%). Empty: derived as RequestRate ÷ (Ready × Capacity).
	CPU string
	// Memory is the mean memory utilisation as a fraction; empty: unknown.
	Memory string
	// Quantum is the quantum job backlog, exported as quantum_workload;
	// empty: not read.
	Quantum string
}

// Status is what an orchestrator knows of its instances besides its
// target: Ready have passed their readiness check, Starting have been asked
// for but are not ready yet.
type Status struct {
	Ready, Starting int
}

// StatusReader is implemented by orchestrators that can say how many of
// their instances are ready (Kube, Processes).
type StatusReader interface {
	Status(now time.Time) (Status, error)
}

// PromOptions configure a PromSource. Zero fields take the defaults in
// brackets.
type PromOptions struct {
	URL      string // base URL of the Prometheus server
	Queries  Queries
	Capacity float64 // req/s one ready instance serves; 0 unknown
	// Timeout bounds each query [5 s].
	Timeout time.Duration
	// Client makes the requests [a client of its own].
	Client *http.Client
	// Breaker opens after failed queries and then skips them until its
	// open timeout has passed [the autoscaler defaults].
	Breaker autoscaler.BreakerConfig
}

// Sample is the outcome of one PromSource.Observe: the observation, and
// which parts of it are missing.
type Sample struct {
	Obs     policy.Observation
	Quantum float64 // the Quantum query's value, 0 when not configured or missing
	// Partial is true when any configured input was missing: the policy
	// may then scale out but not in (see NoScaleInOnPartial).
	Partial bool
	Missing []string // what was missing: "requests_per_second", "cpu", "memory", "quantum", "ready"
	Err     error    // the request rate's error when Obs is invalid, else the first error
}

// PromSource is the live MetricsSource: it evaluates one instant query per
// metric against Prometheus and asks the orchestrator (a StatusReader)
// how many instances are ready. Its own circuit breaker guards the queries.
// It is not safe for concurrent use.
type PromSource struct {
	opts    PromOptions
	status  StatusReader
	breaker *autoscaler.Breaker
	// lastStatus is the last status the orchestrator gave.
	lastStatus Status
}

var _ autoscaler.MetricsSource = (*PromSource)(nil)

// NewPromSource returns a source for opts; status may be nil (Ready then
// unknown, 0). It returns a *autoscaler.ConfigurationError for bad options.
func NewPromSource(opts PromOptions, status StatusReader) (*PromSource, error) {
	cfgErr := func(field, problem string) error {
		return &autoscaler.ConfigurationError{ScalingError: autoscaler.ScalingError{Op: autoscaler.OpConfigure}, Field: field, Problem: problem}
	}
	switch {
	case opts.URL == "":
		return nil, cfgErr("URL", "empty: want the Prometheus base URL")
	case opts.Queries.RequestRate == "":
		return nil, cfgErr("Queries.RequestRate", "empty: want a PromQL expression")
	case math.IsNaN(opts.Capacity) || math.IsInf(opts.Capacity, 0) || opts.Capacity < 0:
		return nil, cfgErr("Capacity", fmt.Sprintf("= %v, want a finite value ≥ 0", opts.Capacity))
	case opts.Timeout < 0:
		return nil, cfgErr("Timeout", fmt.Sprintf("= %v, want ≥ 0", opts.Timeout))
	}
	if _, err := url.ParseRequestURI(opts.URL); err != nil {
		return nil, cfgErr("URL", err.Error())
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	b, err := autoscaler.NewBreaker(opts.Breaker)
	if err != nil {
		return nil, err
	}
	return &PromSource{opts: opts, status: status, breaker: b}, nil
}

// Breaker returns the breaker around the queries.
func (s *PromSource) Breaker() *autoscaler.Breaker { return s.breaker }

// Observe implements autoscaler.MetricsSource: see Sample for what it
// fills in. The error is that of the request-rate query (the observation is
// then invalid); secondary failures only make the sample partial.
func (s *PromSource) Observe(now time.Time) (policy.Observation, error) {
	smp := s.Sample(now)
	if !smp.Obs.Valid {
		return smp.Obs, smp.Err
	}
	return smp.Obs, nil
}

// Sample reads one observation at time now.
func (s *PromSource) Sample(now time.Time) Sample {
	smp := Sample{Obs: policy.Observation{Time: now, Capacity: s.opts.Capacity}}
	miss := func(what string, err error) {
		smp.Partial = true
		smp.Missing = append(smp.Missing, what)
		if smp.Err == nil || what == "requests_per_second" {
			smp.Err = err
		}
	}
	if s.status != nil {
		st, err := s.status.Status(now)
		if err != nil {
			// Keep deciding on the last count read: stale, so the sample
			// is partial and the policy may scale out but not in.
			miss("ready", err)
			st = s.lastStatus
		} else {
			s.lastStatus = st
		}
		smp.Obs.Ready, smp.Obs.Starting = st.Ready, st.Starting
	}
	if !s.breaker.Allow(now) {
		miss("requests_per_second", fmt.Errorf("%w until %s", ErrMetricsBreakerOpen, s.breaker.ReadyAt(now).Format(time.RFC3339)))
		return smp
	}
	rate, err := s.query(now, s.opts.Queries.RequestRate)
	// Only the request rate counts for the breaker: an empty result is an
	// answer, a failed request is not.
	if errors.Is(err, ErrNoData) {
		s.breaker.Record(now, nil)
	} else {
		s.breaker.Record(now, err)
	}
	if err != nil {
		miss("requests_per_second", err)
		return smp
	}
	smp.Obs.Valid = true
	smp.Obs.RequestRate = math.Max(rate, 0)
	if q := s.opts.Queries.CPU; q != "" {
		u, err := s.query(now, q)
		if err != nil {
			miss("cpu", err)
		}
		smp.Obs.Utilization = clamp01(u)
	} else if s.opts.Capacity > 0 && smp.Obs.Ready > 0 {
		smp.Obs.Utilization = clamp01(smp.Obs.RequestRate / (float64(smp.Obs.Ready) * s.opts.Capacity))
	}
	if q := s.opts.Queries.Memory; q != "" {
		m, err := s.query(now, q)
		if err != nil {
			miss("memory", err)
		}
		smp.Obs.MemoryUtilization = clamp01(m)
	}
	if q := s.opts.Queries.Quantum; q != "" {
		v, err := s.query(now, q)
		if err != nil {
			miss("quantum", err)
		}
		smp.Quantum = math.Max(v, 0)
	}
	return smp
}

func (s *PromSource) query(now time.Time, expr string) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
	defer cancel()
	return Query(ctx, s.opts.Client, s.opts.URL, expr, now)
}

func clamp01(x float64) float64 {
	return math.Min(math.Max(x, 0), 1)
}
