package traces

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Job is one quantum job of a job trace: when it was submitted and what it
// asks for.
type Job struct {
	// Submit is the submission time, in UTC when read from a file.
	Submit time.Time
	// Qubits is the number of qubits the circuit needs (≥ 1).
	Qubits int
	// Shots is the number of repetitions (≥ 1).
	Shots int
	// Depth is the circuit depth in layers of gates (≥ 0).
	Depth int
	// Circuits is the number of circuits in the job (its batch size), each
	// run Shots times; 0 means 1 (a trace without a circuits column).
	// Readers give ≥ 1 from a circuits column and 0 without one; writers
	// write 0 as 1.
	Circuits int
	// Backend names the backend the job was sent to; "" when the trace has
	// no backend column (or, in Parquet, a null).
	Backend string
}

// JobReader streams a quantum job trace. JobReaders are not safe for
// concurrent use.
type JobReader interface {
	// Next fills job with the next job. It returns io.EOF after the last
	// one, a *ParseError for invalid input, and the same error again on
	// every later call.
	Next(job *Job) error
	// Close releases the reader; it closes the file only if the reader owns
	// it (OpenJobs).
	Close() error
}

// JobWriter writes a quantum job trace. JobWriters are not safe for
// concurrent use.
type JobWriter interface {
	// Write appends a job. Submission times must not decrease.
	Write(Job) error
	// Close flushes buffered data and finishes the file. It closes the
	// underlying io.Writer only for writers made by CreateJobs.
	Close() error
}

// Job-trace column names. Readers look the columns up by name (exactly,
// then case-insensitively), in any order, and ignore extra columns; the
// submission time may also be called "timestamp" or "time".
const (
	ColSubmitTime = "submit_time"
	ColQubits     = "qubits"
	ColShots      = "shots"
	ColDepth      = "depth"
	ColCircuits   = "circuits"
	ColBackend    = "backend"
)

var submitCandidates = []string{ColSubmitTime, "timestamp", "time"}

// OpenJobs opens the job trace at path, choosing the format by extension
// (.csv or .parquet). The reader owns the file and closes it on Close.
func OpenJobs(path string) (JobReader, error) {
	return openFile(path,
		func(f *os.File) (JobReader, error) {
			jr, err := newJobCSVReader(path, f)
			if err != nil {
				return nil, err
			}
			jr.closer = f
			return jr, nil
		},
		func(f *os.File, size int64) (JobReader, error) {
			jr, err := newJobParquetReader(path, f, size)
			if err != nil {
				return nil, err
			}
			jr.closer = f
			return jr, nil
		})
}

// CreateJobs creates (or truncates) the job trace at path, choosing the
// format by extension (.csv or .parquet). The writer owns the file.
func CreateJobs(path string, withBackend bool) (JobWriter, error) {
	format, err := formatOf(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	switch format {
	case formatCSV:
		w := newJobCSVWriter(f, withBackend)
		w.closer = f
		return w, nil
	default:
		w := newJobParquetWriter(f, withBackend)
		w.closer = f
		return w, nil
	}
}

// checkJob validates the fields of a job; it returns the column at fault.
func checkJob(j *Job) (string, error) {
	switch {
	case j.Qubits < 0:
		return ColQubits, errorf(ErrNegative, "%d", j.Qubits)
	case j.Qubits == 0:
		return ColQubits, errorf(ErrMalformed, "qubits must be at least 1")
	case j.Shots < 0:
		return ColShots, errorf(ErrNegative, "%d", j.Shots)
	case j.Shots == 0:
		return ColShots, errorf(ErrMalformed, "shots must be at least 1")
	case j.Depth < 0:
		return ColDepth, errorf(ErrNegative, "%d", j.Depth)
	case j.Circuits < 0:
		return ColCircuits, errorf(ErrNegative, "%d", j.Circuits)
	}
	return "", nil
}

// checkCircuits validates a value read from a circuits column: unlike
// Job.Circuits, where 0 stands for a trace without the column, a value the
// file states must be at least 1.
func checkCircuits(n int) error {
	switch {
	case n < 0:
		return errorf(ErrNegative, "%d", n)
	case n == 0:
		return errorf(ErrMalformed, "circuits must be at least 1")
	}
	return nil
}

// writtenCircuits is the circuits value a writer puts in the file: the
// job's own, with 0 (which means 1) written as 1.
func writtenCircuits(j *Job) int64 {
	return int64(max(j.Circuits, 1))
}

// checkJobOrder allows ties: several jobs may be submitted at once.
func checkJobOrder(prev, t time.Time, first bool) error {
	if !first && t.Before(prev) {
		return errorf(ErrOutOfOrder, "%s before %s", t.Format(time.RFC3339Nano), prev.Format(time.RFC3339Nano))
	}
	return nil
}

// parseCount parses a job's integer field: a decimal integer, or a float
// with an integral value (as pandas writes integer columns that held NaN).
func parseCount(s string) (int, error) {
	if s == "" {
		return 0, errorf(ErrMalformed, "empty value")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return int(n), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return 0, fmt.Errorf("%w: bad integer %q", ErrMalformed, s)
	}
	return floatCount(f)
}

func floatCount(f float64) (int, error) {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return 0, errorf(ErrNotFinite, "%v", f)
	case f != math.Trunc(f):
		return 0, errorf(ErrMalformed, "%v is not an integer", f)
	case f >= 1<<62 || f <= -(1<<62):
		return 0, errorf(ErrMalformed, "%v out of range", f)
	}
	return int(f), nil
}

// jobCSVReader reads a job trace from CSV.
type jobCSVReader struct {
	src    *csvSource
	idx    [6]int // submit, qubits, shots, depth, backend, circuits (-1 if absent)
	prev   time.Time
	rows   int
	err    error
	closer io.Closer
	closed bool
}

var _ JobReader = (*jobCSVReader)(nil)

// NewJobCSVReader returns a JobReader for a CSV job trace read from r; name
// is used in errors. The header must name submit_time (or timestamp, or
// time), qubits, shots and depth; circuits and backend are optional; other
// columns are ignored. Times are parsed as in NewCSVReader; submission
// times must not decrease. Counts are decimal integers (integral floats
// such as "8192.0" are accepted); a circuits value must be at least 1
// (an empty one is an error), and without the column Job.Circuits is 0,
// which means 1. Close does not close r.
func NewJobCSVReader(name string, r io.Reader) (JobReader, error) {
	jr, err := newJobCSVReader(name, r)
	if err != nil {
		return nil, err
	}
	return jr, nil
}

func newJobCSVReader(name string, r io.Reader) (*jobCSVReader, error) {
	src, err := newCSVSource(name, r)
	if err != nil {
		return nil, err
	}
	jr := &jobCSVReader{src: src}
	for i, cands := range [][]string{submitCandidates, {ColQubits}, {ColShots}, {ColDepth}} {
		jr.idx[i] = findColumn(src.header, cands...)
		if jr.idx[i] < 0 {
			return nil, &ParseError{File: name, Line: 1, Column: cands[0], Err: errorf(ErrMissingColumn, "job traces need %s, %s, %s and %s", ColSubmitTime, ColQubits, ColShots, ColDepth)}
		}
	}
	jr.idx[4] = findColumn(src.header, ColBackend)
	jr.idx[5] = findColumn(src.header, ColCircuits)
	return jr, nil
}

func (r *jobCSVReader) Next(job *Job) error {
	if r.closed {
		return ErrClosed
	}
	if r.err != nil {
		return r.err
	}
	r.err = r.next(job)
	return r.err
}

func (r *jobCSVReader) next(job *Job) error {
	rec, err := r.src.read()
	if err != nil {
		return err
	}
	h := r.src.header
	t, err := parseTime(rec[r.idx[0]])
	if err != nil {
		return r.src.errAt(r.idx[0], h[r.idx[0]], err)
	}
	if err := checkJobOrder(r.prev, t, r.rows == 0); err != nil {
		return r.src.errAt(r.idx[0], h[r.idx[0]], err)
	}
	var j Job
	j.Submit = t
	for k, p := range []*int{&j.Qubits, &j.Shots, &j.Depth} {
		i := r.idx[k+1]
		if *p, err = parseCount(rec[i]); err != nil {
			return r.src.errAt(i, h[i], err)
		}
	}
	if col, err := checkJob(&j); err != nil {
		i := findColumn(h, col)
		return r.src.errAt(i, h[i], err)
	}
	if i := r.idx[5]; i >= 0 {
		if j.Circuits, err = parseCount(rec[i]); err == nil {
			err = checkCircuits(j.Circuits)
		}
		if err != nil {
			return r.src.errAt(i, h[i], err)
		}
	}
	if i := r.idx[4]; i >= 0 {
		j.Backend = rec[i]
	}
	*job = j
	r.prev = t
	r.rows++
	return nil
}

func (r *jobCSVReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return closeIf(r.closer)
}

// jobParquetReader reads a job trace from Parquet.
type jobParquetReader struct {
	src         *pqSource
	cols        [4]*pqColumn
	circuits    *pqColumn
	backend     *pqColumn
	lastBackend string
	prev        time.Time
	rows        int
	err         error
	closer      io.Closer
	closed      bool
}

var _ JobReader = (*jobParquetReader)(nil)

// NewJobParquetReader returns a JobReader for a Parquet job trace of size
// bytes read from r; name is used in errors. Columns are found by name as
// in NewJobCSVReader. submit_time takes the types a load-trace timestamp
// may have (see NewParquetReader); qubits, shots and depth, and circuits
// if present, are integers (or floats with integral values), where null is
// an error; circuits values must be at least 1, and without the column
// Job.Circuits is 0, which means 1; backend, if present, is a string
// column, where null means "". Close does not close r.
func NewJobParquetReader(name string, r io.ReaderAt, size int64) (JobReader, error) {
	jr, err := newJobParquetReader(name, r, size)
	if err != nil {
		return nil, err
	}
	return jr, nil
}

func newJobParquetReader(name string, r io.ReaderAt, size int64) (jr *jobParquetReader, err error) {
	defer guardOpen(name, &err)
	src, err := openParquetSource(name, r, size)
	if err != nil {
		return nil, err
	}
	names := src.leafNames()
	jr = &jobParquetReader{src: src}
	for k, cands := range [][]string{submitCandidates, {ColQubits}, {ColShots}, {ColDepth}} {
		i := findColumn(names, cands...)
		if i < 0 {
			return nil, &ParseError{File: name, Column: cands[0], Err: errorf(ErrMissingColumn, "job traces need %s, %s, %s and %s", ColSubmitTime, ColQubits, ColShots, ColDepth)}
		}
		c, err := src.use(i)
		if err != nil {
			return nil, err
		}
		ok := c.kind != pqSkip
		if k > 0 {
			ok = c.kind >= pqInt && c.kind <= pqDouble
		}
		if !ok {
			return nil, &ParseError{File: name, Column: c.name, Err: errorf(ErrMalformed, "unsupported column type %s", typeName(src.leaves[i].node))}
		}
		jr.cols[k] = c
	}
	if i := findColumn(names, ColCircuits); i >= 0 {
		c, err := src.use(i)
		if err != nil {
			return nil, err
		}
		if c.kind < pqInt || c.kind > pqDouble {
			return nil, &ParseError{File: name, Column: c.name, Err: errorf(ErrMalformed, "unsupported column type %s", typeName(src.leaves[i].node))}
		}
		jr.circuits = c
	}
	if i := findColumn(names, ColBackend); i >= 0 {
		c, err := src.use(i)
		if err != nil {
			return nil, err
		}
		if c.kind != pqString {
			return nil, &ParseError{File: name, Column: c.name, Err: errorf(ErrMalformed, "backend must be a string column, not %s", typeName(src.leaves[i].node))}
		}
		jr.backend = c
	}
	return jr, nil
}

func (r *jobParquetReader) Next(job *Job) error {
	if r.closed {
		return ErrClosed
	}
	if r.err != nil {
		return r.err
	}
	r.err = r.next(job)
	return r.err
}

func (r *jobParquetReader) next(job *Job) error {
	if err := r.src.next(); err != nil {
		return err
	}
	tc := r.cols[0]
	t, err := tc.time()
	if err != nil {
		return r.src.errAt(tc.name, err)
	}
	if err := checkJobOrder(r.prev, t, r.rows == 0); err != nil {
		return r.src.errAt(tc.name, err)
	}
	var j Job
	j.Submit = t
	for k, p := range []*int{&j.Qubits, &j.Shots, &j.Depth} {
		c := r.cols[k+1]
		if *p, err = c.count(); err != nil {
			return r.src.errAt(c.name, err)
		}
	}
	if col, err := checkJob(&j); err != nil {
		return r.src.errAt(col, err)
	}
	if c := r.circuits; c != nil {
		if j.Circuits, err = c.count(); err == nil {
			err = checkCircuits(j.Circuits)
		}
		if err != nil {
			return r.src.errAt(c.name, err)
		}
	}
	if c := r.backend; c != nil && !c.cur.IsNull() {
		if b := c.cur.ByteArray(); string(b) != r.lastBackend {
			r.lastBackend = string(b)
		}
		j.Backend = r.lastBackend
	}
	*job = j
	r.prev = t
	r.rows++
	return nil
}

func (r *jobParquetReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.src.close()
	return closeIf(r.closer)
}

// jobHeader returns the columns a job writer produces.
func jobHeader(withBackend bool) []string {
	h := []string{ColSubmitTime, ColQubits, ColShots, ColDepth, ColCircuits}
	if withBackend {
		h = append(h, ColBackend)
	}
	return h
}

// checkWriteJob validates a job given to a JobWriter.
func checkWriteJob(j Job, withBackend bool, prev time.Time, rows int) error {
	if err := checkTimeRange(j.Submit); err != nil {
		return fmt.Errorf("traces: write job %d: %w", rows+1, err)
	}
	if err := checkJobOrder(prev, j.Submit, rows == 0); err != nil {
		return fmt.Errorf("traces: write job %d: %w", rows+1, err)
	}
	if col, err := checkJob(&j); err != nil {
		return fmt.Errorf("traces: write job %d: column %q: %w", rows+1, col, err)
	}
	if !csvSafe(j.Backend) {
		return fmt.Errorf("traces: write job %d: column %q: %w: backend %q would not read back from CSV (surrounding space or CRLF)", rows+1, ColBackend, ErrMalformed, j.Backend)
	}
	if !withBackend && j.Backend != "" {
		return fmt.Errorf("traces: write job %d: %w: backend %q given to a writer without a backend column", rows+1, ErrMalformed, j.Backend)
	}
	return nil
}

// jobCSVWriter writes a job trace as CSV.
type jobCSVWriter struct {
	lineSink
	cw          *csv.Writer
	withBackend bool
	prev        time.Time
	rows        int
}

// NewJobCSVWriter returns a JobWriter that writes a CSV job trace to w with
// the header "submit_time,qubits,shots,depth,circuits" plus ",backend" when
// withBackend is set (a writer without it rejects jobs that name a
// backend). Times are RFC 3339 with nanoseconds in UTC. Circuits is
// written as the job holds it, except that 0 (which means 1) is written as
// 1, so a job read back has Circuits ≥ 1; negative Circuits is rejected.
// Close flushes but does not close w. The error is always nil; it is there
// for symmetry with NewJobParquetWriter.
func NewJobCSVWriter(w io.Writer, withBackend bool) (JobWriter, error) {
	return newJobCSVWriter(w, withBackend), nil
}

func newJobCSVWriter(w io.Writer, withBackend bool) *jobCSVWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	cw.Write(jobHeader(withBackend))
	cw.Flush()
	return &jobCSVWriter{lineSink: lineSink{bw: bw, err: cw.Error()}, cw: cw, withBackend: withBackend}
}

func (w *jobCSVWriter) Write(j Job) error {
	if err := w.ready(); err != nil {
		return err
	}
	if err := checkWriteJob(j, w.withBackend, w.prev, w.rows); err != nil {
		return err
	}
	b := j.Submit.UTC().AppendFormat(w.buf[:0], time.RFC3339Nano)
	for _, n := range [4]int64{int64(j.Qubits), int64(j.Shots), int64(j.Depth), writtenCircuits(&j)} {
		b = append(b, ',')
		b = strconv.AppendInt(b, n, 10)
	}
	if w.withBackend {
		b = append(b, ',')
		if err := w.write(b); err != nil {
			return err
		}
		// encoding/csv quotes the name if it needs it.
		w.cw.Write([]string{j.Backend})
		w.cw.Flush()
		if err := w.cw.Error(); err != nil {
			w.err = err
			return err
		}
	} else if err := w.write(append(b, '\n')); err != nil {
		return err
	}
	w.prev = j.Submit
	w.rows++
	return nil
}

// jobParquetWriter writes a job trace as Parquet.
type jobParquetWriter struct {
	rowBatch
	withBackend bool
	prev        time.Time
	rows        int
}

// NewJobParquetWriter returns a JobWriter that writes a Parquet job trace
// to w: submit_time as INT64 TIMESTAMP(NANOS, UTC), qubits, shots, depth
// and circuits as INT64, and, with withBackend, backend as a UTF-8 string,
// all required, Snappy-compressed. Circuits is written as in
// NewJobCSVWriter (0 as 1). Submission times must lie in 1677-2262. Close
// writes the footer but does not close w. The error is always nil.
func NewJobParquetWriter(w io.Writer, withBackend bool) (JobWriter, error) {
	return newJobParquetWriter(w, withBackend), nil
}

func newJobParquetWriter(w io.Writer, withBackend bool) *jobParquetWriter {
	names := jobHeader(withBackend)
	nodes := []parquet.Node{timestampNode(), parquet.Int(64), parquet.Int(64), parquet.Int(64), parquet.Int(64)}
	if withBackend {
		nodes = append(nodes, parquet.String())
	}
	pw := parquet.NewWriter(w, newOrderedSchema("jobs", names, nodes),
		parquet.Compression(&parquet.Snappy),
		parquet.MaxRowsPerRowGroup(parquetRowGroupRows),
		parquet.CreatedBy("omnixan traces", "", ""))
	return &jobParquetWriter{rowBatch: rowBatch{pw: pw, batch: makeRows(parquetBatch, len(names))}, withBackend: withBackend}
}

func (w *jobParquetWriter) Write(j Job) error {
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	if err := checkWriteJob(j, w.withBackend, w.prev, w.rows); err != nil {
		return err
	}
	if err := checkNanoRange(j.Submit); err != nil {
		return fmt.Errorf("traces: write job %d: %w", w.rows+1, err)
	}
	r := w.batch[w.n]
	r[0] = parquet.Int64Value(j.Submit.UnixNano()).Level(0, 0, 0)
	r[1] = parquet.Int64Value(int64(j.Qubits)).Level(0, 0, 1)
	r[2] = parquet.Int64Value(int64(j.Shots)).Level(0, 0, 2)
	r[3] = parquet.Int64Value(int64(j.Depth)).Level(0, 0, 3)
	r[4] = parquet.Int64Value(writtenCircuits(&j)).Level(0, 0, 4)
	if w.withBackend {
		r[5] = parquet.ByteArrayValue([]byte(j.Backend)).Level(0, 0, 5)
	}
	w.prev = j.Submit
	w.rows++
	return w.added()
}
