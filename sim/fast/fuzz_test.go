package fast

import (
	"math"
	"testing"

	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/dist"
	"github.com/ballast-bench/ballast/sim/invariant"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// FuzzEngine builds scenarios from fuzzed parameters and checks the
// invariants on every run that validates. Run it with
//
//	go test -fuzz FuzzEngine ./sim/fast
func FuzzEngine(f *testing.F) {
	f.Add(uint64(1), uint8(5), 40.0, 10.0, 0.7, 0.01, 0.3, false, false, 10.0, 20.0, 4.0, 5000.0, 150.0, 50.0, uint8(0))
	f.Add(uint64(2), uint8(3), 0.2, 0.3, 0.1, 0.0, 0.0, true, true, 1.0, 2.0, 1.0, 100.0, 60.0, 20.0, uint8(1))
	f.Add(uint64(3), uint8(7), 100.0, 50.0, 1.5, 0.2, 0.9, true, false, 0.5, 0.1, 3.0, 50.0, 1000.0, 100.0, uint8(2))
	f.Add(uint64(4), uint8(1), 5.0, 1.0, 0.5, 0.5, 0.5, false, true, 0.0, 0.0, 0.5, 10.0, 10.0, 5.0, uint8(3))
	f.Fuzz(func(t *testing.T, seed uint64, nodes uint8, baseMS, medianMS, sigma, loss, burstLoss float64,
		preVote, checkQuorum bool, crashS, partS, partDurS, restartMS, leaseMS, hbMS float64, shape uint8) {
		s := &scenario.Scenario{
			Name: "fuzz", Nodes: int(nodes%9) + 1, DurationS: 5,
			Raft: scenario.Raft{HeartbeatMS: hbMS, PreVote: preVote, CheckQuorum: checkQuorum, LeaseMS: &leaseMS,
				ProposalIntervalMS: float64(shape%3) * 15},
			Network: scenario.Network{
				Default: scenario.Link{BaseDelayMS: &baseMS, Jitter: &dist.Spec{Dist: "lognormal", MedianMS: &medianMS, Sigma: &sigma}, Loss: &loss},
				Regimes: []scenario.Regime{{AtS: 0, ID: 0}, {AtS: 2.5, ID: 1, DelayScale: ptr(2.0)}},
				Bursts:  &scenario.Bursts{MeanGoodS: 1, MeanBadMS: 200, Loss: burstLoss},
			},
			Crashes: []scenario.Crash{{Node: "leader", AtS: crashS, RestartAfterMS: &restartMS, Phase: "heartbeat",
				Repeat: &scenario.Repeat{Count: 3, EveryS: 1.3}}},
		}
		switch shape % 4 {
		case 0:
			s.Partitions = []scenario.Partition{{AtS: partS, DurationS: partDurS, IsolateLeader: true,
				Turbulence: &scenario.Turbulence{DurationMS: 500, Loss: 0.2}}}
		case 1:
			s.Partitions = []scenario.Partition{{AtS: partS, DurationS: partDurS, Groups: [][]int{{0}}}}
		}
		if s.Validate() != nil || hbMS < 1 || math.IsNaN(leaseMS) {
			t.Skip()
		}
		if baseMS > 1000 || medianMS > 1000 || sigma > 3 || leaseMS < 1 {
			t.Skip() // keep runs short: huge delays only stretch time
		}
		for _, pol := range []string{"random", "static"} {
			chk := invariant.New(s.Nodes)
			if _, err := (Engine{}).Run(&sim.Config{Scenario: s, Seed: seed, Policy: mustPolicy(t, pol), Sink: chk}); err != nil {
				t.Fatalf("policy %s seed %d: %v", pol, seed, err)
			}
			if err := chk.Err(); err != nil {
				t.Fatalf("policy %s seed %d: %v", pol, seed, err)
			}
		}
	})
}
