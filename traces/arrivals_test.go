package traces

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func mustJobs(t testing.TB, o ArrivalOptions) ([]Job, *Arrivals) {
	t.Helper()
	a, err := NewArrivals(o)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := readAllJobs(a)
	if err != nil {
		t.Fatal(err)
	}
	return jobs, a
}

func TestArrivalsDeterministic(t *testing.T) {
	o := ArrivalOptions{Length: 48 * time.Hour, RatePerHour: 5,
		Burst:    &MMPP{BurstRatePerHour: 200, MeanCalm: 6 * time.Hour, MeanBurst: 20 * time.Minute},
		Backends: []string{"a", "b"}, Seed: 9}
	a, _ := mustJobs(t, o)
	b, _ := mustJobs(t, o)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different jobs (-first +second):\n%s", diff)
	}
	o.Seed = 10
	c, _ := mustJobs(t, o)
	if cmp.Equal(a, c) {
		t.Error("seeds 9 and 10 gave the same jobs")
	}
	// The backend stream is separate: dropping the backends keeps the times.
	o.Seed, o.Backends = 9, nil
	d, _ := mustJobs(t, o)
	strip := func(js []Job) []Job {
		out := slices.Clone(js)
		for i := range out {
			out[i].Backend = ""
		}
		return out
	}
	if diff := cmp.Diff(strip(a), d); diff != "" {
		t.Errorf("backends changed the other fields (-with +without):\n%s", diff)
	}
}

// hourlyDispersion returns the mean and the variance-to-mean ratio of the
// number of jobs per hour.
func hourlyDispersion(jobs []Job, start time.Time, hours int) (mean, dispersion float64) {
	counts := make([]float64, hours)
	for _, j := range jobs {
		counts[int(j.Submit.Sub(start)/time.Hour)]++
	}
	var s, ss float64
	for _, c := range counts {
		s += c
		ss += c * c
	}
	mean = s / float64(hours)
	return mean, (ss/float64(hours) - mean*mean) / mean
}

func TestArrivalsPoisson(t *testing.T) {
	const hours = 1000
	jobs, a := mustJobs(t, ArrivalOptions{Length: hours * time.Hour, RatePerHour: 60, Seed: 3})
	start := a.Options().Start
	for i, j := range jobs {
		if j.Submit.Before(start) || !j.Submit.Before(start.Add(hours*time.Hour)) || (i > 0 && j.Submit.Before(jobs[i-1].Submit)) {
			t.Fatalf("job %d at %v: outside the window or out of order", i, j.Submit)
		}
	}
	mean, disp := hourlyDispersion(jobs, start, hours)
	// Mean: sd 0.245 per hour. Dispersion index: sd ≈ √(2/999) ≈ 0.045.
	if diff := cmp.Diff([]float64{60, 1}, []float64{mean, disp}, cmpopts.EquateApprox(0.02, 0.2)); diff != "" {
		t.Errorf("[jobs per hour, dispersion index] (-want +got):\n%s", diff)
	}
}

func TestArrivalsMMPP(t *testing.T) {
	const hours = 20000
	jobs, a := mustJobs(t, ArrivalOptions{Length: hours * time.Hour, RatePerHour: 1, Seed: 4,
		Burst: &MMPP{BurstRatePerHour: 200, MeanCalm: 10 * time.Hour, MeanBurst: 30 * time.Minute}})
	want := a.MeanRatePerHour() // (1·10 + 200·0.5)/10.5 ≈ 10.48
	if math.Abs(want-110/10.5) > 1e-12 {
		t.Fatalf("MeanRatePerHour = %v, want %v", want, 110/10.5)
	}
	mean, disp := hourlyDispersion(jobs, a.Options().Start, hours)
	if math.Abs(mean-want)/want > 0.08 {
		t.Errorf("mean %.3f jobs/h, want %.3f ± 8%%", mean, want)
	}
	if disp < 10 {
		t.Errorf("dispersion index %.2f, want ≫ 1 for bursty arrivals", disp)
	}
}

func TestArrivalsAttributes(t *testing.T) {
	jobs, _ := mustJobs(t, ArrivalOptions{Length: 1000 * time.Hour, RatePerHour: 100, Seed: 5,
		Backends: []string{"x", "y", "z"}})
	n := float64(len(jobs))
	shots := map[int]float64{}
	backends := map[string]float64{}
	var depths, qubits []int
	for _, j := range jobs {
		shots[j.Shots] += 1 / n
		backends[j.Backend] += 1 / n
		depths = append(depths, j.Depth)
		qubits = append(qubits, j.Qubits)
	}
	slices.Sort(depths)
	slices.Sort(qubits)
	q := func(s []int, p float64) float64 { return float64(s[int(p*float64(len(s)-1))]) }
	approx := cmpopts.EquateApprox(0.05, 0.01)
	if diff := cmp.Diff(map[int]float64{8192: 0.40, 1024: 0.22, 8000: 0.18, 1000: 0.12, 5000: 0.08}, shots, approx); diff != "" {
		t.Errorf("shot frequencies (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]float64{"x": 1.0 / 3, "y": 1.0 / 3, "z": 1.0 / 3}, backends, approx); diff != "" {
		t.Errorf("backend frequencies (-want +got):\n%s", diff)
	}
	// Quantiles of the source table (depth p10 is 0 by a flat segment).
	if diff := cmp.Diff([]float64{0, 13, 108, 325, 849}, []float64{q(depths, 0.10), q(depths, 0.5), q(depths, 0.9), q(depths, 0.99), q(depths, 1)}, cmpopts.EquateApprox(0.03, 1)); diff != "" {
		t.Errorf("depth p10, p50, p90, p99, max (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{1, 5, 27, 65}, []float64{q(qubits, 0), q(qubits, 0.5), q(qubits, 0.9), q(qubits, 1)}, cmpopts.EquateApprox(0.03, 1)); diff != "" {
		t.Errorf("qubits min, p50, p90, max (-want +got):\n%s", diff)
	}
}

func TestArrivalsMaxQubits(t *testing.T) {
	jobs, _ := mustJobs(t, ArrivalOptions{Length: 1000 * time.Hour, RatePerHour: 50, MaxQubits: 10, Seed: 6})
	var atMost5, at10 float64
	for _, j := range jobs {
		if j.Qubits < 1 || j.Qubits > 10 {
			t.Fatalf("job with %d qubits, want 1..10", j.Qubits)
		}
		if j.Qubits <= 5 {
			atMost5++
		}
		if j.Qubits == 10 {
			at10++
		}
	}
	// Untruncated, P(q ≤ 5) = P(Q(u) < 5.5) = 0.5 + 0.5/22·0.4 and
	// P(q ≤ 10) = 0.5 + 5.5/22·0.4 = 0.6; truncation divides by the latter.
	want := (0.5 + 0.5/22*0.4) / 0.6
	if got := atMost5 / float64(len(jobs)); math.Abs(got-want) > 0.02 {
		t.Errorf("P(qubits ≤ 5 | ≤ 10) = %.3f, want %.3f", got, want)
	}
	if at10 == 0 {
		t.Error("no job uses 10 qubits")
	}
}

func TestArrivalsWriteRead(t *testing.T) {
	jobs, _ := mustJobs(t, ArrivalOptions{Length: 24 * time.Hour, RatePerHour: 30, Backends: []string{"ibm_brisbane", "sv1"}, Seed: 8})
	var buf bytes.Buffer
	w, _ := NewJobParquetWriter(&buf, true)
	for _, j := range jobs {
		if err := w.Write(j); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := NewJobParquetReader("jobs.parquet", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAllJobs(r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(jobs, got); diff != "" {
		t.Errorf("jobs (-generated +read back):\n%s", diff)
	}
}

func TestArrivalOptionErrors(t *testing.T) {
	tests := []struct {
		opts  ArrivalOptions
		field string
	}{
		{ArrivalOptions{Length: -1}, "Length"},
		{ArrivalOptions{RatePerHour: -1}, "RatePerHour"},
		{ArrivalOptions{RatePerHour: math.NaN()}, "RatePerHour"},
		{ArrivalOptions{MaxQubits: -1}, "MaxQubits"},
		{ArrivalOptions{Backends: []string{"a", ""}}, "Backends"},
		{ArrivalOptions{Backends: []string{" a"}}, "Backends"},
		{ArrivalOptions{Burst: &MMPP{BurstRatePerHour: -1, MeanCalm: 1, MeanBurst: 1}}, "Burst.BurstRatePerHour"},
		{ArrivalOptions{Burst: &MMPP{MeanBurst: 1}}, "Burst.MeanCalm"},
		{ArrivalOptions{Burst: &MMPP{MeanCalm: 1}}, "Burst.MeanBurst"},
	}
	for _, tc := range tests {
		_, err := NewArrivals(tc.opts)
		if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), "ArrivalOptions."+tc.field+" ") {
			t.Errorf("NewArrivals(%+v) = %v; want ErrInvalidOption naming ArrivalOptions.%s", tc.opts, err, tc.field)
		}
	}
}

func TestQuantileTable(t *testing.T) {
	for _, tc := range []struct {
		limit, want float64
	}{
		{0.5, 0}, {1, 0}, {1.5, 0.0625}, {5, 0.5}, {5.5, 0.5 + 0.5/22*0.4}, {65, 0.99}, {65.5, 1},
	} {
		if got := qubitQuantiles.below(tc.limit); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("below(%v) = %v, want %v", tc.limit, got, tc.want)
		}
	}
	for _, tc := range []struct{ u, want float64 }{{0, 0}, {0.05, 0}, {0.3, 6.5}, {0.5, 13}, {0.95, 108 + 217.0*5/9}, {1, 849}} {
		if got := depthQuantiles.at(tc.u); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("depth at(%v) = %v, want %v", tc.u, got, tc.want)
		}
	}
}
