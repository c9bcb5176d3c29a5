package sim

// heartbeats is a leader's per-follower heartbeat schedule: when each
// follower's next heartbeat is due, with the followers in a min-heap on
// (due time, follower). A heartbeat-tuning policy gives every follower its
// own interval (Dynatune tunes each from the follower's measured RTT and
// loss), so the followers come due one at a time: finding the due ones at
// the top of the heap costs O(log N) per heartbeat where a scan of all
// followers at every firing cost O(N).
type heartbeats struct {
	nextUS []int64 // by node: when its next heartbeat is due
	heap   []int32 // the followers, ordered by (nextUS, node)
	pos    []int32 // by node: its index in heap; -1 for the leader itself
}

func newHeartbeats(n int) heartbeats {
	return heartbeats{nextUS: make([]int64, n), heap: make([]int32, 0, n), pos: make([]int32, n)}
}

// reset makes every node but leader due at atUS.
func (s *heartbeats) reset(leader int, atUS int64) {
	s.heap = s.heap[:0]
	for p := range s.nextUS {
		s.nextUS[p] = atUS
		s.pos[p] = -1
		if p != leader {
			// Equal times in node order: already a heap.
			s.pos[p] = int32(len(s.heap))
			s.heap = append(s.heap, int32(p))
		}
	}
}

// next is the earliest due time, -1 when there are no followers.
func (s *heartbeats) next() int64 {
	if len(s.heap) == 0 {
		return -1
	}
	return s.nextUS[s.heap[0]]
}

// popDue appends to due the followers due at or before nowUS, each moved
// on to nowUS plus its interval (at least 1 µs, so the loop ends), in
// heap order.
func (s *heartbeats) popDue(nowUS int64, intervalUS []int64, due []int32) []int32 {
	for len(s.heap) > 0 {
		p := s.heap[0]
		if s.nextUS[p] > nowUS {
			break
		}
		due = append(due, p)
		s.nextUS[p] = nowUS + max(intervalUS[p], 1)
		s.down(0)
	}
	return due
}

// set moves follower p's next heartbeat to atUS.
func (s *heartbeats) set(p int, atUS int64) {
	old := s.nextUS[p]
	s.nextUS[p] = atUS
	if i := int(s.pos[p]); atUS < old {
		s.up(i)
	} else {
		s.down(i)
	}
}

func (s *heartbeats) less(a, b int32) bool {
	return s.nextUS[a] < s.nextUS[b] || (s.nextUS[a] == s.nextUS[b] && a < b)
}

func (s *heartbeats) up(i int) {
	p := s.heap[i]
	for i > 0 {
		parent := (i - 1) / 2
		if !s.less(p, s.heap[parent]) {
			break
		}
		s.heap[i] = s.heap[parent]
		s.pos[s.heap[i]] = int32(i)
		i = parent
	}
	s.heap[i] = p
	s.pos[p] = int32(i)
}

func (s *heartbeats) down(i int) {
	n := len(s.heap)
	p := s.heap[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && s.less(s.heap[r], s.heap[c]) {
			c = r
		}
		if !s.less(s.heap[c], p) {
			break
		}
		s.heap[i] = s.heap[c]
		s.pos[s.heap[i]] = int32(i)
		i = c
	}
	s.heap[i] = p
	s.pos[p] = int32(i)
}
