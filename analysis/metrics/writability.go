package metrics

import (
	"math"
	"slices"

	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/eventlog"
)

// epoch is one leadership of a node: its term, and the largest message ID
// logged before it began. Message IDs grow in emission order, so a
// heartbeat from the node belongs to its last epoch that began before the
// message ID; that gives the heartbeat's term without pairing it with its
// heartbeat_sent row (the heartbeat_recv row carries the receiver's term
// before the message was processed).
type epoch struct {
	term      uint64
	watermark uint64
}

// writability tracks whether some leader has a majority's support, and
// records the maximal unwritable intervals (docs/metrics.md, "Writability
// and recovery").
type writability struct {
	c       *cluster
	graceUS int64
	epochs  [][]epoch // per node, its leaderships in order

	// supLeader[n] is the leader whose heartbeat n last accepted (-1:
	// none), of term supTerm[n]; the support lapses at supUntil[n]
	// (exclusive), when n moves to a higher term or crashes.
	supLeader []int16
	supTerm   []uint64
	supUntil  []int64
	// The supporters of each leader in its newest term seen, most recent
	// heartbeat first: supUntil falls along each list (receipt times grow
	// and the grace is constant), so the need-th entry (kth) is the one
	// whose expiry ends the leader's quorum. Lists are linked through
	// prev and next (indexed by follower; a follower is in at most one
	// list), so a heartbeat moves its follower to the front in O(1).
	sup           []supList
	prev, next    []int32
	inList, inTop []bool
	need          int

	writable      bool
	wLeader       int
	wUntil        int64 // when the writable leader's support lapses, absent new events
	downSince     int64 // start of the current unwritable interval
	firstWritable int64 // -1 until the first writable instant
	intervals     []Interval
}

func newWritability(c *cluster, graceUS int64) writability {
	w := writability{
		c: c, graceUS: graceUS,
		epochs:        make([][]epoch, c.n),
		supLeader:     make([]int16, c.n),
		supTerm:       make([]uint64, c.n),
		supUntil:      make([]int64, c.n),
		sup:           make([]supList, c.n),
		prev:          make([]int32, c.n),
		next:          make([]int32, c.n),
		inList:        make([]bool, c.n),
		inTop:         make([]bool, c.n),
		need:          c.quorum - 1,
		wLeader:       -1,
		firstWritable: -1,
	}
	for i := range w.supLeader {
		w.supLeader[i] = -1
		w.sup[i] = supList{head: -1, tail: -1, kth: -1}
	}
	return w
}

// lapse ends writability at the instant the quorum's support ran out, if
// that was at or before t: support lapses by time between events, so the
// writable state can only end then.
func (w *writability) lapse(t int64) {
	if w.writable && w.wUntil <= t {
		w.down(w.wUntil)
	}
}

// termRaised is called when node nd moved to a higher term at t: it
// rejects its old leader's AppendEntries, so its support of a lower term
// ends.
func (w *writability) termRaised(t int64, nd int) {
	if w.supLeader[nd] >= 0 && w.c.term[nd] > w.supTerm[nd] {
		w.dropSupport(t, nd)
	}
}

// crashed is called when node nd crashed at t: its support ends.
func (w *writability) crashed(t int64, nd int) {
	if w.supLeader[nd] >= 0 {
		w.dropSupport(t, nd)
	}
}

func (w *writability) dropSupport(t int64, nd int) {
	l := int(w.supLeader[nd])
	w.unlink(nd)
	w.supLeader[nd] = -1
	if w.writable && l == w.wLeader {
		w.recheck(t, -1)
	}
}

// leaderElected is called when node l became leader (of the term in
// c.leadTerm) at t.
func (w *writability) leaderElected(t int64, l int) {
	w.epochs[l] = append(w.epochs[l], epoch{term: w.c.leadTerm[l], watermark: w.c.maxMsg})
	w.recheck(t, l)
}

// leaderGone is called when node l stopped leading at t (stepped down or
// crashed): it accepts no writes from that moment, whatever its followers'
// fresh heartbeats say.
func (w *writability) leaderGone(t int64, l int) {
	if w.writable && w.wLeader == l {
		w.down(t)
	}
}

// heartbeat processes follower f's heartbeat_recv row.
func (w *writability) heartbeat(ev *eventlog.Event, f int) error {
	c := w.c
	l := int(ev.Peer)
	if l < 0 || l >= c.n || l == f {
		return c.errorf(ev, "peer %d; allowed: the sending leader, 0 to %d, not the node itself", l, c.n-1)
	}
	term, ok := w.leaderTerm(l, ev.MsgID)
	if !ok {
		return c.errorf(ev, "heartbeat message %d from node %d, which had not become leader before it; allowed: heartbeats of a logged leadership", ev.MsgID, l)
	}
	// The row's term is the receiver's before processing: it accepts the
	// heartbeat unless it is already in a higher term (then it answers
	// with its term, and the stale leader steps down).
	if ev.Term > term {
		return nil
	}
	w.unlink(f)
	w.supLeader[f], w.supTerm[f], w.supUntil[f] = int16(l), term, ev.TimeUS+w.graceUS
	switch ls := &w.sup[l]; {
	case term > ls.term:
		// The leader's first heartbeat of a newer term: supports of its
		// older terms no longer count.
		for g := ls.head; g >= 0; g = w.next[g] {
			w.inList[g], w.inTop[g] = false, false
		}
		*ls = supList{head: -1, tail: -1, kth: -1, term: term}
		w.pushFront(l, f)
	case term == ls.term:
		w.pushFront(l, f)
	} // a heartbeat of an older term than the list's supports nothing that counts
	if term > c.term[f] {
		c.term[f] = term // accepting a heartbeat moves the follower to the leader's term
	}
	w.recheck(ev.TimeUS, l)
	return nil
}

// leaderTerm is the term in which node l sent message msgID, or false if l
// had not become leader before it.
func (w *writability) leaderTerm(l int, msgID uint64) (uint64, bool) {
	eps := w.epochs[l]
	for i := len(eps) - 1; i >= 0; i-- { // almost always the last one
		if eps[i].watermark < msgID {
			return eps[i].term, true
		}
	}
	return 0, false
}

// quorumUntil reports whether leader l is writable at t, and until when
// its quorum's support lasts: the leader counts itself while it leads and
// is alive; it needs quorum-1 followers whose last accepted heartbeat came
// from it in its current term within the grace window.
func (w *writability) quorumUntil(l int, t int64) (int64, bool) {
	c := w.c
	if l < 0 || !c.alive[l] || !c.leading[l] {
		return 0, false
	}
	if w.need == 0 {
		return math.MaxInt64, true
	}
	ls := &w.sup[l]
	if ls.term != c.leadTerm[l] || ls.kth < 0 {
		return 0, false
	}
	if u := w.supUntil[ls.kth]; u > t {
		return u, true
	}
	return 0, false
}

// supList is one leader's supporters in its newest term seen (see
// writability.sup): head first, kth the need-th entry or -1.
type supList struct {
	head, tail, kth int32
	size            int
	term            uint64
}

// pushFront makes f, in no list, the most recent supporter of leader l.
func (w *writability) pushFront(l, f int) {
	ls := &w.sup[l]
	f32 := int32(f)
	w.prev[f], w.next[f] = -1, ls.head
	if ls.head >= 0 {
		w.prev[ls.head] = f32
	} else {
		ls.tail = f32
	}
	ls.head = f32
	ls.size++
	w.inList[f], w.inTop[f] = true, w.need > 0
	switch {
	case w.need == 0: // a one-node cluster: its leader needs no supporter
	case ls.size == w.need:
		ls.kth = ls.tail
	case ls.size > w.need:
		// The old need-th supporter falls out of the first need.
		w.inTop[ls.kth] = false
		ls.kth = w.prev[ls.kth]
	}
}

// unlink takes f out of its leader's list, if it is in one.
func (w *writability) unlink(f int) {
	if !w.inList[f] {
		return
	}
	ls := &w.sup[w.supLeader[f]]
	if w.inTop[f] {
		// The entry after the need-th moves up into the first need (or
		// the list becomes too short).
		if ls.size > w.need {
			ls.kth = w.next[ls.kth]
			w.inTop[ls.kth] = true
		} else {
			ls.kth = -1
		}
	}
	p, n := w.prev[f], w.next[f]
	if p >= 0 {
		w.next[p] = n
	} else {
		ls.head = n
	}
	if n >= 0 {
		w.prev[n] = p
	} else {
		ls.tail = p
	}
	ls.size--
	w.inList[f], w.inTop[f] = false, false
}

// recheck re-evaluates writability at t after support changed; hint is a
// leader that may have gained a quorum (-1: none). At most one leader can
// be writable: a node supports one leader at a time, so two writable
// leaders would need two disjoint majorities.
func (w *writability) recheck(t int64, hint int) {
	if w.writable {
		if until, ok := w.quorumUntil(w.wLeader, t); ok {
			w.wUntil = until
			return
		}
		w.down(t)
	}
	if until, ok := w.quorumUntil(hint, t); ok {
		w.up(t, hint, until)
	}
}

func (w *writability) down(t int64) {
	if w.writable {
		w.writable = false
		w.downSince = t
	}
}

func (w *writability) up(t int64, l int, until int64) {
	w.writable, w.wLeader, w.wUntil = true, l, until
	if w.firstWritable < 0 {
		w.firstWritable = t
	}
	if t > w.downSince { // an interval of zero length is no interval
		w.intervals = append(w.intervals, Interval{StartUS: w.downSince, EndUS: t, RecoveryUS: t - w.downSince})
	}
}

// finish cuts the interval still open at end, applies the warm-up rule
// and fills in the run's intervals, its analysis settings and its
// availability metrics.
func (w *writability) finish(run *Run, end int64, warmupRule, id string) {
	w.lapse(end)
	if !w.writable && end > w.downSince {
		w.intervals = append(w.intervals, Interval{StartUS: w.downSince, EndUS: end, RecoveryUS: end - w.downSince, Censored: true})
	}
	// Warm-up: the first interval starts at 0 and ends at the first
	// writable instant (unless the run was writable at 0, impossible in
	// Raft). A run never writable keeps its one interval [0, end): it was
	// unavailable throughout, and excluding all of it would hide that.
	ivs := w.intervals
	warmup := int64(0)
	if warmupRule == WarmupFirstWritable && w.firstWritable > 0 {
		warmup = w.firstWritable
		if len(ivs) > 0 && ivs[0].StartUS == 0 {
			ivs = ivs[1:]
		}
	}
	r := &run.Row
	r.GraceUS, r.WarmupRule, r.WarmupUS, r.MeasuredUS = w.graceUS, warmupRule, warmup, end-warmup
	r.NeverWritable = w.firstWritable < 0
	rec := make([]float64, 0, len(ivs))
	for i := range ivs {
		ivs[i].RunID = id
		r.UnwritableUS += ivs[i].RecoveryUS
		if ivs[i].Censored {
			r.Censored++
		}
		rec = append(rec, float64(ivs[i].RecoveryUS))
	}
	run.Intervals = slices.Clone(ivs)
	r.Intervals = int64(len(ivs))
	r.UnwritableFrac = float64(r.UnwritableUS) / float64(r.MeasuredUS)
	slices.Sort(rec)
	r.RecoveryMeanUS = stats.Mean(rec)
	r.RecoveryP50US = stats.Quantile(rec, 0.50)
	r.RecoveryP95US = stats.Quantile(rec, 0.95)
	r.RecoveryP99US = stats.Quantile(rec, 0.99)
	r.RecoveryMaxUS = stats.Max(rec)
}
