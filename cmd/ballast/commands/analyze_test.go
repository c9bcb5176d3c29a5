package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/eventlog/pq"
)

// simRuns writes runs of lan with two policies and three seeds under
// root/<policy>/s<seed>.parquet and returns their paths.
func simRuns(t *testing.T, root string) []string {
	t.Helper()
	var paths []string
	for _, policy := range []string{"random", "static"} {
		for _, seed := range []string{"1", "2", "3"} {
			out := filepath.Join(root, policy, "s"+seed+".parquet")
			os.MkdirAll(filepath.Dir(out), 0o755)
			if code, _, stderr := run(t, "sim", "--scenario", "lan", "--policy", policy, "--seed", seed, "--out", out); code != 0 {
				t.Fatalf("sim: %s", stderr)
			}
			paths = append(paths, out)
		}
	}
	return paths
}

// analyzedRuns writes simRuns under tmp/runs and analyses them into tmp/an,
// which it returns.
func analyzedRuns(t *testing.T, tmp string) string {
	t.Helper()
	simRuns(t, filepath.Join(tmp, "runs"))
	an := filepath.Join(tmp, "an")
	if code, _, stderr := run(t, "analyze", filepath.Join(tmp, "runs"), "--out", an); code != 0 {
		t.Fatal(stderr)
	}
	return an
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		out[e.Name()] = string(b)
	}
	return out
}

// TestAnalyzeShardsEqualMerge: two shard directories (in either order)
// give byte-identical tables to one directory holding their merge, with a
// run present in both shards counted once.
func TestAnalyzeShardsEqualMerge(t *testing.T) {
	tmp := t.TempDir()
	merged := filepath.Join(tmp, "merged")
	paths := simRuns(t, merged)
	shardA, shardB := filepath.Join(tmp, "a"), filepath.Join(tmp, "b")
	for i, p := range paths {
		rel, _ := filepath.Rel(merged, p)
		data, _ := os.ReadFile(p)
		dirs := []string{shardA}
		if i%2 == 1 || i == 0 {
			dirs = append(dirs, shardB) // run 0 is in both shards
		}
		if i%2 == 1 {
			dirs = dirs[1:]
		}
		for _, d := range dirs {
			dst := filepath.Join(d, "x", rel)
			os.MkdirAll(filepath.Dir(dst), 0o755)
			os.WriteFile(dst, data, 0o644)
		}
	}
	outs := map[string][]string{
		"merged": {merged},
		"ab":     {shardA, shardB},
		"ba":     {shardB, shardA},
	}
	var want map[string]string
	for _, name := range []string{"merged", "ab", "ba"} {
		out := filepath.Join(tmp, "out-"+name)
		args := append([]string{"analyze"}, outs[name]...)
		code, stdout, stderr := run(t, append(args, "--out", out)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		if !strings.Contains(stdout, "analysed 6 runs") {
			t.Errorf("%s: %q", name, stdout)
		}
		got := readDir(t, out)
		if want == nil {
			want = got
			continue
		}
		for f, w := range want {
			if got[f] != w {
				t.Errorf("%s: %s differs from the merged analysis", name, f)
			}
		}
	}
	if len(want) != 12 {
		t.Errorf("%d files written, want 12 (6 tables as Parquet and CSV)", len(want))
	}
}

func TestAnalyzeBadInput(t *testing.T) {
	tmp := t.TempDir()
	good := simRuns(t, filepath.Join(tmp, "runs"))[0]
	noMeta := filepath.Join(tmp, "nometa.parquet")
	w, err := pq.Create(noMeta, "r1")
	if err != nil {
		t.Fatal(err)
	}
	w.Emit(&eventlog.Event{Kind: eventlog.BecameFollower, Node: 0, Peer: -1, Arm: -1, Value: 1})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	notParquet := filepath.Join(tmp, "junk.parquet")
	os.WriteFile(notParquet, []byte("not parquet"), 0o644)
	out := filepath.Join(tmp, "out")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"analyze", filepath.Join(tmp, "missing"), "--out", out}, "missing: no such file or directory; allowed: an events file or a directory"},
		{[]string{"analyze", strings.TrimSuffix(good, ".parquet") + ".runs.parquet", "--out", out}, "not an events file; allowed: *.parquet files other than *.runs.parquet"},
		{[]string{"analyze", noMeta, "--out", out}, `nometa.parquet: no "ballast.run" metadata; allowed:`},
		{[]string{"analyze", good, notParquet, "--out", out}, "junk.parquet"},
		{[]string{"analyze", good, "--out", out, "--warmup", "later"}, `--warmup "later": allowed: first-writable, none`},
		{[]string{"analyze", good, "--out", out, "--grace", "0"}, "--grace 0: allowed: a positive number"},
		{[]string{"analyze", filepath.Join(tmp, "runs", "static"), filepath.Join(tmp, "out"), "--out", out, "--arm-bin", "0s"}, "--arm-bin 0s: allowed"},
	}
	for _, c := range cases {
		code, _, stderr := run(t, c.args...)
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (%q)", c.args, code, ExitUsage, stderr)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: stderr %q, want one line containing %q", c.args, stderr, c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%v: wrote %s", c.args, out)
		}
	}
}

func TestTableAndPlotCommands(t *testing.T) {
	tmp := t.TempDir()
	an := analyzedRuns(t, tmp)
	outDir := filepath.Join(tmp, "out")
	os.MkdirAll(outDir, 0o755)
	for _, args := range [][]string{
		{"table", "main", "--metrics", an, "--out", filepath.Join(outDir, "main")},
		{"table", "failover", "--metrics", an, "--out", filepath.Join(outDir, "failover"), "--methods", "static,random"},
		{"plot", "cdf", "--metrics", an, "--out", filepath.Join(outDir, "cdf")},
		{"plot", "bars", "--metrics", an, "--out", filepath.Join(outDir, "bars"), "--metric", "recovery_mean_us"},
	} {
		if code, _, stderr := run(t, args...); code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
	}
	got := readDir(t, outDir)
	for _, f := range []string{"main.tex", "main.md", "main.csv", "failover.tex", "cdf.png", "cdf.pdf", "bars.png", "bars.pdf"} {
		if got[f] == "" {
			t.Errorf("%s not written", f)
		}
	}
	if !strings.Contains(got["main.tex"], `\toprule`) || !strings.Contains(got["main.tex"], "% ballast table main: experiment \"\" (single runs), scenario lan") {
		t.Errorf("main.tex lacks booktabs rules or its provenance comment:\n%s", got["main.tex"])
	}
	bad := filepath.Join(outDir, "bad")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"table", "nope", "--metrics", an, "--out", bad}, `table "nope": allowed: main, tails`},
		{[]string{"table", "main", "--metrics", outDir, "--out", bad}, "--metrics: " + outDir + ": no runs.metrics.parquet"},
		{[]string{"table", "main", "--metrics", an, "--out", bad, "--scenario", "wan"}, `--scenario "wan": allowed: "lan"`},
		{[]string{"table", "ablation", "--metrics", an, "--out", bad}, `--base "base": no such variant`},
		{[]string{"plot", "bars", "--metrics", an, "--out", bad, "--metric", "speed"}, `--metric "speed": unknown metric; allowed:`},
		{[]string{"plot", "cdf", "--metrics", an, "--out", bad, "--of", "x"}, `--of "x": allowed: recovery, time_to_leader, out_of_service`},
		{[]string{"plot", "arms", "--metrics", an, "--out", bad}, "no policy_decision rows with an arm"},
		{[]string{"plot", "sensitivity", "--metrics", an, "--out", bad}, "--param is required"},
	} {
		code, _, stderr := run(t, c.args...)
		if code != ExitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line containing %q", c.args, code, stderr, c.want)
		}
	}
	if after := readDir(t, outDir); len(after) != len(got) {
		t.Errorf("failed commands left files: %d before, %d after", len(got), len(after))
	}
}
