// Package simtest holds test policies that the engines' tests share, as
// net/http/httptest does for HTTP: one implementation, used by the
// conformance suite (package sim) and by each engine's own tests.
package simtest

import (
	"math/rand/v2"

	"github.com/ballast-bench/ballast/policies/policy"
)

// Tuner exercises every policy hook: node i asks for (300 + 100 i) ms
// deadlines (arm i%2), so in a symmetric scenario node 0 fires first;
// followers piggyback 20 ms on their responses and the leader adopts it as
// that follower's heartbeat interval; the leader piggybacks 1000 +
// follower on heartbeats, which followers record in Seen; a node enters
// safe mode after a failed attempt and leaves it on a win.
type Tuner struct {
	Node     int
	Seen     *[]SeenHeartbeat
	failures int
}

// SeenHeartbeat is a heartbeat as a node's policy observed it.
type SeenHeartbeat struct {
	Node int
	HB   policy.Heartbeat
}

// TunerFactory makes a Tuner per node, all recording into seen.
func TunerFactory(seen *[]SeenHeartbeat) policy.Factory {
	return func(node int, _ *rand.Rand) policy.Policy { return &Tuner{Node: node, Seen: seen} }
}

func (p *Tuner) Deadline(*policy.Observation) policy.Decision {
	return policy.Decision{DeadlineUS: int64(300+100*p.Node) * 1000, Arm: p.Node % 2}
}

func (p *Tuner) ElectionDone(r policy.ElectionResult) {
	if r.Outcome == policy.TimedOut {
		p.failures++
	} else if r.Outcome == policy.Won {
		p.failures = 0
	}
}

func (p *Tuner) InSafeMode() bool { return p.failures >= 1 }

func (p *Tuner) OnHeartbeat(hb *policy.Heartbeat) {
	*p.Seen = append(*p.Seen, SeenHeartbeat{p.Node, *hb})
}

func (p *Tuner) ReplyValue() int64                     { return 20_000 }
func (p *Tuner) HeartbeatValue(f int) int64            { return int64(1000 + f) }
func (p *Tuner) BecameLeader(int64) int64              { return 0 }
func (p *Tuner) FollowerReply(_ int, _, v int64) int64 { return v }

// Fixed gives node i the constant deadline ms[i] in every role: the
// policy of the hand-derived traces, whose every timer is known.
func Fixed(ms ...int64) policy.Factory {
	return func(node int, _ *rand.Rand) policy.Policy { return fixedDeadline(ms[node] * 1000) }
}

type fixedDeadline int64

func (p fixedDeadline) Deadline(*policy.Observation) policy.Decision {
	return policy.Decision{DeadlineUS: int64(p), Arm: -1}
}
func (fixedDeadline) ElectionDone(policy.ElectionResult) {}
