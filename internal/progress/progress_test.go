package progress

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDisabledBarWritesNothing(t *testing.T) {
	var b bytes.Buffer
	bar := Start(&b, false, "x", 10)
	bar.Add(10)
	bar.Finish()
	bar.Finish() // a second Finish is harmless
	if b.Len() != 0 {
		t.Errorf("disabled bar wrote %q", b.String())
	}
}

func TestDraw(t *testing.T) {
	var b bytes.Buffer
	bar := &Bar{total: 4, label: "simulating", w: &b}
	bar.Add(1)
	bar.draw(1500 * time.Millisecond)
	got := b.String()
	if !strings.HasPrefix(got, "\rsimulating [#######") || !strings.Contains(got, " 25% 1.5s 1/4 ETA 5s") {
		t.Errorf("draw wrote %q", got)
	}
}

func TestIsTerminalFalseForFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
}
