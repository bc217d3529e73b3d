package sim

import "math/bits"

// Event is one scheduled occurrence in virtual time. It is a plain value:
// the queue stores events inline, so scheduling and popping allocate nothing.
//
// At is virtual time in nanoseconds since the start of the run (a
// time.Duration offset, kept as int64 so comparisons are one instruction).
// Seq is assigned by the queue and breaks ties first-in-first-out.
// Kind selects the handler; Arg is a free argument for it (an instance
// index, a generation number, ...).
type Event struct {
	At   int64
	Seq  uint64
	Kind uint32
	Arg  int64
}

// before reports whether a runs before b: earlier time, then earlier sequence.
func (a *Event) before(b *Event) bool {
	return lessBit(a, b) == 1
}

// lessBit is 1 when a runs before b and 0 otherwise, computed without a
// branch as the borrow of the 128-bit subtraction (At, Seq)a − (At, Seq)b.
// Flipping the sign bit maps int64 order onto uint64 order.
func lessBit(a, b *Event) int {
	_, borrow := bits.Sub64(a.Seq, b.Seq, 0)
	_, borrow = bits.Sub64(uint64(a.At)^(1<<63), uint64(b.At)^(1<<63), borrow)
	return int(borrow)
}

// Queue is a priority queue of events ordered by (At, Seq), as a 4-ary
// implicit heap of values. A 4-ary heap halves the depth of a binary heap and
// keeps each node's children in one or two cache lines, which makes it about
// twice as fast as container/heap with an interface per element
// (BenchmarkQueueHold against BenchmarkContainerHeapHold).
//
// The zero value is an empty queue ready to use. A Queue is not safe for
// concurrent use; the simulator runs it in one goroutine.
type Queue struct {
	ev  []Event
	seq uint64
}

// Len returns the number of pending events.
func (q *Queue) Len() int { return len(q.ev) }

// Push schedules e, overwriting e.Seq with the next sequence number so that
// events scheduled for the same instant run in the order they were pushed.
func (q *Queue) Push(e Event) {
	e.Seq = q.seq
	q.seq++
	q.ev = append(q.ev, e)
	q.up(len(q.ev) - 1)
}

// Peek returns the earliest event without removing it. ok is false when the
// queue is empty.
func (q *Queue) Peek() (e Event, ok bool) {
	if len(q.ev) == 0 {
		return Event{}, false
	}
	return q.ev[0], true
}

// Pop removes and returns the earliest event. ok is false when the queue is
// empty.
func (q *Queue) Pop() (e Event, ok bool) {
	n := len(q.ev)
	if n == 0 {
		return Event{}, false
	}
	e = q.ev[0]
	last := q.ev[n-1]
	q.ev = q.ev[:n-1]
	if n > 1 {
		q.down(last)
	}
	return e, true
}

// Reset empties the queue, keeping its storage, and restarts sequence numbers.
func (q *Queue) Reset() {
	q.ev = q.ev[:0]
	q.seq = 0
}

func (q *Queue) up(i int) {
	ev := q.ev
	x := ev[i]
	for i > 0 {
		p := (i - 1) >> 2
		if !x.before(&ev[p]) {
			break
		}
		ev[i] = ev[p]
		i = p
	}
	ev[i] = x
}

// down places x, which was the last element, starting at the root. It
// walks the hole down along the smallest children to a leaf and then sifts x
// up from there (Floyd's bottom-up deletion): the element moved from the end
// of the heap usually belongs near the leaves, so this saves one comparison
// per level.
func (q *Queue) down(x Event) {
	ev := q.ev
	n := len(ev)
	i := 0
	for {
		c := 4*i + 1
		if c+3 < n {
			// All four children exist: a branch-light tournament.
			m := c + lessBit(&ev[c+1], &ev[c])
			m2 := c + 2 + lessBit(&ev[c+3], &ev[c+2])
			m += (m2 - m) * lessBit(&ev[m2], &ev[m])
			ev[i] = ev[m]
			i = m
			continue
		}
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < n; j++ {
			if ev[j].before(&ev[m]) {
				m = j
			}
		}
		ev[i] = ev[m]
		i = m
		break
	}
	// Sift x up from the hole.
	for i > 0 {
		p := (i - 1) >> 2
		if !x.before(&ev[p]) {
			break
		}
		ev[i] = ev[p]
		i = p
	}
	ev[i] = x
}
