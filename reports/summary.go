package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/omnixan/omnixan/sim"
)

// Summary is the content of summary.json: one run of one scenario under
// several policies.
type Summary struct {
	Scenario    string    `json:"scenario"`
	Seed        uint64    `json:"seed"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	StepSeconds float64   `json:"step_seconds"`
	// Trace, CapacityPerInstance and CapacitySource describe a replayed
	// trace (cmd/replay): the file or query, what one instance serves in
	// the trace column's unit, and where that figure came from ("flag", or
	// "p99/20": the trace's 99th percentile needs 20 instances).
	Trace               string  `json:"trace,omitempty"`
	CapacityPerInstance float64 `json:"capacity_per_instance,omitempty"`
	CapacitySource      string  `json:"capacity_source,omitempty"`
	// Classical and Quantum tell which sides the run had: a quantum-only
	// run's classical scores are zero, a classical-only run has no
	// quantum_* fields.
	Classical bool            `json:"classical"`
	Quantum   bool            `json:"quantum"`
	Policies  []PolicySummary `json:"policies"`
}

// PolicySummary holds the scores of one policy. Units: USD, minutes,
// instances; fractions in [0, 1].
type PolicySummary struct {
	Name                string  `json:"name"`
	SpendUSD            float64 `json:"spend_usd"`
	SLOMissMinutes      float64 `json:"slo_miss_minutes"`
	SLOMissFraction     float64 `json:"slo_miss_fraction"`
	ScaleActions        int     `json:"scale_actions"`
	MeanInstances       float64 `json:"mean_instances"`
	PeakInstances       int     `json:"peak_instances"`
	OverprovisionRatio  float64 `json:"overprovision_ratio"`
	BudgetBreachMinutes float64 `json:"budget_breach_minutes"`
	BreakerOpenMinutes  float64 `json:"breaker_open_minutes"`
	Retries             int     `json:"retries"`
	FailedActions       int     `json:"failed_actions"`
	// Forecast is present for policies that forecast demand.
	Forecast *ForecastSummary `json:"forecast,omitempty"`

	// SpendBreakdown splits SpendUSD by class.
	SpendBreakdown SpendBreakdown `json:"spend_breakdown_usd"`
	// The quantum scores, present only when the run had a quantum side.
	*QuantumSummary
}

// SpendBreakdown is spend by class, USD.
type SpendBreakdown struct {
	Classical float64 `json:"classical"`
	Quantum   float64 `json:"quantum"`
}

// QuantumSummary holds the quantum scores of one policy (sim.QuantumResult).
// Every job that arrived is done, failed, queued or running at the end:
// total = done + failed + queued + running. Waits are over the jobs that
// started and those still queued at the end, whose wait so far counts.
type QuantumSummary struct {
	JobsTotal            int                `json:"quantum_jobs_total"`
	JobsDone             int                `json:"quantum_jobs_done"`
	JobsFailed           int                `json:"quantum_jobs_failed"`
	JobsQueued           int                `json:"quantum_jobs_queued"`
	JobsRunning          int                `json:"quantum_jobs_running"`
	FailedBy             map[string]int     `json:"quantum_jobs_failed_by"`
	JobsOverSLO          int                `json:"quantum_jobs_over_slo"`
	OverSLOShare         float64            `json:"quantum_over_slo_share"` // of the jobs with a wait
	WaitP95Seconds       float64            `json:"quantum_wait_p95_seconds"`
	WaitMeanSeconds      float64            `json:"quantum_wait_mean_seconds"`
	WaitObjectiveSeconds float64            `json:"quantum_wait_objective_seconds"`
	SimulatorJobs        int                `json:"quantum_simulator_jobs"`
	ReservedJobs         int                `json:"quantum_reserved_jobs"`
	OnDemandJobs         int                `json:"quantum_on_demand_jobs"`
	MeanWorkers          float64            `json:"quantum_mean_workers"`
	PeakWorkers          int                `json:"quantum_peak_workers"`
	MeanReserved         float64            `json:"quantum_mean_reserved_qpus"`
	PeakReserved         int                `json:"quantum_peak_reserved_qpus"`
	MeanByPool           map[string]float64 `json:"quantum_mean_by_pool"`
	WorkerResizes        int                `json:"quantum_worker_resizes"`
	SpendWorkersUSD      float64            `json:"quantum_spend_workers_usd"`
	SpendReservedUSD     float64            `json:"quantum_spend_reserved_usd"`
	SpendOnDemandUSD     float64            `json:"quantum_spend_on_demand_usd"`
}

// ForecastSummary scores a policy's demand forecasts at the horizon it used.
type ForecastSummary struct {
	HorizonSeconds   float64 `json:"horizon_seconds"`
	SMAPE            float64 `json:"smape"`
	MASE             float64 `json:"mase"`
	WAPE             float64 `json:"wape"`
	Accuracy         float64 `json:"accuracy"`
	IntervalCoverage float64 `json:"interval_coverage"` // share of actuals inside the 95% interval
}

// FromResult copies the scores of a simulation result.
func FromResult(r *sim.Result) PolicySummary {
	p := PolicySummary{
		Name:                r.Policy,
		SpendUSD:            r.Spend,
		SLOMissMinutes:      r.SLOMissMinutes,
		SLOMissFraction:     r.SLOMissFraction,
		ScaleActions:        r.ScaleActions,
		MeanInstances:       r.MeanInstances,
		PeakInstances:       r.PeakInstances,
		OverprovisionRatio:  r.OverprovisionRatio,
		BudgetBreachMinutes: r.BudgetBreachMinutes,
		BreakerOpenMinutes:  r.BreakerOpenMinutes,
		Retries:             r.Retries,
		FailedActions:       r.FailedActions,
	}
	if f := r.Forecast; f != nil {
		p.Forecast = &ForecastSummary{
			HorizonSeconds: f.HorizonSeconds, SMAPE: f.SMAPE, MASE: f.MASE,
			WAPE: f.WAPE, Accuracy: f.Accuracy, IntervalCoverage: f.Coverage95,
		}
	}
	p.SpendBreakdown = SpendBreakdown{Classical: r.SpendClassical, Quantum: r.SpendQuantum}
	if q := r.Quantum; q != nil {
		waited := q.Jobs - q.Failed // started, or still waiting at the end
		share := 0.0
		if waited > 0 {
			share = float64(q.OverSLO) / float64(waited)
		}
		p.QuantumSummary = &QuantumSummary{
			JobsTotal: q.Jobs, JobsDone: q.Done, JobsFailed: q.Failed, JobsQueued: q.Queued, JobsRunning: q.Running,
			FailedBy: q.FailedBy, JobsOverSLO: q.OverSLO, OverSLOShare: share,
			WaitP95Seconds: q.WaitP95.Seconds(), WaitMeanSeconds: q.WaitMean.Seconds(), WaitObjectiveSeconds: q.WaitObjective.Seconds(),
			SimulatorJobs: q.SimulatorJobs, ReservedJobs: q.ReservedJobs, OnDemandJobs: q.OnDemandJobs,
			MeanWorkers: q.MeanWorkers, PeakWorkers: q.PeakWorkers, MeanReserved: q.MeanReserved, PeakReserved: q.PeakReserved,
			MeanByPool: q.MeanByPool, WorkerResizes: q.Resizes,
			SpendWorkersUSD: q.SpendWorkers, SpendReservedUSD: q.SpendReserved, SpendOnDemandUSD: q.SpendOnDemand,
		}
	}
	return p
}

// MarshalJSON is the canonical encoding: indented, times in RFC 3339 UTC,
// and floats rounded to 9 significant digits, so the same run gives the
// same bytes and the file stays readable.
func (s Summary) MarshalJSON() ([]byte, error) {
	type plain Summary
	c := plain(s)
	c.Start, c.End = s.Start.UTC(), s.End.UTC()
	c.CapacityPerInstance = round9(s.CapacityPerInstance)
	c.Policies = make([]PolicySummary, len(s.Policies))
	for i, p := range s.Policies {
		p.SpendUSD = round9(p.SpendUSD)
		p.SLOMissMinutes = round9(p.SLOMissMinutes)
		p.SLOMissFraction = round9(p.SLOMissFraction)
		p.MeanInstances = round9(p.MeanInstances)
		p.OverprovisionRatio = round9(p.OverprovisionRatio)
		p.BudgetBreachMinutes = round9(p.BudgetBreachMinutes)
		p.BreakerOpenMinutes = round9(p.BreakerOpenMinutes)
		if f := p.Forecast; f != nil {
			p.Forecast = &ForecastSummary{
				HorizonSeconds: round9(f.HorizonSeconds), SMAPE: round9(f.SMAPE), MASE: round9(f.MASE),
				WAPE: round9(f.WAPE), Accuracy: round9(f.Accuracy), IntervalCoverage: round9(f.IntervalCoverage),
			}
		}
		p.SpendBreakdown = SpendBreakdown{round9(p.SpendBreakdown.Classical), round9(p.SpendBreakdown.Quantum)}
		if q := p.QuantumSummary; q != nil {
			r := *q
			for _, x := range []*float64{&r.OverSLOShare, &r.WaitP95Seconds, &r.WaitMeanSeconds, &r.WaitObjectiveSeconds,
				&r.MeanWorkers, &r.MeanReserved, &r.SpendWorkersUSD, &r.SpendReservedUSD, &r.SpendOnDemandUSD} {
				*x = round9(*x)
			}
			r.MeanByPool = map[string]float64{}
			for k, v := range q.MeanByPool {
				r.MeanByPool[k] = round9(v)
			}
			p.QuantumSummary = &r
		}
		c.Policies[i] = p
	}
	return json.Marshal(c)
}

func round9(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	v, err := strconv.ParseFloat(fmt.Sprintf("%.9g", x), 64)
	if err != nil {
		return x
	}
	return v
}

// WriteJSON writes s as indented JSON with a final newline.
func (s Summary) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// WriteTable writes the scores as an aligned text table: the classical
// scores, then the quantum ones, for the sides the run had.
func (s Summary) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	if s.Classical || !s.Quantum {
		fmt.Fprintln(tw, "policy\tspend USD\tSLO miss min\tmiss %\tactions\tmean inst\tpeak inst\tover-prov\t")
		for _, p := range s.Policies {
			fmt.Fprintf(tw, "%s\t%.2f\t%.1f\t%.3f\t%d\t%.2f\t%d\t%.2f\t\n",
				p.Name, p.SpendUSD, p.SLOMissMinutes, 100*p.SLOMissFraction, p.ScaleActions,
				p.MeanInstances, p.PeakInstances, p.OverprovisionRatio)
		}
	}
	if s.Quantum {
		if s.Classical {
			fmt.Fprintln(tw)
		}
		fmt.Fprintln(tw, "policy\tquantum USD\tjobs\tdone\tfailed\tunfinished\tover SLO\twait p95 s\tmean workers\tmean QPUs\t")
		for _, p := range s.Policies {
			if q := p.QuantumSummary; q != nil {
				fmt.Fprintf(tw, "%s\t%.2f\t%d\t%d\t%d\t%d\t%d\t%.0f\t%.2f\t%.2f\t\n", p.Name, p.SpendBreakdown.Quantum,
					q.JobsTotal, q.JobsDone, q.JobsFailed, q.JobsQueued+q.JobsRunning, q.JobsOverSLO, q.WaitP95Seconds, q.MeanWorkers, q.MeanReserved)
			}
		}
	}
	return tw.Flush()
}

// WriteMarkdown writes a short Markdown report: the run and its scores.
func (s Summary) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# OMNIXAN run: %s\n\n", s.Scenario)
	fmt.Fprintf(&b, "Seed %d; %s to %s; step %gs.\n\n", s.Seed,
		s.Start.UTC().Format(time.RFC3339), s.End.UTC().Format(time.RFC3339), s.StepSeconds)
	if s.Classical || !s.Quantum {
		b.WriteString("| policy | spend (USD) | SLO-miss minutes | requests missed | scale actions | mean instances | peak instances | over-provisioning |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, p := range s.Policies {
			fmt.Fprintf(&b, "| %s | %.2f | %.1f | %.3f%% | %d | %.2f | %d | %.2f |\n",
				p.Name, p.SpendUSD, p.SLOMissMinutes, 100*p.SLOMissFraction, p.ScaleActions,
				p.MeanInstances, p.PeakInstances, p.OverprovisionRatio)
		}
		b.WriteString("\nSpend is billed per second from launch. An SLO miss is a step whose latency at the objective's quantile broke the objective; " +
			"requests missed are those that arrived during such steps. Over-provisioning is billed instance-time over the least instance-time that meets the SLO at every step. " +
			"The oracle knows the future load and is the lower bound on spend.\n\n")
		b.WriteString("![demand vs capacity](demand-vs-capacity.png)\n")
	}
	if s.Quantum {
		if s.Classical {
			b.WriteString("\n")
		}
		b.WriteString("## Quantum jobs\n\n")
		b.WriteString("| policy | quantum spend (USD) | classical spend (USD) | jobs | done | failed | queued at end | running at end | over objective | wait p95 (s) | mean workers | mean reserved QPUs |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, p := range s.Policies {
			if q := p.QuantumSummary; q != nil {
				fmt.Fprintf(&b, "| %s | %.2f | %.2f | %d | %d | %d | %d | %d | %d (%.1f%%) | %.0f | %.2f | %.2f |\n",
					p.Name, p.SpendBreakdown.Quantum, p.SpendBreakdown.Classical, q.JobsTotal, q.JobsDone, q.JobsFailed, q.JobsQueued, q.JobsRunning,
					q.JobsOverSLO, 100*q.OverSLOShare, q.WaitP95Seconds, q.MeanWorkers, q.MeanReserved)
			}
		}
		b.WriteString("\nThe quantum SLO is a job's wait from submission to start; jobs still queued at the end count with their wait so far.\n\n")
		b.WriteString("![quantum queue](quantum-queue.png)\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteFile creates path (and its directory) and fills it with write. The
// file is written to a temporary name in the same directory and renamed
// into place, so an earlier file is never left half-overwritten.
func WriteFile(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
