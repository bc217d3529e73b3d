package autoscaler

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// RetryConfig configures a Retry. Zero fields take the defaults in
// brackets, chosen so that an action's retries end well within one 15 s
// sync period in the common case, and a newer decision supersedes them
// otherwise.
type RetryConfig struct {
	Base time.Duration // the ceiling of the first backoff [1 s]
	Cap  time.Duration // the largest ceiling [30 s]
	// MaxAttempts is the most calls per action, the first included [4];
	// 1 means no retries.
	MaxAttempts int
	// MaxElapsed is the longest time from an action's first call to its
	// last retry [60 s]: a retry that would come later is not made.
	MaxElapsed time.Duration
}

// WithDefaults returns c with every zero field set to its default.
func (c RetryConfig) WithDefaults() RetryConfig {
	if c.Base == 0 {
		c.Base = time.Second
	}
	if c.Cap == 0 {
		c.Cap = 30 * time.Second
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 4
	}
	if c.MaxElapsed == 0 {
		c.MaxElapsed = 60 * time.Second
	}
	return c
}

// Validate reports the first field out of range, after defaults, as a
// *ConfigurationError whose Field starts with "Retry.".
func (c RetryConfig) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.Base < 0:
		return configError("Retry.Base", fmt.Sprintf("= %v, want > 0", c.Base), nil)
	case c.Cap < c.Base:
		return configError("Retry.Cap", fmt.Sprintf("= %v, want ≥ Base (%v)", c.Cap, c.Base), nil)
	case c.MaxAttempts < 1:
		return configError("Retry.MaxAttempts", fmt.Sprintf("= %d, want ≥ 1", c.MaxAttempts), nil)
	case c.MaxElapsed < 0:
		return configError("Retry.MaxElapsed", fmt.Sprintf("= %v, want > 0", c.MaxElapsed), nil)
	}
	return nil
}

// Retry schedules retries with exponential backoff and full jitter (the
// AWS Architecture Blog's "Exponential backoff and jitter"): after the
// n-th failed call of an action (n = 1 for the first) the next call comes
// a uniform random delay in
//
//	[0, Ceiling(n−1)],  Ceiling(k) = min(Cap, Base·2^k)
//
// later. It never sleeps: Next returns the time of the next call, and the
// driver waits for it (live) or schedules an event at it (simulation). The
// delays come from the *rand.Rand given to NewRetry, so a seeded PCG gives
// the same schedule every run. A Retry is not safe for concurrent use.
type Retry struct {
	cfg RetryConfig
	rng *rand.Rand
}

// NewRetry returns a Retry drawing its jitter from rng, or a
// *ConfigurationError. It panics if rng is nil.
func NewRetry(cfg RetryConfig, rng *rand.Rand) (*Retry, error) {
	if rng == nil {
		panic("autoscaler: NewRetry with a nil *rand.Rand")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Retry{cfg: cfg.WithDefaults(), rng: rng}, nil
}

// Config returns the configuration in force, with defaults filled in.
func (r *Retry) Config() RetryConfig { return r.cfg }

// Ceiling returns min(Cap, Base·2^k), the largest backoff after k+1
// failed calls.
func (r *Retry) Ceiling(k int) time.Duration {
	c := r.cfg
	if k < 0 {
		k = 0
	}
	if k >= 62 || c.Base > c.Cap>>k {
		return c.Cap
	}
	return c.Base << k
}

// Next returns when to make the next call of an action whose first call
// was at first, after attempts calls (attempts ≥ 1) of which the last
// failed at now with err. ok is false when the action should be given up:
// err is nil or not transient (IsTransient), MaxAttempts calls have been
// made, or the next call would come after first + MaxElapsed. Jitter is
// drawn only when a retry is possible.
func (r *Retry) Next(first, now time.Time, attempts int, err error) (at time.Time, ok bool) {
	if err == nil || !IsTransient(err) || attempts >= r.cfg.MaxAttempts {
		return time.Time{}, false
	}
	at = now.Add(time.Duration(r.rng.Int64N(int64(r.Ceiling(attempts-1)) + 1)))
	if at.Sub(first) > r.cfg.MaxElapsed {
		return time.Time{}, false
	}
	return at, true
}
