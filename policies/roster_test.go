package policies_test

import (
	"flag"
	"fmt"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/fast"
	"github.com/ballast-bench/ballast/sim/invariant"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// roster is every policy the issue names (plus the etcd-prototype `static`).
// The test fails if the registry and this list disagree, so a policy cannot
// be added without being run here.
var roster = []string{
	"random", "static", "etcd", "static_conservative", "backoff", "rtt_heuristic", "phi_accrual",
	"quantile_decay", "bandit_qdecay", "dynatune_et", "dynatune_joint", "dynatune",
	"bandit_safe", "bandit_ts_safe", "bandit_safe_ln", "oracle_hint", "oracle_best_per_regime",
	"neurosym", "hashicorp",
}

func factory(t testing.TB, name string, set ...string) policy.Factory {
	t.Helper()
	f, _, err := policies.Build(name, policies.WithTestWeights(name, set)...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// probe tees events to the invariant checker and records what the policy
// did: every deadline, decisions with an arm, safety rows, and a hash of
// the whole log.
type probe struct {
	chk               *invariant.Checker
	minDeadline       int64
	maxDeadline       int64
	resets, decisions int
	safetyIn, leaders int
	hbIntervals       int
	hash              uint64 // FNV-1a over every field of every event
	nodeSafe          []bool
	forcedBad         int // decisions in safe mode that were not the safe arm
	safeArm           int8
}

func newProbe(nodes int, safeArm int8) *probe {
	return &probe{chk: invariant.New(nodes), minDeadline: 1 << 62, hash: 14695981039346656037, nodeSafe: make([]bool, nodes), safeArm: safeArm}
}

func (p *probe) mix(v uint64) {
	for i := 0; i < 8; i++ {
		p.hash ^= v & 0xff
		p.hash *= 1099511628211
		v >>= 8
	}
}

func (p *probe) Emit(ev *eventlog.Event) {
	p.chk.Emit(ev)
	p.mix(uint64(ev.TimeUS))
	p.mix(uint64(ev.Node)<<16 | uint64(ev.Kind)<<8 | uint64(uint8(ev.Arm)))
	p.mix(ev.Term)
	p.mix(uint64(ev.Peer))
	p.mix(uint64(ev.Value))
	p.mix(ev.MsgID)
	switch ev.Kind {
	case eventlog.TimerReset:
		p.resets++
		p.minDeadline = min(p.minDeadline, ev.Value)
		p.maxDeadline = max(p.maxDeadline, ev.Value)
	case eventlog.PolicyDecision:
		p.decisions++
		if p.nodeSafe[ev.Node] && ev.Arm != p.safeArm {
			p.forcedBad++
		}
	case eventlog.SafetyEnter:
		p.safetyIn++
		p.nodeSafe[ev.Node] = true
	case eventlog.SafetyExit:
		p.nodeSafe[ev.Node] = false
	case eventlog.BecameLeader:
		p.leaders++
	case eventlog.HeartbeatInterval:
		p.hbIntervals++
	}
}

func withProtocol(s *scenario.Scenario, preVote, checkQuorum bool) *scenario.Scenario {
	c := *s
	c.Raft.PreVote, c.Raft.CheckQuorum = preVote, checkQuorum
	return &c
}

func TestRosterMatchesRegistry(t *testing.T) {
	names := policies.Names()
	if len(names) != len(roster) {
		t.Fatalf("registry has %v, roster %v", names, roster)
	}
	for _, n := range roster {
		if _, err := policies.Lookup(n); err != nil {
			t.Error(err)
		}
	}
}

// rosterFull runs TestEveryPolicyEveryScenario over every scenario's full
// length; by default scenarios are cut at rosterCapS of simulated time.
var rosterFull = flag.Bool("roster.full", false, "run every scenario to its end in TestEveryPolicyEveryScenario")

// rosterCapS keeps the default test affordable: the Dynatune reproduction
// scenarios simulate up to 5.5 hours (and 65 nodes); the first minute
// covers the first elections and, in the BALLAST scenarios, the whole run.
const rosterCapS = 60

// TestEveryPolicyEveryScenario runs each policy in each built-in scenario
// for several seeds as written, and once more with PreVote and CheckQuorum
// on (Dynatune's setting), and checks the independent invariants
// (Election Safety first of all), that every deadline is within the
// package bounds, and that a leader is elected. Scenarios are cut at
// rosterCapS unless -roster.full is given:
//
//	go test -run TestEveryPolicyEveryScenario -timeout 2h ./policies -args -roster.full
func TestEveryPolicyEveryScenario(t *testing.T) {
	all, err := scenario.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	type variant struct {
		name        string
		pre, quorum bool
		as          bool // as written
		seeds       []uint64
	}
	variants := []variant{{name: "as-written", as: true, seeds: []uint64{1, 2}}, {name: "prevote+checkquorum", pre: true, quorum: true, seeds: []uint64{4}}}
	if testing.Short() {
		variants = variants[:1]
		variants[0].seeds = variants[0].seeds[:1]
	}
	for _, name := range roster {
		f := factory(t, name)
		for _, base := range all {
			for _, v := range variants {
				s := base
				if !v.as {
					s = withProtocol(base, v.pre, v.quorum)
				}
				if !*rosterFull && s.DurationS > rosterCapS {
					c := *s
					c.DurationS = rosterCapS
					s = &c
				}
				for _, seed := range v.seeds {
					p := newProbe(s.Nodes, -1)
					_, err := fast.Engine{}.Run(&sim.Config{Scenario: s, Seed: seed, Policy: f, Sink: p, RunID: "roster"})
					where := fmt.Sprintf("%s in %s (%s) seed %d", name, s.Name, v.name, seed)
					if err != nil {
						t.Fatalf("%s: %v", where, err)
					}
					if err := p.chk.Err(); err != nil {
						t.Fatalf("%s: %v", where, err)
					}
					if p.minDeadline < policies.MinDeadlineUS || p.maxDeadline > policies.MaxDeadlineUS {
						t.Errorf("%s: deadlines in [%d, %d] µs", where, p.minDeadline, p.maxDeadline)
					}
					if p.leaders == 0 {
						t.Errorf("%s: no leader was ever elected", where)
					}
				}
			}
		}
	}
}

// TestRunsAreDeterministic: same policy, scenario and seed give the same
// event log; every policy draws only from its node's stream.
func TestRunsAreDeterministic(t *testing.T) {
	s, err := scenario.Load("wan_main")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range roster {
		var hashes [2]uint64
		for i := range hashes {
			p := newProbe(s.Nodes, -1)
			if _, err := (fast.Engine{}).Run(&sim.Config{Scenario: s, Seed: 7, Policy: factory(t, name), Sink: p}); err != nil {
				t.Fatal(err)
			}
			hashes[i] = p.hash
		}
		if hashes[0] != hashes[1] {
			t.Errorf("%s: two runs of seed 7 differ", name)
		}
	}
}

// TestForcedSafeDecisionsInEventLog: in the main scenario the bandits'
// safety wrapper engages, and every policy_decision a node logs between its
// safety_enter and safety_exit plays the safe arm (A3 of main3, index 2).
func TestForcedSafeDecisionsInEventLog(t *testing.T) {
	s, err := scenario.Load("wan_main")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bandit_safe", "bandit_ts_safe"} {
		entered := 0
		for seed := uint64(1); seed <= 5; seed++ {
			p := newProbe(s.Nodes, 2)
			if _, err := (fast.Engine{}).Run(&sim.Config{Scenario: s, Seed: seed, Policy: factory(t, name), Sink: p}); err != nil {
				t.Fatal(err)
			}
			if p.decisions != p.resets {
				t.Errorf("%s seed %d: %d policy_decision rows for %d timer resets; want one per reset", name, seed, p.decisions, p.resets)
			}
			if p.forcedBad > 0 {
				t.Errorf("%s seed %d: %d decisions in safe mode were not the safe arm", name, seed, p.forcedBad)
			}
			entered += p.safetyIn
		}
		if entered == 0 {
			t.Errorf("%s: the safety wrapper never engaged in 5 seeds of wan_main", name)
		}
	}
}

// TestDynatuneTunesHeartbeats: dynatune and dynatune_joint change the
// leader's heartbeat intervals in a run (heartbeat_interval rows), once
// enough samples arrived.
func TestDynatuneTunesHeartbeats(t *testing.T) {
	s, err := scenario.Load("wan_stable")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		set  []string
	}{{"dynatune", nil}, {"dynatune", []string{"defaults=readme"}}, {"dynatune", []string{"fix_k=10"}}, {"dynatune_joint", nil}} {
		p := newProbe(s.Nodes, -1)
		if _, err := (fast.Engine{}).Run(&sim.Config{Scenario: s, Seed: 3, Policy: factory(t, c.name, c.set...), Sink: p}); err != nil {
			t.Fatal(err)
		}
		if p.hbIntervals == 0 {
			t.Errorf("%s %v: no heartbeat_interval rows", c.name, c.set)
		}
	}
}
