package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/analysis/table"
	"github.com/ballast-bench/ballast/eventlog"
)

// col is a table column and how a cell's value is computed.
type col struct {
	table.Column
	metric *metrics.Metric // CI columns: the averaged metric (for the undefined-seeds note)
	value  func(*Cell) table.Value
}

func (r *Report) ciCol(name string, f table.Format) col {
	m := metrics.MustMetric(name)
	return col{
		Column: table.Column{Header: m.Header, Key: m.Key, Format: f, CI: true},
		metric: &m,
		value: func(c *Cell) table.Value {
			ci := r.CI(c, m)
			return table.Value{V: ci.Mean, Lo: ci.Lo, Hi: ci.Hi, N: ci.N}
		},
	}
}

func maxCol(name, header string, f table.Format) col {
	m := metrics.MustMetric(name)
	return col{
		Column: table.Column{Header: header, Key: m.Key + "_max_over_seeds", Format: f},
		value:  func(c *Cell) table.Value { return table.Value{V: c.MaxOverSeeds(m)} },
	}
}

func sumCol(header, key string, get func(*Cell) int64) col {
	return col{
		Column: table.Column{Header: header, Key: key, Format: table.Int},
		value:  func(c *Cell) table.Value { return table.Value{V: float64(get(c))} },
	}
}

func methodCol(header string) col {
	return col{
		Column: table.Column{Header: header, Key: "method", Format: table.Text},
		value:  func(c *Cell) table.Value { return table.Value{Text: c.Method()} },
	}
}

// build fills a table from columns and cells, with provenance comments
// and a note for every CI cell averaged over fewer seeds than it has.
func (r *Report) build(name, caption string, sel Selection, cells []*Cell, cols []col) *table.Table {
	t := &table.Table{Caption: caption, Label: "tab:" + sel.Experiment + "-" + sel.Scenario + "-" + name}
	t.Comments = r.provenance(name, sel, cells)
	for _, c := range cols {
		t.Columns = append(t.Columns, c.Column)
	}
	partial := make([][]string, len(cols)) // per column: "method n/seeds"
	for _, cell := range cells {
		row := make([]table.Value, len(cols))
		for i, c := range cols {
			row[i] = c.value(cell)
			if c.metric != nil && row[i].N < len(cell.Runs) {
				partial[i] = append(partial[i], fmt.Sprintf("%s %d/%d", cell.Method(), row[i].N, len(cell.Runs)))
			}
		}
		t.Rows = append(t.Rows, row)
	}
	for i, p := range partial {
		if len(p) > 0 {
			t.Notes = append(t.Notes, fmt.Sprintf("%s is undefined for some seeds (no such event in the run) and averaged over the others: %s.",
				cols[i].Header, strings.Join(p, ", ")))
		}
	}
	if f := FlaggedRuns(cells); f != "" {
		t.Notes = append(t.Notes, f)
	}
	return t
}

// FlaggedRuns is the note for live runs among cells that the harness
// flagged (harness_flagged), "" if none: their numbers carry the
// machine's scheduling noise.
func FlaggedRuns(cells []*Cell) string {
	// Name the scenario (and experiment) too where the cells span several.
	places := map[string]bool{}
	for _, c := range cells {
		places[c.Experiment+"\x00"+c.Scenario] = true
	}
	var flagged []string
	for _, c := range cells {
		n := 0
		for _, r := range c.Runs {
			if r.HarnessFlagged {
				n++
			}
		}
		if n > 0 {
			name := c.Method()
			if len(places) > 1 {
				name = groupName(c) + " / " + name
			}
			flagged = append(flagged, fmt.Sprintf("%s %d/%d", name, n, len(c.Runs)))
		}
	}
	if len(flagged) == 0 {
		return ""
	}
	return fmt.Sprintf("Live runs flagged (the harness's own lateness above %d µs at p99: the machine's scheduling noise is a sizeable part of what they measured; docs/live.md): %s.",
		eventlog.LiveLateBoundUS, strings.Join(flagged, ", "))
}

// groupName is a cell's experiment and scenario, "experiment / scenario"
// (the scenario alone for runs of no experiment).
func groupName(c *Cell) string {
	if c.Experiment == "" {
		return c.Scenario
	}
	return c.Experiment + " / " + c.Scenario
}

// provenance names what the table was computed from, for its comment.
func (r *Report) provenance(name string, sel Selection, cells []*Cell) []string {
	var versions, settings []string
	seedSets := map[string][]string{}
	var seedOrder []string
	for _, c := range cells {
		s := seedRanges(c.Seeds())
		if _, ok := seedSets[s]; !ok {
			seedOrder = append(seedOrder, s)
		}
		seedSets[s] = append(seedSets[s], c.Method())
		for _, run := range c.Runs {
			versions = append(versions, run.CodeVersion)
			settings = append(settings, fmt.Sprintf("grace %g ms, warm-up rule %s", float64(run.GraceUS)/metrics.USPerMS, run.WarmupRule))
		}
	}
	slices.Sort(versions)
	slices.Sort(settings)
	exp := sel.Experiment
	if exp == "" {
		exp = `"" (single runs)`
	}
	out := []string{fmt.Sprintf("ballast table %s: experiment %s, scenario %s", name, exp, sel.Scenario)}
	if len(seedOrder) == 1 {
		out = append(out, fmt.Sprintf("seeds %s (%d per method)", seedOrder[0], len(cells[0].Runs)))
	} else {
		for _, s := range seedOrder {
			out = append(out, fmt.Sprintf("seeds %s: %s", s, strings.Join(seedSets[s], ", ")))
		}
	}
	out = append(out, "code version "+strings.Join(slices.Compact(versions), ", "))
	b := r.Opt.Resamples
	if b <= 0 {
		b = stats.DefaultResamples
	}
	out = append(out,
		fmt.Sprintf("cells: mean over seeds [95%% percentile bootstrap CI over seeds, B=%d, seed %d]; quantiles: Hyndman-Fan definition 7", b, r.Opt.Seed),
		"writability: "+strings.Join(slices.Compact(settings), "; "))
	return out
}

// Tables lists the table names Table accepts, in order.
var Tables = []string{"main", "tails", "election", "causes", "failover", "safety", "overhead", "ablation"}

// Table builds the named table for sel. For "ablation", base names the
// base variant; the variants whose traces equal the base's on every seed
// are left out of the table and returned in invalid.
func (r *Report) Table(name string, sel Selection, base string) (t *table.Table, invalid []Invalid, err error) {
	cells, sel, err := r.Select(sel)
	if err != nil {
		return nil, nil, err
	}
	switch name {
	case "main":
		// BALLAST Table 1, plus how many intervals were censored.
		return r.build(name, "Recovery and unwritable time, mean over seeds [95% CI]", sel, cells, []col{
			methodCol("Method"),
			r.ciCol("recovery_mean", table.Sig4), r.ciCol("recovery_p95", table.Sig4),
			r.ciCol("recovery_p99", table.Sig4), r.ciCol("recovery_max", table.Sig4),
			r.ciCol("unwritable_frac", table.Frac4),
			{
				Column: table.Column{Header: "Censored", Key: "censored_of_intervals", Format: table.Text},
				value: func(c *Cell) table.Value {
					var cens, n int64
					for _, run := range c.Runs {
						cens += run.Censored
						n += run.Intervals
					}
					return table.Value{Text: fmt.Sprintf("%d/%d", cens, n)}
				},
			},
		}), nil, nil
	case "tails":
		// BALLAST Table A.1.
		return r.build(name, "Tail recovery: worst per-seed values", sel, cells, []col{
			methodCol("Method"),
			maxCol("recovery_p99", "Recovery p99 (max over seeds)", table.Sig4),
			maxCol("recovery_max", "Recovery max (max over seeds)", table.Sig4),
			maxCol("unwritable_frac", "Unwritable frac. (max over seeds)", table.Frac4),
		}), nil, nil
	case "election":
		return r.build(name, "Election process, mean over seeds [95% CI]", sel, cells, []col{
			methodCol("Method"),
			r.ciCol("time_to_leader_mean", table.Sig4), r.ciCol("split_vote_rate", table.Frac4), r.ciCol("term_churn", table.Sig4),
		}), nil, nil
	case "causes":
		// BALLAST Table A.15 (section A.12), with the no-quorum class.
		return r.build(name, "Failure causes of failed elections, fraction per seed [95% CI]", sel, cells, []col{
			methodCol("Method"),
			sumCol("Failed", "failed", func(c *Cell) (n int64) {
				for _, run := range c.Runs {
					n += run.Failed
				}
				return n
			}),
			r.ciCol("no_quorum_frac", table.Frac4), r.ciCol("low_reach_frac", table.Frac4), r.ciCol("contention_frac", table.Frac4),
		}), nil, nil
	case "failover":
		// Dynatune section IV: detection, election and out-of-service time.
		return r.build(name, "Failover after leader crashes, mean over seeds [95% CI]", sel, cells, []col{
			methodCol("Method"),
			sumCol("Crashes", "leader_crashes", func(c *Cell) (n int64) {
				for _, run := range c.Runs {
					n += run.LeaderCrashes
				}
				return n
			}),
			r.ciCol("detect_first", table.Sig4), r.ciCol("detect_quorum", table.Sig4),
			r.ciCol("election", table.Sig4), r.ciCol("out_of_service", table.Sig4),
			sumCol("Censored", "failover_censored", func(c *Cell) (n int64) {
				for _, run := range c.Runs {
					n += run.FailoverCensored
				}
				return n
			}),
		}), nil, nil
	case "safety":
		// BALLAST Table A.14.
		return r.build(name, "Safety cooldown episodes, mean over seeds [95% CI]", sel, cells, []col{
			methodCol("Method"),
			r.ciCol("safety_episodes", table.Sig4), r.ciCol("safety_mean", table.Sig4),
			r.ciCol("safety_overlap2", table.Frac4), r.ciCol("safety_overlap3", table.Frac4),
		}), nil, nil
	case "overhead":
		// BALLAST Table 5, on live ballast nodes: the policy's calls timed
		// in the nodes' processes (NULL, so n/a, in virtual time).
		return r.build(name, "Policy call time on live nodes, mean over seeds [95% CI]", sel, cells, []col{
			methodCol("Method"),
			r.ciCol("policy_choose_mean", table.Sig4), r.ciCol("policy_choose_p99", table.Sig4),
			r.ciCol("policy_update_mean", table.Sig4), r.ciCol("policy_update_p99", table.Sig4),
		}), nil, nil
	case "ablation":
		return r.ablation(sel, cells, base)
	}
	return nil, nil, fmt.Errorf("table %q: allowed: %s", name, strings.Join(Tables, ", "))
}

// Invalid is an ablation variant whose event traces equal the base's on
// every common seed: the ablated component never ran in this scenario.
type Invalid struct {
	Policy, Variant string
	Seeds           int // common seeds, all identical
}

// ablationMetrics are the columns of BALLAST Table 6.
var ablationMetrics = []struct{ name, header, key string }{
	{"recovery_mean", "Recovery mean (%)", "recovery_mean_delta_pct"},
	{"unwritable_frac", "Unwritable (%)", "unwritable_frac_delta_pct"},
	{"split_vote_rate", "Split-vote rate (%)", "split_vote_rate_delta_pct"},
}

// SelfCheck compares a variant's runs with the base's seed by seed and
// returns the common seeds and how many have identical event traces.
func SelfCheck(base, variant *Cell) (common, identical int) {
	hash := map[int64]string{}
	for _, r := range base.Runs {
		hash[r.Seed] = r.EventsHash
	}
	for _, r := range variant.Runs {
		if h, ok := hash[r.Seed]; ok {
			common++
			if h == r.EventsHash {
				identical++
			}
		}
	}
	return common, identical
}

// ablation builds BALLAST Table 6: for each policy with a base variant,
// the relative change of each variant's cell mean against the base's, in
// percent; variants that fail the self-check are returned apart.
func (r *Report) ablation(sel Selection, cells []*Cell, base string) (*table.Table, []Invalid, error) {
	bases := map[string]*Cell{}
	for _, c := range cells {
		if c.Variant == base {
			bases[c.Policy] = c
		}
	}
	if len(bases) == 0 {
		return nil, nil, fmt.Errorf("--base %q: no such variant in experiment %q scenario %s; allowed: %s",
			base, sel.Experiment, sel.Scenario, quoteAll(distinct(cells, func(c *Cell) string { return c.Variant })))
	}
	multi := len(bases) > 1
	label := func(c *Cell) string {
		if multi {
			return c.Policy + "/" + c.Variant
		}
		return c.Variant
	}
	var kept []*Cell
	var invalid []Invalid
	var notes []string
	for _, c := range cells {
		b := bases[c.Policy]
		if b == nil {
			continue // a policy without a base is no ablation
		}
		if c != b {
			common, same := SelfCheck(b, c)
			if common == 0 {
				return nil, nil, fmt.Errorf("ablation %s: no seed in common with base %q; allowed: variants run on the base's seeds", c.Method(), base)
			}
			if same == common {
				invalid = append(invalid, Invalid{Policy: c.Policy, Variant: c.Variant, Seeds: common})
				continue
			}
			if same > 0 {
				notes = append(notes, fmt.Sprintf("%s: traces identical to %s on %d of %d seeds.", label(c), base, same, common))
			}
		}
		kept = append(kept, c)
	}
	cols := []col{{
		Column: table.Column{Header: "Ablation", Key: "ablation", Format: table.Text},
		value:  func(c *Cell) table.Value { return table.Value{Text: label(c)} },
	}}
	for _, am := range ablationMetrics {
		m := metrics.MustMetric(am.name)
		cols = append(cols, col{
			Column: table.Column{Header: am.header, Key: am.key, Format: table.Pct1},
			value: func(c *Cell) table.Value {
				v := stats.Mean(stats.Defined(c.Values(m)))
				b := stats.Mean(stats.Defined(bases[c.Policy].Values(m)))
				return table.Value{V: stats.RelDelta(v, b)}
			},
		})
	}
	t := r.build("ablation", "Ablations: change of the mean over seeds relative to "+base+" (%)", sel, kept, cols)
	t.Notes = append(t.Notes, notes...)
	if len(invalid) > 0 {
		var names []string
		for _, iv := range invalid {
			names = append(names, fmt.Sprintf("%s (%d seeds)", label(&Cell{Policy: iv.Policy, Variant: iv.Variant}), iv.Seeds))
		}
		t.Notes = append(t.Notes, "Invalid for this scenario (event traces identical to "+base+" on every seed), not shown: "+strings.Join(names, ", ")+".")
	}
	return t, invalid, nil
}
