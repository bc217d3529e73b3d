package autoscaler

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func newTestRetry(t *testing.T, cfg RetryConfig, seed uint64) *Retry {
	t.Helper()
	r, err := NewRetry(cfg, rand.New(rand.NewPCG(seed, retryStream)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// schedule returns the delays of an action that fails transiently on
// every call, until the retry gives up.
func schedule(r *Retry) []time.Duration {
	transient := Transient(errCall)
	var delays []time.Duration
	now := t0
	for attempts := 1; ; attempts++ {
		at, ok := r.Next(t0, now, attempts, transient)
		if !ok {
			return delays
		}
		delays = append(delays, at.Sub(now))
		now = at
	}
}

func TestRetrySchedule(t *testing.T) {
	// The defaults, seed 1: three retries, within 1 s, 2 s and 4 s.
	got := schedule(newTestRetry(t, RetryConfig{}, 1))
	again := schedule(newTestRetry(t, RetryConfig{}, 1))
	if diff := cmp.Diff(got, again); diff != "" {
		t.Fatalf("same seed, different schedule (-first +second):\n%s", diff)
	}
	if len(got) != 3 {
		t.Fatalf("%d retries, want 3 (MaxAttempts 4): %v", len(got), got)
	}
	for i, d := range got {
		if ceil := time.Second << i; d < 0 || d > ceil {
			t.Errorf("retry %d after %v, want in [0, %v]", i+1, d, ceil)
		}
	}
	// The schedule is a pure function of the seed; pin it.
	want := []time.Duration{209026527, 110055544, 2964668344}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seed 1 schedule (-want +got):\n%s", diff)
	}
	if other := schedule(newTestRetry(t, RetryConfig{}, 2)); cmp.Equal(other, got) {
		t.Errorf("seeds 1 and 2 give the same schedule %v", got)
	}
}

func TestRetryCeilingAndBounds(t *testing.T) {
	r := newTestRetry(t, RetryConfig{Base: 100 * time.Millisecond, Cap: time.Second, MaxAttempts: 1000, MaxElapsed: time.Hour}, 7)
	for k, want := range map[int]time.Duration{0: 100 * time.Millisecond, 1: 200 * time.Millisecond, 3: 800 * time.Millisecond, 4: time.Second, 70: time.Second, -1: 100 * time.Millisecond} {
		if got := r.Ceiling(k); got != want {
			t.Errorf("Ceiling(%d) = %v, want %v", k, got, want)
		}
	}
	// Full jitter: delays spread over the whole [0, ceiling] range.
	var lo, hi int
	for attempts := 1; attempts < 1000; attempts++ {
		at, ok := r.Next(t0, t0, attempts, Transient(errCall))
		if !ok {
			t.Fatalf("gave up at attempt %d", attempts)
		}
		d, ceil := at.Sub(t0), r.Ceiling(attempts-1)
		if d < 0 || d > ceil {
			t.Fatalf("attempt %d: delay %v outside [0, %v]", attempts, d, ceil)
		}
		if d < ceil/4 {
			lo++
		}
		if d > 3*ceil/4 {
			hi++
		}
	}
	if lo < 150 || hi < 150 {
		t.Errorf("jitter not spread: %d delays in the lowest quarter, %d in the highest, of 999", lo, hi)
	}
}

func TestRetryStops(t *testing.T) {
	transient := Transient(errCall)
	tests := []struct {
		name     string
		cfg      RetryConfig
		first    time.Duration // before now
		attempts int
		err      error
		want     bool
	}{
		{"transient", RetryConfig{}, 0, 1, transient, true},
		{"nil error", RetryConfig{}, 0, 1, nil, false},
		{"not transient", RetryConfig{}, 0, 1, errCall, false},
		{"breaker open", RetryConfig{}, 0, 1, &CircuitBreakerOpenError{}, false},
		{"attempts used up", RetryConfig{MaxAttempts: 3}, 0, 3, transient, false},
		{"no retries", RetryConfig{MaxAttempts: 1}, 0, 1, transient, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRetry(t, tt.cfg, 1)
			if _, ok := r.Next(t0.Add(-tt.first), t0, tt.attempts, tt.err); ok != tt.want {
				t.Errorf("ok = %v, want %v", ok, tt.want)
			}
		})
	}
	// Max elapsed: with the first call 9.5 s ago and MaxElapsed 10 s, only
	// delays ≤ 0.5 s of the [0, 1 s] draw are within it.
	r := newTestRetry(t, RetryConfig{MaxElapsed: 10 * time.Second, Base: time.Second, MaxAttempts: 1 << 20}, 3)
	var made, refused int
	for range 1000 {
		at, ok := r.Next(t0.Add(-9500*time.Millisecond), t0, 1, transient)
		switch {
		case ok && at.Sub(t0) > 500*time.Millisecond:
			t.Fatalf("retry %v after now passes MaxElapsed", at.Sub(t0))
		case ok:
			made++
		default:
			refused++
		}
	}
	if made < 400 || refused < 400 {
		t.Errorf("%d retries made and %d refused of 1000, want about half each", made, refused)
	}
}

func TestRetryConfigValidate(t *testing.T) {
	for _, c := range []RetryConfig{{Base: -1}, {Base: time.Minute, Cap: time.Second}, {MaxAttempts: -1}, {MaxElapsed: -1}} {
		if _, err := NewRetry(c, rand.New(rand.NewPCG(1, 1))); !errors.Is(err, ErrConfiguration) {
			t.Errorf("%+v: err = %v, want ErrConfiguration", c, err)
		}
	}
}
