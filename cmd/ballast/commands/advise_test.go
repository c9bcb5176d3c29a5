package commands

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAdviseCommand: a small question answered (Markdown on standard
// output, advise.md and advise.json in --out), and bad input refused with
// one line and exit 2, nothing written.
func TestAdviseCommand(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := run(t, "advise", "--rtt-ms", "2", "--jitter-ms", "1", "--settings", "50/250,100/1000", "--budget", "0.05", "-j", "2", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"# etcd timeouts for your network", "--heartbeat-interval=", "| current | 100 / 1000 ms |", "| rule of thumb | 100 / 1000 ms |"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "advise.md"))
	if err != nil || string(md) != out {
		t.Errorf("advise.md differs from standard output (%v)", err)
	}
	var js struct {
		Recommended int `json:"recommended"`
		Estimates   []struct {
			HeartbeatMS int64 `json:"heartbeat_ms"`
			Failovers   int   `json:"failovers"`
		} `json:"estimates"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "advise.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &js); err != nil || len(js.Estimates) != 2 || js.Estimates[0].Failovers == 0 {
		t.Errorf("advise.json: %v, %+v", err, js)
	}

	// Consul: raft_multiplier settings, the hashicorp/raft model.
	code, out, stderr = run(t, "advise", "--system", "consul", "--rtt-ms", "2", "--settings", "1,3", "--budget", "0.05", "-j", "2")
	if code != 0 {
		t.Fatalf("consul: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"# Consul timeouts for your network", "performance { raft_multiplier = ", "| current | raft_multiplier 5 (5000/5000/2500 ms) |", "| rule of thumb | raft_multiplier 1 (1000/1000/500 ms) |"} {
		if !strings.Contains(out, want) {
			t.Errorf("consul report lacks %q:\n%s", want, out)
		}
	}

	trace := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(trace, []byte("t_s,delay_ms\n0,5\n1,-2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--rtt-ms", "-5"}, "--rtt-ms -5: allowed: a round-trip time above 0"},
		{[]string{"--trace", filepath.Join(dir, "nope.csv")}, "--trace: open "},
		{[]string{"--trace", trace}, "bad.csv:3: "},
		{[]string{"--rtt-ms", "10", "--trace", trace}, "give exactly one network (2 given)"},
		{[]string{}, "give exactly one network (0 given)"},
		{[]string{"--rtt-ms", "10", "--loss", "0.9"}, "--loss 0.9: allowed: a probability from 0 to 0.5"},
		{[]string{"--rtt-ms", "10", "--current", "heartbeat=100,election=300"}, "--current election timeout 300 ms is under 5 heartbeats"},
		{[]string{"--rtt-ms", "10", "--settings", "100-1000"}, `--settings "100-1000": "100-1000"; allowed: HEARTBEAT/ELECTION`},
		{[]string{"--rtt-ms", "10", "--system", "zookeeper"}, `--system "zookeeper": allowed: etcd, consul`},
		{[]string{"--rtt-ms", "10", "--system", "consul", "--current", "raft_multiplier=12"}, "--current raft_multiplier 12; allowed: 1 to 10"},
		{[]string{"--rtt-ms", "10", "--system", "consul", "--current", "heartbeat=100,election=1000"}, `--current "heartbeat=100,election=1000": allowed: raft_multiplier=N`},
		{[]string{"--rtt-ms", "10", "--objective", "p95"}, `--objective "p95": allowed: p99, p50, mean`},
		{[]string{"--rtt-ms", "10", "--nodes", "2"}, "--nodes 2: allowed: 3 to 15 members"},
		{[]string{"--rtt-ms", "10", "--out", filepath.Join(dir, "missing")}, "not a directory"},
		// A lossy WAN with short timeouts: no setting meets a tiny bound;
		// the closest are named.
		{[]string{"--rtt-ms", "80", "--jitter-ms", "40", "--loss", "0.05", "--settings", "100/500,100/700", "--budget", "0.1", "--max-false-per-day", "0.001"},
			"--max-false-per-day 0.001: no setting meets it; closest: heartbeat 100 ms, election 1000 ms ("},
	} {
		code, _, stderr := run(t, append([]string{"advise", "--out", empty}, c.args...)...) // a later --out wins
		// The one line is the last: a refusal after simulating (no setting
		// meets the bound) follows the progress lines.
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		last := lines[len(lines)-1]
		if code != ExitUsage || !strings.Contains(last, c.want) || !strings.HasPrefix(last, "ballast: ") || !strings.Contains(last, "allowed") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line containing %q", c.args, code, stderr, c.want)
		}
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("refused questions left %d files in --out", len(entries))
	}
}
