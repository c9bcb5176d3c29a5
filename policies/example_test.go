package policies_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/policies/policy"
)

// ExampleBuild makes standard Raft's policy with one parameter overridden,
// as 'ballast sim --policy random --set min_ms=200' does, and asks one
// node's policy for a deadline. The engines call Deadline at every timer
// reset; each node's policy draws from its own seeded stream.
func ExampleBuild() {
	factory, params, err := policies.Build("random", "min_ms=200")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("params:", params) // the canonical form runs record
	node := factory(0, rand.New(rand.NewPCG(1, 2)))
	d := node.Deadline(&policy.Observation{})
	fmt.Println("200 ms <= deadline < 300 ms:", d.DeadlineUS >= 200_000 && d.DeadlineUS < 300_000)
	// Output:
	// params: max_ms=300;min_ms=200
	// 200 ms <= deadline < 300 ms: true
}

// ExampleSpec_CodeVersion: a policy registered from outside this module
// states its Version, which the code version of its runs carries beside
// the identity of ballast's own sources (examples/custompolicy).
func ExampleSpec_CodeVersion() {
	inTree := &policies.Spec{Name: "random"}
	outOfTree := &policies.Spec{Name: "rtt_scaled", Version: "2"}
	fmt.Println(inTree.CodeVersion("sim-0123456789ab"))
	fmt.Println(outOfTree.CodeVersion("sim-0123456789ab"))
	// Output:
	// sim-0123456789ab
	// sim-0123456789ab+rtt_scaled@2
}
