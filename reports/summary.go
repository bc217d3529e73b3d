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
	Trace               string          `json:"trace,omitempty"`
	CapacityPerInstance float64         `json:"capacity_per_instance,omitempty"`
	CapacitySource      string          `json:"capacity_source,omitempty"`
	Policies            []PolicySummary `json:"policies"`
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

// WriteTable writes the scores as an aligned text table.
func (s Summary) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\tspend USD\tSLO miss min\tmiss %\tactions\tmean inst\tpeak inst\tover-prov\t")
	for _, p := range s.Policies {
		fmt.Fprintf(tw, "%s\t%.2f\t%.1f\t%.3f\t%d\t%.2f\t%d\t%.2f\t\n",
			p.Name, p.SpendUSD, p.SLOMissMinutes, 100*p.SLOMissFraction, p.ScaleActions,
			p.MeanInstances, p.PeakInstances, p.OverprovisionRatio)
	}
	return tw.Flush()
}

// WriteMarkdown writes a short Markdown report: the run and its scores.
func (s Summary) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# OMNIXAN run: %s\n\n", s.Scenario)
	fmt.Fprintf(&b, "Seed %d; %s to %s; step %gs.\n\n", s.Seed,
		s.Start.UTC().Format(time.RFC3339), s.End.UTC().Format(time.RFC3339), s.StepSeconds)
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
