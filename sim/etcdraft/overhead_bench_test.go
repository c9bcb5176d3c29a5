package etcdraft_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/etcdraft"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// timed wraps a policy and measures the wall time of each Deadline call
// (a bandit's ChooseArm) and each ElectionDone call (its Update) as the
// engine's event loop makes them: the measurement of the BALLAST paper's
// Table 5, taken inside this engine instead of a Docker prototype. The
// clock is read only here, never by the simulation, so runs stay
// deterministic; the wrapper forwards the optional interfaces the engine
// looks for (safety mode, restarts).
type timed struct {
	p              policy.Policy
	choose, update *[]int64
}

func (t timed) Deadline(o *policy.Observation) policy.Decision {
	start := time.Now()
	d := t.p.Deadline(o)
	*t.choose = append(*t.choose, int64(time.Since(start)))
	return d
}

func (t timed) ElectionDone(r policy.ElectionResult) {
	start := time.Now()
	t.p.ElectionDone(r)
	*t.update = append(*t.update, int64(time.Since(start)))
}

func (t timed) InSafeMode() bool {
	s, ok := t.p.(policy.SafetyMode)
	return ok && s.InSafeMode()
}

func (t timed) Restarted() {
	if r, ok := t.p.(policy.Restarter); ok {
		r.Restarted()
	}
}

// clockCost is the median cost of an empty timed section: subtracted from
// every sample (the samples are otherwise dominated by reading the clock).
func clockCost() int64 {
	xs := make([]int64, 10001)
	for i := range xs {
		start := time.Now()
		xs[i] = int64(time.Since(start))
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}

func reportDist(b *testing.B, name string, xs []int64, clock int64) {
	if len(xs) == 0 {
		return
	}
	slices.Sort(xs)
	var sum int64
	for i := range xs {
		xs[i] = max(xs[i]-clock, 0)
		sum += xs[i]
	}
	q := func(p float64) float64 { return float64(xs[int(p*float64(len(xs)-1))]) }
	b.ReportMetric(float64(sum)/float64(len(xs)), name+"-mean-ns")
	b.ReportMetric(q(0.50), name+"-p50-ns")
	b.ReportMetric(q(0.95), name+"-p95-ns")
	b.ReportMetric(q(0.99), name+"-p99-ns")
	b.ReportMetric(float64(xs[len(xs)-1]), name+"-max-ns")
}

// BenchmarkPolicyOverhead reproduces Table 5 (policy choose/update time
// under the main scenario on the 3-node prototype) inside the etcd
// engine's event loop: wan_main_n3 runs, every Deadline and ElectionDone
// call timed. Reported per call, in ns, clock cost subtracted: mean, p50,
// p95, p99 and max of choose (Deadline) and update (ElectionDone); and the
// engine's ns per event for context.
func BenchmarkPolicyOverhead(b *testing.B) {
	s, err := scenario.Load("wan_main_n3")
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"bandit_safe", "random", "backoff"} {
		b.Run(name, func(b *testing.B) {
			inner, _, err := policies.Build(name)
			if err != nil {
				b.Fatal(err)
			}
			var choose, update []int64
			f := func(node int, rng *rand.Rand) policy.Policy {
				return timed{p: inner(node, rng), choose: &choose, update: &update}
			}
			clock := clockCost()
			var events int64
			seed := uint64(0)
			for b.Loop() {
				seed++
				res, err := etcdraft.Engine{}.Run(&sim.Config{Scenario: s, Seed: seed, Policy: f})
				if err != nil {
					b.Fatal(err)
				}
				events += res.Events
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
			reportDist(b, "choose", choose, clock)
			reportDist(b, "update", update, clock)
		})
	}
}
