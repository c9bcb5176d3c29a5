package commands

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/harness"
)

// TestListParameters: a list parameter is set from the command line as
// docs/policies.md shows (--set thr=40,180): commas do not split flags.
func TestListParameters(t *testing.T) {
	out := filepath.Join(t.TempDir(), "e.parquet")
	code, stdout, stderr := run(t, "sim", "--scenario", "lan", "--policy", "rtt_heuristic", "--set", "thr=40,180", "--seed", "1", "--out", out)
	if code != 0 || !strings.Contains(stdout, "policy rtt_heuristic") {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	// Lists of names still split (--only a,b; --methods m1,m2).
	code, _, stderr = run(t, "reproduce", "--list", "--only", "ballast_table1,blog_rust_table")
	if code != 0 {
		t.Fatalf("--only a,b: %s", stderr)
	}
}

// TestVersion: --version and 'ballast version' name the build and the code
// version runs record; neither says "(devel)" nor repeats a revision.
func TestVersion(t *testing.T) {
	_, v1, _ := run(t, "--version")
	_, v2, _ := run(t, "version")
	if v1 != v2 || !strings.Contains(v1, harness.CodeVersion()) || strings.Contains(v1, "(devel)") {
		t.Fatalf("--version %q, version %q", v1, v2)
	}
	Version = "v1.2.3"
	defer func() { Version = "" }()
	if got := versionLine(); got != "ballast v1.2.3 (code "+harness.CodeVersion()+")" {
		t.Fatalf("stamped version: %q", got)
	}
}

// TestJSONListings: scenarios, policies, reproduce --list and run
// --dry-run print JSON with --json; NAME prints one scenario or policy.
func TestJSONListings(t *testing.T) {
	for _, c := range []struct {
		args []string
		into any
	}{
		{[]string{"scenarios", "--json"}, &[]map[string]any{}},
		{[]string{"scenarios", "lan", "--json"}, &map[string]any{}},
		{[]string{"policies", "--json"}, &[]map[string]any{}},
		{[]string{"policies", "random", "--json"}, &[]map[string]any{}},
		{[]string{"reproduce", "--list", "--json"}, &map[string]any{}},
		{[]string{"run", "smoke", "--dry-run", "--json", "--out", t.TempDir()}, &map[string]any{}},
	} {
		code, stdout, stderr := run(t, c.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d %s", c.args, code, stderr)
		}
		if err := json.Unmarshal([]byte(stdout), c.into); err != nil {
			t.Errorf("%v: not JSON: %v\n%s", c.args, err, stdout)
		}
	}
	_, yaml, _ := run(t, "scenarios", "lan")
	data, _ := os.ReadFile(filepath.Join("..", "..", "..", "configs", "scenarios", "lan.yaml"))
	if yaml != string(data) {
		t.Errorf("scenarios lan does not print the file as written")
	}
	_, one, _ := run(t, "policies", "random")
	if !strings.HasPrefix(one, "random: ") || strings.Contains(one, "static:") || strings.Contains(one, "Arm sets") {
		t.Errorf("policies random:\n%s", one)
	}
	if code, _, stderr := run(t, "scenarios", "nope"); code != ExitUsage || !strings.Contains(stderr, "no such built-in scenario") {
		t.Errorf("scenarios nope: exit %d %s", code, stderr)
	}
	if code, stdout, _ := run(t, "completion", "bash"); code != 0 || !strings.Contains(stdout, "complete") {
		t.Errorf("completion bash: exit %d", code)
	}
}
