package policy

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// midnight is a reference time the histograms' 24-hour rounding keeps.
var midnight = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// vpaBucketEnd is the upper end of the VPA CPU histogram's bucket holding
// v, from the bucket formula: start(i) = 0.001·(1.05^i − 1)/0.05.
func vpaBucketEnd(first, v float64) float64 {
	i := math.Floor(math.Log(v*0.05/first+1) / math.Log(1.05))
	return first * (math.Pow(1.05, i+1) - 1) / 0.05
}

func TestDecayingHistogramBuckets(t *testing.T) {
	h := NewDecayingHistogram(1000, 0.001, 1.05, 24*time.Hour)
	approx := cmpopts.EquateApprox(1e-12, 0)
	got := []float64{h.BucketStart(0), h.BucketStart(1), h.BucketStart(2), h.BucketStart(3)}
	want := []float64{0, 0.001, 0.00205, 0.0031525}
	if d := cmp.Diff(want, got, approx); d != "" {
		t.Errorf("bucket starts (-want +got):\n%s", d)
	}
	for i := range 200 {
		if b := h.Bucket(h.BucketStart(i)); b != i {
			t.Errorf("Bucket(BucketStart(%d)) = %d", i, b)
		}
	}
	if b := h.Bucket(1e9); b != len(h.weights)-1 {
		t.Errorf("Bucket(1e9) = %d, want the last, %d", b, len(h.weights)-1)
	}
}

func TestDecayingHistogramHalfLife(t *testing.T) {
	h := NewDecayingHistogram(1000, 0.001, 1.05, 24*time.Hour)
	h.Add(1, 1, midnight)
	h.Add(2, 1, midnight.Add(24*time.Hour)) // one half-life later: twice the weight
	h.Add(4, 1, midnight.Add(60*time.Hour)) // 2.5 half-lives: 2^2.5
	got := []float64{h.Weight(h.Bucket(1)), h.Weight(h.Bucket(2)), h.Weight(h.Bucket(4)), h.Total()}
	want := []float64{1, 2, math.Exp2(2.5), 3 + math.Exp2(2.5)}
	if d := cmp.Diff(want, got, cmpopts.EquateApprox(1e-12, 0)); d != "" {
		t.Errorf("weights (-want +got):\n%s", d)
	}
	// Percentiles: the upper end of the bucket where the cumulative weight
	// reaches p·total; total = 8.657, so 1 holds up to 11.5%, 2 to 34.7%.
	for _, tc := range []struct{ p, v float64 }{{0.1, 1}, {0.115, 1}, {0.2, 2}, {0.34, 2}, {0.5, 4}, {0.99, 4}} {
		if got, want := h.Percentile(tc.p), vpaBucketEnd(0.001, tc.v); math.Abs(got-want) > 1e-12 {
			t.Errorf("Percentile(%v) = %v, want %v (end of %v's bucket)", tc.p, got, want, tc.v)
		}
	}
	h.Subtract(4, 1, midnight.Add(60*time.Hour))
	if got, want := h.Percentile(0.5), vpaBucketEnd(0.001, 2); math.Abs(got-want) > 1e-12 {
		t.Errorf("after Subtract, Percentile(0.5) = %v, want %v", got, want)
	}
}

func TestDecayingHistogramShiftsReference(t *testing.T) {
	h := NewDecayingHistogram(1000, 0.001, 1.05, 24*time.Hour)
	h.Add(1, 1, midnight)
	h.Add(2, 1, midnight.Add(101*24*time.Hour)) // exponent 101 > 100: the reference moves
	if !h.ref.Equal(midnight.Add(101 * 24 * time.Hour)) {
		t.Fatalf("reference = %v, want %v", h.ref, midnight.Add(101*24*time.Hour))
	}
	got := []float64{h.Weight(h.Bucket(1)), h.Weight(h.Bucket(2))}
	want := []float64{math.Exp2(-101), 1}
	if d := cmp.Diff(want, got, cmpopts.EquateApprox(1e-12, 0)); d != "" {
		t.Errorf("weights after the shift (-want +got):\n%s", d)
	}
	if got, want := h.Percentile(0.5), vpaBucketEnd(0.001, 2); math.Abs(got-want) > 1e-12 {
		t.Errorf("Percentile(0.5) = %v, want %v", got, want)
	}
	if h.IsEmpty() {
		t.Error("IsEmpty after two samples")
	}
}

// steady feeds v constant use, one sample a minute for d.
func steady(v *Vertical, start time.Time, d time.Duration, obs Observation) time.Time {
	t := start
	for ; t.Before(start.Add(d)); t = t.Add(time.Minute) {
		obs.Time = t
		v.Observe(obs)
	}
	return t
}

func TestVerticalRecommendationKnownAnswer(t *testing.T) {
	v, err := NewVertical(VerticalConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// 2 vCPU at 50%: 1 core; 4 GiB at 50%: 2 GiB.
	obs := Observation{Valid: true, Utilization: 0.5, MemoryUtilization: 0.5, Size: Size{2, 4}, Ready: 3, Current: 3}
	steady(v, midnight, 48*time.Hour, obs)
	r, ok := v.Recommend()
	if !ok {
		t.Fatal("no recommendation after two days")
	}
	days := float64(48*time.Hour-time.Minute) / float64(24*time.Hour)
	cpu := vpaBucketEnd(0.001, 1) * 1.15
	mem := vpaBucketEnd(1e7/(1<<30), 2) * 1.15
	want := Recommendation{
		Target: Size{cpu, mem},
		Lower:  Size{cpu * math.Pow(1+0.001/days, -2), mem * math.Pow(1+0.001/days, -2)},
		Upper:  Size{cpu * (1 + 1/days), mem * (1 + 1/days)},
	}
	if d := cmp.Diff(want, r, cmpopts.EquateApprox(1e-9, 0)); d != "" {
		t.Errorf("recommendation (-want +got):\n%s", d)
	}
	// 2 vCPU and 4 GiB are above the upper bounds (≈1.81, ≈3.5): resize to
	// the target rounded up to 0.25.
	now := midnight.Add(48 * time.Hour)
	obs.Time = now
	d := v.Decide(now, obs)
	if d.Size != (Size{1.25, 2.5}) || d.Target != 3 {
		t.Errorf("Decide = %+v, want 3 instances of {1.25, 2.5}", d)
	}
	// Within the cooldown nothing more, though the size is still outside.
	obs.Time = now.Add(time.Minute)
	if d := v.Decide(now.Add(time.Minute), obs); !d.Size.IsZero() || d.Reason != "resize cooldown" {
		t.Errorf("Decide in the cooldown = %+v", d)
	}
	// At the recommended size, inside the bounds: keep.
	obs.Time, obs.Size = now.Add(11*time.Minute), Size{1.25, 2.5}
	obs.Utilization, obs.MemoryUtilization = 0.8, 0.8
	if d := v.Decide(now.Add(11*time.Minute), obs); !d.Size.IsZero() {
		t.Errorf("Decide inside the bounds = %+v", d)
	}
}

func TestVerticalOOMBump(t *testing.T) {
	v, _ := NewVertical(VerticalConfig{})
	for _, tc := range []struct{ mem, want float64 }{
		{4, 4.8},                  // ×1.2
		{0.25, 0.25 + 100.0/1024}, // +100 MiB
		{0.5, 0.6},                // 0.5 + 100 MiB = 0.598 < 0.6
	} {
		if got := v.OOMBump(tc.mem); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("OOMBump(%v) = %v, want %v", tc.mem, got, tc.want)
		}
	}
	// An OOM kill resizes at once, cooldown or not, to at least the bump.
	obs := Observation{Valid: true, Utilization: 0.9, MemoryUtilization: 0.95, Size: Size{1, 1}, Ready: 2, Current: 2}
	end := steady(v, midnight, 2*time.Hour, obs)
	obs.Time, obs.OOMEvents = end, 1
	d := v.Decide(end, obs)
	if d.Size.MemoryGiB < 1.25 || d.Reason != "resize after OOM" {
		t.Fatalf("after an OOM kill: %+v, want memory ≥ 1.25 GiB (1.2 GiB rounded up)", d)
	}
	obs.Time, obs.Size = end.Add(time.Minute), d.Size
	d2 := v.Decide(end.Add(time.Minute), obs)
	if d2.Size.MemoryGiB <= d.Size.MemoryGiB || d2.Reason != "resize after OOM" {
		t.Errorf("second OOM kill inside the cooldown: %+v, want a resize above %v GiB", d2, d.Size.MemoryGiB)
	}
	// The bump is the window's memory peak: the histogram's 90th
	// percentile is its bucket's end.
	if v.peak != v.OOMBump(d.Size.MemoryGiB) {
		t.Errorf("memory peak = %v, want %v", v.peak, v.OOMBump(d.Size.MemoryGiB))
	}
}

func TestVerticalNoMetricsKeepsCount(t *testing.T) {
	v, _ := NewVertical(VerticalConfig{})
	if d := v.Decide(midnight, Observation{Current: 5}); d.Target != 5 || !d.Size.IsZero() {
		t.Errorf("Decide without metrics = %+v", d)
	}
}

func TestVerticalValidate(t *testing.T) {
	for _, c := range []VerticalConfig{
		{TargetPercentile: 1.5},
		{LowerPercentile: 0.95},
		{UpperPercentile: 0.8},
		{SafetyMargin: -1},
		{OOMBumpRatio: 0.5},
		{MaxCPU: 0.01},
		{Cooldown: -time.Second},
	} {
		if _, err := NewVertical(c); err == nil {
			t.Errorf("NewVertical(%+v) = nil error", c)
		}
	}
}

func TestVerticalMetric(t *testing.T) {
	// 2 instances of 2 vCPU, 100 req/s each, offered 300 req/s: saturated
	// at 2 cores each, offered 3.
	obs := Observation{Valid: true, Utilization: 1, RequestRate: 300, Ready: 2, Current: 2, Capacity: 100,
		MemoryUtilization: 0.5, Size: Size{2, 4}}
	for _, tc := range []struct {
		metric ScalingMetric
		use    float64
	}{{MetricCPUUtilization, 2}, {MetricOfferedUtilization, 3}} {
		v, _ := NewVertical(VerticalConfig{Metric: tc.metric})
		steady(v, midnight, 24*time.Hour, obs)
		r, _ := v.Recommend()
		if want := vpaBucketEnd(0.001, tc.use) * 1.15; math.Abs(r.Target.CPU-want) > 1e-9 {
			t.Errorf("%s: target CPU %v, want %v", tc.metric, r.Target.CPU, want)
		}
	}
	if _, err := NewVertical(VerticalConfig{Metric: MetricRequestsPerInstance}); err == nil {
		t.Error("NewVertical with requests_per_instance: nil error")
	}
}
