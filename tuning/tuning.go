// Package tuning chooses baseline parameters per scenario by grid search on
// an experiment's tuning seeds, as the BALLAST paper's protocol prescribes
// (section 6.1): "we tune parameters per scenario on a disjoint set of
// tuning seeds, then report results on the fixed report seeds. The tuning
// objective is lexicographic: minimize unwritable fraction first, then
// recovery mean time." The metrics come from the same analysis code as the
// reported tables, through RunMetrics.
package tuning

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ballast-bench/ballast/harness"
)

// RunMetrics derives per-run metrics (by name) from one events file.
type RunMetrics func(eventsPath string) (map[string]float64, error)

// Options control a tuning search.
type Options struct {
	OutDir   string // where tuning runs go (an experiment's runs directory)
	Workers  int
	MaxSeeds int // use only the first MaxSeeds tuning seeds (0: all)
	Progress harness.Progress
	Metrics  RunMetrics
}

type group struct {
	scenario string
	pv       *harness.PolicyVariant
	cands    [][]string
	jobs     [][]*harness.Job // [candidate][seed]
}

// CandidateVariant names grid point k of a variant in run outputs:
// "<variant>.c<k>" (its policy overrides are in the run's params column,
// a heartbeat setting in its heartbeat_us column).
func CandidateVariant(variant string, k int) string { return fmt.Sprintf("%s.c%d", variant, k) }

// Tune runs every grid point of every tunable policy variant in every
// scenario on the tuning seeds (resumably, through harness.Sweep), scores
// each by the means over seeds of the experiment's objective metrics, and
// returns the choices. Ties keep the earlier grid point.
func Tune(ctx context.Context, e *harness.Experiment, opt Options) (*Tuned, error) {
	seeds := e.SeedList(harness.SetTuning)
	if len(seeds) == 0 {
		return nil, fmt.Errorf("experiment %s has no tuning seeds; allowed: add seeds.tuning to the experiment file", e.Name)
	}
	if opt.MaxSeeds > 0 && opt.MaxSeeds < len(seeds) {
		seeds = seeds[:opt.MaxSeeds]
	}
	var groups []*group
	var all []*harness.Job
	for _, s := range e.ScenarioList() {
		for i := range e.Policies {
			pv := &e.Policies[i]
			if pv.Tune == nil {
				continue
			}
			cands, err := pv.Candidates()
			if err != nil {
				return nil, err
			}
			g := &group{scenario: s.Name, pv: pv, cands: cands}
			for k, c := range cands {
				var row []*harness.Job
				for _, seed := range seeds {
					j, err := e.NewJob(len(all), s, pv.Policy, CandidateVariant(pv.Variant, k), c, seed, harness.SetTuning)
					if err != nil {
						return nil, err
					}
					all = append(all, j)
					row = append(row, j)
				}
				g.jobs = append(g.jobs, row)
			}
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("experiment %s declares no tune: grid; allowed: add tune: {param: [values...]} to a policy entry", e.Name)
	}
	if _, err := harness.Sweep(ctx, all, harness.Options{OutDir: opt.OutDir, Workers: opt.Workers, Shard: harness.All, Progress: opt.Progress}); err != nil {
		return nil, err
	}
	objective := e.ObjectiveOrDefault()
	t := &Tuned{Experiment: e.Name, CodeVersion: harness.CodeVersion(), Objective: objective, TuningSeeds: seeds}
	for _, g := range groups {
		choice := TunedChoice{Scenario: g.scenario, Policy: g.pv.Policy, Variant: g.pv.Variant}
		best := -1
		for k, row := range g.jobs {
			scores, err := score(opt, objective, opt.OutDir, row)
			if err != nil {
				return nil, err
			}
			choice.Candidates = append(choice.Candidates, TunedCandidate{Set: g.cands[k], Scores: scores})
			if best < 0 || Less(scores, choice.Candidates[best].Scores) {
				best = k
			}
		}
		choice.Chosen = g.cands[best]
		t.Choices = append(t.Choices, choice)
	}
	return t, nil
}

// score is the mean over seeds of each objective metric. A run without a
// value for a metric (say, no recovery at all) counts as 0 for it: nothing
// to recover from is the best outcome, not a missing one.
func score(opt Options, objective []string, outDir string, row []*harness.Job) ([]float64, error) {
	sums := make([]float64, len(objective))
	for _, j := range row {
		m, err := opt.Metrics(filepath.Join(outDir, j.EventsPath()))
		if err != nil {
			return nil, fmt.Errorf("run %s (seed %d): %w", j.Run.Info.RunID, j.Run.Info.Seed, err)
		}
		for i, name := range objective {
			v, ok := m[name]
			if !ok {
				return nil, fmt.Errorf("objective metric %q is unknown; allowed: %s", name, strings.Join(sortedKeys(m), ", "))
			}
			if !math.IsNaN(v) {
				sums[i] += v
			}
		}
	}
	for i := range sums {
		sums[i] /= float64(len(row))
	}
	return sums, nil
}

// Less compares score vectors lexicographically (lower is better).
func Less(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
