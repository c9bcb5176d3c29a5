// Package policy is the interface between the election engines and the
// election-timeout policies: what a node observes when it resets its
// election timer, the decision a policy returns, the optional hooks a
// policy may implement, and the engine-side heartbeat statistics
// (Observer) that fill an Observation. The engines (sim/...) import only
// this package; the policies themselves live in package policies.
//
// A node asks its policy for a deadline every time it resets its election
// timer (Raft paper section 5.2: a follower resets the timer whenever it
// hears from the current leader or grants a vote; a candidate resets it when
// it starts an election). The policy sees local observations only: what one
// node could measure in a real deployment, plus the injected regime id,
// which only oracle baselines may read.
//
// Each node has its own Policy value and its own random stream; nodes never
// share learning state.
package policy

import "math/rand/v2"

// Role is a node's Raft role.
type Role uint8

const (
	Follower Role = iota
	PreCandidate
	Candidate
	Leader
)

func (r Role) String() string {
	switch r {
	case Follower:
		return "follower"
	case PreCandidate:
		return "precandidate"
	case Candidate:
		return "candidate"
	case Leader:
		return "leader"
	}
	return "unknown"
}

// Observation is what a node knows when it resets its election timer.
// Statistics are over the node's last HeartbeatWindow heartbeats; they are
// zero until two heartbeats arrived (inter-arrival) or one (delay).
type Observation struct {
	NowUS int64
	Node  int
	Role  Role
	Term  uint64

	// SinceHeartbeatUS is the time since the last heartbeat from any leader,
	// -1 if none arrived since the node (re)started.
	SinceHeartbeatUS int64
	// Heartbeat inter-arrival times (µs) from the node's leader.
	InterArrivalCount  int
	InterArrivalMeanUS float64
	InterArrivalStdUS  float64
	// One-way heartbeat delay (receive time minus the leader's send
	// timestamp; the simulation's clocks are synchronised).
	DelayCount  int
	DelayMeanUS float64
	DelayStdUS  float64
	LastDelayUS int64
	// Round-trip times the leader measured to this node and piggybacked on
	// its heartbeats (as Dynatune does); -1 when none was measured yet.
	LastRTTUS int64

	// ConsecutiveFailures counts this node's election attempts that timed
	// out since its last won election.
	ConsecutiveFailures int

	// HeartbeatUS is the scenario's base heartbeat interval.
	HeartbeatUS int64
	// LoadUS is the node's own load: the length of its last processing
	// pause (a GC-like stall, as a node's runtime can measure it) if that
	// ended within the last second (sim.LoadWindowUS), else 0. Per-message
	// processing delays are not in it: a node cannot tell them from the
	// network's.
	LoadUS int64
	// RegimeID is the injected network regime. Privileged information: only
	// oracle baselines may read it.
	RegimeID int
}

// Decision is a policy's answer to a timer reset.
type Decision struct {
	DeadlineUS int64 // time from now until the election timer fires; > 0
	Arm        int   // index of the discrete arm chosen, or -1
}

// Outcome is how an election attempt ended.
type Outcome uint8

const (
	Won         Outcome = iota + 1 // the node became leader
	TimedOut                       // its timer fired again while still campaigning (election_failed)
	SteppedDown                    // it returned to follower: another leader, a higher term, or rejection
)

func (o Outcome) String() string {
	switch o {
	case Won:
		return "won"
	case TimedOut:
		return "timed_out"
	case SteppedDown:
		return "stepped_down"
	}
	return "unknown"
}

// ElectionResult reports one finished election attempt of this node: from
// the timer firing that started the campaign to its outcome.
type ElectionResult struct {
	NowUS     int64
	Outcome   Outcome
	LatencyUS int64
}

// Policy chooses election deadlines for one node.
type Policy interface {
	// Deadline is called at every election-timer reset.
	Deadline(obs *Observation) Decision
	// ElectionDone reports a finished election attempt (a delayed reward).
	ElectionDone(res ElectionResult)
}

// Heartbeat is one heartbeat as the receiving follower saw it.
type Heartbeat struct {
	NowUS       int64
	SentUS      int64  // the leader's send timestamp
	Seq         uint64 // per (leader term, follower) sequence number, from 1
	LeaderRTTUS int64  // the last RTT the leader measured to this follower, -1 if none
	Value       int64  // piggybacked by the leader's policy (LeaderTuner.HeartbeatValue), -1 if none
	Leader      int
	Term        uint64
}

// HeartbeatObserver is implemented by policies that want every raw
// heartbeat sample, not just the summary in Observation.
type HeartbeatObserver interface {
	OnHeartbeat(hb *Heartbeat)
}

// HeartbeatTuner is implemented by policies that piggyback values on
// heartbeats and set per-follower heartbeat intervals (Dynatune).
type HeartbeatTuner interface {
	// ReplyValue is the follower side: the value to piggyback on the
	// response to the heartbeat just observed; -1 for none.
	ReplyValue() int64
	// HeartbeatValue is the leader side: the value to piggyback on the next
	// heartbeat to follower; -1 for none.
	HeartbeatValue(follower int) int64
	// BecameLeader is called when the node wins an election, before its first
	// heartbeats. It returns the initial heartbeat interval (µs) for every
	// follower; 0 means the scenario's base interval.
	BecameLeader(nowUS int64) int64
	// FollowerReply is the leader side: a heartbeat response arrived with the
	// measured round trip and the follower's piggybacked value. It returns the
	// new heartbeat interval for that follower (µs), or 0 to keep the current.
	FollowerReply(follower int, rttUS int64, value int64) int64
}

// Ticker is implemented by policies whose timer runs on a logical clock of
// ticks with the node's own phase (etcd's timer). The engines then put the
// node's other tick-driven clocks on the same ticks: the CheckQuorum lease
// and check, and a leader's raft ticks.
type Ticker interface {
	// NextTickUS is the node's first tick after nowUS; false while the
	// policy has not chosen its phase yet (before its first deadline).
	NextTickUS(nowUS int64) (int64, bool)
}

// Restarter is implemented by policies that react to their node restarting
// after a crash (for example a cold-start variant that forgets its model).
type Restarter interface {
	Restarted()
}

// Explainer is implemented by policies whose decisions pass explicit rules
// that may change them (neurosym's symbolic layer). After each Deadline
// call, Rules returns the set of rules that changed that decision (a bit
// per rule, 0 if none); the engine logs a guardrail row when it is not 0.
type Explainer interface {
	Rules() uint32
}

// SafetyMode is implemented by policies with a forced-safe mode; the engine
// logs safety_enter and safety_exit when it changes.
type SafetyMode interface {
	InSafeMode() bool
}

// Factory makes the policy of one node. rng is the node's own policy
// stream; the policy must draw all its randomness from it.
type Factory func(node int, rng *rand.Rand) Policy
