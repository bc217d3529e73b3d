package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/omnixan/omnixan/traces"
)

// Scenario is a named, built-in workload: a synthetic load and the world it
// runs in. Length, step and seed are chosen per run.
type Scenario struct {
	Name        string
	Description string
	Days        float64            // default length in days
	Load        traces.LoadOptions // Start, Step, Length and Seed are set per run
	Config      Config             // the world; Step is set per run
	// QuantumOnly marks a scenario without a classical service: Load and
	// Config are unused.
	QuantumOnly bool
	// Quantum is the quantum side of the world; nil for none.
	Quantum *QuantumScenario
}

// QuantumScenario is a scenario's quantum side: a job stream and the
// world the jobs run in.
type QuantumScenario struct {
	Arrivals traces.ArrivalOptions // Start, Length and Seed are set per run
	Config   QuantumConfig
	// JobTrace, when set, is a job trace file (traces.OpenJobs) read
	// instead of generating Arrivals; its jobs must fall in the run.
	JobTrace string
}

// JobOptions returns the scenario's job stream for one run; the zero
// value when it has no quantum side.
func (s Scenario) JobOptions(length time.Duration, seed uint64) traces.ArrivalOptions {
	if s.Quantum == nil {
		return traces.ArrivalOptions{}
	}
	o := s.Quantum.Arrivals
	o.Backends = slices.Clone(o.Backends)
	if o.Burst != nil {
		b := *o.Burst
		o.Burst = &b
	}
	o.Length, o.Seed = length, seed
	return o
}

// quantumBatch is the job stream of the quantum scenarios: very bursty, as
// the IISWC 2021 statistics report (../shared/data/quantum/README.md: up to
// 341 jobs in one hour, 963 of 16,394 hours with any job): one job an hour
// in the calm state, bursts of 150 an hour lasting half an hour on average
// every six hours; a quarter of the jobs ask for the IBM device by name,
// the rest are routed.
func quantumBatch() *QuantumScenario {
	cfg := DefaultQuantum()
	return &QuantumScenario{
		Arrivals: traces.ArrivalOptions{
			Start: scenarioStart, RatePerHour: 1,
			Burst:    &traces.MMPP{BurstRatePerHour: 150, MeanCalm: 6 * time.Hour, MeanBurst: 30 * time.Minute},
			Backends: []string{"auto", "auto", "auto", "ibm-eagle"},
		},
		Config: cfg,
	}
}

// scenarioStart is a Monday, so weekly seasonality lines up with weekdays.
var scenarioStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

var scenarios = []Scenario{
	{
		Name: "mixed",
		Description: "classical and quantum at once: web-diurnal's web service beside quantum-batch's bursty jobs " +
			"on state-vector simulator workers and two QPU backends",
		Days: 7,
		Load: traces.LoadOptions{
			Start: scenarioStart, Column: "requests_per_second",
			Base: 700, DailyAmplitude: 0.6, WeeklyAmplitude: 0.25, Trend: 0.005, Noise: 0.05,
			FlashCrowds: []traces.FlashCrowd{{At: 3*24*time.Hour + 14*time.Hour, Factor: 2, Rise: 2 * time.Minute, Decay: 45 * time.Minute}},
		},
		Quantum: quantumBatch(),
	},
	{
		Name: "quantum-batch",
		Description: "bursty quantum jobs (1 an hour, bursts of 150 an hour) with the published shot, depth, qubit and batch-size " +
			"distributions onto state-vector simulator workers and reserved or on-demand QPUs (IBM Eagle, IonQ Aria)",
		Days:        3,
		QuantumOnly: true,
		Quantum:     quantumBatch(),
	},
	{
		Name: "web-diurnal",
		Description: "a web service with a daily cycle (±60% around 700 req/s), quieter weekends, " +
			"slow growth, noise, and a ×2 flash crowd on Thursday at 14:00",
		Days: 7,
		Load: traces.LoadOptions{
			Start: scenarioStart, Column: "requests_per_second",
			Base: 700, DailyAmplitude: 0.6, WeeklyAmplitude: 0.25, Trend: 0.005, Noise: 0.05,
			FlashCrowds: []traces.FlashCrowd{{At: 3*24*time.Hour + 14*time.Hour, Factor: 2, Rise: 2 * time.Minute, Decay: 45 * time.Minute}},
		},
	},
	{
		Name:        "flash-crowd",
		Description: "a day of steady 400 req/s traffic hit by a ×4 flash crowd at noon that rises in 1 minute and decays over 20",
		Days:        1,
		Load: traces.LoadOptions{
			Start: scenarioStart, Column: "requests_per_second",
			Base: 400, Noise: 0.03,
			FlashCrowds: []traces.FlashCrowd{{At: 12 * time.Hour, Factor: 4, Rise: time.Minute, Decay: 20 * time.Minute}},
		},
	},
	{
		Name:        "steady",
		Description: "a flat 800 req/s with 10% noise: what the policies cost when nothing happens",
		Days:        1,
		Load: traces.LoadOptions{
			Start: scenarioStart, Column: "requests_per_second",
			Base: 800, Noise: 0.10,
		},
	},
}

// Scenarios returns the built-in scenarios; the first is the default.
func Scenarios() []Scenario { return slices.Clone(scenarios) }

// ScenarioNames returns the built-in scenarios' names.
func ScenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.Name
	}
	return names
}

// LookupScenario returns the built-in scenario of that name.
func LookupScenario(name string) (Scenario, error) {
	for _, s := range scenarios {
		if s.Name == name {
			s.Load.FlashCrowds = slices.Clone(s.Load.FlashCrowds)
			if s.Quantum != nil {
				q := *s.Quantum
				q.Config = q.Config.WithDefaults() // copies the QPU list
				s.Quantum = &q
			}
			return s, nil
		}
	}
	return Scenario{}, fmt.Errorf("unknown scenario %q (have %s)", name, strings.Join(ScenarioNames(), ", "))
}

// LoadOptions returns the scenario's load for one run.
func (s Scenario) LoadOptions(length, step time.Duration, seed uint64) traces.LoadOptions {
	o := s.Load
	o.FlashCrowds = slices.Clone(o.FlashCrowds)
	o.Length, o.Step, o.Seed = length, step, seed
	return o
}
