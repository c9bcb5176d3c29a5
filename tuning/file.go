package tuning

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/internal/atomicfile"
	"github.com/ballast-bench/ballast/internal/configfile"
)

// Tuned is configs/tuned/<experiment>.yaml: the values 'ballast tune'
// chose, with their provenance.
type Tuned struct {
	Experiment  string        `yaml:"experiment"`
	CodeVersion string        `yaml:"code_version"`
	Objective   []string      `yaml:"objective"`
	TuningSeeds []uint64      `yaml:"tuning_seeds"`
	Choices     []TunedChoice `yaml:"choices"`
}

// TunedChoice is the outcome of one grid search.
type TunedChoice struct {
	Scenario   string           `yaml:"scenario"`
	Policy     string           `yaml:"policy"`
	Variant    string           `yaml:"variant"`
	Chosen     []string         `yaml:"chosen"` // the winning overrides, run settings (raft.heartbeat_ms) included
	Candidates []TunedCandidate `yaml:"candidates"`
}

// TunedCandidate is one grid point and its objective values (means over
// the tuning seeds).
type TunedCandidate struct {
	Set    []string  `yaml:"set,flow"`
	Scores []float64 `yaml:"scores,flow"`
}

// Path is where 'ballast tune' writes an experiment's choices.
func Path(experiment string) string {
	return filepath.Join("configs", "tuned", experiment+".yaml")
}

// Load reads a tuned file; a missing file is (nil, nil).
func Load(path string) (*Tuned, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var t Tuned
	if err := configfile.Decode(path, data, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Apply makes e's report grids use t's choices (t may be nil: no choices);
// path names the file in error messages.
func (t *Tuned) Apply(e *harness.Experiment, path string) {
	chosen := map[harness.TunedKey][]string{}
	if t != nil {
		for _, c := range t.Choices {
			chosen[harness.TunedKey{Scenario: c.Scenario, Policy: c.Policy, Variant: c.Variant}] = c.Chosen
		}
	}
	e.UseTuned(path, chosen)
}

// Write stores t at path atomically, with a header saying where it came from.
func Write(path string, t *Tuned) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Written by 'ballast tune %s' (code %s); do not edit by hand.\n", t.Experiment, t.CodeVersion)
	fmt.Fprintf(&b, "# Each choice lists every grid point with its objective scores (%s), means over the tuning seeds.\n", strings.Join(t.Objective, ", "))
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(t); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	_, _, err := atomicfile.WriteFile(path, b.Bytes())
	return err
}
