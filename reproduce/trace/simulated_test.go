package trace_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/eventlog/pq"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/reproduce/trace"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// TestSimulatedRun checks the series of a real run against its raw events
// and its metrics: every heartbeat counted once, one detection deadline
// per leader crash, and k-th deadlines inside the policy's range.
func TestSimulatedRun(t *testing.T) {
	s, err := scenario.Load("wan_main")
	if err != nil {
		t.Fatal(err)
	}
	run, err := harness.Resolve(harness.Spec{Scenario: s, Policy: "random", Seed: 7, SeedSet: "report"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "run.parquet")
	if _, err := run.WriteEvents(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	m, err := metrics.AnalyzeFile(path, metrics.Spec{Also: trace.Also(1_000_000)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := trace.Of(m)
	if err != nil {
		t.Fatal(err)
	}
	_, events, err := pq.ReadEvents(path)
	if err != nil {
		t.Fatal(err)
	}
	var hb int64
	for _, e := range events {
		if e.Kind == eventlog.HeartbeatSent {
			hb++
		}
	}
	var got int64
	for _, n := range r.Heartbeats {
		got += n
	}
	if got != hb || hb == 0 {
		t.Errorf("heartbeats in bins %d, heartbeat_sent rows %d", got, hb)
	}
	var outOfService int64
	for _, f := range m.Failovers {
		outOfService += f.OutOfServiceUS
	}
	var leaderless int64
	for _, p := range r.Leaderless {
		if p.EndUS <= p.StartUS {
			t.Errorf("empty leaderless period %v", p)
		}
		leaderless += p.EndUS - p.StartUS
	}
	// Every failover (crash to new leader) is leaderless time; partitions
	// and split votes may add more.
	if leaderless < outOfService || leaderless > m.Row.UnwritableUS+outOfService {
		t.Errorf("leaderless %d µs; failovers %d µs, unwritable %d µs", leaderless, outOfService, m.Row.UnwritableUS)
	}
	if int64(len(r.DetectDeadlineUS)) != m.Row.LeaderCrashes || m.Row.LeaderCrashes == 0 {
		t.Errorf("%d detection deadlines for %d leader crashes", len(r.DetectDeadlineUS), m.Row.LeaderCrashes)
	}
	defined := 0
	for b, v := range r.KthDeadlineUS {
		if math.IsNaN(v) {
			continue
		}
		defined++
		if v < 150_000 || v >= 300_000 {
			t.Errorf("bin %d: k-th deadline %v µs outside random's [150, 300) ms", b, v)
		}
	}
	if defined < len(r.KthDeadlineUS)/2 {
		t.Errorf("only %d of %d bins have a k-th deadline", defined, len(r.KthDeadlineUS))
	}
	if len(r.Regime) != trace.Bins(r.DurationUS, r.BinUS) || r.Regime[len(r.Regime)-1] != 1 {
		t.Errorf("regimes %v: want %d bins ending in wan_main's regime 1", r.Regime, trace.Bins(r.DurationUS, r.BinUS))
	}
}
