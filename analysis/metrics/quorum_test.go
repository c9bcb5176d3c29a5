package metrics_test

import (
	"testing"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/etcdraft"
	"github.com/ballast-bench/ballast/sim/fast"
	"github.com/ballast-bench/ballast/sim/swarm"
)

// TestQuorumAgreesWithScan: after every event of 60 swarm cases on both
// engines (crashes, sleeps, partitions, pauses, loss, term changes, stale
// leaders), the deriver's incremental quorum bookkeeping gives, for every
// node as leader, what a scan of all followers gives.
func TestQuorumAgreesWithScan(t *testing.T) {
	checked := 0
	for seed := uint64(1); seed <= 60; seed++ {
		c := swarm.Generate(seed)
		f, _, err := policies.Build(c.Policy, c.Set...)
		if err != nil {
			t.Fatal(err)
		}
		for _, eng := range []sim.Engine{fast.Engine{}, etcdraft.Engine{}} {
			var m eventlog.Memory
			if _, err := eng.Run(&sim.Config{Scenario: c.Scenario, Seed: seed, Policy: f, Sink: &m, RunID: "q"}); err != nil {
				continue // the swarm test reports failing cases; here only the analysis is checked
			}
			d, err := metrics.NewDeriver(eventlog.RunInfo{RunID: "q", Nodes: int64(c.Scenario.Nodes), DurationUS: c.Scenario.DurationUS(), HeartbeatUS: c.Scenario.HeartbeatUS()}, metrics.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range m.Events {
				if err := d.Add(&m.Events[i]); err != nil {
					t.Fatalf("case %d on %s: %v", seed, eng.Name(), err)
				}
				if err := d.QuorumAgrees(); err != nil {
					t.Fatalf("case %d on %s: %v", seed, eng.Name(), err)
				}
				checked++
			}
		}
	}
	if checked < 100_000 {
		t.Fatalf("%d events checked; the test needs runs", checked)
	}
	t.Logf("%d events checked", checked)
}
