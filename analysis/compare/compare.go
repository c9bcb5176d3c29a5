// Package compare says what changed between two sets of analysed runs,
// as benchstat does for benchmarks: for every cell (experiment, scenario,
// method) in both and every chosen metric, the old and new means over
// seeds with their intervals, the change with a bootstrap interval, a
// permutation test, and a verdict after a correction for the number of
// tests.
//
// # Pairing
//
// ballast's runs are deterministic: a seed fixes the fault timeline, the
// delays and every policy draw. When both sides ran the same seeds, the
// seed-to-seed variation the two share (one seed's unlucky partition) is
// not evidence of a change, so the change is estimated on pairs: the
// bootstrap resamples seeds keeping each pair together, and the test is
// the sign-flip permutation test of the per-seed differences (exact up to
// stats.ExactSignFlipMax pairs). A comparison whose every pair is equal is
// "identical": nothing moved, and it is not tested (it cannot be a false
// positive). Sides with different seeds are compared unpaired (bootstrap
// of each side, permutation test of the difference of means), and the
// output says so.
//
// # Verdicts
//
// A tested comparison is better or worse (by the metric's direction,
// metrics.Metric.Better) when its corrected p-value is at most Alpha;
// "changed" for a metric with no direction; "~" otherwise. The correction
// (Holm by default) runs over every tested comparison of the result: the
// family. With Holm the chance that any comparison of a null family is
// flagged is at most Alpha. The intervals are not corrected: a 95 %
// interval that excludes 0 with no verdict means the change did not
// survive the correction.
package compare

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/report"
	"github.com/ballast-bench/ballast/analysis/stats"
)

// DefaultMetrics are the metrics compared unless others are chosen: the
// recovery after failures, the availability, the failover and the two
// costs of short timeouts.
var DefaultMetrics = []string{"recovery_mean", "recovery_p99", "unwritable_frac", "out_of_service", "split_vote_rate", "unnecessary"}

// Options are the comparison's statistics settings.
type Options struct {
	Metrics    []metrics.Metric // nil: DefaultMetrics
	Level      float64          // level of the intervals; 0.95 if 0
	Alpha      float64          // significance level of the family; 0.05 if 0
	Correction stats.Correction // "": stats.Holm
	Seed       uint64           // base seed of the bootstraps and the sampled tests (not a run seed)
	Resamples  int              // bootstrap resamples and sampled permutations; stats.DefaultResamples if 0
}

func (o *Options) defaults() error {
	if o.Metrics == nil {
		for _, n := range DefaultMetrics {
			o.Metrics = append(o.Metrics, metrics.MustMetric(n))
		}
	}
	o.Level = cmp.Or(o.Level, 0.95)
	o.Alpha = cmp.Or(o.Alpha, 0.05)
	o.Correction = cmp.Or(o.Correction, stats.Holm)
	o.Resamples = cmp.Or(o.Resamples, stats.DefaultResamples)
	switch {
	case !(o.Level > 0 && o.Level < 1):
		return fmt.Errorf("level %g: allowed: between 0 and 1", o.Level)
	case !(o.Alpha > 0 && o.Alpha < 1):
		return fmt.Errorf("alpha %g: allowed: between 0 and 1", o.Alpha)
	case !slices.Contains(stats.Corrections, o.Correction):
		return fmt.Errorf("correction %q: allowed: %s", o.Correction, joinCorrections())
	}
	return nil
}

func joinCorrections() string {
	s := make([]string, len(stats.Corrections))
	for i, c := range stats.Corrections {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

// Verdict is what a comparison concludes.
type Verdict string

const (
	Identical Verdict = "identical" // paired, and every seed's value is equal: not tested
	Better    Verdict = "better"    // significant, in the metric's good direction
	Worse     Verdict = "worse"     // significant, in its bad direction
	Changed   Verdict = "changed"   // significant, for a metric with no direction
	NoChange  Verdict = "~"         // not significant after the correction
	NotTested Verdict = "n/a"       // the metric is undefined on a side (no failovers, say)
)

// Row is one metric of one cell compared.
type Row struct {
	Experiment, Scenario string
	Old, New             string // the methods compared: equal, except in Policies
	Metric               metrics.Metric
	OldCI, NewCI         stats.CI // means over the seeds where the metric is defined
	Paired               bool     // both sides ran the same seeds
	Pairs                int      // paired: seeds with the metric defined on both sides
	SameConfig           bool     // the two cells' configurations hash alike
	Change               stats.Change
	P, PAdj              float64 // test p-value, and after the correction; NaN if not tested
	MinP                 float64 // the smallest p the test could give with this many pairs (paired, exact)
	Verdict              Verdict
}

// Result is a whole comparison.
type Result struct {
	Opt              Options
	Rows             []Row // by experiment, scenario, method, then metric in Opt order
	Tested           int   // the family the correction runs over
	OnlyOld, OnlyNew []string
	Flagged          []string // notes on live runs the harness flagged, per side
}

// Count returns how many rows have verdict v.
func (r *Result) Count(v Verdict) int {
	n := 0
	for i := range r.Rows {
		if r.Rows[i].Verdict == v {
			n++
		}
	}
	return n
}

// pair is two cells compared.
type pair struct{ old, new *report.Cell }

// flagged is the note on each side's live runs that the harness flagged
// (report.FlaggedRuns), prefixed "Old: " or "New: "; none if no run was.
func flagged(pairs []pair) []string {
	var oc, nc []*report.Cell
	for _, p := range pairs {
		oc, nc = append(oc, p.old), append(nc, p.new)
	}
	var notes []string
	for i, cells := range [][]*report.Cell{oc, nc} {
		if f := report.FlaggedRuns(cells); f != "" {
			notes = append(notes, [...]string{"Old: ", "New: "}[i]+f)
		}
	}
	return notes
}

func cellName(c *report.Cell) string {
	return c.Experiment + " / " + c.Scenario + " / " + c.Method()
}

// Runs compares old and new cell by cell: cells match by experiment,
// scenario and method (policy and variant). Cells on one side only are
// listed in OnlyOld and OnlyNew.
func Runs(old, new *metrics.Tables, opt Options) (*Result, error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	res := &Result{Opt: opt}
	ro, rn, pairs, err := match(old, new, opt, res)
	if err != nil {
		return nil, err
	}
	res.compare(ro, rn, pairs)
	return res, nil
}

// match groups old and new into cells, pairs the cells by experiment,
// scenario and method, and lists in res the cells of one side only.
func match(old, new *metrics.Tables, opt Options, res *Result) (ro, rn *report.Report, pairs []pair, err error) {
	if ro, err = open(old, opt); err != nil {
		return nil, nil, nil, fmt.Errorf("old: %w", err)
	}
	if rn, err = open(new, opt); err != nil {
		return nil, nil, nil, fmt.Errorf("new: %w", err)
	}
	key := func(c *report.Cell) string { return c.Experiment + "\x00" + c.Scenario + "\x00" + c.Method() }
	byKey := map[string]*report.Cell{}
	for _, c := range rn.Cells() {
		byKey[key(c)] = c
	}
	for _, c := range ro.Cells() {
		if n := byKey[key(c)]; n != nil {
			pairs = append(pairs, pair{c, n})
			delete(byKey, key(c))
		} else {
			res.OnlyOld = append(res.OnlyOld, cellName(c))
		}
	}
	for _, c := range rn.Cells() {
		if byKey[key(c)] != nil {
			res.OnlyNew = append(res.OnlyNew, cellName(c))
		}
	}
	if len(pairs) == 0 {
		return nil, nil, nil, fmt.Errorf("no cell (experiment, scenario, method) is in both; old has %d, new %d", len(ro.Cells()), len(rn.Cells()))
	}
	return ro, rn, pairs, nil
}

// Methods compares method b with method a within one set of runs, in every
// experiment and scenario that has both: two policies on the same seeds.
func Methods(t *metrics.Tables, a, b string, opt Options) (*Result, error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	r, err := open(t, opt)
	if err != nil {
		return nil, err
	}
	type place struct{ exp, scen string }
	found := map[place][2]*report.Cell{}
	var order []place
	var methods []string
	for _, c := range r.Cells() {
		methods = append(methods, c.Method())
		p := place{c.Experiment, c.Scenario}
		cs, seen := found[p]
		if !seen {
			order = append(order, p)
		}
		switch c.Method() {
		case a:
			cs[0] = c
		case b:
			cs[1] = c
		}
		found[p] = cs
	}
	res := &Result{Opt: opt}
	var pairs []pair
	for _, p := range order {
		if cs := found[p]; cs[0] != nil && cs[1] != nil {
			pairs = append(pairs, pair{cs[0], cs[1]})
		}
	}
	if len(pairs) == 0 {
		slices.Sort(methods)
		return nil, fmt.Errorf("--policies %s %s: no experiment and scenario has both; allowed: methods of the runs (%s)", a, b, strings.Join(slices.Compact(methods), ", "))
	}
	res.compare(r, r, pairs)
	return res, nil
}

func open(t *metrics.Tables, opt Options) (*report.Report, error) {
	return report.New(t, report.Options{Seed: opt.Seed, Resamples: opt.Resamples, Level: opt.Level})
}

// compare fills the rows of pairs, then the verdicts.
func (res *Result) compare(ro, rn *report.Report, pairs []pair) {
	opt := res.Opt
	res.Flagged = flagged(pairs)
	bs := stats.Bootstrap{B: opt.Resamples, Level: opt.Level}
	for _, p := range pairs {
		paired := slices.Equal(p.old.Seeds(), p.new.Seeds())
		for _, m := range opt.Metrics {
			row := Row{
				Experiment: p.old.Experiment, Scenario: p.old.Scenario,
				Old: p.old.Method(), New: p.new.Method(), Metric: m,
				OldCI: ro.CI(p.old, m), NewCI: rn.CI(p.new, m),
				Paired: paired, SameConfig: p.old.ConfigHash == p.new.ConfigHash,
				P: math.NaN(), PAdj: math.NaN(), MinP: math.NaN(),
			}
			seed := func(what string) uint64 {
				return stats.Seed(opt.Seed, row.Experiment, row.Scenario, row.Old, row.New, m.Name, what)
			}
			ov, nv := p.old.Values(m), p.new.Values(m)
			if paired {
				var d []float64
				ov, nv, d = definedPairs(ov, nv)
				row.Pairs = len(d)
				if len(d) > 0 {
					row.Change = bs.Change(ov, nv, true, seed("change"))
				}
				switch {
				case len(d) == 0:
					row.Verdict = NotTested
				case !slices.ContainsFunc(d, func(x float64) bool { return x != 0 }):
					row.Verdict = Identical
				default:
					row.P = stats.SignFlipP(d, opt.Resamples, seed("test"))
					if len(d) <= stats.ExactSignFlipMax {
						row.MinP = 2 / math.Exp2(float64(len(d)))
					}
				}
			} else {
				ov, nv = stats.Defined(ov), stats.Defined(nv)
				if len(ov) == 0 || len(nv) == 0 {
					row.Verdict = NotTested
				} else {
					row.Change = bs.Change(ov, nv, false, seed("change"))
					row.P = stats.PermutationP(ov, nv, opt.Resamples, seed("test"))
				}
			}
			if row.Verdict == NotTested {
				nan := math.NaN()
				row.Change = stats.Change{Delta: stats.CI{Mean: nan, Lo: nan, Hi: nan}, Pct: stats.CI{Mean: nan, Lo: nan, Hi: nan}}
			}
			res.Rows = append(res.Rows, row)
		}
	}
	ps := make([]float64, len(res.Rows))
	for i, r := range res.Rows {
		ps[i] = r.P
		if !math.IsNaN(r.P) {
			res.Tested++
		}
	}
	adj := opt.Correction.Adjust(ps)
	for i := range res.Rows {
		r := &res.Rows[i]
		if math.IsNaN(r.P) {
			continue
		}
		r.PAdj = adj[i]
		switch {
		case r.PAdj > opt.Alpha:
			r.Verdict = NoChange
		case r.Metric.Better == metrics.Neither:
			r.Verdict = Changed
		case (r.Change.Delta.Mean < 0) == (r.Metric.Better == metrics.Lower):
			r.Verdict = Better
		default:
			r.Verdict = Worse
		}
	}
}

// definedPairs keeps the seeds where both values are defined, and their
// differences.
func definedPairs(old, new []float64) (o, n, d []float64) {
	for i := range old {
		if math.IsNaN(old[i]) || math.IsNaN(new[i]) {
			continue
		}
		o, n, d = append(o, old[i]), append(n, new[i]), append(d, new[i]-old[i])
	}
	return o, n, d
}
