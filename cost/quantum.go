package cost

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// QuantumJob is what a quantum price model charges for.
type QuantumJob struct {
	Qubits   int           // qubits the job occupies (per-qubit-hour pricing)
	Shots    int           // shots per circuit
	Circuits int           // circuits in the job; each is one Braket task; 0 means 1
	Runtime  time.Duration // execution time on the QPU or simulator, without queue time
}

func (j QuantumJob) circuits() int {
	if j.Circuits == 0 {
		return 1
	}
	return j.Circuits
}

func (j QuantumJob) validate() error {
	switch {
	case j.Qubits < 0:
		return fmt.Errorf("%w: Qubits = %d, want ≥ 0", ErrInvalidJob, j.Qubits)
	case j.Shots < 0:
		return fmt.Errorf("%w: Shots = %d, want ≥ 0", ErrInvalidJob, j.Shots)
	case j.Circuits < 0:
		return fmt.Errorf("%w: Circuits = %d, want ≥ 0", ErrInvalidJob, j.Circuits)
	case j.Runtime < 0:
		return fmt.Errorf("%w: Runtime = %v, want ≥ 0", ErrInvalidJob, j.Runtime)
	}
	return nil
}

// QuantumPrice prices one quantum job. JobCost returns USD; it returns an
// error wrapping ErrInvalidJob for negative fields and ErrRuntimeCap for a
// job the provider would not run.
type QuantumPrice interface {
	JobCost(j QuantumJob) (float64, error)
}

var (
	_ QuantumPrice = QubitHour{}
	_ QuantumPrice = PerShot{}
	_ QuantumPrice = PerQPUSecond{}
	_ QuantumPrice = Simulator{}
)

var (
	// ErrInvalidJob is wrapped by JobCost errors for a job with a negative field.
	ErrInvalidJob = errors.New("invalid quantum job")
	// ErrRuntimeCap is wrapped by JobCost errors for a job longer than the
	// provider's cap (IBM Quantum: 3 h).
	ErrRuntimeCap = errors.New("job exceeds the runtime cap")
	// ErrSpendingLimit is wrapped by *SpendingLimitError.
	ErrSpendingLimit = errors.New("spending limit exceeded")
)

// QubitHour prices occupancy: USD = Qubits · Runtime[h] · USDPerQubitHour.
// The original module's default is 0.75 USD per qubit-hour.
type QubitHour struct {
	Name            string  `json:"name"`
	USDPerQubitHour float64 `json:"usd_per_qubit_hour"`
	Citation
}

// JobCost implements QuantumPrice.
func (p QubitHour) JobCost(j QuantumJob) (float64, error) {
	if err := j.validate(); err != nil {
		return 0, err
	}
	return float64(j.Qubits) * j.Runtime.Hours() * p.USDPerQubitHour, nil
}

// PerShot is Amazon Braket's QPU pricing: each circuit is a task, charged
// USDPerTask plus Shots·USDPerShot, so
// USD = Circuits · (USDPerTask + Shots · USDPerShot). Runtime and Qubits
// are not priced. Amazon Braket pricing page, 2025: 0.30 USD per task;
// per shot IonQ Forte 0.08, IonQ Aria 0.03, QuEra Aquila 0.01, IQM Garnet
// 0.00145, Rigetti Ankaa 0.0009.
type PerShot struct {
	Name       string  `json:"name"`
	USDPerTask float64 `json:"usd_per_task"`
	USDPerShot float64 `json:"usd_per_shot"`
	Citation
}

// JobCost implements QuantumPrice.
func (p PerShot) JobCost(j QuantumJob) (float64, error) {
	if err := j.validate(); err != nil {
		return 0, err
	}
	return float64(j.circuits()) * (p.USDPerTask + float64(j.Shots)*p.USDPerShot), nil
}

// PerQPUSecond prices QPU execution time, billed in whole seconds rounded
// up: USD = ⌈Runtime⌉[s] · USDPerSecond. Queue time is free (it is not part
// of Runtime). A job longer than MaxRuntime (0: no cap) is rejected with
// ErrRuntimeCap. IBM Quantum pay-as-you-go: 1.60 USD per second (96 USD per
// minute), jobs capped at 3 h.
type PerQPUSecond struct {
	Name         string   `json:"name"`
	USDPerSecond float64  `json:"usd_per_second"`
	MaxRuntime   Duration `json:"max_runtime"` // longest job accepted; 0 means no cap
	Citation
}

// JobCost implements QuantumPrice.
func (p PerQPUSecond) JobCost(j QuantumJob) (float64, error) {
	if err := j.validate(); err != nil {
		return 0, err
	}
	if p.MaxRuntime > 0 && j.Runtime > time.Duration(p.MaxRuntime) {
		return 0, fmt.Errorf("%s: %w: %v > %v", p.Name, ErrRuntimeCap, j.Runtime, time.Duration(p.MaxRuntime))
	}
	s := (j.Runtime + time.Second - 1) / time.Second
	return float64(s) * p.USDPerSecond, nil
}

// Simulator prices a managed simulator per minute of run time with a
// minimum per task: billed = max(Runtime, Circuits · Minimum),
// USD = billed[min] · USDPerMinute. Runtime is the job's total; when a job
// of many tasks has some shorter than the minimum, this is a lower bound.
// Amazon Braket SV1: 0.075 USD per minute, 3 s minimum per task.
type Simulator struct {
	Name         string   `json:"name"`
	USDPerMinute float64  `json:"usd_per_minute"`
	Minimum      Duration `json:"minimum"` // least billed time per task
	Citation
}

// Billed returns the run time charged for j.
func (p Simulator) Billed(j QuantumJob) time.Duration {
	return max(j.Runtime, time.Duration(j.circuits())*time.Duration(p.Minimum))
}

// JobCost implements QuantumPrice.
func (p Simulator) JobCost(j QuantumJob) (float64, error) {
	if err := j.validate(); err != nil {
		return 0, err
	}
	return p.Billed(j).Minutes() * p.USDPerMinute, nil
}

// SpendingLimitError rejects a job whose cost would take spending past the
// limit, as Amazon Braket rejects tasks over a device's spending limit.
type SpendingLimitError struct {
	Cost, Spent, Limit float64 // USD
}

// Error says what the job costs against what is left of the limit.
func (e *SpendingLimitError) Error() string {
	return fmt.Sprintf("%v: job costs %.4f USD, %.4f of %.4f USD already spent", ErrSpendingLimit, e.Cost, e.Spent, e.Limit)
}

// Unwrap returns ErrSpendingLimit.
func (e *SpendingLimitError) Unwrap() error { return ErrSpendingLimit }

// SpendingLimit accumulates quantum spending against a limit. The zero
// value has no limit. It is not safe for concurrent use.
type SpendingLimit struct {
	LimitUSD float64 // most that may be spent, USD; ≤ 0 means no limit
	Spent    float64 // spent so far, USD
}

// Charge prices j with p and, if it fits within the limit, adds it to Spent
// and returns its cost. A job that would exceed the limit is rejected with a
// *SpendingLimitError and not charged; pricing errors are returned as is.
func (s *SpendingLimit) Charge(p QuantumPrice, j QuantumJob) (float64, error) {
	c, err := p.JobCost(j)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(c) || math.IsInf(c, 0) || c < 0 {
		return 0, fmt.Errorf("%w: cost %v", ErrInvalidPrice, c)
	}
	if s.LimitUSD > 0 && s.Spent+c > s.LimitUSD+1e-9 {
		return 0, &SpendingLimitError{Cost: c, Spent: s.Spent, Limit: s.LimitUSD}
	}
	s.Spent += c
	return c, nil
}
