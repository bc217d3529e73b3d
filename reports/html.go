package reports

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"time"
)

// Setting is one line of a report's settings table, such as the trace a
// replay read or the budget a run had.
type Setting struct {
	Name, Value string
}

// Figure is a plot of a report: its caption, the name of its PNG file in
// the report directory, and the PNG.
type Figure struct {
	Title string
	File  string
	PNG   []byte
}

// WriteHTML writes report.html: the run's settings, its scores and the
// figures, in one self-contained file (CSS inline, each PNG inline as a
// base64 data URI), so it can be mailed or attached on its own.
func WriteHTML(w io.Writer, run Run, figs []Figure) error {
	return writeHTML(w, run, figs, func(png []byte) template.URL {
		// The bytes are base64 of our own PNG: a safe data URI.
		return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	})
}

type htmlPage struct {
	Sum      Summary
	Settings []Setting
	Forecast []PolicySummary // the policies with a forecast object
	Figures  []htmlFigure
	Timeline bool // timeline.parquet is written alongside
}

type htmlFigure struct {
	Title, File string
	Src         template.URL
}

// writeHTML is WriteHTML with the figures' src given by src, so tests can
// check the page without the image bytes.
func writeHTML(w io.Writer, run Run, figs []Figure, src func([]byte) template.URL) error {
	s := run.Summary
	page := htmlPage{Sum: s, Timeline: run.Steps != nil}
	page.Settings = append(page.Settings,
		Setting{"scenario", s.Scenario},
		Setting{"seed", fmt.Sprint(s.Seed)},
		Setting{"start", s.Start.UTC().Format(time.RFC3339)},
		Setting{"end", s.End.UTC().Format(time.RFC3339)},
		Setting{"step", fmt.Sprintf("%g s", s.StepSeconds)},
	)
	page.Settings = append(page.Settings, run.Settings...)
	for _, p := range s.Policies {
		if p.Forecast != nil {
			page.Forecast = append(page.Forecast, p)
		}
	}
	for _, f := range figs {
		page.Figures = append(page.Figures, htmlFigure{Title: f.Title, File: f.File, Src: src(f.PNG)})
	}
	return htmlReport.Execute(w, page)
}

var htmlReport = template.Must(template.New("report.html").Funcs(template.FuncMap{
	"f":   func(format string, v float64) string { return fmt.Sprintf(format, v) },
	"pct": func(v float64) string { return fmt.Sprintf("%.3f%%", 100*v) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="omnixan reports">
<title>OMNIXAN run: {{.Sum.Scenario}}, seed {{.Sum.Seed}}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; max-width: 1200px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e4e4e4; }
th { background: #f4f4f4; text-align: left; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.92em; }
p.note { color: #555; font-size: 0.92em; max-width: 60em; }
</style>
</head>
<body>
<h1>OMNIXAN run: {{.Sum.Scenario}}</h1>

<h2>Settings</h2>
<table class="settings">
{{- range .Settings}}
<tr><th scope="row">{{.Name}}</th><td>{{.Value}}</td></tr>
{{- end}}
</table>

{{if or .Sum.Classical (not .Sum.Quantum) -}}
<h2>Scores</h2>
<div class="scroll">
<table class="scores">
<thead><tr><th>policy</th><th>spend (USD)</th><th>SLO-miss minutes</th><th>requests missed</th><th>scale actions</th><th>mean instances</th><th>peak instances</th><th>over-provisioning</th><th>budget breach minutes</th><th>breaker open minutes</th><th>retries</th><th>failed actions</th></tr></thead>
<tbody>
{{- range .Sum.Policies}}
<tr><th scope="row">{{.Name}}</th><td class="n">{{f "%.2f" .SpendUSD}}</td><td class="n">{{f "%.1f" .SLOMissMinutes}}</td><td class="n">{{pct .SLOMissFraction}}</td><td class="n">{{.ScaleActions}}</td><td class="n">{{f "%.2f" .MeanInstances}}</td><td class="n">{{.PeakInstances}}</td><td class="n">{{f "%.2f" .OverprovisionRatio}}</td><td class="n">{{f "%.1f" .BudgetBreachMinutes}}</td><td class="n">{{f "%.1f" .BreakerOpenMinutes}}</td><td class="n">{{.Retries}}</td><td class="n">{{.FailedActions}}</td></tr>
{{- end}}
</tbody>
</table>
</div>
<p class="note">Spend is billed per second from launch. An SLO miss is a step whose latency at the objective's quantile broke the objective; requests missed are those that arrived during such steps. Over-provisioning is billed instance-time over the least instance-time that meets the SLO at every step. The oracle knows the future load and is the lower bound on spend. The same numbers are in summary.json{{if .Timeline}}; every step of every policy is in timeline.parquet{{end}}.</p>
{{- end}}
{{- if .Sum.Quantum}}

<h2>Quantum jobs</h2>
<div class="scroll">
<table class="quantum">
<thead><tr><th>policy</th><th>quantum spend (USD)</th><th>classical spend (USD)</th><th>jobs</th><th>done</th><th>failed</th><th>queued at end</th><th>running at end</th><th>over objective</th><th>wait p95 (s)</th><th>mean wait (s)</th><th>mean workers</th><th>mean reserved QPUs</th><th>on-demand jobs</th></tr></thead>
<tbody>
{{- range .Sum.Policies}}{{if .QuantumSummary}}
<tr><th scope="row">{{.Name}}</th><td class="n">{{f "%.2f" .SpendBreakdown.Quantum}}</td><td class="n">{{f "%.2f" .SpendBreakdown.Classical}}</td><td class="n">{{.JobsTotal}}</td><td class="n">{{.JobsDone}}</td><td class="n">{{.JobsFailed}}</td><td class="n">{{.JobsQueued}}</td><td class="n">{{.JobsRunning}}</td><td class="n">{{.JobsOverSLO}} ({{pct .OverSLOShare}})</td><td class="n">{{f "%.0f" .WaitP95Seconds}}</td><td class="n">{{f "%.0f" .WaitMeanSeconds}}</td><td class="n">{{f "%.2f" .MeanWorkers}}</td><td class="n">{{f "%.2f" .MeanReserved}}</td><td class="n">{{.OnDemandJobs}}</td></tr>
{{- end}}{{end}}
</tbody>
</table>
</div>
<p class="note">The quantum SLO is a job's wait from submission to start. Jobs still queued at the end count with their wait so far; failed jobs (no device or worker size holds them, a provider's runtime cap, a spending limit) have no wait. Every job is done, failed, queued or running at the end. Reserved QPUs are billed per qubit-hour, on-demand jobs at the provider's per-job price, simulator workers per vCPU-hour (docs/quantum.md).</p>
{{- end}}
{{- if .Forecast}}

<h2>Forecasts</h2>
<div class="scroll">
<table class="forecasts">
<thead><tr><th>policy</th><th>horizon (s)</th><th>sMAPE (%)</th><th>MASE</th><th>WAPE</th><th>accuracy</th><th>95% interval coverage</th></tr></thead>
<tbody>
{{- range .Forecast}}
<tr><th scope="row">{{.Name}}</th><td class="n">{{f "%g" .Forecast.HorizonSeconds}}</td><td class="n">{{f "%.2f" .Forecast.SMAPE}}</td><td class="n">{{f "%.3f" .Forecast.MASE}}</td><td class="n">{{f "%.3f" .Forecast.WAPE}}</td><td class="n">{{f "%.3f" .Forecast.Accuracy}}</td><td class="n">{{pct .Forecast.IntervalCoverage}}</td></tr>
{{- end}}
</tbody>
</table>
</div>
<p class="note">Each forecast is scored against the mean demand of the step its target time falls in. MASE compares with the persistence forecast at the same horizon; below 1 beats it.</p>
{{- end}}
{{- if .Figures}}

<h2>Plots</h2>
{{- range .Figures}}
<figure>
<img src="{{.Src}}" alt="{{.Title}}">
<figcaption>{{.Title}} ({{.File}})</figcaption>
</figure>
{{- end}}
{{- end}}
</body>
</html>
`))
