package etcdraft_test

import (
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/etcdraft"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// reportDist reports the distribution of xs, ns per call, as a live
// run's metadata summarises it (eventlog.NewCallTimes).
func reportDist(b *testing.B, name string, xs []int64) {
	c := eventlog.NewCallTimes(xs)
	if c == nil {
		return
	}
	b.ReportMetric(c.MeanNS, name+"-mean-ns")
	b.ReportMetric(float64(c.P50NS), name+"-p50-ns")
	b.ReportMetric(float64(c.P95NS), name+"-p95-ns")
	b.ReportMetric(float64(c.P99NS), name+"-p99-ns")
	b.ReportMetric(float64(c.MaxNS), name+"-max-ns")
}

// BenchmarkPolicyOverhead reproduces Table 5 (policy choose/update time
// under the main scenario on the 3-node prototype) inside the etcd
// engine's event loop: wan_main_n3 runs, every Deadline and ElectionDone
// call timed (sim.Config.PolicyTiming, as on live nodes). Reported per call, in ns, clock cost subtracted: mean, p50,
// p95, p99 and max of choose (Deadline) and update (ElectionDone); and the
// engine's ns per event for context.
func BenchmarkPolicyOverhead(b *testing.B) {
	s, err := scenario.Load("wan_main_n3")
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"bandit_safe", "random", "backoff"} {
		b.Run(name, func(b *testing.B) {
			f, _, err := policies.Build(name)
			if err != nil {
				b.Fatal(err)
			}
			var choose, update []int64
			timing := func(_ int, isUpdate bool, ns int64) {
				if isUpdate {
					update = append(update, ns)
				} else {
					choose = append(choose, ns)
				}
			}
			var events int64
			seed := uint64(0)
			for b.Loop() {
				seed++
				res, err := etcdraft.Engine{}.Run(&sim.Config{Scenario: s, Seed: seed, Policy: f, PolicyTiming: timing})
				if err != nil {
					b.Fatal(err)
				}
				events += res.Events
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
			reportDist(b, "choose", choose)
			reportDist(b, "update", update)
		})
	}
}
