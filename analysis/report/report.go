// Package report turns analysed runs into the papers' tables and the data
// of their figures: it groups runs into cells (experiment, scenario,
// policy, variant), computes each cell's mean over seeds with a seeded
// percentile-bootstrap interval, checks ablation variants against their
// base, and builds table.Table values. Rendering is left to package table
// and package plot; a later 'make reproduce' calls these builders to map
// experiments to the papers' tables.
package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/stats"
)

// Cell is the runs of one method (policy and variant) in one scenario of
// one experiment: one per seed, sorted by seed.
type Cell struct {
	Experiment, Scenario, Policy, Variant string
	ConfigHash                            string
	Runs                                  []*metrics.RunRow

	label string // set when Method would not tell two cells apart
}

// Method is the row label: the policy, with the variant when it is not
// the policy's defaults ("" or "default"). Unnamed variants of one policy
// with different parameters (single 'ballast sim --set' runs) are told
// apart by their parameters: "random{max_ms=450;min_ms=150}".
func (c *Cell) Method() string {
	if c.label != "" {
		return c.label
	}
	if c.Variant == "" || c.Variant == "default" {
		return c.Policy
	}
	return c.Policy + "/" + c.Variant
}

// Seeds lists the cell's seeds.
func (c *Cell) Seeds() []int64 {
	s := make([]int64, len(c.Runs))
	for i, r := range c.Runs {
		s[i] = r.Seed
	}
	return s
}

// Selection picks the cells of one table.
type Selection struct {
	Experiment string   // "" only if the runs hold one experiment
	Scenario   string   // "" only if the selected runs hold one scenario
	Methods    []string // row order and filter (Method names); nil: all, sorted
}

// Options are the statistics settings.
type Options struct {
	Seed      uint64 // bootstrap base seed
	Resamples int    // B; stats.DefaultResamples if 0
	Level     float64
}

// Report holds the analysed tables and answers table and figure queries.
type Report struct {
	T     *metrics.Tables
	Opt   Options
	cells []*Cell
}

// New groups the runs of t into cells: runs of one experiment, scenario,
// policy, variant and configuration (config hash), one per seed.
func New(t *metrics.Tables, opt Options) (*Report, error) {
	r := &Report{T: t, Opt: opt}
	byKey := map[string]*Cell{}
	for i := range t.Runs {
		row := &t.Runs[i]
		key := strings.Join([]string{row.Experiment, row.Scenario, row.Policy, row.Variant, row.ConfigHash}, "\x00")
		c := byKey[key]
		if c == nil {
			c = &Cell{Experiment: row.Experiment, Scenario: row.Scenario, Policy: row.Policy, Variant: row.Variant, ConfigHash: row.ConfigHash}
			byKey[key] = c
			r.cells = append(r.cells, c)
		}
		for _, o := range c.Runs {
			if o.Seed == row.Seed {
				return nil, fmt.Errorf("experiment %q scenario %s method %s: seed %d twice (runs %s, %s); allowed: one run per seed",
					row.Experiment, row.Scenario, c.Method(), row.Seed, o.RunID, row.RunID)
			}
		}
		c.Runs = append(c.Runs, row)
	}
	for _, c := range r.cells {
		slices.SortFunc(c.Runs, func(a, b *metrics.RunRow) int { return cmp.Compare(a.Seed, b.Seed) })
	}
	slices.SortFunc(r.cells, func(a, b *Cell) int {
		return cmp.Or(cmp.Compare(a.Experiment, b.Experiment), cmp.Compare(a.Scenario, b.Scenario),
			cmp.Compare(a.Policy, b.Policy), cmp.Compare(a.Variant, b.Variant), cmp.Compare(a.Runs[0].Params, b.Runs[0].Params))
	})
	count := map[string]int{}
	name := func(c *Cell) string { return c.Experiment + "\x00" + c.Scenario + "\x00" + c.Method() }
	for _, c := range r.cells {
		count[name(c)]++
	}
	for _, c := range r.cells {
		if count[name(c)] > 1 {
			c.label = c.Method() + "{" + c.Runs[0].Params + "}"
		}
	}
	return r, nil
}

// Cells returns every cell, sorted by experiment, scenario, policy and
// variant.
func (r *Report) Cells() []*Cell { return r.cells }

func distinct(cells []*Cell, f func(*Cell) string) []string {
	var out []string
	for _, c := range cells {
		out = append(out, f(c))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// Select returns the cells of sel in row order, and sel with its
// experiment and scenario filled in.
func (r *Report) Select(sel Selection) ([]*Cell, Selection, error) {
	cells := r.cells
	if len(cells) == 0 {
		return nil, sel, fmt.Errorf("no runs in the analysis")
	}
	exps := distinct(cells, func(c *Cell) string { return c.Experiment })
	if sel.Experiment == "" && len(exps) == 1 {
		sel.Experiment = exps[0]
	}
	if sel.Experiment == "" && len(exps) > 1 {
		return nil, sel, fmt.Errorf("--experiment: the runs hold %d experiments, name one; allowed: %s", len(exps), quoteAll(exps))
	}
	if !slices.Contains(exps, sel.Experiment) {
		return nil, sel, fmt.Errorf("--experiment %q: allowed: %s", sel.Experiment, quoteAll(exps))
	}
	cells = slices.DeleteFunc(slices.Clone(cells), func(c *Cell) bool { return c.Experiment != sel.Experiment })
	scens := distinct(cells, func(c *Cell) string { return c.Scenario })
	if sel.Scenario == "" && len(scens) == 1 {
		sel.Scenario = scens[0]
	}
	if sel.Scenario == "" && len(scens) > 1 {
		return nil, sel, fmt.Errorf("--scenario: experiment %s has %d scenarios, name one; allowed: %s", sel.Experiment, len(scens), quoteAll(scens))
	}
	if !slices.Contains(scens, sel.Scenario) {
		return nil, sel, fmt.Errorf("--scenario %q: allowed: %s", sel.Scenario, quoteAll(scens))
	}
	cells = slices.DeleteFunc(cells, func(c *Cell) bool { return c.Scenario != sel.Scenario })
	if sel.Methods == nil {
		return cells, sel, nil
	}
	var out []*Cell
	for _, m := range sel.Methods {
		i := slices.IndexFunc(cells, func(c *Cell) bool { return c.Method() == m })
		if i < 0 {
			return nil, sel, fmt.Errorf("--methods: %q: allowed: %s", m, quoteAll(distinct(cells, (*Cell).Method)))
		}
		out = append(out, cells[i])
	}
	return out, sel, nil
}

// Values returns m per run of c, NaN where undefined.
func (c *Cell) Values(m metrics.Metric) []float64 {
	v := make([]float64, len(c.Runs))
	for i, r := range c.Runs {
		v[i] = m.Get(r)
	}
	return v
}

// CI is the cell's mean of m over the seeds where it is defined, with its
// percentile-bootstrap interval. The bootstrap seed depends only on the
// base seed and the cell and metric names.
func (r *Report) CI(c *Cell, m metrics.Metric) stats.CI {
	bs := stats.Bootstrap{B: r.Opt.Resamples, Level: r.Opt.Level}
	return bs.Mean(stats.Defined(c.Values(m)), stats.Seed(r.Opt.Seed, c.Experiment, c.Scenario, c.Policy, c.Variant, m.Name))
}

// MaxOverSeeds is the largest per-seed value of m (Table A.1).
func (c *Cell) MaxOverSeeds(m metrics.Metric) float64 {
	return stats.Max(stats.Defined(c.Values(m)))
}

// seedRanges prints sorted seeds compactly: "1-30", "1-3, 7".
func seedRanges(seeds []int64) string {
	s := slices.Clone(seeds)
	slices.Sort(s)
	s = slices.Compact(s)
	var parts []string
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", s[i], s[j]))
		} else {
			parts = append(parts, strconv.FormatInt(s[i], 10))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
