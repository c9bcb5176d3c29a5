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
	top       []int64 // scratch: the largest expiries of a leader's supporters

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
		top:           make([]int64, 0, c.n),
		wLeader:       -1,
		firstWritable: -1,
	}
	for i := range w.supLeader {
		w.supLeader[i] = -1
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
	w.supLeader[f], w.supTerm[f], w.supUntil[f] = int16(l), term, ev.TimeUS+w.graceUS
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
	need := c.quorum - 1
	if need == 0 {
		return math.MaxInt64, true
	}
	lt, l16 := c.leadTerm[l], int16(l)
	top := w.top[:0] // the need largest expiries, descending
	for f := range c.n {
		if w.supLeader[f] != l16 || w.supTerm[f] != lt || w.supUntil[f] <= t || f == l {
			continue
		}
		u := w.supUntil[f]
		if len(top) < need {
			top = append(top, u)
		} else if u <= top[need-1] {
			continue
		} else {
			top[need-1] = u
		}
		for i := len(top) - 1; i > 0 && top[i] > top[i-1]; i-- {
			top[i], top[i-1] = top[i-1], top[i]
		}
	}
	w.top = top
	if len(top) < need {
		return 0, false
	}
	return top[need-1], true
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
