package fast

import (
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/simtest"
)

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
	var seen []simtest.SeenHeartbeat
	var m eventlog.Memory
	if _, err := (Engine{}).Run(&sim.Config{Scenario: &c, Seed: 1, Sink: &m,
		Policy: simtest.TunerFactory(&seen)}); err != nil {
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
