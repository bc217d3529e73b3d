package reports

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
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

const (
	colTime = iota
	colPolicy
	colDemand
	colCapacity
	colReady
	colPending
	colUtilization
	colLatency
	colMiss
	colSpend
	colForecast // then lower_80 … upper_95
)

// timelineBatch is the number of rows a policy buffers before handing
// them to parquet-go, and timelineRowGroup the rows per row group: they
// bound the writer's memory per policy.
const (
	timelineBatch    = 1024
	timelineRowGroup = 128 << 10
)

// orderedGroup is a Parquet group whose fields keep the order given;
// parquet.Group sorts them by name.
type orderedGroup struct {
	parquet.Group
	order []string
}

func (g orderedGroup) Fields() []parquet.Field {
	fields := slices.Clone(g.Group.Fields())
	rank := func(name string) int { return slices.Index(g.order, name) }
	slices.SortStableFunc(fields, func(a, b parquet.Field) int { return rank(a.Name()) - rank(b.Name()) })
	return fields
}

func timelineSchema() *parquet.Schema {
	double := parquet.Leaf(parquet.DoubleType)
	nodes := []parquet.Node{
		parquet.Encoded(parquet.Timestamp(parquet.Nanosecond), &parquet.DeltaBinaryPacked),
		parquet.Encoded(parquet.String(), &parquet.RLEDictionary),
		double, double,
		parquet.Int(64), parquet.Int(64),
		double,
		parquet.Optional(double),
		parquet.Leaf(parquet.BooleanType),
		double,
	}
	for range 5 {
		nodes = append(nodes, parquet.Optional(double))
	}
	g := make(parquet.Group, len(timelineColumns))
	for i, n := range timelineColumns {
		g[n] = nodes[i]
	}
	return parquet.NewSchema("timeline", orderedGroup{Group: g, order: timelineColumns})
}

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
// own temporary Parquet file next to the final one, and Close splices
// those, in policy order, into a temporary file that it renames to the
// final name. So the output is the same bytes whatever the goroutine
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
	name  []byte
	f     *os.File
	pw    *parquet.Writer
	batch []parquet.Row
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
		s := &timelineSink{name: []byte(name), f: f, pw: w.newWriter(f), batch: makeRows(timelineBatch, len(timelineColumns))}
		w.sinks = append(w.sinks, s)
		w.byName[name] = s
	}
	return w, nil
}

func (w *TimelineWriter) newWriter(out io.Writer) *parquet.Writer {
	return parquet.NewWriter(out, w.schema,
		parquet.Compression(&parquet.Snappy),
		parquet.MaxRowsPerRowGroup(timelineRowGroup),
		parquet.CreatedBy("omnixan reports", "", ""))
}

func makeRows(n, width int) []parquet.Row {
	vals := make([]parquet.Value, n*width)
	rows := make([]parquet.Row, n)
	for i := range rows {
		rows[i] = vals[i*width : (i+1)*width : (i+1)*width]
	}
	return rows
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
	row := s.batch[s.n]
	row[colTime] = parquet.Int64Value(r.Time.UnixNano()).Level(0, 0, colTime)
	row[colPolicy] = parquet.ByteArrayValue(s.name).Level(0, 0, colPolicy)
	row[colDemand] = parquet.DoubleValue(r.Demand).Level(0, 0, colDemand)
	row[colCapacity] = parquet.DoubleValue(float64(r.Ready)*w.capacity).Level(0, 0, colCapacity)
	row[colReady] = parquet.Int64Value(int64(r.Ready)).Level(0, 0, colReady)
	row[colPending] = parquet.Int64Value(int64(r.Provisioned-r.Ready)).Level(0, 0, colPending)
	row[colUtilization] = parquet.DoubleValue(r.Utilization).Level(0, 0, colUtilization)
	row[colLatency] = optional(r.Latency, !math.IsInf(r.Latency, 0) && !math.IsNaN(r.Latency), colLatency)
	row[colMiss] = parquet.BooleanValue(r.Miss).Level(0, 0, colMiss)
	row[colSpend] = parquet.DoubleValue(s.spend).Level(0, 0, colSpend)
	for i, v := range [...]float64{r.Forecast, r.Lower80, r.Upper80, r.Lower95, r.Upper95} {
		row[colForecast+i] = optional(v, r.HasForecast, colForecast+i)
	}
	s.rows++
	if s.n++; s.n == len(s.batch) {
		s.flush()
	}
}

func optional(v float64, ok bool, col int) parquet.Value {
	if !ok {
		return parquet.NullValue().Level(0, 0, col)
	}
	return parquet.DoubleValue(v).Level(0, 1, col)
}

func (s *timelineSink) flush() {
	if s.n == 0 || s.err != nil {
		return
	}
	_, s.err = s.pw.WriteRows(s.batch[:s.n])
	s.n = 0
}

// Close writes the file: every policy's rows, in the order the policies
// were given, under a temporary name renamed into place. It removes the
// temporary files, also on error.
func (w *TimelineWriter) Close() error {
	if w.done {
		return errors.New("reports: timeline writer already closed")
	}
	defer w.Abort()
	var errs []error
	for _, s := range w.sinks {
		s.flush()
		if err := s.pw.Close(); s.err == nil {
			s.err = err
		}
		errs = append(errs, s.err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("writing %s: %w", w.path, err)
	}
	return WriteFile(w.path, func(out io.Writer) error {
		pw := w.newWriter(out)
		for _, s := range w.sinks {
			st, err := s.f.Stat()
			if err != nil {
				return err
			}
			pf, err := parquet.OpenFile(s.f, st.Size())
			if err != nil {
				return err
			}
			for _, rg := range pf.RowGroups() {
				if _, err := pw.WriteRowGroup(rg); err != nil {
					return err
				}
			}
		}
		return pw.Close()
	})
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
