package fast

import (
	"math/rand/v2"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// tuner exercises the leader-side hooks: followers piggyback 20 ms, the
// leader adopts it as that follower's heartbeat interval, and followers
// record what the leader piggybacked.
type tuner struct {
	node     int
	seen     *[]seenHB
	failures int
}

type seenHB struct {
	node int
	hb   policy.Heartbeat
}

func (p *tuner) Deadline(*policy.Observation) policy.Decision {
	return policy.Decision{DeadlineUS: int64(300+100*p.node) * 1000, Arm: p.node % 2}
}
func (p *tuner) ElectionDone(r policy.ElectionResult) {
	if r.Outcome == policy.TimedOut {
		p.failures++
	} else if r.Outcome == policy.Won {
		p.failures = 0
	}
}
func (p *tuner) InSafeMode() bool                 { return p.failures >= 1 }
func (p *tuner) OnHeartbeat(hb *policy.Heartbeat) { *p.seen = append(*p.seen, seenHB{p.node, *hb}) }
func (p *tuner) ReplyValue() int64                { return 20_000 }
func (p *tuner) HeartbeatValue(f int) int64       { return int64(1000 + f) }
func (p *tuner) BecameLeader(int64) int64         { return 0 }
func (p *tuner) FollowerReply(f int, rtt, v int64) int64 {
	return v
}

// TestTunedIntervalTakesEffectFromLastHeartbeat: when a follower's reply
// changes its interval, the next heartbeat comes one new interval after the
// last one sent, not one heartbeat later. In the hand-built 3-node
// scenario (10 ms links) node 0's 300 ms deadline fires first: it wins at
// 320 ms and heartbeats at once; the replies arrive at 340 ms and set 20 ms,
// so the next heartbeats go out at 340 ms (max(now, 320 + 20)), not at
// 370 ms on the old 50 ms schedule.
func TestTunedIntervalTakesEffectFromLastHeartbeat(t *testing.T) {
	s, err := scenario.Load("testdata/handbuilt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := *s
	c.Crashes = nil
	c.DurationS = 0.45
	var seen []seenHB
	var m eventlog.Memory
	if _, err := (Engine{}).Run(&sim.Config{Scenario: &c, Seed: 1, Sink: &m,
		Policy: func(node int, _ *rand.Rand) policy.Policy { return &tuner{node: node, seen: &seen} }}); err != nil {
		t.Fatal(err)
	}
	var sent []int64
	for _, e := range m.Events {
		if e.Kind == eventlog.HeartbeatSent && e.Peer == 1 {
			sent = append(sent, e.TimeUS)
		}
	}
	if len(sent) < 3 || sent[0] != 320_000 || sent[1] != 340_000 || sent[2] != 360_000 {
		t.Fatalf("heartbeats to node 1 at %v µs; want 320000, 340000, 360000, ...", sent)
	}
}
