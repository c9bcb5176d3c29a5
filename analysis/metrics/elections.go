package metrics

import (
	"slices"

	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/eventlog"
)

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

// elections tracks every node's election attempts: their outcomes, the
// failure causes, how many peers each phase reached, the attempts that
// started while the system was writable, and the terms started
// (docs/metrics.md, "Election process" and "Failure causes").
type elections struct {
	c           *cluster
	att         []attempt
	unnecessary int64    // attempts started while writable
	reachSeen   []uint32 // [candidate*n+peer]: the round in which peer was counted
	round       uint32
	list        []Election
	candTerms   []uint64
}

func newElections(c *cluster) elections {
	return elections{c: c, att: make([]attempt, c.n), reachSeen: make([]uint32, c.n*c.n)}
}

// start begins an attempt of node nd at t unless one is in progress (a
// pre-vote round followed by the vote round is one attempt); writable
// says whether the system is writable then.
func (e *elections) start(t int64, nd int, writable bool) *attempt {
	a := &e.att[nd]
	if !a.active {
		*a = attempt{active: true, startUS: t, candUS: -1}
		if writable {
			e.unnecessary++
		}
	}
	return a
}

// preCandidate processes node nd's became_precandidate row.
func (e *elections) preCandidate(t int64, nd int, writable bool) {
	a := e.start(t, nd, writable)
	a.vote = false
	e.newPhase(a)
}

// candidate processes node nd's became_candidate row in term.
func (e *elections) candidate(t int64, nd int, term uint64, writable bool) {
	a := e.start(t, nd, writable)
	a.vote, a.candUS, a.candTerm = true, t, term
	e.newPhase(a)
	e.candTerms = append(e.candTerms, term)
}

func (e *elections) newPhase(a *attempt) {
	e.round++
	a.round, a.reached, a.watermark = e.round, 0, e.c.maxMsg
}

// requestRecv processes node v's prevote_recv or vote_recv row: a peer
// reached by the candidate's current phase.
func (e *elections) requestRecv(ev *eventlog.Event, v int) error {
	n := e.c.n
	c := int(ev.Peer)
	if c < 0 || c >= n || c == v {
		return e.c.errorf(ev, "peer %d; allowed: the requesting candidate, 0 to %d, not the node itself", c, n-1)
	}
	a := &e.att[c]
	// Only requests of the candidate's current phase count: a request
	// sent earlier (lower message ID) or of the other phase is a reply to
	// nothing the candidate still waits for.
	if !a.active || a.vote != (ev.Kind == eventlog.VoteRecv) || ev.MsgID <= a.watermark {
		return nil
	}
	if i := c*n + v; e.reachSeen[i] != a.round {
		e.reachSeen[i] = a.round
		a.reached++
	}
	return nil
}

func (e *elections) record(nd int, t int64, outcome, cause string, alive int64) {
	a := &e.att[nd]
	el := Election{
		Node: int64(nd), StartUS: a.startUS, EndUS: t, Outcome: outcome, Term: int64(e.c.term[nd]),
		Phase: "prevote", CandUS: -1, TTLUS: -1, Reached: a.reached, Alive: alive, Cause: cause,
	}
	if a.vote {
		el.Phase, el.CandUS = "vote", a.candUS
	}
	if outcome == OutcomeWon {
		el.TTLUS = t - a.candUS
	}
	e.list = append(e.list, el)
	a.active = false
}

// end ends node nd's attempt at t, if it has one, with an outcome that
// has no failure cause (stepped down, crashed, open).
func (e *elections) end(nd int, t int64, outcome string) {
	if e.att[nd].active {
		e.record(nd, t, outcome, "", -1)
	}
}

// failed processes node nd's election_failed row.
func (e *elections) failed(ev *eventlog.Event, nd int) error {
	c := e.c
	a := &e.att[nd]
	if !a.active {
		return c.errorf(ev, "election_failed without an election attempt in progress; allowed: after became_precandidate or became_candidate")
	}
	if ev.TimeUS-ev.Value != a.startUS {
		return c.errorf(ev, "attempt duration %d µs, but the attempt started at %d µs; allowed: time_us - value = the attempt's start", ev.Value, a.startUS)
	}
	alive := int64(0)
	for _, ok := range c.alive {
		if ok {
			alive++
		}
	}
	// The classes partition the failures: could not win (no quorum
	// alive; the last phase's requests reached too few nodes to form a
	// majority with the candidate) or could have (contention).
	cause := CauseContention
	switch {
	case alive < int64(c.quorum):
		cause = CauseNoQuorum
	case 1+a.reached < int64(c.quorum):
		cause = CauseLowReach
	}
	e.record(nd, ev.TimeUS, OutcomeFailed, cause, alive)
	return nil
}

// won processes node l's became_leader row: it must end l's attempt in
// its vote round of that term.
func (e *elections) won(ev *eventlog.Event, l int) error {
	a := &e.att[l]
	if !a.active || !a.vote || a.candTerm != ev.Term {
		return e.c.errorf(ev, "became_leader in term %d without became_candidate in that term; allowed: a candidate's win", ev.Term)
	}
	e.record(l, ev.TimeUS, OutcomeWon, "", -1)
	return nil
}

// finish ends the attempts still open at end and fills in the run's
// elections and election metrics.
func (e *elections) finish(run *Run, end int64, id string) {
	for nd := range e.att {
		e.end(nd, end, OutcomeOpen)
	}
	slices.SortStableFunc(e.list, func(a, b Election) int {
		if a.StartUS != b.StartUS {
			return cmpInt(a.StartUS, b.StartUS)
		}
		return cmpInt(a.Node, b.Node)
	})
	r := &run.Row
	var ttl []float64
	for i := range e.list {
		el := &e.list[i]
		el.RunID = id
		switch el.Outcome {
		case OutcomeWon:
			r.Won++
			ttl = append(ttl, float64(el.TTLUS))
		case OutcomeFailed:
			r.Failed++
			switch el.Cause {
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
	run.Elections = e.list
	r.Attempts = r.Won + r.Failed + r.SteppedDown + r.Crashed
	r.SplitVoteRate = ratio(r.Failed, r.Attempts)
	slices.Sort(ttl)
	r.TimeToLeaderMeanUS = stats.Mean(ttl)
	r.TimeToLeaderP95US = stats.Quantile(ttl, 0.95)
	slices.Sort(e.candTerms)
	r.TermsStarted = int64(len(slices.Compact(e.candTerms)))
	r.Unnecessary = e.unnecessary
	r.TermChurnPerMin = float64(r.TermsStarted) / (float64(end) / 60e6)
	r.UnnecessaryPerMin = float64(r.Unnecessary) / (float64(end) / 60e6)
	r.NoQuorumFrac = ratio(r.FailedNoQuorum, r.Failed)
	r.LowReachFrac = ratio(r.FailedLowReach, r.Failed)
	r.ContentionFrac = ratio(r.FailedContention, r.Failed)
}
