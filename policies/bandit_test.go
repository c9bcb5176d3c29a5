package policies

import (
	"github.com/ballast-bench/ballast/policies/policy"
	"math"
	"math/rand/v2"
	"testing"
)

// mustPolicy builds one node's policy from the registry.
func mustPolicy(t testing.TB, name string, seed uint64, set ...string) policy.Policy {
	t.Helper()
	f, _, err := Build(name, WithTestWeights(name, set)...)
	if err != nil {
		t.Fatal(err)
	}
	return f(0, rand.New(rand.NewPCG(seed, 1)))
}

// step is one event the engine would deliver to a node's policy.
type step struct {
	role    policy.Role // deadline reset in this role; 0 with done set
	fails   int         // the engine's ConsecutiveFailures at that reset
	done    policy.Outcome
	safe    bool // InSafeMode() after the step
	cool    int  // cooldown left after the step
	restart bool
}

// dl and ed build steps: a deadline reset, an election outcome.
func dl(role policy.Role, fails int, safe bool, cool int) step {
	return step{role: role, fails: fails, safe: safe, cool: cool}
}
func ed(o policy.Outcome, safe bool, cool int) step { return step{done: o, safe: safe, cool: cool} }

// TestSafetyWrapperStateMachine drives the wrapper through the sequences
// of section 4.5: enter when a candidate times out and the consecutive
// failures reach F; force the safe arm at every reset during cooldown;
// cooldown drops by one per election the node wins, and persists
// otherwise.
func TestSafetyWrapperStateMachine(t *testing.T) {
	const safeArm = 2 // A3 of main3
	cases := []struct {
		name  string
		set   []string
		steps []step
	}{
		{"enter after F=3 timeouts, leave after 2 wins", nil, []step{
			dl(policy.Follower, 0, false, 0),
			dl(policy.Candidate, 0, false, 0), ed(policy.TimedOut, false, 0), // failure 1
			dl(policy.Candidate, 1, false, 0), ed(policy.TimedOut, false, 0), // failure 2
			dl(policy.Candidate, 2, false, 0), ed(policy.TimedOut, true, 2), // failure 3 = F: enter
			dl(policy.Candidate, 3, true, 2), ed(policy.Won, true, 1), // first win
			dl(policy.Follower, 0, true, 1),                            // still forced
			dl(policy.Candidate, 0, true, 1), ed(policy.Won, false, 0), // second win: exit
			dl(policy.Follower, 0, false, 0),
		}},
		{"stepping down is not a success: cooldown persists", nil, []step{
			dl(policy.Candidate, 0, false, 0), ed(policy.TimedOut, false, 0),
			dl(policy.Candidate, 1, false, 0), ed(policy.TimedOut, false, 0),
			dl(policy.Candidate, 2, false, 0), ed(policy.TimedOut, true, 2),
			dl(policy.Candidate, 3, true, 2), ed(policy.SteppedDown, true, 2),
			dl(policy.Follower, 0, true, 2), dl(policy.Follower, 0, true, 2),
			dl(policy.Candidate, 0, true, 2), ed(policy.SteppedDown, true, 2),
		}},
		{"re-entry during cooldown resets it", nil, []step{
			dl(policy.Candidate, 0, false, 0), ed(policy.TimedOut, false, 0),
			dl(policy.Candidate, 1, false, 0), ed(policy.TimedOut, false, 0),
			dl(policy.Candidate, 2, false, 0), ed(policy.TimedOut, true, 2),
			dl(policy.Candidate, 3, true, 2), ed(policy.Won, true, 1),
			dl(policy.Candidate, 0, true, 1), ed(policy.TimedOut, true, 1), // 1 failure < F
			dl(policy.Candidate, 1, true, 1), ed(policy.TimedOut, true, 1),
			dl(policy.Candidate, 2, true, 1), ed(policy.TimedOut, true, 2), // F again: back to 2
		}},
		{"a new leader resets the failure count", nil, []step{
			dl(policy.Candidate, 0, false, 0), ed(policy.TimedOut, false, 0),
			dl(policy.Candidate, 1, false, 0), ed(policy.TimedOut, false, 0),
			dl(policy.Candidate, 2, false, 0), ed(policy.SteppedDown, false, 0),
			dl(policy.Follower, 0, false, 0),                                 // the engine heard a new leader: count 0
			dl(policy.Candidate, 0, false, 0), ed(policy.TimedOut, false, 0), // 1 failure, not 3
		}},
		{"F=2, cooldown_elections=1", []string{"safe_f=2", "cooldown_elections=1"}, []step{
			dl(policy.Candidate, 0, false, 0), ed(policy.TimedOut, false, 0),
			dl(policy.Candidate, 1, false, 0), ed(policy.TimedOut, true, 1),
			dl(policy.Candidate, 2, true, 1), ed(policy.Won, false, 0),
		}},
		{"safety=off never forces", []string{"safety=off"}, []step{
			dl(policy.Candidate, 0, false, 0), ed(policy.TimedOut, false, 0),
			dl(policy.Candidate, 1, false, 0), ed(policy.TimedOut, false, 0),
			dl(policy.Candidate, 2, false, 0), ed(policy.TimedOut, false, 0),
			dl(policy.Candidate, 3, false, 0), ed(policy.TimedOut, false, 0),
		}},
		{"restart keeps the wrapper by default", nil, []step{
			dl(policy.Candidate, 0, false, 0), ed(policy.TimedOut, false, 0),
			dl(policy.Candidate, 1, false, 0), ed(policy.TimedOut, false, 0),
			dl(policy.Candidate, 2, false, 0), ed(policy.TimedOut, true, 2),
			{restart: true, safe: true, cool: 2},
			dl(policy.Follower, 3, true, 2),
		}},
		{"reset_on_restart clears it", []string{"reset_on_restart=on"}, []step{
			dl(policy.Candidate, 0, false, 0), ed(policy.TimedOut, false, 0),
			dl(policy.Candidate, 1, false, 0), ed(policy.TimedOut, false, 0),
			dl(policy.Candidate, 2, false, 0), ed(policy.TimedOut, true, 2),
			{restart: true, safe: false, cool: 0},
			dl(policy.Follower, 3, false, 0),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, name := range []string{"bandit_safe", "bandit_ts_safe"} {
				b := mustPolicy(t, name, 1, c.set...).(*bandit)
				now := int64(0)
				for i, s := range c.steps {
					now += 100_000
					switch {
					case s.restart:
						b.Restarted()
					case s.done != 0:
						b.ElectionDone(policy.ElectionResult{NowUS: now, Outcome: s.done, LatencyUS: 100_000})
					default:
						d := b.Deadline(&policy.Observation{NowUS: now, Role: s.role, ConsecutiveFailures: s.fails,
							SinceHeartbeatUS: -1, HeartbeatUS: 50_000, InterArrivalMeanUS: 50_000, InterArrivalStdUS: 3_000})
						if s.safe && d.Arm != safeArm {
							t.Fatalf("%s step %d: in safe mode it played arm %d, want the safe arm %d", name, i, d.Arm, safeArm)
						}
						if s.safe && (d.DeadlineUS < 600_000 || d.DeadlineUS >= 1_200_000) {
							t.Fatalf("%s step %d: safe deadline %d µs outside A3", name, i, d.DeadlineUS)
						}
					}
					if b.InSafeMode() != s.safe || b.cooldown != s.cool {
						t.Fatalf("%s step %d (%+v): safe=%v cooldown=%d, want safe=%v cooldown=%d",
							name, i, s, b.InSafeMode(), b.cooldown, s.safe, s.cool)
					}
				}
			}
		})
	}
}

// TestBanditLearnsOnlyFromCandidateElections: follower resets never
// update the model; an attempt's outcome updates the arm whose deadline
// fired and started it, with that decision's context, by the shaped reward.
func TestBanditLearnsOnlyFromCandidateElections(t *testing.T) {
	b := mustPolicy(t, "bandit_safe", 3).(*bandit)
	obs := policy.Observation{Role: policy.Follower, SinceHeartbeatUS: 0, HeartbeatUS: 50_000,
		InterArrivalCount: 20, InterArrivalMeanUS: 52_000, InterArrivalStdUS: 4_000}
	for i := 0; i < 500; i++ {
		obs.NowUS = int64(i) * 50_000
		b.Deadline(&obs)
	}
	for a := 0; a < b.lin.k; a++ {
		for _, v := range b.lin.b[a][:b.lin.d] {
			if v != 0 {
				t.Fatalf("follower resets updated arm %d: b = %v", a, b.lin.b[a][:b.lin.d])
			}
		}
	}
	fired := b.last // the follower decision whose deadline fires now
	obs.NowUS += 300_000
	obs.Role, obs.SinceHeartbeatUS = policy.Candidate, 300_000
	b.Deadline(&obs)
	b.ElectionDone(policy.ElectionResult{NowUS: obs.NowUS + 400_000, Outcome: policy.Won, LatencyUS: 400_000})
	// First update: decay (of zeros), then b = r x with r = 1 - 0.002*400.
	r := 1 - 0.002*400
	for i := 0; i < b.lin.d; i++ {
		if got, want := b.lin.b[fired.arm][i], r*fired.x[i]; math.Abs(got-want) > 1e-12 {
			t.Fatalf("b[%d][%d] = %v, want r*x = %v", fired.arm, i, got, want)
		}
	}
	if fired.x != ([MaxFeatures]float64{1, 52, 4, 0, 0}) {
		t.Errorf("context %v, want [1 52 4 0 0] (raw ms, bias first)", fired.x)
	}
}

// TestReward checks the shaped reward r = 1[won] - beta*latency_ms -
// gamma*1[timed out] with the defaults beta = 0.002, gamma = 1.
func TestReward(t *testing.T) {
	c := &banditConfig{beta: 0.002, gamma: 1}
	for _, tc := range []struct {
		res  policy.ElectionResult
		want float64
	}{
		{policy.ElectionResult{Outcome: policy.Won, LatencyUS: 400_000}, 0.2},         // 1 - 0.8
		{policy.ElectionResult{Outcome: policy.Won, LatencyUS: 500_000}, 0},           // "500 ms offsets one success"
		{policy.ElectionResult{Outcome: policy.TimedOut, LatencyUS: 900_000}, -2.8},   // -1.8 - 1
		{policy.ElectionResult{Outcome: policy.SteppedDown, LatencyUS: 50_000}, -0.1}, // -0.1
	} {
		if got := c.reward(tc.res); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("reward(%v) = %v, want %v", tc.res, got, tc.want)
		}
	}
}

// TestThompsonSamplingReproducible: the same node stream gives the same
// arms and deadlines, through updates; another stream gives others.
func TestThompsonSamplingReproducible(t *testing.T) {
	run := func(seed uint64) []policy.Decision {
		p := mustPolicy(t, "bandit_ts_safe", seed)
		var out []policy.Decision
		obs := policy.Observation{HeartbeatUS: 50_000, InterArrivalCount: 20, InterArrivalMeanUS: 50_000, InterArrivalStdUS: 2_000}
		for i := 0; i < 300; i++ {
			obs.NowUS = int64(i) * 100_000
			obs.Role = []policy.Role{policy.Follower, policy.Follower, policy.Candidate}[i%3]
			obs.SinceHeartbeatUS = int64(i%7) * 10_000
			out = append(out, p.Deadline(&obs))
			if i%3 == 2 {
				p.ElectionDone(policy.ElectionResult{NowUS: obs.NowUS, Outcome: []policy.Outcome{policy.Won, policy.TimedOut, policy.SteppedDown}[i%9/3], LatencyUS: int64(i) * 1000})
			}
		}
		return out
	}
	a, b, c := run(9), run(9), run(10)
	differ := false
	armsSeen := map[int]bool{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("decision %d: %+v vs %+v from the same seed", i, a[i], b[i])
		}
		differ = differ || a[i] != c[i]
		armsSeen[a[i].Arm] = true
	}
	if !differ {
		t.Error("seeds 9 and 10 gave identical decisions")
	}
	if len(armsSeen) < 2 {
		t.Errorf("Thompson sampling played only arms %v", armsSeen)
	}
}
