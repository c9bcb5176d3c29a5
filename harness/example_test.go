package harness_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ballast-bench/ballast/eventlog/pq"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// ExampleResolve is 'ballast sim' as a library call: resolve a scenario,
// a policy with its parameters, a seed and an engine into a run with its
// identity, then simulate it into an events file and its one-row runs
// table.
func ExampleResolve() {
	dir, err := os.MkdirTemp("", "harness-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	s, err := scenario.Load("lan") // a built-in name, or a .yaml path
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := harness.Resolve(harness.Spec{Scenario: s, Policy: "random", Set: []string{"max_ms=400"}, Seed: 42, Engine: "fast"})
	if err != nil {
		fmt.Println(err)
		return
	}
	path := filepath.Join(dir, "lan.parquet")
	info, err := r.WriteParquet(context.Background(), path)
	if err != nil {
		fmt.Println(err)
		return
	}
	runs, err := pq.ReadRuns(harness.RunsPath(path))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s, %s %s, seed %d, engine %s\n", info.Scenario, info.Policy, info.Params, info.Seed, info.Engine)
	fmt.Println("events logged:", info.Events > 0, "- runs table row has the same run id:", runs[0].RunID == info.RunID)
	// Output:
	// lan, random max_ms=400;min_ms=150, seed 42, engine fast
	// events logged: true - runs table row has the same run id: true
}

// ExampleSweep is 'ballast run' as a library call: an experiment's grid
// (scenarios x policy variants x seeds) swept into a directory of events
// files and manifest entries. Sweeping again runs nothing: every run is
// complete and made by this code.
func ExampleSweep() {
	dir, err := os.MkdirTemp("", "harness-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	e, err := harness.ParseExperiment("example.yaml", []byte(`
name: example
description: standard Raft and a wider range on the LAN
engine: fast
scenarios: [lan]
policies:
  - policy: random
  - policy: random
    variant: wide
    set: {min_ms: 300, max_ms: 600}
seeds: {master: 7, tuning: 1, report: 2}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	jobs, err := e.Grid(harness.SetReport, 0) // 0: every seed of the set
	if err != nil {
		fmt.Println(err)
		return
	}
	opt := harness.Options{OutDir: dir, Workers: 2, Shard: harness.All}
	for range 2 {
		sum, err := harness.Sweep(context.Background(), jobs, opt)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%d runs: %d ran, %d already complete, %d failed\n", sum.Total, sum.Ran, sum.Skipped, sum.Failed)
	}
	// Output:
	// 4 runs: 4 ran, 0 already complete, 0 failed
	// 4 runs: 0 ran, 4 already complete, 0 failed
}
