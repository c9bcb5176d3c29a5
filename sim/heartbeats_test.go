package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestHeartbeatsMatchScan drives the heartbeat schedule and the scan it
// replaced (every follower checked at every firing) with the same random
// leaderships, firings and interval changes, and requires the same
// followers due at every firing and the same next firing time.
func TestHeartbeatsMatchScan(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		n := 1 + r.IntN(20)
		leader := r.IntN(n)
		s := newHeartbeats(n)
		ref := make([]int64, n)
		iv := make([]int64, n)
		nowUS := int64(r.IntN(100))
		lead := func() {
			s.reset(leader, nowUS)
			for p := range ref {
				ref[p] = nowUS
				iv[p] = int64(r.IntN(50)) // 0 is allowed: the schedule moves on by 1 µs at least
			}
		}
		lead()
		var due []int32
		for step := 0; step < 500; step++ {
			switch op := r.IntN(10); {
			case op == 0:
				leader = r.IntN(n)
				lead()
			case op <= 2 && n > 1:
				// An interval change for one follower (HeartbeatAck).
				p := r.IntN(n)
				if p == leader {
					continue
				}
				iv[p] = int64(1 + r.IntN(60))
				at := nowUS + int64(r.IntN(80))
				s.set(p, at)
				ref[p] = at
			default:
				// A firing, at the next due time or later (a paused node fires late).
				next := int64(-1)
				for p, at := range ref {
					if p != leader && (next < 0 || at < next) {
						next = at
					}
				}
				if got := s.next(); got != next {
					t.Fatalf("seed %d step %d: next %d, the scan says %d", seed, step, got, next)
				}
				if next < 0 {
					continue
				}
				nowUS = max(nowUS, next+int64(r.IntN(3))*int64(r.IntN(30)))
				var want []int32
				for p := range ref {
					if p != leader && ref[p] <= nowUS {
						want = append(want, int32(p))
						ref[p] = nowUS + max(iv[p], 1)
					}
				}
				due = s.popDue(nowUS, iv, due[:0])
				slices.Sort(due)
				if !slices.Equal(due, want) {
					t.Fatalf("seed %d step %d at %d µs: due %v, the scan says %v", seed, step, nowUS, due, want)
				}
			}
		}
	}
}
