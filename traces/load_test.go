package traces

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func mustLoad(t testing.TB, o LoadOptions) *Load {
	t.Helper()
	l, err := NewLoad(o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLoadDeterministic(t *testing.T) {
	o := LoadOptions{
		Start: time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC), Length: 48 * time.Hour,
		Base: 100, DailyAmplitude: 0.5, WeeklyAmplitude: 0.2, Trend: 0.01, Noise: 0.1,
		FlashCrowds: []FlashCrowd{{At: 20 * time.Hour, Factor: 4, Rise: 5 * time.Minute, Decay: 30 * time.Minute}},
		Seed:        42,
	}
	a, err := readAll(mustLoad(t, o))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := readAll(mustLoad(t, o))
	if diff := cmp.Diff(a, b, bitsEqual); diff != "" {
		t.Errorf("same seed, different traces (-first +second):\n%s", diff)
	}
	o.Seed = 43
	c, _ := readAll(mustLoad(t, o))
	same := 0
	for i := range a {
		if a[i].Values[0] == c[i].Values[0] {
			same++
		}
	}
	if same > 0 {
		t.Errorf("seeds 42 and 43 agree on %d of %d values", same, len(a))
	}
	if len(a) != 48*60 {
		t.Errorf("%d rows, want %d", len(a), 48*60)
	}
}

func TestLoadRate(t *testing.T) {
	zone := time.FixedZone("UTC-5", -5*3600)
	// Monday 2025-03-03 00:00 local.
	start := time.Date(2025, 3, 3, 0, 0, 0, 0, zone)
	l := mustLoad(t, LoadOptions{Start: start, Length: 14 * 24 * time.Hour, Base: 100,
		DailyAmplitude: 0.5, WeeklyAmplitude: 0.2, Trend: 0.1,
		FlashCrowds: []FlashCrowd{{At: 8*24*time.Hour + 15*time.Hour, Factor: 3, Rise: 10 * time.Minute, Decay: time.Hour}}})
	at := func(day int, hour float64) time.Time {
		return start.Add(time.Duration(day)*24*time.Hour + time.Duration(hour*float64(time.Hour)))
	}
	growth := func(day int, hour float64) float64 { return math.Pow(1.1, float64(day)+hour/24) }
	flashPeak := at(8, 15).Add(10 * time.Minute)
	tests := []struct {
		name string
		t    time.Time
		want float64
	}{
		{"Monday 15:00 local (peak)", at(0, 15), 100 * 1.5 * growth(0, 15)},
		{"Monday 03:00 local (trough)", at(0, 3), 100 * 0.5 * growth(0, 3)},
		{"Monday 09:00 local", at(0, 9), 100 * 1 * growth(0, 9)},
		{"Saturday 15:00 local", at(5, 15), 100 * 1.5 * 0.8 * growth(5, 15)},
		{"Sunday 03:00 local", at(6, 3), 100 * 0.5 * 0.8 * growth(6, 3)},
		{"Tuesday 15:00 local (8 days in, flash start)", at(8, 15), 100 * 1.5 * growth(8, 15)},
		{"flash peak", flashPeak, 100 * (1 + 0.5*math.Cos(2*math.Pi*(10.0/60)/24)) * growth(8, 15+10.0/60) * 3},
		{"flash one decay later", flashPeak.Add(time.Hour),
			100 * (1 + 0.5*math.Cos(2*math.Pi*(70.0/60)/24)) * growth(8, 16+10.0/60) * (1 + 2/math.E)},
		{"flash half-way up", at(8, 15).Add(5 * time.Minute),
			100 * (1 + 0.5*math.Cos(2*math.Pi*(5.0/60)/24)) * growth(8, 15+5.0/60) * 2},
	}
	for _, tc := range tests {
		if got := l.Rate(tc.t); math.Abs(got-tc.want) > 1e-9*tc.want {
			t.Errorf("%s: Rate(%v) = %.12g, want %.12g", tc.name, tc.t, got, tc.want)
		}
	}
	// Without noise, the trace is the rate.
	var row Row
	for i := 0; ; i++ {
		if err := l.Next(&row); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if want := l.Rate(row.Time); row.Values[0] != want {
			t.Fatalf("row %d: %v, want Rate %v", i, row.Values[0], want)
		}
	}
}

func TestLoadFlashCrowdPeak(t *testing.T) {
	l := mustLoad(t, LoadOptions{Length: 6 * time.Hour, Step: 15 * time.Second, Base: 50, Noise: 0.02, Seed: 7,
		FlashCrowds: []FlashCrowd{{At: 2 * time.Hour, Factor: 8, Rise: 2 * time.Minute, Decay: 20 * time.Minute}}})
	rows, err := readAll(l)
	if err != nil {
		t.Fatal(err)
	}
	var peak float64
	var peakAt time.Time
	for _, r := range rows {
		if r.Values[0] > peak {
			peak, peakAt = r.Values[0], r.Time
		}
	}
	if got := peak / 50; math.Abs(got-8) > 0.5 {
		t.Errorf("peak = %.3g × base, want ≈ 8", got)
	}
	wantAt := l.Options().Start.Add(2*time.Hour + 2*time.Minute)
	if d := peakAt.Sub(wantAt); d < -time.Minute || d > time.Minute {
		t.Errorf("peak at %v, want ≈ %v", peakAt, wantAt)
	}
}

func TestLoadNoiseStatistics(t *testing.T) {
	const noise = 0.2
	l := mustLoad(t, LoadOptions{Length: 200000 * time.Minute, Base: 100, Noise: noise, Seed: 1})
	var row Row
	var n, sum, sumSq, sumLag, prevLog, sumLog, sumLogSq float64
	for {
		if err := l.Next(&row); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		v := row.Values[0]
		lv := math.Log(v)
		if n > 0 {
			sumLag += lv * prevLog
		}
		n++
		sum += v
		sumSq += v * v
		sumLog += lv
		sumLogSq += lv * lv
		prevLog = lv
	}
	mean := sum / n
	sd := math.Sqrt(sumSq/n - mean*mean)
	logMean := sumLog / n
	logVar := sumLogSq/n - logMean*logMean
	lag1 := (sumLag/(n-1) - logMean*logMean) / logVar
	got := []float64{mean, sd / mean, lag1}
	want := []float64{100, noise, math.Exp(-1.0 / 5)}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0.03, 0)); diff != "" {
		t.Errorf("[mean, relative sd, lag-1 autocorrelation of log] (-want +got):\n%s", diff)
	}
}

func TestLoadLen(t *testing.T) {
	for _, tc := range []struct {
		length, step time.Duration
		want         int
	}{
		{time.Hour, time.Minute, 60},
		{time.Hour + time.Second, time.Minute, 61},
		{0, 0, 1440},
		{time.Second, time.Minute, 1},
	} {
		l := mustLoad(t, LoadOptions{Length: tc.length, Step: tc.step, Base: 1})
		rows, err := readAll(l)
		if err != nil {
			t.Fatal(err)
		}
		if l.Len() != tc.want || len(rows) != tc.want {
			t.Errorf("Length %v Step %v: Len() = %d, %d rows; want %d", tc.length, tc.step, l.Len(), len(rows), tc.want)
		}
	}
}

func TestLoadOptionErrors(t *testing.T) {
	tests := []struct {
		opts  LoadOptions
		field string
	}{
		{LoadOptions{Step: -1}, "Step"},
		{LoadOptions{Length: -time.Hour}, "Length"},
		{LoadOptions{Base: -1}, "Base"},
		{LoadOptions{Base: math.NaN()}, "Base"},
		{LoadOptions{DailyAmplitude: 1.5}, "DailyAmplitude"},
		{LoadOptions{WeeklyAmplitude: -0.1}, "WeeklyAmplitude"},
		{LoadOptions{Trend: -1}, "Trend"},
		{LoadOptions{Noise: math.Inf(1)}, "Noise"},
		{LoadOptions{NoiseCorrelation: -time.Second}, "NoiseCorrelation"},
		{LoadOptions{Column: "timestamp"}, "Column"},
		{LoadOptions{FlashCrowds: []FlashCrowd{{Factor: 2, Decay: time.Minute}, {Factor: 0, Decay: time.Minute}}}, "FlashCrowds[1].Factor"},
		{LoadOptions{FlashCrowds: []FlashCrowd{{Factor: 2, Rise: -1, Decay: time.Minute}}}, "FlashCrowds[0].Rise"},
		{LoadOptions{FlashCrowds: []FlashCrowd{{Factor: 2}}}, "FlashCrowds[0].Decay"},
		{LoadOptions{Start: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), Length: 48 * time.Hour}, "Length"},
	}
	for _, tc := range tests {
		_, err := NewLoad(tc.opts)
		if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), "LoadOptions."+tc.field+" ") {
			t.Errorf("NewLoad(%+v) = %v; want ErrInvalidOption naming LoadOptions.%s", tc.opts, err, tc.field)
		}
	}
}
