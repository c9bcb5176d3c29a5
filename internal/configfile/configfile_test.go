package configfile

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type inner struct {
	Loss  *float64 `yaml:"loss,omitempty"`
	Count int      `yaml:"count"`
}

type doc struct {
	Name   string         `yaml:"name"`
	Nodes  int            `yaml:"nodes"`
	Scale  float64        `yaml:"scale"`
	On     bool           `yaml:"on"`
	Seeds  []uint64       `yaml:"seeds"`
	Inner  inner          `yaml:"inner"`
	Links  []inner        `yaml:"links"`
	Extra  map[string]any `yaml:"extra"`
	Custom custom         `yaml:"custom"`
}

// custom decodes itself (a count or a list), as harness.SeedSet does.
type custom struct{ n int }

func (c *custom) UnmarshalYAML(unmarshal func(any) error) error {
	var n int
	if err := unmarshal(&n); err == nil {
		c.n = n
		return nil
	}
	var list []int
	err := unmarshal(&list)
	c.n = len(list)
	return err
}

func (d *doc) Validate() *FieldError {
	if d.Nodes > 9 {
		return Errorf("nodes", "%d is too many; allowed: at most 9", d.Nodes)
	}
	if len(d.Links) > 1 && d.Links[1].Count < 0 {
		return Errorf("links[1].count", "%d is negative; allowed: 0 or more", d.Links[1].Count)
	}
	return nil
}

// TestDecode: every problem is one line with the file, the line, the field
// and what is allowed.
func TestDecode(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"valid", "name: a\nnodes: 3\nscale: 2\non: true\nseeds: [1, 2]\ncustom: [1, 2, 3]\nextra: {x: 1.5}\n", ""},
		{"unknown field", "name: a\nnodez: 3\n", `f.yaml:2: nodez: unknown field "nodez"; allowed: name, nodes, scale, on, seeds, inner, links, extra, custom`},
		{"unknown nested field", "inner:\n  count: 1\n  los: 0.1\n", `f.yaml:3: inner.los: unknown field "los"; allowed: loss, count`},
		{"a string into an integer", "nodes: three\n", `f.yaml:1: nodes: "three" is a string; allowed: an integer`},
		{"a fraction into an integer", "nodes: 1.5\n", `f.yaml:1: nodes: "1.5" is a number; allowed: an integer`},
		{"a fraction into a list of integers", "links:\n  - count: 1\n  - count: 4.9\n", `f.yaml:3: links[1].count: "4.9" is a number; allowed: an integer`},
		{"a fraction into an unsigned list", "seeds: [1, 2.5]\n", `f.yaml:1: seeds[1]: "2.5" is a number; allowed: a non-negative integer`},
		{"a boolean into a number", "scale: true\n", `f.yaml:1: scale: "true" is a boolean; allowed: a number`},
		{"a boolean into an integer", "inner: {count: true}\n", `f.yaml:1: inner.count: "true" is a boolean; allowed: an integer`},
		{"a number into a boolean", "on: 1\n", `f.yaml:1: on: "1" is an integer; allowed: true or false`},
		{"a pointer field", "inner: {loss: high}\n", `f.yaml:1: inner.loss: "high" is a string; allowed: a number`},
		{"an alias is checked as what it points to", "a: &x 2.5\nnodes: *x\n", "nodes"},
		{"a second document", "name: a\n---\nname: b\n", "f.yaml:2: a second YAML document; allowed: one document per file"},
		{"an empty file", "", "f.yaml: the file is empty; allowed: a YAML mapping"},
		{"invalid YAML", "name: [a\n", "f.yaml:1: invalid YAML"},
		{"a check of the caller, with its line", "nodes: 12\n", "f.yaml:1: nodes: 12 is too many; allowed: at most 9"},
		{"a check of a nested field", "links:\n  - count: 1\n  - count: -2\n", "f.yaml:3: links[1].count: -2 is negative; allowed: 0 or more"},
	}
	for _, c := range cases {
		var d doc
		err := Decode("f.yaml", []byte(c.yaml), &d)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && err == nil:
			t.Errorf("%s: accepted", c.name)
		case c.want != "" && !strings.Contains(err.Error(), c.want):
			t.Errorf("%s:\n got %v\nwant %s", c.name, err, c.want)
		case err != nil && strings.Contains(err.Error(), "\n"):
			t.Errorf("%s: more than one line: %q", c.name, err)
		}
		if err != nil {
			if _, ok := err.(*FieldError); !ok {
				t.Errorf("%s: %T, want *FieldError", c.name, err)
			}
		}
	}
}

// TestLine: the line of a dotted path is its key's line, or the nearest
// enclosing node's when the field is absent.
func TestLine(t *testing.T) {
	var root yaml.Node
	src := "name: a\nlinks:\n  - count: 1\n  - count: 2\n    loss: 0.5\n"
	if err := yaml.Unmarshal([]byte(src), &root); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{
		"name": 1, "links": 2, "links[0]": 3, "links[1].count": 4, "links[1].loss": 5,
		"links[1].missing": 4, "links[7]": 2, "": 1,
	} {
		if got := Line(&root, path); got != want {
			t.Errorf("Line(%q) = %d, want %d", path, got, want)
		}
	}
	if (&FieldError{File: "f", Line: 4, Path: "links[1].count", Msg: "m"}).Error() != "f:4: links[1].count: m" {
		t.Error("FieldError format")
	}
}
