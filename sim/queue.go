package sim

import "math"

// Queue is the simulator's event queue: a binary min-heap of small value
// items ordered by (time, sequence), where the sequence is the order in which
// items were scheduled. Equal-time events therefore run in scheduling order,
// which makes runs deterministic without relying on heap internals.
//
// Timers are first-class: each timer slot (an election timer, a heartbeat
// timer) has at most one item in the heap, and the heap tracks its position.
// Re-arming a timer to a later time only records the new time (the item is
// re-keyed when it reaches the top), and re-arming it earlier moves the item
// up in place; neither pushes a new item. Followers re-arm their election
// timer on every heartbeat, so this keeps the heap small and the hot path
// free of pushes. After warm-up the queue allocates nothing.
type Queue struct {
	items []item
	pos   []int32 // heap index of each timer slot's item, -1 when not queued
	want  []int64 // time each timer slot should fire, -1 when stopped
	seq   uint64
}

// item is 24 bytes: the heap moves items on every level, and a smaller
// one is a cheaper copy (and three to a 64-byte cache line, not two).
type item struct {
	atUS int64
	seq  uint64
	a    int32 // timer: the slot; otherwise engine-defined
	kind uint8 // 0: timer; other kinds are the engine's
}

// TimerKind is the item kind of timers; engines use kinds >= 1.
const TimerKind = 0

// Item is a popped event.
type Item struct {
	AtUS int64
	Kind uint8
	A    int32
}

// NewQueue returns a queue with timerSlots timer slots, all stopped.
func NewQueue(timerSlots int) *Queue {
	q := &Queue{pos: make([]int32, timerSlots), want: make([]int64, timerSlots), items: make([]item, 0, 64)}
	for i := range q.pos {
		q.pos[i] = -1
		q.want[i] = -1
	}
	return q
}

// Len is the number of queued items, stale timer items included.
func (q *Queue) Len() int { return len(q.items) }

// Push schedules an engine event of kind (>= 1) at atUS, with the
// engine's argument a.
func (q *Queue) Push(atUS int64, kind uint8, a int32) {
	q.seq++
	q.items = append(q.items, item{atUS: atUS, seq: q.seq, kind: kind, a: a})
	q.up(len(q.items) - 1)
}

// SetTimer arms timer slot to fire at atUS, replacing any earlier arming.
func (q *Queue) SetTimer(slot int, atUS int64) {
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
func (q *Queue) StopTimer(slot int) { q.want[slot] = -1 }

// TimerAt returns when slot fires, or -1 if stopped.
func (q *Queue) TimerAt(slot int) int64 { return q.want[slot] }

// Pop removes and returns the earliest due event. ok is false when the
// queue holds nothing that will fire.
func (q *Queue) Pop() (it Item, ok bool) { return q.PopBefore(math.MaxInt64) }

// PopBefore is Pop for an event due before endUS; ok is false when the
// earliest event is due at or after endUS (it stays queued) or nothing is
// queued.
func (q *Queue) PopBefore(endUS int64) (it Item, ok bool) {
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
func (q *Queue) NextUS() (atUS int64, ok bool) {
	if !q.settle() {
		return 0, false
	}
	return q.items[0].atUS, true
}

// settle brings an event that will fire to the top: a timer re-armed
// later while queued is re-keyed and sunk, a stopped one dropped. ok is
// false when nothing is left.
func (q *Queue) settle() bool {
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

func (q *Queue) removeTop() {
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

func less(x, y *item) bool {
	return x.atUS < y.atUS || (x.atUS == y.atUS && x.seq < y.seq)
}

func (q *Queue) up(i int) {
	it := q.items[i]
	for i > 0 {
		parent := (i - 1) / 2
		if !less(&it, &q.items[parent]) {
			break
		}
		q.place(i, q.items[parent])
		i = parent
	}
	q.place(i, it)
}

func (q *Queue) down(i int) {
	n := len(q.items)
	it := q.items[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && less(&q.items[r], &q.items[c]) {
			c = r
		}
		if !less(&q.items[c], &it) {
			break
		}
		q.place(i, q.items[c])
		i = c
	}
	q.place(i, it)
}

func (q *Queue) place(i int, it item) {
	q.items[i] = it
	if it.kind == TimerKind {
		q.pos[it.a] = int32(i)
	}
}
