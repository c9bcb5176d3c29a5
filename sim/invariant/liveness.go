package invariant

import (
	"fmt"

	"github.com/ballast-bench/ballast/eventlog"
)

// Liveness checks, from an event log, that a healthy quorum elects a
// leader within a bound: while a majority Q of the nodes is up, not
// paused, on one side of every partition, and the network is calm (the
// regime in force is calm, no loss burst, no post-heal turbulence), no
// stretch without a current leader in Q lasts longer than the bound. A
// current leader is a node of Q in the leader role whose term is the
// highest among Q; a stretch that began before the quorum became healthy
// counts from that moment.
//
// The bound depends on the run's settings; BoundUS derives it
// (docs/architecture.md, "Swarm testing", gives the argument).
type Liveness struct {
	h      Health
	quorum int
	boundUS,
	lastUS int64
	err error

	alive, paused, leader []bool
	term                  []uint64
	group                 []int64 // partition group per node (0 when none)
	bursts, turbulence    int
	regime                int

	healthy  bool
	q        []bool // the healthy quorum's members
	stretch  int64  // start of the current leaderless stretch under health; -1 when a leader is current
	windowUS int64  // when the quorum became healthy
	worstUS  int64  // the longest leaderless stretch under health so far
}

// Health describes what the log does not say: which regimes are calm and
// the election bound under each.
type Health struct {
	Nodes int
	// InitialRegime is the regime id in force from time 0.
	InitialRegime int
	// BoundUS maps a calm regime's id to the election bound under it (µs);
	// a regime that is absent is not calm (loss, or delays without a bound).
	BoundUS map[int]int64
}

// NewLiveness returns a checker for h.
func NewLiveness(h Health) *Liveness {
	n := h.Nodes
	l := &Liveness{h: h, quorum: n/2 + 1, regime: h.InitialRegime, stretch: 0,
		alive: make([]bool, n), paused: make([]bool, n), leader: make([]bool, n),
		term: make([]uint64, n), group: make([]int64, n), q: make([]bool, n)}
	for i := range l.alive {
		l.alive[i] = true
	}
	l.update(0)
	return l
}

// Emit implements eventlog.Sink.
func (l *Liveness) Emit(ev *eventlog.Event) {
	if l.err != nil {
		return
	}
	t := ev.TimeUS
	l.lastUS = t
	l.checkAt(t)
	n := int(ev.Node)
	if n >= 0 && n < len(l.term) && ev.Term > l.term[n] {
		l.term[n] = ev.Term
	}
	switch ev.Kind {
	case eventlog.Crash:
		l.alive[n], l.paused[n], l.leader[n] = false, false, false
	case eventlog.Restart:
		l.alive[n] = true
	case eventlog.PauseStart, eventlog.Sleep:
		l.paused[n] = true
	case eventlog.PauseEnd:
		l.paused[n] = false
	case eventlog.PartitionStart:
		l.group[n] = ev.Value
	case eventlog.PartitionEnd:
		l.group[n] = 0
	case eventlog.BurstStart:
		l.bursts++
	case eventlog.BurstEnd:
		l.bursts--
	case eventlog.TurbulenceStart:
		l.turbulence++
	case eventlog.TurbulenceEnd:
		l.turbulence--
	case eventlog.RegimeSwitch:
		l.regime = int(ev.Value)
	case eventlog.BecameLeader:
		l.leader[n] = true
	case eventlog.BecameFollower, eventlog.BecamePreCandidate, eventlog.BecameCandidate:
		l.leader[n] = false
	}
	l.update(t)
}

// checkAt fails if the leaderless stretch under health has lasted longer
// than the bound by t.
func (l *Liveness) checkAt(t int64) {
	if !l.healthy || l.stretch < 0 {
		return
	}
	from := max(l.stretch, l.windowUS)
	if d := t - from; d > l.worstUS {
		l.worstUS = d
	}
	if t-from > l.boundUS {
		l.err = fmt.Errorf("liveness: a healthy quorum %v had no leader from %d µs to %d µs (%d µs > bound %d µs)",
			l.members(), from, t, t-from, l.boundUS)
	}
}

func (l *Liveness) members() []int {
	var m []int
	for i, in := range l.q {
		if in {
			m = append(m, i)
		}
	}
	return m
}

// update recomputes health and the leader's presence after the rows of t.
func (l *Liveness) update(t int64) {
	bound, calm := l.h.BoundUS[l.regime]
	calm = calm && l.bursts == 0 && l.turbulence == 0
	// The quorum: the largest partition group of up, unpaused nodes.
	counts := map[int64]int{}
	best, bestN := int64(0), 0
	for i := range l.alive {
		if l.alive[i] && !l.paused[i] {
			counts[l.group[i]]++
			if c := counts[l.group[i]]; c > bestN || c == bestN && l.group[i] < best {
				best, bestN = l.group[i], c
			}
		}
	}
	healthy := calm && bestN >= l.quorum
	changed := healthy != l.healthy || bound != l.boundUS
	for i := range l.q {
		in := healthy && l.alive[i] && !l.paused[i] && l.group[i] == best
		changed = changed || in != l.q[i]
		l.q[i] = in
	}
	if changed {
		l.healthy, l.boundUS, l.windowUS = healthy, bound, t
	}
	// A current leader: a leader of Q holding Q's highest term.
	var top uint64
	for i, in := range l.q {
		if in && l.term[i] > top {
			top = l.term[i]
		}
	}
	current := false
	for i, in := range l.q {
		if in && l.leader[i] && l.term[i] == top {
			current = true
		}
	}
	switch {
	case current:
		l.stretch = -1
	case l.stretch < 0:
		l.stretch = t
	}
}

// Finish checks the run's end (durationUS): a stretch still open counts
// to it.
func (l *Liveness) Finish(durationUS int64) {
	if l.err == nil {
		l.checkAt(durationUS)
	}
}

// Err returns the first violation, or nil.
func (l *Liveness) Err() error { return l.err }

// WorstUS is the longest leaderless stretch seen under health: how close
// the run came to the bound.
func (l *Liveness) WorstUS() int64 { return l.worstUS }

// BoundUS is the liveness bound for a cluster whose election deadlines
// are uniform draws below maxUS under a calm network whose one-way delay,
// processing included, is at most delayUS, with heartbeat interval
// heartbeatUS and a vote lease of at most leaseUS (0 without CheckQuorum). See docs/architecture.md: after the quorum becomes healthy
// (or loses its leader), every member's lease runs out within leaseUS and
// its timer fires within maxUS; an election round (pre-vote and vote)
// completes within 4 delayUS; a round fails only when two members fire
// within the time their requests take, or a member with a stale log fires
// first; Rounds such rounds are allowed.
func BoundUS(maxUS, delayUS, heartbeatUS, leaseUS int64) int64 {
	round := maxUS + leaseUS + 4*delayUS
	return (Rounds+1)*round + 2*heartbeatUS
}

// Rounds is the number of failed election rounds the liveness bound
// allows. With the swarm's deadline ranges (at least ten times the
// largest one-way delay wide) a round fails with probability well under
// one half, so 20 failed rounds in a row have a probability under 1e-6;
// the swarm test reports how many rounds its runs needed at most.
const Rounds = 20
