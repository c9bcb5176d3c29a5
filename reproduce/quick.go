package reproduce

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/ballast-bench/ballast/configs"
	"github.com/ballast-bench/ballast/internal/atomicfile"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// quickConfigs writes, under dir, a copy of experiment x whose scenarios
// longer than x.QuickMaxDurationS are cut to that length (each cut
// scenario a copy of the built-in file with only duration_s changed, so
// everything it schedules before the cut happens as in the full run). It
// returns the derived experiment file and one note per cut scenario.
//
// Why files and not an in-memory override: a run's identity hashes the
// scenario's content, and the derived files let anyone rerun exactly what
// the quick report shows with 'ballast run DIR/experiments/NAME.yaml'.
func quickConfigs(dir string, x *Experiment) (string, []string, error) {
	data, err := fs.ReadFile(configs.Experiments, path.Join("experiments", x.Name+".yaml"))
	if err != nil {
		return "", nil, fmt.Errorf("experiment %q: no such built-in experiment", x.Name)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", nil, err
	}
	seq := mapValue(doc.Content[0], "scenarios")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return "", nil, fmt.Errorf("configs/experiments/%s.yaml: scenarios: not a list", x.Name)
	}
	var notes []string
	for _, item := range seq.Content {
		s, err := scenario.Load(item.Value)
		if err != nil {
			return "", nil, err
		}
		if s.DurationS <= x.QuickMaxDurationS {
			continue
		}
		sdata, err := fs.ReadFile(configs.Scenarios, path.Join("scenarios", s.Name+".yaml"))
		if err != nil {
			return "", nil, fmt.Errorf("scenario %q: quick mode cuts built-in scenarios only", item.Value)
		}
		var sdoc yaml.Node
		if err := yaml.Unmarshal(sdata, &sdoc); err != nil {
			return "", nil, err
		}
		dur := mapValue(sdoc.Content[0], "duration_s")
		if dur == nil {
			return "", nil, fmt.Errorf("configs/scenarios/%s.yaml: no duration_s", s.Name)
		}
		cut := strconv.FormatFloat(x.QuickMaxDurationS, 'f', -1, 64)
		dur.Value, dur.Tag, dur.LineComment = cut, "!!float", "quick mode: cut from "+strconv.FormatFloat(s.DurationS, 'f', -1, 64)
		head := fmt.Sprintf("# Derived by 'ballast reproduce --quick' from configs/scenarios/%s.yaml:\n# duration_s cut from %g s to %s s; nothing else changed.\n", s.Name, s.DurationS, cut)
		if err := writeYAML(filepath.Join(dir, "scenarios", s.Name+".yaml"), head, &sdoc); err != nil {
			return "", nil, err
		}
		item.Value = "../scenarios/" + s.Name + ".yaml"
		notes = append(notes, fmt.Sprintf("quick mode: scenario %s cut from %g s to %s s (configs/scenarios/%s.yaml with only duration_s changed)", s.Name, s.DurationS, cut, s.Name))
	}
	p := filepath.Join(dir, "experiments", x.Name+".yaml")
	head := fmt.Sprintf("# Derived by 'ballast reproduce --quick' from configs/experiments/%s.yaml:\n# long scenarios replaced by cut copies in ../scenarios/.\n", x.Name)
	if err := writeYAML(p, head, &doc); err != nil {
		return "", nil, err
	}
	return p, notes, nil
}

// mapValue returns the value node of key in mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// writeYAML encodes doc after a header comment and renames it into place.
func writeYAML(p, head string, doc *yaml.Node) error {
	var b bytes.Buffer
	b.WriteString(head)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	_, _, err := atomicfile.WriteFile(p, b.Bytes())
	return err
}
