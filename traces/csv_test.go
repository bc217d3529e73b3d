package traces

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCSVReaderErrors(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		opts     *ReadOptions
		sentinel error
		line     int
		column   string
	}{
		{"empty input", "", nil, ErrEmpty, 0, ""},
		{"blank lines only", "\n\n", nil, ErrEmpty, 0, ""},
		{"header only", "timestamp,value\n", nil, ErrEmpty, 0, ""},
		{"no time column", "t,value\n0,1\n", nil, ErrMissingColumn, 1, "timestamp"},
		{"custom time column missing", "timestamp,value\n0,1\n", &ReadOptions{TimeColumn: "ts"}, ErrMissingColumn, 1, "ts"},
		{"no value column", "timestamp\n0\n", nil, ErrMissingColumn, 1, ""},
		{"duplicate header", "timestamp,v,v\n0,1,2\n", nil, ErrMalformed, 1, "v"},
		{"empty header name", "timestamp,,v\n0,1,2\n", nil, ErrMalformed, 1, ""},
		{"out of order", "timestamp,value\n0,1\n60,1\n30,1\n", nil, ErrOutOfOrder, 4, "timestamp"},
		{"duplicate time", "timestamp,value\n0,1\n60,1\n60,2\n", nil, ErrDuplicateTime, 4, "timestamp"},
		{"duplicate time across forms", "timestamp,value\n0,1\n1970-01-01T00:00:00Z,1\n", nil, ErrDuplicateTime, 3, "timestamp"},
		{"NaN", "timestamp,value\n0,1\n60,NaN\n", nil, ErrNotFinite, 3, "value"},
		{"Inf", "timestamp,a,b\n0,1,+Inf\n", nil, ErrNotFinite, 2, "b"},
		{"overflow", "timestamp,value\n0,1e400\n", nil, ErrNotFinite, 2, "value"},
		{"negative", "timestamp,value\n0,1\n60,-0.5\n", nil, ErrNegative, 3, "value"},
		{"bad number", "timestamp,value\n0,1\n60,abc\n", nil, ErrMalformed, 3, "value"},
		{"empty value", "timestamp,value\n0,\n", nil, ErrMalformed, 2, "value"},
		{"bad timestamp", "timestamp,value\n2025-13-01T00:00:00Z,1\n", nil, ErrMalformed, 2, "timestamp"},
		{"timestamp without zone", "timestamp,value\n2025-01-01T00:00:00,1\n", nil, ErrMalformed, 2, "timestamp"},
		{"timestamp NaN", "timestamp,value\nNaN,1\n", nil, ErrNotFinite, 2, "timestamp"},
		{"timestamp past 9999", "timestamp,value\n1e12,1\n", nil, ErrMalformed, 2, "timestamp"},
		{"too few fields", "timestamp,value\n0,1\n60\n", nil, ErrMalformed, 3, ""},
		{"too many fields", "timestamp,value\n0,1,2\n", nil, ErrMalformed, 2, ""},
		{"bare quote", "timestamp,value\n0,1\"2\n", nil, ErrMalformed, 2, ""},
		{"error after quoted newline", "timestamp,\"va\nlue\"\n0,1\n60,-1\n", nil, ErrNegative, 4, "va\nlue"},
		{"time column in the middle", "a,timestamp,b\n1,0,2\n1,60,x\n", nil, ErrMalformed, 3, "b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewCSVReader("trace.csv", strings.NewReader(tc.in), tc.opts)
			if err == nil {
				_, err = readAll(r)
				// The error is sticky.
				if err2 := r.Next(&Row{}); err2 != err {
					t.Errorf("second Next after error: %v, want %v", err2, err)
				}
			}
			wantParseError(t, err, tc.sentinel, tc.line, 0, tc.column)
			var pe *ParseError
			if errors.As(err, &pe) && pe.File != "trace.csv" {
				t.Errorf("File = %q, want trace.csv", pe.File)
			}
		})
	}
}

func TestParseErrorMessage(t *testing.T) {
	r, err := NewCSVReader("trace.csv", strings.NewReader("timestamp,value\n60,1\n0,2\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = readAll(r)
	const want = `trace.csv:3: column "timestamp": timestamp out of order: 1970-01-01T00:00:00Z before 1970-01-01T00:01:00Z`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
	pe := &ParseError{File: "t.parquet", Row: 7, Column: "value", Err: ErrNegative}
	if got, want := pe.Error(), `t.parquet: row 7: column "value": negative value`; got != want {
		t.Errorf("Parquet error = %q, want %q", got, want)
	}
	if got, want := (&ParseError{Err: ErrEmpty}).Error(), "<input>: empty trace"; got != want {
		t.Errorf("bare error = %q, want %q", got, want)
	}
}

func TestCSVReaderAccepts(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		opts    *ReadOptions
		columns []string
		want    []Row
	}{
		{
			name:    "unix seconds",
			in:      "timestamp,value\n0,42\n60,62\n120.5,58\n",
			columns: []string{"value"},
			want: []Row{
				{epoch, []float64{42}},
				{epoch.Add(time.Minute), []float64{62}},
				{epoch.Add(120*time.Second + 500*time.Millisecond), []float64{58}},
			},
		},
		{
			name: "rfc3339 forms, quoted fields, spaces, BOM, CRLF, time column last",
			in: "\ufeffa, \"b\",Timestamp\r\n" +
				"1, 2.5 ,2025-03-01T00:00:00Z\r\n" +
				"\"3\",4,2025-03-01 00:00:01.25-01:00\r\n" +
				"5,6e3,2025-03-01T01:00:01.5-00:00\r\n",
			columns: []string{"a", "b"},
			want: []Row{
				{time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), []float64{1, 2.5}},
				{time.Date(2025, 3, 1, 1, 0, 1, 250e6, time.UTC), []float64{3, 4}},
				{time.Date(2025, 3, 1, 1, 0, 1, 500e6, time.UTC), []float64{5, 6000}},
			},
		},
		{
			name:    "negative allowed, negative time, exponent time",
			in:      "time,delta\n-1.5,-3\n0,-0\n1e3,0x1p-2\n",
			opts:    &ReadOptions{AllowNegative: true},
			columns: []string{"delta"},
			want: []Row{
				{time.Unix(-2, 5e8).UTC(), []float64{-3}},
				{epoch, []float64{math.Copysign(0, -1)}},
				{epoch.Add(1000 * time.Second), []float64{0.25}},
			},
		},
		{
			name:    "custom time column",
			in:      "when,timestamp\n10,1\n20,2\n",
			opts:    &ReadOptions{TimeColumn: "when"},
			columns: []string{"timestamp"},
			want: []Row{
				{epoch.Add(10 * time.Second), []float64{1}},
				{epoch.Add(20 * time.Second), []float64{2}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewCSVReader("t.csv", strings.NewReader(tc.in), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.columns, r.Columns()); diff != "" {
				t.Errorf("Columns() (-want +got):\n%s", diff)
			}
			got, err := readAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, bitsEqual); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReaderReusesValues(t *testing.T) {
	r, err := NewCSVReader("t.csv", strings.NewReader("timestamp,a,b\n0,1,2\n1,3,4\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	row := Row{Values: make([]float64, 0, 8)}
	backing := &row.Values[:1][0]
	for range 2 {
		if err := r.Next(&row); err != nil {
			t.Fatal(err)
		}
		if &row.Values[0] != backing {
			t.Fatal("Next allocated a new Values slice although the old one was large enough")
		}
	}
	if err := r.Next(&row); err != io.EOF {
		t.Fatalf("Next at end = %v, want io.EOF", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Next(&row); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close = %v, want ErrClosed", err)
	}
}

func TestWriterErrors(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, format := range []string{"csv", "parquet"} {
		newWriter := func(cols []string) (Writer, error) {
			if format == "csv" {
				return NewCSVWriter(io.Discard, cols)
			}
			return NewParquetWriter(io.Discard, cols)
		}
		t.Run(format+"/columns", func(t *testing.T) {
			for _, tc := range []struct {
				cols     []string
				sentinel error
			}{
				{nil, ErrMissingColumn},
				{[]string{"a", "a"}, ErrMalformed},
				{[]string{""}, ErrMalformed},
				{[]string{"timestamp"}, ErrMalformed},
				{[]string{" v"}, ErrMalformed},
			} {
				if _, err := newWriter(tc.cols); !errors.Is(err, tc.sentinel) {
					t.Errorf("columns %q: error %v, want %v", tc.cols, err, tc.sentinel)
				}
			}
		})
		t.Run(format+"/rows", func(t *testing.T) {
			tests := []struct {
				name     string
				rows     []Row
				sentinel error
			}{
				{"NaN", []Row{{t0, []float64{math.NaN()}}}, ErrNotFinite},
				{"Inf", []Row{{t0, []float64{math.Inf(-1)}}}, ErrNotFinite},
				{"width", []Row{{t0, []float64{1, 2}}}, ErrMalformed},
				{"duplicate", []Row{{t0, []float64{1}}, {t0, []float64{1}}}, ErrDuplicateTime},
				{"order", []Row{{t0, []float64{1}}, {t0.Add(-1), []float64{1}}}, ErrOutOfOrder},
				{"year 10000", []Row{{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), []float64{1}}}, ErrMalformed},
			}
			if format == "parquet" {
				tests = append(tests, struct {
					name     string
					rows     []Row
					sentinel error
				}{"before 1677", []Row{{time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), []float64{1}}}, ErrMalformed})
			}
			for _, tc := range tests {
				w, err := newWriter([]string{"v"})
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range tc.rows {
					err = w.Write(r)
				}
				if !errors.Is(err, tc.sentinel) {
					t.Errorf("%s: error %v, want %v", tc.name, err, tc.sentinel)
				}
				w.Close()
				if err := w.Write(Row{t0.Add(time.Hour), []float64{1}}); !errors.Is(err, ErrClosed) {
					t.Errorf("%s: Write after Close = %v, want ErrClosed", tc.name, err)
				}
			}
		})
	}
}

func TestOpenUnknownFormat(t *testing.T) {
	for _, p := range []string{"trace.txt", "trace", "trace.csv.gz"} {
		if _, err := Open(p, nil); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Open(%q) = %v, want ErrUnknownFormat", p, err)
		}
		if _, err := Create(p, []string{"v"}); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Create(%q) = %v, want ErrUnknownFormat", p, err)
		}
		if _, err := OpenJobs(p); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("OpenJobs(%q) = %v, want ErrUnknownFormat", p, err)
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in       string
		want     time.Time
		sentinel error
	}{
		{"0", epoch, nil},
		{"60", epoch.Add(time.Minute), nil},
		{"+60", epoch.Add(time.Minute), nil},
		{"1700000000.123456789", time.Unix(1700000000, 123456789).UTC(), nil},
		{"1700000000.1234567891", time.Unix(1700000000, 123456789).UTC(), nil}, // truncated
		{".5", epoch.Add(500 * time.Millisecond), nil},
		{"5.", epoch.Add(5 * time.Second), nil},
		{"-0.25", epoch.Add(-250 * time.Millisecond), nil},
		{"1.5e3", epoch.Add(1500 * time.Second), nil},
		{"2025-03-01T12:00:00Z", time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), nil},
		{"2025-03-01T12:00:00.000000001Z", time.Date(2025, 3, 1, 12, 0, 0, 1, time.UTC), nil},
		{"2025-03-01 12:00:00+02:00", time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC), nil},
		{"9999-12-31T23:59:59.999999999Z", maxTime, nil},
		{"253402300800", time.Time{}, ErrMalformed},
		{"-62167219201", time.Time{}, ErrMalformed},
		{"99999999999999999999999", time.Time{}, ErrMalformed},
		{"", time.Time{}, ErrMalformed},
		{"-", time.Time{}, ErrMalformed},
		{".", time.Time{}, ErrMalformed},
		{"1.2.3", time.Time{}, ErrMalformed},
		{"Inf", time.Time{}, ErrNotFinite},
		{"Infinity", time.Time{}, ErrNotFinite},
		{"NaN", time.Time{}, ErrNotFinite},
		{"2025-03-01", time.Time{}, ErrMalformed},
		{"12:00:00", time.Time{}, ErrMalformed},
	}
	for _, tc := range tests {
		got, err := parseTime(tc.in)
		if tc.sentinel != nil {
			if !errors.Is(err, tc.sentinel) {
				t.Errorf("parseTime(%q) = %v, %v; want error %v", tc.in, got, err, tc.sentinel)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}
