package harness_test

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/internal/golden"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/tuning"
)

// TestBuiltinGridIDs pins every job of every built-in experiment: its
// tuning grid as 'ballast tune' builds it, and its report grid with each
// tuned variant at its first grid point. testdata/grid_ids.golden was
// recorded before tune grids learned points, together and
// raft.heartbeat_ms (issue 17); a change that moves an existing run's id,
// parameters or heartbeat fails here, and the diff names the experiment.
// Experiments with a file parameter (trained weights) are left out: their
// ids follow the file's content by design, and the file may not exist yet.
func TestBuiltinGridIDs(t *testing.T) {
	var b strings.Builder
	for _, name := range harness.ExperimentNames() {
		e, err := harness.LoadExperiment(name)
		if err != nil {
			t.Fatal(err)
		}
		if usesFile(t, e) {
			continue
		}
		if e.Seeds.Tuning != nil && e.Tunable() {
			fmt.Fprintf(&b, "%s tune %s\n", name, tuningJobs(t, e))
		}
		fmt.Fprintf(&b, "%s report %s\n", name, reportJobs(t, e))
	}
	golden.Check(t, "testdata/grid_ids.golden", []byte(b.String()))
}

// tuningJobs summarises the jobs tuning.Tune runs: their count, a hash of
// every job and grid point (as the tuned file lists it), the first and last
// run ids.
func tuningJobs(t *testing.T, e *harness.Experiment) string {
	var jobs []*harness.Job
	var points []string
	for _, s := range e.ScenarioList() {
		for i := range e.Policies {
			pv := &e.Policies[i]
			if pv.Tune == nil {
				continue
			}
			cands, err := pv.Candidates()
			if err != nil {
				t.Fatal(err)
			}
			for k, c := range cands {
				points = append(points, fmt.Sprintf("%s %s/%s %q", s.Name, pv.Policy, pv.Variant, c))
				for _, seed := range e.SeedList(harness.SetTuning) {
					j, err := e.NewJob(len(jobs), s, pv.Policy, tuning.CandidateVariant(pv.Variant, k), c, seed, harness.SetTuning)
					if err != nil {
						t.Fatal(err)
					}
					jobs = append(jobs, j)
				}
			}
		}
	}
	return summary(jobs, points)
}

// reportJobs summarises the report grid, each tuned variant at its first
// grid point.
func reportJobs(t *testing.T, e *harness.Experiment) string {
	chosen := map[harness.TunedKey][]string{}
	for _, s := range e.ScenarioList() {
		for i := range e.Policies {
			pv := &e.Policies[i]
			if pv.Tune != nil {
				cands, err := pv.Candidates()
				if err != nil {
					t.Fatal(err)
				}
				chosen[harness.TunedKey{Scenario: s.Name, Policy: pv.Policy, Variant: pv.Variant}] = cands[0]
			}
		}
	}
	e.UseTuned("test", chosen)
	jobs, err := e.Grid(harness.SetReport, 0)
	if err != nil {
		t.Fatal(err)
	}
	return summary(jobs, nil)
}

// usesFile reports whether a policy of e has a file parameter.
func usesFile(t *testing.T, e *harness.Experiment) bool {
	for _, pv := range e.Policies {
		spec, err := policies.Lookup(pv.Policy)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range spec.Params {
			if p.File {
				return true
			}
		}
	}
	return false
}

func summary(jobs []*harness.Job, points []string) string {
	h := sha256.New()
	for _, j := range jobs {
		hashJob(h, j)
	}
	for _, p := range points {
		fmt.Fprintln(h, p)
	}
	return fmt.Sprintf("%d jobs, hash %x, first %s, last %s", len(jobs), h.Sum(nil)[:8], jobs[0].Run.Info.RunID, jobs[len(jobs)-1].Run.Info.RunID)
}

// hashJob adds what identifies a job and what it simulates.
func hashJob(h hash.Hash, j *harness.Job) {
	i := &j.Run.Info
	fmt.Fprintf(h, "%d %s %s %s %s %s %d %s %s %s %d %d\n", j.Index, i.Scenario, i.ScenarioHash, i.Policy, i.Variant, i.Params,
		i.Seed, i.SeedSet, i.ConfigHash, i.RunID, i.HeartbeatUS, i.Nodes)
}

// TestCrossProductCandidates pins the grid points of cross-product tune
// grids, in order, as the tuned file lists them; recorded before issue 17
// (like TestBuiltinGridIDs), with the forms the built-in experiments do not
// use: "all", and tune overriding set.
func TestCrossProductCandidates(t *testing.T) {
	variants := []harness.PolicyVariant{
		{Policy: "random", Set: map[string]any{"max_ms": 900, "min_ms": 50}, Tune: map[string]any{"min_ms": []any{100, 200.5}}},
		{Policy: "oracle_best_per_regime", Tune: map[string]any{"map": "all"}},
		{Policy: "oracle_best_per_regime", Set: map[string]any{"arms": "wide5"}, Tune: map[string]any{"map": "all", "min_jitter_ms": []any{0, 5}}},
		{Policy: "quantile_decay", Tune: map[string]any{"p": []any{0.9, 0.99}, "mult": []any{[]any{2, 6}, []any{3, 9}}, "decay": []any{0.9, 0.95, 0.99}}},
	}
	var b strings.Builder
	for i, pv := range variants {
		cands, err := pv.Candidates()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "variants[%d] %s: %d points\n", i, pv.Policy, len(cands))
		for _, c := range cands {
			fmt.Fprintf(&b, "  %s\n", strings.Join(c, " "))
		}
	}
	golden.Check(t, "testdata/candidates_cross.golden", []byte(b.String()))
}
