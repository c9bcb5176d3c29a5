package sim_test

// Tests that compare the engines with each other: where they must agree
// (the same network and faults, the same statistics where both model a
// setting) and where they differ by design.

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/etcdraft"
	"github.com/ballast-bench/ballast/sim/fast"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// derived runs s on eng and returns the analysis of its rows.
func derived(t *testing.T, eng sim.Engine, s *scenario.Scenario, f policy.Factory, seed uint64) *metrics.Run {
	t.Helper()
	r, err := check(s, eng.Name(), mustRun(t, eng, s, f, seed))
	if err != nil {
		t.Fatalf("%s on %s seed %d: %v", eng.Name(), s.Name, seed, err)
	}
	return r
}

// lanFailovers is the lan scenario (5 nodes, 0.2 ms + exp(0.3 ms) links,
// no loss) with the leader crashed every 2 s and restarted 1 s later: about
// 29 failovers per 60 s run.
func lanFailovers(t *testing.T, preVote, checkQuorum bool, lease string) *scenario.Scenario {
	t.Helper()
	s := *mustScenario(t, "lan")
	s.DurationS = 60
	s.Raft.PreVote, s.Raft.CheckQuorum, s.Raft.VoteLease = preVote, checkQuorum, lease
	s.Crashes = []scenario.Crash{{Node: "leader", AtS: 2, Phase: "heartbeat", RestartAfterMS: ptr(1000.0),
		Repeat: &scenario.Repeat{Count: 100, EveryS: 2}}}
	return &s
}

// electStats runs seeds 1..n of s on eng with the random policy and
// returns, from the analysis' failover rows, the time to elect (crash to
// new leader, ms), the election phase (first timeout to new leader, ms),
// and the number of election attempts.
func electStats(t *testing.T, eng sim.Engine, s *scenario.Scenario, n int) (ots, election []float64, attempts int64) {
	t.Helper()
	f := mustPolicy(t, "random")
	for seed := uint64(1); seed <= uint64(n); seed++ {
		r := derived(t, eng, s, f, seed)
		for _, fo := range r.Failovers {
			if fo.Recovered && fo.Detected {
				ots = append(ots, float64(fo.OutOfServiceUS)/1000)
				election = append(election, float64(fo.ElectionUS)/1000)
			}
		}
		attempts += r.Row.Attempts
	}
	slices.Sort(ots)
	slices.Sort(election)
	return ots, election, attempts
}

// ks is the two-sample Kolmogorov-Smirnov distance of sorted samples.
func ks(a, b []float64) float64 {
	var i, j int
	d := 0.0
	for i < len(a) && j < len(b) {
		x := min(a[i], b[j])
		for i < len(a) && a[i] <= x {
			i++
		}
		for j < len(b) && b[j] <= x {
			j++
		}
		d = max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d
}

func median(xs []float64) float64 { return xs[len(xs)/2] }

// TestEnginesAgreeOnLAN: on a LAN the two engines' time-to-elect
// distributions agree. Why they should: with link delays under a
// millisecond against deadlines of 150-300 ms, time to elect is the
// smallest follower deadline left after the crash plus one or two round
// trips, and that is the same Raft in both engines; the engines differ
// only in sub-millisecond details (the etcd leader's first contact is its
// MsgApp, and it sends one more to carry the commit index) and in the
// order of policy draws (the fast model asks its policy twice on some
// transitions), which reshuffles the samples but not their distribution.
//
// Tolerance: the two-sample Kolmogorov-Smirnov distance must stay under
// its critical value at alpha = 0.001, c(alpha) sqrt((n+m)/(n m)) with
// c = 1.949 (about 0.11 for the ~580 failovers per engine here), i.e. the
// samples must look like draws from one distribution; and the medians must
// agree within 5 ms (3 % of the smallest deadline), a difference that would
// matter in a table. The seeds are fixed, so the test is deterministic.
func TestEnginesAgreeOnLAN(t *testing.T) {
	const seeds = 20
	cases := []struct {
		name                 string
		preVote, checkQuorum bool
	}{
		{"plain", false, false},
		{"prevote", true, false},
		{"prevote+checkquorum", true, true},
	}
	for _, c := range cases {
		s := lanFailovers(t, c.preVote, c.checkQuorum, scenario.VoteLeaseFixed)
		fa, _, _ := electStats(t, fast.Engine{}, s, seeds)
		et, _, _ := electStats(t, etcdraft.Engine{}, s, seeds)
		n, m := float64(len(fa)), float64(len(et))
		crit := 1.949 * math.Sqrt((n+m)/(n*m))
		d := ks(fa, et)
		t.Logf("%s: fast n=%d median %.1f ms, etcd n=%d median %.1f ms, KS %.3f (critical %.3f)", c.name, len(fa), median(fa), len(et), median(et), d, crit)
		if len(fa) < 500 || len(et) < 500 {
			t.Fatalf("%s: only %d and %d failovers", c.name, len(fa), len(et))
		}
		if d > crit {
			t.Errorf("%s: time-to-elect distributions differ: KS distance %.3f > %.3f", c.name, d, crit)
		}
		if diff := math.Abs(median(fa) - median(et)); diff > 5 {
			t.Errorf("%s: medians differ by %.1f ms (fast %.1f, etcd %.1f)", c.name, diff, median(fa), median(et))
		}
	}
}

// TestDirectionsByDesign pins the directions in which results differ by
// design, on the same LAN failovers.
//
// Vote lease: with vote_lease own_timer a voter grants only after its own
// timer fired, so a candidate whose timer fires first is ignored until a
// quorum of the others have timed out too: elections take longer and need
// more campaigns than with etcd's fixed lease, which the fast model also
// uses. With PreVote and CheckQuorum the etcd engine measured a median of
// 222 ms against 152 ms, and three times the attempts.
//
// PreVote: a pre-vote round precedes the vote, so the election phase (first
// timeout to leader) takes one more round trip, on both engines.
//
// Workload: the fast model's proposals send no message (followers learn
// the leader's log from heartbeats), while etcd replicates each entry with
// MsgApp, and every AppendEntries resets a follower's election timer. On a
// jittery WAN with an aggressive timeout, the workload therefore removes
// spurious timeouts on the etcd engine only.
func TestDirectionsByDesign(t *testing.T) {
	const seeds = 10
	fixedS := lanFailovers(t, true, true, scenario.VoteLeaseFixed)
	ownS := lanFailovers(t, true, true, scenario.VoteLeaseOwnTimer)
	fastOTS, _, fastAtt := electStats(t, fast.Engine{}, fixedS, seeds)
	fixOTS, _, fixAtt := electStats(t, etcdraft.Engine{}, fixedS, seeds)
	ownOTS, _, ownAtt := electStats(t, etcdraft.Engine{}, ownS, seeds)
	t.Logf("time to elect, median: fast %.1f ms, etcd fixed %.1f ms, etcd own_timer %.1f ms; attempts %d, %d, %d",
		median(fastOTS), median(fixOTS), median(ownOTS), fastAtt, fixAtt, ownAtt)
	for _, base := range []struct {
		name string
		ots  []float64
		att  int64
	}{{"fast", fastOTS, fastAtt}, {"etcd fixed", fixOTS, fixAtt}} {
		if median(ownOTS) < median(base.ots)+30 {
			t.Errorf("own_timer lease: median time to elect %.1f ms, want at least 30 ms above %s's %.1f ms", median(ownOTS), base.name, median(base.ots))
		}
		if float64(ownAtt) < 2*float64(base.att) {
			t.Errorf("own_timer lease: %d attempts, want at least twice %s's %d", ownAtt, base.name, base.att)
		}
	}

	for _, eng := range []sim.Engine{fast.Engine{}, etcdraft.Engine{}} {
		_, plain, _ := electStats(t, eng, lanFailovers(t, false, false, ""), seeds)
		_, pre, _ := electStats(t, eng, lanFailovers(t, true, false, ""), seeds)
		// One LAN round trip is about 1 ms (2 x (0.2 + 0.3 mean) ms).
		t.Logf("%s: election phase median %.2f ms plain, %.2f ms with PreVote", eng.Name(), median(plain), median(pre))
		if gap := median(pre) - median(plain); gap < 0.5 || gap > 2 {
			t.Errorf("%s: PreVote lengthens the election phase by %.2f ms, want about one round trip (0.5-2 ms)", eng.Name(), gap)
		}
	}
}

// steadyAttempts counts election attempts (each starts with a timeout)
// over seeds 1..10 of a steady jittery WAN (wan_main's links without its
// faults, bursts and regimes; PreVote on) with an aggressive 100-200 ms
// timeout, where all but the first election are spurious: the leader is
// alive and a heartbeat was late.
func steadyAttempts(t *testing.T, eng sim.Engine, proposalMS float64) int {
	s := *mustScenario(t, "wan_main")
	s.Crashes, s.Partitions, s.Network.Bursts, s.Network.Regimes, s.Processing = nil, nil, nil, nil, nil
	s.Raft.PreVote, s.Raft.ProposalIntervalMS = true, proposalMS
	f := mustPolicy(t, "random", "min_ms=100", "max_ms=200")
	n := 0
	for seed := uint64(1); seed <= 10; seed++ {
		r := derived(t, eng, &s, f, seed)
		n += int(r.Row.Attempts + r.Row.OpenAttempts)
	}
	return n
}

func TestWorkloadResetsTimersOnEtcdOnly(t *testing.T) {
	fastIdle, etcdIdle := steadyAttempts(t, fast.Engine{}, 0), steadyAttempts(t, etcdraft.Engine{}, 0)
	fastLoad, etcdLoad := steadyAttempts(t, fast.Engine{}, 100), steadyAttempts(t, etcdraft.Engine{}, 100)
	t.Logf("election attempts, no workload: fast %d, etcd %d; one proposal per 100 ms: fast %d, etcd %d", fastIdle, etcdIdle, fastLoad, etcdLoad)
	// Without a workload both engines see heartbeats only: within 25 %.
	if r := float64(etcdIdle) / float64(fastIdle); r < 0.75 || r > 1.25 {
		t.Errorf("without a workload etcd/fast attempts = %.2f, want 0.75-1.25", r)
	}
	// The workload barely matters in the fast model (no messages; only
	// the log summaries heartbeats carry change)...
	if r := float64(fastLoad) / float64(fastIdle); r < 0.9 || r > 1.1 {
		t.Errorf("fast model: %d attempts with the workload, %d without; want within 10 %%", fastLoad, fastIdle)
	}
	// ...and removes at least a third of them on etcd.
	if float64(etcdLoad) > 0.67*float64(etcdIdle) {
		t.Errorf("etcd: %d attempts with the workload, %d without; want at most two thirds", etcdLoad, etcdIdle)
	}
}

// TestPausesSameOnBothEngines: for a seed both engines, and every policy,
// pause the same nodes at the same times for the same lengths (the pauses
// come from the timeline), here on the single-host stress scenario without
// its leader crashes (which hit whichever node leads, and a crashed node
// is not paused).
func TestPausesSameOnBothEngines(t *testing.T) {
	s := *mustScenario(t, "wan_main_n3_stress")
	s.Crashes = nil
	pauseRows := func(evs []eventlog.Event) []string {
		var out []string
		for _, e := range evs {
			if e.Kind == eventlog.PauseStart || e.Kind == eventlog.PauseEnd {
				out = append(out, fmt.Sprintf("%d %d %s %d", e.TimeUS, e.Node, e.Kind, e.Value))
			}
		}
		return out
	}
	for seed := uint64(1); seed <= 3; seed++ {
		want := pauseRows(mustRun(t, etcdraft.Engine{}, &s, mustPolicy(t, "random"), seed))
		if len(want) < 2*3*20 {
			t.Fatalf("seed %d: only %d pause rows", seed, len(want))
		}
		for _, c := range []struct {
			eng    sim.Engine
			policy string
		}{{etcdraft.Engine{}, "bandit_safe"}, {fast.Engine{}, "random"}, {fast.Engine{}, "dynatune"}} {
			if got := pauseRows(mustRun(t, c.eng, &s, mustPolicy(t, c.policy), seed)); !slices.Equal(got, want) {
				t.Errorf("seed %d: %s engine with %s paused otherwise than etcd with random", seed, c.eng.Name(), c.policy)
			}
		}
	}
}
