package autoscaler

import (
	"errors"
	"strconv"
	"time"
)

// Operations named in ScalingError.Op.
const (
	OpScale     = "scale"     // Orchestrator.Scale
	OpCurrent   = "current"   // Orchestrator.Current
	OpResize    = "resize"    // Resizer.Resize
	OpConfigure = "configure" // building a Loop from a Config
)

// ErrConfiguration matches every *ConfigurationError under errors.Is, so
// callers that only branch on "is it a configuration problem" need not
// know the type.
var ErrConfiguration = errors.New("autoscaler configuration error")

// ScalingError is the base error of the package, the Go form of the
// original module's exception hierarchy: an operation Op on the target
// instance count Target failed because of Err.
//
// The specific errors — ResourceExhaustedError, ConfigurationError and
// CircuitBreakerOpenError — embed a ScalingError and have an As method that
// hands it out, so errors.As(err, &se) with se a *ScalingError finds the
// base part of any of them, as catching the base class would:
//
//	var se *autoscaler.ScalingError
//	if errors.As(err, &se) { log(se.Op, se.Target) }
//
// Unwrap returns Err, so errors.Is and errors.As also reach the cause.
type ScalingError struct {
	Op     string // what failed: OpScale, OpCurrent, OpConfigure, or a caller's own
	Target int    // the instance count asked for; 0 when the operation has none
	Err    error  // the cause; may be nil for the specific errors
}

func (e *ScalingError) Error() string {
	s := "autoscaler: " + e.Op
	if e.Target != 0 {
		s += " to " + strconv.Itoa(e.Target)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *ScalingError) Unwrap() error { return e.Err }

// asBase implements the As method of the errors that embed a ScalingError.
func asBase(base *ScalingError, target any) bool {
	if p, ok := target.(**ScalingError); ok {
		*p = base
		return true
	}
	return false
}

// ResourceExhaustedError reports that the orchestrator cannot supply what
// was asked for: a quota, a node pool or a QPU reservation is used up.
// It is not transient unless wrapped with Transient.
type ResourceExhaustedError struct {
	ScalingError
	Resource  string // what ran out: "instances", "cpu", "qpu-seconds", ...
	Available int    // how much of it can still be had, in its own unit
}

func (e *ResourceExhaustedError) Error() string {
	return e.ScalingError.Error() + ": " + e.Resource + " exhausted, " + strconv.Itoa(e.Available) + " available"
}

// As makes errors.As find the embedded ScalingError.
func (e *ResourceExhaustedError) As(target any) bool { return asBase(&e.ScalingError, target) }

// ConfigurationError reports a bad configuration field. It matches
// ErrConfiguration under errors.Is, and its Err (when set) is the cause,
// such as a cost model's own validation error.
type ConfigurationError struct {
	ScalingError        // Op is OpConfigure
	Field        string // the field, as a Go selector: "Max", "Breaker.Window"
	Problem      string // what is wrong with it: "= 3, want ≥ Min (5)"
}

func (e *ConfigurationError) Error() string {
	s := ErrConfiguration.Error() + ": " + e.Field
	if e.Problem != "" {
		s += " " + e.Problem
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is ErrConfiguration.
func (e *ConfigurationError) Is(target error) bool { return target == ErrConfiguration }

// As makes errors.As find the embedded ScalingError.
func (e *ConfigurationError) As(target any) bool { return asBase(&e.ScalingError, target) }

func configError(field, problem string, err error) *ConfigurationError {
	return &ConfigurationError{ScalingError: ScalingError{Op: OpConfigure, Err: err}, Field: field, Problem: problem}
}

// CircuitBreakerOpenError reports a call that the circuit breaker refused
// without sending it. It is not transient: the action is dropped, and the
// next sync period decides again.
type CircuitBreakerOpenError struct {
	ScalingError
	// Until is the earliest time the breaker lets a call through again
	// (the end of its open timeout); in half-open with every probe out it
	// is the time of the refusal, since the probes' outcomes decide.
	Until time.Time
}

func (e *CircuitBreakerOpenError) Error() string {
	return e.ScalingError.Error() + ": circuit breaker open until " + e.Until.Format(time.RFC3339Nano)
}

// As makes errors.As find the embedded ScalingError.
func (e *CircuitBreakerOpenError) As(target any) bool { return asBase(&e.ScalingError, target) }

// Transient marks err as transient: worth retrying, such as a timeout, a
// throttled request or a brief outage. The loop retries only transient
// errors. Transient(nil) is nil. The result unwraps to err.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &transientError{err}
}

type transientError struct{ err error }

func (e *transientError) Error() string   { return e.err.Error() }
func (e *transientError) Unwrap() error   { return e.err }
func (e *transientError) Transient() bool { return true }

// IsTransient reports whether any error in err's chain has a method
// Transient() bool that returns true. Errors marked with Transient have
// one; an adapter's own error types may define it too.
func IsTransient(err error) bool {
	for err != nil {
		if t, ok := err.(interface{ Transient() bool }); ok && t.Transient() {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if IsTransient(e) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}
