package reproduce

import (
	"bytes"
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/reproduce/published"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

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
	for _, name := range []string{"ballast_table_a10.md", "ballast_table_a10.compare.csv", "blog_rust_table.md", "blog_rust_table.compare.csv", "blog_rust_table.tex"} {
		// The provenance names the code version, which is the commit where
		// the build stamps it: the golden files hold a placeholder.
		got := bytes.ReplaceAll(first[filepath.Join("tables", name)], []byte(harness.CodeVersion()), []byte("CODE_VERSION"))
		golden := filepath.Join("testdata", "golden", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./reproduce -run TestReproducible -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (rerun with -update if the change is intended)\ngot:\n%s", name, golden, got)
		}
	}
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
// the summary row of every artifact, the findings and each artifact's
// comparison and claims are there.
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
	} {
		if !strings.Contains(r, want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
}
