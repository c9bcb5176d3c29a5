package reproduce

import (
	"fmt"
	"math"
	"slices"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/analysis/table"
	"github.com/ballast-bench/ballast/reproduce/agree"
)

// pubCols maps the column keys of configs/published onto our columns.
var pubCols = map[string]col{
	"recovery_mean_ms":               {Metric: "recovery_mean", Agg: meanCI, Format: table.Sig4},
	"recovery_p95_ms":                {Metric: "recovery_p95", Agg: meanCI, Format: table.Sig4},
	"recovery_p99_ms":                {Metric: "recovery_p99", Agg: meanCI, Format: table.Sig4},
	"recovery_max_ms":                {Metric: "recovery_max", Agg: meanCI, Format: table.Sig4},
	"unwritable_frac":                {Metric: "unwritable_frac", Agg: meanCI, Format: table.Frac4},
	"split_vote_rate":                {Metric: "split_vote_rate", Agg: meanCI, Format: table.Frac4},
	"recovery_p99_max_over_seeds_ms": {Metric: "recovery_p99", Agg: maxOver, Format: table.Sig4},
	"recovery_max_max_over_seeds_ms": {Metric: "recovery_max", Agg: maxOver, Format: table.Sig4},
	"unwritable_frac_max_over_seeds": {Metric: "unwritable_frac", Agg: maxOver, Format: table.Frac4},
	"episodes":                       {Metric: "safety_episodes", Agg: meanCI, Format: table.Sig4},
	"mean_duration_ms":               {Metric: "safety_mean", Agg: meanCI, Format: table.Sig4},
	"overlap2_frac":                  {Metric: "safety_overlap2", Agg: meanCI, Format: table.Frac4},
	"overlap3_frac":                  {Metric: "safety_overlap3", Agg: meanCI, Format: table.Frac4},
	"low_reach_frac":                 {Metric: "low_reach_frac", Agg: meanCI, Format: table.Frac4},
	"contention_frac":                {Metric: "contention_frac", Agg: meanCI, Format: table.Frac4},
}

// pubRow maps a published row onto one of our methods.
type pubRow struct {
	Key    string // published row key
	Method string // our report.Cell method
}

// methodSpec is a published table of methods in one scenario, rebuilt from
// one experiment: its columns are the published ones (pubCols) plus extra.
type methodSpec struct {
	exp, scenario, pub, caption string
	rows                        []pubRow
	cols                        []string // published column keys
	extra                       []col    // our columns the paper does not print
	ref                         string   // published key of the reference row ("" = absolute)
}

func (s methodSpec) method(key string) string {
	for _, r := range s.rows {
		if r.Key == key {
			return r.Method
		}
	}
	return ""
}

// ours is our value for a published row and column.
func (s methodSpec) ours(env *Env) func(row, colKey string) float64 {
	d := env.exp(s.exp)
	return func(rowKey, colKey string) float64 {
		m := s.method(rowKey)
		c, ok := pubCols[colKey]
		if m == "" || !ok {
			return math.NaN()
		}
		if c.Agg == maxOver {
			return d.maxOver(s.scenario, m, c.Metric)
		}
		return d.mean(s.scenario, m, c.Metric)
	}
}

// build makes our table and its comparison with the published one.
func (s methodSpec) build(env *Env) (*table.Table, *Comparison, error) {
	var rows []row
	var keys []string
	for _, r := range s.rows {
		rows = append(rows, row{Method: r.Method})
		keys = append(keys, r.Key)
	}
	var cols []col
	for _, k := range s.cols {
		c, ok := pubCols[k]
		if !ok {
			return nil, nil, fmt.Errorf("published column %q has no metric", k)
		}
		cols = append(cols, c)
	}
	cols = append(cols, s.extra...)
	t, err := env.metricTable(s.exp, s.scenario, s.caption, rows, cols)
	if err != nil {
		return nil, nil, err
	}
	pub := env.pub(s.pub)
	c := compare(cmpSpec{title: "Published " + pub.Source.Table + pub.Source.Figure + " vs ours", pub: pub, rows: keys, cols: s.cols, ref: s.ref, ours: s.ours(env)})
	return t, c, nil
}

// ciOf is a cell's mean of a metric with its bootstrap interval.
func (d *expData) ciOf(scenario, method, metric string) stats.CI {
	c, err := d.cell(scenario, method)
	if err != nil {
		return stats.CI{Mean: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	return d.report.CI(c, metrics.MustMetric(metric))
}

// argmin returns the method with the lowest value (NaN values lose).
func argmin(methods []string, v func(string) float64) (string, float64) {
	best, bv := "", math.Inf(1)
	for _, m := range methods {
		if x := v(m); x < bv {
			best, bv = m, x
		}
	}
	return best, bv
}

// relDeltaPct is the relative change of a variant's mean against base's, in
// percent (docs/metrics.md "Relative deltas").
func relDeltaPct(d *expData, scenario, variant, base, metric string) float64 {
	return stats.RelDelta(d.mean(scenario, variant, metric), d.mean(scenario, base, metric))
}

// effectText prints "x vs ref (effect)".
func effectText(x, ref float64) string {
	return fmt.Sprintf("%s vs %s (%s)", sig4(x), sig4(ref), pct(agree.Effect(x, ref)))
}

// lessAll reports whether v(m) < v(o) for every o in others.
func lessAll(v func(string) float64, m string, others []string) bool {
	return !slices.ContainsFunc(others, func(o string) bool { return !(v(m) < v(o)) })
}
