package commands

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/sim/scenario"
)

// TestExitCodes: the exit-code and message defects a hostile review found,
// each now exit 2 (or 130) with one line.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, []byte("x"), 0o644)
	out := filepath.Join(dir, "e.parquet")
	sim := func(extra ...string) []string {
		return append([]string{"sim", "--scenario", "lan", "--policy", "random", "--seed", "1", "--out", out}, extra...)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"analyse", "dir"}, `unknown command "analyse"; allowed: advise, analyze, compare, live, merge,`},
		{[]string{"--bogus"}, `flag provided but not defined: -bogus (see 'ballast --help')`},
		{[]string{"run", "smoke", "--out", file}, "--out " + file + ": a file; allowed: a directory"},
		{[]string{"sim", "--scenario", "lan", "--policy", "random", "--seed", "9223372036854775808", "--out", out}, "--seed 9223372036854775808: allowed: a seed below 2^63"},
		{sim("--set", "min_ms=100", "--set", "min_ms=200"), "--set min_ms: the parameter is set twice"},
		{[]string{"run", "smoke", "--tuned", filepath.Join(dir, "missing.yaml"), "--dry-run"}, "--tuned " + filepath.Join(dir, "missing.yaml") + ": no such file or directory"},
		{[]string{"table", "main", "--metrics", dir, "--out", filepath.Join(dir, "missing", "t")}, "directory " + filepath.Join(dir, "missing") + " does not exist"},
		{[]string{"table", "main", "--metrics", dir, "--out", filepath.Join(dir, "t"), "--resamples", "2000000000"}, "--resamples 2000000000: allowed: 1 to 1000000"},
		{[]string{"analyze", dir, "--out", filepath.Join(dir, "m"), "--grace", "1e308"}, "grace 1e+308 heartbeat intervals: allowed: a number in (0, 10000]"},
		{[]string{"run", "smoke", "--force", "--reuse-old"}, "--force and --reuse-old: allowed: one of them"},
		{[]string{"--max-events", "0", "scenarios"}, "--max-events 0: allowed: 1 or more"},
	}
	for _, c := range cases {
		code, _, stderr := run(t, c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, "ballast: ballast:") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", c.args, code, stderr, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused sim wrote its output")
	}
	scenario.Caps = scenario.DefaultLimits // --max-events sets it for the process
}

// TestMaxEvents: the work bound is refused with one line naming the field,
// and a flag raises it.
func TestMaxEvents(t *testing.T) {
	defer func() { scenario.Caps = scenario.DefaultLimits }()
	out := filepath.Join(t.TempDir(), "e.parquet")
	code, _, stderr := run(t, "--max-events", "1000", "sim", "--scenario", "lan", "--policy", "random", "--seed", "1", "--out", out)
	if code != ExitUsage || !strings.Contains(stderr, "raft.heartbeat_ms: a run would log about") || !strings.Contains(stderr, "--max-events") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "--max-events", "100000000", "sim", "--scenario", "lan", "--policy", "random", "--seed", "1", "--out", out); code != 0 {
		t.Fatalf("with the limit raised: exit %d: %s", code, stderr)
	}
}

// failingWriter fails every write, as a full disk or a closed pipe does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestOutputWriteErrors: output that cannot be written is an error, not
// success (reproduce --list and run --dry-run ignored it).
func TestOutputWriteErrors(t *testing.T) {
	for _, args := range [][]string{{"reproduce", "--list"}, {"run", "smoke", "--dry-run", "--out", t.TempDir()}, {"scenarios"}} {
		var stderr strings.Builder
		code := Main(context.Background(), failingWriter{}, &stderr, append([]string{"ballast"}, args...))
		if code != ExitFailed || !strings.Contains(stderr.String(), "no space left on device") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}

// TestInterrupted: an interrupt stops the sweep, keeps the runs that
// completed, says so in one line and exits 130; the rerun resumes.
func TestInterrupted(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sweep")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr strings.Builder
	code := Main(ctx, &stdout, &stderr, []string{"ballast", "run", "smoke", "--seeds", "1", "--out", out})
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if last := lines[len(lines)-1]; code != ExitInterrupted || !strings.HasPrefix(last, "ballast: interrupted after 0 of 6 runs") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if code, stdout, _ := run(t, "run", "smoke", "--seeds", "1", "--out", out); code != 0 || !strings.Contains(stdout, "6 ran") {
		t.Fatalf("resume: exit %d, %s", code, stdout)
	}
}

// TestAnalyzeMergedDirectory: 'ballast analyze' reads what 'ballast merge'
// writes (it used to read the merged runs.parquet as an events file), as
// docs/scale-out.md says.
func TestAnalyzeMergedDirectory(t *testing.T) {
	dir := t.TempDir()
	shard, merged := filepath.Join(dir, "shard"), filepath.Join(dir, "merged")
	if code, _, stderr := run(t, "run", "smoke", "--seeds", "1", "--out", shard); code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	if code, _, stderr := run(t, "merge", shard, "--out", merged); code != 0 {
		t.Fatalf("merge: %s", stderr)
	}
	code, stdout, stderr := run(t, "analyze", merged, "--out", filepath.Join(dir, "metrics"))
	if code != 0 || !strings.Contains(stdout, "analysed 6 runs") {
		t.Fatalf("analyze of a merged directory: exit %d, %s%s", code, stdout, stderr)
	}
}
