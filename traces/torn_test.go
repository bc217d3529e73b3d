package traces

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// TestCSVTornTail checks that a last line cut short by a crash during an
// append ends the trace, and that a bad line anywhere else is still an
// error.
func TestCSVTornTail(t *testing.T) {
	const head = "timestamp,requests_per_second,valid\n2026-01-01T00:00:00Z,10,1\n2026-01-01T00:00:01Z,12,1\n"
	tests := []struct {
		name    string
		in      string
		rows    int
		wantErr error
	}{
		{"complete", head, 2, nil},
		{"no final newline", head + "2026-01-01T00:00:02Z,13,1", 3, nil},
		{"torn in a value", head + "2026-01-01T00:00:02Z,1", 2, nil},
		{"torn in the time", head + "2026-01-01T00:0", 2, nil},
		{"bad last line with newline", head + "2026-01-01T00:00:02Z,x,1\n", 2, ErrMalformed},
		{"bad line before others", "timestamp,requests_per_second,valid\n2026-01-01T00:00:00Z,1\n2026-01-01T00:00:01Z,12,1\n", 0, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewCSVReader(tt.name, strings.NewReader(tt.in), nil)
			if err != nil {
				if tt.wantErr == nil || !errors.Is(err, tt.wantErr) {
					t.Fatalf("NewCSVReader: %v, want %v", err, tt.wantErr)
				}
				return
			}
			var row Row
			n := 0
			for {
				err = r.Next(&row)
				if err != nil {
					break
				}
				n++
			}
			if n != tt.rows {
				t.Errorf("read %d rows, want %d", n, tt.rows)
			}
			if tt.wantErr == nil && err != io.EOF {
				t.Errorf("end: %v, want io.EOF", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("end: %v, want %v", err, tt.wantErr)
			}
		})
	}
	// Only a torn data row: as empty as a header alone.
	if _, err := NewCSVReader("torn", strings.NewReader("timestamp,value\n2026-01-01T00:0"), nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("header and a torn row: %v, want ErrEmpty", err)
	}
}
