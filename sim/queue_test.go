package sim

import (
	"container/heap"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestQueueOrdersByTimeThenFIFO(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var q Queue
	var want []Event
	for i := 0; i < 5000; i++ {
		e := Event{At: rng.Int64N(200), Kind: uint32(i % 7), Arg: int64(i)}
		q.Push(e)
		e.Seq = uint64(i)
		want = append(want, e)
	}
	sort.SliceStable(want, func(i, j int) bool { return want[i].At < want[j].At })
	var got []Event
	for q.Len() > 0 {
		e, _ := q.Pop()
		got = append(got, e)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("pop order (-want +got):\n%s", diff)
	}
	if _, ok := q.Pop(); ok {
		t.Fatal("Pop on empty queue returned ok")
	}
	if _, ok := q.Peek(); ok {
		t.Fatal("Peek on empty queue returned ok")
	}
}

func TestQueueInterleavedMatchesSortedReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var q Queue
	var ref []Event // kept sorted by (At, Seq)
	var seq uint64
	for step := 0; step < 20000; step++ {
		if len(ref) == 0 || rng.IntN(3) > 0 {
			e := Event{At: rng.Int64N(1000), Arg: int64(step)}
			q.Push(e)
			e.Seq = seq
			seq++
			i := sort.Search(len(ref), func(i int) bool { return e.before(&ref[i]) })
			ref = append(ref, Event{})
			copy(ref[i+1:], ref[i:])
			ref[i] = e
			continue
		}
		p, _ := q.Peek()
		got, ok := q.Pop()
		if !ok || got != ref[0] || p != got {
			t.Fatalf("step %d: Pop = %+v, %v; Peek = %+v; want %+v", step, got, ok, p, ref[0])
		}
		ref = ref[1:]
	}
}

// The hold model: with n events pending, pop the earliest and schedule one
// at a random later time. It is the standard benchmark for event sets.
func BenchmarkQueueHold(b *testing.B) {
	const pending = 1024
	rng := rand.New(rand.NewPCG(1, 1))
	var q Queue
	for i := 0; i < pending; i++ {
		q.Push(Event{At: rng.Int64N(1 << 20)})
	}
	incs := make([]int64, 4096)
	for i := range incs {
		incs[i] = 1 + rng.Int64N(1<<20)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e, _ := q.Pop()
		e.At += incs[i&4095]
		q.Push(e)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

type refHeap []Event

func (h refHeap) Len() int           { return len(h) }
func (h refHeap) Less(i, j int) bool { return h[i].before(&h[j]) }
func (h refHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *refHeap) Push(x any)        { *h = append(*h, x.(Event)) }
func (h *refHeap) Pop() any {
	old := *h
	n := len(old)
	x := old[n-1]
	*h = old[:n-1]
	return x
}

// BenchmarkContainerHeapHold is the same hold model on container/heap, the
// baseline the Queue is measured against.
func BenchmarkContainerHeapHold(b *testing.B) {
	const pending = 1024
	rng := rand.New(rand.NewPCG(1, 1))
	h := &refHeap{}
	var seq uint64
	for i := 0; i < pending; i++ {
		heap.Push(h, Event{At: rng.Int64N(1 << 20), Seq: seq})
		seq++
	}
	incs := make([]int64, 4096)
	for i := range incs {
		incs[i] = 1 + rng.Int64N(1<<20)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := heap.Pop(h).(Event)
		e.At += incs[i&4095]
		e.Seq = seq
		seq++
		heap.Push(h, e)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
