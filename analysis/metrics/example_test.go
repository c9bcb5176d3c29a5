package metrics_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// ExampleAnalyzeFile derives one run's metrics from its events file alone:
// here a run of the built-in lan scenario (a leader crash at 10 s),
// simulated first. The row holds every metric of docs/metrics.md; the
// intervals, elections and failovers behind them come with it.
func ExampleAnalyzeFile() {
	dir, err := os.MkdirTemp("", "metrics-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "lan.parquet")
	s, err := scenario.Load("lan")
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := harness.Resolve(harness.Spec{Scenario: s, Policy: "random", Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := r.WriteEvents(context.Background(), path); err != nil {
		fmt.Println(err)
		return
	}

	run, err := metrics.AnalyzeFile(path, metrics.Spec{}) // the defaults: 3 heartbeats' grace, warm-up to the first writable instant
	if err != nil {
		fmt.Println(err)
		return
	}
	row := run.Row
	fmt.Printf("%s, %s, seed %d: %d unwritable interval(s), %d failover(s)\n", row.Scenario, row.Policy, row.Seed, row.Intervals, len(run.Failovers))
	fmt.Printf("recovered within a second: %t\n", row.RecoveryMaxUS < 1e6)
	// Output:
	// lan, random, seed 1: 1 unwritable interval(s), 1 failover(s)
	// recovered within a second: true
}
