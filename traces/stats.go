package traces

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// Stats describes one column of a load trace, from one streaming pass.
type Stats struct {
	Column     string
	Rows       int
	Start, End time.Time     // first and last timestamps
	LastGap    time.Duration // time between the last two rows (0 with one row)
	Max        float64
	Mean       float64
	sketch     Sketch
}

// Quantile returns the q-quantile of the column's values (per row, not
// weighted by time), within the sketch's relative accuracy.
func (s *Stats) Quantile(q float64) float64 { return s.sketch.Quantile(q) }

// Scan reads r to its end and describes the column named column ("" means
// the first). Memory does not grow with the trace's length: quantiles come
// from a Sketch. Errors are those of r, and ErrMissingColumn or ErrEmpty.
func Scan(r Reader, column string) (*Stats, error) {
	col := 0
	if column != "" {
		col = slices.Index(r.Columns(), column)
		if col < 0 {
			return nil, fmt.Errorf("traces: %w: no column %q (have %q)", ErrMissingColumn, column, r.Columns())
		}
	}
	s := &Stats{Column: r.Columns()[col], sketch: NewSketch(0.01)}
	var row Row
	var prev time.Time
	var sum float64
	for {
		err := r.Next(&row)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		v := row.Values[col]
		if s.Rows == 0 {
			s.Start = row.Time
		} else {
			s.LastGap = row.Time.Sub(prev)
		}
		prev = row.Time
		s.Rows++
		s.Max = max(s.Max, v)
		sum += v
		s.sketch.Add(v)
	}
	if s.Rows == 0 {
		return nil, fmt.Errorf("traces: %w: no rows", ErrEmpty)
	}
	s.End = prev
	s.Mean = sum / float64(s.Rows)
	return s, nil
}

// Sketch estimates quantiles of non-negative values in bounded memory, the
// DDSketch way (Masson, Rim and Lee, VLDB 2019): value v > 0 falls in
// bucket ⌈log_γ v⌉ with γ = (1+α)/(1−α), and a quantile is answered by the
// bucket's midpoint 2γ^i/(γ+1), within relative error α of a value of the
// data set of the right rank. Memory grows with log(max/min) of the
// values, never with their count: about 1,150 buckets per factor 10^10 at
// α = 1%. Zeros (and negatives) are counted apart.
type Sketch struct {
	gamma, lnGamma float64
	zeros          uint64
	buckets        map[int]uint64
	n              uint64

	// The bucket of the latest value, counted apart until another bucket
	// is hit: a trace's consecutive values mostly share a bucket, and the
	// check costs two comparisons where the logarithm and map update cost
	// tens of nanoseconds. lo and hi are inside the bucket's bounds by a
	// margin, so the cache never gives another bucket than the logarithm.
	last       int
	lastN      uint64
	lastLo     float64
	lastHi     float64
	lastActive bool
	bounds     []float64 // γ^k for k from boundsFrom, 0 until computed, for near
	boundsFrom int
}

// NewSketch returns a sketch of relative accuracy alpha in (0, 1).
func NewSketch(alpha float64) Sketch {
	g := (1 + alpha) / (1 - alpha)
	return Sketch{gamma: g, lnGamma: math.Log(g), buckets: map[int]uint64{}}
}

// Add counts v.
func (s *Sketch) Add(v float64) {
	s.n++
	if !(v > 0) || math.IsInf(v, 0) {
		s.zeros++
		return
	}
	if s.lastActive && v > s.lastLo && v < s.lastHi {
		s.lastN++
		return
	}
	s.flush()
	k, ok := 0, false
	if s.lastActive {
		k, ok = s.near(v)
	}
	if !ok {
		k = int(math.Ceil(math.Log(v) / s.lnGamma))
	}
	s.last, s.lastN, s.lastActive = k, 1, true
	s.lastLo, s.lastHi = s.bound(k-1)*(1+1e-9), s.bound(k)*(1-1e-9)
}

// near finds v's bucket by stepping from the cached one across at most
// four bucket bounds, γ^k, each computed once: a trace's next value is
// mostly in a bucket near the last. ok is false when v is farther, or too
// close to a bound to tell without the logarithm.
func (s *Sketch) near(v float64) (int, bool) {
	k := s.last
	for range 4 {
		lo, hi := s.bound(k-1), s.bound(k)
		switch {
		case v > lo*(1+1e-9) && v < hi*(1-1e-9):
			return k, true
		case v >= lo*(1-1e-9) && v <= hi*(1+1e-9):
			return 0, false // at a bound: let the logarithm decide
		case v <= lo:
			k--
		default:
			k++
		}
	}
	return 0, false
}

// bound returns γ^k, memoised in a slice indexed from boundsFrom.
func (s *Sketch) bound(k int) float64 {
	i := k - s.boundsFrom
	if i < 0 || i >= len(s.bounds) {
		s.growBounds(k)
		i = k - s.boundsFrom
	}
	if b := s.bounds[i]; b != 0 {
		return b
	}
	b := math.Pow(s.gamma, float64(k))
	s.bounds[i] = b
	return b
}

// growBounds widens the memo to hold k, with room on both sides.
func (s *Sketch) growBounds(k int) {
	lo, hi := k-64, k+64
	if len(s.bounds) == 0 {
		s.bounds, s.boundsFrom = make([]float64, hi-lo), lo
		return
	}
	lo, hi = min(lo, s.boundsFrom), max(hi, s.boundsFrom+len(s.bounds))
	nb := make([]float64, hi-lo)
	copy(nb[s.boundsFrom-lo:], s.bounds)
	s.bounds, s.boundsFrom = nb, lo
}

// flush moves the cached bucket's count into the map.
func (s *Sketch) flush() {
	if s.lastN > 0 {
		s.buckets[s.last] += s.lastN
		s.lastN = 0
	}
}

// Quantile returns the estimated q-quantile (the value of rank
// ⌊q·(n−1)⌋, 0-based); 0 with no values.
func (s *Sketch) Quantile(q float64) float64 {
	if s.n == 0 {
		return 0
	}
	s.flush()
	rank := uint64(math.Floor(min(max(q, 0), 1) * float64(s.n-1)))
	if rank < s.zeros {
		return 0
	}
	seen := s.zeros
	keys := make([]int, 0, len(s.buckets))
	for k := range s.buckets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		seen += s.buckets[k]
		if seen > rank {
			return 2 * math.Pow(s.gamma, float64(k)) / (s.gamma + 1)
		}
	}
	return 2 * math.Pow(s.gamma, float64(keys[len(keys)-1])) / (s.gamma + 1)
}

// ScanFile is Scan on the trace file at path, opened as Open does. A
// Parquet file of several row groups is read in two halves at once, on
// two goroutines, and the halves' descriptions joined: the same Rows,
// Start, End, LastGap, Max and quantiles as one pass, and a Mean that may
// differ from it in the last bits (the sum is taken in two parts). Errors
// name the file and row as Scan's would.
func ScanFile(path string, opts *ReadOptions, column string) (*Stats, error) {
	if format, err := formatOf(path); err != nil || format != formatParquet {
		r, err := Open(path, opts)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return Scan(r, column)
	}
	first, err := Open(path, opts)
	if err != nil {
		return nil, err
	}
	defer first.Close()
	pr := first.(*parquetReader)
	groups := pr.src.rowGroups
	if len(groups) < 2 {
		return Scan(first, column)
	}
	second, err := Open(path, opts)
	if err != nil {
		return nil, err
	}
	defer second.Close()
	half := len(groups) / 2
	var before int
	for _, g := range groups[:half] {
		before += int(g.NumRows())
	}
	pr.src.rowGroups = groups[:half]
	pr2 := second.(*parquetReader)
	pr2.src.rowGroups = pr2.src.rowGroups[half:]
	pr2.src.row = before
	var s2 *Stats
	var err2 error
	done := make(chan struct{})
	go func() {
		defer close(done)
		s2, err2 = Scan(second, column)
	}()
	s1, err1 := Scan(first, column)
	<-done
	if err1 != nil {
		return nil, err1
	}
	if err2 != nil {
		return nil, err2
	}
	if err := checkOrder(s1.End, s2.Start, false); err != nil {
		return nil, &ParseError{File: path, Row: before + 1, Column: pr.tcol.name, Err: err}
	}
	s := &Stats{Column: s1.Column, Rows: s1.Rows + s2.Rows, Start: s1.Start, End: s2.End, LastGap: s2.LastGap,
		Max: max(s1.Max, s2.Max), sketch: s1.sketch}
	if s2.Rows == 1 {
		s.LastGap = s2.Start.Sub(s1.End)
	}
	s.Mean = (s1.Mean*float64(s1.Rows) + s2.Mean*float64(s2.Rows)) / float64(s.Rows)
	s.sketch.merge(&s2.sketch)
	return s, nil
}

// merge adds o's counts to s; both must have the same accuracy.
func (s *Sketch) merge(o *Sketch) {
	s.flush()
	o.flush()
	for k, n := range o.buckets {
		s.buckets[k] += n
	}
	s.zeros += o.zeros
	s.n += o.n
}
