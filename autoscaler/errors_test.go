package autoscaler

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestErrorHierarchy(t *testing.T) {
	cause := errors.New("quota")
	tests := []struct {
		name string
		err  error
		op   string
	}{
		{"scaling", &ScalingError{Op: OpScale, Target: 4, Err: cause}, OpScale},
		{"exhausted", &ResourceExhaustedError{ScalingError: ScalingError{Op: OpScale, Target: 30, Err: cause}, Resource: "instances", Available: 20}, OpScale},
		{"configuration", configError("Max", "= 3, want ≥ Min (5)", nil), OpConfigure},
		{"breaker open", &CircuitBreakerOpenError{ScalingError: ScalingError{Op: OpScale, Target: 6}, Until: t0}, OpScale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wrapped := fmt.Errorf("step: %w", tt.err)
			var se *ScalingError
			if !errors.As(wrapped, &se) || se.Op != tt.op {
				t.Fatalf("errors.As(%v, *ScalingError) = %v, op %q; want op %q", wrapped, se, se.Op, tt.op)
			}
			if tt.err.Error() == "" {
				t.Error("empty message")
			}
		})
	}
	var ce *ConfigurationError
	if err := (Config{Min: 5, Max: 3}).Validate(); !errors.Is(err, ErrConfiguration) || !errors.As(err, &ce) || ce.Field != "Max" {
		t.Errorf("Validate: %v; want ErrConfiguration and a *ConfigurationError on Max", err)
	}
	if err := (&ResourceExhaustedError{ScalingError: ScalingError{Err: cause}}); !errors.Is(err, cause) {
		t.Errorf("ResourceExhaustedError does not unwrap to its cause")
	}
	if errors.Is(&CircuitBreakerOpenError{}, ErrConfiguration) {
		t.Error("a breaker error matches ErrConfiguration")
	}
	var be *CircuitBreakerOpenError
	if err := fmt.Errorf("x: %w", &CircuitBreakerOpenError{Until: t0.Add(time.Minute)}); !errors.As(err, &be) || !be.Until.Equal(t0.Add(time.Minute)) {
		t.Errorf("errors.As(*CircuitBreakerOpenError) failed on %v", err)
	}
}

type tempErr struct{}

func (tempErr) Error() string   { return "throttled" }
func (tempErr) Transient() bool { return true }

func TestIsTransient(t *testing.T) {
	base := errors.New("timeout")
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{base, false},
		{Transient(base), true},
		{fmt.Errorf("call: %w", Transient(base)), true},
		{&ScalingError{Op: OpScale, Err: Transient(base)}, true},
		{errors.Join(base, Transient(base)), true},
		{tempErr{}, true},
		{&CircuitBreakerOpenError{}, false},
	}
	for i, tt := range tests {
		if got := IsTransient(tt.err); got != tt.want {
			t.Errorf("%d: IsTransient(%v) = %v, want %v", i, tt.err, got, tt.want)
		}
	}
	if Transient(nil) != nil {
		t.Error("Transient(nil) != nil")
	}
	if !errors.Is(Transient(base), base) {
		t.Error("Transient(err) does not unwrap to err")
	}
}
