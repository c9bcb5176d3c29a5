package harness

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ballast-bench/ballast/configs"
	"github.com/ballast-bench/ballast/internal/configfile"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/stream"
	"go.yaml.in/yaml/v3"
)

// Experiment is one experiment file (configs/experiments/*.yaml): a grid of
// scenarios x policy variants x seeds, run on one engine.
type Experiment struct {
	Name        string          `yaml:"name"`
	Description string          `yaml:"description"`
	Engine      string          `yaml:"engine,omitempty"`
	Scenarios   []string        `yaml:"scenarios"`
	Policies    []PolicyVariant `yaml:"policies"`
	Seeds       SeedSets        `yaml:"seeds"`
	// Outputs lists what a run writes; "events" (the Parquet event log) is
	// the only output so far and the default.
	Outputs []string `yaml:"outputs,omitempty"`
	// Objective ranks tuning candidates lexicographically, lower first, by
	// per-run metric columns (default: unwritable_frac, then
	// recovery_mean_us).
	Objective []string `yaml:"objective,omitempty"`

	file      string
	scenarios []*scenario.Scenario
	tuned     map[TunedKey][]string
	tunedFrom string
}

// DefaultObjective is the BALLAST paper's tuning objective (section 6.1):
// "minimize unwritable fraction first, then recovery mean time". Names are
// per-run metric columns of the analysis (docs/metrics.md).
var DefaultObjective = []string{"unwritable_frac", "recovery_mean_us"}

// PolicyVariant is one policy with a named set of parameter overrides.
type PolicyVariant struct {
	Policy  string `yaml:"policy"`
	Variant string `yaml:"variant,omitempty"` // default "default"
	// Set overrides parameters (numbers, lists of numbers, or names) and
	// run settings (HeartbeatSetting).
	Set map[string]any `yaml:"set,omitempty"`
	// Tune declares a grid searched by 'ballast tune' on the tuning seeds,
	// per scenario (Candidates). Each parameter (or run setting) maps to
	// a list of candidate values, or to "all" for every combination of an
	// integer list parameter's range (the regime-to-arm maps of
	// oracle_best_per_regime); these axes are crossed. Coupled parameters
	// go in "points" (a list of explicit points) or "together" (lists of
	// one length that advance together). Report runs then use the chosen
	// values from configs/tuned/<experiment>.yaml.
	Tune map[string]any `yaml:"tune,omitempty"`
}

// SeedSets are the experiment's disjoint seed sets. Each set is a count (the
// first N seeds derived from the master seed and the set's label) or an
// explicit list of seeds.
type SeedSets struct {
	Master uint64   `yaml:"master"`
	Tuning *SeedSet `yaml:"tuning,omitempty"`
	Report *SeedSet `yaml:"report"`
}

// SeedSet is a count or a list; YAML accepts either "30" or "[1, 2, 3]".
type SeedSet struct {
	Count int
	List  []uint64
}

// UnmarshalYAML accepts a count or a list of seeds, whole numbers only (a
// fraction is refused, not truncated).
func (s *SeedSet) UnmarshalYAML(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int":
		return n.Decode(&s.Count)
	case n.Kind == yaml.SequenceNode:
		for _, c := range n.Content {
			if c.ShortTag() != "!!int" {
				return &configfile.FieldError{Line: c.Line, Column: c.Column, Msg: fmt.Sprintf("%q is not a seed; allowed: a count, or a list of whole-number seeds", c.Value)}
			}
		}
		return n.Decode(&s.List)
	}
	return &configfile.FieldError{Line: n.Line, Column: n.Column, Msg: fmt.Sprintf("%q is not a seed set; allowed: a count, or a list of whole-number seeds", n.Value)}
}

// The seed-set labels.
const (
	SetTuning = "tuning"
	SetReport = "report"
)

// maxExperimentBytes bounds an experiment file.
const maxExperimentBytes = 1 << 20

// MaxGridRuns bounds an experiment's grid (scenarios x variants, tuning
// points included, x seeds): it is held in memory, about a kilobyte a run.
const MaxGridRuns = 200_000

// maxSeed keeps seeds below 2^63 so they fit the runs table's int64 column.
const maxSeed = math.MaxInt64

// DeriveSeed is seed number i (0-based) of the set labelled label:
// stream.Hash64(master, "seedset/"+label, i) with the top bit cleared.
// Sets with different labels are disjoint with overwhelming probability;
// Validate checks it anyway.
func DeriveSeed(master uint64, label string, i int) uint64 {
	return stream.Hash64(master, "seedset/"+label, i) & maxSeed
}

// SeedList returns the seeds of set label (SetTuning or SetReport).
func (e *Experiment) SeedList(label string) []uint64 {
	set := e.Seeds.Report
	if label == SetTuning {
		set = e.Seeds.Tuning
	}
	if set == nil {
		return nil
	}
	if set.List != nil {
		return set.List
	}
	out := make([]uint64, set.Count)
	for i := range out {
		out[i] = DeriveSeed(e.Seeds.Master, label, i)
	}
	return out
}

// Validate implements configfile.Validator.
func (e *Experiment) Validate() *configfile.FieldError {
	errf := configfile.Errorf
	if !validName(e.Name) {
		return errf("name", "%q is not allowed; allowed: a short identifier such as table1_main (letters, digits, '_', '-', '.'; not starting with '.')", e.Name)
	}
	if e.Engine == "" {
		e.Engine = "fast"
	}
	if _, ok := Engines[e.Engine]; !ok {
		return errf("engine", "unknown engine %q; allowed: %s", e.Engine, strings.Join(EngineNames(), ", "))
	}
	if len(e.Scenarios) == 0 {
		return errf("scenarios", "empty; allowed: one or more scenario names or files")
	}
	e.scenarios = nil
	scenarioAt := map[string]int{}
	for i, name := range e.Scenarios {
		s, err := scenario.Load(e.resolvePath(name))
		if err != nil {
			return errf(fmt.Sprintf("scenarios[%d]", i), "%v", err)
		}
		if j, dup := scenarioAt[s.Name]; dup {
			return errf(fmt.Sprintf("scenarios[%d]", i), "scenario %s is already scenarios[%d]; allowed: each scenario once (it would run every run twice)", s.Name, j)
		}
		scenarioAt[s.Name] = i
		e.scenarios = append(e.scenarios, s)
	}
	if len(e.Policies) == 0 {
		return errf("policies", "empty; allowed: one or more {policy, variant, set} entries")
	}
	seen := map[string]int{}
	gridPoints := 0                 // policy variants, each tune grid point counted
	heartbeats := map[string]bool{} // heartbeat settings checked on every scenario
	for i := range e.Policies {
		pv := &e.Policies[i]
		p := fmt.Sprintf("policies[%d]", i)
		gridPoints++
		if pv.Variant == "" {
			pv.Variant = "default"
		}
		if !validName(pv.Variant) {
			return errf(p+".variant", "%q is not allowed; allowed: letters, digits, '_', '-' and '.'", pv.Variant)
		}
		if _, err := policies.Lookup(pv.Policy); err != nil {
			return errf(p+".policy", "%v", err)
		}
		set, err := pv.Overrides()
		if err != nil {
			return errf(p+".set", "%v", err)
		}
		if err := e.checkOverrides(pv.Policy, set, heartbeats); err != nil {
			return errf(p+".set", "%v", err)
		}
		if pv.Tune != nil {
			cands, err := pv.Candidates()
			var te *tuneError
			if errors.As(err, &te) {
				return errf(p+".tune."+te.at, "%s", te.msg)
			}
			if err != nil {
				return errf(p+".tune", "%v", err)
			}
			for _, c := range cands {
				if err := e.checkOverrides(pv.Policy, c, heartbeats); err != nil {
					return errf(p+".tune", "candidate %v: %v", c, err)
				}
			}
			gridPoints += len(cands)
		}
		key := pv.Policy + "/" + pv.Variant
		if j, dup := seen[key]; dup {
			return errf(p+".variant", "policy %s variant %q is already policies[%d]; allowed: a unique variant name per policy", pv.Policy, pv.Variant, j)
		}
		seen[key] = i
	}
	if e.Seeds.Report == nil {
		return errf("seeds.report", "missing; allowed: a count or a list of seeds")
	}
	for _, c := range []struct {
		label string
		set   *SeedSet
	}{{SetTuning, e.Seeds.Tuning}, {SetReport, e.Seeds.Report}} {
		if c.set == nil {
			continue
		}
		if c.set.List == nil && (c.set.Count < 1 || c.set.Count > 1_000_000) {
			return errf("seeds."+c.label, "%d is not allowed; allowed: a count in [1, 1000000] or a list of seeds", c.set.Count)
		}
		seen := map[uint64]bool{}
		for _, s := range e.SeedList(c.label) {
			if s > maxSeed {
				return errf("seeds."+c.label, "seed %d is not allowed; allowed: seeds below 2^63", s)
			}
			if seen[s] {
				return errf("seeds."+c.label, "seed %d appears twice; allowed: distinct seeds", s)
			}
			seen[s] = true
		}
	}
	// The grid is held in memory (one resolved run each): bound it.
	if runs := len(e.Scenarios) * gridPoints * max(len(e.SeedList(SetReport)), len(e.SeedList(SetTuning))); runs > MaxGridRuns {
		return errf("seeds", "the grid has %d scenarios x %d policy variants and tuning points x seeds = %d runs; allowed: at most %d per experiment (split it into several experiments)",
			len(e.Scenarios), gridPoints, runs, MaxGridRuns)
	}
	tuning := map[uint64]bool{}
	for _, s := range e.SeedList(SetTuning) {
		tuning[s] = true
	}
	for _, s := range e.SeedList(SetReport) {
		if tuning[s] {
			return errf("seeds.report", "seed %d is also a tuning seed; allowed: report seeds disjoint from tuning seeds, so results are not reported on the seeds they were tuned on", s)
		}
	}
	for i, o := range e.Objective {
		if !validName(o) {
			return errf(fmt.Sprintf("objective[%d]", i), "%q is not allowed; allowed: a per-run metric name such as unwritable_fraction", o)
		}
	}
	for i, o := range e.Outputs {
		if o != "events" {
			return errf(fmt.Sprintf("outputs[%d]", i), "unknown output %q; allowed: events", o)
		}
	}
	return nil
}

// checkOverrides checks one variant's or grid point's overrides: the
// policy's parameters, and each run setting on every scenario (once per
// value: checked records them).
func (e *Experiment) checkOverrides(policy string, set []string, checked map[string]bool) error {
	params, hb, err := splitSettings(set)
	if err != nil {
		return err
	}
	if _, _, err := policies.Build(policy, params...); err != nil && !trainedLater(err) {
		return err
	}
	if hb != "" && !checked[hb] {
		for _, s := range e.scenarios {
			if _, err := withHeartbeat(s, e.Engine, hb); err != nil {
				return err
			}
		}
		checked[hb] = true
	}
	return nil
}

// validName reports whether s can name an experiment, a variant or a
// metric: letters, digits, '_', '-' and '.', not starting with '.' (so
// that it is never "..", nor a hidden file, when it names a directory).
func validName(s string) bool {
	for _, r := range s {
		if !(r == '_' || r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return s != "" && s[0] != '.'
}

// resolvePath makes scenario file paths relative to the experiment file.
func (e *Experiment) resolvePath(name string) string {
	if (strings.HasSuffix(name, ".yaml") || strings.ContainsRune(name, '/')) && !filepath.IsAbs(name) && e.file != "" && !strings.HasPrefix(e.file, "configs/experiments/") {
		return filepath.Join(filepath.Dir(e.file), name)
	}
	return name
}

// Overrides turns Set into sorted "name=value" overrides.
func (pv *PolicyVariant) Overrides() ([]string, error) {
	names := make([]string, 0, len(pv.Set))
	for n := range pv.Set {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]string, 0, len(names))
	for _, n := range names {
		v, err := formatValue(pv.Set[n])
		if err != nil {
			return nil, fmt.Errorf("%s: %v", n, err)
		}
		out = append(out, n+"="+v)
	}
	return out, nil
}

func formatValue(v any) (string, error) {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case string:
		return x, nil
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			s, err := formatValue(e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	}
	return "", fmt.Errorf("%v is not allowed; allowed: a number, a list of numbers, or a name", v)
}

// LoadExperiment resolves an experiment by built-in name or file path.
func LoadExperiment(nameOrFile string) (*Experiment, error) {
	var file string
	var data []byte
	var err error
	if strings.ContainsRune(nameOrFile, '/') || strings.HasSuffix(nameOrFile, ".yaml") {
		file = nameOrFile
		data, err = configfile.ReadFile(nameOrFile, maxExperimentBytes)
		if err != nil {
			return nil, err
		}
	} else {
		p := path.Join("experiments", nameOrFile+".yaml")
		data, err = fs.ReadFile(configs.Experiments, p)
		if err != nil {
			return nil, fmt.Errorf("experiment %q: no such built-in experiment; allowed: %s, or a path to a .yaml file", nameOrFile, strings.Join(ExperimentNames(), ", "))
		}
		file = "configs/" + p
	}
	e, err := ParseExperiment(file, data)
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(filepath.Base(file), ".yaml")
	if e.Name != base {
		return nil, &configfile.FieldError{File: file, Line: 1, Path: "name",
			Msg: fmt.Sprintf("%q differs from the file name; allowed: %q", e.Name, base)}
	}
	return e, nil
}

// ParseExperiment decodes and validates an experiment file's content;
// file names it in errors and anchors its relative scenario paths.
func ParseExperiment(file string, data []byte) (*Experiment, error) {
	e := &Experiment{file: file}
	if err := configfile.Decode(file, data, e); err != nil {
		return nil, err
	}
	return e, nil
}

// ExperimentNames lists the built-in experiments, sorted.
func ExperimentNames() []string {
	return configs.Names(configs.Experiments, "experiments")
}

// trainedLater reports whether err is only a file parameter's missing
// file: an experiment may name weights that 'ballast train' has not
// written yet. Making a run's job still fails on it.
func trainedLater(err error) bool {
	var m *policies.MissingFileError
	return errors.As(err, &m)
}
