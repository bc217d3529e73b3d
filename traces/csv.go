package traces

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// csvSource wraps encoding/csv for the readers of this package: it trims
// fields, strips a UTF-8 byte-order mark from the header, and turns
// encoding/csv errors into *ParseError.
type csvSource struct {
	name   string
	r      *csv.Reader
	tail   *lastByteReader
	header []string
	// first holds a copy of the first data record, read ahead so that a
	// header-only input is reported as ErrEmpty by the constructor.
	first []string
}

func newCSVSource(name string, r io.Reader) (*csvSource, error) {
	tail := &lastByteReader{r: r}
	cr := csv.NewReader(tail)
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	s := &csvSource{name: name, r: cr, tail: tail}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &ParseError{File: name, Err: errorf(ErrEmpty, "no header")}
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	s.header = make([]string, len(header))
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		s.header[i] = strings.TrimSpace(h)
	}
	seen := make(map[string]bool, len(header))
	for _, h := range s.header {
		if h == "" {
			return nil, &ParseError{File: name, Line: 1, Err: errorf(ErrMalformed, "empty column name in header")}
		}
		if seen[h] {
			return nil, &ParseError{File: name, Line: 1, Column: h, Err: errorf(ErrMalformed, "duplicate column in header")}
		}
		seen[h] = true
	}
	rec, err := cr.Read()
	if err == io.EOF || (err != nil && s.tornTail()) {
		return nil, &ParseError{File: name, Err: errorf(ErrEmpty, "header but no rows")}
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	s.first = make([]string, len(rec))
	copy(s.first, rec)
	return s, nil
}

// read returns the next record with its fields trimmed; the slice is reused.
func (s *csvSource) read() ([]string, error) {
	var rec []string
	if s.first != nil {
		rec, s.first = s.first, nil
	} else {
		var err error
		rec, err = s.r.Read()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, s.wrap(err)
		}
	}
	for i, f := range rec {
		rec[i] = strings.TrimSpace(f)
	}
	return rec, nil
}

// lastByteReader remembers the last byte read, so that the source can tell
// whether its input ended with a newline.
type lastByteReader struct {
	r    io.Reader
	last byte
}

func (l *lastByteReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if n > 0 {
		l.last = p[n-1]
	}
	return n, err
}

// tornTail reports whether the record that just failed to read or parse is
// a torn last line: the last of the input, with no newline after it, as a
// crash or power loss leaves a trace that was being appended to (cmd/autoscaler
// --record). Readers end such a trace at the line before; a bad line followed
// by others, or ended by a newline, stays an error. It reads on, so call it
// only when the record is given up.
func (s *csvSource) tornTail() bool {
	if _, err := s.r.Read(); err != io.EOF {
		return false
	}
	return s.tail.last != '\n'
}

func (s *csvSource) wrap(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{File: s.name, Line: pe.Line, Err: fmt.Errorf("%w: %w", ErrMalformed, pe.Err)}
	}
	return &ParseError{File: s.name, Err: err}
}

// errAt locates err at field i of the record last returned by read.
func (s *csvSource) errAt(i int, column string, err error) error {
	line, _ := s.r.FieldPos(i)
	return &ParseError{File: s.name, Line: line, Column: column, Err: err}
}

// csvReader reads a load trace from CSV.
type csvReader struct {
	src     *csvSource
	opts    ReadOptions
	timeCol int
	valCols []int // record index of each value column
	columns []string
	prev    time.Time
	rows    int
	err     error // sticky
	closer  io.Closer
	closed  bool
}

var _ Reader = (*csvReader)(nil)

// NewCSVReader returns a Reader for a CSV load trace read from r; name is
// used in errors. The first record is the header: a timestamp column (see
// ReadOptions.TimeColumn) and one or more numeric columns, in any order.
// Fields may be quoted and are trimmed of surrounding space; a UTF-8 BOM is
// ignored. Timestamps are RFC 3339 or Unix seconds (see the package
// documentation). A last line that does not parse and has no newline after
// it is a torn append (a crash while the trace was being written) and ends
// the trace without an error. The constructor reads the header and the first record
// and returns ErrEmpty if either is missing. Close does not close r.
func NewCSVReader(name string, r io.Reader, opts *ReadOptions) (Reader, error) {
	cr, err := newCSVReader(name, r, opts)
	if err != nil {
		return nil, err
	}
	return cr, nil
}

func newCSVReader(name string, r io.Reader, opts *ReadOptions) (*csvReader, error) {
	o := opts.orDefault()
	src, err := newCSVSource(name, r)
	if err != nil {
		return nil, err
	}
	tc := findColumn(src.header, timeCandidates(o.TimeColumn)...)
	if tc < 0 {
		return nil, &ParseError{File: name, Line: 1, Column: timeCandidates(o.TimeColumn)[0], Err: errorf(ErrMissingColumn, "no timestamp column")}
	}
	cr := &csvReader{src: src, opts: o, timeCol: tc}
	for i, h := range src.header {
		if i != tc {
			cr.valCols = append(cr.valCols, i)
			cr.columns = append(cr.columns, h)
		}
	}
	if len(cr.columns) == 0 {
		return nil, &ParseError{File: name, Line: 1, Err: errorf(ErrMissingColumn, "no value column besides %q", src.header[tc])}
	}
	return cr, nil
}

func (r *csvReader) Columns() []string { return r.columns }

func (r *csvReader) Next(row *Row) error {
	if r.closed {
		return ErrClosed
	}
	if r.err != nil {
		return r.err
	}
	r.err = r.next(row)
	return r.err
}

func (r *csvReader) next(row *Row) error {
	err := r.parse(row)
	if err != nil && err != io.EOF && r.src.tornTail() {
		return io.EOF
	}
	return err
}

func (r *csvReader) parse(row *Row) error {
	rec, err := r.src.read()
	if err != nil {
		return err
	}
	tname := r.src.header[r.timeCol]
	t, err := parseTime(rec[r.timeCol])
	if err != nil {
		return r.src.errAt(r.timeCol, tname, err)
	}
	if err := checkOrder(r.prev, t, r.rows == 0); err != nil {
		return r.src.errAt(r.timeCol, tname, err)
	}
	row.Values = resize(row.Values, len(r.valCols))
	for i, c := range r.valCols {
		v, err := parseValue(rec[c], r.opts.AllowNegative)
		if err != nil {
			return r.src.errAt(c, r.columns[i], err)
		}
		row.Values[i] = v
	}
	row.Time = t
	r.prev = t
	r.rows++
	return nil
}

func (r *csvReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return closeIf(r.closer)
}

// csvWriter writes a load trace as CSV.
type csvWriter struct {
	lineSink
	ncols   int
	prev    time.Time
	rows    int
	columns []string
}

// lineSink is the buffered output the load and job CSV writers share: it
// keeps the first write error and owns the file when the writer does.
type lineSink struct {
	bw     *bufio.Writer
	buf    []byte    // the line being built, reused
	closer io.Closer // closed after the flush, when the writer owns the file
	closed bool
	err    error
}

// ready reports ErrClosed or the first write error.
func (s *lineSink) ready() error {
	if s.closed {
		return ErrClosed
	}
	return s.err
}

// write sends b and keeps it as the reusable buffer.
func (s *lineSink) write(b []byte) error {
	s.buf = b
	if _, err := s.bw.Write(b); err != nil {
		s.err = err
		return err
	}
	return nil
}

// Close flushes and closes the owned file. A second Close does nothing.
func (s *lineSink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.err
	if ferr := s.bw.Flush(); err == nil {
		err = ferr
	}
	if cerr := closeIf(s.closer); err == nil {
		err = cerr
	}
	return err
}

var _ Writer = (*csvWriter)(nil)

// NewCSVWriter returns a Writer that writes a CSV load trace to w: a header
// "timestamp,<columns...>" and one record per row, with the timestamp in
// RFC 3339 with nanoseconds in UTC and values in the shortest decimal form
// that reads back to the same float64 (strconv 'g', -1), so that a round
// trip is exact. Column names must be non-empty, unique and not
// "timestamp". Output is buffered: Close flushes it but does not close w.
func NewCSVWriter(w io.Writer, columns []string) (Writer, error) {
	if err := checkColumns(columns); err != nil {
		return nil, err
	}
	return newCSVWriter(w, columns)
}

func newCSVWriter(w io.Writer, columns []string) (*csvWriter, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	cw.Write(append([]string{timeColumnName}, columns...))
	cw.Flush()
	return &csvWriter{lineSink: lineSink{bw: bw, err: cw.Error()}, ncols: len(columns), columns: columns}, nil
}

func (w *csvWriter) Write(row Row) error {
	if err := w.ready(); err != nil {
		return err
	}
	if err := checkWriteRow(row, w.ncols, w.columns, w.prev, w.rows); err != nil {
		return err
	}
	b := row.Time.UTC().AppendFormat(w.buf[:0], time.RFC3339Nano)
	for _, v := range row.Values {
		b = append(b, ',')
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	b = append(b, '\n')
	if err := w.write(b); err != nil {
		return err
	}
	w.prev = row.Time
	w.rows++
	return nil
}

// checkWriteRow validates a row given to a Writer: the column count, a
// timestamp in range and after the previous one, and finite values.
func checkWriteRow(row Row, ncols int, columns []string, prev time.Time, rows int) error {
	if len(row.Values) != ncols {
		return fmt.Errorf("traces: write row %d: %w: %d values for %d columns", rows+1, ErrMalformed, len(row.Values), ncols)
	}
	if err := checkTimeRange(row.Time); err != nil {
		return fmt.Errorf("traces: write row %d: %w", rows+1, err)
	}
	if err := checkOrder(prev, row.Time, rows == 0); err != nil {
		return fmt.Errorf("traces: write row %d: %w", rows+1, err)
	}
	for i, v := range row.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("traces: write row %d: column %q: %w: %v", rows+1, columns[i], ErrNotFinite, v)
		}
	}
	return nil
}
