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

func TestHeartbeatTunerHooks(t *testing.T) {
	s, err := scenario.Load("testdata/handbuilt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := *s
	c.Crashes = nil
	c.DurationS = 1
	var seen []seenHB
	var m eventlog.Memory
	_, err = Engine{}.Run(&sim.Config{Scenario: &c, Seed: 1, Sink: &m,
		Policy: func(node int, _ *rand.Rand) policy.Policy { return &tuner{node: node, seen: &seen} }})
	if err != nil {
		t.Fatal(err)
	}
	var intervals, decisions int
	sentAt := map[int16][]int64{}
	for _, e := range m.Events {
		switch e.Kind {
		case eventlog.HeartbeatInterval:
			intervals++
			if e.Value != 20_000 {
				t.Errorf("interval %d µs, want 20000", e.Value)
			}
		case eventlog.PolicyDecision:
			decisions++
		case eventlog.HeartbeatSent:
			sentAt[e.Peer] = append(sentAt[e.Peer], e.TimeUS)
		}
	}
	if intervals != 2 || decisions == 0 {
		t.Fatalf("%d heartbeat_interval rows (want 2, one per follower), %d policy_decision rows", intervals, decisions)
	}
	// After the first responses the leader sends every 20 ms instead of 50.
	for peer, ts := range sentAt {
		last := ts[len(ts)-1] - ts[len(ts)-2]
		if last != 20_000 {
			t.Errorf("follower %d: last heartbeat gap %d µs, want 20000", peer, last)
		}
	}
	if len(seen) == 0 {
		t.Fatal("no heartbeat observed by follower policies")
	}
	for _, s := range seen {
		if s.hb.Value != int64(1000+s.node) {
			t.Errorf("node %d got piggybacked value %d, want %d", s.node, s.hb.Value, 1000+s.node)
		}
		if s.hb.Seq == 0 || s.hb.SentUS >= s.hb.NowUS {
			t.Errorf("bad heartbeat %+v", s.hb)
		}
	}
	if rtt := seen[len(seen)-1].hb.LeaderRTTUS; rtt != 20_000 {
		t.Errorf("leader RTT piggybacked %d, want 20000", rtt)
	}
}

// TestSafetyModeIsLogged: with every node cut off from every other, all
// elections time out; a policy that enters safe mode after a failure gets
// one safety_enter row per node, at the time of its first failure.
func TestSafetyModeIsLogged(t *testing.T) {
	s, err := scenario.Load("testdata/handbuilt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := *s
	c.Crashes = nil
	c.DurationS = 2
	c.Partitions = []scenario.Partition{{AtS: 0, DurationS: 10, Groups: [][]int{{0}, {1}, {2}}}}
	var seen []seenHB
	var m eventlog.Memory
	if _, err := (Engine{}).Run(&sim.Config{Scenario: &c, Seed: 1, Sink: &m,
		Policy: func(node int, _ *rand.Rand) policy.Policy { return &tuner{node: node, seen: &seen} }}); err != nil {
		t.Fatal(err)
	}
	firstFail := map[int16]int64{}
	enters := map[int16]int64{}
	for _, e := range m.Events {
		switch e.Kind {
		case eventlog.ElectionFailed:
			if _, ok := firstFail[e.Node]; !ok {
				firstFail[e.Node] = e.TimeUS
			}
		case eventlog.SafetyEnter:
			if _, dup := enters[e.Node]; dup {
				t.Errorf("node %d entered safe mode twice without leaving", e.Node)
			}
			enters[e.Node] = e.TimeUS
		case eventlog.SafetyExit:
			t.Errorf("node %d left safe mode without winning", e.Node)
		}
	}
	if len(enters) != 3 {
		t.Fatalf("safety_enter for %d nodes, want 3", len(enters))
	}
	for n, at := range enters {
		if at != firstFail[n] {
			t.Errorf("node %d entered safe mode at %d, first failure at %d", n, at, firstFail[n])
		}
	}
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
