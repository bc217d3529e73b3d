package autoscaler

import (
	"fmt"
	"math"
	"time"
)

// BreakerState is the state of a circuit breaker.
type BreakerState uint8

// Circuit breaker states.
const (
	Closed   BreakerState = iota // calls go through; failures are counted
	Open                         // calls fail fast until the open timeout ends
	HalfOpen                     // a few probe calls go through to test the orchestrator
)

func (s BreakerState) String() string {
	switch s {
	case Closed:
		return "closed"
	case Open:
		return "open"
	case HalfOpen:
		return "half-open"
	}
	return fmt.Sprintf("BreakerState(%d)", uint8(s))
}

// Transition is a change of a breaker's state at time At.
type Transition struct {
	At       time.Time
	From, To BreakerState
}

// BreakerConfig configures a Breaker. Zero fields take the defaults in
// brackets (resilience4j's and sony/gobreaker's shapes, reference/
// AUTOSCALERS.md, tuned to a control loop that calls about once per 15 s
// sync period plus its retries).
type BreakerConfig struct {
	// ConsecutiveFailures opens the breaker after this many failed calls
	// in a row [5]; a negative value disables the rule.
	ConsecutiveFailures int
	// FailureRatio opens the breaker when the share of failures among the
	// last Window calls reaches it, once at least MinCalls are in the
	// window [0.5]; a negative value disables the rule.
	FailureRatio float64
	Window       int // calls in the count-based sliding window [20]
	MinCalls     int // calls needed in the window before FailureRatio applies [10]
	// OpenTimeout is how long the breaker stays open before it lets probe
	// calls through [30 s].
	OpenTimeout time.Duration
	// HalfOpenProbes is how many calls half-open lets through; if all
	// succeed the breaker closes, if any fails it opens again [1].
	HalfOpenProbes int
	// OnTransition, when not nil, is called at every state change, from
	// the goroutine that calls the breaker. Open→half-open is noticed at
	// the first call after the timeout but reported with At at the end of
	// the timeout.
	OnTransition func(Transition)
}

// WithDefaults returns c with every zero field set to its default.
func (c BreakerConfig) WithDefaults() BreakerConfig {
	if c.ConsecutiveFailures == 0 {
		c.ConsecutiveFailures = 5
	}
	if c.FailureRatio == 0 {
		c.FailureRatio = 0.5
	}
	if c.Window == 0 {
		c.Window = 20
	}
	if c.MinCalls == 0 {
		c.MinCalls = min(10, c.Window)
	}
	if c.OpenTimeout == 0 {
		c.OpenTimeout = 30 * time.Second
	}
	if c.HalfOpenProbes == 0 {
		c.HalfOpenProbes = 1
	}
	return c
}

// Validate reports the first field out of range, after defaults, as a
// *ConfigurationError whose Field starts with "Breaker.".
func (c BreakerConfig) Validate() error {
	c = c.WithDefaults()
	switch {
	case math.IsNaN(c.FailureRatio) || c.FailureRatio > 1:
		return configError("Breaker.FailureRatio", fmt.Sprintf("= %v, want in (0, 1], or < 0 for none", c.FailureRatio), nil)
	case c.Window < 1:
		return configError("Breaker.Window", fmt.Sprintf("= %d, want ≥ 1", c.Window), nil)
	case c.MinCalls < 1 || c.MinCalls > c.Window:
		return configError("Breaker.MinCalls", fmt.Sprintf("= %d, want in [1, Window (%d)]", c.MinCalls, c.Window), nil)
	case c.OpenTimeout < 0:
		return configError("Breaker.OpenTimeout", fmt.Sprintf("= %v, want > 0", c.OpenTimeout), nil)
	case c.HalfOpenProbes < 1:
		return configError("Breaker.HalfOpenProbes", fmt.Sprintf("= %d, want ≥ 1", c.HalfOpenProbes), nil)
	}
	return nil
}

// Breaker is a circuit breaker driven by the caller's clock: every method
// takes the time now, nothing sleeps and no goroutine runs. Times passed
// in must not go backwards.
//
// Closed, it lets every call through and counts outcomes; it opens when
// ConsecutiveFailures calls fail in a row, or when at least MinCalls of the
// last Window calls are recorded and the failed share reaches
// FailureRatio. Open, it refuses calls (Allow is false) until OpenTimeout
// has passed, then turns half-open. Half-open, it lets HalfOpenProbes calls
// through: when all succeed it closes with a clean window, when one fails
// it opens again for another OpenTimeout.
//
// The usual sequence is
//
//	if b.Allow(now) { err := call(); b.Record(now, err) }
//
// A Breaker is not safe for concurrent use.
type Breaker struct {
	cfg   BreakerConfig
	state BreakerState

	// Closed: the count-based window as a ring of outcomes.
	ring        []bool // true = failure
	pos, filled int
	failures    int // failures in the ring
	consecutive int

	openedAt, until time.Time // the current or last open period
	probesOut       int       // half-open permits handed out
	probesOK        int

	openTotal time.Duration // closed open periods
	trips     int
}

// NewBreaker returns a closed breaker, or a *ConfigurationError.
func NewBreaker(cfg BreakerConfig) (*Breaker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	return &Breaker{cfg: cfg, ring: make([]bool, cfg.Window)}, nil
}

// Config returns the configuration in force, with defaults filled in.
func (b *Breaker) Config() BreakerConfig { return b.cfg }

// State returns the state at time now, turning open into half-open when
// the timeout has passed.
func (b *Breaker) State(now time.Time) BreakerState {
	b.advance(now)
	return b.state
}

// ReadyAt returns the earliest time a call may go through: now when
// closed, the end of the open timeout when open.
func (b *Breaker) ReadyAt(now time.Time) time.Time {
	b.advance(now)
	if b.state == Open {
		return b.until
	}
	return now
}

// Allow reports whether a call may be made at time now. In half-open each
// true hands out one of the HalfOpenProbes permits; report its outcome with
// Record.
func (b *Breaker) Allow(now time.Time) bool {
	b.advance(now)
	switch b.state {
	case Closed:
		return true
	case HalfOpen:
		if b.probesOut < b.cfg.HalfOpenProbes {
			b.probesOut++
			return true
		}
	}
	return false
}

// Record records the outcome of a call that Allow let through: a failure
// when err is not nil. Outcomes recorded while open are ignored.
func (b *Breaker) Record(now time.Time, err error) {
	b.advance(now)
	switch b.state {
	case Closed:
		if b.filled == len(b.ring) {
			if b.ring[b.pos] {
				b.failures--
			}
		} else {
			b.filled++
		}
		b.ring[b.pos] = err != nil
		b.pos++
		if b.pos == len(b.ring) {
			b.pos = 0
		}
		if err == nil {
			b.consecutive = 0
			return
		}
		b.failures++
		b.consecutive++
		c := b.cfg
		if (c.ConsecutiveFailures > 0 && b.consecutive >= c.ConsecutiveFailures) ||
			(c.FailureRatio > 0 && b.filled >= c.MinCalls && float64(b.failures) >= c.FailureRatio*float64(b.filled)) {
			b.open(now)
		}
	case HalfOpen:
		if err != nil {
			b.open(now)
			return
		}
		b.probesOK++
		if b.probesOK >= b.cfg.HalfOpenProbes {
			b.to(now, Closed)
			b.resetWindow()
		}
	}
}

// OpenDuration returns the total time spent open up to now. Half-open
// time is not included: calls go through then.
func (b *Breaker) OpenDuration(now time.Time) time.Duration {
	b.advance(now)
	if b.state == Open && now.After(b.openedAt) {
		return b.openTotal + now.Sub(b.openedAt)
	}
	return b.openTotal
}

// Trips returns how many times the breaker has opened from closed.
func (b *Breaker) Trips() int { return b.trips }

// advance turns open into half-open once the timeout has passed.
func (b *Breaker) advance(now time.Time) {
	if b.state == Open && !now.Before(b.until) {
		b.openTotal += b.until.Sub(b.openedAt)
		b.probesOut, b.probesOK = 0, 0
		b.to(b.until, HalfOpen)
	}
}

func (b *Breaker) open(now time.Time) {
	if b.state == Closed {
		b.trips++
	}
	b.openedAt, b.until = now, now.Add(b.cfg.OpenTimeout)
	b.resetWindow()
	b.to(now, Open)
}

func (b *Breaker) resetWindow() {
	clear(b.ring)
	b.pos, b.filled, b.failures, b.consecutive = 0, 0, 0, 0
}

func (b *Breaker) to(at time.Time, s BreakerState) {
	from := b.state
	b.state = s
	if b.cfg.OnTransition != nil {
		b.cfg.OnTransition(Transition{At: at, From: from, To: s})
	}
}
