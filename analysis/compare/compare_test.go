package compare_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/analysis/compare"
	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/internal/testseed"
)

// sweep runs an experiment's report seeds and returns their analysed
// tables, as 'ballast analyze' would write them.
func sweep(t *testing.T, yaml string) *metrics.Tables {
	t.Helper()
	e, err := harness.ParseExperiment("compare_test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := e.Grid(harness.SetReport, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir, spec := t.TempDir(), metrics.Spec{}
	out := harness.Outputs{Analysis: &spec, DropEvents: true}
	if _, err := harness.Sweep(context.Background(), jobs, harness.Options{OutDir: dir, Workers: 2, Outputs: out}); err != nil {
		t.Fatal(err)
	}
	runs, err := harness.Analyses(dir, jobs, spec, 2)
	if err != nil {
		t.Fatal(err)
	}
	return metrics.Collect(runs)
}

// The main scenario of the BALLAST paper, two methods on 16 seeds.
const mainYAML = `name: cmp
scenarios: [wan_main]
policies:
  - policy: random
  - policy: bandit_safe
seeds: {master: 1, tuning: 1, report: 16}
`

func verdicts(r *compare.Result) map[compare.Verdict]int {
	m := map[compare.Verdict]int{}
	for _, row := range r.Rows {
		m[row.Verdict]++
	}
	return m
}

// TestSelfCompare: a set of runs compared with itself is identical
// everywhere: nothing is tested, nothing flagged.
func TestSelfCompare(t *testing.T) {
	tb := sweep(t, mainYAML)
	r, err := compare.Runs(tb, tb, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := 2 * len(compare.DefaultMetrics)
	v := verdicts(r)
	if len(r.Rows) != want || v[compare.Identical]+v[compare.NotTested] != want || r.Tested != 0 {
		t.Errorf("self-compare: %d rows (want %d), verdicts %v, %d tested; want every row identical or n/a", len(r.Rows), want, v, r.Tested)
	}
	for _, f := range compare.Formats {
		var b bytes.Buffer
		if err := r.Write(&b, f, "a", "a", false); err != nil {
			t.Fatal(err)
		}
		if f == "text" && !strings.Contains(b.String(), "Not shown (--all shows them): ") {
			t.Errorf("text output does not say the identical rows were left out:\n%s", b.String())
		}
	}
}

// TestFlaggedRunsNoted: live runs the harness flagged are named in the
// comparison's method lines, on their side, per method.
func TestFlaggedRunsNoted(t *testing.T) {
	tb := sweep(t, mainYAML)
	live := *tb
	live.Runs = slices.Clone(tb.Runs)
	n := 0
	for i := range live.Runs {
		if live.Runs[i].Policy == "bandit_safe" {
			live.Runs[i].HarnessFlagged = n%4 == 0
			n++
		}
	}
	r, err := compare.Runs(tb, &live, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "New: Live runs flagged (the harness's own lateness above 5000 µs at p99: the machine's scheduling noise is a sizeable part of what they measured; docs/live.md): bandit_safe 4/16."
	var notes []string
	for _, l := range r.Method() {
		if strings.Contains(l, "flagged") {
			notes = append(notes, l)
		}
	}
	if !slices.Equal(notes, []string{want}) {
		t.Errorf("notes on flagged runs %q; want [%q]", notes, want)
	}
	var b bytes.Buffer
	if err := r.Write(&b, "markdown", "virtual", "live", false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), want) {
		t.Errorf("markdown output does not carry the note:\n%s", b.String())
	}
}

// TestRandomVersusBandit: on the main scenario's seeds, BALLAST's bandit
// recovers faster than randomized timeouts (the paper's Table 1); the
// comparison finds it significant, and its paired interval of the change
// matches a bootstrap written here from the definition.
func TestRandomVersusBandit(t *testing.T) {
	tb := sweep(t, mainYAML)
	r, err := compare.Methods(tb, "random", "bandit_safe", compare.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var row *compare.Row
	for i := range r.Rows {
		if r.Rows[i].Metric.Name == "recovery_mean" {
			row = &r.Rows[i]
		}
	}
	if row == nil || !row.Paired || row.Pairs != 16 {
		t.Fatalf("recovery_mean row %+v: want paired over 16 seeds", row)
	}
	t.Logf("recovery mean: random %.1f ms, bandit_safe %.1f ms, change %+.1f%% [%+.1f, %+.1f], p %.3g (Holm %.3g)",
		row.OldCI.Mean, row.NewCI.Mean, row.Change.Pct.Mean, row.Change.Pct.Lo, row.Change.Pct.Hi, row.P, row.PAdj)
	if row.Verdict != compare.Better {
		t.Errorf("random -> bandit_safe recovery mean: verdict %q, want better", row.Verdict)
	}

	// The independent bootstrap: pairs of per-seed means resampled with
	// another generator, the percent change of each resample, its 2.5 and
	// 97.5 percentiles (by sorting and linear interpolation, numpy's
	// default), and the Holm-free sign-flip p-value by brute force.
	m := metrics.MustMetric("recovery_mean")
	var old, new []float64
	for _, seed := range seedsOf(tb, "random") {
		old = append(old, valueOf(tb, "random", seed, m))
		new = append(new, valueOf(tb, "bandit_safe", seed, m))
	}
	const b = 20000
	rng := rand.New(rand.NewChaCha8([32]byte{42}))
	pcts := make([]float64, b)
	for k := range pcts {
		so, sn := 0.0, 0.0
		for range old {
			i := rng.IntN(len(old))
			so, sn = so+old[i], sn+new[i]
		}
		pcts[k] = 100 * (sn - so) / so
	}
	slices.Sort(pcts)
	pctl := func(p float64) float64 {
		h := p * float64(len(pcts)-1)
		i := int(h)
		return pcts[i] + (h-float64(i))*(pcts[i+1]-pcts[i])
	}
	lo, hi := pctl(0.025), pctl(0.975)
	if tol := 0.05 * (hi - lo); math.Abs(row.Change.Pct.Lo-lo) > tol || math.Abs(row.Change.Pct.Hi-hi) > tol {
		t.Errorf("percent change interval [%.2f, %.2f]; independent bootstrap [%.2f, %.2f] (tolerance %.2f)", row.Change.Pct.Lo, row.Change.Pct.Hi, lo, hi, tol)
	}
	if hi >= 0 {
		t.Errorf("independent bootstrap [%.2f, %.2f] does not exclude 0: the fixture is too weak to check a significant change", lo, hi)
	}
}

func seedsOf(tb *metrics.Tables, policy string) []int64 {
	var s []int64
	for _, r := range tb.Runs {
		if r.Policy == policy {
			s = append(s, r.Seed)
		}
	}
	slices.Sort(s)
	return s
}

func valueOf(tb *metrics.Tables, policy string, seed int64, m metrics.Metric) float64 {
	for i := range tb.Runs {
		if r := &tb.Runs[i]; r.Policy == policy && r.Seed == seed {
			return m.Get(r)
		}
	}
	panic(fmt.Sprintf("no run of %s seed %d", policy, seed))
}

// TestSyntheticChangeFound: two sweeps alike but for one policy's
// parameter. Only that policy's comparisons can move (every draw of the
// other comes from its own seeded streams, so its runs are the same
// bytes), and the change is found.
func TestSyntheticChangeFound(t *testing.T) {
	const yaml = `name: synthetic
scenarios: [wan_main]
policies:
  - policy: static
    set: {min_ms: 150, max_ms: %d}
  - policy: backoff
seeds: {master: 3, tuning: 1, report: 12}
`
	old := sweep(t, fmt.Sprintf(yaml, 300))
	new := sweep(t, fmt.Sprintf(yaml, 1500))
	r, err := compare.Runs(old, new, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, row := range r.Rows {
		switch row.Old {
		case "backoff":
			if row.Verdict != compare.Identical && row.Verdict != compare.NotTested || !row.SameConfig {
				t.Errorf("backoff %s: verdict %q, same config %v; want identical, same config", row.Metric.Name, row.Verdict, row.SameConfig)
			}
		case "static":
			if row.SameConfig {
				t.Errorf("static: the changed parameter does not show as a changed config")
			}
			if row.Metric.Name == "recovery_mean" {
				// Either way is a finding: on this WAN the short timeouts
				// split votes, so the longer ones recover faster.
				found = row.Verdict == compare.Better || row.Verdict == compare.Worse
				t.Logf("static max_ms 300 -> 1500: recovery mean %.0f -> %.0f ms, %s", row.OldCI.Mean, row.NewCI.Mean, row.Verdict)
			}
		}
	}
	if !found {
		var b bytes.Buffer
		r.Write(&b, "text", "old", "new", true)
		t.Errorf("the changed static timeout's recovery is not found significantly changed:\n%s", b.String())
	}
}

// nullTables is a set of runs whose metrics are drawn at random: cells
// with a per-seed effect that both sides share plus independent noise, so
// that no comparison of two such sets (from different draw seeds) has a
// true change.
func nullTables(cells int, seeds []int64, shared []float64, r *rand.Rand) *metrics.Tables {
	tb := &metrics.Tables{}
	for c := range cells {
		for i, s := range seeds {
			tb.Runs = append(tb.Runs, metrics.RunRow{
				RunID: fmt.Sprintf("c%d-s%d", c, s), Experiment: "null", Scenario: "s", Policy: fmt.Sprintf("p%d", c), Seed: s, ConfigHash: "h",
				RecoveryMeanUS: 1e5 + shared[i]*1e4 + math.Exp(r.NormFloat64())*5e3,
				RecoveryP99US:  4e5 + shared[i]*3e4 + math.Exp(r.NormFloat64())*2e4,
				UnwritableFrac: 0.02 + 0.002*shared[i] + 0.001*r.Float64(),
			})
		}
	}
	return tb
}

// TestFalsePositiveRate: over many pairs of result sets with no true
// change, the share of comparisons flagging anything stays within the
// family-wise rate that Holm's correction states (alpha), and without a
// correction each test holds alpha on its own. Paired and unpaired.
func TestFalsePositiveRate(t *testing.T) {
	seed := testseed.Master(t)
	r := rand.New(rand.NewPCG(seed, 1))
	ms := []metrics.Metric{metrics.MustMetric("recovery_mean"), metrics.MustMetric("recovery_p99"), metrics.MustMetric("unwritable_frac")}
	const families, cells, alpha = 300, 4, 0.05
	seeds := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	for _, paired := range []bool{true, false} {
		flaggedFamilies, flaggedTests, tests := 0, 0, 0
		for f := range families {
			shared := make([]float64, len(seeds))
			for i := range shared {
				shared[i] = r.NormFloat64()
			}
			a := nullTables(cells, seeds, shared, r)
			newSeeds := seeds
			if !paired {
				newSeeds = []int64{101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112}
				for i := range shared {
					shared[i] = r.NormFloat64()
				}
			}
			b := nullTables(cells, newSeeds, shared, r)
			opt := compare.Options{Metrics: ms, Resamples: 999, Seed: uint64(f)}
			holm, err := compare.Runs(a, b, opt)
			if err != nil {
				t.Fatal(err)
			}
			if holm.Count(compare.Better)+holm.Count(compare.Worse) > 0 {
				flaggedFamilies++
			}
			// Uncorrected: each test's own p-value against alpha.
			for _, row := range holm.Rows {
				if row.P <= alpha {
					flaggedTests++
				}
			}
			tests += holm.Tested
		}
		fam, each := float64(flaggedFamilies)/families, float64(flaggedTests)/float64(tests)
		t.Logf("paired %v: %d of %d null families flagged with Holm (%.3f); %d of %d tests uncorrected (%.3f); seed %d",
			paired, flaggedFamilies, families, fam, flaggedTests, tests, each, seed)
		// Binomial(300, 0.05) has sd 0.0126: 0.09 is 3.2 sd above alpha.
		if fam > 0.09 {
			t.Errorf("paired %v: %.3f of null families flagged with Holm at alpha %.2f (seed %d)", paired, fam, alpha, seed)
		}
		if each > 0.07 {
			t.Errorf("paired %v: %.3f of null tests flagged uncorrected at alpha %.2f (seed %d)", paired, each, alpha, seed)
		}
	}
}

func TestOutputs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	seeds := []int64{1, 2, 3}
	shared := []float64{0, 1, 2}
	a, b := nullTables(2, seeds, shared, r), nullTables(2, seeds, shared, r)
	b.Runs = b.Runs[:3] // cell p1 only in old
	res, err := compare.Runs(a, b, compare.Options{Metrics: []metrics.Metric{metrics.MustMetric("recovery_mean")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.OnlyOld) != 1 || res.OnlyOld[0] != "null / s / p1" || len(res.OnlyNew) != 0 {
		t.Errorf("only old %v, only new %v; want [null / s / p1], []", res.OnlyOld, res.OnlyNew)
	}
	var text, md, c, j bytes.Buffer
	for f, w := range map[string]*bytes.Buffer{"text": &text, "markdown": &md, "csv": &c, "json": &j} {
		if err := res.Write(w, f, "OLD", "NEW", false); err != nil {
			t.Fatal(err)
		}
	}
	for name, s := range map[string]string{"text": text.String(), "markdown": md.String()} {
		for _, want := range []string{"1 comparisons: 1 no significant change (~).", "Too few seeds: 1 comparisons have 3 pairs", "Only in old: null / s / p1", "Holm-Bonferroni"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s output lacks %q:\n%s", name, want, s)
			}
		}
	}
	recs, err := csv.NewReader(&c).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][len(recs[1])-1] != "~" {
		t.Errorf("csv: %v %q", err, recs)
	}
	var out struct {
		Rows []struct {
			P       *float64 `json:"p"`
			Verdict string   `json:"verdict"`
		} `json:"rows"`
		OnlyOld []string `json:"only_old"`
	}
	if err := json.Unmarshal(j.Bytes(), &out); err != nil || len(out.Rows) != 1 || out.Rows[0].P == nil || out.Rows[0].Verdict != "~" {
		t.Errorf("json: %v %s", err, j.String())
	}
	if err := res.Write(&text, "yaml", "", "", false); err == nil || !strings.Contains(err.Error(), "allowed: text, markdown, csv, json") {
		t.Errorf("unknown format: %v", err)
	}
}

// TestFailovers: every failover of a cell pooled, side against side: the
// means, medians, their differences and the KS distance of a hand-made
// pair of distributions.
func TestFailovers(t *testing.T) {
	side := func(runID string, oosMS ...float64) *metrics.Tables {
		tb := &metrics.Tables{Runs: []metrics.RunRow{{RunID: runID, Experiment: "", Scenario: "lan", Policy: "etcd", Seed: 1, ConfigHash: runID}}}
		for _, v := range oosMS {
			us := int64(v * 1000)
			tb.Failovers = append(tb.Failovers, metrics.Failover{RunID: runID, OutOfServiceUS: us, DetectFirstUS: us - 10_000, ElectionUS: 10_000, Recovered: true, Detected: true})
		}
		return tb
	}
	old, new := side("sim", 100, 200, 300), side("live", 150, 250, 350)
	res, err := compare.Failovers(old, new, compare.Options{Resamples: 2000})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != len(compare.FailoverMeasures) {
		t.Fatalf("%d rows, want one per measure", len(res.Rows))
	}
	oos := res.Rows[0]
	// F_old steps at 100, 200, 300 and F_new at 150, 250, 350: the largest
	// gap is 1/3 (between 100 and 150, 200 and 250, 300 and 350).
	if oos.Measure != "out_of_service" || oos.OldN != 3 || oos.NewN != 3 || oos.OldMean != 200 || oos.NewMean != 250 ||
		oos.NewMedian != 250 || oos.MeanDiff.Mean != 50 || oos.MeanPct != 25 || math.Abs(oos.KS-1.0/3) > 1e-12 || oos.SameConfig {
		t.Errorf("out of service row %+v", oos)
	}
	if el := res.Rows[2]; el.Measure != "election" || el.KS != 0 || el.MeanDiff.Mean != 0 {
		t.Errorf("election row %+v: equal on both sides", el)
	}
	var b bytes.Buffer
	if err := res.Write(&b, "text", "sim", "live"); err != nil || !strings.Contains(b.String(), "(single runs) / lan") || !strings.Contains(b.String(), "+25.0%") {
		t.Errorf("text output (%v):\n%s", err, b.String())
	}
}
