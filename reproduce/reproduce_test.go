package reproduce

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/internal/golden"
	"github.com/ballast-bench/ballast/reproduce/published"
)

// small are two cheap artifacts: no tuning, no cut scenarios, so their
// outputs name no temporary path and can be compared across directories.
var small = []string{"ballast_table_a10", "blog_rust_table"}

func options(out string) Options {
	return Options{Quick: true, Only: small, Out: out, TunedDir: filepath.Join(out, "tuned"),
		PublishedDir: filepath.Join("..", published.Dir), Jobs: 2}
}

// outputs reads every file under out's tables/ and figures/.
func outputs(t *testing.T, out string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, dir := range []string{"tables", "figures"} {
		err := filepath.WalkDir(filepath.Join(out, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			rel, _ := filepath.Rel(out, p)
			files[rel] = b
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func sameFiles(t *testing.T, what string, a, b map[string][]byte) {
	t.Helper()
	if len(a) != len(b) || len(a) == 0 {
		t.Errorf("%s: %d files vs %d", what, len(a), len(b))
	}
	for name, x := range a {
		if !bytes.Equal(x, b[name]) {
			t.Errorf("%s: %s differs", what, name)
		}
	}
}

// TestReproducible runs the same reproduction in two fresh directories and
// once more over the first (every run resumed): byte-identical tables and
// figures each time. The tables of the first are the golden files.
func TestReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("runs about 60 simulations")
	}
	ctx := context.Background()
	a, b := t.TempDir(), t.TempDir()
	sum, err := Run(ctx, options(a))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Report != "" || sum.Artifacts != 2 {
		t.Errorf("--only run: %+v; want 2 artifacts and no REPORT.md", sum)
	}
	if _, err := Run(ctx, options(b)); err != nil {
		t.Fatal(err)
	}
	first := outputs(t, a)
	sameFiles(t, "two fresh directories", first, outputs(t, b))
	if _, err := Run(ctx, options(a)); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, "rerun over complete runs", first, outputs(t, a))
}

// TestQuickGolden runs the whole quick reproduction (make reproduce-quick)
// and compares every table, every figure's data and the summary of the
// comparisons with the golden files in testdata/golden/quick/, and
// REPORT.md with the summary (checkReport): a change that moves any
// reproduced number
// must update them (go test ./reproduce -run TestQuickGolden -update), and
// the diff shows which numbers moved. The code version in the provenance
// comments and the output directory are replaced by placeholders.
func TestQuickGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the quick reproduction (about a minute on 2 cores)")
	}
	out := t.TempDir()
	opt := options(out)
	opt.Only = nil
	if _, err := Run(context.Background(), opt); err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for rel, b := range outputs(t, out) {
		if filepath.Ext(rel) == ".png" || filepath.Ext(rel) == ".pdf" {
			continue // rendered pictures: their data is the .csv beside them
		}
		got[rel] = normalise(b, out)
	}
	// The summary of every comparison and claim is golden too, and says
	// what REPORT.md says.
	for _, name := range []string{"summary.json", "summary.csv", "verdicts.csv"} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		got[name] = normalise(b, out)
	}
	var sum reportSummary
	if err := json.Unmarshal(got["summary.json"], &sum); err != nil {
		t.Fatal(err)
	}
	report, err := os.ReadFile(filepath.Join(out, "REPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, string(report), &sum)
	dir := filepath.Join("testdata", "golden", "quick")
	for rel, b := range got {
		golden.Check(t, filepath.Join(dir, rel), b)
	}
	if golden.Updating() {
		return
	}
	// A golden file without an output: an artifact disappeared.
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			if _, ok := got[rel]; !ok {
				t.Errorf("%s has no output any more (delete it if that is intended)", p)
			}
		}
		return nil
	})
}

// normalise replaces what depends on the build and the directory, not on
// the results: the code version and the output root.
func normalise(b []byte, out string) []byte {
	b = bytes.ReplaceAll(b, []byte(harness.CodeVersion()), []byte("CODE_VERSION"))
	return bytes.ReplaceAll(b, []byte(out), []byte("artifacts/quick"))
}

// TestShardMergeAnalyse is the sweep workflow on one machine: the report
// runs of an experiment in three shards, merged, then analysed and
// rendered without running anything (--no-run) must give the same tables
// as an unsharded reproduction.
func TestShardMergeAnalyse(t *testing.T) {
	if testing.Short() {
		t.Skip("runs simulations")
	}
	ctx := context.Background()
	whole := t.TempDir()
	opt := options(whole)
	opt.Only = []string{"ballast_table_a10"}
	if _, err := Run(ctx, opt); err != nil {
		t.Fatal(err)
	}
	e, err := harness.LoadExperiment("ballast_cold_start")
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := e.Grid(harness.SetReport, 3) // quick mode's seeds
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	var shards []string
	for i := range 3 {
		dir := filepath.Join(tmp, "shard-"+string(rune('0'+i)))
		if _, err := harness.Sweep(ctx, jobs, harness.Options{OutDir: dir, Workers: 1, Shard: harness.Shard{Index: i, Count: 3}}); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, dir)
	}
	merged := t.TempDir()
	if _, err := harness.Merge(filepath.Join(merged, "runs", "ballast_cold_start"), shards); err != nil {
		t.Fatal(err)
	}
	opt = options(merged)
	opt.Only, opt.NoRun = []string{"ballast_table_a10"}, true
	if _, err := Run(ctx, opt); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, "shards merged vs unsharded", outputs(t, whole), outputs(t, merged))
}

// TestBadInput: a missing published file or a missing run is one line
// naming the file or run, and no table or figure is written.
func TestBadInput(t *testing.T) {
	ctx := context.Background()
	out := t.TempDir()
	opt := options(out)
	opt.PublishedDir = t.TempDir()
	_, err := Run(ctx, opt)
	if err == nil || !strings.Contains(err.Error(), "ballast_table_a10.yaml") || strings.Contains(err.Error(), "\n") {
		t.Errorf("missing published file: %v", err)
	}
	opt = options(out)
	opt.NoRun = true
	_, err = Run(ctx, opt)
	if err == nil || !strings.Contains(err.Error(), "is missing or incomplete") || !strings.Contains(err.Error(), "--no-run") {
		t.Errorf("missing run with --no-run: %v", err)
	}
	opt.Only = []string{"nonesuch"}
	if _, err := Run(ctx, opt); err == nil || !strings.Contains(err.Error(), "--only") {
		t.Errorf("unknown --only: %v", err)
	}
	for _, d := range []string{"tables", "figures"} {
		if _, err := os.Stat(filepath.Join(out, d)); err == nil {
			t.Errorf("%s/ written despite the errors", d)
		}
	}
}

// TestReportSections writes REPORT.md for a small reproduction: the rule,
// the summary row and verdict of every artifact, the generated findings
// (and not the full run's) and each artifact's comparison and claims are
// there.
func TestReportSections(t *testing.T) {
	if testing.Short() {
		t.Skip("runs simulations")
	}
	opt := options(t.TempDir())
	opt.defaults()
	env, results, err := build(context.Background(), &opt)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := writeReport(&b, &opt, env, results); err != nil {
		t.Fatal(err)
	}
	r := b.String()
	for _, want := range []string{
		"## The agreement rule", "Quick mode", "## Summary", "[Table A.10](#ballast-table-a10)", "[Simulation Results table](#blog-rust-table)",
		"## Findings", "<a id=\"blog-rust-table\"></a>", "**Published Table A.10 vs ours** (effects relative to no_reset)",
		"| Source says | Test | Ours | Holds |", "reduces total cluster unavailability by 84%", "## Not reproduced here", "etcd/raft prototype",
		"| Claims | Verdict |", "**Verdict** of each artifact", "Verdicts of the 2 artifacts: ", "**Disagreements in this run**", "**Why we disagree.**",
		"## Blog post, Rust-simulator table [mlog-ballast]", "## Sources", "- [ballast] Qizhi Wang (2025).",
	} {
		if !strings.Contains(r, want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
	if strings.Contains(r, "../shared") {
		t.Error("REPORT.md cites the team's notes outside the repository")
	}
	checkReport(t, r, summarize(&opt, results))
}
