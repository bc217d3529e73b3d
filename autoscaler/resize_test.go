package autoscaler

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/omnixan/omnixan/policy"
)

// sized asks for n instances of size.
type sized struct {
	n    int
	size policy.Size
}

func (s sized) Name() string { return "sized" }
func (s sized) Decide(time.Time, policy.Observation) policy.Decision {
	return policy.Decision{Target: s.n, Size: s.size, Reason: "sized"}
}

// resizer is a recorder that can also resize; it logs calls in order.
type resizer struct {
	recorder
	size  policy.Size
	log   []string
	rfail error
}

func (r *resizer) Size(time.Time) (policy.Size, error) { return r.size, nil }
func (r *resizer) Resize(_ time.Time, s policy.Size) error {
	r.log = append(r.log, "resize")
	if r.rfail != nil {
		return r.rfail
	}
	r.size = s
	return nil
}
func (r *resizer) Scale(now time.Time, n int) error {
	r.log = append(r.log, "scale")
	return r.recorder.Scale(now, n)
}

func TestStepResizesBeforeScaling(t *testing.T) {
	big := policy.Size{CPU: 4, MemoryGiB: 8}
	o := &resizer{recorder: recorder{n: 2}, size: policy.Size{CPU: 2, MemoryGiB: 4}}
	l, err := New(Config{Min: 1, Max: 10}, sized{3, big}, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	d := l.Step(t0, policy.Observation{})
	if !d.Resized || !d.Scaled || d.Err != nil || o.size != big {
		t.Fatalf("Step = %+v, size %v", d, o.size)
	}
	// Same size again: no call.
	d = l.Step(t0.Add(15*time.Second), policy.Observation{})
	if d.Resized {
		t.Errorf("resized to the size it has: %+v", d)
	}
	if diff := cmp.Diff([]string{"resize", "scale"}, o.log); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if got := l.Stats(t0).Resizes; got != 1 {
		t.Errorf("Stats.Resizes = %d, want 1", got)
	}
}

func TestResizeFailureAndOpenBreaker(t *testing.T) {
	boom := errors.New("boom")
	o := &resizer{recorder: recorder{n: 2}, size: policy.Size{CPU: 2, MemoryGiB: 4}, rfail: boom}
	l, _ := New(Config{Min: 1, Max: 10}, sized{2, policy.Size{CPU: 1, MemoryGiB: 2}}, nil, o)
	d := l.Step(t0, policy.Observation{})
	var se *ScalingError
	if !errors.As(d.Err, &se) || se.Op != OpResize || !errors.Is(d.Err, boom) {
		t.Fatalf("Err = %v, want a resize ScalingError wrapping boom", d.Err)
	}
	// Fail until the breaker opens; then the resize is refused unsent.
	var open *CircuitBreakerOpenError
	for i := 1; i < 100; i++ {
		n := len(o.log)
		d = l.Step(t0.Add(time.Duration(i)*time.Second), policy.Observation{})
		if errors.As(d.Err, &open) {
			if len(o.log) != n || d.Resized {
				t.Errorf("refused resize was sent: %+v", d)
			}
			return
		}
	}
	t.Error("the breaker never opened")
}

func TestPolicySizeIgnoredWithoutResizer(t *testing.T) {
	o := &recorder{n: 2}
	l, _ := New(Config{Min: 1, Max: 10}, sized{3, policy.Size{CPU: 4, MemoryGiB: 8}}, nil, o)
	if d := l.Step(t0, policy.Observation{}); d.Resized || !d.Scaled || d.Err != nil {
		t.Errorf("Step = %+v", d)
	}
}
