package reports

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/parquet-go/parquet-go"

	"github.com/omnixan/omnixan/sim"
)

// TimelineFile is the name of the per-step Parquet file in a report
// directory.
const TimelineFile = "timeline.parquet"

// timelineColumns are the columns of timeline.parquet, in file order. See
// NewTimelineWriter for their types and units.
var timelineColumns = []string{
	"time", "policy", "demand", "capacity", "ready", "pending", "utilization",
	"latency", "slo_miss", "spend_usd",
	"forecast", "lower_80", "upper_80", "lower_95", "upper_95",
}

// timelineBatch is the number of rows a policy buffers before handing
// them to parquet-go, and timelineRowGroup the rows per row group: they
// bound the writer's memory per policy.
const (
	timelineBatch    = 1024
	timelineRowGroup = 128 << 10
)

// timelineRecord is one row of timeline.parquet. Writing structs lets
// parquet-go copy each column straight from the batch (its fast path for
// a schema equal to the type's), where building a parquet.Row of Values
// per step cost more than the simulation itself. Optional columns are
// pointers into the sink's opt array, so a batch allocates nothing.
type timelineRecord struct {
	Time        int64    `parquet:"time,timestamp(nanosecond),delta"`
	Policy      string   `parquet:"policy,dict"`
	Demand      float64  `parquet:"demand,split"`
	Capacity    float64  `parquet:"capacity,dict"`
	Ready       int64    `parquet:"ready,dict"`
	Pending     int64    `parquet:"pending,dict"`
	Utilization float64  `parquet:"utilization,split"`
	Latency     *float64 `parquet:"latency,optional,split"`
	SLOMiss     bool     `parquet:"slo_miss"`
	SpendUSD    float64  `parquet:"spend_usd,split"`
	Forecast    *float64 `parquet:"forecast,optional"`
	Lower80     *float64 `parquet:"lower_80,optional"`
	Upper80     *float64 `parquet:"upper_80,optional"`
	Lower95     *float64 `parquet:"lower_95,optional"`
	Upper95     *float64 `parquet:"upper_95,optional"`
}

func timelineSchema() *parquet.Schema { return parquet.SchemaOf(timelineRecord{}) }

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
// Memory does not grow with the run: each policy streams its rows to its
// own temporary Parquet file next to the final one, and Close appends
// the others' row groups, in policy order, to the first policy's file and
// renames that to the final name. So the output is the same bytes whatever the goroutine
// scheduling, and no file appears under the final name until it is
// complete.
//
// Record is safe to call from several goroutines at once; each policy has
// its own lock, so policies running in parallel do not wait on each other.
// Close and Abort must not run concurrently with Record.
type TimelineWriter struct {
	path     string
	capacity float64
	schema   *parquet.Schema
	sinks    []*timelineSink
	byName   map[string]*timelineSink
	done     bool
}

// timelineSink holds one policy's part of the file.
type timelineSink struct {
	mu    sync.Mutex
	name  string
	f     *os.File
	pw    *parquet.GenericWriter[timelineRecord]
	batch []timelineRecord
	opt   [][6]float64 // the optional values of batch, pointed to
	n     int
	spend float64
	rows  int64
	err   error // the first error, returned by Close
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
	w := &TimelineWriter{path: path, capacity: capacity, schema: timelineSchema(), byName: map[string]*timelineSink{}}
	for _, name := range policies {
		if w.byName[name] != nil {
			w.Abort()
			return nil, fmt.Errorf("reports: timeline: policy %q named twice", name)
		}
		f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".part*")
		if err != nil {
			w.Abort()
			return nil, err
		}
		s := &timelineSink{name: name, f: f, pw: parquet.NewGenericWriter[timelineRecord](f, w.options()...),
			batch: make([]timelineRecord, timelineBatch), opt: make([][6]float64, timelineBatch)}
		w.sinks = append(w.sinks, s)
		w.byName[name] = s
	}
	return w, nil
}

func (w *TimelineWriter) options() []parquet.WriterOption {
	return []parquet.WriterOption{w.schema,
		parquet.Compression(&parquet.Snappy),
		parquet.MaxRowsPerRowGroup(timelineRowGroup),
		parquet.CreatedBy("omnixan reports", "", "")}
}

// Record adds the step r of policy, which must be one of those given to
// NewTimelineWriter; a policy's steps must come in time order. Errors
// are kept and returned by Close.
func (w *TimelineWriter) Record(policy string, r sim.StepRecord) {
	s := w.byName[policy]
	if s == nil {
		panic(fmt.Sprintf("reports: timeline: unknown policy %q", policy))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return
	}
	s.spend += r.Cost
	opt := &s.opt[s.n]
	*opt = [6]float64{r.Latency, r.Forecast, r.Lower80, r.Upper80, r.Lower95, r.Upper95}
	row := &s.batch[s.n]
	*row = timelineRecord{
		Time: r.Time.UnixNano(), Policy: s.name, Demand: r.Demand, Capacity: float64(r.Ready) * w.capacity,
		Ready: int64(r.Ready), Pending: int64(r.Provisioned - r.Ready), Utilization: r.Utilization,
		SLOMiss: r.Miss, SpendUSD: s.spend,
	}
	if !math.IsInf(r.Latency, 0) && !math.IsNaN(r.Latency) {
		row.Latency = &opt[0]
	}
	if r.HasForecast {
		row.Forecast, row.Lower80, row.Upper80, row.Lower95, row.Upper95 = &opt[1], &opt[2], &opt[3], &opt[4], &opt[5]
	}
	s.rows++
	if s.n++; s.n == len(s.batch) {
		s.flush()
	}
}

func (s *timelineSink) flush() {
	if s.n == 0 || s.err != nil {
		return
	}
	_, s.err = s.pw.Write(s.batch[:s.n])
	s.n = 0
}

// Close writes the file: every policy's rows, in the order the policies
// were given. The first policy's temporary file becomes the output: the
// other policies' row groups are copied after its own (compressed pages
// spliced in as they are), and the file is renamed into place. So only
// the rows of the policies after the first are written twice. It removes
// the temporary files, also on error.
func (w *TimelineWriter) Close() error {
	if w.done {
		return errors.New("reports: timeline writer already closed")
	}
	defer w.Abort()
	first := w.sinks[0]
	var errs []error
	for _, s := range w.sinks[1:] {
		s.flush()
		if err := s.pw.Close(); s.err == nil {
			s.err = err
		}
		errs = append(errs, s.err)
	}
	first.flush()
	if first.err == nil {
		first.err = first.pw.Flush()
	}
	if err := errors.Join(append(errs, first.err)...); err != nil {
		return fmt.Errorf("writing %s: %w", w.path, err)
	}
	for _, s := range w.sinks[1:] {
		st, err := s.f.Stat()
		if err != nil {
			return fmt.Errorf("writing %s: %w", w.path, err)
		}
		pf, err := parquet.OpenFile(s.f, st.Size())
		if err != nil {
			return fmt.Errorf("writing %s: %w", w.path, err)
		}
		for _, rg := range pf.RowGroups() {
			if _, err := first.pw.WriteRowGroup(rg); err != nil {
				return fmt.Errorf("writing %s: %w", w.path, err)
			}
		}
	}
	f := first.f
	err := first.pw.Close()
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", w.path, err)
	}
	if err := os.Rename(f.Name(), w.path); err != nil {
		return err
	}
	first.f = nil // renamed: nothing for Abort to remove
	return nil
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
