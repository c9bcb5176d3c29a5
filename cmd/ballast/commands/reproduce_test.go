package commands

import (
	"os"
	"strings"
	"testing"
)

// TestReproduceFlags: --list names every artifact with its experiment; bad
// flags are one line, exit code 2, and nothing is written (the output root
// is not even created).
func TestReproduceFlags(t *testing.T) {
	code, out, _ := run(t, "reproduce", "--list")
	if code != ExitOK || !strings.Contains(out, "ballast_table1") || !strings.Contains(out, "dynatune_fig7") {
		t.Fatalf("--list: code %d, output %q", code, out)
	}
	dir := t.TempDir() + "/out"
	for _, args := range [][]string{
		{"reproduce", "--only", "table99", "--out", dir},
		{"reproduce", "-j", "0", "--out", dir},
		{"reproduce", "extra", "--out", dir},
	} {
		code, _, stderr := run(t, args...)
		if code != ExitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "allowed") {
			t.Errorf("%v: code %d, stderr %q; want %d and one line saying what is allowed", args, code, stderr, ExitUsage)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("bad flags created %s", dir)
	}
}
