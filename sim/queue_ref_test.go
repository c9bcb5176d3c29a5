package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// heapQueue is the binary heap the event queue was before it became a
// radix heap: the reference TestQueueMatchesHeap drives both with, item
// for item. Timers have one item each, re-keyed in place.
type heapQueue struct {
	items []item
	pos   []int32 // heap index of each timer slot's item, -1 when not queued
	want  []int64 // time each timer slot should fire, -1 when stopped
	seq   uint64
}

// item is 24 bytes: the heap moves items on every level, and a smaller
// one is a cheaper copy (and three to a 64-byte cache line, not two).

func newHeapQueue(timerSlots int) *heapQueue {
	q := &heapQueue{pos: make([]int32, timerSlots), want: make([]int64, timerSlots), items: make([]item, 0, 64)}
	for i := range q.pos {
		q.pos[i] = -1
		q.want[i] = -1
	}
	return q
}

// Len is the number of queued items, stale timer items included.
func (q *heapQueue) Len() int { return len(q.items) }

// Push schedules an engine event of kind (>= 1) at atUS, with the
// engine's argument a.
func (q *heapQueue) Push(atUS int64, kind uint8, a int32) {
	q.seq++
	q.items = append(q.items, item{atUS: atUS, seq: q.seq, kind: kind, a: a})
	q.up(len(q.items) - 1)
}

// SetTimer arms timer slot to fire at atUS, replacing any earlier arming.
func (q *heapQueue) SetTimer(slot int, atUS int64) {
	q.want[slot] = atUS
	p := q.pos[slot]
	if p < 0 {
		q.seq++
		q.items = append(q.items, item{atUS: atUS, seq: q.seq, kind: TimerKind, a: int32(slot)})
		q.pos[slot] = int32(len(q.items) - 1)
		q.up(len(q.items) - 1)
		return
	}
	if atUS < q.items[p].atUS {
		q.seq++
		q.items[p].atUS = atUS
		q.items[p].seq = q.seq
		q.up(int(p))
	}
	// Later: leave the item where it is; Pop re-keys it when it surfaces.
}

// StopTimer disarms slot. The queued item, if any, is dropped when it surfaces.
func (q *heapQueue) StopTimer(slot int) { q.want[slot] = -1 }

// TimerAt returns when slot fires, or -1 if stopped.
func (q *heapQueue) TimerAt(slot int) int64 { return q.want[slot] }

// Pop removes and returns the earliest due event. ok is false when the
// queue holds nothing that will fire.
func (q *heapQueue) Pop() (it Item, ok bool) { return q.PopBefore(math.MaxInt64) }

// PopBefore is Pop for an event due before endUS; ok is false when the
// earliest event is due at or after endUS (it stays queued) or nothing is
// queued.
func (q *heapQueue) PopBefore(endUS int64) (it Item, ok bool) {
	if !q.settle() || q.items[0].atUS >= endUS {
		return Item{}, false
	}
	top := &q.items[0]
	it = Item{AtUS: top.atUS, Kind: top.kind, A: top.a}
	q.removeTop()
	if it.Kind == TimerKind {
		q.pos[it.A] = -1
		q.want[it.A] = -1
	}
	return it, true
}

// NextUS is when the earliest queued event is due; ok is false when
// nothing queued will fire. A live node (Host.Serve) sleeps until then.
func (q *heapQueue) NextUS() (atUS int64, ok bool) {
	if !q.settle() {
		return 0, false
	}
	return q.items[0].atUS, true
}

// settle brings an event that will fire to the top: a timer re-armed
// later while queued is re-keyed and sunk, a stopped one dropped. ok is
// false when nothing is left.
func (q *heapQueue) settle() bool {
	for len(q.items) > 0 {
		top := &q.items[0]
		if top.kind != TimerKind {
			return true
		}
		slot := top.a
		switch w := q.want[slot]; {
		case w > top.atUS:
			q.seq++
			top.atUS = w
			top.seq = q.seq
			q.down(0)
		case w < 0:
			q.removeTop()
			q.pos[slot] = -1
		default:
			return true
		}
	}
	return false
}

func (q *heapQueue) removeTop() {
	last := len(q.items) - 1
	if last > 0 {
		q.items[0] = q.items[last]
		if q.items[0].kind == TimerKind {
			q.pos[q.items[0].a] = 0
		}
	}
	q.items = q.items[:last]
	if last > 1 {
		q.down(0)
	}
}

func heapLess(x, y *item) bool {
	return x.atUS < y.atUS || (x.atUS == y.atUS && x.seq < y.seq)
}

func (q *heapQueue) up(i int) {
	it := q.items[i]
	for i > 0 {
		parent := (i - 1) / 2
		if !heapLess(&it, &q.items[parent]) {
			break
		}
		q.place(i, q.items[parent])
		i = parent
	}
	q.place(i, it)
}

func (q *heapQueue) down(i int) {
	n := len(q.items)
	it := q.items[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && heapLess(&q.items[r], &q.items[c]) {
			c = r
		}
		if !heapLess(&q.items[c], &it) {
			break
		}
		q.place(i, q.items[c])
		i = c
	}
	q.place(i, it)
}

func (q *heapQueue) place(i int, it item) {
	q.items[i] = it
	if it.kind == TimerKind {
		q.pos[it.a] = int32(i)
	}
}

// TestQueueMatchesHeap drives the queue and the binary heap it replaced
// with the same random operations (pushes at, after and, rarely, before
// the last time taken; timers armed, re-armed earlier and later, stopped;
// pops with and without a horizon; peeks) and requires the same answer to
// every one: the same items in the same order, ties included, since the
// order is the total order (time, sequence) and both assign sequences at
// the same moments.
func TestQueueMatchesHeap(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		r := rand.New(rand.NewPCG(seed, 17))
		slots := 1 + r.IntN(8)
		spread := []int64{3, 100, 100_000, 1 << 40}[r.IntN(4)] // ties, few buckets, many, huge times
		q, ref := NewQueue(slots), newHeapQueue(slots)
		now := int64(0)
		for step := 0; step < 2000; step++ {
			at := now + r.Int64N(spread)
			if r.IntN(50) == 0 && now > 0 {
				at = now - 1 - r.Int64N(min(now, spread)) // before the last time taken
			}
			switch op := r.IntN(12); {
			case op < 4:
				kind := 1 + uint8(r.IntN(3))
				q.Push(at, kind, int32(step))
				ref.Push(at, kind, int32(step))
			case op < 7:
				s := r.IntN(slots)
				q.SetTimer(s, at)
				ref.SetTimer(s, at)
			case op == 7:
				s := r.IntN(slots)
				q.StopTimer(s)
				ref.StopTimer(s)
			case op == 8:
				a, aok := q.NextUS()
				b, bok := ref.NextUS()
				if a != b || aok != bok {
					t.Fatalf("seed %d step %d: NextUS %d %v, the heap %d %v", seed, step, a, aok, b, bok)
				}
			default:
				end := int64(math.MaxInt64)
				if r.IntN(3) == 0 {
					end = now + r.Int64N(spread)
				}
				a, aok := q.PopBefore(end)
				b, bok := ref.PopBefore(end)
				if a != b || aok != bok {
					t.Fatalf("seed %d step %d: PopBefore(%d) %+v %v, the heap %+v %v", seed, step, end, a, aok, b, bok)
				}
				if aok {
					now = a.AtUS
				}
			}
			for s := range slots {
				if q.TimerAt(s) != ref.TimerAt(s) {
					t.Fatalf("seed %d step %d: timer %d at %d, the heap %d", seed, step, s, q.TimerAt(s), ref.TimerAt(s))
				}
			}
		}
		for {
			a, aok := q.Pop()
			b, bok := ref.Pop()
			if a != b || aok != bok {
				t.Fatalf("seed %d draining: %+v %v, the heap %+v %v", seed, a, aok, b, bok)
			}
			if !aok {
				break
			}
		}
	}
}
