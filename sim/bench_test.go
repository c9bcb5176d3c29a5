package sim_test

import (
	"fmt"
	"runtime"
	"slices"
	"testing"

	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/dist"
	"github.com/ballast-bench/ballast/sim/fast"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// BenchmarkEngine measures each engine's throughput with logging off on
// the 5-node 60 s WAN scenarios (targets: >= 5 M events/s on one core for
// the fast model, >= 2 M for the etcd engine), and the proposal workload
// for reference. allocs/event is the total allocations of a run (raft's
// included) over its events.
func BenchmarkEngine(b *testing.B) {
	for _, eng := range engines {
		for _, name := range []string{"wan_stable", "wan_main", "wan_main_prevote_n5"} {
			b.Run(eng.Name()+"/"+name, func(b *testing.B) {
				s := mustScenario(b, name)
				f := mustPolicy(b, "random")
				var events int64
				seed := uint64(0)
				b.ReportAllocs()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				for b.Loop() {
					seed++
					res, err := eng.Run(&sim.Config{Scenario: s, Seed: seed, Policy: f})
					if err != nil {
						b.Fatal(err)
					}
					events += res.Events
				}
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(events), "allocs/event")
				b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
				b.ReportMetric(float64(events)/float64(b.N), "events/run")
			})
		}
	}
}

// BenchmarkDeployment measures what the real-deployment keys cost on
// wan_main (5 nodes, 60 s) with the random policy: none (the baseline of
// BenchmarkEngine), a disk (lognormal fsync, median 2 ms), timer noise
// (exponential, mean 0.5 ms), every class on a stream, and all of them
// with the paper's timer rule and leaders that sleep.
func BenchmarkDeployment(b *testing.B) {
	variants := []struct {
		name string
		set  func(s *scenario.Scenario)
	}{
		{"none", func(*scenario.Scenario) {}},
		{"storage", func(s *scenario.Scenario) {
			s.Storage = &scenario.Storage{Fsync: &dist.Spec{Dist: "lognormal", MedianMS: ptr(2.0), Sigma: ptr(0.5)}}
		}},
		{"timer_jitter", func(s *scenario.Scenario) {
			s.NodesTimerJitter = &dist.Spec{Dist: "exponential", MeanMS: ptr(0.5)}
		}},
		{"stream", func(s *scenario.Scenario) {
			s.Network.Transport = &scenario.Transport{Default: scenario.Stream}
		}},
		{"all", func(s *scenario.Scenario) {
			s.Storage = &scenario.Storage{Fsync: &dist.Spec{Dist: "lognormal", MedianMS: ptr(2.0), Sigma: ptr(0.5)}}
			s.NodesTimerJitter = &dist.Spec{Dist: "exponential", MeanMS: ptr(0.5)}
			s.Raft.TimerReset = scenario.TimerResetPaper
			s.Network.Transport = &scenario.Transport{Default: scenario.Stream}
			for i := range s.Crashes {
				s.Crashes[i].Mode = scenario.CrashSleep
			}
		}},
	}
	for _, eng := range engines {
		for _, v := range variants {
			b.Run(eng.Name()+"/"+v.name, func(b *testing.B) {
				s := *mustScenario(b, "wan_main")
				s.Crashes = slices.Clone(s.Crashes)
				v.set(&s)
				f := mustPolicy(b, "random")
				var events int64
				seed := uint64(0)
				b.ReportAllocs()
				for b.Loop() {
					seed++
					res, err := eng.Run(&sim.Config{Scenario: &s, Seed: seed, Policy: f})
					if err != nil {
						b.Fatal(err)
					}
					events += res.Events
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
				b.ReportMetric(float64(events)/float64(b.N), "events/run")
			})
		}
	}
}

// BenchmarkClusterSize measures the fast engine with logging off on
// Dynatune Figure 7's loss schedule at N = 5, 17 and 65, cut to its first
// 600 s (loss 0, 5 and 10 %), with Fix-K (K fixed) and with Dynatune (K
// from the measured loss); in both each follower asks for its own interval
// from the RTT it measures, so the followers come due at different times:
// what the heartbeat schedule and the event queue cost as the cluster
// grows.
func BenchmarkClusterSize(b *testing.B) {
	for _, n := range []int{5, 17, 65} {
		for _, v := range []struct {
			name string
			set  []string
		}{{"fix_k", []string{"fix_k=10"}}, {"dynatune", nil}} {
			b.Run(fmt.Sprintf("n%d/%s", n, v.name), func(b *testing.B) {
				s := mustScenario(b, fmt.Sprintf("dynatune_loss_n%d", n))
				s.DurationS = 600
				f := mustPolicy(b, "dynatune", v.set...)
				var events int64
				seed := uint64(0)
				for b.Loop() {
					seed++
					res, err := fast.Engine{}.Run(&sim.Config{Scenario: s, Seed: seed, Policy: f})
					if err != nil {
						b.Fatal(err)
					}
					events += res.Events
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
			})
		}
	}
}
