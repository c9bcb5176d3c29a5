package sim_test

// The conformance suite: every test here runs on every engine, with the
// same scenarios, protocol variants, policies and checks, so the engines
// cannot drift apart in what they are tested for. Engine-specific rules
// (hand-derived traces, raft's own clock) are tested in each engine's
// package; tests comparing the engines with each other are in
// engines_test.go.

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/internal/testseed"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/dist"
	"github.com/ballast-bench/ballast/sim/etcdraft"
	"github.com/ballast-bench/ballast/sim/fast"
	"github.com/ballast-bench/ballast/sim/invariant"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/simtest"
)

// engines are the engines under test.
var engines = []sim.Engine{fast.Engine{}, etcdraft.Engine{}}

// forEngines runs f as a subtest per engine.
func forEngines(t *testing.T, f func(t *testing.T, eng sim.Engine)) {
	for _, eng := range engines {
		t.Run(eng.Name(), func(t *testing.T) { f(t, eng) })
	}
}

// raftVariants are the protocol options every scenario is also run with,
// both vote-lease modes included (the fast model keeps a fixed lease and
// ignores the mode).
var raftVariants = []struct {
	name                 string
	preVote, checkQuorum bool
	lease                string
	proposalIntervalMS   float64
}{
	{"plain", false, false, "", 0},
	{"prevote", true, false, "", 0},
	{"checkquorum", false, true, scenario.VoteLeaseFixed, 0},
	{"prevote+checkquorum+own_timer+proposals", true, true, scenario.VoteLeaseOwnTimer, 20},
	{"prevote+checkquorum+proposals", true, true, scenario.VoteLeaseFixed, 50},
}

// capS caps simulated time in the sweeps: long scenarios (Dynatune's 1000
// failures) repeat the same behaviour, and capping keeps the suite to
// seconds while every scenario still contributes.
const capS = 20

func withVariant(s *scenario.Scenario, i int) *scenario.Scenario {
	c := *s
	c.DurationS = min(c.DurationS, capS)
	v := raftVariants[i]
	c.Raft.PreVote, c.Raft.CheckQuorum, c.Raft.VoteLease, c.Raft.ProposalIntervalMS = v.preVote, v.checkQuorum, v.lease, v.proposalIntervalMS
	return &c
}

// sweepPolicies rotate over the scenario x variant grid so that every kind
// of policy hook runs on every engine: plain deadlines, the bandit with
// its safety mode, heartbeat observers, both heartbeat tuners.
var sweepPolicies = [][]string{
	{"random", "static"},
	{"bandit_safe", "dynatune"},
	{"backoff", "quantile_decay"},
	{"dynatune_joint", "random"},
}

func mustScenario(tb testing.TB, name string) *scenario.Scenario {
	tb.Helper()
	s, err := scenario.Load(name)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func mustPolicy(tb testing.TB, name string, set ...string) policy.Factory {
	tb.Helper()
	f, _, err := policies.Build(name, set...)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func ptr[T any](v T) *T { return &v }

// run runs eng and returns its events; a panic inside an engine (raft's
// own assertions) is an error, as in the harness.
func run(eng sim.Engine, s *scenario.Scenario, f policy.Factory, seed uint64) (evs []eventlog.Event, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	var m eventlog.Memory
	_, err = eng.Run(&sim.Config{Scenario: s, Seed: seed, Policy: f, Sink: &m, RunID: "test"})
	return m.Events, err
}

func mustRun(tb testing.TB, eng sim.Engine, s *scenario.Scenario, f policy.Factory, seed uint64) []eventlog.Event {
	tb.Helper()
	evs, err := run(eng, s, f, seed)
	if err != nil {
		tb.Fatalf("%s on %s, seed %d: %v", eng.Name(), s.Name, seed, err)
	}
	return evs
}

// check runs the independent checks on a run's rows: the invariants of
// package invariant, and the analysis, which rejects rows that break its
// expectations (attempt structure, heartbeats from a logged leadership,
// ...), so every analysis command works on every engine.
func check(s *scenario.Scenario, engine string, evs []eventlog.Event) (*metrics.Run, error) {
	chk := invariant.New(s.Nodes)
	for i := range evs {
		chk.Emit(&evs[i])
	}
	if err := chk.Err(); err != nil {
		return nil, err
	}
	d, err := metrics.NewDeriver(eventlog.RunInfo{RunID: "r", Engine: engine, Nodes: int64(s.Nodes),
		DurationUS: s.DurationUS(), HeartbeatUS: s.HeartbeatUS(), Events: int64(len(evs))}, metrics.Options{})
	if err != nil {
		return nil, err
	}
	for i := range evs {
		if err := d.Add(&evs[i]); err != nil {
			return nil, fmt.Errorf("the analysis rejects the events: %w", err)
		}
	}
	return d.Finish()
}

// TestInvariantsOverBuiltinScenarios runs every built-in scenario under
// every protocol variant, with policies rotating over the grid and seeds
// drawn from the master seed, on every engine, and checks every run
// independently (check). At least 300 runs per engine.
func TestInvariantsOverBuiltinScenarios(t *testing.T) {
	all, err := scenario.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if testing.Short() {
		all = all[:len(all)/4]
	}
	master := testseed.Master(t)
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		rng := rand.New(rand.NewPCG(master, 1))
		runs := 0
		for si, base := range all {
			for vi := range raftVariants {
				s := withVariant(base, vi)
				for _, pol := range sweepPolicies[(si+vi)%len(sweepPolicies)] {
					seed := rng.Uint64() >> 1
					evs, err := run(eng, s, mustPolicy(t, pol), seed)
					if err == nil {
						_, err = check(s, eng.Name(), evs)
					}
					if err != nil {
						t.Fatalf("scenario %s variant %s policy %s seed %d (master seed %d): %v", s.Name, raftVariants[vi].name, pol, seed, master, err)
					}
					runs++
				}
			}
		}
		if !testing.Short() && runs < 300 {
			t.Fatalf("only %d runs", runs)
		}
	})
}

// TestSameSeedSameEvents: a seed fixes the run, row for row, on every
// engine, in every protocol variant and with policies that draw, learn
// and tune; another seed gives another run.
func TestSameSeedSameEvents(t *testing.T) {
	cases := []struct {
		scenario string
		variant  int
		policy   string
	}{
		{"wan_main", 0, "random"},
		{"wan_main_prevote_n5", 4, "bandit_safe"},
		{"partition_recovery_n3", 3, "dynatune"},
		{"dynatune_rtt_sudden", 2, "dynatune_joint"},
		{"wan_main_n3_stress", 3, "bandit_safe"}, // processing pauses
	}
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		for _, c := range cases {
			s := withVariant(mustScenario(t, c.scenario), c.variant)
			f := mustPolicy(t, c.policy)
			for seed := uint64(1); seed <= 3; seed++ {
				if !slices.Equal(mustRun(t, eng, s, f, seed), mustRun(t, eng, s, f, seed)) {
					t.Fatalf("%s %s seed %d: two runs differ", c.scenario, c.policy, seed)
				}
			}
			if slices.Equal(mustRun(t, eng, s, f, 1), mustRun(t, eng, s, f, 2)) {
				t.Fatalf("%s: seeds 1 and 2 gave identical runs", c.scenario)
			}
		}
	})
}

// TestPolicyTimingLeavesEventsAlone: measuring the policy's calls (Table
// 5's Config.PolicyTiming, which reads the wall clock) does not change a
// run's rows, on either engine, and it sees one choose per timer reset and
// one update per finished election attempt.
func TestPolicyTimingLeavesEventsAlone(t *testing.T) {
	s := mustScenario(t, "wan_main_n3")
	f := mustPolicy(t, "bandit_safe")
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		want := mustRun(t, eng, s, f, 7)
		var m eventlog.Memory
		var choose, update int
		timing := func(node int, isUpdate bool, ns int64) {
			if node < 0 || node >= s.Nodes || ns < 0 {
				t.Fatalf("timing(%d, %v, %d): want a node of the run and ns >= 0", node, isUpdate, ns)
			}
			if isUpdate {
				update++
			} else {
				choose++
			}
		}
		if _, err := eng.Run(&sim.Config{Scenario: s, Seed: 7, Policy: f, Sink: &m, RunID: "test", PolicyTiming: timing}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Events, want) {
			t.Fatalf("%s seed 7: the run with its policy calls timed differs from the run without", s.Name)
		}
		resets, attempts := 0, 0
		for _, e := range want {
			switch e.Kind {
			case eventlog.TimerReset:
				resets++
			case eventlog.BecameLeader, eventlog.ElectionFailed:
				attempts++
			}
		}
		if choose != resets || update == 0 {
			t.Errorf("timed %d chooses and %d updates; want %d (the timer resets) and some (%d attempts ended in a leader or a timeout)", choose, update, resets, attempts)
		}
	})
}

// injected extracts the rows of the injected timeline. Which node a
// "crash the leader" event hits depends on the run, so crash and restart
// rows are compared by time only.
func injected(evs []eventlog.Event) []string {
	var out []string
	for _, e := range evs {
		switch e.Kind {
		case eventlog.RegimeSwitch, eventlog.BurstStart, eventlog.BurstEnd, eventlog.TurbulenceStart, eventlog.TurbulenceEnd:
			out = append(out, fmt.Sprintf("%d %s %d", e.TimeUS, e.Kind, e.Value))
		case eventlog.Crash, eventlog.Restart, eventlog.PartitionStart:
			if e.Node <= 0 || e.Kind != eventlog.PartitionStart {
				out = append(out, fmt.Sprintf("%d %s", e.TimeUS, e.Kind))
			}
		case eventlog.PauseStart, eventlog.PauseEnd:
			out = append(out, fmt.Sprintf("%d %s %d %d", e.TimeUS, e.Kind, e.Node, e.Value))
		}
	}
	return out
}

// TestTimelineIdenticalAcrossPolicies: for a fixed seed every policy, on
// every engine, faces the same injected events at the same times,
// processing pauses included.
func TestTimelineIdenticalAcrossPolicies(t *testing.T) {
	s := mustScenario(t, "wan_main")
	// A scenario whose faults do not depend on who leads: fixed nodes.
	// Node 3, which crashes, does not pause, so every pause has its rows.
	fixed := *s
	fixed.Partitions = []scenario.Partition{{AtS: 20, DurationS: 4, Isolate: []int{1, 2}}}
	fixed.Crashes = []scenario.Crash{{Node: "3", AtS: 10, Phase: "heartbeat", RestartAfterMS: ptr(3000.0)}}
	fixed.Pauses = []scenario.Pause{{Nodes: []int{0, 1, 2, 4},
		Gap:      &dist.Spec{Dist: "exponential", MeanMS: ptr(2000.0)},
		Duration: &dist.Spec{Dist: "uniform", MinMS: ptr(10.0), MaxMS: ptr(100.0)}}}
	for seed := uint64(1); seed <= 5; seed++ {
		tl := scenario.NewTimeline(&fixed, seed)
		if len(tl.Pauses) < 40 {
			t.Fatalf("seed %d: only %d pauses", seed, len(tl.Pauses))
		}
		want := injected(mustRun(t, engines[0], &fixed, mustPolicy(t, "random"), seed))
		if len(want) < len(tl.Events)-1 {
			t.Fatalf("seed %d: %d injected rows for %d timeline events", seed, len(want), len(tl.Events))
		}
		for _, eng := range engines {
			for _, p := range []struct {
				name string
				set  []string
			}{{"static", nil}, {"random", []string{"min_ms=40", "max_ms=60"}}, {"bandit_safe", nil}} {
				if got := injected(mustRun(t, eng, &fixed, mustPolicy(t, p.name, p.set...), seed)); !slices.Equal(got, want) {
					t.Fatalf("seed %d: %s with %s %v: injected rows differ from the fast model's with random:\n%v\n%v", seed, eng.Name(), p.name, p.set, got, want)
				}
			}
		}
		// And the timeline itself depends on the seed alone.
		if !slices.Equal(tl.Events, scenario.NewTimeline(&fixed, seed).Events) {
			t.Fatalf("seed %d: timeline not reproducible", seed)
		}
	}
}

// three is the hand-checkable cluster of the hook tests: 3 nodes on
// constant 10 ms links, 50 ms heartbeats, a 150 ms lease.
func three(durationS float64) *scenario.Scenario {
	return &scenario.Scenario{Name: "three", Nodes: 3, DurationS: durationS,
		Raft:    scenario.Raft{HeartbeatMS: 50, LeaseMS: ptr(150.0)},
		Network: scenario.Network{Default: scenario.Link{BaseDelayMS: ptr(10.0)}}}
}

// TestHeartbeatTunerHooks: the Host serves a heartbeat-tuning policy the
// same way on every engine. Node 0 (300 ms) wins term 1; the followers'
// replies set their intervals to 20 ms (one heartbeat_interval row per
// follower), after which the leader sends every 20 ms; followers see the
// leader's piggyback, sequence numbers, and the 20 ms round trip the
// leader measured.
func TestHeartbeatTunerHooks(t *testing.T) {
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		var seen []simtest.SeenHeartbeat
		evs := mustRun(t, eng, three(1), simtest.TunerFactory(&seen), 1)
		if _, err := check(three(1), eng.Name(), evs); err != nil {
			t.Fatal(err)
		}
		var intervals, decisions int
		sentAt := map[int16][]int64{}
		for _, e := range evs {
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
		for peer, ts := range sentAt {
			if last := ts[len(ts)-1] - ts[len(ts)-2]; last != 20_000 {
				t.Errorf("follower %d: last heartbeat gap %d µs, want 20000", peer, last)
			}
		}
		if len(seen) == 0 {
			t.Fatal("no heartbeat observed by follower policies")
		}
		for _, s := range seen {
			if s.HB.Value != int64(1000+s.Node) || s.HB.Leader != 0 || s.HB.Term != 1 {
				t.Errorf("node %d got %+v, want value %d from leader 0 in term 1", s.Node, s.HB, 1000+s.Node)
			}
			if s.HB.Seq == 0 || s.HB.NowUS-s.HB.SentUS != 10_000 {
				t.Errorf("bad heartbeat %+v", s.HB)
			}
		}
		if rtt := seen[len(seen)-1].HB.LeaderRTTUS; rtt != 20_000 {
			t.Errorf("leader RTT piggybacked %d, want 20000", rtt)
		}
	})
}

// TestSafetyModeIsLogged: with every node cut off from every other, all
// elections time out. Node i campaigns every (300 + 100 i) ms, so its first
// attempt fails when its second starts, at 2 (300 + 100 i) ms; the policy
// enters safe mode then, and the engine logs one safety_enter row per node
// at that time, on every engine.
func TestSafetyModeIsLogged(t *testing.T) {
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		s := three(2)
		s.Partitions = []scenario.Partition{{AtS: 0, DurationS: 10, Groups: [][]int{{0}, {1}, {2}}}}
		var seen []simtest.SeenHeartbeat
		evs := mustRun(t, eng, s, simtest.TunerFactory(&seen), 1)
		firstFail := map[int16]int64{}
		enters := map[int16]int64{}
		for _, e := range evs {
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
			if want := int64(2*(300+100*int(n))) * 1000; at != firstFail[n] || at != want {
				t.Errorf("node %d entered safe mode at %d, first failure at %d, want %d", n, at, firstFail[n], want)
			}
		}
	})
}

// heavyPauses is a pause process far heavier than any scenario's: every
// node stalls every ~0.4 s for a lognormal time around 60 ms, sometimes
// seconds, so pauses meet crashes, restarts, partitions, elections and
// each other's ends often.
func heavyPauses() []scenario.Pause {
	return []scenario.Pause{{
		Gap:      &dist.Spec{Dist: "exponential", MeanMS: ptr(400.0)},
		Duration: &dist.Spec{Dist: "lognormal", MedianMS: ptr(60.0), Sigma: ptr(1.2)},
	}}
}

// TestPauseInvariantsOverRandomSeeds runs scenarios with crashes,
// restarts, partitions and workloads under heavy processing pauses, in
// every protocol variant, on every engine, and checks every run (the
// invariants include: a paused node handles nothing and fires no timer
// until its pause_end).
func TestPauseInvariantsOverRandomSeeds(t *testing.T) {
	master := testseed.Master(t)
	names := []string{"wan_main", "partition_recovery", "cold_start", "dynatune_stable", "multi_az_n3"}
	if testing.Short() {
		names = names[:2]
	}
	forEngines(t, func(t *testing.T, eng sim.Engine) {
		rng := rand.New(rand.NewPCG(master, 2))
		runs, pauses, ended := 0, 0, 0
		for _, name := range names {
			base := *mustScenario(t, name)
			base.Pauses = heavyPauses()
			for vi := range raftVariants {
				s := withVariant(&base, vi)
				for _, pol := range []string{"random", "bandit_safe", "dynatune"} {
					seed := rng.Uint64() >> 1
					evs, err := run(eng, s, mustPolicy(t, pol), seed)
					if err == nil {
						_, err = check(s, eng.Name(), evs)
					}
					if err != nil {
						t.Fatalf("%s variant %s policy %s seed %d (master seed %d): %v", name, raftVariants[vi].name, pol, seed, master, err)
					}
					for _, e := range evs {
						switch e.Kind {
						case eventlog.PauseStart:
							pauses++
						case eventlog.PauseEnd:
							ended++
						}
					}
					runs++
				}
			}
		}
		if pauses < 100*runs || ended < pauses*9/10 {
			t.Errorf("%d runs: %d pauses, %d ended", runs, pauses, ended)
		}
	})
}
