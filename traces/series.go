package traces

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ErrIrregular: a series' timestamps are not on a regular grid of its
// step, so it cannot be read as a Series.
var ErrIrregular = errors.New("timestamps not on a regular step")

// Series is one column of a load trace held in memory on a regular time
// grid: Values[i] is the value at Start + i·Step.
type Series struct {
	Name   string // the file name without its extension
	Column string // the column read
	Start  time.Time
	Step   time.Duration
	Values []float64
	// Filled counts the points that were missing from the file and filled
	// by linear interpolation between their neighbours.
	Filled int
}

// SeriesOptions configure ReadSeries. A nil *SeriesOptions means the first
// column, the step inferred, negatives allowed.
type SeriesOptions struct {
	// Column names the value column; "" means the first.
	Column string
	// Step, when not 0, declares the spacing of consecutive rows whatever
	// their timestamps say: row i is at the first timestamp + i·Step. Use it
	// for traces whose timestamps are plain indices (0, 1, 2, …).
	Step time.Duration
	// RejectNegative rejects negative values (ErrNegative).
	RejectNegative bool
}

// ReadSeries reads one column of the trace at path (CSV or Parquet, as
// Open) onto a regular grid.
//
// Unless SeriesOptions.Step declares it, the step is the most common gap
// between consecutive timestamps. A gap that is a whole number k of steps
// is k−1 missing points, filled by linear interpolation (and counted in
// Filled); a gap that is not a whole number of steps is an error wrapping
// ErrIrregular that gives the line's time. A trace with one row has a step
// of one hour unless declared.
func ReadSeries(path string, o *SeriesOptions) (*Series, error) {
	if o == nil {
		o = &SeriesOptions{}
	}
	if o.Step < 0 {
		return nil, fmt.Errorf("%s: %w: SeriesOptions.Step = %v, want ≥ 0", path, ErrInvalidOption, o.Step)
	}
	r, err := Open(path, &ReadOptions{AllowNegative: !o.RejectNegative})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	col := 0
	if o.Column != "" {
		col = slices.Index(r.Columns(), o.Column)
		if col < 0 {
			return nil, fmt.Errorf("%s: %w: no column %q (have %s)", path, ErrMissingColumn, o.Column, strings.Join(r.Columns(), ", "))
		}
	}
	s := &Series{
		Name:   strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)),
		Column: r.Columns()[col],
	}
	var times []time.Time
	var row Row
	for {
		err := r.Next(&row)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		times = append(times, row.Time)
		s.Values = append(s.Values, row.Values[col])
	}
	if len(times) == 0 {
		return nil, fmt.Errorf("%s: %w", path, ErrEmpty)
	}
	s.Start = times[0]
	if o.Step > 0 {
		s.Step = o.Step
		return s, nil
	}
	s.Step = time.Hour
	if len(times) == 1 {
		return s, nil
	}
	// The step is the most common gap (the smallest of equally common ones).
	counts := map[time.Duration]int{}
	for i := 1; i < len(times); i++ {
		counts[times[i].Sub(times[i-1])]++
	}
	best := 0
	for gap, n := range counts {
		if n > best || n == best && gap < s.Step {
			s.Step, best = gap, n
		}
	}
	// Put the values on the grid, interpolating over whole missing steps.
	grid := make([]float64, 0, len(s.Values))
	for i, v := range s.Values {
		if i > 0 {
			gap := times[i].Sub(times[i-1])
			if gap%s.Step != 0 {
				return nil, fmt.Errorf("%s: %w: the row at %s comes %v after the one before, not a whole number of %v steps",
					path, ErrIrregular, times[i].UTC().Format(time.RFC3339Nano), gap, s.Step)
			}
			k := int(gap / s.Step)
			prev := s.Values[i-1]
			for j := 1; j < k; j++ {
				grid = append(grid, prev+(v-prev)*float64(j)/float64(k))
				s.Filled++
			}
		}
		grid = append(grid, v)
	}
	s.Values = grid
	return s, nil
}
