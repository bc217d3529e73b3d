package sim

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrInvalidConfig is wrapped by every configuration error of this package.
var ErrInvalidConfig = errors.New("invalid simulation configuration")

// Service is the classical service model: a pool of identical instances
// behind one load balancer. See the package documentation for the
// equations. Zero fields take the defaults in brackets.
type Service struct {
	// Capacity is μ, the requests per second one ready instance serves
	// when saturated [100].
	Capacity float64
	// Concurrency is m, the requests one instance serves at once [5]. The
	// mean service time of a request is m/μ (50 ms by default).
	Concurrency int
	// Objective is the latency objective at Quantile [250 ms].
	Objective time.Duration
	// Quantile is the latency percentile the objective applies to [0.95].
	Quantile float64
	// StartupDelay is the time from asking for an instance to its first
	// request served [60 s]; it is billed. A restarted instance (resized,
	// or killed for want of memory) is unavailable as long.
	StartupDelay time.Duration
	// MemoryBaseGiB is the memory an idle instance uses, GiB [0.5].
	MemoryBaseGiB float64
	// MemoryPerRequestGiB is the memory each request in flight on an
	// instance uses, GiB [0.5]. With the defaults a saturated instance of
	// the default size (5 requests in flight, 4 GiB) uses 3 GiB and never
	// runs out of memory; a smaller one may.
	MemoryPerRequestGiB float64
}

// WithDefaults returns s with every zero field set to its default.
func (s Service) WithDefaults() Service {
	if s.Capacity == 0 {
		s.Capacity = 100
	}
	if s.Concurrency == 0 {
		s.Concurrency = 5
	}
	if s.Objective == 0 {
		s.Objective = 250 * time.Millisecond
	}
	if s.Quantile == 0 {
		s.Quantile = 0.95
	}
	if s.StartupDelay == 0 {
		s.StartupDelay = 60 * time.Second
	}
	if s.MemoryBaseGiB == 0 {
		s.MemoryBaseGiB = 0.5
	}
	if s.MemoryPerRequestGiB == 0 {
		s.MemoryPerRequestGiB = 0.5
	}
	return s
}

// Validate reports the first field out of range, after defaults.
func (s Service) Validate() error {
	s = s.WithDefaults()
	switch {
	case math.IsNaN(s.Capacity) || math.IsInf(s.Capacity, 0) || s.Capacity <= 0:
		return fmt.Errorf("%w: Service.Capacity = %v req/s, want a finite value > 0", ErrInvalidConfig, s.Capacity)
	case s.Concurrency < 1:
		return fmt.Errorf("%w: Service.Concurrency = %d, want ≥ 1", ErrInvalidConfig, s.Concurrency)
	case s.Objective <= 0:
		return fmt.Errorf("%w: Service.Objective = %v, want > 0", ErrInvalidConfig, s.Objective)
	case s.ServiceTime() >= s.Objective:
		return fmt.Errorf("%w: Service.Objective = %v is not above the service time %v (Concurrency/Capacity): no instance count meets it", ErrInvalidConfig, s.Objective, s.ServiceTime())
	case !(s.Quantile > 0 && s.Quantile < 1):
		return fmt.Errorf("%w: Service.Quantile = %v, want in (0, 1)", ErrInvalidConfig, s.Quantile)
	case s.StartupDelay < 0:
		return fmt.Errorf("%w: Service.StartupDelay = %v, want ≥ 0", ErrInvalidConfig, s.StartupDelay)
	case math.IsNaN(s.MemoryBaseGiB) || math.IsInf(s.MemoryBaseGiB, 0) || s.MemoryBaseGiB < 0:
		return fmt.Errorf("%w: Service.MemoryBaseGiB = %v, want a finite value ≥ 0", ErrInvalidConfig, s.MemoryBaseGiB)
	case math.IsNaN(s.MemoryPerRequestGiB) || math.IsInf(s.MemoryPerRequestGiB, 0) || s.MemoryPerRequestGiB < 0:
		return fmt.Errorf("%w: Service.MemoryPerRequestGiB = %v, want a finite value ≥ 0", ErrInvalidConfig, s.MemoryPerRequestGiB)
	}
	return nil
}

// ServiceTime returns the mean time one request takes, m/μ.
func (s Service) ServiceTime() time.Duration {
	s = s.WithDefaults()
	return time.Duration(float64(s.Concurrency) / s.Capacity * float64(time.Second))
}

// Latency returns the latency at the service's quantile, in seconds, of a
// request arriving when the arrival rate is lambda req/s, n instances are
// ready and backlog requests are queued ahead of it:
//
//	latency = m/μ + W_q(q) + backlog/(n·μ)
//
// where W_q(q) is the q-quantile of the M/M/c waiting time with c = n·m
// servers each of rate μ/m. It is +Inf when the pool is overloaded
// (lambda ≥ n·μ) or when requests are waiting and no instance is ready.
// Arguments must be finite and non-negative.
func (s Service) Latency(lambda float64, n int, backlog float64) float64 {
	s = s.WithDefaults()
	return s.latency(lambda, n, backlog)
}

// latency is Latency on a Service whose defaults are already filled in.
func (s *Service) latency(lambda float64, n int, backlog float64) float64 {
	return s.latencyUnits(lambda, float64(n), backlog)
}

// latencyUnits is latency for a pool of units instances' worth of
// capacity: an instance u times the size serves u·μ req/s and u·m requests
// at once (rounded up over the pool). For a whole units
// it is exactly latency.
func (s *Service) latencyUnits(lambda, units float64, backlog float64) float64 {
	st := float64(s.Concurrency) / s.Capacity
	if units <= 0 {
		if lambda > 0 || backlog > 0 {
			return math.Inf(1)
		}
		return st
	}
	capacity := units * s.Capacity
	if lambda >= capacity {
		return math.Inf(1)
	}
	c := int(math.Ceil(units * float64(s.Concurrency))) // > λ·s, as λ < units·μ
	return st + waitQuantile(c, lambda*st, capacity-lambda, 1-s.Quantile) + backlog/capacity
}

// waitQuantile returns the time t at which P(W_q > t) = tail in an M/M/c
// queue with c servers, offered load a Erlangs (a < c) and spare service
// rate c·μ₁ − λ = spare requests per second:
//
//	P(W_q > t) = C(c, a) · exp(−spare · t)   ⇒   t = ln(C/tail) / spare
//
// and 0 when C(c, a) ≤ tail. C is Erlang's C formula, computed through
// the Erlang B recursion on its reciprocal, 1/B(k) = 1 + (k/a)/B(k−1),
// which needs no factorials and stops as soon as B(k)/(1−ρ), an upper
// bound of C(c, a) since B falls with k, is below tail.
func waitQuantile(c int, a, spare, tail float64) float64 {
	if a <= 0 {
		return 0
	}
	rho := a / float64(c)
	stop := 1 / ((1 - rho) * tail) // 1/B(k) above this means C < tail
	inv := 1.0                     // 1/B(0)
	ia := 1 / a
	for k := 1; k <= c; k++ {
		inv = 1 + float64(k)*ia*inv
		if inv > stop {
			return 0
		}
	}
	return waitFromInv(c, a, inv, spare, tail)
}

// waitFromInv finishes waitQuantile from inv = 1/B(c), Erlang B with c
// servers at offered load a.
func waitFromInv(c int, a, inv, spare, tail float64) float64 {
	b := 1 / inv
	rho := a / float64(c)
	erlangC := b / (1 - rho*(1-b))
	if erlangC <= tail {
		return 0
	}
	return math.Log(erlangC/tail) / spare
}

// latencyAfterNeed is latencyUnits for a step whose need was computed by
// needInv: need instances and inv = 1/B(need·m) at the same arrival rate.
// A pool at least that large continues the Erlang B walk from there
// instead of starting it over; a smaller one starts over.
func (s *Service) latencyAfterNeed(lambda float64, need int, inv, units, backlog float64) float64 {
	if need <= 0 || units <= 0 {
		return s.latencyUnits(lambda, units, backlog)
	}
	capacity := units * s.Capacity
	if lambda >= capacity {
		return math.Inf(1)
	}
	c := int(math.Ceil(units * float64(s.Concurrency)))
	c0 := need * s.Concurrency
	if c < c0 {
		return s.latencyUnits(lambda, units, backlog)
	}
	st := float64(s.Concurrency) / s.Capacity
	a := lambda * st
	inv = erlangBInv(inv, c0, c, 1/a)
	return st + waitFromInv(c, a, inv, capacity-lambda, 1-s.Quantile) + backlog/capacity
}

// Need returns the least instance count whose latency meets the objective
// at arrival rate lambda req/s with no backlog; 0 when lambda is 0.
func (s Service) Need(lambda float64) int {
	s = s.WithDefaults()
	return s.need(lambda)
}

// need walks the Erlang B recursion once, checking the objective at every
// multiple of the concurrency, instead of recomputing it for each count.
func (s *Service) need(lambda float64) int {
	n, _ := s.needInv(lambda)
	return n
}

// needInv is need, and also returns 1/B(n·m), where the walk stopped, for
// latencyAfterNeed; (0, 1) when lambda is 0.
func (s *Service) needInv(lambda float64) (int, float64) {
	if lambda <= 0 {
		return 0, 1
	}
	obj := s.Objective.Seconds()
	st := float64(s.Concurrency) / s.Capacity
	a := lambda * st
	ia := 1 / a
	tail := 1 - s.Quantile
	inv := 1.0 // 1/B(k), Erlang B with k servers
	k := 0
	for n := 1; ; n++ {
		c := n * s.Concurrency
		inv = erlangBInv(inv, k, c, ia)
		k = c
		capacity := float64(n) * s.Capacity
		if lambda >= capacity {
			continue
		}
		b := 1 / inv
		rho := a / float64(c)
		wq := 0.0
		if erlangC := b / (1 - rho*(1-b)); erlangC > tail {
			wq = math.Log(erlangC/tail) / (capacity - lambda)
		}
		if st+wq <= obj {
			return n, inv
		}
	}
}

// erlangBInv advances the reciprocal Erlang B recursion
//
//	1/B(k) = 1 + (k/a) · 1/B(k−1)
//
// from inv = 1/B(from) to 1/B(to), given ia = 1/a. It takes two steps at a
// time through 1/B(k+1) = 1 + (k+1)/a + (k+1)k/a² · 1/B(k−1), whose two
// first terms do not depend on the previous value, which halves the chain
// of dependent multiplications. The result may overflow to +Inf, which
// means B = 0.
func erlangBInv(inv float64, from, to int, ia float64) float64 {
	ia2 := ia * ia
	k := from
	for ; k+2 <= to; k += 2 {
		k1, k2 := float64(k+1), float64(k+2)
		inv = 1 + k2*ia + k2*k1*ia2*inv
	}
	if k < to {
		inv = 1 + float64(k+1)*ia*inv
	}
	return inv
}
