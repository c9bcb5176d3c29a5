package compare

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/plot"
	"github.com/ballast-bench/ballast/analysis/stats"
)

// FailoverMeasures are what Failovers compares, per failover after a
// leader crash (docs/metrics.md, "Failover"): crash to new leader, crash to
// the first timeout, first timeout to new leader.
var FailoverMeasures = []string{"out_of_service", "detection", "election"}

// FailoverRow compares one measure of one cell's failovers on two sides:
// every failover of the cell's runs pooled, a distribution rather than a
// mean over seeds, as a long live run and a simulation are compared (each
// may be a single run of many failovers). Times in ms.
type FailoverRow struct {
	Experiment, Scenario string
	Old, New             string
	Measure              string
	SameConfig           bool
	OldN, NewN           int
	OldMean, NewMean     float64
	OldMedian, NewMedian float64
	MeanDiff, MedianDiff stats.CI // new - old, with percentile-bootstrap intervals (each side resampled on its own)
	MeanPct, MedianPct   float64  // the differences in % of old
	KS                   float64  // two-sample Kolmogorov-Smirnov distance
}

// FailoverResult is a whole failover comparison.
type FailoverResult struct {
	Opt              Options
	Rows             []FailoverRow
	OnlyOld, OnlyNew []string
	Flagged          []string // notes on live runs the harness flagged, per side
}

// Failovers compares the failovers of the cells in both old and new
// (matched as in Runs), measure by measure.
func Failovers(old, new *metrics.Tables, opt Options) (*FailoverResult, error) {
	opt.Metrics = []metrics.Metric{} // not used; keeps defaults() from filling them
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	var res Result
	_, _, pairs, err := match(old, new, opt, &res)
	if err != nil {
		return nil, err
	}
	out := &FailoverResult{Opt: opt, OnlyOld: res.OnlyOld, OnlyNew: res.OnlyNew, Flagged: flagged(pairs)}
	bs := stats.Bootstrap{B: opt.Resamples, Level: opt.Level}
	median := func(s []float64) float64 { return stats.Quantile(s, 0.5) }
	for _, p := range pairs {
		ov, nv := failoverValues(old, p.old.Runs), failoverValues(new, p.new.Runs)
		for _, m := range FailoverMeasures {
			a, b := ov[m], nv[m]
			row := FailoverRow{Experiment: p.old.Experiment, Scenario: p.old.Scenario, Old: p.old.Method(), New: p.new.Method(),
				Measure: m, SameConfig: p.old.ConfigHash == p.new.ConfigHash, OldN: len(a), NewN: len(b),
				OldMean: stats.Mean(a), NewMean: stats.Mean(b), KS: stats.KS(a, b)}
			row.OldMedian, row.NewMedian = sortedMedian(a), sortedMedian(b)
			seed := func(what string) uint64 {
				return stats.Seed(opt.Seed, row.Experiment, row.Scenario, row.Old, row.New, m, what)
			}
			row.MeanDiff = bs.Diff(a, b, stats.Mean, seed("mean"))
			row.MedianDiff = bs.Diff(a, b, median, seed("median"))
			row.MeanPct = 100 * (row.NewMean - row.OldMean) / row.OldMean
			row.MedianPct = 100 * (row.NewMedian - row.OldMedian) / row.OldMedian
			out.Rows = append(out.Rows, row)
		}
	}
	return out, nil
}

func sortedMedian(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), x...)
	slices.Sort(s)
	return stats.Quantile(s, 0.5)
}

// failoverValues collects, in ms, each measure over the failovers of runs:
// out of service of the recovered ones, detection and election where
// defined.
func failoverValues(t *metrics.Tables, runs []*metrics.RunRow) map[string][]float64 {
	in := map[string]bool{}
	for _, r := range runs {
		in[r.RunID] = true
	}
	v := map[string][]float64{}
	for i := range t.Failovers {
		f := &t.Failovers[i]
		if !in[f.RunID] {
			continue
		}
		if f.Recovered {
			v["out_of_service"] = append(v["out_of_service"], float64(f.OutOfServiceUS)/metrics.USPerMS)
		}
		if f.DetectFirstUS >= 0 {
			v["detection"] = append(v["detection"], float64(f.DetectFirstUS)/metrics.USPerMS)
		}
		if f.ElectionUS >= 0 {
			v["election"] = append(v["election"], float64(f.ElectionUS)/metrics.USPerMS)
		}
	}
	return v
}

// Write renders r as text, markdown or csv.
func (r *FailoverResult) Write(w io.Writer, format, old, new string) error {
	headers := []string{"measure", "method", "old n", "old mean (ms)", "old median", "new n", "new mean", "new median", "mean diff", "median diff", "KS"}
	cells := func(row *FailoverRow) []string {
		method := row.Old
		if row.New != row.Old {
			method += " -> " + row.New
		}
		if !row.SameConfig && row.New == row.Old {
			method += " (config changed)"
		}
		diff := func(pct float64, ci stats.CI) string {
			return fmt.Sprintf("%+.1f%% [%s, %s ms]", pct, num(ci.Lo), num(ci.Hi))
		}
		return []string{row.Measure, method, strconv.Itoa(row.OldN), num(row.OldMean), num(row.OldMedian), strconv.Itoa(row.NewN),
			num(row.NewMean), num(row.NewMedian), diff(row.MeanPct, row.MeanDiff), diff(row.MedianPct, row.MedianDiff), fmt.Sprintf("%.3f", row.KS)}
	}
	note := fmt.Sprintf("Every failover of a cell's runs pooled; differences new - old with %g %% percentile-bootstrap intervals (B = %d, seed %d, each side resampled on its own); KS: the two-sample Kolmogorov-Smirnov distance.",
		100*r.Opt.Level, r.Opt.Resamples, r.Opt.Seed)
	switch format {
	case "text", "markdown":
		md := format == "markdown"
		group := ""
		var tw *tabwriter.Writer
		if md {
			fmt.Fprintf(w, "### ballast compare --failovers\n\nold: `%s`, new: `%s`\n", old, new)
		} else {
			fmt.Fprintf(w, "old: %s\nnew: %s\n", old, new)
		}
		for i := range r.Rows {
			row := &r.Rows[i]
			if g := groupTitle(row.Experiment, row.Scenario); g != group {
				if tw != nil {
					tw.Flush()
				}
				group = g
				if md {
					fmt.Fprintf(w, "\n#### %s\n\n| %s |\n|%s\n", g, strings.Join(headers, " | "), strings.Repeat("---|", len(headers)))
				} else {
					fmt.Fprintf(w, "\n%s\n", g)
					tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
					fmt.Fprintln(tw, strings.Join(headers, "\t"))
				}
			}
			if md {
				fmt.Fprintf(w, "| %s |\n", strings.Join(cells(row), " | "))
			} else {
				fmt.Fprintln(tw, strings.Join(cells(row), "\t"))
			}
		}
		if tw != nil {
			tw.Flush()
		}
		fmt.Fprintf(w, "\n%s\n", note)
		for _, f := range r.Flagged {
			fmt.Fprintln(w, f)
		}
		for _, c := range r.OnlyOld {
			fmt.Fprintln(w, "Only in old: "+c)
		}
		for _, c := range r.OnlyNew {
			fmt.Fprintln(w, "Only in new: "+c)
		}
		return nil
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"old", "new", "experiment", "scenario", "old_method", "new_method", "measure", "same_config", "old_n", "old_mean_ms", "old_median_ms",
			"new_n", "new_mean_ms", "new_median_ms", "mean_diff_ms", "mean_diff_lo_ms", "mean_diff_hi_ms", "mean_pct",
			"median_diff_ms", "median_diff_lo_ms", "median_diff_hi_ms", "median_pct", "ks"})
		for i := range r.Rows {
			row := &r.Rows[i]
			cw.Write([]string{old, new, row.Experiment, row.Scenario, row.Old, row.New, row.Measure, strconv.FormatBool(row.SameConfig),
				strconv.Itoa(row.OldN), full(row.OldMean), full(row.OldMedian), strconv.Itoa(row.NewN), full(row.NewMean), full(row.NewMedian),
				full(row.MeanDiff.Mean), full(row.MeanDiff.Lo), full(row.MeanDiff.Hi), full(row.MeanPct),
				full(row.MedianDiff.Mean), full(row.MedianDiff.Lo), full(row.MedianDiff.Hi), full(row.MedianPct), full(row.KS)})
		}
		cw.Flush()
		return cw.Error()
	}
	return fmt.Errorf("format %q: allowed: text, markdown, csv", format)
}

// FailoverCDF draws the failovers of several sets of runs (sides, named
// by labels) side by side: one panel per measure (out of service,
// detection), one empirical CDF per side and cell (labelled "side", or
// "side: cell" where a side has several cells), in ms.
func FailoverCDF(sides []*metrics.Tables, labels []string, opt Options) (plot.Figure, error) {
	if err := opt.defaults(); err != nil {
		return plot.Figure{}, err
	}
	titles := map[string]string{"out_of_service": "Out of service after a leader crash", "detection": "Detection: first timeout after a leader crash"}
	series := map[string][]plot.Series{}
	for i, t := range sides {
		r, err := open(t, opt)
		if err != nil {
			return plot.Figure{}, fmt.Errorf("%s: %w", labels[i], err)
		}
		cells := r.Cells()
		for _, c := range cells {
			label := labels[i]
			if len(cells) > 1 {
				label += ": " + cellName(c)
			}
			v := failoverValues(t, c.Runs)
			for _, m := range []string{"out_of_service", "detection"} {
				s := slices.Clone(v[m])
				slices.Sort(s)
				series[m] = append(series[m], plot.Series{Label: label, Method: label, Values: s})
			}
		}
	}
	var figs []plot.Figure
	for _, m := range []string{"out_of_service", "detection"} {
		f, err := plot.CDF(titles[m], "ms", series[m], false)
		if err != nil {
			return plot.Figure{}, fmt.Errorf("%s: %w", m, err)
		}
		figs = append(figs, f)
	}
	return plot.Stack(figs...), nil
}
