package reports

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/omnixan/omnixan/sim"
)

// TimelineFile is the name of the per-step Parquet file in a report
// directory.
const TimelineFile = "timeline.parquet"

// timelineColumns are the columns of timeline.parquet, in file order. See
// TimelineWriter for their types and units.
var timelineColumns = []string{
	"time", "policy", "demand", "capacity", "ready", "pending", "utilization",
	"latency", "slo_miss", "spend_usd",
	"forecast", "lower_80", "upper_80", "lower_95", "upper_95",
}

// The columns' indexes in timelineColumns and a sink's chunks.
const (
	tcTime = iota
	tcPolicy
	tcDemand
	tcCapacity
	tcReady
	tcPending
	tcUtilization
	tcLatency
	tcSLOMiss
	tcSpend
	tcForecast // then lower_80, upper_80, lower_95, upper_95
	tcCount    = tcForecast + 5
)

// timelineRowGroup is the number of rows in a row group, a multiple of
// pqPageRows. A policy holds one row group's pages, compressed, in memory.
const timelineRowGroup = 128 << 10

// timelineSchema is timeline.parquet's schema, in timelineColumns' order.
var timelineSchema = func() []pqColumn {
	int64Type := &format.IntType{BitWidth: 64, IsSigned: true}
	cols := []pqColumn{
		{name: "time", kind: pqInt64, enc: format.DeltaBinaryPacked, logical: &format.TimestampType{IsAdjustedToUTC: true, Unit: format.TimeUnit{Value: new(format.NanoSeconds)}}},
		{name: "policy", kind: pqString, logical: new(format.StringType), converted: deprecated.UTF8, hasConv: true},
		{name: "demand", kind: pqDouble, enc: format.ByteStreamSplit},
		{name: "capacity", kind: pqDouble},
		{name: "ready", kind: pqInt64, logical: int64Type, converted: deprecated.Int64, hasConv: true},
		{name: "pending", kind: pqInt64, logical: int64Type, converted: deprecated.Int64, hasConv: true},
		{name: "utilization", kind: pqDouble, enc: format.ByteStreamSplit},
		{name: "latency", kind: pqDouble, optional: true, enc: format.ByteStreamSplit},
		{name: "slo_miss", kind: pqBool},
		{name: "spend_usd", kind: pqDouble, enc: format.ByteStreamSplit},
	}
	for _, name := range timelineColumns[tcForecast:] {
		cols = append(cols, pqColumn{name: name, kind: pqDouble, optional: true})
	}
	return cols
}()

// timelineCreatedBy is the file's created_by.
const timelineCreatedBy = "omnixan reports"

// TimelineWriter writes timeline.parquet: one row per step per policy, in
// policy order, each policy's rows in time order. The columns are
//
//	time         INT64 TIMESTAMP(NANOS, UTC)  start of the step
//	policy       STRING                       the policy's report name
//	demand       DOUBLE                       mean arrival rate, req/s
//	capacity     DOUBLE                       ready instances × capacity of one, req/s
//	ready        INT64                        instances serving at the end of the step
//	pending      INT64                        instances billed but still starting
//	utilization  DOUBLE                       served ÷ ready capacity, in [0, 1]
//	latency      DOUBLE, optional             latency at the SLO quantile, s; null when unbounded (overloaded: +Inf in sim.StepRecord)
//	slo_miss     BOOLEAN                      the step broke the objective
//	spend_usd    DOUBLE                       cost accrued from the start to the end of the step, USD, before billing rounding
//	forecast     DOUBLE, optional             forecast mean arrival rate due at the step, req/s (sim.StepRecord.Forecast)
//	lower_80, upper_80, lower_95, upper_95    DOUBLE, optional: its 80% and 95% intervals, req/s
//
// The forecast columns are null for a policy that does not forecast and
// before its first forecast comes due. Pandas, DuckDB, Polars and Spark
// read all of these types natively.
//
// The file uses only common Parquet: row groups of 128 Ki rows, data
// pages v1 of 16 Ki rows, time DELTA_BINARY_PACKED (regular steps take
// next to nothing), demand, utilization, latency and spend_usd
// BYTE_STREAM_SPLIT (bytes of a significance together, which compress),
// policy a dictionary of the one name and RLE runs of its index, the
// rest PLAIN, definition levels in the RLE/bit-packed hybrid, pages
// SNAPPY-compressed, and per column chunk the null count and min/max
// statistics. Time and those four doubles keep the encodings parquet-go
// gave them. The encoder (pq.go) is written for this one schema:
// parquet-go's row writer spent several times the simulation's own cost
// per step shredding rows.
//
// Memory does not grow with the run: each policy buffers one page of
// rows and one row group of compressed pages (in blocks it reuses), and
// writes its row groups to its own temporary file next to the final one.
// Close appends the others' row groups, in policy order, to the first
// policy's file, writes the footer and renames that file to the final
// name. So the output is the same bytes whatever the goroutine
// scheduling, and no file appears under the final name until it is
// complete.
//
// Record is safe to call from several goroutines at once; each policy has
// its own lock, so policies running in parallel do not wait on each other.
// Close and Abort must not run concurrently with Record.
type TimelineWriter struct {
	path     string
	capacity float64
	sinks    []*timelineSink
	names    []string // the sinks' policies
	byName   map[string]*timelineSink
	done     bool
}

// timelineSink holds one policy's part of the file: the page being
// filled, column by column, and the compressed pages of the row group
// being filled.
type timelineSink struct {
	mu   sync.Mutex
	name string
	f    *os.File
	off  int64 // bytes written to f

	// The current page's n rows. Bitmaps hold a bit per row, LSB first;
	// optional columns hold only their non-null values: lat nLat of
	// them, the forecast columns nFc each.
	n                     int
	time, ready, pending  []int64
	demand, capacity      []float64
	utilization, spendUSD []float64
	miss, latDef, fcDef   []byte
	lat                   []float64
	fc                    [5][]float64
	nLat, nFc             int

	enc       *pqEncoder
	chunks    [tcCount]pqChunk
	rgRows    int               // rows in chunks
	rowGroups []format.RowGroup // written to f, offsets relative to its start
	spend     float64
	err       error // the first error, returned by Close
}

func newTimelineSink(name string, f *os.File) *timelineSink {
	s := &timelineSink{name: name, f: f, enc: newPQEncoder(),
		time: make([]int64, pqPageRows), ready: make([]int64, pqPageRows), pending: make([]int64, pqPageRows),
		demand: make([]float64, pqPageRows), capacity: make([]float64, pqPageRows),
		utilization: make([]float64, pqPageRows), spendUSD: make([]float64, pqPageRows),
		miss: make([]byte, pqPageRows/8), latDef: make([]byte, pqPageRows/8), fcDef: make([]byte, pqPageRows/8),
		lat: make([]float64, pqPageRows)}
	for i := range s.fc {
		s.fc[i] = make([]float64, pqPageRows)
	}
	for i := range s.chunks {
		s.chunks[i].enc = timelineSchema[i].enc
	}
	return s
}

// NewTimelineWriter returns a writer of path for the given policies, in
// the order their rows will appear; capacity is the req/s one ready
// instance serves. Call Close to write the file or Abort to give it up;
// either removes the temporary files.
func NewTimelineWriter(path string, capacity float64, policies []string) (*TimelineWriter, error) {
	if len(policies) == 0 {
		return nil, errors.New("reports: timeline of no policies")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	w := &TimelineWriter{path: path, capacity: capacity, byName: map[string]*timelineSink{}}
	for i, name := range policies {
		if w.byName[name] != nil {
			w.Abort()
			return nil, fmt.Errorf("reports: timeline: policy %q named twice", name)
		}
		f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".part*")
		if err != nil {
			w.Abort()
			return nil, err
		}
		s := newTimelineSink(name, f)
		w.sinks = append(w.sinks, s)
		w.names = append(w.names, name)
		w.byName[name] = s
		if i == 0 { // the file that becomes the output starts it
			s.off, s.err = int64(len(pqMagic)), writeAll(f, []byte(pqMagic))
		}
	}
	return w, nil
}

func writeAll(f *os.File, b []byte) error {
	_, err := f.Write(b)
	return err
}

// Record adds the step r of policy, which must be one of those given to
// NewTimelineWriter; a policy's steps must come in time order. Errors
// are kept and returned by Close.
func (w *TimelineWriter) Record(policy string, r sim.StepRecord) {
	s := w.sink(policy)
	if s == nil {
		panic(fmt.Sprintf("reports: timeline: unknown policy %q", policy))
	}
	s.mu.Lock()
	if s.err == nil {
		s.add(w.capacity, &r)
	}
	s.mu.Unlock()
}

// sink returns policy's sink, nil if none. The few policies of a run are
// looked up by comparing names, cheaper than hashing the name: a caller
// passes the same string each time, which compares equal at a glance.
// The names are a slice of their own: reading them from the sinks would
// share cache lines with other goroutines' writes to those sinks.
func (w *TimelineWriter) sink(policy string) *timelineSink {
	if len(w.names) > 8 {
		return w.byName[policy]
	}
	for i, name := range w.names {
		if name == policy {
			return w.sinks[i]
		}
	}
	return nil
}

func (s *timelineSink) add(capacity float64, r *sim.StepRecord) {
	i := s.n
	s.spend += r.Cost
	s.time[i] = r.Time.UnixNano()
	s.demand[i] = r.Demand
	s.capacity[i] = float64(r.Ready) * capacity
	s.ready[i] = int64(r.Ready)
	s.pending[i] = int64(r.Provisioned - r.Ready)
	s.utilization[i] = r.Utilization
	s.spendUSD[i] = s.spend
	bit := byte(1) << (i & 7)
	if r.Miss {
		s.miss[i>>3] |= bit
	}
	if !math.IsInf(r.Latency, 0) && !math.IsNaN(r.Latency) {
		s.lat[s.nLat] = r.Latency
		s.nLat++
		s.latDef[i>>3] |= bit
	}
	if r.HasForecast {
		k := s.nFc
		s.fc[0][k], s.fc[1][k], s.fc[2][k], s.fc[3][k], s.fc[4][k] = r.Forecast, r.Lower80, r.Upper80, r.Lower95, r.Upper95
		s.nFc++
		s.fcDef[i>>3] |= bit
	}
	if s.n++; s.n == pqPageRows {
		s.flushPage()
	}
}

// flushPage encodes the current page into the row group's chunks, and
// writes the row group when full.
func (s *timelineSink) flushPage() {
	n := s.n
	if n == 0 || s.err != nil {
		return
	}
	e := s.enc
	page := func(c int, body []byte, nulls int) {
		if s.err == nil {
			s.err = e.page(&s.chunks[c], body, n, nulls)
		}
	}
	int64s := func(c int, vals []int64) {
		s.chunks[c].int64s(vals)
		if timelineSchema[c].enc == format.DeltaBinaryPacked {
			page(c, pqDelta(e, vals), 0)
		} else {
			page(c, pqPlain(e, vals), 0)
		}
	}
	doubles := func(c int, vals []float64) []byte {
		s.chunks[c].float64s(vals)
		if timelineSchema[c].enc == format.ByteStreamSplit {
			return pqSplit(e, vals)
		}
		return pqPlain(e, vals)
	}
	float64s := func(c int, vals []float64) {
		page(c, doubles(c, vals), 0)
	}
	optional := func(c int, def []byte, vals []float64) {
		e.levels(def, n, len(vals))
		e.body = append(e.body, doubles(c, vals)...)
		page(c, e.body, n-len(vals))
	}
	int64s(tcTime, s.time[:n])
	if s.err == nil {
		s.err = e.constant(&s.chunks[tcPolicy], s.name, n)
	}
	float64s(tcDemand, s.demand[:n])
	float64s(tcCapacity, s.capacity[:n])
	int64s(tcReady, s.ready[:n])
	int64s(tcPending, s.pending[:n])
	float64s(tcUtilization, s.utilization[:n])
	optional(tcLatency, s.latDef, s.lat[:s.nLat])
	e.body = e.body[:0]
	e.bools(&s.chunks[tcSLOMiss], s.miss, n)
	page(tcSLOMiss, e.body, 0)
	float64s(tcSpend, s.spendUSD[:n])
	for k := range s.fc {
		optional(tcForecast+k, s.fcDef, s.fc[k][:s.nFc])
	}
	clear(s.miss)
	clear(s.latDef)
	clear(s.fcDef)
	s.n, s.nLat, s.nFc = 0, 0, 0
	if s.rgRows += n; s.rgRows >= timelineRowGroup {
		s.flushRowGroup()
	}
}

// flushRowGroup writes the row group's chunks to the sink's file.
func (s *timelineSink) flushRowGroup() {
	if s.rgRows == 0 || s.err != nil {
		return
	}
	rg := format.RowGroup{NumRows: int64(s.rgRows), FileOffset: s.off, Columns: make([]format.ColumnChunk, tcCount)}
	for i := range s.chunks {
		c := &s.chunks[i]
		rg.Columns[i] = c.meta(&timelineSchema[i], s.off)
		n := c.buf.n
		if s.err = c.buf.writeTo(s.f, &s.enc.free); s.err != nil {
			return
		}
		s.off += n
		rg.TotalByteSize += c.uncompressed
		rg.TotalCompressedSize += n
		c.reset()
	}
	s.rowGroups = append(s.rowGroups, rg)
	s.rgRows = 0
}

// Close writes the file: every policy's rows, in the order the policies
// were given. The first policy's temporary file becomes the output: the
// other policies' files, which hold nothing but their row groups, are
// appended to it, their offsets in the footer moved by where they land,
// then the footer is written and the file renamed into place. So only
// the rows of the policies after the first are written twice. It removes
// the temporary files, also on error.
func (w *TimelineWriter) Close() error {
	if w.done {
		return errors.New("reports: timeline writer already closed")
	}
	defer w.Abort()
	var errs []error
	for _, s := range w.sinks {
		s.flushPage()
		s.flushRowGroup()
		errs = append(errs, s.err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("writing %s: %w", w.path, err)
	}
	if err := w.assemble(); err != nil {
		return fmt.Errorf("writing %s: %w", w.path, err)
	}
	f := w.sinks[0].f
	if err := os.Rename(f.Name(), w.path); err != nil {
		return err
	}
	w.sinks[0].f = nil // renamed: nothing for Abort to remove
	return nil
}

// assemble appends the other policies' row groups and the footer to the
// first policy's file, and closes it.
func (w *TimelineWriter) assemble() error {
	f := w.sinks[0].f
	off := w.sinks[0].off
	groups := w.sinks[0].rowGroups
	for _, s := range w.sinks[1:] {
		if _, err := s.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		n, err := io.Copy(f, s.f)
		if err == nil && n != s.off {
			err = fmt.Errorf("copied %d of %d bytes of %s", n, s.off, s.f.Name())
		}
		if err != nil {
			return err
		}
		for _, rg := range s.rowGroups {
			rg.FileOffset += off
			for i := range rg.Columns {
				rg.Columns[i].FileOffset += off
				rg.Columns[i].MetaData.DataPageOffset += off
				if timelineSchema[i].kind == pqString { // the one with a dictionary
					rg.Columns[i].MetaData.DictionaryPageOffset += off
				}
			}
			groups = append(groups, rg)
		}
		off += s.off
	}
	for i := range groups {
		groups[i].Ordinal = int16(i) // wraps only past 4 Gi rows
	}
	footer, err := pqFooter(pqSchema("schema", timelineSchema), groups, timelineCreatedBy)
	if err == nil {
		err = writeAll(f, footer)
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Abort gives up the file and removes the temporary files. It is safe to
// call after Close, and more than once.
func (w *TimelineWriter) Abort() {
	w.done = true
	for _, s := range w.sinks {
		if s.f != nil {
			s.f.Close()
			os.Remove(s.f.Name())
			s.f = nil
		}
	}
}
