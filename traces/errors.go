package traces

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Readers return them wrapped in a *ParseError that says
// where the problem is; writers and constructors wrap them with %w. Match them
// with errors.Is, never by message text.
var (
	// ErrOutOfOrder: a timestamp is earlier than the one before it.
	ErrOutOfOrder = errors.New("timestamp out of order")
	// ErrDuplicateTime: a load-trace timestamp equals the one before it
	// (load traces need strictly increasing time; job traces allow ties).
	ErrDuplicateTime = errors.New("duplicate timestamp")
	// ErrNotFinite: a value or timestamp is NaN or ±Inf, or too large to be
	// represented as a finite float64 (for example "1e400").
	ErrNotFinite = errors.New("value not finite")
	// ErrNegative: a value is below zero where negatives are not allowed.
	// Negative zero counts as zero and is accepted.
	ErrNegative = errors.New("negative value")
	// ErrMissingColumn: a required column (the timestamp, a job field) is
	// absent, or a load trace has no value column at all.
	ErrMissingColumn = errors.New("missing column")
	// ErrEmpty: the input has no header or no data rows.
	ErrEmpty = errors.New("empty trace")
	// ErrMalformed: a number or timestamp does not parse, a record has the
	// wrong number of fields, a header is invalid, or a Parquet file is
	// damaged or has an unsupported layout.
	ErrMalformed = errors.New("malformed")
	// ErrUnknownFormat: Open, Create, OpenJobs or CreateJobs were given a
	// path whose extension is neither .csv nor .parquet.
	ErrUnknownFormat = errors.New("unknown trace format")
	// ErrClosed: Next or Write was called after Close.
	ErrClosed = errors.New("use of closed trace")
	// ErrInvalidOption: a generator option is out of range. The wrapping
	// error names the field.
	ErrInvalidOption = errors.New("invalid option")
)

// ParseError locates a problem in a trace file. It unwraps to Err, which in
// turn wraps one of the sentinel errors (and, where there is one, the
// underlying cause such as a *strconv.NumError or *csv.ParseError).
type ParseError struct {
	// File is the name given to the reader (the path for Open).
	File string
	// Line is the 1-based line number in a CSV file (the header is line 1),
	// or 0 when not applicable.
	Line int
	// Row is the 1-based data-row number in a Parquet file (the first row of
	// the file is row 1), or 0 when not applicable.
	Row int
	// Column is the column concerned, or "" when the problem is not tied
	// to one column.
	Column string
	// Err is the cause.
	Err error
}

// Error formats the error as "file:line: column "c": cause" for CSV and
// "file: row N: column "c": cause" for Parquet.
func (e *ParseError) Error() string {
	b := make([]byte, 0, 64)
	name := e.File
	if name == "" {
		name = "<input>"
	}
	b = append(b, name...)
	switch {
	case e.Line > 0:
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(e.Line), 10)
	case e.Row > 0:
		b = append(b, ": row "...)
		b = strconv.AppendInt(b, int64(e.Row), 10)
	}
	b = append(b, ": "...)
	if e.Column != "" {
		b = append(b, "column "...)
		b = strconv.AppendQuote(b, e.Column)
		b = append(b, ": "...)
	}
	if e.Err != nil {
		b = append(b, e.Err.Error()...)
	} else {
		b = append(b, "unknown error"...)
	}
	return string(b)
}

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

// errorf builds an error that wraps sentinel and describes the detail.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}

// optionError reports an out-of-range generator option.
func optionError(field string, value any, want string) error {
	return fmt.Errorf("traces: %s = %v: %w: %s", field, value, ErrInvalidOption, want)
}
