package sim_test

// Tests of the settings that model what real deployments do (etcd's tick
// timer, timer-reset rules, persistence, sleeping leaders, timer noise):
// each against a closed form or a rule checked on every row, on both
// engines.

import (
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// pair is two nodes on constant links of delayMS with heartbeat hbMS: a
// leader and one follower, whose timer nothing but the leader resets.
func pair(hbMS, delayMS, durationS float64) *scenario.Scenario {
	return &scenario.Scenario{Name: "pair", Nodes: 2, DurationS: durationS,
		Raft:    scenario.Raft{HeartbeatMS: hbMS},
		Network: scenario.Network{Default: scenario.Link{BaseDelayMS: ptr(delayMS)}}}
}

// TestEtcdTimerDetection: with etcd's tick timer, the time from a
// follower's last heartbeat to its first timeout after its leader crashed
// is discrete uniform on the whole µs in ((E-1)H, (2E-1)H]. Derivation:
// the heartbeat at time a zeroes the elapsed ticks; the node's ticks lie
// at phase + kH, so the first tick after a is H - u later, u = (a -
// phase) mod H, and the timer fires T-1 ticks after that: at a + TH - u.
// The phase is uniform on {0..H-1}, so u is too (whatever a is), and T is
// uniform on {E..2E-1} and independent of it; TH - u then takes each
// value of ((T-1)H, TH] with probability 1/(EH), and the union over T is
// the range above, one tick earlier than standard Raft's [EH, 2EH).
//
// Here H = 10 ms, E = 50/10 = 5: support (40, 90] ms, checked exactly, and
// a chi-square test over ten 5 ms bins (9 degrees of freedom, 27.88 at
// p = 0.001).
func TestEtcdTimerDetection(t *testing.T) {
	const hUS, e = 10_000, 5
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		n := 4000
		if eng.Name() == "etcd" {
			n = 1500
		}
		if testing.Short() {
			n /= 5
		}
		s := pair(10, 1, 2.2)
		s.Crashes = []scenario.Crash{{Node: scenario.LeaderTarget, AtS: 2}}
		f := mustPolicy(t, "etcd", "election_ms=50")
		bins := make([]int, 10)
		for seed := uint64(1); seed <= uint64(n); seed++ {
			evs := mustRun(t, eng, s, f, seed)
			crashed, crashUS := -1, int64(-1)
			last, fired := int64(-1), int64(-1)
			for _, ev := range evs {
				switch {
				case ev.Kind == eventlog.Crash:
					crashed, crashUS = int(ev.Node), ev.TimeUS
				case fired < 0 && ev.Kind == eventlog.HeartbeatRecv:
					last = ev.TimeUS // the crashed leader's last heartbeat may arrive after the crash
				case crashed >= 0 && ev.Kind == eventlog.Timeout && fired < 0:
					fired = ev.TimeUS
				}
			}
			if crashUS < 0 || last < 0 || fired < 0 {
				t.Fatalf("seed %d: crash at %d µs, last heartbeat %d µs, timeout %d µs: a run without a failover", seed, crashUS, last, fired)
			}
			d := fired - last
			if d <= (e-1)*hUS || d > (2*e-1)*hUS {
				t.Fatalf("seed %d: timeout %d µs after the last heartbeat; allowed: (%d, %d]", seed, d, (e-1)*hUS, (2*e-1)*hUS)
			}
			bins[(d-(e-1)*hUS-1)/(e*hUS/10)]++
		}
		chi := 0.0
		want := float64(n) / 10
		for _, b := range bins {
			chi += (float64(b) - want) * (float64(b) - want) / want
		}
		if chi > 27.88 {
			t.Errorf("detection times not uniform on (40, 90] ms: bins %v, chi-square %.1f > 27.88 (9 df, p = 0.001)", bins, chi)
		}
	})
}

// TestEtcdTimerOnTicks: every timeout of a node fires on its own ticker,
// so all its timeouts between two restarts are congruent modulo the tick,
// through elections, split votes and step-downs (five nodes, jittered
// links, pre-vote and CheckQuorum on, the leader crashed and restarted).
func TestEtcdTimerOnTicks(t *testing.T) {
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		s := mustScenario(t, "lan")
		c := *s
		c.DurationS = 20
		c.Raft.PreVote, c.Raft.CheckQuorum = true, true
		c.Crashes = []scenario.Crash{{Node: scenario.LeaderTarget, AtS: 1, RestartAfterMS: ptr(700.0),
			Repeat: &scenario.Repeat{Count: 20, EveryS: 1}}}
		hb := c.HeartbeatUS()
		f := mustPolicy(t, "etcd", "election_ms=300")
		for seed := uint64(1); seed <= 5; seed++ {
			evs := mustRun(t, eng, &c, f, seed)
			if _, err := check(&c, eng.Name(), evs); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			phase := make([]int64, c.Nodes)
			for i := range phase {
				phase[i] = -1
			}
			timeouts := 0
			for _, ev := range evs {
				switch ev.Kind {
				case eventlog.Restart:
					phase[ev.Node] = -1
				case eventlog.Timeout:
					timeouts++
					p := ev.TimeUS % hb
					if phase[ev.Node] < 0 {
						phase[ev.Node] = p
					} else if p != phase[ev.Node] {
						t.Fatalf("seed %d: node %d timed out at %d µs, phase %d µs; its earlier timeouts had phase %d µs (tick %d µs)", seed, ev.Node, ev.TimeUS, p, phase[ev.Node], hb)
					}
				}
			}
			if timeouts < 20 {
				t.Fatalf("seed %d: %d timeouts; the test needs failovers", seed, timeouts)
			}
		}
	})
}
