package reproduce

import (
	"fmt"
	"math"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/analysis/table"
	"github.com/ballast-bench/ballast/reproduce/agree"
	"github.com/ballast-bench/ballast/reproduce/published"
)

// blogRows are the post's rows: published key -> our scenario.
var blogRows = []struct{ key, scenario string }{
	{"wan_bursty", "blog_wan_bursty"}, {"heterogeneous", "blog_heterogeneous"}, {"stable_lan", "blog_stable_lan"},
	{"stable_wan", "blog_stable_wan"}, {"wan_lossy", "blog_wan_lossy"}, {"sixth_scenario", "blog_partition"},
}

// unavailability is a run's total unwritable time in ms: the post's "total
// cluster unavailability".
var unavailability = metrics.Metric{Name: "unavailable_ms", Header: "Unavailable (ms)", Key: "unavailable_ms",
	Get: func(r *metrics.RunRow) float64 { return float64(r.UnwritableUS) / 1000 }}

func buildBlogTable(env *Env) (*Result, error) {
	const exp = "blog_table"
	d := env.exp(exp)
	pub := env.pub("blog_rust_table")
	methods := []struct{ m, label string }{{"random", "Random (ms)"}, {"bandit_safe", "BALLAST (ms)"}, {"bandit_safe/blog8", "BALLAST, blog arms (ms)"}}
	t := &table.Table{Caption: "Total unavailability per run (unwritable time after the first leader, ms), mean over seeds [95% CI]; improvement = (Random - BALLAST) / Random", Label: "tab:" + env.art.ID}
	t.Columns = []table.Column{{Header: "Scenario", Key: "scenario", Format: table.Text}}
	for i, m := range methods {
		t.Columns = append(t.Columns, table.Column{Header: m.label, Key: m.m + "_ms", Format: table.Sig4, CI: true})
		if i > 0 {
			t.Columns = append(t.Columns, table.Column{Header: "Improvement (%)", Key: m.m + "_improvement_pct", Format: table.Pct1})
		}
	}
	mean := func(scenario, m string) float64 {
		c, err := d.cell(scenario, m)
		if err != nil {
			return math.NaN()
		}
		return stats.Mean(stats.Defined(c.Values(unavailability)))
	}
	totals := make([]float64, len(methods))
	// perSeed[i][k] is method i's unavailability summed over the scenarios
	// on seed k (every scenario runs the same seeds): the TOTAL row's
	// sample, so it gets an interval like every other cell.
	perSeed := make([][]float64, len(methods))
	var scenarios []string
	for _, br := range blogRows {
		scenarios = append(scenarios, br.scenario)
		r := []table.Value{{Text: pub.Row(br.key).Label + " (" + br.scenario + ")"}}
		for i, m := range methods {
			c, err := d.cell(br.scenario, m.m)
			if err != nil {
				return nil, err
			}
			ci := d.report.CI(c, unavailability)
			totals[i] += ci.Mean
			for k, x := range c.Values(unavailability) {
				if k == len(perSeed[i]) {
					perSeed[i] = append(perSeed[i], 0)
				}
				perSeed[i][k] += x
			}
			r = append(r, table.Value{V: ci.Mean, Lo: ci.Lo, Hi: ci.Hi, N: ci.N})
			if i > 0 {
				r = append(r, table.Value{V: improvement(ci.Mean, mean(br.scenario, "random"))})
			}
		}
		t.Rows = append(t.Rows, r)
	}
	tot := []table.Value{{Text: "TOTAL (sum over the scenarios)"}}
	for i, m := range methods {
		bs := stats.Bootstrap{B: bootstrap.Resamples}
		ci := bs.Mean(perSeed[i], stats.Seed(bootstrap.Seed, exp, "total", m.m, unavailability.Name))
		tot = append(tot, table.Value{V: ci.Mean, Lo: ci.Lo, Hi: ci.Hi, N: ci.N})
		if i > 0 {
			tot = append(tot, table.Value{V: improvement(totals[i], totals[0])})
		}
	}
	t.Rows = append(t.Rows, tot)
	t.Notes = []string{"The post's sixth scenario is not printed; its row is derived from the TOTAL (configs/published/blog_rust_table.yaml) and modelled as partition recovery (blog_partition)."}
	t.Comments = env.provenance([]string{exp}, scenarios)

	// Comparison: BALLAST's effect against Random per scenario (and the
	// totals), for both BALLAST variants; the absolute times for orientation.
	var rows []Compared
	for _, br := range append(blogRows, struct{ key, scenario string }{"total", ""}) {
		pr, pb := pub.Num(br.key, "random_ms"), pub.Num(br.key, "ballast_ms")
		ourR := mean(br.scenario, "random")
		if br.key == "total" {
			ourR = totals[0]
		}
		label := pub.Row(br.key).Label
		rows = append(rows, Compared{Row: label, Col: "Random (ms)", PubText: pubText(pub, br.key, "random_ms"), Pub: pr, Ours: ourR, Kind: absolute,
			PubEffect: math.NaN(), OursEffect: math.NaN(), Magnitude: agree.Within(pr, ourR)})
		for i, m := range methods[1:] {
			ourB := mean(br.scenario, m.m)
			if br.key == "total" {
				ourB = totals[i+1]
			}
			x := Compared{Row: label, Col: "BALLAST (ms), ours: " + m.m, PubText: pubText(pub, br.key, "ballast_ms"), Pub: pb, Ours: ourB, Kind: effect,
				PubEffect: agree.Effect(pb, pr), OursEffect: agree.Effect(ourB, ourR)}
			x.V = agree.Compare(x.PubEffect, x.OursEffect)
			x.Magnitude = agree.Within(pb, ourB)
			rows = append(rows, x)
		}
	}
	c := &Comparison{Title: "Published table vs ours", Pub: pub, Ref: "Random in the same scenario", Rows: rows,
		Notes: []string{"Effects: BALLAST's relative change of unavailability against Random (the post's improvement with the opposite sign)."}}
	return &Result{Tables: []Table{{Name: env.art.ID, T: t}}, Compare: []*Comparison{c}, Claims: []Claim{{
		Source: "Blog: \"BALLAST reduces total cluster unavailability by 84%!\"",
		Check:  "BALLAST's (bandit_safe, the paper's arms) total unavailability over the six scenarios is below Random's",
		Ours:   fmt.Sprintf("%s ms vs %s ms (%s)", sig4(totals[1]), sig4(totals[0]), pct(agree.Effect(totals[1], totals[0]))),
		Holds:  totals[1] < totals[0],
	}}}, nil
}

// improvement is the post's "Improvement": (random - ballast) / random in
// percent; 0 when both are 0.
func improvement(ballast, random float64) float64 {
	if ballast == random {
		return 0 // also keeps -0.0 out of the tables
	}
	return 100 * (random - ballast) / random
}

// pubText is a published cell as printed ("~" for approximate values).
func pubText(pub *published.File, row, col string) string {
	c, ok := pub.Cell(row, col)
	if !ok {
		return "n/a"
	}
	if c.Approx {
		return "~" + c.Value.Text
	}
	return c.Value.Text
}
