package metrics_test

import (
	"fmt"
	"testing"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/fast"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// BenchmarkDeriverNodes: the deriver's cost per event as the cluster
// grows (issue 19's target: independent of N), on dynatune_loss_n5's
// network (RTT 200 ms, the loss schedule) cut to 120 s, with N = 5, 17, 65
// and 129 nodes and the random policy; the events are in memory.
func BenchmarkDeriverNodes(b *testing.B) {
	base, err := scenario.Load("dynatune_loss_n5")
	if err != nil {
		b.Fatal(err)
	}
	f, _, err := policies.Build("random", "min_ms=1000", "max_ms=2000")
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{5, 17, 65, 129} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			s := *base
			s.Nodes, s.DurationS = n, 120
			var m eventlog.Memory
			if _, err := (fast.Engine{}).Run(&sim.Config{Scenario: &s, Seed: 1, Policy: f, Sink: &m, RunID: "n"}); err != nil {
				b.Fatal(err)
			}
			info := eventlog.RunInfo{RunID: "n", Nodes: int64(n), DurationUS: s.DurationUS(), HeartbeatUS: s.HeartbeatUS()}
			b.ReportAllocs()
			for b.Loop() {
				d, err := metrics.NewDeriver(info, metrics.Options{})
				if err != nil {
					b.Fatal(err)
				}
				for i := range m.Events {
					if err := d.Add(&m.Events[i]); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := d.Finish(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(len(m.Events))/float64(b.N), "ns/event")
		})
	}
}
