package etcdraft

import (
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// runEvents runs eng and returns its events; a run error fails the test.
func runEvents(tb testing.TB, eng sim.Engine, s *scenario.Scenario, f policy.Factory, seed uint64) []eventlog.Event {
	tb.Helper()
	var m eventlog.Memory
	if _, err := eng.Run(&sim.Config{Scenario: s, Seed: seed, Policy: f, Sink: &m, RunID: "test"}); err != nil {
		tb.Fatal(err)
	}
	return m.Events
}

func ptr[T any](v T) *T { return &v }
