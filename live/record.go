package live

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RecordColumns are the value columns of a recording, after "timestamp".
// The first is the load that replay --trace reads by default; "valid" is
// last and always one character, so that a line torn anywhere fails to
// parse instead of reading as a shorter number.
var RecordColumns = []string{
	"requests_per_second", // observed request rate, req/s (the last valid one when invalid)
	"cpu_utilization",     // fraction
	"memory_utilization",  // fraction
	"quantum_workload",    // the quantum query's value
	"ready",               // ready instances
	"starting",            // instances not ready yet
	"current",             // the orchestrator's target before the decision
	"proposed",            // the policy's proposal
	"target",              // after the guard (bounds, budget, anti-flapping)
	"scaled",              // 1 when a Scale call was sent
	"error",               // 1 when the pass failed
	"partial",             // 1 when some input was missing
	"valid",               // 1 when the observation was valid
}

// Record is one row of a recording.
type Record struct {
	Time                              time.Time
	RequestRate, CPU, Memory, Quantum float64
	Ready, Starting                   int
	Current, Proposed, Target         int
	Scaled, Err, Partial, Valid       bool
}

// Recorder appends Records to a CSV load trace in the canonical layout
// (docs/trace-formats.md): "timestamp" in RFC 3339 with nanoseconds, then
// RecordColumns. Every row goes to the file in one write(2), so a kill -9
// loses nothing written; the file is fsynced at most SyncEvery after a
// write, and on Close.
//
// Opening an existing recording appends to it: its header must match, a
// torn last line (no final newline, left by a crash during a write or a
// power loss) is cut off, and rows are only written with times after its
// last one. Recorder is safe for concurrent use.
type Recorder struct {
	mu        sync.Mutex
	f         *os.File
	buf       []byte
	last      time.Time
	dirty     bool
	synced    time.Time
	syncEvery time.Duration
	rows      int
}

// header is the first line of a recording.
func header() string {
	return "timestamp," + strings.Join(RecordColumns, ",") + "\n"
}

// OpenRecorder opens path for appending, creating it with the header when
// missing or empty. syncEvery ≤ 0 means 2 s.
func OpenRecorder(path string, syncEvery time.Duration) (*Recorder, error) {
	if syncEvery <= 0 {
		syncEvery = 2 * time.Second
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	r := &Recorder{f: f, syncEvery: syncEvery}
	if err := r.prepare(path); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// prepare checks an existing file, cuts a torn tail, finds the last time,
// and positions the file at its end.
func (r *Recorder) prepare(path string) error {
	data, err := io.ReadAll(r.f)
	if err != nil {
		return fmt.Errorf("recording %s: %w", path, err)
	}
	h := header()
	if len(data) == 0 || (len(data) < len(h) && strings.HasPrefix(h, string(data))) {
		// New, or only a torn header.
		if err := r.f.Truncate(0); err != nil {
			return fmt.Errorf("recording %s: %w", path, err)
		}
		if _, err := r.f.WriteAt([]byte(h), 0); err != nil {
			return fmt.Errorf("recording %s: %w", path, err)
		}
		_, err := r.f.Seek(int64(len(h)), io.SeekStart)
		return err
	}
	if !bytes.HasPrefix(data, []byte(h)) {
		return fmt.Errorf("recording %s: header %q is not a recording's (%q): refusing to append", path, firstLine(string(data)), strings.TrimSpace(h))
	}
	end := bytes.LastIndexByte(data, '\n') + 1
	if end < len(data) {
		if err := r.f.Truncate(int64(end)); err != nil {
			return fmt.Errorf("recording %s: cut torn last line: %w", path, err)
		}
	}
	if body := data[len(h):end]; len(body) > 0 {
		last := body[bytes.LastIndexByte(body[:len(body)-1], '\n')+1:]
		ts, _, _ := strings.Cut(string(last), ",")
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return fmt.Errorf("recording %s: last row's timestamp %q: %w", path, ts, err)
		}
		r.last = t
	}
	_, err = r.f.Seek(int64(end), io.SeekStart)
	return err
}

// ErrNotAfter is returned by Write for a row not after the previous one.
var ErrNotAfter = errors.New("recording: time not after the previous row")

// Write appends rec as one line, and fsyncs when the last fsync is older
// than syncEvery (measured on rec.Time).
func (r *Recorder) Write(rec Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return errors.New("recording: closed")
	}
	if !rec.Time.After(r.last) {
		return fmt.Errorf("%w: %s", ErrNotAfter, rec.Time.UTC().Format(time.RFC3339Nano))
	}
	b := rec.Time.UTC().AppendFormat(r.buf[:0], time.RFC3339Nano)
	for _, v := range [...]float64{rec.RequestRate, rec.CPU, rec.Memory, rec.Quantum} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			v = 0
		}
		b = append(b, ',')
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	for _, v := range [...]int{rec.Ready, rec.Starting, rec.Current, rec.Proposed, rec.Target} {
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(max(v, 0)), 10)
	}
	for _, v := range [...]bool{rec.Scaled, rec.Err, rec.Partial, rec.Valid} {
		b = append(b, ',', '0')
		if v {
			b[len(b)-1] = '1'
		}
	}
	b = append(b, '\n')
	r.buf = b
	if _, err := r.f.Write(b); err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	r.last = rec.Time
	r.rows++
	r.dirty = true
	if rec.Time.Sub(r.synced) >= r.syncEvery {
		if err := r.f.Sync(); err != nil {
			return fmt.Errorf("recording: fsync: %w", err)
		}
		r.synced, r.dirty = rec.Time, false
	}
	return nil
}

// Sync fsyncs the file if rows were written since the last fsync.
func (r *Recorder) Sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil || !r.dirty {
		return nil
	}
	r.dirty = false
	return r.f.Sync()
}

// Rows returns the rows written since Open.
func (r *Recorder) Rows() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rows
}

// Close fsyncs and closes the file. A second Close does nothing.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Sync()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	r.f = nil
	return err
}
