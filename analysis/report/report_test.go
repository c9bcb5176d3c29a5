package report

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/table"
	"github.com/ballast-bench/ballast/internal/golden"
)

// fixture is a small fixed experiment: three methods on three seeds of
// wan_main, and an ablation of "bandit" with a base, a variant that
// changed behaviour and one whose traces equal the base's (invalid).
func fixture() *metrics.Tables {
	t := &metrics.Tables{}
	add := func(policy, variant string, seed int64, recMS, unw, svr float64, censored int64, hash string) {
		t.Runs = append(t.Runs, metrics.RunRow{
			RunID: fmt.Sprintf("%s-%s-%d", policy, variant, seed), Experiment: "golden", Scenario: "wan_main",
			Policy: policy, Variant: variant, Seed: seed, ConfigHash: policy + variant, CodeVersion: "v0.0.0+test",
			GraceUS: 150000, WarmupRule: metrics.WarmupFirstWritable, EventsHash: hash,
			Intervals: 4, Censored: censored,
			RecoveryMeanUS: recMS * 1000, RecoveryP95US: 2 * recMS * 1000, RecoveryP99US: 2.5 * recMS * 1000, RecoveryMaxUS: 3 * recMS * 1000,
			UnwritableFrac: unw, SplitVoteRate: svr, TimeToLeaderMeanUS: 40000 + recMS, TermChurnPerMin: 2 + recMS/100,
			Failed: 3, NoQuorumFrac: 0, LowReachFrac: 1.0 / 3, ContentionFrac: 2.0 / 3,
			LeaderCrashes: 1, DetectFirstMeanUS: 150000, DetectQuorumMeanUS: math.NaN(), ElectionMeanUS: 30000, OutOfServiceMeanUS: 180000 + recMS,
			SafetyEpisodes: 1, SafetyMeanUS: 20000, SafetyOverlap2Frac: 0.1, SafetyOverlap3Frac: 0,
		})
	}
	// random: recovery means 100, 200, 600 ms (mean 300), one run without
	// intervals is simulated by a NaN below.
	add("random", "default", 1, 100, 0.30, 0.20, 0, "r1")
	add("random", "default", 2, 200, 0.35, 0.25, 1, "r2")
	add("random", "default", 3, 600, 0.40, 0.30, 0, "r3")
	add("static", "default", 1, 1500, 0.05, 0.10, 0, "s1")
	add("static", "default", 2, 1300, 0.04, 0.10, 0, "s2")
	add("static", "default", 3, 1100, 0.03, 0.10, 0, "s3")
	t.Runs[5].RecoveryMeanUS = math.NaN() // static seed 3: no unwritable interval
	add("bandit", "base", 1, 100, 0.10, 0.20, 0, "b1")
	add("bandit", "base", 2, 300, 0.10, 0.20, 0, "b2")
	add("bandit", "no_safe", 1, 90, 0.09, 0.30, 0, "n1")
	add("bandit", "no_safe", 2, 270, 0.09, 0.30, 0, "b2") // seed 2 unchanged
	add("bandit", "window_100", 1, 100, 0.10, 0.20, 0, "b1")
	add("bandit", "window_100", 2, 300, 0.10, 0.20, 0, "b2")
	return t
}

func render(t *testing.T, tb *table.Table) map[string]string {
	out := map[string]string{}
	var b bytes.Buffer
	if err := tb.LaTeX(&b); err != nil {
		t.Fatal(err)
	}
	out["tex"] = b.String()
	b.Reset()
	tb.Markdown(&b)
	out["md"] = b.String()
	b.Reset()
	tb.CSV(&b)
	out["csv"] = b.String()
	return out
}

func TestGoldenTables(t *testing.T) {
	r, err := New(fixture(), Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		sel  Selection
	}{
		{"main", Selection{Methods: []string{"random", "static"}}},
		{"tails", Selection{Methods: []string{"random", "static"}}},
		{"election", Selection{Methods: []string{"random", "static"}}},
		{"causes", Selection{Methods: []string{"random", "static"}}},
		{"failover", Selection{Methods: []string{"random", "static"}}},
		{"safety", Selection{Methods: []string{"random", "static"}}},
		{"ablation", Selection{}},
	}
	for _, c := range cases {
		tb, invalid, err := r.Table(c.name, c.sel, "base")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for ext, s := range render(t, tb) {
			golden.Check(t, filepath.Join("testdata", c.name+"."+ext), []byte(s))
		}
		if c.name == "ablation" {
			if len(invalid) != 1 || invalid[0].Variant != "window_100" || invalid[0].Seeds != 2 {
				t.Errorf("invalid variants %+v, want window_100 on 2 seeds", invalid)
			}
		}
	}
}

// TestHandChecked checks cells against values computed by hand from the
// fixture, independently of the golden files.
func TestHandChecked(t *testing.T) {
	r, _ := New(fixture(), Options{Seed: 1})
	tb, _, _ := r.Table("main", Selection{Methods: []string{"random", "static"}}, "")
	// random: (100 + 200 + 600) / 3 = 300 ms; static: (1500 + 1300) / 2
	// = 1400 ms over the 2 seeds with intervals.
	if v := tb.Rows[0][1]; v.V != 300 || v.N != 3 || !(v.Lo <= 300 && 300 <= v.Hi) || v.Lo < 100 || v.Hi > 600 {
		t.Errorf("random recovery mean %+v, want 300 within [100, 600]", v)
	}
	if v := tb.Rows[1][1]; v.V != 1400 || v.N != 2 {
		t.Errorf("static recovery mean %+v, want 1400 over 2 seeds", v)
	}
	if v := tb.Rows[0][6]; v.Text != "1/12" {
		t.Errorf("random censored %q, want 1/12", v.Text)
	}
	if !strings.Contains(strings.Join(tb.Notes, "\n"), "Recovery mean (ms) is undefined for some seeds (no such event in the run) and averaged over the others: static 2/3.") {
		t.Errorf("no note on the undefined seed: %q", tb.Notes)
	}
	// Ablation no_safe: recovery (90+270)/2 = 180 vs base (100+300)/2 =
	// 200: -10 %; unwritable 0.09 vs 0.10: -10 %; split votes 0.3 vs
	// 0.2: +50 %.
	ab, _, _ := r.Table("ablation", Selection{}, "base")
	var row []table.Value
	for _, rw := range ab.Rows {
		if rw[0].Text == "no_safe" {
			row = rw
		}
	}
	if row == nil {
		t.Fatal("no no_safe row")
	}
	for i, want := range []float64{-10, -10, 50} {
		if math.Abs(row[i+1].V-want) > 1e-9 {
			t.Errorf("no_safe column %d = %v, want %v", i+1, row[i+1].V, want)
		}
	}
	for _, rw := range ab.Rows {
		if rw[0].Text == "window_100" {
			t.Error("the invalid variant window_100 is in the table")
		}
	}
}

func TestDeterministicAndOrderFree(t *testing.T) {
	a, _ := New(fixture(), Options{Seed: 7})
	f := fixture()
	for i, j := 0, len(f.Runs)-1; i < j; i, j = i+1, j-1 {
		f.Runs[i], f.Runs[j] = f.Runs[j], f.Runs[i]
	}
	b, _ := New(f, Options{Seed: 7})
	ta, _, _ := a.Table("main", Selection{}, "")
	tb, _, _ := b.Table("main", Selection{}, "")
	ra, rb := render(t, ta), render(t, tb)
	if ra["tex"] != rb["tex"] || ra["csv"] != rb["csv"] {
		t.Error("the same runs in another order gave another table")
	}
}

func TestSelectionErrors(t *testing.T) {
	r, _ := New(fixture(), Options{})
	for _, c := range []struct {
		sel  Selection
		name string
		want string
	}{
		{Selection{Experiment: "nope"}, "main", `--experiment "nope": allowed: "golden"`},
		{Selection{Scenario: "lan"}, "main", `--scenario "lan": allowed: "wan_main"`},
		{Selection{Methods: []string{"x"}}, "main", `--methods: "x": allowed:`},
		{Selection{}, "nope", `table "nope": allowed: main, tails`},
	} {
		_, _, err := r.Table(c.name, c.sel, "base")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.sel, err, c.want)
		}
	}
	if _, _, err := r.Table("ablation", Selection{}, "nobase"); err == nil || !strings.Contains(err.Error(), `--base "nobase"`) {
		t.Errorf("missing base: %v", err)
	}
}

// TestLaTeXCompiles compiles every golden LaTeX table in a minimal
// document when latexmk is installed.
func TestLaTeXCompiles(t *testing.T) {
	if _, err := exec.LookPath("latexmk"); err != nil {
		t.Skip("latexmk not installed: skipping the LaTeX compile check (Debian: latexmk texlive-latex-recommended)")
	}
	dir := t.TempDir()
	var body strings.Builder
	for _, name := range Tables {
		tex, err := os.ReadFile(filepath.Join("testdata", name+".tex"))
		if err != nil {
			t.Fatal(err)
		}
		body.Write(tex)
	}
	doc := "\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage[margin=1cm,landscape]{geometry}\n\\begin{document}\n" + body.String() + "\\end{document}\n"
	os.WriteFile(filepath.Join(dir, "tables.tex"), []byte(doc), 0o644)
	cmd := exec.Command("latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "tables.tex")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("latexmk: %v\n%s", err, out)
	}
}

// TestFlaggedNote: a table over live runs the harness flagged says which,
// per method; a table without any says nothing.
func TestFlaggedNote(t *testing.T) {
	tables := fixture()
	tables.Runs[1].HarnessFlagged = true // random, seed 2
	r, _ := New(tables, Options{Seed: 1})
	tb, _, _ := r.Table("main", Selection{Methods: []string{"random", "static"}}, "")
	want := "Live runs flagged (the harness's own lateness above 5000 µs at p99: the machine's scheduling noise is a sizeable part of what they measured; docs/live.md): random 1/3."
	if !slices.Contains(tb.Notes, want) {
		t.Errorf("notes %q; want %q", tb.Notes, want)
	}
	// Cells of several scenarios (a comparison's) name theirs.
	flagged, clean := &metrics.RunRow{HarnessFlagged: true}, &metrics.RunRow{}
	got := FlaggedRuns([]*Cell{
		{Experiment: "e", Scenario: "a", Policy: "random", Runs: []*metrics.RunRow{flagged, clean}},
		{Experiment: "e", Scenario: "b", Policy: "random", Runs: []*metrics.RunRow{clean}},
		{Experiment: "e", Scenario: "b", Policy: "static", Variant: "v", Runs: []*metrics.RunRow{flagged}},
	})
	if !strings.HasSuffix(got, "docs/live.md): e / a / random 1/2, e / b / static/v 1/1.") {
		t.Errorf("flagged cells of two scenarios: %q; want each named by experiment and scenario", got)
	}
	r, _ = New(fixture(), Options{Seed: 1})
	tb, _, _ = r.Table("main", Selection{Methods: []string{"random", "static"}}, "")
	for _, n := range tb.Notes {
		if strings.Contains(n, "flagged") {
			t.Errorf("a note on flagged runs without any: %q", n)
		}
	}
}
