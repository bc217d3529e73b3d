package live

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
)

// fakeProm answers instant queries from a table of expression → JSON data
// (the "data" member of a successful answer); an expression missing from
// the table gets a 500.
type fakeProm struct {
	mu      sync.Mutex
	answers map[string]string
	calls   int
}

func (f *fakeProm) set(expr, data string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[expr] = data
}

func (f *fakeProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	f.calls++
	data, ok := f.answers[r.Form.Get("query")]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case !ok:
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"status":"error","errorType":"internal","error":"boom"}`)
	case data == "bad_data":
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"parse error"}`)
	default:
		fmt.Fprintf(w, `{"status":"success","data":%s}`, data)
	}
}

func vector(vals ...string) string {
	s := `{"resultType":"vector","result":[`
	for i, v := range vals {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf(`{"metric":{"i":"%d"},"value":[1700000000,"%s"]}`, i, v)
	}
	return s + "]}"
}

func TestQuery(t *testing.T) {
	fp := &fakeProm{answers: map[string]string{
		"one":    vector("12.5"),
		"two":    vector("1", "2.5"),
		"none":   vector(),
		"nan":    vector("NaN"),
		"scalar": `{"resultType":"scalar","result":[1700000000,"4"]}`,
		"matrix": `{"resultType":"matrix","result":[]}`,
		"bad":    "bad_data",
	}}
	srv := httptest.NewServer(fp)
	defer srv.Close()
	tests := []struct {
		expr      string
		want      float64
		err       error
		transient bool
	}{
		{"one", 12.5, nil, false},
		{"two", 3.5, nil, false},
		{"scalar", 4, nil, false},
		{"none", 0, ErrNoData, false},
		{"nan", 0, ErrNoData, false},
		{"matrix", 0, errors.New(""), false},
		{"bad", 0, errors.New(""), false},
		{"missing", 0, errors.New(""), true},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := Query(context.Background(), nil, srv.URL, tt.expr, time.Now())
			if (err != nil) != (tt.err != nil) || (tt.err == ErrNoData && !errors.Is(err, ErrNoData)) {
				t.Fatalf("Query: %v, want error %v", err, tt.err)
			}
			if got != tt.want {
				t.Errorf("Query = %v, want %v", got, tt.want)
			}
			if autoscaler.IsTransient(err) != tt.transient {
				t.Errorf("transient = %v, want %v (%v)", !tt.transient, tt.transient, err)
			}
		})
	}
}

type fixedStatus struct {
	st  Status
	err error
}

func (f fixedStatus) Status(time.Time) (Status, error) { return f.st, f.err }

type toggleStatus struct {
	st  Status
	err error
}

func (f *toggleStatus) Status(time.Time) (Status, error) {
	if f.err != nil {
		return Status{}, f.err
	}
	return f.st, nil
}

func TestPromSourceSample(t *testing.T) {
	fp := &fakeProm{answers: map[string]string{"rate": vector("30"), "cpu": vector("0.6"), "mem": vector("0.4"), "qpu": vector("7", "5")}}
	srv := httptest.NewServer(fp)
	defer srv.Close()
	now := time.Now()

	s, err := NewPromSource(PromOptions{URL: srv.URL, Queries: Queries{RequestRate: "rate"}, Capacity: 10}, fixedStatus{st: Status{Ready: 4, Starting: 1}})
	if err != nil {
		t.Fatal(err)
	}
	smp := s.Sample(now)
	if !smp.Obs.Valid || smp.Partial || smp.Obs.RequestRate != 30 || smp.Obs.Utilization != 0.75 || smp.Obs.Ready != 4 || smp.Obs.Starting != 1 {
		t.Errorf("derived utilisation: %+v", smp)
	}

	// Every query configured and answered.
	s, _ = NewPromSource(PromOptions{URL: srv.URL, Queries: Queries{RequestRate: "rate", CPU: "cpu", Memory: "mem", Quantum: "qpu"}}, fixedStatus{st: Status{Ready: 2}})
	smp = s.Sample(now)
	if !smp.Obs.Valid || smp.Partial || smp.Obs.Utilization != 0.6 || smp.Obs.MemoryUtilization != 0.4 || smp.Quantum != 12 {
		t.Errorf("all queries: %+v", smp)
	}

	// A configured query that fails makes the sample partial, not invalid.
	s, _ = NewPromSource(PromOptions{URL: srv.URL, Queries: Queries{RequestRate: "rate", CPU: "cpu", Memory: "memory"}}, fixedStatus{st: Status{Ready: 2}})
	smp = s.Sample(now)
	if !smp.Obs.Valid || !smp.Partial || smp.Obs.Utilization != 0.6 || len(smp.Missing) != 1 || smp.Missing[0] != "memory" {
		t.Errorf("missing memory: %+v", smp)
	}
	// So does an orchestrator that cannot say how many are ready.
	s, _ = NewPromSource(PromOptions{URL: srv.URL, Queries: Queries{RequestRate: "rate"}}, fixedStatus{err: errors.New("down")})
	if smp = s.Sample(now); !smp.Obs.Valid || !smp.Partial {
		t.Errorf("no ready count: %+v", smp)
	}

	// After a good read, a failed one stands in with the last count.
	st := &toggleStatus{st: Status{Ready: 3, Starting: 1}}
	s, _ = NewPromSource(PromOptions{URL: srv.URL, Queries: Queries{RequestRate: "rate"}}, st)
	s.Sample(now)
	st.err = errors.New("down")
	if smp = s.Sample(now); !smp.Partial || smp.Obs.Ready != 3 || smp.Obs.Starting != 1 {
		t.Errorf("stale ready count: %+v", smp)
	}

	// No request rate: invalid, and Observe returns the error.
	fp.set("rate", vector())
	if _, err := s.Observe(now); !errors.Is(err, ErrNoData) {
		t.Errorf("Observe with no data: %v", err)
	}
}

func TestPromSourceBreaker(t *testing.T) {
	fp := &fakeProm{answers: map[string]string{}}
	srv := httptest.NewServer(fp)
	defer srv.Close()
	s, err := NewPromSource(PromOptions{URL: srv.URL, Queries: Queries{RequestRate: "rate"},
		Breaker: autoscaler.BreakerConfig{ConsecutiveFailures: 3, OpenTimeout: time.Minute}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 5 {
		s.Sample(now.Add(time.Duration(i) * time.Second))
	}
	if fp.calls != 3 {
		t.Errorf("%d queries sent, want 3 before the breaker opened", fp.calls)
	}
	if st := s.Breaker().State(now.Add(5 * time.Second)); st != autoscaler.Open {
		t.Errorf("breaker %v, want open", st)
	}
	fp.set("rate", vector("5"))
	if smp := s.Sample(now.Add(2 * time.Minute)); !smp.Obs.Valid {
		t.Errorf("after the open timeout: %+v", smp)
	}
	if st := s.Breaker().State(now.Add(2 * time.Minute)); st != autoscaler.Closed {
		t.Errorf("breaker %v after a good probe, want closed", st)
	}
}

func TestNewPromSourceErrors(t *testing.T) {
	for _, o := range []PromOptions{
		{Queries: Queries{RequestRate: "x"}},
		{URL: "http://x"},
		{URL: "http://x", Queries: Queries{RequestRate: "x"}, Capacity: -1},
	} {
		if _, err := NewPromSource(o, nil); !errors.Is(err, autoscaler.ErrConfiguration) {
			t.Errorf("NewPromSource(%+v): %v, want a configuration error", o, err)
		}
	}
}
