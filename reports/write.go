package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// Run is everything a report is made of: the scores and, per policy in
// the same order, the timeline recorded during the run.
type Run struct {
	Summary   Summary
	Timelines []*Timeline
	// Settings are shown in report.html after the scenario, seed, start,
	// end and step; nil adds none.
	Settings []Setting
	// Steps, when not nil, holds every step of every policy; Write closes
	// it into timeline.parquet, or aborts it when another file fails.
	Steps *TimelineWriter
}

// Plot sizes: time series wide, the scatter nearer square.
const (
	wideW, plotH = 30 * vg.Centimeter, 14 * vg.Centimeter
	scatterW     = 20 * vg.Centimeter
)

// Write writes the report files of run into dir: summary.json,
// summary.md, report.html, the PNG plots (for a classical side
// demand-vs-capacity.png, forecast-POLICY.png for each policy that
// forecasts, slo-misses.png and spend-vs-slo.png; for a quantum side
// quantum-queue.png, quantum-capacity.png and spend-vs-wait.png; and
// cumulative-spend.png of both) and, when run.Steps is set,
// timeline.parquet. Each file is written to a temporary name and renamed
// into place, so none is ever seen half-written.
func Write(dir string, run Run) (err error) {
	if run.Steps != nil {
		defer func() {
			if err != nil {
				run.Steps.Abort()
			}
		}()
	}
	sum := run.Summary
	figs, err := Figures(run)
	if err != nil {
		return err
	}
	for _, f := range figs {
		if err := WriteFile(filepath.Join(dir, f.File), func(w io.Writer) error { _, err := w.Write(f.PNG); return err }); err != nil {
			return err
		}
	}
	if err := WriteFile(filepath.Join(dir, "summary.json"), sum.WriteJSON); err != nil {
		return err
	}
	if err := WriteFile(filepath.Join(dir, "summary.md"), sum.WriteMarkdown); err != nil {
		return err
	}
	if err := WriteFile(filepath.Join(dir, "report.html"), func(w io.Writer) error { return WriteHTML(w, run, figs) }); err != nil {
		return err
	}
	if run.Steps != nil {
		return run.Steps.Close()
	}
	return nil
}

// Figures renders the plots of run as PNGs, in report order, in parallel.
func Figures(run Run) ([]Figure, error) {
	sum := run.Summary
	tag := fmt.Sprintf("%s, seed %d", sum.Scenario, sum.Seed)
	type job struct {
		fig  Figure
		w    vg.Length
		plot func() (*plot.Plot, error)
	}
	classical := len(run.Timelines) > 0 && run.Timelines[0].HasClassical()
	quantum := len(run.Timelines) > 0 && run.Timelines[0].HasQuantum()
	var jobs []job
	if classical {
		jobs = append(jobs, job{
			fig: Figure{Title: "Demand vs capacity: " + tag, File: "demand-vs-capacity.png"}, w: wideW,
			plot: func() (*plot.Plot, error) { return DemandVsCapacity("Demand vs capacity: "+tag, run.Timelines) },
		})
		used := map[string]bool{}
		for _, tl := range run.Timelines {
			if !tl.Forecasts() {
				continue
			}
			file := "forecast-" + fileSafe(tl.Policy) + ".png"
			for i := 2; used[file]; i++ {
				file = fmt.Sprintf("forecast-%s-%d.png", fileSafe(tl.Policy), i)
			}
			used[file] = true
			title := fmt.Sprintf("Forecast vs actual demand: %s (%s)", tl.Policy, tag)
			jobs = append(jobs, job{fig: Figure{Title: title, File: file}, w: wideW,
				plot: func() (*plot.Plot, error) { return ForecastVsActual(title, tl) }})
		}
	}
	if quantum {
		jobs = append(jobs,
			job{fig: Figure{Title: "Quantum jobs queued and running: " + tag, File: "quantum-queue.png"}, w: wideW,
				plot: func() (*plot.Plot, error) {
					return QuantumQueue("Quantum jobs queued and running: "+tag, run.Timelines)
				}},
			job{fig: Figure{Title: "Quantum capacity: " + tag, File: "quantum-capacity.png"}, w: wideW,
				plot: func() (*plot.Plot, error) { return QuantumCapacity("Quantum capacity: "+tag, run.Timelines) }})
	}
	jobs = append(jobs,
		job{fig: Figure{Title: "Cumulative spend: " + tag, File: "cumulative-spend.png"}, w: wideW,
			plot: func() (*plot.Plot, error) { return CumulativeSpend("Cumulative spend: "+tag, run.Timelines) }})
	if classical {
		jobs = append(jobs,
			job{fig: Figure{Title: "SLO misses over time: " + tag, File: "slo-misses.png"}, w: wideW,
				plot: func() (*plot.Plot, error) { return SLOMisses("SLO misses over time: "+tag, run.Timelines) }},
			job{fig: Figure{Title: "Spend vs SLO misses: " + tag, File: "spend-vs-slo.png"}, w: scatterW,
				plot: func() (*plot.Plot, error) { return SpendVsSLO("Spend vs SLO misses: "+tag, sum) }})
	}
	if quantum {
		jobs = append(jobs,
			job{fig: Figure{Title: "Spend vs quantum job wait: " + tag, File: "spend-vs-wait.png"}, w: scatterW,
				plot: func() (*plot.Plot, error) { return SpendVsWait("Spend vs quantum job wait: "+tag, sum) }})
	}
	figs := make([]Figure, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			figs[i] = j.fig
			p, err := j.plot()
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", j.fig.File, err)
				return
			}
			wt, err := p.WriterTo(j.w, plotH, "png")
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", j.fig.File, err)
				return
			}
			var b bytes.Buffer
			if _, err := wt.WriteTo(&b); err != nil {
				errs[i] = fmt.Errorf("%s: %w", j.fig.File, err)
				return
			}
			figs[i].PNG = b.Bytes()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return figs, nil
}

// fileSafe maps a policy name to a file-name part: letters, digits, '.',
// '-' and '_' stay, anything else becomes '_'.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}
