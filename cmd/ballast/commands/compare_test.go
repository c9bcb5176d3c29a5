package commands

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/analysis/metrics"
)

// shiftedMetrics writes a metrics directory of one cell over 12 seeds whose
// recovery mean is base + shift + the seed's own effect.
func shiftedMetrics(t *testing.T, dir string, shiftUS float64) {
	t.Helper()
	tb := &metrics.Tables{}
	for s := int64(1); s <= 12; s++ {
		v := 1e5 + shiftUS + float64(s%5)*1e4
		tb.Runs = append(tb.Runs, metrics.RunRow{RunID: fmt.Sprint("r", s), Experiment: "x", Scenario: "lan", Policy: "random", Seed: s, ConfigHash: "h",
			RecoveryMeanUS: v, RecoveryP99US: 2 * v, UnwritableFrac: 0.01})
	}
	if err := tb.Write(dir); err != nil {
		t.Fatal(err)
	}
}

func TestCompareCommand(t *testing.T) {
	tmp := t.TempDir()
	an := analyzedRuns(t, tmp)
	code, out, stderr := run(t, "compare", an, an)
	if code != 0 || !strings.Contains(out, "12 comparisons: ") || strings.Contains(out, "better") || strings.Contains(out, "worse") {
		t.Errorf("self-compare: exit %d, stderr %q, output:\n%s", code, stderr, out)
	}
	code, out, stderr = run(t, "compare", "--policies", "random", "static", an, "--all")
	if code != 0 || !strings.Contains(out, "random -> static") || !strings.Contains(out, "Too few seeds: ") {
		t.Errorf("--policies: exit %d, stderr %q, output:\n%s", code, stderr, out)
	}
	jsonOut := filepath.Join(tmp, "c.json")
	if code, _, stderr := run(t, "compare", "--format", "json", "--out", jsonOut, an, an); code != 0 {
		t.Fatal(stderr)
	}
	var doc struct {
		Rows []map[string]any `json:"rows"`
	}
	if b, err := os.ReadFile(jsonOut); err != nil || json.Unmarshal(b, &doc) != nil || len(doc.Rows) != 12 {
		t.Errorf("--format json: %v, %d rows; want 12", err, len(doc.Rows))
	}

	code, out, stderr = run(t, "compare", "--failovers", an, an)
	if code != 0 || !strings.Contains(out, "out_of_service") || !strings.Contains(out, "Kolmogorov-Smirnov") {
		t.Errorf("--failovers: exit %d, stderr %q, output:\n%s", code, stderr, out)
	}
	// Three sides: every pair in order, named by --labels, and their CDFs.
	prefix := filepath.Join(tmp, "cdf")
	code, out, stderr = run(t, "compare", "--failovers", "--labels", "sim,nodes,etcd", "--plot", prefix, an, an, an)
	if code != 0 || strings.Count(out, "### ") != 0 || strings.Count(out, "old: sim\nnew: nodes") != 1 || strings.Count(out, "old: sim\nnew: etcd") != 1 || strings.Count(out, "old: nodes\nnew: etcd") != 1 {
		t.Errorf("--failovers with three directories: exit %d, stderr %q, output:\n%s", code, stderr, out)
	}
	for _, ext := range []string{".png", ".pdf"} {
		if st, err := os.Stat(prefix + ext); err != nil || st.Size() == 0 {
			t.Errorf("--plot: %s%s: %v", prefix, ext, err)
		}
	}
	code, out, _ = run(t, "compare", "--failovers", "--format", "csv", an, an, an)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || !strings.HasPrefix(lines[0], "old,new,experiment,") || strings.Count(out, "old,new,experiment,") != 1 {
		t.Errorf("--failovers csv with three directories: exit %d, want one header:\n%s", code, out)
	}

	// A reproduction's metrics directory: one subdirectory per experiment.
	old, new := filepath.Join(tmp, "old"), filepath.Join(tmp, "new")
	shiftedMetrics(t, filepath.Join(old, "x"), 0)
	shiftedMetrics(t, filepath.Join(new, "x"), 5e3)
	code, out, _ = run(t, "compare", "--metric", "recovery_mean", old, new)
	if code != 0 || !strings.Contains(out, "1 comparisons: 1 worse.") {
		t.Errorf("a 5 ms slower recovery on every seed: exit %d, output:\n%s", code, out)
	}
	code, out, stderr = run(t, "compare", "--metric", "recovery_mean", "--fail-on", "worse", "--format", "markdown", old, new)
	if code != ExitFailed || !strings.Contains(out, "| **worse** |") || stderr != "ballast: compare: 1 comparisons significantly worse (--fail-on worse)\n" {
		t.Errorf("--fail-on worse: exit %d, stderr %q, output:\n%s", code, stderr, out)
	}
	if code, _, _ := run(t, "compare", "--fail-on", "worse", new, old); code != 0 {
		t.Errorf("--fail-on worse on an improvement: exit %d, want 0", code)
	}

	bad := filepath.Join(tmp, "bad.md")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", an}, "compare: want OLD NEW, got 1 arguments"},
		{[]string{"compare", an, filepath.Join(tmp, "missing")}, "missing: not a directory; allowed: a directory written by 'ballast analyze --out'"},
		{[]string{"compare", an, filepath.Join(tmp, "runs")}, "runs: no runs.metrics.parquet in it or in a subdirectory; allowed:"},
		{[]string{"compare", an, old}, "no cell (experiment, scenario, method) is in both; old has 2, new 1"},
		{[]string{"compare", "--format", "yaml", an, an}, `--format "yaml": allowed: text, markdown, csv, json`},
		{[]string{"compare", "--fail-on", "better", an, an}, `--fail-on "better": allowed: worse`},
		{[]string{"compare", "--metric", "speed", an, an}, `--metric "speed": allowed: `},
		{[]string{"compare", "--alpha", "0", an, an}, "--alpha 0: allowed: between 0 and 1, exclusive"},
		{[]string{"compare", "--level", "95", an, an}, "--level 95: allowed: between 0 and 1, exclusive"},
		{[]string{"compare", "--correction", "sidak", an, an}, `correction "sidak": allowed: holm, bh, none`},
		{[]string{"compare", "--resamples", "0", an, an}, "--resamples 0: allowed: 1 to"},
		{[]string{"compare", "--policies", "random", an}, "compare --policies: want A B DIR, got 2 arguments"},
		{[]string{"compare", "--policies", "random", "etcd", an}, "--policies random etcd: no experiment and scenario has both; allowed: methods of the runs (random, static)"},
		{[]string{"compare", "--out", filepath.Join(tmp, "nodir", "x.md"), an, an}, "directory " + filepath.Join(tmp, "nodir") + " does not exist"},
		{[]string{"compare", "--failovers", "--format", "json", an, an}, "--format json with --failovers: allowed: text, markdown, csv"},
		{[]string{"compare", "--failovers", an}, "compare --failovers: want OLD NEW (or more directories), got 1 arguments"},
		{[]string{"compare", "--failovers", "--labels", "a", an, an}, "--labels: 1 labels for 2 directories; allowed: one per directory"},
		{[]string{"compare", "--failovers", "--plot", "/nonexistent/x", an, an}, "--plot /nonexistent/x: directory /nonexistent does not exist"},
	} {
		args := append([]string{}, c.args[:1]...)
		args = append(args, "--out", bad)
		args = append(args, c.args[1:]...)
		if strings.Contains(strings.Join(c.args, " "), "--out") {
			args = c.args
		}
		code, _, stderr := run(t, args...)
		if code != ExitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line containing %q", c.args, code, stderr, c.want)
		}
		if _, err := os.Stat(bad); !os.IsNotExist(err) {
			t.Errorf("%v: wrote %s", c.args, bad)
		}
	}
}
