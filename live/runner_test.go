package live

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"

	"github.com/omnixan/omnixan/autoscaler"
	"github.com/omnixan/omnixan/policy"
)

// scriptSampler returns the request rate rates[i] at pass i (the last one
// after the end), with Ready equal to the orchestrator's count.
type scriptSampler struct {
	rates []float64
	orch  *memOrch
	i     int
}

func (s *scriptSampler) Sample(now time.Time) Sample {
	r := s.rates[min(s.i, len(s.rates)-1)]
	s.i++
	n, _ := s.orch.Current(now)
	return Sample{Obs: policy.Observation{Time: now, Valid: true, RequestRate: r, Ready: n, Capacity: 10,
		Utilization: min(r/(10*float64(max(n, 1))), 1)}}
}

// memOrch is an orchestrator in memory; fail makes the next calls fail
// transiently.
type memOrch struct {
	mu     sync.Mutex
	n      int
	fail   int
	calls  int
	called time.Time // wall time of the last Scale call
}

func (m *memOrch) Current(time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n, nil
}

func (m *memOrch) Scale(_ time.Time, n int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.called = time.Now()
	m.calls++
	if m.fail > 0 {
		m.fail--
		return autoscaler.Transient(errors.New("unavailable"))
	}
	m.n = n
	return nil
}

// proportional proposes ⌈rate ÷ capacity⌉ instances.
type proportional struct{}

func (proportional) Name() string { return "proportional" }
func (proportional) Decide(_ time.Time, o policy.Observation) policy.Decision {
	if !o.Valid {
		return policy.Decision{Target: o.Current, Reason: "no data"}
	}
	n := int(o.RequestRate/o.Capacity + 0.999999)
	return policy.Decision{Target: max(n, 1), Reason: "proportional"}
}

func newTestRunner(t testing.TB, rates []float64, log io.Writer) (*Runner, *memOrch, *prometheus.Registry) {
	orch := &memOrch{n: 1}
	guard := &NoScaleInOnPartial{Policy: proportional{}}
	timed := &Timed{Orch: orch}
	loop, err := autoscaler.New(autoscaler.Config{Min: 1, Max: 10, Price: costPrice(0.5),
		Retry: autoscaler.RetryConfig{Base: 100 * time.Millisecond, Cap: 200 * time.Millisecond}}, guard, nil, timed)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Loop: loop, Source: &scriptSampler{rates: rates, orch: orch}, Guard: guard, Orchestrator: timed,
		Sync: time.Second, PricePerHour: 0.5, Metrics: m, Log: slog.New(slog.NewJSONHandler(log, nil))}
	return r, orch, reg
}

func TestRunner(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs strings.Builder
		r, orch, reg := newTestRunner(t, []float64{5, 35, 35, 35, 12, 12}, &logs)
		orch.fail = 1 // the scale-up fails once and is retried before the next pass
		if r.Ready() {
			t.Error("ready before the first pass")
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- r.Run(ctx) }()
		time.Sleep(5500 * time.Millisecond)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if r.Passes() != 6 {
			t.Errorf("%d passes in 5.5 s at 1 s, want 6", r.Passes())
		}
		if !r.Ready() {
			t.Error("not ready after valid observations")
		}
		if orch.n != 2 {
			t.Errorf("%d instances at the end, want 2", orch.n)
		}
		want := `
# HELP instance_count Instances the orchestrator is asked to run (its current target).
# TYPE instance_count gauge
instance_count 2
# HELP cost_usd_per_hour Running cost of instance_count instances, USD per hour.
# TYPE cost_usd_per_hour gauge
cost_usd_per_hour 1
# HELP omnixan_autoscaler_retries_total Scale calls that retried an action after a transient failure.
# TYPE omnixan_autoscaler_retries_total counter
omnixan_autoscaler_retries_total 1
# HELP omnixan_autoscaler_scale_actions_total Scale calls sent to the orchestrator, by direction (up, down) and result (ok, error).
# TYPE omnixan_autoscaler_scale_actions_total counter
omnixan_autoscaler_scale_actions_total{direction="down",result="ok"} 1
omnixan_autoscaler_scale_actions_total{direction="up",result="error"} 1
omnixan_autoscaler_scale_actions_total{direction="up",result="ok"} 1
# HELP health_status 1 when the last observation was valid and no circuit breaker is open, else 0.
# TYPE health_status gauge
health_status 1
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "instance_count", "cost_usd_per_hour",
			"omnixan_autoscaler_retries_total", "omnixan_autoscaler_scale_actions_total", "health_status"); err != nil {
			t.Error(err)
		}
		if n := strings.Count(logs.String(), `"msg":"decision"`); n != 7 {
			t.Errorf("%d decisions logged, want 6 passes and 1 retry:\n%s", n, logs.String())
		}
		if !strings.Contains(logs.String(), `"reason":"proportional","scaled":true`) {
			t.Errorf("no decision with its reason in the log:\n%s", logs.String())
		}
	})
}

func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(mustGather(t, reg)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if p.Metric == "instance_count" {
			continue // the original module's name, kept on purpose
		}
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

func TestHealthEndpoints(t *testing.T) {
	r, _, _ := newTestRunner(t, []float64{5}, io.Discard)
	rec := httptest.NewRecorder()
	r.Readyz(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 {
		t.Errorf("/readyz before the first observation: %d", rec.Code)
	}
	if err := r.Pass(time.Now()); err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	r.Readyz(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 {
		t.Errorf("/readyz after a valid observation: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	r.Healthz(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 200 {
		t.Errorf("/healthz: %d", rec.Code)
	}
}

func mustGather(t *testing.T, g prometheus.Gatherer) []*dto.MetricFamily {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}
