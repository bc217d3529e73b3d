package traces

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// parquetBatch is the number of values decoded per column at a time, and the
// number of rows a writer buffers before handing them to parquet-go.
const parquetBatch = 1024

// parquetRowGroupRows is the number of rows per row group that writers
// produce. It bounds writer memory (about 16 bytes per value column and row
// before compression) and keeps readers' pages small.
const parquetRowGroupRows = 128 << 10

// orderedGroup is a Parquet group whose fields keep the order given, unlike
// parquet.Group, which sorts them by name.
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

// newOrderedSchema builds a flat schema with the fields in the given order.
func newOrderedSchema(name string, names []string, nodes []parquet.Node) *parquet.Schema {
	g := make(parquet.Group, len(names))
	for i, n := range names {
		g[n] = nodes[i]
	}
	return parquet.NewSchema(name, orderedGroup{Group: g, order: names})
}

// timestampNode is the Parquet type of written timestamps: INT64
// TIMESTAMP(NANOS, UTC), delta-encoded.
func timestampNode() parquet.Node {
	return parquet.Encoded(parquet.Timestamp(parquet.Nanosecond), &parquet.DeltaBinaryPacked)
}

// Nanosecond INT64 timestamps cover 1677-09-21 to 2262-04-11.
var (
	minNanoTime = time.Unix(0, math.MinInt64).UTC()
	maxNanoTime = time.Unix(0, math.MaxInt64).UTC()
)

func checkNanoRange(t time.Time) error {
	if t.Before(minNanoTime) || t.After(maxNanoTime) {
		return errorf(ErrMalformed, "timestamp %s outside the INT64 nanosecond range (1677-2262)", t.Format(time.RFC3339Nano))
	}
	return nil
}

// guardOpen turns a panic while opening a Parquet file into a *ParseError.
func guardOpen(name string, err *error) {
	if r := recover(); r != nil {
		*err = &ParseError{File: name, Err: fmt.Errorf("%w: parquet decoder: %v", ErrMalformed, r)}
	}
}

// recoverMalformed turns a panic in the Parquet decoder into ErrMalformed,
// so that damaged files return an error instead of crashing the program.
func recoverMalformed(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: parquet decoder: %v", ErrMalformed, r)
	}
}

// pqKind says how a Parquet column's values convert to ours.
type pqKind int

const (
	pqSkip      pqKind = iota // not usable as a number
	pqInt                     // signed INT32/INT64
	pqUint32                  // unsigned INT32
	pqUint64                  // unsigned INT64
	pqDecimal                 // INT32/INT64 DECIMAL(scale)
	pqFloat                   // FLOAT
	pqDouble                  // DOUBLE
	pqTimestamp               // INT64 TIMESTAMP(unit)
	pqDate                    // INT32 DATE (days since the epoch)
	pqInt96                   // legacy INT96 timestamp
	pqString                  // BYTE_ARRAY, UTF-8 or unannotated
)

// classify returns how to convert the values of a leaf column, and the
// time unit or decimal scale that goes with it.
func classify(t parquet.Type) (kind pqKind, unit time.Duration, scale float64) {
	// Some logical types (MAP, LIST) panic on Kind: they are not numbers.
	defer func() {
		if recover() != nil {
			kind, unit, scale = pqSkip, 0, 0
		}
	}()
	lt := t.LogicalType()
	var ct deprecated.ConvertedType = -1
	if p := t.ConvertedType(); p != nil {
		ct = *p
	}
	switch t.Kind() {
	case parquet.Int32, parquet.Int64:
		if lt != nil && lt.Value != nil {
			switch l := lt.Value.(type) {
			case *format.TimestampType:
				if t.Kind() == parquet.Int64 && l.Unit.Value != nil {
					return pqTimestamp, l.Unit.Value.Duration(), 0
				}
				return pqSkip, 0, 0
			case *format.DateType:
				return pqDate, 0, 0
			case *format.DecimalType:
				if l.Scale < 0 || l.Scale > 38 {
					return pqSkip, 0, 0
				}
				return pqDecimal, 0, math.Pow10(int(l.Scale))
			case *format.IntType:
				if !l.IsSigned {
					if t.Kind() == parquet.Int32 {
						return pqUint32, 0, 0
					}
					return pqUint64, 0, 0
				}
				return pqInt, 0, 0
			default:
				return pqSkip, 0, 0
			}
		}
		switch ct {
		case -1, deprecated.Int8, deprecated.Int16, deprecated.Int32, deprecated.Int64:
			return pqInt, 0, 0
		case deprecated.Uint8, deprecated.Uint16, deprecated.Uint32:
			return pqUint32, 0, 0
		case deprecated.Uint64:
			return pqUint64, 0, 0
		case deprecated.TimestampMillis:
			return pqTimestamp, time.Millisecond, 0
		case deprecated.TimestampMicros:
			return pqTimestamp, time.Microsecond, 0
		case deprecated.Date:
			return pqDate, 0, 0
		}
		return pqSkip, 0, 0
	case parquet.Float:
		return pqFloat, 0, 0
	case parquet.Double:
		return pqDouble, 0, 0
	case parquet.Int96:
		return pqInt96, 0, 0
	case parquet.ByteArray:
		if lt != nil && lt.Value != nil {
			if _, ok := lt.Value.(*format.StringType); ok {
				return pqString, 0, 0
			}
			return pqSkip, 0, 0
		}
		if ct == -1 || ct == deprecated.UTF8 {
			return pqString, 0, 0
		}
	}
	return pqSkip, 0, 0
}

// typeName describes a column type for error messages.
func typeName(n parquet.Node) (name string) {
	defer func() {
		if recover() != nil {
			name = "unsupported type"
		}
	}()
	return n.Type().String()
}

// pqColumn streams the values of one top-level leaf column.
type pqColumn struct {
	name  string
	index int // leaf column index in the row groups
	kind  pqKind
	unit  time.Duration
	scale float64

	rd     parquet.ColumnChunkValueReader
	buf    []parquet.Value
	pos, n int
	cur    parquet.Value
}

// fill decodes the next batch of values; io.EOF at the end of the chunk.
func (c *pqColumn) fill() (err error) {
	defer recoverMalformed(&err)
	for tries := 0; tries < 1000; tries++ {
		n, err := c.rd.ReadValues(c.buf)
		if n > 0 {
			c.pos, c.n = 0, n
			return nil
		}
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	}
	return errorf(ErrMalformed, "column chunk yields no values")
}

func (c *pqColumn) closeChunk() {
	if c.rd != nil {
		func() {
			defer func() { recover() }()
			c.rd.Close()
		}()
		c.rd = nil
	}
	c.pos, c.n = 0, 0
}

// float converts the current value to float64.
func (c *pqColumn) float() (float64, error) {
	v := c.cur
	if v.IsNull() {
		return 0, errorf(ErrMalformed, "null value")
	}
	switch c.kind {
	case pqInt:
		if v.Kind() == parquet.Int32 {
			return float64(v.Int32()), nil
		}
		return float64(v.Int64()), nil
	case pqUint32:
		return float64(uint32(v.Int32())), nil
	case pqUint64:
		return float64(uint64(v.Int64())), nil
	case pqDecimal:
		if v.Kind() == parquet.Int32 {
			return float64(v.Int32()) / c.scale, nil
		}
		return float64(v.Int64()) / c.scale, nil
	case pqFloat:
		return float64(v.Float()), nil
	case pqDouble:
		return v.Double(), nil
	}
	return 0, errorf(ErrMalformed, "column is not numeric")
}

// count converts the current value to an integer count.
func (c *pqColumn) count() (int, error) {
	v := c.cur
	if v.IsNull() {
		return 0, errorf(ErrMalformed, "null value")
	}
	switch {
	case c.kind == pqInt && v.Kind() == parquet.Int32:
		return int(v.Int32()), nil
	case c.kind == pqInt:
		return int(v.Int64()), nil
	case c.kind == pqUint32:
		return int(uint32(v.Int32())), nil
	case c.kind == pqUint64 && v.Int64() < 0:
		return 0, errorf(ErrMalformed, "%d out of range", uint64(v.Int64()))
	case c.kind == pqUint64:
		return int(v.Int64()), nil
	}
	f, err := c.float()
	if err != nil {
		return 0, err
	}
	return floatCount(f)
}

// time converts the current value to a UTC time. Numbers without a
// timestamp annotation are Unix seconds.
func (c *pqColumn) time() (time.Time, error) {
	v := c.cur
	if v.IsNull() {
		return time.Time{}, errorf(ErrMalformed, "null timestamp")
	}
	var t time.Time
	switch c.kind {
	case pqTimestamp:
		x := v.Int64()
		switch c.unit {
		case time.Nanosecond:
			t = time.Unix(0, x)
		case time.Microsecond:
			t = time.UnixMicro(x)
		case time.Millisecond:
			t = time.UnixMilli(x)
		default:
			return time.Time{}, errorf(ErrMalformed, "unsupported time unit")
		}
	case pqDate:
		d := int64(v.Int32())
		t = time.Unix(d*86400, 0)
	case pqInt96:
		i := v.Int96()
		nanos := uint64(i[1])<<32 | uint64(i[0])
		if nanos >= 86400e9 {
			return time.Time{}, errorf(ErrMalformed, "INT96 timestamp with %d ns in a day", nanos)
		}
		const julianUnixEpoch = 2440588
		t = time.Unix((int64(i[2])-julianUnixEpoch)*86400, int64(nanos))
	case pqString:
		return parseTime(string(v.ByteArray()))
	case pqFloat, pqDouble, pqDecimal:
		f, _ := c.float()
		return floatSeconds(f)
	case pqInt, pqUint32, pqUint64:
		var s int64
		switch {
		case c.kind == pqUint32:
			s = int64(uint32(v.Int32()))
		case v.Kind() == parquet.Int32:
			s = int64(v.Int32())
		case c.kind == pqUint64 && v.Int64() < 0:
			return time.Time{}, errorf(ErrMalformed, "timestamp outside years 0000-9999")
		default:
			s = v.Int64()
		}
		if s < minUnix || s > maxUnix {
			return time.Time{}, errorf(ErrMalformed, "timestamp %d s outside years 0000-9999", s)
		}
		t = time.Unix(s, 0)
	default:
		return time.Time{}, errorf(ErrMalformed, "column type cannot hold a timestamp")
	}
	t = t.UTC()
	return t, checkTimeRange(t)
}

// pqSource walks the row groups of a Parquet file, yielding the values of a
// set of columns row by row, a batch of values per column at a time.
type pqSource struct {
	name      string
	r         io.ReaderAt
	size      int64
	hbuf      []byte // page-header window of checkChunk
	file      *parquet.File
	leaves    []pqLeaf
	cols      []*pqColumn
	rowGroups []parquet.RowGroup
	rg        int  // next row group
	open      bool // cols are reading row group rg-1
	row       int  // 1-based number of the current row
}

// pqLeaf is a top-level leaf column of the file schema.
type pqLeaf struct {
	name     string
	index    int
	node     parquet.Node
	repeated bool
}

func openParquetSource(name string, r io.ReaderAt, size int64) (src *pqSource, err error) {
	defer func() {
		if err != nil {
			src = nil
			if _, ok := err.(*ParseError); !ok {
				err = &ParseError{File: name, Err: err}
			}
		}
	}()
	defer recoverMalformed(&err)
	if size < 8 {
		if size <= 0 {
			return nil, errorf(ErrEmpty, "empty file")
		}
		return nil, errorf(ErrMalformed, "file of %d bytes is too short for Parquet", size)
	}
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	src = &pqSource{name: name, r: r, size: size, file: f, rowGroups: f.RowGroups()}
	schema := f.Schema()
	for i, path := range schema.Columns() {
		if len(path) != 1 {
			continue // nested fields are ignored
		}
		leaf, ok := schema.Lookup(path...)
		if !ok || leaf.ColumnIndex != i {
			return nil, errorf(ErrMalformed, "inconsistent schema")
		}
		src.leaves = append(src.leaves, pqLeaf{name: path[0], index: i, node: leaf.Node, repeated: leaf.MaxRepetitionLevel > 0})
	}
	seen := make(map[string]bool, len(src.leaves))
	for _, l := range src.leaves {
		if seen[l.name] {
			return nil, &ParseError{File: name, Column: l.name, Err: errorf(ErrMalformed, "duplicate column")}
		}
		seen[l.name] = true
	}
	var total int64
	for _, g := range src.rowGroups {
		n := g.NumRows()
		if n < 0 || len(g.ColumnChunks()) != len(schema.Columns()) {
			return nil, errorf(ErrMalformed, "inconsistent row group")
		}
		total += n
	}
	if total <= 0 {
		return nil, errorf(ErrEmpty, "no rows")
	}
	return src, nil
}

func (s *pqSource) leafNames() []string {
	names := make([]string, len(s.leaves))
	for i, l := range s.leaves {
		names[i] = l.name
	}
	return names
}

// use adds leaf i as a column to read and returns it.
func (s *pqSource) use(i int) (*pqColumn, error) {
	l := s.leaves[i]
	if l.repeated {
		return nil, &ParseError{File: s.name, Column: l.name, Err: errorf(ErrMalformed, "repeated column")}
	}
	kind, unit, scale := classify(l.node.Type())
	c := &pqColumn{name: l.name, index: l.index, kind: kind, unit: unit, scale: scale, buf: make([]parquet.Value, parquetBatch)}
	s.cols = append(s.cols, c)
	return c, nil
}

// next advances every column by one value, moving to the next row group
// when the current one is exhausted. It returns io.EOF after the last row.
func (s *pqSource) next() (err error) {
	for {
		if s.open {
			eof := 0
			for _, c := range s.cols {
				if c.pos < c.n {
					continue
				}
				switch err := c.fill(); err {
				case nil:
				case io.EOF:
					eof++
				default:
					return &ParseError{File: s.name, Row: s.row + 1, Column: c.name, Err: err}
				}
			}
			if eof == 0 {
				for _, c := range s.cols {
					c.cur = c.buf[c.pos]
					c.pos++
				}
				s.row++
				return nil
			}
			if eof != len(s.cols) {
				return &ParseError{File: s.name, Row: s.row + 1, Err: errorf(ErrMalformed, "columns of a row group have different lengths")}
			}
			for _, c := range s.cols {
				c.closeChunk()
			}
			s.open = false
		}
		if s.rg >= len(s.rowGroups) {
			return io.EOF
		}
		if err := s.openRowGroup(s.rowGroups[s.rg]); err != nil {
			return &ParseError{File: s.name, Row: s.row + 1, Err: err}
		}
		s.rg++
		s.open = true
	}
}

func (s *pqSource) openRowGroup(g parquet.RowGroup) (err error) {
	defer recoverMalformed(&err)
	chunks := g.ColumnChunks()
	groups := s.file.Metadata().RowGroups
	if s.rg >= len(groups) {
		return errorf(ErrMalformed, "inconsistent row groups")
	}
	for _, c := range s.cols {
		if c.index >= len(chunks) || c.index >= len(groups[s.rg].Columns) {
			return errorf(ErrMalformed, "row group lacks column %q", c.name)
		}
		cc := &groups[s.rg].Columns[c.index]
		if cc.FilePath != "" {
			return errorf(ErrMalformed, "column %q is stored in another file", c.name)
		}
		if err := checkChunk(s.r, s.size, &cc.MetaData, &s.hbuf); err != nil {
			return err
		}
		c.rd = parquet.NewColumnChunkValueReader(chunks[c.index])
		c.pos, c.n = 0, 0
	}
	return nil
}

func (s *pqSource) close() {
	for _, c := range s.cols {
		c.closeChunk()
	}
}

func (s *pqSource) errAt(column string, err error) error {
	return &ParseError{File: s.name, Row: s.row, Column: column, Err: err}
}

// parquetReader reads a load trace from Parquet.
type parquetReader struct {
	src     *pqSource
	opts    ReadOptions
	tcol    *pqColumn
	vcols   []*pqColumn
	columns []string
	prev    time.Time
	rows    int
	err     error
	closer  io.Closer
	closed  bool
}

var _ Reader = (*parquetReader)(nil)

// NewParquetReader returns a Reader for a Parquet load trace of size bytes
// read from r; name is used in errors. The timestamp column (see
// ReadOptions.TimeColumn) may be INT64 TIMESTAMP in any unit, INT96, INT32
// DATE, a UTF-8 string (as in CSV), or an unannotated integer or float of
// Unix seconds. The value columns are every other top-level column that is
// numeric (INT32, INT64, FLOAT, DOUBLE, integer DECIMAL), in schema order;
// other columns (strings, booleans, nested groups, pandas'
// "__index_level_N__") are ignored. Values must not be null. The reader
// decodes parquetBatch values per column at a time, a row group after
// another, so memory stays constant whatever the file's length. Before
// decoding a column chunk it checks its page headers (at most 64 MiB and
// 4 Mi values per page); damaged files, and files compressed with LZ4 or
// LZO, yield ErrMalformed, never a panic. Close does not close r.
func NewParquetReader(name string, r io.ReaderAt, size int64, opts *ReadOptions) (Reader, error) {
	pr, err := newParquetReader(name, r, size, opts)
	if err != nil {
		return nil, err
	}
	return pr, nil
}

func newParquetReader(name string, r io.ReaderAt, size int64, opts *ReadOptions) (pr *parquetReader, err error) {
	defer guardOpen(name, &err)
	o := opts.orDefault()
	src, err := openParquetSource(name, r, size)
	if err != nil {
		return nil, err
	}
	names := src.leafNames()
	cands := timeCandidates(o.TimeColumn)
	ti := findColumn(names, cands...)
	if ti < 0 {
		return nil, &ParseError{File: name, Column: cands[0], Err: errorf(ErrMissingColumn, "no timestamp column")}
	}
	pr = &parquetReader{src: src, opts: o}
	if pr.tcol, err = src.use(ti); err != nil {
		return nil, err
	}
	if pr.tcol.kind == pqSkip {
		return nil, &ParseError{File: name, Column: names[ti], Err: errorf(ErrMalformed, "type %s cannot hold a timestamp", typeName(src.leaves[ti].node))}
	}
	for i, l := range src.leaves {
		if i == ti || strings.HasPrefix(l.name, "__index_level_") {
			continue
		}
		switch kind, _, _ := classify(l.node.Type()); kind {
		case pqInt, pqUint32, pqUint64, pqDecimal, pqFloat, pqDouble:
		default:
			continue
		}
		c, err := src.use(i)
		if err != nil {
			return nil, err
		}
		pr.vcols = append(pr.vcols, c)
		pr.columns = append(pr.columns, l.name)
	}
	if len(pr.vcols) == 0 {
		return nil, &ParseError{File: name, Err: errorf(ErrMissingColumn, "no numeric column besides %q", names[ti])}
	}
	return pr, nil
}

func (r *parquetReader) Columns() []string { return r.columns }

func (r *parquetReader) Next(row *Row) error {
	if r.closed {
		return ErrClosed
	}
	if r.err != nil {
		return r.err
	}
	r.err = r.next(row)
	return r.err
}

func (r *parquetReader) next(row *Row) error {
	if err := r.src.next(); err != nil {
		return err
	}
	t, err := r.tcol.time()
	if err != nil {
		return r.src.errAt(r.tcol.name, err)
	}
	if err := checkOrder(r.prev, t, r.rows == 0); err != nil {
		return r.src.errAt(r.tcol.name, err)
	}
	row.Values = resize(row.Values, len(r.vcols))
	for i, c := range r.vcols {
		v, err := c.float()
		if err == nil {
			err = checkValue(v, r.opts.AllowNegative)
		}
		if err != nil {
			return r.src.errAt(c.name, err)
		}
		row.Values[i] = v
	}
	row.Time = t
	r.prev = t
	r.rows++
	return nil
}

func (r *parquetReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.src.close()
	return closeIf(r.closer)
}

// parquetWriter writes a load trace as Parquet.
type parquetWriter struct {
	rowBatch
	columns []string
	prev    time.Time
	rows    int
}

// rowBatch buffers rows for a Parquet writer and writes them a batch at a
// time; the load and job writers share it.
type rowBatch struct {
	pw     *parquet.Writer
	batch  []parquet.Row
	n      int
	closer io.Closer // closed after the footer, when the writer owns the file
	closed bool
	err    error // the first write error, returned by Close
}

// added counts the row just filled in batch[n] and flushes a full batch.
func (b *rowBatch) added() error {
	b.n++
	if b.n == len(b.batch) {
		return b.flush()
	}
	return nil
}

func (b *rowBatch) flush() error {
	if b.n == 0 {
		return nil
	}
	_, err := b.pw.WriteRows(b.batch[:b.n])
	b.n = 0
	if err != nil {
		b.err = err
	}
	return err
}

// Close flushes, writes the footer and closes the owned file. A second
// Close does nothing.
func (b *rowBatch) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	err := b.err
	if err == nil {
		err = b.flush()
	}
	if cerr := b.pw.Close(); err == nil {
		err = cerr
	}
	if cerr := closeIf(b.closer); err == nil {
		err = cerr
	}
	return err
}

var _ Writer = (*parquetWriter)(nil)

// NewParquetWriter returns a Writer that writes a Parquet load trace to w:
// a required INT64 TIMESTAMP(NANOS, UTC) column "timestamp" (delta
// encoded), then one required DOUBLE column per name, in the order given,
// Snappy-compressed, in row groups of parquetRowGroupRows rows.
// Timestamps must lie in 1677-2262, the range of INT64 nanoseconds. Close
// writes the footer but does not close w.
func NewParquetWriter(w io.Writer, columns []string) (Writer, error) {
	if err := checkColumns(columns); err != nil {
		return nil, err
	}
	return newParquetWriter(w, columns)
}

func newParquetWriter(w io.Writer, columns []string) (*parquetWriter, error) {
	names := append([]string{timeColumnName}, columns...)
	nodes := []parquet.Node{timestampNode()}
	for range columns {
		nodes = append(nodes, parquet.Leaf(parquet.DoubleType))
	}
	schema := newOrderedSchema("trace", names, nodes)
	pw := parquet.NewWriter(w, schema,
		parquet.Compression(&parquet.Snappy),
		parquet.MaxRowsPerRowGroup(parquetRowGroupRows),
		parquet.CreatedBy("omnixan traces", "", ""))
	return &parquetWriter{rowBatch: rowBatch{pw: pw, batch: makeRows(parquetBatch, len(names))}, columns: columns}, nil
}

// makeRows allocates n rows of width values sharing one backing array.
func makeRows(n, width int) []parquet.Row {
	vals := make([]parquet.Value, n*width)
	rows := make([]parquet.Row, n)
	for i := range rows {
		rows[i] = vals[i*width : (i+1)*width : (i+1)*width]
	}
	return rows
}

func (w *parquetWriter) Write(row Row) error {
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	if err := checkWriteRow(row, len(w.columns), w.columns, w.prev, w.rows); err != nil {
		return err
	}
	if err := checkNanoRange(row.Time); err != nil {
		return fmt.Errorf("traces: write row %d: %w", w.rows+1, err)
	}
	r := w.batch[w.n]
	r[0] = parquet.Int64Value(row.Time.UnixNano()).Level(0, 0, 0)
	for i, v := range row.Values {
		r[i+1] = parquet.DoubleValue(v).Level(0, 0, i+1)
	}
	w.prev = row.Time
	w.rows++
	return w.added()
}
