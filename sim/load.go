package sim

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/omnixan/omnixan/traces"
)

// loadResolver turns a stream of trace rows into mean arrival rates over
// simulation steps. Each row's value holds from its timestamp until the
// next row's; the last row holds for as long as the gap before it (or one
// step when the trace has a single row). A step's rate is the time-weighted
// mean of the values over the part of the step the trace covers, so traces
// finer and coarser than the step both read correctly.
type loadResolver struct {
	src   Load
	col   int
	scale float64
	row   traces.Row

	start time.Time
	// The current segment [t0, t1) has value v; t1 is the next row's time.
	t0, t1  int64
	v       float64
	nextV   float64
	ended   bool  // no row after the current segment
	end     int64 // end of the trace, valid once ended
	lastGap int64
}

func (r *loadResolver) init(src Load, column string, scale float64) error {
	r.src, r.scale = src, scale
	cols := src.Columns()
	switch {
	case len(cols) == 0:
		return fmt.Errorf("sim: load has no value columns")
	case column == "":
		r.col = 0
	default:
		r.col = slices.Index(cols, column)
		if r.col < 0 {
			return fmt.Errorf("sim: load has no column %q (it has %q)", column, cols)
		}
	}
	if err := src.Next(&r.row); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("sim: load is empty: %w", traces.ErrEmpty)
		}
		return err
	}
	r.start = r.row.Time
	r.t0 = 0
	r.v = r.value()
	return r.readNext()
}

func (r *loadResolver) value() float64 {
	return r.row.Values[r.col] * r.scale
}

// readNext reads the row that ends the current segment.
func (r *loadResolver) readNext() error {
	err := r.src.Next(&r.row)
	if errors.Is(err, io.EOF) {
		r.ended = true
		gap := r.lastGap
		if gap <= 0 {
			gap = -1 // a single row: one step, set by mean
		}
		r.t1 = r.t0 + gap
		r.end = r.t1
		return nil
	}
	if err != nil {
		return err
	}
	t := int64(r.row.Time.Sub(r.start))
	if t <= r.t0 {
		return fmt.Errorf("sim: load row at %v is not after the previous one", r.row.Time)
	}
	r.t1 = t
	r.nextV = r.value()
	r.lastGap = t - r.t0
	if math.IsNaN(r.nextV) || math.IsInf(r.nextV, 0) || r.nextV < 0 {
		return fmt.Errorf("sim: load value %v at %v is not a finite rate ≥ 0", r.nextV, r.row.Time)
	}
	return nil
}

// mean returns the mean rate over [a, b), in ns since the start, and false
// once a is at or past the end of the trace. Calls must come with
// increasing, contiguous intervals.
func (r *loadResolver) mean(a, b int64) (float64, bool, error) {
	if r.ended && r.t1 < 0 {
		// A single-row trace lasts one step.
		r.t1, r.end = b-a, b-a
	}
	if r.ended && a >= r.end {
		return 0, false, nil
	}
	var sum float64
	var covered int64
	for {
		lo, hi := max(a, r.t0), min(b, r.t1)
		if hi > lo {
			sum += r.v * float64(hi-lo)
			covered += hi - lo
		}
		if r.t1 >= b || r.ended {
			break
		}
		// Move to the next segment.
		r.t0, r.v = r.t1, r.nextV
		if err := r.readNext(); err != nil {
			return 0, false, err
		}
	}
	if covered == 0 {
		return 0, true, nil
	}
	return sum / float64(covered), true, nil
}
