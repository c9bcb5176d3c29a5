// Package published reads the papers' numbers kept as reference data in
// configs/published/ (schema: configs/published/README.md). The numbers are
// used only to be put beside ours in the reproduction report: nothing that
// runs a simulation or chooses a parameter may import this package.
package published

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ballast-bench/ballast/internal/configfile"
)

// Dir is where the files live, relative to the repository root.
const Dir = "configs/published"

// File is one published table or figure.
type File struct {
	Source   Source   `yaml:"source"`
	Title    string   `yaml:"title"`
	Scenario string   `yaml:"scenario"`
	Seeds    int      `yaml:"seeds"`
	Interval string   `yaml:"interval"`
	Columns  []Column `yaml:"columns"`
	Rows     []Row    `yaml:"rows"`
	Quotes   []string `yaml:"quotes"`
	Notes    []string `yaml:"notes"`

	Path string `yaml:"-"` // the file it was read from
}

// Source says where the numbers are printed.
type Source struct {
	Document  string `yaml:"document"`
	Cite      string `yaml:"cite"` // a key of Sources
	Section   string `yaml:"section"`
	Table     string `yaml:"table"`
	Figure    string `yaml:"figure"`
	Numbering string `yaml:"numbering"`
}

// Column is a printed column.
type Column struct {
	Key   string `yaml:"key"`
	Label string `yaml:"label"`
	Unit  string `yaml:"unit"`
}

// Row is a printed row.
type Row struct {
	Key      string          `yaml:"key"`
	Label    string          `yaml:"label"`
	Scenario string          `yaml:"scenario"`
	Cells    map[string]Cell `yaml:"cells"`
}

// Cell is one printed value.
type Cell struct {
	Value   Value     `yaml:"value"`
	CI      []float64 `yaml:"ci"`
	Approx  bool      `yaml:"approx"`
	Derived string    `yaml:"derived"`
}

// Value is a number as printed (Text keeps the printed digits: "0.0314",
// "10.0") or a statement (Num is NaN, IsNum false).
type Value struct {
	Text  string
	Num   float64
	IsNum bool
}

// UnmarshalYAML keeps the literal of a number so it prints as published.
func (v *Value) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("a value is a number or a string")
	}
	v.Text, v.Num, v.IsNum = n.Value, math.NaN(), false
	if n.Tag == "!!int" || n.Tag == "!!float" {
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return fmt.Errorf("number %q: %v", n.Value, err)
		}
		v.Num, v.IsNum = f, true
	}
	return nil
}

// Validate implements configfile.Validator: the schema's rules.
func (f *File) Validate() *configfile.FieldError {
	errf := configfile.Errorf
	if f.Source.Section == "" || (f.Source.Table == "" && f.Source.Figure == "") {
		return errf("source", "needs cite, section and a table or figure")
	}
	if _, ok := Cite(f.Source.Cite); !ok {
		return errf("source.cite", "%q; allowed: %s (docs/sources.md)", f.Source.Cite, strings.Join(SourceKeys(), ", "))
	}
	if f.Title == "" {
		return errf("title", "missing; allowed: what the table shows")
	}
	if len(f.Columns) == 0 || len(f.Rows) == 0 {
		return errf("rows", "a file needs columns and rows")
	}
	cols := map[string]bool{}
	for i, c := range f.Columns {
		if c.Key == "" || cols[c.Key] {
			return errf(fmt.Sprintf("columns[%d].key", i), "%q; allowed: a unique, non-empty key", c.Key)
		}
		cols[c.Key] = true
	}
	rows := map[string]bool{}
	for i, r := range f.Rows {
		if r.Key == "" || rows[r.Key] {
			return errf(fmt.Sprintf("rows[%d].key", i), "%q; allowed: a unique, non-empty key", r.Key)
		}
		rows[r.Key] = true
		for k := range r.Cells {
			if !cols[k] {
				return errf(fmt.Sprintf("rows[%d].cells.%s", i, k), "no such column; allowed: a key of columns")
			}
		}
	}
	return nil
}

// Load reads NAME.yaml (NAME without extension) from dir.
func Load(dir, name string) (*File, error) {
	path := filepath.Join(dir, name+".yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("published numbers %s: %w; allowed: a file of %s (run from the repository root)", path, unwrap(err), Dir)
	}
	f := &File{}
	if err := configfile.Decode(path, data, f); err != nil {
		return nil, err
	}
	f.Path = path
	return f, nil
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Row returns the row with key, or nil.
func (f *File) Row(key string) *Row {
	for i := range f.Rows {
		if f.Rows[i].Key == key {
			return &f.Rows[i]
		}
	}
	return nil
}

// Column returns the column with key, or nil.
func (f *File) Column(key string) *Column {
	for i := range f.Columns {
		if f.Columns[i].Key == key {
			return &f.Columns[i]
		}
	}
	return nil
}

// Num is the numeric value of row's cell in column col: NaN when the row,
// the cell or a number is missing (not printed).
func (f *File) Num(row, col string) float64 {
	c, ok := f.Cell(row, col)
	if !ok || !c.Value.IsNum {
		return math.NaN()
	}
	return c.Value.Num
}

// Cell returns row's cell in column col.
func (f *File) Cell(row, col string) (Cell, bool) {
	r := f.Row(row)
	if r == nil {
		return Cell{}, false
	}
	c, ok := r.Cells[col]
	return c, ok
}

// Where names the source for a report: "BALLAST paper, 6.2 Main results
// ..., Table 1".
func (f *File) Where() string {
	s := f.Source.Document + ", " + f.Source.Section
	if f.Source.Table != "" {
		s += ", " + f.Source.Table
	}
	if f.Source.Figure != "" {
		s += ", " + f.Source.Figure
	}
	return s
}
