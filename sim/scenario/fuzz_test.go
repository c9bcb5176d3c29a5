package scenario_test

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ballast-bench/ballast/configs"
	"github.com/ballast-bench/ballast/internal/configfile"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/fast"
	"github.com/ballast-bench/ballast/sim/invariant"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// uniform is the random policy's rule, here so that this test needs no
// policy implementation: deadlines uniform in [150, 300) ms.
type uniform struct{ rng *rand.Rand }

func (u uniform) Deadline(*policy.Observation) policy.Decision {
	return policy.Decision{DeadlineUS: 150_000 + u.rng.Int64N(150_000), Arm: -1}
}
func (uniform) ElectionDone(policy.ElectionResult) {}

// runLimit is the estimated size above which the fuzzer checks an accepted
// scenario's timeline but does not simulate it (a fuzz input should take
// milliseconds).
const runLimit = 300_000

// FuzzScenarioFile mutates scenario files (the built-in ones are the seed
// corpus): every input is either refused with one line naming the file
// (and, where the YAML has one, the line and the field), or accepted,
// within the limits, with a timeline built in bounded time, and, when it
// is small, simulated to its end under the invariant checker, within its
// estimate. Never a hang, a panic, an overflow or an unbounded allocation.
// make test runs the seed corpus; make fuzz runs it for minutes.
func FuzzScenarioFile(f *testing.F) {
	fs.WalkDir(configs.Scenarios, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".yaml") {
			data, _ := fs.ReadFile(configs.Scenarios, p)
			f.Add(data)
		}
		return nil
	})
	f.Add([]byte("name: x\nnodes: 3\nduration_s: 1\nraft: {heartbeat_ms: 1e17}\nnetwork: {default: {base_delay_ms: 1}}\n"))
	f.Add([]byte("name: x\nnodes: 1.5\nduration_s: 0.1\nraft: {heartbeat_ms: 50, proposal_interval_ms: 0.0001}\nnetwork: {default: {base_delay_ms: 1}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := scenario.Parse("fuzz.yaml", data)
		if err != nil {
			var fe *configfile.FieldError
			if !errors.As(err, &fe) || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("refusal is not one line naming the file: %q", err)
			}
			return
		}
		est := s.Estimate()
		if est.Events > scenario.Caps.Events || est.Timeline > scenario.Caps.Timeline {
			t.Fatalf("accepted over the limits: %+v", est)
		}
		start := time.Now()
		tl := scenario.NewTimeline(s, 1)
		if n := int64(len(tl.Events)); n > 4*max(est.Timeline, 100) {
			t.Fatalf("%d timeline events for an estimate of %d", n, est.Timeline)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("the timeline took %v", d)
		}
		if est.Events > runLimit {
			return
		}
		chk := invariant.New(s.Nodes)
		_, err = fast.Engine{}.Run(&sim.Config{Scenario: s, Seed: 1, RunID: "fuzz", Sink: chk,
			Policy: func(_ int, rng *rand.Rand) policy.Policy { return uniform{rng} }, MaxEvents: 20*est.Events + 100_000})
		if err != nil {
			t.Fatalf("an accepted scenario failed: %v", err)
		}
		if err := chk.Err(); err != nil {
			t.Fatalf("invariant: %v", err)
		}
	})
}
