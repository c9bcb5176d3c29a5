package compare

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ballast-bench/ballast/analysis/stats"
)

// Formats lists the output formats.
var Formats = []string{"text", "markdown", "csv", "json"}

// Write renders r in format (one of Formats). Text and Markdown show the
// rows that are not identical (all rows with all set) and say how many
// were; CSV and JSON hold every row. old and new name the two sides.
func (r *Result) Write(w io.Writer, format, old, new string, all bool) error {
	switch format {
	case "text":
		return r.text(w, old, new, all)
	case "markdown":
		return r.markdown(w, old, new, all)
	case "csv":
		return r.csv(w)
	case "json":
		return r.json(w, old, new)
	}
	return fmt.Errorf("format %q: allowed: %s", format, strings.Join(Formats, ", "))
}

// Summary is one line: how many comparisons came out how.
func (r *Result) Summary() string {
	parts := []string{}
	for _, v := range []Verdict{Better, Worse, Changed, NoChange, Identical, NotTested} {
		if n := r.Count(v); n > 0 {
			name := string(v)
			switch v {
			case NoChange:
				name = "no significant change (~)"
			case NotTested:
				name = "not tested (n/a: undefined on a side)"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, name))
		}
	}
	return fmt.Sprintf("%d comparisons: %s.", len(r.Rows), strings.Join(parts, ", "))
}

// Method says how the intervals and verdicts were computed, with the
// family's size and what the correction guarantees.
func (r *Result) Method() []string {
	o := r.Opt
	guarantee := map[string]string{
		"holm": fmt.Sprintf("the chance of any false verdict when nothing changed is at most %g", o.Alpha),
		"bh":   fmt.Sprintf("the expected share of false verdicts among the verdicts is at most %g", o.Alpha),
		"none": fmt.Sprintf("each comparison on its own has a false-verdict chance of at most %g; with %d of them, expect about %.1f by chance", o.Alpha, r.Tested, o.Alpha*float64(r.Tested)),
	}[string(o.Correction)]
	correction := map[string]string{"holm": "Holm-Bonferroni", "bh": "Benjamini-Hochberg", "none": "no"}[string(o.Correction)]
	verdicts := fmt.Sprintf("Verdicts: sign-flip permutation test of the per-seed differences (sides with different seeds: permutation test of the means), %s correction over the %d tested comparisons at alpha = %g: %s. Identical comparisons (every seed's value equal) are not tested; intervals are not corrected.",
		correction, r.Tested, o.Alpha, guarantee)
	if r.Tested == 0 {
		verdicts = "Verdicts: no comparison was tested: each is identical (every seed's value equal) or undefined on a side."
	}
	lines := []string{
		fmt.Sprintf("Intervals: %g %% percentile bootstrap (B = %d, seed %d) of each side's mean over seeds, and of the change, paired over seeds where both sides ran the same seeds.",
			100*o.Level, o.Resamples, o.Seed),
		verdicts,
	}
	unpaired, weak := 0, map[int]int{}
	for i := range r.Rows {
		row := &r.Rows[i]
		if !row.Paired {
			unpaired++
		}
		if !math.IsNaN(row.MinP) && row.MinP > o.Alpha {
			weak[row.Pairs]++
		}
	}
	if unpaired > 0 {
		lines = append(lines, fmt.Sprintf("Unpaired: %d comparisons ran different seeds on the two sides; their changes and tests are unpaired.", unpaired))
	}
	for _, n := range slices.Sorted(maps.Keys(weak)) {
		lines = append(lines, fmt.Sprintf("Too few seeds: %d comparisons have %d pairs, whose smallest possible p is 2/2^%d = %.3g > alpha: no change of theirs can be significant; run more seeds.", weak[n], n, n, 2/math.Exp2(float64(n))))
	}
	for _, c := range r.OnlyOld {
		lines = append(lines, "Only in old: "+c)
	}
	for _, c := range r.OnlyNew {
		lines = append(lines, "Only in new: "+c)
	}
	return append(lines, r.Flagged...)
}

// group is the rows of one experiment and scenario.
type group struct {
	title string
	rows  []*Row
}

// groups returns the rows to show, by experiment and scenario, and how
// many identical rows and rows undefined on both sides were left out.
func (r *Result) groups(all bool) (gs []group, identical, undefined int) {
	for i := range r.Rows {
		row := &r.Rows[i]
		switch {
		case all:
		case row.Verdict == Identical:
			identical++
			continue
		case row.OldCI.N == 0 && row.NewCI.N == 0:
			undefined++
			continue
		}
		title := groupTitle(row.Experiment, row.Scenario)
		if len(gs) == 0 || gs[len(gs)-1].title != title {
			gs = append(gs, group{title: title})
		}
		gs[len(gs)-1].rows = append(gs[len(gs)-1].rows, row)
	}
	return gs, identical, undefined
}

// hidden says which rows text and Markdown left out.
func hidden(identical, undefined int) string {
	var parts []string
	if identical > 0 {
		parts = append(parts, fmt.Sprintf("%d identical comparisons", identical))
	}
	if undefined > 0 {
		parts = append(parts, fmt.Sprintf("%d undefined on both sides (no failover to measure, say)", undefined))
	}
	if len(parts) == 0 {
		return ""
	}
	return "Not shown (--all shows them): " + strings.Join(parts, "; ") + "."
}

// groupTitle names a group of rows: experiment / scenario ("single runs"
// for runs of no experiment).
func groupTitle(experiment, scenario string) string {
	if experiment == "" {
		experiment = "(single runs)"
	}
	return experiment + " / " + scenario
}

var headers = []string{"metric", "method", "old", "new", "change", "p (adj.)", "verdict"}

func (row *Row) cells() []string {
	method := row.Old
	if row.New != row.Old {
		method = row.Old + " -> " + row.New
	}
	if !row.SameConfig && row.New == row.Old {
		method += " (config changed)"
	}
	p := "-"
	if !math.IsNaN(row.P) {
		p = fmt.Sprintf("%.3g (%.3g)", row.P, row.PAdj)
	}
	return []string{row.Metric.Key, method, ciText(row.OldCI.Mean, row.OldCI.Lo, row.OldCI.Hi), ciText(row.NewCI.Mean, row.NewCI.Lo, row.NewCI.Hi), changeText(row), p, string(row.Verdict)}
}

func changeText(row *Row) string {
	c := row.Change
	switch {
	case row.Verdict == NotTested:
		return "n/a"
	case row.Verdict == Identical:
		return "0"
	case !math.IsNaN(c.Pct.Mean):
		return fmt.Sprintf("%+.1f%% [%+.1f, %+.1f]", c.Pct.Mean, c.Pct.Lo, c.Pct.Hi)
	}
	// No percent of an old mean of 0: the change in the metric's unit.
	return fmt.Sprintf("%+s [%s, %s]", num(c.Delta.Mean), num(c.Delta.Lo), num(c.Delta.Hi))
}

func ciText(v, lo, hi float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	if lo == hi {
		return num(v)
	}
	return fmt.Sprintf("%s [%s, %s]", num(v), num(lo), num(hi))
}

// num prints 4 significant digits without an exponent (times in ms up to
// hours, fractions down to 1e-4 and beyond).
func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case v == 0:
		return "0"
	case math.Abs(v) >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	dec := max(0, 3-int(math.Floor(math.Log10(math.Abs(v)))))
	return strconv.FormatFloat(v, 'f', dec, 64)
}

func (r *Result) text(w io.Writer, old, new string, all bool) error {
	fmt.Fprintf(w, "old: %s\nnew: %s\n%s\n", old, new, r.Summary())
	gs, identical, undefined := r.groups(all)
	for _, g := range gs {
		fmt.Fprintf(w, "\n%s\n", g.title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(headers, "\t"))
		for _, row := range g.rows {
			fmt.Fprintln(tw, strings.Join(row.cells(), "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if h := hidden(identical, undefined); h != "" {
		fmt.Fprintf(w, "\n%s\n", h)
	}
	fmt.Fprintln(w)
	for _, l := range r.Method() {
		fmt.Fprintln(w, l)
	}
	return nil
}

func (r *Result) markdown(w io.Writer, old, new string, all bool) error {
	fmt.Fprintf(w, "### ballast compare\n\nold: `%s`, new: `%s`\n\n**%s**\n", old, new, r.Summary())
	gs, identical, undefined := r.groups(all)
	md := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, g := range gs {
		fmt.Fprintf(w, "\n#### %s\n\n| %s |\n|%s\n", md(g.title), strings.Join(headers, " | "), strings.Repeat("---|", len(headers)))
		for _, row := range g.rows {
			cs := row.cells()
			for i := range cs {
				cs[i] = md(cs[i])
			}
			if v := row.Verdict; v == Better || v == Worse || v == Changed {
				cs[len(cs)-1] = "**" + cs[len(cs)-1] + "**"
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(cs, " | "))
		}
	}
	if h := hidden(identical, undefined); h != "" {
		fmt.Fprintf(w, "\n%s\n", h)
	}
	fmt.Fprintln(w)
	for _, l := range r.Method() {
		fmt.Fprintf(w, "- %s\n", md(l))
	}
	return nil
}

// full prints a float at full precision (the shortest text that reads
// back as the same float64); NaN is empty.
func full(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var csvHeader = []string{"experiment", "scenario", "old_method", "new_method", "metric", "unit", "better",
	"old_mean", "old_lo", "old_hi", "old_n", "new_mean", "new_lo", "new_hi", "new_n",
	"paired", "pairs", "same_config", "delta", "delta_lo", "delta_hi", "pct", "pct_lo", "pct_hi", "p", "p_adj", "verdict"}

func (r *Result) csv(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	for i := range r.Rows {
		row := &r.Rows[i]
		c := row.Change
		cw.Write([]string{row.Experiment, row.Scenario, row.Old, row.New, row.Metric.Key, row.Metric.Unit.String(), row.Metric.Better.String(),
			full(row.OldCI.Mean), full(row.OldCI.Lo), full(row.OldCI.Hi), strconv.Itoa(row.OldCI.N),
			full(row.NewCI.Mean), full(row.NewCI.Lo), full(row.NewCI.Hi), strconv.Itoa(row.NewCI.N),
			strconv.FormatBool(row.Paired), strconv.Itoa(row.Pairs), strconv.FormatBool(row.SameConfig),
			full(c.Delta.Mean), full(c.Delta.Lo), full(c.Delta.Hi), full(c.Pct.Mean), full(c.Pct.Lo), full(c.Pct.Hi),
			full(row.P), full(row.PAdj), string(row.Verdict)})
	}
	cw.Flush()
	return cw.Error()
}

// jnum is a float in JSON: null when undefined.
type jnum = stats.NullFloat

type jci struct {
	Mean jnum `json:"mean"`
	Lo   jnum `json:"lo"`
	Hi   jnum `json:"hi"`
	N    int  `json:"n,omitempty"`
}

type jrow struct {
	Experiment string `json:"experiment"`
	Scenario   string `json:"scenario"`
	Old        string `json:"old_method"`
	New        string `json:"new_method"`
	Metric     string `json:"metric"`
	Unit       string `json:"unit"`
	Better     string `json:"better"`
	OldCI      jci    `json:"old"`
	NewCI      jci    `json:"new"`
	Paired     bool   `json:"paired"`
	Pairs      int    `json:"pairs"`
	SameConfig bool   `json:"same_config"`
	Delta      jci    `json:"delta"`
	Pct        jci    `json:"pct"`
	P          jnum   `json:"p"`
	PAdj       jnum   `json:"p_adj"`
	Verdict    string `json:"verdict"`
}

func (r *Result) json(w io.Writer, old, new string) error {
	ci := func(m, lo, hi float64, n int) jci { return jci{jnum(m), jnum(lo), jnum(hi), n} }
	out := struct {
		Old        string   `json:"old"`
		New        string   `json:"new"`
		Level      float64  `json:"level"`
		Alpha      float64  `json:"alpha"`
		Correction string   `json:"correction"`
		Resamples  int      `json:"resamples"`
		Seed       uint64   `json:"bootstrap_seed"`
		Tested     int      `json:"tested"`
		Summary    string   `json:"summary"`
		Method     []string `json:"method"`
		Rows       []jrow   `json:"rows"`
		OnlyOld    []string `json:"only_old"`
		OnlyNew    []string `json:"only_new"`
	}{Old: old, New: new, Level: r.Opt.Level, Alpha: r.Opt.Alpha, Correction: string(r.Opt.Correction), Resamples: r.Opt.Resamples,
		Seed: r.Opt.Seed, Tested: r.Tested, Summary: r.Summary(), Method: r.Method(), Rows: []jrow{}, OnlyOld: r.OnlyOld, OnlyNew: r.OnlyNew}
	for i := range r.Rows {
		row := &r.Rows[i]
		c := row.Change
		out.Rows = append(out.Rows, jrow{row.Experiment, row.Scenario, row.Old, row.New, row.Metric.Key, row.Metric.Unit.String(), row.Metric.Better.String(),
			ci(row.OldCI.Mean, row.OldCI.Lo, row.OldCI.Hi, row.OldCI.N), ci(row.NewCI.Mean, row.NewCI.Lo, row.NewCI.Hi, row.NewCI.N),
			row.Paired, row.Pairs, row.SameConfig, ci(c.Delta.Mean, c.Delta.Lo, c.Delta.Hi, 0), ci(c.Pct.Mean, c.Pct.Lo, c.Pct.Hi, 0),
			jnum(row.P), jnum(row.PAdj), string(row.Verdict)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
