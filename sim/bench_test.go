package sim_test

import (
	"runtime"
	"testing"

	"github.com/ballast-bench/ballast/sim"
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
