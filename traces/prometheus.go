package traces

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// PrometheusOptions configure a reader of a saved Prometheus query_range
// response. The zero value and a nil *PrometheusOptions mean the defaults.
type PrometheusOptions struct {
	// Labels select the series: each name=value must be among the series'
	// metric labels. Empty selects the response's only series; a response
	// holding several is then an error that lists them.
	Labels map[string]string
	// AllowNegative accepts negative values (see ReadOptions).
	AllowNegative bool
}

// PrometheusColumn is the name of the one value column of a Prometheus
// series read as a load trace.
const PrometheusColumn = "value"

// promReader streams one series of a query_range response.
type promReader struct {
	name   string
	dec    *json.Decoder
	opts   PrometheusOptions
	prev   time.Time
	rows   int
	err    error // sticky
	closer io.Closer
	closed bool
	picked map[string]string // labels of the series read
}

var _ Reader = (*promReader)(nil)

// NewPrometheusReader returns a Reader for a saved Prometheus HTTP API
// query_range response read from r; name is used in errors. The response
// is the JSON object {"status":"success","data":{"resultType":"matrix",
// "result":[{"metric":{...},"values":[[1700000000.5,"12.5"],...]}]}}:
// each point is [unix_seconds, "value"], with the value a string as
// Prometheus writes it. The series is read as a load trace with one column,
// PrometheusColumn. The reader streams: it holds one point, not the series.
//
// Errors are *ParseError values. Row is the 1-based point of the series
// and the message gives the byte offset in the input; they wrap
// ErrMalformed (not JSON, not a matrix, a bad point or a response with
// status "error"), ErrEmpty (no series, or none matching opts.Labels),
// ErrNotFinite ("NaN", "+Inf"), ErrNegative, ErrOutOfOrder or
// ErrDuplicateTime. Close does not close r.
func NewPrometheusReader(name string, r io.Reader, opts *PrometheusOptions) (Reader, error) {
	pr, err := newPromReader(name, r, opts)
	if err != nil {
		return nil, err
	}
	return pr, nil
}

// OpenPrometheusJSON opens a saved query_range response at path; the
// Reader owns the file and closes it on Close.
func OpenPrometheusJSON(path string, opts *PrometheusOptions) (Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	pr, err := newPromReader(path, f, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	pr.closer = f
	return pr, nil
}

func newPromReader(name string, r io.Reader, opts *PrometheusOptions) (*promReader, error) {
	pr := &promReader{name: name, dec: json.NewDecoder(r)}
	if opts != nil {
		pr.opts = *opts
	}
	pr.dec.UseNumber()
	if err := pr.findSeries(); err != nil {
		return nil, pr.wrap(0, "", err)
	}
	return pr, nil
}

// Labels returns the metric labels of the series being read.
func (r *promReader) Labels() map[string]string { return r.picked }

func (r *promReader) Columns() []string { return []string{PrometheusColumn} }

// wrap locates err at point row (0: not at a point).
func (r *promReader) wrap(row int, column string, err error) error {
	var pe *ParseError
	if errors.As(err, &pe) {
		return err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errorf(ErrMalformed, "unexpected end of input")
	} else if !isSentinel(err) {
		err = fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return &ParseError{File: r.name, Row: row, Column: column, Err: fmt.Errorf("%w (byte %d)", err, r.dec.InputOffset())}
}

func isSentinel(err error) bool {
	for _, s := range []error{ErrOutOfOrder, ErrDuplicateTime, ErrNotFinite, ErrNegative, ErrMissingColumn, ErrEmpty, ErrMalformed} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func (r *promReader) delim(want json.Delim) error {
	t, err := r.dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, found %v", string(want), t)
	}
	return nil
}

func (r *promReader) key() (string, error) {
	t, err := r.dec.Token()
	if err != nil {
		return "", err
	}
	k, ok := t.(string)
	if !ok {
		return "", fmt.Errorf("want an object key, found %v", t)
	}
	return k, nil
}

// skip reads past one JSON value.
func (r *promReader) skip() error {
	var v json.RawMessage
	return r.dec.Decode(&v)
}

func (r *promReader) str() (string, error) {
	t, err := r.dec.Token()
	if err != nil {
		return "", err
	}
	s, ok := t.(string)
	if !ok {
		return "", fmt.Errorf("want a string, found %v", t)
	}
	return s, nil
}

// findSeries walks the response to the first point of the selected series.
func (r *promReader) findSeries() error {
	if err := r.delim('{'); err != nil {
		return err
	}
	var status, errMsg string
	for r.dec.More() {
		k, err := r.key()
		if err != nil {
			return err
		}
		switch k {
		case "status":
			if status, err = r.str(); err != nil {
				return err
			}
		case "error":
			if errMsg, err = r.str(); err != nil {
				return err
			}
		case "data":
			if status == "error" {
				return errorf(ErrMalformed, "response status error: %s", errMsg)
			}
			found, err := r.findInData()
			if err != nil || found {
				return err
			}
		default:
			if err := r.skip(); err != nil {
				return err
			}
		}
	}
	if status == "error" {
		return errorf(ErrMalformed, "response status error: %s", errMsg)
	}
	return errorf(ErrEmpty, "no data.result in the response")
}

func (r *promReader) findInData() (bool, error) {
	if err := r.delim('{'); err != nil {
		return false, err
	}
	for r.dec.More() {
		k, err := r.key()
		if err != nil {
			return false, err
		}
		switch k {
		case "resultType":
			rt, err := r.str()
			if err != nil {
				return false, err
			}
			if rt != "matrix" {
				return false, errorf(ErrMalformed, "resultType %q, want \"matrix\" (a query_range response)", rt)
			}
		case "result":
			if err := r.delim('['); err != nil {
				return false, err
			}
			found, err := r.nextSeries()
			if err != nil {
				return false, err
			}
			if !found {
				if len(r.opts.Labels) > 0 {
					return false, errorf(ErrEmpty, "no series has the labels %s", FormatLabels(r.opts.Labels))
				}
				return false, errorf(ErrEmpty, "no series in the response")
			}
			return true, nil
		default:
			if err := r.skip(); err != nil {
				return false, err
			}
		}
	}
	return false, r.delim('}')
}

// nextSeries reads result elements up to the values of the next series
// that matches the selection; false at the end of the result array.
func (r *promReader) nextSeries() (bool, error) {
	for r.dec.More() {
		if err := r.delim('{'); err != nil {
			return false, err
		}
		var metric map[string]string
		for r.dec.More() {
			k, err := r.key()
			if err != nil {
				return false, err
			}
			switch k {
			case "metric":
				if err := r.dec.Decode(&metric); err != nil {
					return false, err
				}
			case "values":
				if metric == nil && len(r.opts.Labels) > 0 {
					return false, errorf(ErrMalformed, "series values come before its metric: cannot select by labels")
				}
				if r.matches(metric) {
					if err := r.delim('['); err != nil {
						return false, err
					}
					r.picked = metric
					if r.picked == nil {
						r.picked = map[string]string{}
					}
					return true, nil
				}
				if err := r.skip(); err != nil {
					return false, err
				}
			default:
				if err := r.skip(); err != nil {
					return false, err
				}
			}
		}
		if err := r.delim('}'); err != nil {
			return false, err
		}
	}
	return false, r.delim(']')
}

func (r *promReader) matches(metric map[string]string) bool {
	for k, v := range r.opts.Labels {
		if mv, ok := metric[k]; !ok || mv != v {
			return false
		}
	}
	return true
}

func (r *promReader) Next(row *Row) error {
	if r.closed {
		return ErrClosed
	}
	if r.err != nil {
		return r.err
	}
	r.err = r.next(row)
	return r.err
}

func (r *promReader) next(row *Row) error {
	if !r.dec.More() {
		return r.finish()
	}
	n := r.rows + 1
	if err := r.delim('['); err != nil {
		return r.wrap(n, "", fmt.Errorf("point: %w", err))
	}
	tt, err := r.dec.Token()
	if err != nil {
		return r.wrap(n, "timestamp", err)
	}
	var t time.Time
	switch v := tt.(type) {
	case json.Number:
		t, err = parseUnix(string(v))
	case string:
		t, err = parseUnix(v)
	default:
		err = errorf(ErrMalformed, "timestamp %v is not a number", tt)
	}
	if err == nil {
		err = checkOrder(r.prev, t, r.rows == 0)
	}
	if err != nil {
		return r.wrap(n, "timestamp", err)
	}
	vt, err := r.dec.Token()
	if err != nil {
		return r.wrap(n, PrometheusColumn, err)
	}
	var v float64
	switch s := vt.(type) {
	case string:
		v, err = parseValue(s, r.opts.AllowNegative)
	case json.Number:
		v, err = parseValue(string(s), r.opts.AllowNegative)
	default:
		err = errorf(ErrMalformed, "value %v is not a string", vt)
	}
	if err != nil {
		return r.wrap(n, PrometheusColumn, err)
	}
	if err := r.delim(']'); err != nil {
		return r.wrap(n, "", fmt.Errorf("point: %w", err))
	}
	row.Values = resize(row.Values, 1)
	row.Values[0] = v
	row.Time = t
	r.prev = t
	r.rows++
	return nil
}

// finish reads past the series; another matching series is an error.
func (r *promReader) finish() error {
	if err := r.delim(']'); err != nil {
		return r.wrap(0, "", err)
	}
	if r.rows == 0 {
		return r.wrap(0, "", errorf(ErrEmpty, "series %s has no points", FormatLabels(r.picked)))
	}
	// The rest of the series object.
	for r.dec.More() {
		if _, err := r.key(); err != nil {
			return r.wrap(0, "", err)
		}
		if err := r.skip(); err != nil {
			return r.wrap(0, "", err)
		}
	}
	if err := r.delim('}'); err != nil {
		return r.wrap(0, "", err)
	}
	first := r.picked
	found, err := r.nextSeries()
	if err != nil {
		return r.wrap(0, "", err)
	}
	if found {
		return r.wrap(0, "", errorf(ErrMalformed, "more than one series: %s and %s; choose one by its labels", FormatLabels(first), FormatLabels(r.picked)))
	}
	return io.EOF
}

func (r *promReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return closeIf(r.closer)
}

// FormatLabels formats labels as {a="x",b="y"}, sorted by name.
func FormatLabels(l map[string]string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(l)) {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", k, l[k])
	}
	b.WriteByte('}')
	return b.String()
}

// ParseLabels reads name=value pairs, as --series-label gives them.
func ParseLabels(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("label %q: want name=value", p)
		}
		out[k] = v
	}
	return out, nil
}
