package traces

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Row is one record of a load trace. Values align with Reader.Columns(), in
// the units of each column (for example req/s for "requests_per_second").
// Readers reuse the Values slice between calls to Next: copy it to keep it.
type Row struct {
	// Time is the timestamp of the record, in UTC when read from a file.
	Time time.Time
	// Values holds one value per column of Reader.Columns().
	Values []float64
}

// Reader streams a load trace row by row in constant memory.
//
// Readers are not safe for concurrent use.
type Reader interface {
	// Columns returns the numeric column names, in order, excluding the
	// timestamp column. The caller must not modify the slice.
	Columns() []string
	// Next fills row with the next record, reusing row.Values' backing array
	// when it is large enough. It returns io.EOF after the last row, a
	// *ParseError for invalid input, and the same error again on every later
	// call.
	Next(row *Row) error
	// Close releases the reader. It closes the underlying file only when the
	// reader owns it (Open).
	Close() error
}

// Writer writes a load trace. Writers are not safe for concurrent use.
type Writer interface {
	// Write appends a row. Timestamps must be strictly increasing and values
	// finite; len(row.Values) must equal the number of columns.
	Write(row Row) error
	// Close flushes buffered data and finishes the file (for Parquet, writes
	// the footer). It closes the underlying io.Writer only for writers made
	// by Create, which own their file.
	Close() error
}

// defaultTimeColumns are the timestamp column names a load-trace reader
// looks for, in order, when ReadOptions.TimeColumn is empty.
var defaultTimeColumns = []string{"timestamp", "time"}

// ReadOptions configure a load-trace reader. The zero value and a nil
// *ReadOptions mean the documented defaults.
type ReadOptions struct {
	// AllowNegative accepts negative values. By default they are rejected
	// with ErrNegative (load is a rate or a level, so never below zero).
	AllowNegative bool
	// TimeColumn names the timestamp column. Empty means "timestamp" or,
	// failing that, "time".
	// Names match exactly first, then case-insensitively.
	TimeColumn string
}

func (o *ReadOptions) orDefault() ReadOptions {
	if o == nil {
		return ReadOptions{}
	}
	return *o
}

// Open opens the load trace at path, choosing the format by extension
// (.csv or .parquet, case-insensitive). The returned Reader owns the file
// and closes it on Close. Errors are *os.PathError, ErrUnknownFormat, or
// the errors of NewCSVReader and NewParquetReader.
func Open(path string, opts *ReadOptions) (Reader, error) {
	return openFile(path,
		func(f *os.File) (Reader, error) {
			cr, err := newCSVReader(path, f, opts)
			if err != nil {
				return nil, err
			}
			cr.closer = f
			return cr, nil
		},
		func(f *os.File, size int64) (Reader, error) {
			pr, err := newParquetReader(path, f, size, opts)
			if err != nil {
				return nil, err
			}
			pr.closer = f
			return pr, nil
		})
}

// openFile opens path and makes a reader of it with fromCSV or
// fromParquet, as its extension says; the reader then owns the file. On
// any error the file is closed.
func openFile[R any](path string, fromCSV func(*os.File) (R, error), fromParquet func(*os.File, int64) (R, error)) (R, error) {
	var zero R
	format, err := formatOf(path)
	if err != nil {
		return zero, err
	}
	f, err := os.Open(path)
	if err != nil {
		return zero, err
	}
	var r R
	switch format {
	case formatCSV:
		r, err = fromCSV(f)
	case formatParquet:
		var st os.FileInfo
		if st, err = f.Stat(); err == nil {
			r, err = fromParquet(f, st.Size())
		}
	}
	if err != nil {
		f.Close()
		return zero, err
	}
	return r, nil
}

// Create creates (or truncates) the file at path and returns a Writer for it,
// choosing the format by extension (.csv or .parquet). The Writer owns the
// file: Close flushes and closes it.
func Create(path string, columns []string) (Writer, error) {
	format, err := formatOf(path)
	if err != nil {
		return nil, err
	}
	if err := checkColumns(columns); err != nil {
		return nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	var w Writer
	switch format {
	case formatCSV:
		cw, _ := newCSVWriter(f, columns)
		cw.closer = f
		w = cw
	case formatParquet:
		pw, _ := newParquetWriter(f, columns)
		pw.closer = f
		w = pw
	}
	return w, nil
}

type fileFormat int

const (
	formatCSV fileFormat = iota + 1
	formatParquet
)

func formatOf(path string) (fileFormat, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return formatCSV, nil
	case ".parquet":
		return formatParquet, nil
	}
	return 0, fmt.Errorf("traces: %s: %w (want .csv or .parquet)", path, ErrUnknownFormat)
}

// checkColumns validates the value-column names given to a writer.
func checkColumns(columns []string) error {
	if len(columns) == 0 {
		return fmt.Errorf("traces: %w: no value columns", ErrMissingColumn)
	}
	seen := make(map[string]bool, len(columns))
	for _, c := range columns {
		switch {
		case c == "":
			return fmt.Errorf("traces: %w: empty column name", ErrMalformed)
		case !csvSafe(c):
			return fmt.Errorf("traces: %w: column name %q would not read back from CSV (surrounding space or CRLF)", ErrMalformed, c)
		case strings.EqualFold(c, timeColumnName):
			return fmt.Errorf("traces: %w: column %q clashes with the timestamp column", ErrMalformed, c)
		case seen[c]:
			return fmt.Errorf("traces: %w: duplicate column %q", ErrMalformed, c)
		}
		seen[c] = true
	}
	return nil
}

// csvSafe reports whether a name or label reads back unchanged from CSV:
// readers trim surrounding space, and encoding/csv turns CRLF inside quoted
// fields into LF.
func csvSafe(s string) bool {
	return strings.TrimSpace(s) == s && !strings.Contains(s, "\r\n")
}

// timeColumnName is the timestamp column that writers produce.
const timeColumnName = "timestamp"

// findColumn returns the index in names of the first candidate present,
// matching exactly first and then case-insensitively, or -1.
func findColumn(names []string, candidates ...string) int {
	for _, c := range candidates {
		for i, n := range names {
			if n == c {
				return i
			}
		}
	}
	for _, c := range candidates {
		for i, n := range names {
			if strings.EqualFold(n, c) {
				return i
			}
		}
	}
	return -1
}

func timeCandidates(opt string) []string {
	if opt != "" {
		return []string{opt}
	}
	return defaultTimeColumns
}

// Valid timestamps lie in years 0000 to 9999, the range RFC 3339 can write.
var (
	minTime = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

const (
	minUnix = -62167219200 // minTime in Unix seconds
	maxUnix = 253402300799 // maxTime in Unix seconds
)

func checkTimeRange(t time.Time) error {
	if t.Before(minTime) || t.After(maxTime) {
		return errorf(ErrMalformed, "timestamp outside years 0000-9999")
	}
	return nil
}

// parseTime parses a timestamp field: RFC 3339 with optional fractional
// seconds (a space may replace the "T"), or Unix seconds as an integer or a
// decimal fraction. The result is in UTC.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errorf(ErrMalformed, "empty timestamp")
	}
	if !strings.Contains(s, ":") {
		return parseUnix(s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil && len(s) > 10 && s[10] == ' ' {
		t, err = time.Parse(time.RFC3339Nano, s[:10]+"T"+s[11:])
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: timestamp %q is neither RFC 3339 nor Unix seconds", ErrMalformed, s)
	}
	t = t.UTC()
	if err := checkTimeRange(t); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// parseUnix parses Unix seconds. Plain decimals ("-12.5", "60") are parsed
// exactly to the nanosecond (digits beyond the ninth decimal are
// truncated); other forms strconv.ParseFloat accepts ("1e9") go through
// float64.
func parseUnix(s string) (time.Time, error) {
	neg := false
	body := s
	if body[0] == '+' || body[0] == '-' {
		neg = body[0] == '-'
		body = body[1:]
	}
	intPart, frac, hasDot := strings.Cut(body, ".")
	if (intPart != "" || frac != "") && allDigits(intPart) && allDigits(frac) && (hasDot || intPart != "") {
		var sec int64
		if intPart != "" {
			v, err := strconv.ParseUint(intPart, 10, 63)
			if err != nil || v > maxUnix+1 {
				return time.Time{}, errorf(ErrMalformed, "timestamp %q outside years 0000-9999", s)
			}
			sec = int64(v)
		}
		var ns int64
		for i := 0; i < 9; i++ {
			ns *= 10
			if i < len(frac) {
				ns += int64(frac[i] - '0')
			}
		}
		if neg {
			sec, ns = -sec, -ns
		}
		t := time.Unix(sec, ns).UTC()
		if err := checkTimeRange(t); err != nil {
			return time.Time{}, err
		}
		return t, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return time.Time{}, fmt.Errorf("%w: timestamp %q is neither RFC 3339 nor Unix seconds", ErrMalformed, s)
	}
	return floatSeconds(f)
}

// floatSeconds converts fractional Unix seconds to a time, rounded to the
// nearest nanosecond representable in the float.
func floatSeconds(f float64) (time.Time, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, errorf(ErrNotFinite, "timestamp %v", f)
	}
	if f < minUnix || f >= maxUnix+1 {
		return time.Time{}, errorf(ErrMalformed, "timestamp %v s outside years 0000-9999", f)
	}
	sec := math.Floor(f)
	ns := math.Round((f - sec) * 1e9)
	return time.Unix(int64(sec), int64(ns)).UTC(), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// parseValue parses a numeric field of a load trace.
func parseValue(s string, allowNegative bool) (float64, error) {
	if s == "" {
		return 0, errorf(ErrMalformed, "empty value")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if isRangeErr(err) && math.IsInf(v, 0) {
			return 0, fmt.Errorf("%w: %q overflows float64", ErrNotFinite, s)
		}
		return 0, fmt.Errorf("%w: bad number %q", ErrMalformed, s)
	}
	return v, checkValue(v, allowNegative)
}

func checkValue(v float64, allowNegative bool) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return errorf(ErrNotFinite, "%v", v)
	}
	if v < 0 && !allowNegative {
		return errorf(ErrNegative, "%v", v)
	}
	return nil
}

// checkOrder compares a load-trace timestamp with the previous one.
func checkOrder(prev, t time.Time, first bool) error {
	if first {
		return nil
	}
	switch c := t.Compare(prev); {
	case c == 0:
		return errorf(ErrDuplicateTime, "%s", t.Format(time.RFC3339Nano))
	case c < 0:
		return errorf(ErrOutOfOrder, "%s before %s", t.Format(time.RFC3339Nano), prev.Format(time.RFC3339Nano))
	}
	return nil
}

// resize returns s with length n, reusing its backing array when possible.
func resize(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}

// closeIf closes c if it is not nil.
func closeIf(c io.Closer) error {
	if c == nil {
		return nil
	}
	return c.Close()
}
