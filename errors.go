package omnixan

import (
	"errors"

	"github.com/omnixan/omnixan/autoscaler"
)

// The error hierarchy is the engine's (package autoscaler), re-exported
// as aliases so that an error from this package, from the control loop or
// from a live adapter is one and the same type:
//
//	ScalingError                 the base: Op, Target, Err
//	├── ResourceExhaustedError   Resource, Available
//	├── ConfigurationError       Field, Problem; errors.Is(err, ErrConfiguration)
//	└── CircuitBreakerOpenError  Until
//
// Each specific error embeds a ScalingError and hands it to errors.As, so
//
//	var se *omnixan.ScalingError
//	errors.As(err, &se)
//
// is true for all four, as catching the base class was in the original.
// The engine's types define no errors.Is target for the base class: match
// it with errors.As.
type (
	// ScalingError is autoscaler.ScalingError: operation Op on the
	// target instance count Target failed because of Err.
	ScalingError = autoscaler.ScalingError
	// ResourceExhaustedError is autoscaler.ResourceExhaustedError: a
	// quota, the policy's MaxInstances or the hourly budget is used up.
	ResourceExhaustedError = autoscaler.ResourceExhaustedError
	// ConfigurationError is autoscaler.ConfigurationError: a bad field,
	// named in Field.
	ConfigurationError = autoscaler.ConfigurationError
	// CircuitBreakerOpenError is autoscaler.CircuitBreakerOpenError: the
	// circuit breaker refused the call until Until.
	CircuitBreakerOpenError = autoscaler.CircuitBreakerOpenError
)

// ErrConfiguration matches every *ConfigurationError under errors.Is.
var ErrConfiguration = autoscaler.ErrConfiguration

// ErrShutdown is returned by every Module method called after Shutdown
// (except Shutdown itself, which returns nil again).
var ErrShutdown = errors.New("omnixan: module shut down")

// ErrNotInitialized is returned by the Module methods that act before
// Initialize has succeeded.
var ErrNotInitialized = errors.New("omnixan: module not initialized")

// ErrInsufficientHistory is returned by PredictWorkload when the module
// has seen too few observations to fit a forecast.
var ErrInsufficientHistory = errors.New("omnixan: not enough workload history to forecast")

// Transient marks err as worth retrying (autoscaler.Transient). Write a
// ContainerOrchestrator's timeouts and throttling errors through it: only
// transient errors are retried.
func Transient(err error) error { return autoscaler.Transient(err) }

// IsTransient reports whether err is marked transient
// (autoscaler.IsTransient).
func IsTransient(err error) bool { return autoscaler.IsTransient(err) }
