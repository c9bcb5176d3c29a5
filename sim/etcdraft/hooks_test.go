package etcdraft

import (
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/simtest"
)

// TestTunedHeartbeatsKeepCheckQuorumPeriod: a heartbeat-tuning policy gets
// its per-follower 20 ms heartbeats, while raft's clock, and with it
// CheckQuorum, stays on the scenario's 50 ms interval (the package doc's
// caveat). Node 0 leads from 320 ms; raft checks the quorum every E = 3
// ticks, at 470, 620, ..., 1070, 1220 ms. Node 0 is cut off at 1000 ms:
// the check at 1070 ms still counts the answers of 920-1000 ms, the one at
// 1220 ms finds none and node 0 steps down then. Ticking raft at the tuned
// 20 ms would have made the period 60 ms and the step-down come before
// 1120 ms.
func TestTunedHeartbeatsKeepCheckQuorumPeriod(t *testing.T) {
	s := three(t, func(s *scenario.Scenario) {
		s.Raft.CheckQuorum = true
		s.DurationS = 1.5
		s.Partitions = []scenario.Partition{{AtS: 1, DurationS: 2, Isolate: []int{0}}}
	})
	var seen []simtest.SeenHeartbeat
	evs := checked(t, s, simtest.TunerFactory(&seen))
	var intervals, stepDowns int
	sentAt := map[int16][]int64{}
	for _, e := range evs {
		switch e.Kind {
		case eventlog.HeartbeatInterval:
			if e.Node != 0 {
				continue // node 1 leads after 1.4 s; its follower is node 2
			}
			intervals++
			if e.Value != 20_000 {
				t.Errorf("interval %d µs, want 20000", e.Value)
			}
		case eventlog.HeartbeatSent:
			if e.Node == 0 && e.TimeUS < 1_000_000 {
				sentAt[e.Peer] = append(sentAt[e.Peer], e.TimeUS)
			}
		case eventlog.BecameFollower:
			if e.Node == 0 && e.Value == int64(eventlog.FollowerCheckQuorum) {
				stepDowns++
				if e.TimeUS != 1_220_000 {
					t.Errorf("node 0 stepped down at %d µs, want 1220000 (CheckQuorum every 150 ms)", e.TimeUS)
				}
			}
		}
	}
	if intervals != 2 || stepDowns != 1 {
		t.Fatalf("%d heartbeat_interval rows of node 0 (want 2, one per follower), %d CheckQuorum step-downs (want 1)", intervals, stepDowns)
	}
	// After the first responses the leader sends every 20 ms, and raft's
	// own 50 ms heartbeats are not sent besides.
	for peer, ts := range sentAt {
		for i := len(ts) - 10; i < len(ts); i++ {
			if gap := ts[i] - ts[i-1]; gap != 20_000 {
				t.Errorf("follower %d: heartbeat gap %d µs at %d µs, want 20000", peer, gap, ts[i])
			}
		}
	}
	if len(seen) == 0 {
		t.Fatal("no heartbeat observed by follower policies")
	}
	for _, s := range seen {
		if s.HB.Value != int64(1000+s.Node) || s.HB.Term != uint64(s.HB.Leader+1) {
			t.Errorf("node %d got heartbeat %+v, want value %d (node 0 leads term 1, node 1 term 2)", s.Node, s.HB, 1000+s.Node)
		}
		if s.HB.Seq == 0 || s.HB.NowUS-s.HB.SentUS != 10_000 {
			t.Errorf("bad heartbeat %+v", s.HB)
		}
	}
	if rtt := seen[len(seen)-1].HB.LeaderRTTUS; rtt != 20_000 {
		t.Errorf("leader RTT piggybacked %d, want 20000", rtt)
	}
}
