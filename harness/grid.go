package harness

import (
	"fmt"
	"path/filepath"

	"github.com/ballast-bench/ballast/sim/scenario"
)

// Job is one run of an experiment grid.
type Job struct {
	Index int // position in the grid: scenario, then policy variant, then seed
	Run   *Run
}

// EventsPath is where the job's events file goes under an experiment's
// output directory: Hive-style partitions, so DuckDB, pandas and polars read
// the whole tree as one dataset.
func (j *Job) EventsPath() string {
	i := &j.Run.Info
	return filepath.Join("events", "seed_set="+i.SeedSet, "scenario="+i.Scenario,
		"policy="+i.Policy, "variant="+i.Variant, i.RunID+".parquet")
}

// Grid enumerates the runs of seed set label, in a fixed order that does not
// depend on sharding or parallelism. maxSeeds > 0 keeps only the first
// maxSeeds seeds of the set (a prefix, so a quick run is a subset of the
// full one).
func (e *Experiment) Grid(label string, maxSeeds int) ([]*Job, error) {
	seeds := e.SeedList(label)
	if label == SetTuning && e.Seeds.Tuning == nil {
		return nil, fmt.Errorf("experiment %s has no tuning seeds; allowed: add seeds.tuning to the experiment file", e.Name)
	}
	if maxSeeds > 0 && maxSeeds < len(seeds) {
		seeds = seeds[:maxSeeds]
	}
	var jobs []*Job
	for _, s := range e.scenarios {
		for i := range e.Policies {
			pv := &e.Policies[i]
			set, err := pv.Overrides()
			if err != nil {
				return nil, err
			}
			if pv.Tune != nil {
				if set, err = e.tunedOverrides(s.Name, pv); err != nil {
					return nil, err
				}
			}
			for _, seed := range seeds {
				j, err := e.NewJob(len(jobs), s, pv.Policy, pv.Variant, set, seed, label)
				if err != nil {
					return nil, err
				}
				jobs = append(jobs, j)
			}
		}
	}
	return jobs, nil
}

// NewJob resolves one run of the experiment.
func (e *Experiment) NewJob(index int, s *scenario.Scenario, policy, variant string, set []string, seed uint64, label string) (*Job, error) {
	r, err := Resolve(Spec{Scenario: s, Policy: policy, Set: set, Seed: seed, SeedSet: label, Engine: e.Engine, Experiment: e.Name, Variant: variant})
	if err != nil {
		return nil, fmt.Errorf("experiment %s, scenario %s, policy %s/%s: %w", e.Name, s.Name, policy, variant, err)
	}
	return &Job{Index: index, Run: r}, nil
}

// ScenarioList returns the experiment's resolved scenarios, in file order.
func (e *Experiment) ScenarioList() []*scenario.Scenario { return e.scenarios }
