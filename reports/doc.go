// Package reports turns simulation results into files a person can read
// (a Markdown table, PNG plots, one self-contained HTML page) and a machine
// can read (JSON, Parquet).
//
// Write puts a run's report in a directory: summary.json (one object per
// policy with its scores, Summary and PolicySummary), summary.md, report.html
// (settings, scores and every plot inline), the PNG plots (demand vs
// capacity, forecast vs actual with intervals, cumulative spend, SLO
// timeline, spend vs SLO) and timeline.parquet (one row per step per policy,
// TimelineWriter; docs/timeline-parquet.md). Every file is written under a
// temporary name and renamed into place, so none is seen half-written.
// The scores are defined in docs/scoring.md.
//
// Field names in summary.json are a stable interface: later versions add
// fields and never rename or remove these.
package reports
