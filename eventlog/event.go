// Package eventlog defines the raw protocol events every simulation emits,
// and the Sink interface through which engines hand them on.
//
// Every protocol event is one row: nothing is aggregated here. Metrics are
// derived offline from these rows alone (BALLAST paper section 5: "we record
// protocol events ... and then derive liveness/availability metrics
// offline"), never from policy-specific instrumentation.
package eventlog

import "fmt"

// SchemaVersion is the version of the event and runs schema documented in
// docs/schema.md. Bump it on any change of columns, of an existing kind's
// meaning or of value units. Adding a kind (at the end of the list, so that
// no existing kind's number changes) keeps the version: every file written
// before holds the same rows and reads the same (docs/schema.md).
const SchemaVersion = 1

// Kind says what happened. The numeric values are internal; files store the
// name (see docs/schema.md), so reordering kinds never changes a file's meaning.
type Kind uint8

// The event kinds. For each kind docs/schema.md lists what node, peer, term,
// value and arm mean.
const (
	KindInvalid Kind = iota
	// Election timer.
	TimerReset // value: chosen deadline (µs from now); arm: chosen arm or -1
	Timeout    // the election timer fired
	// Role changes.
	BecameFollower     // value: reason (see FollowerReason); peer: leader if known
	BecamePreCandidate // a pre-vote round starts (term not yet incremented)
	BecameCandidate    // a vote round starts in the new term
	BecameLeader
	// Pre-vote and vote messages. Every row about a message carries its
	// msg_id. The voter's granted/denied row is the sending of its response
	// (an in-lease denial sends none: msg_id 0).
	PreVoteSent     // peer: destination
	PreVoteRecv     // peer: source
	PreVoteGranted  // logged by the voter; peer: candidate
	PreVoteDenied   // logged by the voter; peer: candidate; value: DenyReason
	PreVoteRespRecv // logged by the candidate; peer: voter; value: 1 granted, 0 denied
	VoteSent
	VoteRecv
	VoteGranted
	VoteDenied
	VoteRespRecv
	// Heartbeats (AppendEntries without payload in the election model).
	HeartbeatSent     // peer: follower
	HeartbeatRecv     // peer: leader; value: one-way delay (µs)
	HeartbeatRespSent // peer: leader
	HeartbeatRespRecv // peer: follower; value: measured round-trip time (µs)
	// Messages that did not arrive. peer: destination; value: MsgType.
	MsgLost // dropped by the link's loss process
	MsgCut  // dropped by a partition
	MsgDead // the receiver was down (or restarted) when it arrived, or crashed before handling it
	// Election attempts.
	ElectionFailed // the attempt's timer fired without a leader; value: attempt duration (µs)
	// Faults and scenario timeline. node is -1 for cluster-wide rows.
	Crash
	Restart
	PartitionStart // one row per node cut off; value: the node's group index
	PartitionEnd
	RegimeSwitch    // node -1; value: regime id
	BurstStart      // node -1; value: number of affected directed links
	BurstEnd        // node -1
	TurbulenceStart // node -1
	TurbulenceEnd   // node -1
	// Policy.
	PolicyDecision    // value: deadline (µs); arm: chosen arm
	SafetyEnter       // the policy entered forced-safe mode
	SafetyExit        // the policy left forced-safe mode
	HeartbeatInterval // leader side; peer: follower; value: new interval (µs)
	// Log.
	Proposal // the leader appended an entry; value: its index
	// Processing pauses (added after the rest: kinds keep their numbers).
	PauseStart // the node stops handling messages and timers; value: the pause's length (µs)
	PauseEnd   // the pause is over: the node handles what waited (not written when a crash ends the pause)
	// Policy rules (added after the rest).
	Guardrail // the policy's explicit rules changed its last decision; value: rule bitmask
	// A node put to sleep by the scenario (crashes[].mode sleep; added after
	// the rest): it stops as in a pause until its pause_end, and a leader's
	// sleep is a failure to the analysis; value: the sleep's length (µs).
	Sleep
	numKinds
)

var kindNames = [numKinds]string{
	KindInvalid:        "invalid",
	TimerReset:         "timer_reset",
	Timeout:            "timeout",
	BecameFollower:     "became_follower",
	BecamePreCandidate: "became_precandidate",
	BecameCandidate:    "became_candidate",
	BecameLeader:       "became_leader",
	PreVoteSent:        "prevote_sent",
	PreVoteRecv:        "prevote_recv",
	PreVoteGranted:     "prevote_granted",
	PreVoteDenied:      "prevote_denied",
	PreVoteRespRecv:    "prevote_resp_recv",
	VoteSent:           "vote_sent",
	VoteRecv:           "vote_recv",
	VoteGranted:        "vote_granted",
	VoteDenied:         "vote_denied",
	VoteRespRecv:       "vote_resp_recv",
	HeartbeatSent:      "heartbeat_sent",
	HeartbeatRecv:      "heartbeat_recv",
	HeartbeatRespSent:  "heartbeat_resp_sent",
	HeartbeatRespRecv:  "heartbeat_resp_recv",
	MsgLost:            "msg_lost",
	MsgCut:             "msg_cut",
	MsgDead:            "msg_dead",
	ElectionFailed:     "election_failed",
	Crash:              "crash",
	Restart:            "restart",
	PartitionStart:     "partition_start",
	PartitionEnd:       "partition_end",
	RegimeSwitch:       "regime_switch",
	BurstStart:         "burst_start",
	BurstEnd:           "burst_end",
	TurbulenceStart:    "turbulence_start",
	TurbulenceEnd:      "turbulence_end",
	PolicyDecision:     "policy_decision",
	SafetyEnter:        "safety_enter",
	SafetyExit:         "safety_exit",
	HeartbeatInterval:  "heartbeat_interval",
	Guardrail:          "guardrail",
	Proposal:           "proposal",
	PauseStart:         "pause_start",
	PauseEnd:           "pause_end",
	Sleep:              "sleep",
}

// String returns the kind's name as stored in files.
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Kinds returns every valid kind in numeric order.
func Kinds() []Kind {
	ks := make([]Kind, 0, numKinds-1)
	for k := Kind(1); k < numKinds; k++ {
		ks = append(ks, k)
	}
	return ks
}

// ParseKind maps a stored name back to its Kind.
func ParseKind(name string) (Kind, bool) {
	for k := Kind(1); k < numKinds; k++ {
		if kindNames[k] == name {
			return k, true
		}
	}
	return KindInvalid, false
}

// MsgType identifies a protocol message in MsgLost/MsgCut/MsgDead rows.
type MsgType int64

const (
	MsgPreVote MsgType = iota + 1
	MsgPreVoteResp
	MsgVote
	MsgVoteResp
	MsgHeartbeat
	MsgHeartbeatResp
)

// FollowerReason is the value of a BecameFollower row.
type FollowerReason int64

const (
	FollowerStart       FollowerReason = iota + 1 // initial state, or after a restart
	FollowerHigherTerm                            // saw a message with a higher term
	FollowerNewLeader                             // heard a leader of its term (e.g. a candidate that lost)
	FollowerRejected                              // a majority rejected its (pre-)vote
	FollowerCheckQuorum                           // a leader that lost contact with a quorum stepped down
)

// DenyReason is the value of a PreVoteDenied or VoteDenied row.
type DenyReason int64

const (
	DenyStaleTerm    DenyReason = iota + 1 // the request's term is below the voter's
	DenyAlreadyVoted                       // the voter voted for another candidate this term
	DenyLogBehind                          // the candidate's log is not up to date
	DenyInLease                            // CheckQuorum: the voter heard its leader within the lease; no response is sent
)

// Event is one protocol event. Node and Peer are -1 where not applicable;
// Arm is -1 unless a policy chose a discrete arm; MsgID is 0 for rows that
// are not about one message. A send and its receipt share a MsgID, so every
// receipt can be traced to its cause.
type Event struct {
	TimeUS int64
	Term   uint64
	Value  int64
	MsgID  uint64
	Node   int16
	Peer   int16
	Kind   Kind
	Arm    int8
}

// Sink receives events in the order they happen. Implementations must not
// retain the pointer after Emit returns.
type Sink interface {
	Emit(ev *Event)
}

// Memory is a Sink that keeps every event; tests and small tools use it.
type Memory struct {
	Events []Event
}

// Emit appends a copy of ev.
func (m *Memory) Emit(ev *Event) { m.Events = append(m.Events, *ev) }
