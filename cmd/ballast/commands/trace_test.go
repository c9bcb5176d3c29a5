package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/sim/scenario"
)

// TestTraceImport: 'ballast trace import' writes a trace a scenario loads
// (named relative to the scenario file), and refuses a bad format or a
// missing input with one line and exit 2, writing nothing.
func TestTraceImport(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "wan.csv")
	code, stdout, stderr := run(t, "trace", "import", "--from", "ping", "../../../sim/measured/testdata/ping.log", "--out", out)
	if code != 0 || !strings.Contains(stdout, "a trace of 4 rows") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	yaml := "name: x\ndescription: d\nnodes: 3\nduration_s: 10\nraft: {heartbeat_ms: 50}\nnetwork: {default: {trace: wan.csv}}\n"
	if err := os.WriteFile(filepath.Join(dir, "x.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := scenario.Load(filepath.Join(dir, "x.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Network.Default.Measured.At(3_500_000, false); p.DelayMS != 40 || p.Loss != 0.25 {
		t.Errorf("the imported trace at 3.5 s: %v ms, loss %v; want 40 ms, 0.25", p.DelayMS, p.Loss)
	}
	for _, args := range [][]string{
		{"trace", "import", "--from", "tcpdump", "x", "--out", filepath.Join(dir, "a")},
		{"trace", "import", "--from", "csv", filepath.Join(dir, "none.csv"), "--out", filepath.Join(dir, "a")},
		{"trace", "import", "--from", "csv", filepath.Join(dir, "x.yaml"), "--out", filepath.Join(dir, "a")},
	} {
		code, _, stderr := run(t, args...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
			t.Errorf("%v: wrote its output", args)
		}
	}
}
