package commands

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/internal/golden"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), &out, &errb, append([]string{"ballast"}, args...))
	return code, out.String(), errb.String()
}

// TestBadConfigs: each broken scenario gives exit code 2, exactly one line
// naming the file, line, field and what is allowed, and no output file.
// The expected lines are in testdata/bad/errors.golden (-update rewrites).
func TestBadConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	sort.Strings(files)
	var got strings.Builder
	for _, f := range files {
		out := filepath.Join(t.TempDir(), "events.parquet")
		code, _, stderr := run(t, "sim", "--scenario", f, "--policy", "random", "--seed", "1", "--out", out)
		if code != ExitUsage {
			t.Errorf("%s: exit code %d, want %d (stderr %q)", f, code, ExitUsage, stderr)
		}
		if strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: want one line on stderr, got %q", f, stderr)
		}
		if !strings.HasPrefix(stderr, "ballast: "+f+":") {
			t.Errorf("%s: message does not start with the file and line: %q", f, stderr)
		}
		if !strings.Contains(stderr, "allowed") {
			t.Errorf("%s: message does not say what is allowed: %q", f, stderr)
		}
		if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
			t.Errorf("%s: left %d files behind", f, len(entries))
		}
		got.WriteString(stderr)
	}
	golden.Check(t, "testdata/bad/errors.golden", []byte(got.String()))
}

func TestBadFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "e.parquet")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"sim", "--scenario", "nope", "--policy", "random", "--seed", "1", "--out", out}, `scenario "nope": no such built-in scenario; allowed: ablation, `},
		{[]string{"sim", "--scenario", "lan", "--policy", "nope", "--seed", "1", "--out", out}, `--policy: unknown policy "nope"; allowed: `},
		{[]string{"sim", "--scenario", "lan", "--policy", "random", "--set", "max_ms=abc", "--seed", "1", "--out", out}, `--set "max_ms=abc": "abc" is not allowed; allowed: a number in`},
		{[]string{"sim", "--scenario", "lan", "--policy", "random", "--set", "foo=1", "--seed", "1", "--out", out}, `policy random has no parameter "foo"; allowed: min_ms, max_ms`},
		{[]string{"sim", "--scenario", "lan", "--policy", "random", "--set", "min_ms=500", "--seed", "1", "--out", out}, `max_ms 300 is below min_ms 500`},
		{[]string{"sim", "--scenario", "lan", "--policy", "random", "--seed", "x", "--out", out}, `sim: invalid value "x" for flag -seed`},
		{[]string{"sim", "--scenario", "lan", "--policy", "random", "--seed", "1", "--out", "e.csv"}, `--out "e.csv": allowed: a file name ending in .parquet`},
		{[]string{"sim", "--scenario", "lan", "--policy", "random", "--seed", "1", "--out", out, "--engine", "warp"}, `--engine "warp": unknown engine; allowed: fast`},
	}
	for _, c := range cases {
		code, _, stderr := run(t, c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line containing %q", c.args, code, stderr, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: wrote %s", c.args, out)
		}
	}
}

func TestSimWritesEventsAndRuns(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "lan.parquet")
	code, stdout, stderr := run(t, "sim", "--scenario", "lan", "--policy", "random", "--seed", "7", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "seed 7") || !strings.Contains(stdout, out) {
		t.Errorf("stdout %q does not name the seed and output", stdout)
	}
	for _, f := range []string{out, filepath.Join(dir, "lan.runs.parquet")} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestHelpAndListings(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"sim", "--help"}, {"scenarios"}, {"policies"}, {"version"}} {
		code, stdout, stderr := run(t, args...)
		if code != 0 || stdout == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	_, stdout, _ := run(t, "scenarios")
	if !strings.Contains(stdout, "wan_main") {
		t.Errorf("scenarios does not list wan_main:\n%s", stdout)
	}
}

// TestKeepEventsNone: a sweep that keeps no events files is analysed from
// its stored analyses into the same tables as one that kept them, and
// running it again with the events kept writes the same events files.
func TestKeepEventsNone(t *testing.T) {
	base := t.TempDir()
	kept, dropped := filepath.Join(base, "kept"), filepath.Join(base, "dropped")
	for _, c := range []struct {
		dir  string
		keep string
	}{{kept, "all"}, {dropped, "none"}} {
		if code, stdout, stderr := run(t, "run", "smoke", "--seeds", "1", "--keep-events", c.keep, "--out", c.dir); code != 0 {
			t.Fatalf("run --keep-events %s: exit %d\n%s%s", c.keep, code, stdout, stderr)
		}
		if code, stdout, stderr := run(t, "analyze", c.dir, "--out", c.dir+"-metrics"); code != 0 {
			t.Fatalf("analyze %s: exit %d\n%s%s", c.dir, code, stdout, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dropped, "events")); !os.IsNotExist(err) {
		t.Fatalf("--keep-events none wrote events (%v)", err)
	}
	for _, f := range []string{"runs.csv", "elections.csv", "failovers.csv", "intervals.csv"} {
		a, err1 := os.ReadFile(filepath.Join(kept+"-metrics", f))
		b, err2 := os.ReadFile(filepath.Join(dropped+"-metrics", f))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the analysis of the events and of the stored analyses (%v, %v)", f, err1, err2)
		}
	}
	// Other analysis options need the events: refused, naming the run.
	if code, _, stderr := run(t, "analyze", dropped, "--grace", "5", "--out", filepath.Join(base, "m")); code != ExitUsage || !strings.Contains(stderr, "its events file was not kept") {
		t.Errorf("analyze --grace 5 of stored analyses: exit %d, %q", code, stderr)
	}
	code, stdout, _ := run(t, "run", "smoke", "--seeds", "1", "--keep-events", "all", "--out", dropped)
	if code != 0 || !strings.Contains(stdout, "6 ran") {
		t.Fatalf("keeping the events did not redo the runs: %s", stdout)
	}
	for _, name := range []string{"events", "analysis", "manifest"} {
		if a, b := dirSums(t, filepath.Join(kept, name)), dirSums(t, filepath.Join(dropped, name)); !maps.Equal(a, b) || len(a) == 0 {
			t.Errorf("%s/ after regenerating differs from the kept sweep's", name)
		}
	}
}

// dirSums maps every file under dir to its contents' SHA-256.
func dirSums(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		out[strings.TrimPrefix(p, dir)] = sha256.Sum256(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRunCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sweep")
	code, stdout, stderr := run(t, "run", "smoke", "--dry-run", "--out", out)
	if code != 0 || !strings.Contains(stdout, "2 scenarios x 3 policy variants x 3 seeds = 18 runs") || !strings.Contains(stdout, "estimate:") {
		t.Fatalf("dry run: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("--dry-run wrote output")
	}
	code, stdout, stderr = run(t, "run", "smoke", "-j", "2", "--seeds", "1", "--out", out)
	if code != 0 || !strings.Contains(stdout, "6 runs, 0 already complete, 6 ran") {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = run(t, "run", "smoke", "--seeds", "1", "--out", out)
	if code != 0 || !strings.Contains(stdout, "6 already complete, 0 ran") {
		t.Fatalf("re-run did not skip: %s", stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "smoke", "--shard", "3/2"}, `--shard "3/2": index "3" is not allowed; allowed: an integer I with 0 <= I < 2`},
		{[]string{"run", "smoke", "--shard", "x"}, `--shard "x": allowed: I/N`},
		{[]string{"run", "nope"}, `experiment "nope": no such built-in experiment; allowed: `},
		{[]string{"run"}, `run: want one EXPERIMENT argument, got 0`},
		{[]string{"run", "smoke", "--seed-set", "train"}, `--seed-set "train": allowed: report, tuning`},
		{[]string{"run", "smoke", "--keep-events", "some"}, `--keep-events "some": allowed: all, report, none`},
		{[]string{"merge", "--out", out}, `merge: no input directories`},
	} {
		code, _, stderr := run(t, c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr, c.want)
		}
	}
}
