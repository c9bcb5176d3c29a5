package swarm_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/internal/testseed"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/etcdraft"
	"github.com/ballast-bench/ballast/sim/fast"
	"github.com/ballast-bench/ballast/sim/invariant"
	"github.com/ballast-bench/ballast/sim/swarm"
)

var (
	runs   = flag.Int("swarm.runs", 40, "cases the swarm test runs (each on every engine)")
	budget = flag.Duration("swarm.time", 0, "run cases until this much time has passed (overrides -swarm.runs)")
	only   = flag.Uint64("swarm.case", 0, "run only the case with this seed (printed by a failure)")
)

var engines = []sim.Engine{fast.Engine{}, etcdraft.Engine{}}

// TestSwarm runs generated cases (package swarm) on every engine under the
// safety invariants, the liveness invariant where the case has a bound,
// and the analysis. The master seed comes from -seed or the clock and is
// printed first; a failure prints the case's seed, writes its scenario to
// a file, and gives the command that replays just that case.
func TestSwarm(t *testing.T) {
	if *only != 0 {
		if err := runCase(t, *only); err != nil {
			t.Fatal(err)
		}
		return
	}
	master := testseed.Master(t)
	rng := rand.New(rand.NewPCG(master, 0x5a))
	start := time.Now()
	var cases, live int
	var worst float64 // the largest leaderless stretch under health, in bounds
	for n := 0; ; n++ {
		if *budget > 0 && time.Since(start) > *budget || *budget == 0 && n >= *runs {
			break
		}
		seed := rng.Uint64()>>1 | 1
		c := swarm.Generate(seed)
		r, err := check(c)
		if err != nil {
			path := filepath.Join(t.TempDir(), fmt.Sprintf("swarm_%d.yaml", seed))
			if data, merr := yaml.Marshal(c.Scenario); merr == nil {
				// Kept outside the test's temporary directory, which is removed.
				path = filepath.Join(os.TempDir(), fmt.Sprintf("swarm_%d.yaml", seed))
				os.WriteFile(path, data, 0o644)
			}
			t.Fatalf("case %d (master seed %d): %v\nscenario: %s\npolicy: %s %v\nreplay the case: go test ./sim/swarm -run '^TestSwarm$' -swarm.case %d -v\nreplay the swarm: %s",
				seed, master, err, path, c.Policy, c.Set, seed, testseed.Replay(t, master))
		}
		cases++
		if c.Health != nil {
			live++
			worst = max(worst, r)
		}
	}
	t.Logf("%d cases on %d engines, %d liveness-checked; the longest leaderless stretch under a healthy quorum took %.3f of its bound", cases, len(engines), live, worst)
}

func runCase(t *testing.T, seed uint64) error {
	c := swarm.Generate(seed)
	data, _ := yaml.Marshal(c.Scenario)
	t.Logf("case %d: policy %s %v, health %+v\n%s", seed, c.Policy, c.Set, c.Health, data)
	_, err := check(c)
	return err
}

// check runs case c on every engine and returns the largest fraction of
// the liveness bound a leaderless stretch under health took.
func check(c *swarm.Case) (float64, error) {
	f, _, err := policies.Build(c.Policy, c.Set...)
	if err != nil {
		return 0, fmt.Errorf("policy %s %v: %w", c.Policy, c.Set, err)
	}
	s := c.Scenario
	worst := 0.0
	for _, eng := range engines {
		var m eventlog.Memory
		if _, err := run(eng, &sim.Config{Scenario: s, Seed: c.Seed, Policy: f, Sink: &m, RunID: s.Name}); err != nil {
			return 0, fmt.Errorf("%s: %w", eng.Name(), err)
		}
		safety := invariant.New(s.Nodes)
		var live *invariant.Liveness
		if c.Health != nil {
			live = invariant.NewLiveness(*c.Health)
		}
		for i := range m.Events {
			safety.Emit(&m.Events[i])
			if live != nil {
				live.Emit(&m.Events[i])
			}
		}
		if err := safety.Err(); err != nil {
			return 0, fmt.Errorf("%s: %w", eng.Name(), err)
		}
		if live != nil {
			live.Finish(s.DurationUS())
			if err := live.Err(); err != nil {
				return 0, fmt.Errorf("%s: %w", eng.Name(), err)
			}
			for _, b := range c.Health.BoundUS {
				worst = max(worst, float64(live.WorstUS())/float64(b))
			}
		}
		d, err := metrics.NewDeriver(eventlog.RunInfo{RunID: s.Name, Engine: eng.Name(), Nodes: int64(s.Nodes),
			DurationUS: s.DurationUS(), HeartbeatUS: s.HeartbeatUS(), Events: int64(len(m.Events))}, metrics.Options{})
		if err != nil {
			return 0, err
		}
		for i := range m.Events {
			if err := d.Add(&m.Events[i]); err != nil {
				return 0, fmt.Errorf("%s: the analysis rejects the events: %w", eng.Name(), err)
			}
		}
		if _, err := d.Finish(); err != nil {
			return 0, fmt.Errorf("%s: %w", eng.Name(), err)
		}
	}
	return worst, nil
}

// run turns a panic inside an engine into an error, as the harness does.
func run(eng sim.Engine, cfg *sim.Config) (res sim.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return eng.Run(cfg)
}

// FuzzSwarm lets the fuzzer choose case seeds: go test -fuzz FuzzSwarm
// ./sim/swarm (make fuzz).
func FuzzSwarm(f *testing.F) {
	for _, s := range []uint64{1, 2, 3, 20261202} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		if _, err := check(swarm.Generate(seed>>1 | 1)); err != nil {
			t.Fatalf("case %d: %v", seed>>1|1, err)
		}
	})
}
