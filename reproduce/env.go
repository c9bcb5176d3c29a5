package reproduce

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/plot"
	"github.com/ballast-bench/ballast/analysis/report"
	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/analysis/table"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/reproduce/published"
	"github.com/ballast-bench/ballast/reproduce/trace"
)

// Experiment is how one experiment file of configs/experiments/ runs in a
// reproduction. The full mode runs the file's seed sets whole.
type Experiment struct {
	Name string
	// Quick mode runs the first QuickReport report seeds and tunes on the
	// first QuickTuning tuning seeds (0: all), and cuts scenarios longer
	// than QuickMaxDurationS seconds to that length (0: none).
	QuickReport, QuickTuning int
	QuickMaxDurationS        float64
	// TraceBinS > 0 derives the series of package trace with this bin.
	TraceBinS float64
	// Train trains the neurosym policy's weights on the experiment's
	// tuning seeds before tuning, and points its neurosym variants at them.
	Train bool
}

// Spec is how the experiment's report runs are analysed: the default
// metrics, and the traces when TraceBinS is set.
func (x *Experiment) Spec() metrics.Spec {
	var s metrics.Spec
	if x.TraceBinS > 0 {
		s.Also = trace.Also(int64(x.TraceBinS * 1e6))
	}
	return s
}

// AnalysisSpec is how the report runs of experiment name are analysed (the
// default metrics for an experiment the reproduction does not run), so
// that a sweep made outside the reproduction ('ballast run') stores the
// analysis the reproduction reads.
func AnalysisSpec(name string) metrics.Spec {
	for _, x := range Experiments {
		if x.Name == name {
			return x.Spec()
		}
	}
	return metrics.Spec{}
}

// Artifact is one table or figure of a source, and how to build it.
type Artifact struct {
	ID          string   // file stem of its outputs: tables/ID.*, figures/ID.*
	Doc         string   // "BALLAST", "Dynatune", "Blog" or "Neuro-symbolic post"
	Label       string   // as the source numbers it: "Table 1", "Figure A.3"
	Title       string   // what it shows
	Experiments []string // the experiments it reads
	Published   []string // its files of published numbers (configs/published/NAME.yaml)
	Build       func(*Env) (*Result, error)
}

// Result is what an artifact's builder produces.
type Result struct {
	Tables  []Table
	Figures []Figure
	Compare []*Comparison
	Claims  []Claim
	Notes   []string // for the report, under the artifact
}

// Table is a generated table, written as tables/NAME.{tex,md,csv}.
type Table struct {
	Name string
	T    *table.Table
}

// Figure is a generated figure, written as figures/NAME.{png,pdf}, with the
// plotted numbers as figures/NAME.csv when Data is set.
type Figure struct {
	Name    string
	Caption string
	F       plot.Figure
	Data    *table.Table
}

// Claim is a statement of a source checked against our results.
type Claim struct {
	Source string // the statement, quoted or closely paraphrased, with its place
	Check  string // how we test it on our numbers
	Ours   string // what we measured
	Holds  bool
}

// Env gives a builder the analysed experiments and the published numbers.
type Env struct {
	opt  *Options
	exps map[string]*expData
	pubs map[string]*published.File
	art  *Artifact
}

func (env *Env) forArtifact(a *Artifact) *Env {
	c := *env
	c.art = a
	return &c
}

// Quick reports whether this is a quick reproduction.
func (env *Env) Quick() bool { return env.opt.Quick }

func (env *Env) exp(name string) *expData {
	d := env.exps[name]
	if d == nil {
		panic(fmt.Sprintf("reproduce: artifact %s reads experiment %s, which it does not list", env.art.ID, name))
	}
	return d
}

func (env *Env) pub(name string) *published.File {
	f := env.pubs[name]
	if f == nil {
		panic(fmt.Sprintf("reproduce: artifact %s reads published %s, which it does not list", env.art.ID, name))
	}
	return f
}

// cell finds one method's cell in a scenario of an experiment.
func (d *expData) cell(scenario, method string) (*report.Cell, error) {
	cells, _, err := d.report.Select(report.Selection{Experiment: d.e.Name, Scenario: scenario, Methods: []string{method}})
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", d.e.Name, err)
	}
	return cells[0], nil
}

// mean is a cell's mean over seeds of a metric (NaN: no cell or no value).
func (d *expData) mean(scenario, method, metric string) float64 {
	c, err := d.cell(scenario, method)
	if err != nil {
		return math.NaN()
	}
	return stats.Mean(stats.Defined(c.Values(metrics.MustMetric(metric))))
}

// maxOver is a cell's largest per-seed value of a metric.
func (d *expData) maxOver(scenario, method, metric string) float64 {
	c, err := d.cell(scenario, method)
	if err != nil {
		return math.NaN()
	}
	return c.MaxOverSeeds(metrics.MustMetric(metric))
}

// agg says how a column summarises a metric over seeds.
type agg int

const (
	meanCI  agg = iota // mean [95% CI]
	meanVal            // mean only
	maxOver            // the largest per-seed value
)

// col is one numeric column of a generated table: a catalog metric,
// or a per-run value Get (for what the metrics package does not compute).
type col struct {
	Metric string                        // a metrics.Catalog name (when Get is nil)
	Get    func(*metrics.RunRow) float64 // per-run value; NaN: undefined for the run
	Key    string                        // CSV column, with Get
	Agg    agg
	Header string // default: the metric's header (+ " (max over seeds)" for maxOver)
	Format table.Format
}

// metric resolves the column to a metrics.Metric.
func (c col) metric() (metrics.Metric, error) {
	if c.Get != nil {
		return metrics.Metric{Name: c.Key, Header: c.Header, Key: c.Key, Get: c.Get}, nil
	}
	m, ok := metrics.LookupMetric(c.Metric)
	if !ok {
		return m, fmt.Errorf("metric %q: allowed: %s", c.Metric, strings.Join(metrics.MetricNames(), ", "))
	}
	return m, nil
}

// row is one row of a generated table: a method (report.Cell.Method) of a
// scenario of an experiment.
type row struct {
	Method   string
	Label    string // default: Method
	Scenario string // default: the table's
	Exp      string // default: the table's
}

// metricTable builds a table of per-method metrics, one row per row.
func (env *Env) metricTable(expName, scenario, caption string, rows []row, cols []col) (*table.Table, error) {
	t := &table.Table{Caption: caption, Label: "tab:" + env.art.ID}
	t.Columns = append(t.Columns, table.Column{Header: "Method", Key: "method", Format: table.Text})
	ms := make([]metrics.Metric, len(cols))
	for i, c := range cols {
		m, err := c.metric()
		if err != nil {
			return nil, err
		}
		ms[i] = m
		h, key := m.Header, m.Key
		switch c.Agg {
		case maxOver:
			h, key = h+" (max over seeds)", key+"_max_over_seeds"
		case meanVal:
			key += "_mean"
		}
		if c.Header != "" {
			h = c.Header
		}
		t.Columns = append(t.Columns, table.Column{Header: h, Key: key, Format: c.Format, CI: c.Agg == meanCI})
	}
	var partial []string
	var exps, scenarios []string
	for _, r := range rows {
		sc, ex := scenario, expName
		if r.Scenario != "" {
			sc = r.Scenario
		}
		if r.Exp != "" {
			ex = r.Exp
		}
		if !slices.Contains(scenarios, sc) {
			scenarios = append(scenarios, sc)
		}
		if !slices.Contains(exps, ex) {
			exps = append(exps, ex)
		}
		d := env.exp(ex)
		cell, err := d.cell(sc, r.Method)
		if err != nil {
			return nil, err
		}
		label := r.Label
		if label == "" {
			label = r.Method
		}
		vals := []table.Value{{Text: label}}
		for i, c := range cols {
			m := ms[i]
			switch c.Agg {
			case meanCI:
				ci := d.report.CI(cell, m)
				vals = append(vals, table.Value{V: ci.Mean, Lo: ci.Lo, Hi: ci.Hi, N: ci.N})
				if ci.N < len(cell.Runs) {
					partial = append(partial, fmt.Sprintf("%s: %s %d/%d", label, m.Header, ci.N, len(cell.Runs)))
				}
			case meanVal:
				vals = append(vals, table.Value{V: stats.Mean(stats.Defined(cell.Values(m)))})
			case maxOver:
				vals = append(vals, table.Value{V: cell.MaxOverSeeds(m)})
			}
		}
		t.Rows = append(t.Rows, vals)
	}
	if len(partial) > 0 {
		t.Notes = append(t.Notes, "Undefined for some seeds (no such event in the run) and averaged over the others: "+strings.Join(partial, "; ")+".")
	}
	t.Comments = env.provenance(exps, scenarios)
	return t, nil
}

// provenance is the comment every generated table and figure data file
// carries: the source, the experiment files, the seeds, the tuned
// parameters, the code version and the statistics.
func (env *Env) provenance(exps, scenarios []string) []string {
	a := env.art
	flag := ""
	if env.opt.Quick {
		flag = " --quick"
	}
	out := []string{
		fmt.Sprintf("%s %s: %s", a.Doc, a.Label, a.Title),
		fmt.Sprintf("generated by 'ballast reproduce%s' (%s mode), artifact %s; scenario %s", flag, env.opt.mode(), a.ID, strings.Join(scenarios, ", ")),
	}
	var versions []string
	for _, name := range exps {
		d := env.exp(name)
		out = append(out, fmt.Sprintf("experiment file %s: seeds are the first %d report seeds of master %d (seed i = harness.DeriveSeed(%d, \"report\", i); listed in tables/seeds.csv)",
			d.file, len(d.seeds), d.e.Seeds.Master, d.e.Seeds.Master))
		if d.tuned != nil {
			out = append(out, fmt.Sprintf("tuned parameters: %s ('ballast tune' on the first %d tuning seeds of master %d)", d.tunedPath, len(d.tuned.TuningSeeds), d.e.Seeds.Master))
		}
		out = append(out, d.truncated...)
		versions = append(versions, d.versions...)
	}
	slices.Sort(versions)
	out = append(out,
		"code version "+harness.CodeVersion()+"; runs made by code version "+strings.Join(slices.Compact(versions), ", "),
		fmt.Sprintf("cells: mean over seeds [95%% percentile bootstrap CI over seeds, B=%d, seed %d]; quantiles: Hyndman-Fan definition 7; writability grace 3 heartbeat intervals, warm-up first-writable (docs/metrics.md)", bootstrap.Resamples, bootstrap.Seed))
	return out
}
