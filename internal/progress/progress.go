package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Bar reports done out of total. Add is safe for concurrent use and cheap
// (one atomic add); drawing happens on a ticker in its own goroutine.
type Bar struct {
	done  atomic.Int64
	total int64
	label string
	w     io.Writer
	stop  chan struct{}
	wg    sync.WaitGroup
	drew  bool
}

// Start returns a running Bar drawing on w, or a Bar that draws nothing
// when enabled is false. Call Finish when the work ends.
func Start(w io.Writer, enabled bool, label string, total int64) *Bar {
	b := &Bar{total: max(total, 1), label: label, w: w, stop: make(chan struct{})}
	if !enabled {
		return b
	}
	b.wg.Add(1)
	go b.loop(time.Now())
	return b
}

// Add records n more units done.
func (b *Bar) Add(n int64) { b.done.Add(n) }

func (b *Bar) loop(start time.Time) {
	defer b.wg.Done()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			if b.drew {
				b.draw(time.Since(start))
				fmt.Fprintln(b.w)
			}
			return
		case <-t.C:
			if el := time.Since(start); el >= time.Second {
				b.drew = true
				b.draw(el)
			}
		}
	}
}

func (b *Bar) draw(el time.Duration) {
	const width = 30
	done := b.done.Load()
	f := min(float64(done)/float64(b.total), 1)
	n := int(f * width)
	eta := "ETA ?"
	if done > 0 {
		eta = "ETA " + time.Duration(float64(el)*(1-f)/f).Round(time.Second).String()
	}
	fmt.Fprintf(b.w, "\r%s [%s%s] %3.0f%% %s %d/%d %s ", b.label, strings.Repeat("#", n), strings.Repeat(" ", width-n), 100*f,
		el.Round(100*time.Millisecond), done, b.total, eta)
}

// Finish stops drawing and ends the line if anything was drawn.
func (b *Bar) Finish() {
	select {
	case <-b.stop:
		return
	default:
	}
	close(b.stop)
	b.wg.Wait()
}
