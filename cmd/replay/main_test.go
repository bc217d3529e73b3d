package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/omnixan/omnixan/internal/cli"
)

func runReplay(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.ExitCode("replay", run(context.Background(), args, &out, &errb), &errb)
	return out.String(), errb.String(), code
}

func TestUsage(t *testing.T) {
	if out, _, code := runReplay(t, "--help"); code != 0 || !strings.Contains(out, "Usage: replay") || !strings.Contains(out, "forecast") {
		t.Errorf("--help: exit %d, stdout %q", code, out)
	}
	if _, errs, code := runReplay(t, "bogus"); code != 2 || !strings.Contains(errs, `unknown command "bogus"`) {
		t.Errorf("bogus: exit %d, stderr %q", code, errs)
	}
	if _, errs, code := runReplay(t); code != 2 || !strings.Contains(errs, "Usage: replay") {
		t.Errorf("no args: exit %d, stderr %q", code, errs)
	}
}
