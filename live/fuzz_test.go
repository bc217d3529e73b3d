package live

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{`python3 -m http.server {port}`, `sh -c 'echo "a b"'`, `a\ b "c\"d"`, `'`, `"`, `\`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitCommand(s)
		if err == nil && len(words) == 0 {
			t.Errorf("SplitCommand(%q): no words and no error", s)
		}
		// Plain words split at spaces, tabs and newlines, as a shell does.
		blank := func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' }
		if !strings.ContainsAny(s, `'"\`) && err == nil && strings.Join(words, "\x00") != strings.Join(strings.FieldsFunc(s, blank), "\x00") {
			t.Errorf("SplitCommand(%q) = %q", s, words)
		}
	})
}

// FuzzOpenRecorder opens a recorder on arbitrary file contents: it must
// refuse or append, never panic, and a row it appends to a file it accepted
// must end up after a newline.
func FuzzOpenRecorder(f *testing.F) {
	h := header()
	for _, s := range []string{"", h, h[:10], h + "2026-12-04T12:00:00Z,1,0,0,0,1,0,1,1,1,0,0,0,1\n", h + "2026-12-04T12:00:00Z,1,0", "timestamp,value\n0,1\n", h + "garbage\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(t.TempDir(), "rec.csv")
		os.WriteFile(path, []byte(content), 0o644)
		r, err := OpenRecorder(path, time.Second)
		if err != nil {
			return
		}
		werr := r.Write(Record{Time: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), Valid: true})
		r.Close()
		data, _ := os.ReadFile(path)
		if !strings.HasPrefix(string(data), h) {
			t.Fatalf("file does not start with the header: %q", data)
		}
		if werr == nil && !strings.HasSuffix(string(data), "\n") {
			t.Fatalf("appended row does not end the file with a newline: %q", data)
		}
	})
}
