package fast

import (
	"testing"

	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
)

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

// BenchmarkEngine measures simulator throughput with logging off on the
// 5-node 60 s WAN scenarios (issue target: >= 5 M events/s on one core).
func BenchmarkEngine(b *testing.B) {
	for _, name := range []string{"wan_stable", "wan_main"} {
		b.Run(name, func(b *testing.B) {
			s := mustScenario(b, name)
			f := mustPolicy(b, "random")
			var events int64
			seed := uint64(0)
			b.ReportAllocs()
			for b.Loop() {
				seed++
				res, err := Engine{}.Run(&sim.Config{Scenario: s, Seed: seed, Policy: f})
				if err != nil {
					b.Fatal(err)
				}
				events += res.Events
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
			b.ReportMetric(float64(events)/float64(b.N), "events/run")
		})
	}
}
