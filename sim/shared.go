package sim

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omnixan/omnixan/traces"
)

// SharedLoad resolves one load into simulation steps once — decoding the
// trace, averaging it over each step and finding the instances each step
// needs — for several runs at once, each given a Steps stream of its own.
// Replaying a trace through n policies then reads and resolves it once
// instead of n times. Memory is bounded: the producer stays at most a few
// thousand steps ahead of the slowest run.
type SharedLoad struct {
	start time.Time
	outs  []chan *stepBlock
	free  chan *stepBlock
	done  []atomic.Bool
	err   error // set before outs are closed
	stop  context.CancelFunc
	wg    sync.WaitGroup
}

// Steps is one run's stream of a SharedLoad; pass it to Run as the load.
// It is not safe for concurrent use.
type Steps struct {
	s   *SharedLoad
	i   int
	cur *stepBlock
	pos int
}

// stepBlock is a run of resolved steps shared by every stream.
type stepBlock struct {
	steps []stepInfo
	refs  atomic.Int32
}

const (
	sharedBlockSteps = 4096
	sharedBlocks     = 8
)

// NewSharedLoad starts resolving load for n runs with the configuration
// cfg (its Step, Column, Scale and Service, after defaults); every run
// given one of its streams must use the same. The load is read on a
// goroutine of its own until it ends, ctx is done or Close is called.
func NewSharedLoad(ctx context.Context, cfg Config, load Load, n int) (*SharedLoad, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, fmt.Errorf("%w: a shared load for %d runs", ErrInvalidConfig, n)
	}
	cfg = cfg.WithDefaults()
	var r loadResolver
	if err := r.init(load, cfg.Column, cfg.Scale); err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(ctx)
	s := &SharedLoad{start: r.start, outs: make([]chan *stepBlock, n), free: make(chan *stepBlock, sharedBlocks),
		done: make([]atomic.Bool, n), stop: stop}
	for i := range s.outs {
		s.outs[i] = make(chan *stepBlock, sharedBlocks)
	}
	for range sharedBlocks {
		s.free <- &stepBlock{steps: make([]stepInfo, 0, sharedBlockSteps)}
	}
	svc := cfg.Service
	step := int64(cfg.Step)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			for _, ch := range s.outs {
				close(ch)
			}
		}()
		for k := 0; ; {
			var b *stepBlock
			select {
			case b = <-s.free:
			case <-ctx.Done():
				s.err = ctx.Err()
				return
			}
			b.steps = b.steps[:0]
			ended := false
			for len(b.steps) < sharedBlockSteps {
				rate, ok, err := r.mean(int64(k)*step, int64(k+1)*step)
				if err != nil {
					s.err = err
					return
				}
				if !ok {
					ended = true
					break
				}
				need, inv := svc.needInv(rate)
				b.steps = append(b.steps, stepInfo{rate: rate, need: need, inv: inv})
				k++
			}
			if len(b.steps) > 0 {
				b.refs.Store(int32(n))
				for i, ch := range s.outs {
					if s.done[i].Load() {
						s.release(b)
						continue
					}
					select {
					case ch <- b:
					case <-ctx.Done():
						s.err = ctx.Err()
						return
					}
				}
			}
			if ended {
				return
			}
		}
	}()
	return s, nil
}

func (s *SharedLoad) release(b *stepBlock) {
	if b.refs.Add(-1) == 0 {
		s.free <- b
	}
}

// Steps returns run i's stream, 0 ≤ i < n.
func (s *SharedLoad) Steps(i int) *Steps { return &Steps{s: s, i: i} }

// Close stops the producer and waits for it. Streams still being read end
// with an error.
func (s *SharedLoad) Close() error {
	s.stop()
	for i := range s.outs {
		s.Steps(i).abandon()
	}
	s.wg.Wait()
	return nil
}

// next returns the stream's next step; ok is false at the end of the
// load.
func (st *Steps) next() (stepInfo, bool, error) {
	for st.cur == nil || st.pos == len(st.cur.steps) {
		if st.cur != nil {
			st.s.release(st.cur)
			st.cur = nil
		}
		b, ok := <-st.s.outs[st.i]
		if !ok {
			return stepInfo{}, false, st.s.err
		}
		st.cur, st.pos = b, 0
	}
	st.pos++
	return st.cur.steps[st.pos-1], true, nil
}

// abandon gives up the rest of the stream, so the producer and the other
// streams go on without it.
func (st *Steps) abandon() {
	if st.s.done[st.i].Swap(true) {
		return
	}
	if st.cur != nil {
		st.s.release(st.cur)
		st.cur = nil
	}
	go func() {
		for b := range st.s.outs[st.i] {
			st.s.release(b)
		}
	}()
}

// Columns and Next make Steps a Load for Run's signature; Run reads the
// resolved steps instead, so these are never called by it.
func (st *Steps) Columns() []string { return nil }

// Next implements Load; a Steps stream has no rows.
func (st *Steps) Next(*traces.Row) error {
	return fmt.Errorf("sim: a Steps stream is read by Run, not row by row")
}
