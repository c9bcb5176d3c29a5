package sim_test

// Tests of the settings that model what real deployments do (etcd's tick
// timer, timer-reset rules, persistence, sleeping leaders, timer noise):
// each against a closed form or a rule checked on every row, on both
// engines.

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/dist"
	"github.com/ballast-bench/ballast/sim/fast"
	"github.com/ballast-bench/ballast/sim/measured"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/simtest"
)

// checkedRun runs s on eng and passes its rows through the independent
// checks (invariants and the analysis), returning the rows and their
// analysis.
func checkedRun(t *testing.T, eng sim.Engine, s *scenario.Scenario, f policy.Factory, seed uint64) ([]eventlog.Event, *metrics.Run) {
	t.Helper()
	evs := mustRun(t, eng, s, f, seed)
	r, err := check(s, eng.Name(), evs)
	if err != nil {
		t.Fatalf("%s, seed %d: %v", eng.Name(), seed, err)
	}
	return evs, r
}

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

// TestEtcdTimerTrace: etcd's timer on three nodes (constant 10 ms links,
// 50 ms heartbeats as the tick, election_ms 200: E = 4 ticks), worked by
// hand from seed 1's draws. Each node's policy draws its phase and then its
// timeout from its own stream (stream.New(1, "policy", i): Int64N(50000),
// then 4 + Int64N(4)): node 0 phase 40.645 ms, 4 ticks; node 1 3.913 ms, 4
// ticks; node 2 28.376 ms, 4 ticks. At 0 ms each node is a fraction of a
// tick into its ticker: node i's first deadline is 4 ticks less the part of
// the current tick already gone, (4-1)*50 ms + phase: 190.645, 153.913 and
// 178.376 ms. Node 1 fires first, at 153.913 ms, campaigns in term 1, and
// its votes reach the others at 163.913 ms, who move to term 1 and grant
// (resetting their timers: node 2's 178.376 ms deadline never fires); node 1
// leads at 173.913 ms. Its heartbeats then reset the others every 50 ms,
// under their smallest possible deadline (3 ticks): no other timeout.
func TestEtcdTimerTrace(t *testing.T) {
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		s := three(0.6)
		evs, _ := checkedRun(t, eng, s, mustPolicy(t, "etcd", "election_ms=200"), 1)
		got := rowsOf(evs, 0, 600_000, eventlog.Timeout, eventlog.BecameLeader)
		want := []string{"timeout 1@153.913 t0 p-1 v0", "became_leader 1@173.913 t1 p-1 v0"}
		if !slices.Equal(got, want) {
			t.Fatalf("rows:\n got %q\nwant %q", got, want)
		}
	})
}

// TestEtcdTimerOnTicks: every timeout of a node fires on its own ticker,
// so all its timeouts between two restarts are congruent modulo the tick,
// through elections, split votes and step-downs (five nodes, jittered
// links, pre-vote and CheckQuorum on, the leader crashed and restarted,
// or cut off). So does a leader's CheckQuorum check: an isolated leader
// steps down on one of its ticks, as etcd's leader counts its lease in
// the ticks of its own ticker.
func TestEtcdTimerOnTicks(t *testing.T) {
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		s := mustScenario(t, "lan")
		c := *s
		c.DurationS = 20
		c.Raft.PreVote, c.Raft.CheckQuorum = true, true
		c.Crashes = []scenario.Crash{{Node: scenario.LeaderTarget, AtS: 1, RestartAfterMS: ptr(700.0),
			Repeat: &scenario.Repeat{Count: 10, EveryS: 1}}}
		c.Partitions = []scenario.Partition{{AtS: 11.3, DurationS: 1, IsolateLeader: true,
			Repeat: &scenario.Repeat{Count: 4, EveryS: 2}}}
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
			timeouts, checks := 0, 0
			for _, ev := range evs {
				switch {
				case ev.Kind == eventlog.Restart:
					phase[ev.Node] = -1
				case ev.Kind == eventlog.Timeout:
					timeouts++
					p := ev.TimeUS % hb
					if phase[ev.Node] < 0 {
						phase[ev.Node] = p
					} else if p != phase[ev.Node] {
						t.Fatalf("seed %d: node %d timed out at %d µs, phase %d µs; its earlier timeouts had phase %d µs (tick %d µs)", seed, ev.Node, ev.TimeUS, p, phase[ev.Node], hb)
					}
				case ev.Kind == eventlog.BecameFollower && ev.Value == int64(eventlog.FollowerCheckQuorum):
					checks++
					if p := ev.TimeUS % hb; p != phase[ev.Node] {
						t.Fatalf("seed %d: node %d stepped down (CheckQuorum) at %d µs, phase %d µs; its ticks have phase %d µs", seed, ev.Node, ev.TimeUS, p, phase[ev.Node])
					}
				}
			}
			if timeouts < 10 || checks < 2 {
				t.Fatalf("seed %d: %d timeouts, %d CheckQuorum step-downs; the test needs both", seed, timeouts, checks)
			}
		}
	})
}

// rowsOf lists "kind node@ms" (µs where not whole ms) of the rows of the
// given kinds with time in [fromUS, toUS).
func rowsOf(evs []eventlog.Event, fromUS, toUS int64, kinds ...eventlog.Kind) []string {
	var out []string
	for _, e := range evs {
		if e.TimeUS < fromUS || e.TimeUS >= toUS || !slices.Contains(kinds, e.Kind) {
			continue
		}
		out = append(out, fmt.Sprintf("%s %d@%v t%d p%d v%d", e.Kind, e.Node, float64(e.TimeUS)/1000, e.Term, e.Peer, e.Value))
	}
	return out
}

// TestStorageTrace: three nodes on constant 10 ms links whose fsync takes
// 5 ms; node i's timer is (100 + 50 i) ms. Worked by hand:
//
//	100 ms  node 0 times out, becomes candidate of term 1 and persists the
//	        term and its self-vote: its vote requests leave at 105 ms.
//	115 ms  nodes 1 and 2 get them, move to term 1 and grant: the new
//	        term and the vote are one fsync, so the grants leave at 120 ms.
//	130 ms  node 0 counts the first grant and leads (without storage:
//	        120 ms). A leader sends in parallel with its write: its
//	        appends (with the no-op entry of its term) leave at 130 ms,
//	140 ms  arrive, and the followers persist the entry before they
//	        acknowledge: at 145 ms.
func TestStorageTrace(t *testing.T) {
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		s := three(0.2)
		s.Storage = &scenario.Storage{Fsync: &dist.Spec{Dist: "constant", ValueMS: ptr(5.0)}}
		evs, _ := checkedRun(t, eng, s, simtest.Fixed(100, 150, 200), 1)
		got := rowsOf(evs, 0, 146_000, eventlog.VoteSent, eventlog.VoteGranted, eventlog.BecameLeader, eventlog.HeartbeatRespSent)
		want := []string{
			"vote_sent 0@105 t1 p1 v0", "vote_sent 0@105 t1 p2 v0",
			"vote_granted 1@120 t1 p0 v0", "vote_granted 2@120 t1 p0 v0",
			"became_leader 0@130 t1 p-1 v0",
			"heartbeat_resp_sent 1@145 t1 p0 v0", "heartbeat_resp_sent 2@145 t1 p0 v0",
		}
		if !slices.Equal(got, want) {
			t.Fatalf("rows:\n got %q\nwant %q", got, want)
		}
	})
}

// TestTimerJitterTrace: every timer fires 3 ms late (constant noise) on
// the same cluster without storage. Node 0's 100 ms timer fires at 103
// ms; its votes return at 123 ms, when it leads and sends its first
// heartbeats (appends) at once. Its heartbeat timer, set for 173 ms,
// fires at 176 ms, and the next, set 50 ms after that, at 229 ms.
func TestTimerJitterTrace(t *testing.T) {
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		s := three(0.25)
		s.NodesTimerJitter = &dist.Spec{Dist: "constant", ValueMS: ptr(3.0)}
		evs, _ := checkedRun(t, eng, s, simtest.Fixed(100, 150, 200), 1)
		got := rowsOf(evs, 0, 124_000, eventlog.Timeout, eventlog.BecameLeader)
		want := []string{"timeout 0@103 t0 p-1 v0", "became_leader 0@123 t1 p-1 v0"}
		if !slices.Equal(got, want) {
			t.Fatalf("rows:\n got %q\nwant %q", got, want)
		}
		var beats []string
		for _, r := range rowsOf(evs, 150_000, 250_000, eventlog.HeartbeatSent) {
			beats = append(beats, r[:strings.Index(r, " t")])
		}
		want = []string{"heartbeat_sent 0@176", "heartbeat_sent 0@176", "heartbeat_sent 0@229", "heartbeat_sent 0@229"}
		if !slices.Equal(beats, want) {
			t.Fatalf("heartbeats from 150 ms:\n got %q\nwant %q", beats, want)
		}
	})
}

// TestSleepTrace: the leader sleeps instead of dying. Node 0 leads from
// 120 ms; its heartbeats (every 50 ms from 120 ms) last reach the others
// at 280 ms. It falls asleep at 300 ms for 300 ms: no crash row, a sleep
// row (a pause to the node, a failure to the analysis) and a pause_end.
// Node 1's timer (150 ms after 280 ms) fires at 430 ms; node 2 grants at
// 440 ms (moving to term 2), so node 1 leads term 2 at 450 ms. Node 0's copy of the request
// waits in its inbox; at 600 ms it wakes, handles it first (term 2: it
// steps down) and grants, as it has not voted in term 2.
func TestSleepTrace(t *testing.T) {
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		s := three(0.7)
		s.Crashes = []scenario.Crash{{Node: scenario.LeaderTarget, AtS: 0.3, RestartAfterMS: ptr(300.0), Mode: scenario.CrashSleep}}
		evs, r := checkedRun(t, eng, s, simtest.Fixed(100, 150, 200), 1)
		// To the analysis the sleep is a failover: detected by node 1's
		// timeout 130 ms after it, over when node 1 leads, 150 ms after it.
		if len(r.Failovers) != 1 || r.Failovers[0].CrashUS != 300_000 || r.Failovers[0].DetectFirstUS != 130_000 || r.Failovers[0].OutOfServiceUS != 150_000 {
			t.Errorf("failovers %+v; want one from 300 ms, detected after 130 ms, 150 ms out of service", r.Failovers)
		}
		got := rowsOf(evs, 200_000, 700_000, eventlog.Crash, eventlog.Restart, eventlog.Sleep, eventlog.PauseStart, eventlog.PauseEnd,
			eventlog.Timeout, eventlog.BecameLeader, eventlog.BecameFollower)
		want := []string{
			"sleep 0@300 t1 p-1 v300000",
			"timeout 1@430 t1 p-1 v0",
			fmt.Sprintf("became_follower 2@440 t2 p-1 v%d", eventlog.FollowerHigherTerm),
			"became_leader 1@450 t2 p-1 v0",
			"pause_end 0@600 t1 p-1 v0",
			fmt.Sprintf("became_follower 0@600 t2 p-1 v%d", eventlog.FollowerHigherTerm),
		}
		if !slices.Equal(got, want) {
			t.Fatalf("rows:\n got %q\nwant %q", got, want)
		}
	})
}

// TestShortSleep: a leader that sleeps 100 ms (300 to 400 ms), before any
// follower's timer fires (the first at 280 + 150 = 430 ms), wakes still
// leading: no election, and to the analysis a failover of 100 ms without
// a detection.
func TestShortSleep(t *testing.T) {
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		s := three(0.7)
		s.Crashes = []scenario.Crash{{Node: scenario.LeaderTarget, AtS: 0.3, RestartAfterMS: ptr(100.0), Mode: scenario.CrashSleep}}
		evs, r := checkedRun(t, eng, s, simtest.Fixed(100, 150, 200), 1)
		if got := rowsOf(evs, 200_000, 700_000, eventlog.Timeout, eventlog.BecameLeader); len(got) != 0 {
			t.Errorf("rows %q; want no timeout and no election", got)
		}
		if len(r.Failovers) != 1 || r.Failovers[0].CrashUS != 300_000 || r.Failovers[0].Detected || !r.Failovers[0].Recovered || r.Failovers[0].OutOfServiceUS != 100_000 {
			t.Errorf("failovers %+v; want one from 300 ms, undetected, 100 ms out of service", r.Failovers)
		}
	})
}

// TestSleepDuringPause: node 0's pauses (constant: 250 ms gap, 200 ms
// long) put it in a pause from 250 to 450 ms; a sleep from 300 ms for
// 300 ms extends it to one stall until 600 ms (a sleep row at 300 ms, of
// 300 ms, and one pause_end); the pause's own end at 450 ms does not wake
// it. Its next pause starts one gap after the pause's end
// (700 ms).
func TestSleepDuringPause(t *testing.T) {
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		s := three(1)
		s.Pauses = []scenario.Pause{{Nodes: []int{0}, Gap: &dist.Spec{Dist: "constant", ValueMS: ptr(250.0)},
			Duration: &dist.Spec{Dist: "constant", ValueMS: ptr(200.0)}}}
		s.Crashes = []scenario.Crash{{Node: "0", AtS: 0.3, RestartAfterMS: ptr(300.0), Mode: scenario.CrashSleep}}
		evs, _ := checkedRun(t, eng, s, simtest.Fixed(100, 150, 200), 1)
		var got []string
		for _, r := range rowsOf(evs, 0, 1_000_000, eventlog.PauseStart, eventlog.Sleep, eventlog.PauseEnd) {
			got = append(got, r[:strings.Index(r, " t")]+r[strings.Index(r, " v"):])
		}
		want := []string{"pause_start 0@250 v200000", "sleep 0@300 v300000", "pause_end 0@600 v0",
			"pause_start 0@700 v200000", "pause_end 0@900 v0"}
		if !slices.Equal(got, want) {
			t.Fatalf("rows:\n got %q\nwant %q", got, want)
		}
	})
}

// TestStorageGroupCommit: a disk slower than the write rate. Followers'
// fsyncs take 120 ms, the leader's 0.1 ms; proposals every 1 ms give
// every heartbeat (every 50 ms) new entries. Node 0 (timer 300 ms) votes
// at 300.1 ms, the followers write the new term and their votes from
// 310.1 to 430.1 ms, and node 0 leads at 440.1 ms; its heartbeats reach
// the followers at 450.1, 500.1, 550.1, ... ms. Group commit: a heartbeat
// that arrives while an fsync runs waits for it and joins the next one;
// one that arrives while the next is already waiting joins that. At node
// 1: 450.1 finds the disk idle (acknowledged at 570.1: 120 ms); 500.1
// waits for the running fsync and the next (to 690.1: 190 ms); 550.1
// joins that one (140 ms); 600.1 comes while it runs (to 810.1: 210 ms);
// 650.1 joins (160); 700.1 runs into the next (to 930.1: 230); 750.1
// joins (180); 800.1 joins too, the next not having started (130): never
// more than two fsyncs after the receipt, and the backlog never grows.
func TestStorageGroupCommit(t *testing.T) {
	s := three(5)
	s.Raft.ProposalIntervalMS = 1
	slow := dist.Spec{Dist: "constant", ValueMS: ptr(120.0)}
	s.Storage = &scenario.Storage{Fsync: &dist.Spec{Dist: "constant", ValueMS: ptr(0.1)},
		Nodes: []scenario.NodeFsync{{Node: 1, Fsync: slow}, {Node: 2, Fsync: slow}}}
	evs := mustRun(t, fast.Engine{}, s, simtest.Fixed(300, 1000, 1000), 1)
	if _, err := check(s, "fast", evs); err != nil {
		t.Fatal(err)
	}
	var recv, sent []int64
	for _, e := range evs {
		if e.Node == 1 && e.Kind == eventlog.HeartbeatRecv {
			recv = append(recv, e.TimeUS)
		}
		if e.Node == 1 && e.Kind == eventlog.HeartbeatRespSent {
			sent = append(sent, e.TimeUS)
		}
	}
	if len(recv) < 90 || len(sent) < len(recv)-5 { // the last 240 ms wait at the end
		t.Fatalf("%d heartbeats received, %d acknowledged", len(recv), len(sent))
	}
	var waits []int64
	for i := range sent {
		waits = append(waits, (sent[i]-recv[i])/1000)
	}
	want := []int64{120, 190, 140, 210, 160, 230, 180, 130}
	if !slices.Equal(waits[:len(want)], want) {
		t.Fatalf("waits (ms) of the first acknowledgements %v; want %v", waits[:len(want)], want)
	}
	for i, w := range waits {
		if w > 240 {
			t.Fatalf("acknowledgement %d waited %d ms > two fsyncs", i, w)
		}
	}
}

// TestStorageSlowLeaderDisk: etcd's classic slow-disk symptom. The
// leader's loop waits for its disk before its next tick, so a leader whose
// fsyncs (120 ms) are longer than its heartbeat interval (50 ms) sends
// heartbeats only between them. Node 0 (timer 300 ms, fsync 120 ms; the
// others 0.1 ms) sends its votes at 420 ms and leads at 440.1 ms, sending
// its first heartbeats at once and writing its no-op entry (to 560.1 ms);
// the 1 ms proposals queue the next write (560.1 to 680.1 ms). Its
// heartbeat timer, due at 490.1 ms, fires when the running fsync ends at
// 560.1 ms; the next, due at 610.1 ms, at 680.1 ms; and so on: every
// 120 ms.
func TestStorageSlowLeaderDisk(t *testing.T) {
	s := three(2)
	s.Raft.ProposalIntervalMS = 1
	s.Storage = &scenario.Storage{Fsync: &dist.Spec{Dist: "constant", ValueMS: ptr(0.1)},
		Nodes: []scenario.NodeFsync{{Node: 0, Fsync: dist.Spec{Dist: "constant", ValueMS: ptr(120.0)}}}}
	evs := mustRun(t, fast.Engine{}, s, simtest.Fixed(300, 1000, 1000), 1)
	if _, err := check(s, "fast", evs); err != nil {
		t.Fatal(err)
	}
	var beats []string
	for _, r := range rowsOf(evs, 0, 1_000_000, eventlog.VoteSent, eventlog.BecameLeader, eventlog.HeartbeatSent) {
		if strings.Contains(r, " 0@") && !strings.Contains(r, "p2") {
			beats = append(beats, r[:strings.Index(r, " t")])
		}
	}
	want := []string{"vote_sent 0@420", "became_leader 0@440.1", "heartbeat_sent 0@440.1", "heartbeat_sent 0@560.1", "heartbeat_sent 0@680.1", "heartbeat_sent 0@800.1", "heartbeat_sent 0@920.1"}
	if !slices.Equal(beats, want) {
		t.Fatalf("node 0's rows (to node 1):\n got %q\nwant %q", beats, want)
	}
}

// TestStreamTrace: head-of-line blocking, worked by hand. Three nodes,
// every link 100 ms until 550 ms and 1 ms after (regimes), heartbeats on a
// stream. Node 0 (timer 250 ms) sends its votes at 250 ms, counts the
// first grant at 450 ms and leads. The fast model's leader sends
// heartbeats at once and every 50 ms: node 1 gets the one of 450 ms at
// 550 ms, of 500 ms at 600 ms (100 ms each); the one of 550 ms, sent after
// the switch, would take 1 ms but waits behind the one before it: 600 ms
// too (50 ms); the one of 600 ms arrives at 601 ms. With datagrams the
// heartbeat of 550 ms overtakes: 551 ms. The etcd engine's leader sends
// an append at 450 ms (class append, a datagram here: 550 ms) and
// heartbeats from its first tick at 500 ms; node 1's acknowledgement of
// the append (sent at 550 ms, 1 ms) moves the leader's commit index, so
// it sends another append at 551 ms, there at 552 ms.
func TestStreamTrace(t *testing.T) {
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		for _, tr := range []string{scenario.Stream, scenario.Datagram} {
			s := three(0.7)
			s.Network.Default.BaseDelayMS = ptr(100.0)
			s.Network.Regimes = []scenario.Regime{{AtS: 0, ID: 0}, {AtS: 0.55, ID: 1, Link: scenario.Link{BaseDelayMS: ptr(1.0)}}}
			s.Network.Transport = &scenario.Transport{Default: scenario.Datagram, Heartbeat: tr}
			evs, _ := checkedRun(t, eng, s, simtest.Fixed(250, 1000, 1000), 1)
			var got []string
			for _, r := range rowsOf(evs, 540_000, 610_000, eventlog.HeartbeatRecv) {
				if strings.HasPrefix(r, "heartbeat_recv 1@") {
					got = append(got, r[len("heartbeat_recv 1@"):strings.Index(r, " t")]+r[strings.Index(r, " v"):])
				}
			}
			want := map[string][]string{
				scenario.Stream:   {"550 v100000", "600 v100000", "600 v50000", "601 v1000"},
				scenario.Datagram: {"550 v100000", "551 v1000", "600 v100000", "601 v1000"},
			}[tr]
			if eng.Name() == "etcd" {
				want = map[string][]string{
					scenario.Stream:   {"550 v100000", "552 v1000", "600 v100000", "600 v50000", "601 v1000"},
					scenario.Datagram: {"550 v100000", "551 v1000", "552 v1000", "600 v100000", "601 v1000"},
				}[tr]
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: node 1's heartbeats from 540 to 610 ms (time, one-way delay):\n got %q\nwant %q", tr, got, want)
			}
		}
	})
}

// TestStreamDelayClosedForm: on both engines, heartbeats on a stream over
// a link that loses each segment with p = 0.3 (RTO 200 ms, base 10 ms)
// arrive base + rto (2^K - 1) after they were sent, K geometric: P(K =
// k) = p^k (1 - p). Heartbeats 5 s apart rarely wait behind one another
// (only after K >= 5), so each delay is classified by the range
// [base + rto (2^k - 1), base + rto (2^(k+1) - 1)) it falls in; chi-square
// over K = 0, 1, 2, 3, >= 4 (18.47 at p = 0.001).
func TestStreamDelayClosedForm(t *testing.T) {
	const p = 0.3
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		s := &scenario.Scenario{Name: "lossy_stream", Nodes: 2, DurationS: 1000,
			Raft: scenario.Raft{HeartbeatMS: 5000},
			Network: scenario.Network{Default: scenario.Link{BaseDelayMS: ptr(10.0), Loss: ptr(p)},
				Transport: &scenario.Transport{Default: scenario.Stream}}}
		counts := make([]int, 5)
		n := 0
		for seed := uint64(1); seed <= 10; seed++ {
			evs, _ := checkedRun(t, eng, s, simtest.Fixed(100, 60_000), seed)
			for _, e := range evs {
				if e.Kind != eventlog.HeartbeatRecv {
					continue
				}
				k := 0
				for k < 4 && e.Value >= 10_000+200_000*(int64(1)<<(k+1)-1) {
					k++
				}
				counts[k]++
				n++
			}
		}
		chi := 0.0
		for k, c := range counts {
			prob := math.Pow(p, float64(k)) * (1 - p)
			if k == 4 {
				prob = math.Pow(p, 4)
			}
			want := prob * float64(n)
			chi += (float64(c) - want) * (float64(c) - want) / want
		}
		if n < 1500 || chi > 18.47 {
			t.Errorf("%d heartbeats, retransmissions %v (K = 0..3, >= 4): chi-square %.1f > 18.47", n, counts, chi)
		}
	})
}

// TestLaggingFollowerTrace: three nodes, pre-vote on, node i's timer
// (100 + 50 i) ms. Node 0 leads from 140 ms (a pre-vote and a vote round);
// its heartbeats, every 50 ms, reach the others last at 300 ms, just
// after it proposed a last entry and crashed at 300 ms. The append of
// that entry to one follower, L (drawn per seed), is lost (a msg_lost row
// at 300 ms); the one to the other, U, arrives at 310 ms and resets U's
// timer. L is one entry behind and cannot win (Raft paper, section 5.4.1:
// a voter denies a candidate whose log is less up-to-date):
//
//	L = 1: node 1 fires at 300 + 150 = 450 ms; node 2 (U) denies its
//	       pre-vote at 460 ms. Node 2 fires at 310 + 200 = 510 ms
//	       (pre-votes reset nothing), node 1 grants its pre-vote at 520 ms
//	       and, at 540 ms, its vote (moving to term 2): node 2 leads term 2
//	       at 550 ms.
//	L = 2: node 1 (U) fires at 310 + 150 = 460 ms, node 2 grants the
//	       pre-vote at 470 ms and the vote at 490 ms: node 1 leads term 2
//	       at 500 ms.
func TestLaggingFollowerTrace(t *testing.T) {
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		seen := map[int]bool{}
		for seed := uint64(1); seed <= 12; seed++ {
			s := three(0.7)
			s.Raft.PreVote = true
			s.Crashes = []scenario.Crash{{Node: scenario.LeaderTarget, AtS: 0.3, LaggingFollowers: 1}}
			evs, _ := checkedRun(t, eng, s, simtest.Fixed(100, 150, 200), seed)
			lagging := -1
			var got []string
			for _, e := range evs {
				if e.TimeUS == 300_000 && e.Kind == eventlog.MsgLost && e.Node == 0 {
					lagging = int(e.Peer)
				}
			}
			for _, r := range rowsOf(evs, 290_000, 700_000, eventlog.Timeout, eventlog.BecameLeader, eventlog.PreVoteDenied) {
				got = append(got, r[:strings.Index(r, " p")])
			}
			want := map[int][]string{
				1: {"timeout 1@450 t1", "prevote_denied 2@460 t1", "timeout 2@510 t1", "became_leader 2@550 t2"},
				2: {"timeout 1@460 t1", "became_leader 1@500 t2"},
			}[lagging]
			if want == nil || !slices.Equal(got, want) {
				t.Fatalf("seed %d, lagging follower %d:\n got %q\nwant %q", seed, lagging, got, want)
			}
			seen[lagging] = true
		}
		if !seen[1] || !seen[2] {
			t.Errorf("lagging followers drawn over 12 seeds: %v; want both", seen)
		}
	})
}

// TestLaggingFollowersNeverWin: five nodes on jittered links, the leader
// crashed every 2 s with two lagging followers, random timers: a lagging
// follower still times out and campaigns, but never becomes the next
// leader (the up-to-date nodes are alive and deny it), on both engines.
func TestLaggingFollowersNeverWin(t *testing.T) {
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		s := lanFailovers(t, true, false, "")
		s.Crashes[0].LaggingFollowers = 2
		f := mustPolicy(t, "random")
		failovers, lagCampaigns := 0, 0
		for seed := uint64(1); seed <= 6; seed++ {
			evs := mustRun(t, eng, s, f, seed)
			if _, err := check(s, eng.Name(), evs); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			// The appends lost at the crash come just before its row.
			lagging, lost := map[int16]bool{}, map[int16]bool{}
			lostUS, crashUS := int64(-1), int64(-1)
			for _, e := range evs {
				switch {
				case e.Kind == eventlog.Crash:
					crashUS = e.TimeUS
					clear(lagging)
					if lostUS == e.TimeUS {
						maps.Copy(lagging, lost)
					}
				case e.Kind == eventlog.MsgLost:
					if e.TimeUS != lostUS {
						lostUS = e.TimeUS
						clear(lost)
					}
					lost[e.Peer] = true
				case e.Kind == eventlog.BecamePreCandidate && lagging[e.Node]:
					lagCampaigns++
				case e.Kind == eventlog.BecameLeader && crashUS >= 0:
					if lagging[e.Node] {
						t.Fatalf("seed %d: lagging follower %d won term %d at %d µs", seed, e.Node, e.Term, e.TimeUS)
					}
					if len(lagging) == 2 {
						failovers++
					}
					clear(lagging)
				}
			}
		}
		if failovers < 100 || lagCampaigns == 0 {
			t.Fatalf("%d failovers with two lagging followers, %d campaigns of lagging followers; the test needs both", failovers, lagCampaigns)
		}
	})
}

// TestTraceOnBothEngines: a measured trace sets the links' one-way delay
// over time, step-wise: 10 ms from 0, 40 ms from 300 ms. Node 0 leads
// from 120 ms and sends heartbeats every 50 ms; node 1 receives the one
// of 270 ms at 280 ms (10 ms), the one of 320 ms at 360 ms (40 ms), the
// one of 370 ms at 410 ms.
func TestTraceOnBothEngines(t *testing.T) {
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		s := three(0.5)
		s.Network.Default = scenario.Link{Trace: "wan.csv", Measured: &measured.Trace{Points: []measured.Point{
			{TUS: 0, DelayMS: 10, Loss: -1}, {TUS: 300_000, DelayMS: 40, Loss: -1}}}}
		evs, _ := checkedRun(t, eng, s, simtest.Fixed(100, 150, 200), 1)
		var got []string
		for _, r := range rowsOf(evs, 250_000, 420_000, eventlog.HeartbeatRecv) {
			if strings.HasPrefix(r, "heartbeat_recv 1@") {
				got = append(got, r[len("heartbeat_recv 1@"):strings.Index(r, " t")]+r[strings.Index(r, " v"):])
			}
		}
		want := []string{"280 v10000", "360 v40000", "410 v40000"}
		if !slices.Equal(got, want) {
			t.Fatalf("node 1's heartbeats from 250 to 420 ms:\n got %q\nwant %q", got, want)
		}
	})
}
