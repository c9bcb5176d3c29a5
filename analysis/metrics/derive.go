package metrics

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"slices"

	"github.com/zeebo/xxh3"

	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/eventlog"
)

// Warm-up rules: which initial stretch of a run the availability metrics
// leave out.
const (
	// WarmupFirstWritable excludes [0, t) where t is the first writable
	// instant: the initial election is not a recovery.
	WarmupFirstWritable = "first-writable"
	// WarmupNone excludes nothing: the initial election counts as an
	// unwritable interval.
	WarmupNone = "none"
)

// Defaults of Options.
const (
	DefaultGraceHeartbeats = 3
	DefaultArmBinUS        = 1_000_000
	// MaxNodes bounds the cluster size the deriver accepts (its per-pair
	// bookkeeping is nodes²).
	MaxNodes = 1024
)

// Options are the analysis settings.
type Options struct {
	// GraceHeartbeats is the writability grace window in heartbeat
	// intervals of the run (RunInfo.HeartbeatUS); DefaultGraceHeartbeats if 0.
	GraceHeartbeats float64
	// Warmup is WarmupFirstWritable (the default if "") or WarmupNone.
	Warmup string
	// ArmBinUS is the width of the time bins of arm fractions;
	// DefaultArmBinUS if 0.
	ArmBinUS int64
}

// Check validates o and fills in defaults. Its errors name the option and
// what is allowed.
func (o Options) Check() (Options, error) {
	if o.GraceHeartbeats == 0 {
		o.GraceHeartbeats = DefaultGraceHeartbeats
	}
	if !(o.GraceHeartbeats > 0) || math.IsInf(o.GraceHeartbeats, 0) {
		return o, fmt.Errorf("grace %v heartbeat intervals: allowed: a positive number", o.GraceHeartbeats)
	}
	switch o.Warmup {
	case "":
		o.Warmup = WarmupFirstWritable
	case WarmupFirstWritable, WarmupNone:
	default:
		return o, fmt.Errorf("warmup %q: allowed: %s, %s", o.Warmup, WarmupFirstWritable, WarmupNone)
	}
	if o.ArmBinUS == 0 {
		o.ArmBinUS = DefaultArmBinUS
	}
	if o.ArmBinUS < 0 {
		return o, fmt.Errorf("arm bin %d µs: allowed: a positive duration", o.ArmBinUS)
	}
	return o, nil
}

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

// attempt is the election attempt a node has in progress.
type attempt struct {
	active    bool
	vote      bool // in the vote phase (became_candidate); else pre-vote
	startUS   int64
	candUS    int64
	candTerm  uint64
	watermark uint64 // largest message ID before the current phase began
	round     uint32 // marks the peers reached in the current phase
	reached   int64
}

// openFailover is a leader crash still waiting for a new leader.
type openFailover struct {
	idx     int    // into Deriver.failovers
	seen    []bool // nodes whose timeout was counted
	timeout int    // distinct nodes that timed out since the crash
}

// Deriver computes one run's metrics from its events, fed in file order
// with Add; Finish returns them. It keeps O(nodes²) state plus the derived
// rows, never the events.
type Deriver struct {
	info    eventlog.RunInfo
	opt     Options
	n       int
	quorum  int
	endUS   int64
	graceUS int64

	rows   int64
	lastUS int64
	maxMsg uint64

	alive    []bool
	term     []uint64
	leading  []bool
	leadTerm []uint64
	epochs   [][]epoch

	// Writability. supLeader[n] is the leader whose heartbeat n last
	// accepted (-1: none), of term supTerm[n]; the support lapses at
	// supUntil[n] (exclusive), when n moves to a higher term or crashes.
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

	att []attempt
	// attempts started while writable
	unnecessary int64
	reachSeen   []uint32 // [candidate*n+peer]: the round in which peer was counted
	round       uint32
	elections   []Election
	candTerms   []uint64

	failovers []Failover
	open      []openFailover

	inSafe    []bool
	safeStart []int64
	safeN     int
	safeLast  int64
	overlap2  int64
	overlap3  int64
	episodes  []SafetyEpisode

	arms [][]int64 // [bin][arm] decisions

	hasher *xxh3.Hasher
	hbuf   []byte
}

// NewDeriver prepares the derivation of one run described by info.
func NewDeriver(info eventlog.RunInfo, opt Options) (*Deriver, error) {
	opt, err := opt.Check()
	if err != nil {
		return nil, err
	}
	switch {
	case info.Nodes < 1 || info.Nodes > MaxNodes:
		return nil, fmt.Errorf("nodes %d: allowed: 1 to %d", info.Nodes, MaxNodes)
	case info.DurationUS <= 0:
		return nil, fmt.Errorf("duration_us %d: allowed: a positive number", info.DurationUS)
	case info.HeartbeatUS <= 0:
		return nil, fmt.Errorf("heartbeat_us %d: allowed: a positive number", info.HeartbeatUS)
	}
	n := int(info.Nodes)
	d := &Deriver{
		info: info, opt: opt, n: n, quorum: n/2 + 1,
		endUS:         info.DurationUS,
		graceUS:       int64(math.Round(opt.GraceHeartbeats * float64(info.HeartbeatUS))),
		alive:         make([]bool, n),
		term:          make([]uint64, n),
		leading:       make([]bool, n),
		leadTerm:      make([]uint64, n),
		epochs:        make([][]epoch, n),
		supLeader:     make([]int16, n),
		supTerm:       make([]uint64, n),
		supUntil:      make([]int64, n),
		top:           make([]int64, 0, n),
		wLeader:       -1,
		firstWritable: -1,
		att:           make([]attempt, n),
		reachSeen:     make([]uint32, n*n),
		inSafe:        make([]bool, n),
		safeStart:     make([]int64, n),
		hasher:        xxh3.New(),
		hbuf:          make([]byte, 0, 64<<10),
	}
	for i := range n {
		d.alive[i] = true
		d.supLeader[i] = -1
	}
	return d, nil
}

// Add processes the next event. ev is not retained.
func (d *Deriver) Add(ev *eventlog.Event) error {
	t := ev.TimeUS
	d.rows++
	if t < d.lastUS {
		return d.errorf(ev, "time_us before the previous row's %d; allowed: non-decreasing times", d.lastUS)
	}
	if t >= d.endUS {
		return d.errorf(ev, "time_us at or after the run's end (duration_us %d); allowed: 0 <= time_us < duration_us", d.endUS)
	}
	d.lastUS = t
	d.hash(ev)
	if ev.MsgID > d.maxMsg {
		d.maxMsg = ev.MsgID
	}
	// Support lapses by time between events: the writable state can only
	// end then, at the moment the quorum's support runs out.
	if d.writable && d.wUntil <= t {
		d.down(d.wUntil)
	}
	nd := int(ev.Node)
	if nd >= d.n || nd < -1 {
		return d.errorf(ev, "node %d; allowed: -1 to %d", nd, d.n-1)
	}
	if nd >= 0 && ev.Term > d.term[nd] {
		// Every row of a node carries its current term. A node in a
		// higher term rejects its old leader's AppendEntries: its support
		// ends.
		d.term[nd] = ev.Term
		if l := int(d.supLeader[nd]); l >= 0 && ev.Term > d.supTerm[nd] {
			d.supLeader[nd] = -1
			if d.writable && l == d.wLeader {
				d.recheck(t, -1)
			}
		}
	}
	if nd < 0 {
		return nil // cluster-wide rows (timeline markers) change nothing here
	}
	switch ev.Kind {
	case eventlog.HeartbeatRecv:
		return d.heartbeat(ev, nd)
	case eventlog.PolicyDecision:
		if ev.Arm >= 0 {
			d.decision(t, int(ev.Arm))
		}
	case eventlog.PreVoteRecv, eventlog.VoteRecv:
		return d.requestRecv(ev, nd)
	case eventlog.Timeout:
		d.timeout(t, nd)
	case eventlog.BecamePreCandidate:
		a := &d.att[nd]
		if !a.active {
			*a = attempt{active: true, startUS: t, candUS: -1}
			d.started(t)
		}
		a.vote = false
		d.newPhase(a)
	case eventlog.BecameCandidate:
		a := &d.att[nd]
		if !a.active {
			*a = attempt{active: true, startUS: t}
			d.started(t)
		}
		a.vote, a.candUS, a.candTerm = true, t, ev.Term
		d.newPhase(a)
		d.candTerms = append(d.candTerms, ev.Term)
	case eventlog.BecameLeader:
		return d.becameLeader(ev, nd)
	case eventlog.BecameFollower:
		if d.leading[nd] {
			// Stepped down (higher term, or CheckQuorum): it accepts no
			// writes from this moment.
			d.leading[nd] = false
			if d.writable && d.wLeader == nd {
				d.down(t)
			}
		}
		if d.att[nd].active {
			d.endAttempt(nd, t, OutcomeSteppedDown, "", -1)
		}
	case eventlog.ElectionFailed:
		return d.electionFailed(ev, nd)
	case eventlog.Crash:
		d.crash(t, nd)
	case eventlog.Restart:
		d.alive[nd] = true
	case eventlog.SafetyEnter:
		if !d.inSafe[nd] {
			d.safeChange(t, +1)
			d.inSafe[nd], d.safeStart[nd] = true, t
		}
	case eventlog.SafetyExit:
		if d.inSafe[nd] {
			d.safeChange(t, -1)
			d.inSafe[nd] = false
			d.episodes = append(d.episodes, SafetyEpisode{Node: int64(nd), StartUS: d.safeStart[nd], EndUS: t, DurationUS: t - d.safeStart[nd]})
		}
	}
	return nil
}

func (d *Deriver) errorf(ev *eventlog.Event, format string, args ...any) error {
	return fmt.Errorf("row %d (time_us %d, node %d, kind %s): %s", d.rows, ev.TimeUS, ev.Node, ev.Kind, fmt.Sprintf(format, args...))
}

// hash feeds the event into the trace hash: 40 bytes per event, buffered,
// so that hashing costs a few nanoseconds per event.
func (d *Deriver) hash(ev *eventlog.Event) {
	b := d.hbuf
	b = binary.LittleEndian.AppendUint64(b, uint64(ev.TimeUS))
	b = binary.LittleEndian.AppendUint64(b, ev.Term)
	b = binary.LittleEndian.AppendUint64(b, uint64(ev.Value))
	b = binary.LittleEndian.AppendUint64(b, ev.MsgID)
	b = binary.LittleEndian.AppendUint64(b, uint64(uint16(ev.Node))|uint64(uint16(ev.Peer))<<16|uint64(ev.Kind)<<32|uint64(uint8(ev.Arm))<<40)
	if len(b) >= cap(b)-40 {
		d.hasher.Write(b)
		b = b[:0]
	}
	d.hbuf = b
}

// --- writability --------------------------------------------------------------

func (d *Deriver) heartbeat(ev *eventlog.Event, f int) error {
	l := int(ev.Peer)
	if l < 0 || l >= d.n || l == f {
		return d.errorf(ev, "peer %d; allowed: the sending leader, 0 to %d, not the node itself", l, d.n-1)
	}
	term, ok := d.leaderTerm(l, ev.MsgID)
	if !ok {
		return d.errorf(ev, "heartbeat message %d from node %d, which had not become leader before it; allowed: heartbeats of a logged leadership", ev.MsgID, l)
	}
	// The row's term is the receiver's before processing: it accepts the
	// heartbeat unless it is already in a higher term (then it answers
	// with its term, and the stale leader steps down).
	if ev.Term > term {
		return nil
	}
	d.supLeader[f], d.supTerm[f], d.supUntil[f] = int16(l), term, ev.TimeUS+d.graceUS
	if term > d.term[f] {
		d.term[f] = term
	}
	d.recheck(ev.TimeUS, l)
	return nil
}

// leaderTerm is the term in which node l sent message msgID, or false if l
// had not become leader before it.
func (d *Deriver) leaderTerm(l int, msgID uint64) (uint64, bool) {
	eps := d.epochs[l]
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
func (d *Deriver) quorumUntil(l int, t int64) (int64, bool) {
	if l < 0 || !d.alive[l] || !d.leading[l] {
		return 0, false
	}
	need := d.quorum - 1
	if need == 0 {
		return math.MaxInt64, true
	}
	lt, l16 := d.leadTerm[l], int16(l)
	top := d.top[:0] // the need largest expiries, descending
	for f := range d.n {
		if d.supLeader[f] != l16 || d.supTerm[f] != lt || d.supUntil[f] <= t || f == l {
			continue
		}
		u := d.supUntil[f]
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
	d.top = top
	if len(top) < need {
		return 0, false
	}
	return top[need-1], true
}

// recheck re-evaluates writability at t after support changed; hint is a
// leader that may have gained a quorum (-1: none). At most one leader can
// be writable: a node supports one leader at a time, so two writable
// leaders would need two disjoint majorities.
func (d *Deriver) recheck(t int64, hint int) {
	if d.writable {
		if until, ok := d.quorumUntil(d.wLeader, t); ok {
			d.wUntil = until
			return
		}
		d.down(t)
	}
	if until, ok := d.quorumUntil(hint, t); ok {
		d.up(t, hint, until)
	}
}

func (d *Deriver) down(t int64) {
	if d.writable {
		d.writable = false
		d.downSince = t
	}
}

func (d *Deriver) up(t int64, l int, until int64) {
	d.writable, d.wLeader, d.wUntil = true, l, until
	if d.firstWritable < 0 {
		d.firstWritable = t
	}
	if t > d.downSince { // an interval of zero length is no interval
		d.intervals = append(d.intervals, Interval{StartUS: d.downSince, EndUS: t, RecoveryUS: t - d.downSince})
	}
}

// --- elections -----------------------------------------------------------------

func (d *Deriver) newPhase(a *attempt) {
	d.round++
	a.round, a.reached, a.watermark = d.round, 0, d.maxMsg
}

func (d *Deriver) requestRecv(ev *eventlog.Event, v int) error {
	c := int(ev.Peer)
	if c < 0 || c >= d.n || c == v {
		return d.errorf(ev, "peer %d; allowed: the requesting candidate, 0 to %d, not the node itself", c, d.n-1)
	}
	a := &d.att[c]
	// Only requests of the candidate's current phase count: a request
	// sent earlier (lower message ID) or of the other phase is a reply to
	// nothing the candidate still waits for.
	if !a.active || a.vote != (ev.Kind == eventlog.VoteRecv) || ev.MsgID <= a.watermark {
		return nil
	}
	if i := c*d.n + v; d.reachSeen[i] != a.round {
		d.reachSeen[i] = a.round
		a.reached++
	}
	return nil
}

func (d *Deriver) endAttempt(nd int, t int64, outcome, cause string, alive int64) {
	a := &d.att[nd]
	e := Election{
		Node: int64(nd), StartUS: a.startUS, EndUS: t, Outcome: outcome, Term: int64(d.term[nd]),
		Phase: "prevote", CandUS: -1, TTLUS: -1, Reached: a.reached, Alive: alive, Cause: cause,
	}
	if a.vote {
		e.Phase, e.CandUS = "vote", a.candUS
	}
	if outcome == OutcomeWon {
		e.TTLUS = t - a.candUS
	}
	d.elections = append(d.elections, e)
	a.active = false
}

func (d *Deriver) electionFailed(ev *eventlog.Event, nd int) error {
	a := &d.att[nd]
	if !a.active {
		return d.errorf(ev, "election_failed without an election attempt in progress; allowed: after became_precandidate or became_candidate")
	}
	if ev.TimeUS-ev.Value != a.startUS {
		return d.errorf(ev, "attempt duration %d µs, but the attempt started at %d µs; allowed: time_us - value = the attempt's start", ev.Value, a.startUS)
	}
	alive := int64(0)
	for _, ok := range d.alive {
		if ok {
			alive++
		}
	}
	// The classes partition the failures: could not win (no quorum
	// alive; the last phase's requests reached too few nodes to form a
	// majority with the candidate) or could have (contention).
	cause := CauseContention
	switch {
	case alive < int64(d.quorum):
		cause = CauseNoQuorum
	case 1+a.reached < int64(d.quorum):
		cause = CauseLowReach
	}
	d.endAttempt(nd, ev.TimeUS, OutcomeFailed, cause, alive)
	return nil
}

func (d *Deriver) becameLeader(ev *eventlog.Event, l int) error {
	t := ev.TimeUS
	a := &d.att[l]
	if !a.active || !a.vote || a.candTerm != ev.Term {
		return d.errorf(ev, "became_leader in term %d without became_candidate in that term; allowed: a candidate's win", ev.Term)
	}
	d.endAttempt(l, t, OutcomeWon, "", -1)
	d.leading[l], d.leadTerm[l] = true, ev.Term
	d.epochs[l] = append(d.epochs[l], epoch{term: ev.Term, watermark: d.maxMsg})
	for _, o := range d.open {
		f := &d.failovers[o.idx]
		f.Recovered = true
		f.OutOfServiceUS = t - f.CrashUS
		if f.Detected {
			f.ElectionUS = t - (f.CrashUS + f.DetectFirstUS)
		}
	}
	d.open = d.open[:0]
	d.recheck(t, l)
	return nil
}

// --- faults --------------------------------------------------------------------

func (d *Deriver) crash(t int64, nd int) {
	d.alive[nd] = false
	if d.leading[nd] {
		// A failover starts only if nd was the current leader: no alive
		// leader of a higher term (that one would make nd a stale leader,
		// whose crash interrupts nothing).
		current := true
		for o := range d.n {
			if o != nd && d.alive[o] && d.leading[o] && d.leadTerm[o] > d.leadTerm[nd] {
				current = false
			}
		}
		if current {
			d.open = append(d.open, openFailover{idx: len(d.failovers), seen: make([]bool, d.n)})
			d.failovers = append(d.failovers, Failover{Leader: int64(nd), Term: int64(d.leadTerm[nd]), CrashUS: t, DetectFirstUS: -1, DetectQuorumUS: -1, ElectionUS: -1})
		}
		d.leading[nd] = false
		if d.writable && d.wLeader == nd {
			d.down(t)
		}
	}
	if l := int(d.supLeader[nd]); l >= 0 {
		d.supLeader[nd] = -1
		if d.writable && l == d.wLeader {
			d.recheck(t, -1)
		}
	}
	if d.att[nd].active {
		d.endAttempt(nd, t, OutcomeCrashed, "", -1)
	}
}

func (d *Deriver) timeout(t int64, nd int) {
	for i := range d.open {
		o := &d.open[i]
		if o.seen[nd] {
			continue
		}
		o.seen[nd] = true
		o.timeout++
		f := &d.failovers[o.idx]
		if o.timeout == 1 {
			f.Detected, f.DetectFirstUS = true, t-f.CrashUS
		}
		if o.timeout == d.quorum {
			f.QuorumDetected, f.DetectQuorumUS = true, t-f.CrashUS
		}
	}
}

// --- policy --------------------------------------------------------------------

func (d *Deriver) safeChange(t int64, delta int) {
	if d.safeN >= 2 {
		d.overlap2 += t - d.safeLast
	}
	if d.safeN >= 3 {
		d.overlap3 += t - d.safeLast
	}
	d.safeLast = t
	d.safeN += delta
}

func (d *Deriver) decision(t int64, arm int) {
	bin := int(t / d.opt.ArmBinUS)
	for len(d.arms) <= bin {
		d.arms = append(d.arms, nil)
	}
	for len(d.arms[bin]) <= arm {
		d.arms[bin] = append(d.arms[bin], 0)
	}
	d.arms[bin][arm]++
}

// --- end of run ------------------------------------------------------------------

// started counts an attempt that starts at t while the system is writable.
func (d *Deriver) started(t int64) {
	if d.writable {
		d.unnecessary++
	}
}

// Finish closes what is still open at the run's end (duration_us) and
// returns the run's metrics. rows is the number of events the caller fed
// (checked against RunInfo.Events when that is set).
func (d *Deriver) Finish() (*Run, error) {
	end := d.endUS
	if d.info.Events != 0 && d.info.Events != d.rows {
		return nil, fmt.Errorf("ballast.run says %d events, the file has %d rows", d.info.Events, d.rows)
	}
	id := d.info.RunID
	run := &Run{}
	if d.writable && d.wUntil <= end {
		d.down(d.wUntil)
	}
	if !d.writable && end > d.downSince {
		d.intervals = append(d.intervals, Interval{StartUS: d.downSince, EndUS: end, RecoveryUS: end - d.downSince, Censored: true})
	}
	// Warm-up: the first interval starts at 0 and ends at the first
	// writable instant (unless the run was writable at 0, impossible in
	// Raft). A run never writable keeps its one interval [0, end): it was
	// unavailable throughout, and excluding all of it would hide that.
	ivs := d.intervals
	warmup := int64(0)
	if d.opt.Warmup == WarmupFirstWritable && d.firstWritable > 0 {
		warmup = d.firstWritable
		if len(ivs) > 0 && ivs[0].StartUS == 0 {
			ivs = ivs[1:]
		}
	}
	r := &run.Row
	d.fillIdentity(r)
	r.GraceUS, r.WarmupRule, r.WarmupUS, r.MeasuredUS = d.graceUS, d.opt.Warmup, warmup, end-warmup
	r.NeverWritable = d.firstWritable < 0
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

	// Elections.
	for nd := range d.att {
		if d.att[nd].active {
			d.endAttempt(nd, end, OutcomeOpen, "", -1)
		}
	}
	slices.SortStableFunc(d.elections, func(a, b Election) int {
		if a.StartUS != b.StartUS {
			return cmpInt(a.StartUS, b.StartUS)
		}
		return cmpInt(a.Node, b.Node)
	})
	var ttl []float64
	for i := range d.elections {
		e := &d.elections[i]
		e.RunID = id
		switch e.Outcome {
		case OutcomeWon:
			r.Won++
			ttl = append(ttl, float64(e.TTLUS))
		case OutcomeFailed:
			r.Failed++
			switch e.Cause {
			case CauseNoQuorum:
				r.FailedNoQuorum++
			case CauseLowReach:
				r.FailedLowReach++
			default:
				r.FailedContention++
			}
		case OutcomeSteppedDown:
			r.SteppedDown++
		case OutcomeCrashed:
			r.Crashed++
		case OutcomeOpen:
			r.OpenAttempts++
		}
	}
	run.Elections = d.elections
	r.Attempts = r.Won + r.Failed + r.SteppedDown + r.Crashed
	r.SplitVoteRate = ratio(r.Failed, r.Attempts)
	slices.Sort(ttl)
	r.TimeToLeaderMeanUS = stats.Mean(ttl)
	r.TimeToLeaderP95US = stats.Quantile(ttl, 0.95)
	slices.Sort(d.candTerms)
	r.TermsStarted = int64(len(slices.Compact(d.candTerms)))
	r.Unnecessary = d.unnecessary
	r.TermChurnPerMin = float64(r.TermsStarted) / (float64(end) / 60e6)
	r.UnnecessaryPerMin = float64(r.Unnecessary) / (float64(end) / 60e6)
	r.NoQuorumFrac = ratio(r.FailedNoQuorum, r.Failed)
	r.LowReachFrac = ratio(r.FailedLowReach, r.Failed)
	r.ContentionFrac = ratio(r.FailedContention, r.Failed)

	// Failovers. A detection that never happened is -1 (and left out of
	// the mean): once a new leader is elected, later timeouts detect
	// nothing. Out-of-service time (and election time, once detected) of
	// a failover still open at the end is cut there and counted, like a
	// censored unwritable interval.
	var det, detQ, elec, ots []float64
	for i := range d.failovers {
		f := &d.failovers[i]
		f.RunID = id
		if !f.Recovered {
			r.FailoverCensored++
			f.OutOfServiceUS = end - f.CrashUS
			if f.Detected {
				f.ElectionUS = end - (f.CrashUS + f.DetectFirstUS)
			}
		}
		if f.Detected {
			det = append(det, float64(f.DetectFirstUS))
			elec = append(elec, float64(f.ElectionUS))
		}
		if f.QuorumDetected {
			detQ = append(detQ, float64(f.DetectQuorumUS))
		}
		ots = append(ots, float64(f.OutOfServiceUS))
	}
	run.Failovers = d.failovers
	r.LeaderCrashes = int64(len(d.failovers))
	r.DetectFirstMeanUS, r.DetectQuorumMeanUS = stats.Mean(det), stats.Mean(detQ)
	r.ElectionMeanUS, r.OutOfServiceMeanUS = stats.Mean(elec), stats.Mean(ots)

	// Safety episodes still open are cut at the end.
	d.safeChange(end, 0)
	for nd, in := range d.inSafe {
		if in {
			d.episodes = append(d.episodes, SafetyEpisode{Node: int64(nd), StartUS: d.safeStart[nd], EndUS: end, DurationUS: end - d.safeStart[nd], Censored: true})
			r.SafetyCensored++
		}
	}
	slices.SortStableFunc(d.episodes, func(a, b SafetyEpisode) int {
		if a.StartUS != b.StartUS {
			return cmpInt(a.StartUS, b.StartUS)
		}
		return cmpInt(a.Node, b.Node)
	})
	var dur []float64
	for i := range d.episodes {
		d.episodes[i].RunID = id
		dur = append(dur, float64(d.episodes[i].DurationUS))
	}
	run.Safety = d.episodes
	r.SafetyEpisodes = int64(len(d.episodes))
	r.SafetyMeanUS = stats.Mean(dur)
	r.SafetyOverlap2Frac = float64(d.overlap2) / float64(end)
	r.SafetyOverlap3Frac = float64(d.overlap3) / float64(end)

	for bin, counts := range d.arms {
		for arm, c := range counts {
			if c > 0 {
				run.Arms = append(run.Arms, ArmBin{RunID: id, BinUS: int64(bin) * d.opt.ArmBinUS, BinLenUS: d.opt.ArmBinUS, Arm: int64(arm), Decisions: c})
			}
		}
	}

	d.hasher.Write(d.hbuf)
	d.hbuf = d.hbuf[:0]
	sum := d.hasher.Sum128().Bytes()
	r.EventsHash = hex.EncodeToString(sum[:])
	r.Events = d.rows
	return run, nil
}

func (d *Deriver) fillIdentity(r *RunRow) {
	in := d.info
	*r = RunRow{
		RunID: in.RunID, Experiment: in.Experiment, Scenario: in.Scenario, ScenarioHash: in.ScenarioHash,
		Policy: in.Policy, Variant: in.Variant, Params: in.Params, Seed: int64(in.Seed), SeedSet: in.SeedSet,
		Engine: in.Engine, ConfigHash: in.ConfigHash, CodeVersion: in.CodeVersion,
		Nodes: in.Nodes, DurationUS: in.DurationUS, HeartbeatUS: in.HeartbeatUS,
	}
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
