package policies

import (
	"math/rand/v2"

	"github.com/ballast-bench/ballast/policies/policy"
)

// hashicorpTimer is the election timing of github.com/hashicorp/raft
// (v1.8.0, raft.go runFollower and runCandidate; util.go randomTimeout),
// the Raft of Consul, Nomad and Vault:
//
//   - a follower's heartbeat timer fires after a uniform draw in [T, 2T)
//     (T = HeartbeatTimeout); at each firing it draws the next one from
//     then, and only if the last contact (a successful AppendEntries or
//     heartbeat from the leader, a granted vote) is T or more ago does the
//     node become candidate. The timer is not reset by a contact: it is
//     drawn afresh only when the node enters the follower state (start,
//     restart, stepping down from candidate or leader);
//   - a candidate's election timer is a uniform draw in [E, 2E) (E =
//     ElectionTimeout), drawn on entering the candidate state (pre-vote
//     since v1.7) and again when a won pre-vote starts the real election.
//
// So after a contact at time c the node times out at the first firing f of
// its timer with f - c >= T. Deadline is called at every contact (the
// host's timer resets: a heartbeat, a granted vote) and at every role or
// term change; it keeps the timer's next firing and steps it forward past
// every firing that still sees the contact.
type hashicorpTimer struct {
	heartbeatUS, electionUS int64
	rng                     *rand.Rand

	started bool
	nextUS  int64 // follower: the heartbeat timer's next firing (absolute)
	atUS    int64 // candidate: when the election timer fires (absolute)
	role    policy.Role
	term    uint64
}

func (p *hashicorpTimer) draw(t int64) int64 { return t + p.rng.Int64N(t) }

func (p *hashicorpTimer) Deadline(o *policy.Observation) policy.Decision {
	now := o.NowUS
	entered := !p.started || o.Role != p.role
	p.started = true
	switch o.Role {
	case policy.PreCandidate, policy.Candidate:
		// A new round (a new term, the real election after a won
		// pre-vote, or the timer's own firing: "Election timeout reached,
		// restarting election") draws a new election timeout; other
		// resets keep it.
		if entered || o.Term != p.term || now >= p.atUS {
			p.atUS = now + p.draw(p.electionUS)
		}
	default:
		if entered || now-p.nextUS > 2*p.heartbeatUS {
			// A timer far behind now (time jumped, in tests) is drawn
			// afresh rather than stepped through.
			p.nextUS = now + p.draw(p.heartbeatUS)
		}
		// Firings before the contact is T old find it recent and re-arm.
		for p.nextUS-now < p.heartbeatUS {
			p.nextUS += p.draw(p.heartbeatUS)
		}
		p.atUS = p.nextUS
	}
	p.role, p.term = o.Role, o.Term
	return policy.Decision{DeadlineUS: clampDeadline(float64(p.atUS - now)), Arm: -1}
}

func (p *hashicorpTimer) ElectionDone(policy.ElectionResult) {}

// Restarted implements policy.Restarter: a new process enters the follower
// state with a new timer.
func (p *hashicorpTimer) Restarted() { p.started = false }

func init() {
	Register(&Spec{
		Name: "hashicorp",
		Doc:  "hashicorp/raft's timers (Consul): a follower times out at the first firing of a [T, 2T) timer at least T after its last contact; a candidate's election timeout is drawn from [E, 2E)",
		Params: []Param{
			{Name: "heartbeat_timeout_ms", Default: []float64{1000}, Provenance: Paper,
				Doc: "hashicorp/raft's HeartbeatTimeout T (DefaultConfig 1000 ms; Consul multiplies it by raft_multiplier, default 5)",
				Min: 1, Max: 3_600_000},
			{Name: "election_timeout_ms", Default: []float64{1000}, Provenance: Paper,
				Doc: "hashicorp/raft's ElectionTimeout E (DefaultConfig 1000 ms; scaled by Consul's raft_multiplier like T)",
				Min: 1, Max: 3_600_000},
		},
		New: func(p Params) (policy.Factory, error) {
			t, e := int64(msToUS(p.Scalar("heartbeat_timeout_ms"))), int64(msToUS(p.Scalar("election_timeout_ms")))
			return func(_ int, rng *rand.Rand) policy.Policy {
				return &hashicorpTimer{heartbeatUS: max(t, 1), electionUS: max(e, 1), rng: rng}
			}, nil
		},
	})
}
