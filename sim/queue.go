package sim

import (
	"math"
	"math/bits"
)

// Queue is the simulator's event queue: small value items ordered by
// (time, sequence), where the sequence is the order in which items were
// scheduled. Equal-time events therefore run in scheduling order, which
// makes runs deterministic without relying on the structure's internals.
//
// It is a radix heap: simulated time never runs backwards, so every item
// is due at or after the last one taken (last), and an item waits in the
// bucket of the highest bit in which its time differs from last. Taking
// the next item refills the bucket of items due at last from the lowest
// non-empty bucket, whose items move down by at least one bit each time:
// a push costs a bit scan and an append, and an item moves a few times at
// most before it is taken, where a binary heap moved items along its
// eight levels (N = 65) on every removal.
//
// Timers are first-class: each timer slot (an election timer, a heartbeat
// timer) has one current item. Re-arming a timer later only records the
// new time (the item is re-keyed when it comes due), so a follower that
// re-arms its election timer on every heartbeat pushes nothing; re-arming
// it earlier pushes a new item and leaves the old one, which is dropped
// when it comes due. After warm-up the queue allocates nothing.
type Queue struct {
	due     []item // the items due at last (or, pushed late, before it), in (time, sequence) order from head
	head    int
	buckets [64][]item // buckets[i]: bits.Len64(atUS ^ last) == i+1
	full    uint64     // bit i: buckets[i] holds items
	lastUS  int64
	n       int
	want    []int64  // time each timer slot should fire, -1 when stopped
	live    []uint64 // sequence of each timer slot's current item, 0 none
	liveUS  []int64  // its time
	seq     uint64
}

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
	q := &Queue{want: make([]int64, timerSlots), live: make([]uint64, timerSlots), liveUS: make([]int64, timerSlots)}
	for i := range q.want {
		q.want[i] = -1
	}
	return q
}

// Len is the number of queued items, timer items that were re-armed
// earlier and not yet dropped included.
func (q *Queue) Len() int { return q.n }

// Push schedules an engine event of kind (>= 1) at atUS, with the
// engine's argument a.
func (q *Queue) Push(atUS int64, kind uint8, a int32) {
	q.seq++
	q.push(item{atUS: atUS, seq: q.seq, kind: kind, a: a})
}

// SetTimer arms timer slot to fire at atUS, replacing any earlier arming.
func (q *Queue) SetTimer(slot int, atUS int64) {
	q.want[slot] = atUS
	if q.live[slot] != 0 && atUS >= q.liveUS[slot] {
		return // later: the item is re-keyed when it comes due
	}
	q.seq++
	q.push(item{atUS: atUS, seq: q.seq, kind: TimerKind, a: int32(slot)})
	q.live[slot], q.liveUS[slot] = q.seq, atUS
}

// StopTimer disarms slot. The queued item, if any, is dropped when it comes due.
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
	if !q.settle() || q.due[q.head].atUS >= endUS {
		return Item{}, false
	}
	top := &q.due[q.head]
	it = Item{AtUS: top.atUS, Kind: top.kind, A: top.a}
	q.head++
	q.n--
	if it.Kind == TimerKind {
		q.live[it.A] = 0
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
	return q.due[q.head].atUS, true
}

// settle brings an event that will fire to the front: a timer re-armed
// later while queued is re-keyed and pushed again, a stopped one or one
// re-armed earlier since (another item is current) dropped. ok is false
// when nothing is left.
func (q *Queue) settle() bool {
	for {
		if q.head == len(q.due) && !q.refill() {
			return false
		}
		top := &q.due[q.head]
		if top.kind != TimerKind {
			return true
		}
		slot := top.a
		if q.live[slot] != top.seq {
			q.head++ // re-armed earlier: another item is current
			q.n--
			continue
		}
		switch w := q.want[slot]; {
		case w > top.atUS:
			q.seq++
			it := item{atUS: w, seq: q.seq, kind: TimerKind, a: slot}
			q.head++
			q.n--
			q.push(it)
			q.live[slot], q.liveUS[slot] = q.seq, w
		case w < 0:
			q.head++
			q.n--
			q.live[slot] = 0
		default:
			return true
		}
	}
}

// push queues it: with the items due at last if due then (or before:
// kept in order), else in its bucket.
func (q *Queue) push(it item) {
	q.n++
	if it.atUS > q.lastUS {
		i := bits.Len64(uint64(it.atUS^q.lastUS)) - 1
		q.buckets[i] = append(q.buckets[i], it)
		q.full |= 1 << i
		return
	}
	switch {
	case q.head == len(q.due):
		q.due, q.head = q.due[:0], 0
	case q.head >= 1024 && 2*q.head >= len(q.due):
		// A long run of events at one time: drop the taken ones, so
		// that due does not grow with the run.
		q.due, q.head = q.due[:copy(q.due, q.due[q.head:])], 0
	}
	q.due = append(q.due, it)
	if it.atUS < q.lastUS {
		// Due before the last item taken (an engine never asks for it; kept
		// exact all the same): into its place among the due items.
		for j := len(q.due) - 1; j > q.head && before(&it, &q.due[j-1]); j-- {
			q.due[j], q.due[j-1] = q.due[j-1], it
		}
	}
}

// refill moves the earliest items into due, from the lowest non-empty
// bucket; the rest of that bucket moves to lower buckets. ok is false
// when nothing is queued.
func (q *Queue) refill() bool {
	if q.full == 0 {
		return false
	}
	i := bits.TrailingZeros64(q.full)
	b := q.buckets[i]
	m := b[0].atUS
	for k := 1; k < len(b); k++ {
		m = min(m, b[k].atUS)
	}
	q.lastUS = m
	q.due, q.head = q.due[:0], 0
	for k := range b {
		if b[k].atUS == m {
			q.due = append(q.due, b[k])
			continue
		}
		// Below bit i: it shares bits i and up with m.
		j := bits.Len64(uint64(b[k].atUS^m)) - 1
		q.buckets[j] = append(q.buckets[j], b[k])
		q.full |= 1 << j
	}
	q.buckets[i] = b[:0]
	q.full &^= 1 << i
	// Equal times in scheduling order (a bucket's items are in no order).
	for k := 1; k < len(q.due); k++ {
		for j := k; j > 0 && q.due[j].seq < q.due[j-1].seq; j-- {
			q.due[j], q.due[j-1] = q.due[j-1], q.due[j]
		}
	}
	return true
}

func before(x, y *item) bool {
	return x.atUS < y.atUS || (x.atUS == y.atUS && x.seq < y.seq)
}
