package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestQueueMatchesReference drives the queue and a naive reference model
// (a sorted list with explicit timer bookkeeping) with the same random
// operations and requires identical pop sequences.
func TestQueueMatchesReference(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		r := rand.New(rand.NewPCG(seed, 99))
		const slots = 6
		q := NewQueue(slots)
		type ref struct {
			at   int64
			seq  uint64
			kind uint8
			a    int32
		}
		var events []ref // non-timer events
		timerAt := make([]int64, slots)
		for i := range timerAt {
			timerAt[i] = -1
		}
		var seq uint64
		now := int64(0)
		for step := 0; step < 400; step++ {
			switch op := r.IntN(5); op {
			case 0, 1:
				seq++
				at := now + r.Int64N(100)
				events = append(events, ref{at, seq, 1, int32(step)})
				q.Push(at, 1, int32(step))
			case 2:
				s := r.IntN(slots)
				at := now + r.Int64N(100)
				q.SetTimer(s, at)
				timerAt[s] = at
			case 3:
				s := r.IntN(slots)
				q.StopTimer(s)
				timerAt[s] = -1
			case 4:
				got, ok := q.Pop()
				// Reference: earliest non-timer event or armed timer; ties
				// broken by time only when kinds differ, so compare times and
				// identities as sets at equal times.
				best := int64(-1)
				for _, e := range events {
					if best < 0 || e.at < best {
						best = e.at
					}
				}
				for s := range timerAt {
					if timerAt[s] >= 0 && (best < 0 || timerAt[s] < best) {
						best = timerAt[s]
					}
				}
				if best < 0 {
					if ok {
						t.Fatalf("seed %d step %d: popped %+v from an empty reference", seed, step, got)
					}
					continue
				}
				if !ok || got.AtUS != best {
					t.Fatalf("seed %d step %d: popped %+v ok=%v, reference earliest time %d", seed, step, got, ok, best)
				}
				now = got.AtUS
				if got.Kind == TimerKind {
					if timerAt[got.A] != got.AtUS {
						t.Fatalf("seed %d: timer %d fired at %d but is armed for %d", seed, got.A, got.AtUS, timerAt[got.A])
					}
					timerAt[got.A] = -1
				} else {
					i := slices.IndexFunc(events, func(e ref) bool { return e.a == got.A })
					if i < 0 || events[i].at != got.AtUS {
						t.Fatalf("seed %d: popped unknown event %+v", seed, got)
					}
					// Among non-timer events at the same time, scheduling order wins.
					for _, e := range events {
						if e.at == got.AtUS && e.seq < events[i].seq {
							t.Fatalf("seed %d: event %d popped before earlier-scheduled %d at the same time", seed, got.A, e.a)
						}
					}
					events = slices.Delete(events, i, i+1)
				}
			}
		}
	}
}

// TestTimerRearm: re-arming a timer later pushes nothing (a follower
// re-arms its election timer on every heartbeat); re-arming it earlier
// pushes one item, and the item it replaces is dropped when it comes due:
// the timer fires once, at its last arming.
func TestTimerRearm(t *testing.T) {
	q := NewQueue(1)
	q.SetTimer(0, 1000)
	for i := int64(1); i <= 1000; i++ {
		q.SetTimer(0, 1000+i*10) // later each time
	}
	if q.Len() != 1 {
		t.Fatalf("queue holds %d items after 1000 later re-arms of one timer, want 1", q.Len())
	}
	q.SetTimer(0, 500) // earlier
	if q.Len() != 2 {
		t.Fatalf("queue holds %d items after an earlier re-arm, want 2", q.Len())
	}
	if it, ok := q.Pop(); !ok || it.AtUS != 500 || it.Kind != TimerKind {
		t.Fatalf("popped %+v %v, want the timer at 500", it, ok)
	}
	if it, ok := q.Pop(); ok {
		t.Fatalf("popped %+v after the timer fired, want nothing", it)
	}
	if q.Len() != 0 {
		t.Fatalf("queue holds %d items after the replaced one came due, want 0", q.Len())
	}
}

func BenchmarkQueueTimerRearm(b *testing.B) {
	q := NewQueue(5)
	for i := 0; i < 5; i++ {
		q.SetTimer(i, 1_000_000)
	}
	now := int64(0)
	b.ReportAllocs()
	for b.Loop() {
		now += 10
		q.SetTimer(int(now/10)%5, now+150_000+(now*7919)%150_000)
	}
}

// TestQueueLongRunAtOneTime: events that schedule events at the same time
// come out in scheduling order, and the taken ones do not pile up.
func TestQueueLongRunAtOneTime(t *testing.T) {
	q := NewQueue(0)
	q.Push(10, 1, 0)
	q.Push(10, 1, 1)
	for i := int32(0); i < 100_000; i++ {
		it, ok := q.Pop()
		if !ok || it.AtUS != 10 || it.A != i {
			t.Fatalf("pop %d: %+v %v, want event %d at 10", i, it, ok, i)
		}
		q.Push(10, 1, i+2)
	}
	if n := cap(q.due); n > 4096 {
		t.Errorf("the due items' buffer grew to %d for 2 items queued", n)
	}
}
