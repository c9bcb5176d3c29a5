package harness

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ballast-bench/ballast/sim/etcdraft"
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

// NewJob resolves one run of the experiment. set holds the policy's
// overrides and the run settings (HeartbeatSetting).
func (e *Experiment) NewJob(index int, s *scenario.Scenario, policy, variant string, set []string, seed uint64, label string) (*Job, error) {
	r, err := Resolve(Spec{Scenario: s, Policy: policy, Set: set, Seed: seed, SeedSet: label, Engine: e.Engine, Experiment: e.Name, Variant: variant})
	if err != nil {
		return nil, fmt.Errorf("experiment %s, scenario %s, policy %s/%s: %w", e.Name, s.Name, policy, variant, err)
	}
	return &Job{Index: index, Run: r}, nil
}

// HeartbeatSetting sets a run's heartbeat interval in ms, in place of its
// scenario's raft.heartbeat_ms, from a variant's set:, its tune: grid or a
// tuned file's choice. It is a run setting, not a policy parameter (and so
// distinct from a policy's own heartbeat_ms, Dynatune's first interval):
// the run simulates a copy of its scenario with this interval, so the
// interval enters the scenario hash, hence the config hash and the run ID,
// and everything that follows the scenario's heartbeat follows it too: the
// engines' heartbeat schedules and raft's tick, the policies' view of the
// interval, the runs table's heartbeat_us and with it the metrics' grace
// window. A run without it simulates its scenario itself and keeps its id.
const HeartbeatSetting = "raft.heartbeat_ms"

// splitSettings separates set into the policy's overrides and the value of
// HeartbeatSetting ("" when set has none; the last one wins, as for a
// parameter). Policy parameters have no dot in their names, so any other
// name with one is a misspelt setting.
func splitSettings(set []string) (params []string, heartbeat string, err error) {
	for _, o := range set {
		name, v, _ := strings.Cut(o, "=")
		switch {
		case name == HeartbeatSetting:
			heartbeat = v
		case strings.Contains(name, "."):
			return nil, "", fmt.Errorf("%s: unknown run setting; allowed: %s, or a policy parameter", name, HeartbeatSetting)
		default:
			params = append(params, o)
		}
	}
	return params, heartbeat, nil
}

// withHeartbeat is s with the heartbeat interval hb (ms), checked as the
// scenario file would be (the interval's range, the work limits) and, on
// the etcd engine, against the CheckQuorum lease (raft's ElectionTick).
func withHeartbeat(s *scenario.Scenario, engine, hb string) (*scenario.Scenario, error) {
	ms, err := strconv.ParseFloat(hb, 64)
	if err != nil {
		return nil, fmt.Errorf("%s: %q is not allowed; allowed: milliseconds, one number", HeartbeatSetting, hb)
	}
	c := *s
	c.Raft.HeartbeatMS = ms
	if fe := c.Validate(); fe != nil {
		return nil, fmt.Errorf("%s=%s on scenario %s: %s: %s", HeartbeatSetting, hb, s.Name, fe.Path, fe.Msg)
	}
	// Every engine but the fast model runs go.etcd.io/raft (the live
	// mode's nodes too), whose ticks need the lease to span two intervals.
	if engine != "fast" {
		if _, err := etcdraft.ElectionTick(&c); err != nil {
			return nil, fmt.Errorf("%s=%s on scenario %s: %v; allowed: at most lease_ms/1.5 = %.4g ms on this scenario", HeartbeatSetting, hb, s.Name, err, float64(c.LeaseUS())/1000/1.5)
		}
	}
	return &c, nil
}

// ScenarioList returns the experiment's resolved scenarios, in file order.
func (e *Experiment) ScenarioList() []*scenario.Scenario { return e.scenarios }
