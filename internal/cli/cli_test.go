package cli

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		out  string
	}{
		{nil, 0, ""},
		{errors.New("boom"), 1, "x: boom\n"},
		{Usage(errors.New("--days: bad")), 2, "x: --days: bad\n"},
		{fmt.Errorf("wrapped: %w", Usage(errors.New("bad"))), 2, "x: wrapped: bad\n"},
	} {
		var b bytes.Buffer
		if got := ExitCode("x", tc.err, &b); got != tc.code || b.String() != tc.out {
			t.Errorf("ExitCode(%v) = %d, %q; want %d, %q", tc.err, got, b.String(), tc.code, tc.out)
		}
	}
	if IsTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
}
