package sim_test

import (
	"fmt"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/fast"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// leaders is an eventlog.Sink that keeps what the example prints: how many
// times a node became leader, and the term of the first.
type leaders struct {
	n         int
	firstTerm uint64
}

func (l *leaders) Emit(ev *eventlog.Event) {
	if ev.Kind == eventlog.BecameLeader {
		if l.n == 0 {
			l.firstTerm = ev.Term
		}
		l.n++
	}
}

// ExampleEngine simulates one run on the election model (sim/fast) with
// standard Raft's randomised timeouts, reading its events as they are
// logged. To write them to a file, pass a pq.Writer as the Sink; to get a
// run identity and the engine by name, use harness.Resolve.
func ExampleEngine() {
	s, err := scenario.Parse("calm.yaml", []byte(`
name: calm
description: three nodes on a quiet network, no faults
nodes: 3
duration_s: 2
raft: {heartbeat_ms: 50}
network:
  default: {base_delay_ms: 1, loss: 0}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	factory, _, err := policies.Build("random")
	if err != nil {
		fmt.Println(err)
		return
	}
	var l leaders
	res, err := fast.Engine{}.Run(&sim.Config{Scenario: s, Seed: 1, Policy: factory, Sink: &l})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("simulated %d ms, logged events: %t\n", res.EndUS/1000, res.Events > 0)
	fmt.Printf("leaders elected: %d, the first in term %d\n", l.n, l.firstTerm)
	// Output:
	// simulated 2000 ms, logged events: true
	// leaders elected: 1, the first in term 1
}
