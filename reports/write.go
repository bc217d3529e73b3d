package reports

import (
	"fmt"
	"path/filepath"

	"gonum.org/v1/plot/vg"
)

// Run is everything a report is made of: the scores and, per policy in
// the same order, the timeline recorded during the run.
type Run struct {
	Summary   Summary
	Timelines []*Timeline
}

// Write writes the report files of run into dir: summary.json, summary.md
// and demand-vs-capacity.png. Each file is written to a temporary name
// and renamed into place.
func Write(dir string, run Run) error {
	sum := run.Summary
	if err := WriteFile(filepath.Join(dir, "summary.json"), sum.WriteJSON); err != nil {
		return err
	}
	if err := WriteFile(filepath.Join(dir, "summary.md"), sum.WriteMarkdown); err != nil {
		return err
	}
	title := fmt.Sprintf("Demand vs capacity: %s, seed %d", sum.Scenario, sum.Seed)
	p, err := DemandVsCapacity(title, run.Timelines)
	if err != nil {
		return err
	}
	return SavePNG(p, 30*vg.Centimeter, 14*vg.Centimeter, filepath.Join(dir, "demand-vs-capacity.png"))
}
