package scenario

import (
	"os"
	"strings"
	"testing"
	"time"
)

// limitsBase is a valid scenario without faults; cases append to it or
// replace its raft line.
const limitsBase = "name: x\ndescription: d\nnodes: 3\nduration_s: 10\nnetwork: {default: {base_delay_ms: 5}}\n"

// TestLimits: the inputs a hostile review found to hang, to take memory
// without bound or to overflow are refused with one line naming the file,
// line and field and what is allowed; the ones that are legitimate but
// extreme are accepted and their timelines are built in bounded time.
func TestLimits(t *testing.T) {
	hb := "raft: {heartbeat_ms: 50}\n"
	cases := []struct {
		name, yaml, want string
	}{
		{"a proposal interval rounding to 0 µs (it spun forever)", "raft: {heartbeat_ms: 50, proposal_interval_ms: 0.0001}\n",
			"x.yaml:6: raft.proposal_interval_ms: 0.0001 is not allowed; allowed: 0, or milliseconds in [0.001, 3600000] (at least 1 µs, at most one hour)"},
		{"a heartbeat rounding to 0 µs", "raft: {heartbeat_ms: 0.0001}\n",
			"x.yaml:6: raft.heartbeat_ms: 0.0001 is not allowed; allowed: milliseconds in [0.001, 3600000]"},
		{"a heartbeat that overflows µs (it wrote 90 M events, or panicked)", "raft: {heartbeat_ms: 1e17}\n",
			"x.yaml:6: raft.heartbeat_ms: 1e+17 is not allowed"},
		{"a lease rounding to 0 µs", "raft: {heartbeat_ms: 50, lease_ms: 0.0004}\n", "x.yaml:6: raft.lease_ms: 0.0004 is not allowed"},
		{"a heartbeat giving a billion events", "duration_s: 1000000\n" + "raft: {heartbeat_ms: 1}\n",
			"raft.heartbeat_ms: a run would log about 1.2e+10 events"},
		{"a crash past the run's end (it overflowed to -2^63)", hb + "crashes: [{node: \"1\", at_s: 1e13}]\n",
			"x.yaml:7: crashes[0].at_s: 1e+13 is not allowed; allowed: seconds in [0, 1e+06]"},
		{"a repeat that overflows", hb + "crashes: [{node: \"1\", at_s: 1, repeat: {count: 3, every_s: 1e300}}]\n",
			"crashes[0].repeat.every_s: 1e+300 is not allowed; allowed: seconds in [0.000001, 1e+06]"},
		{"a restart too far away", hb + "crashes: [{node: \"1\", at_s: 1, restart_after_ms: 1e18}]\n",
			"crashes[0].restart_after_ms: 1e+18 is not allowed"},
		{"bursts without bound (they grew past 3 GB)", hb + "network: {default: {base_delay_ms: 5}, bursts: {mean_good_s: 1e-12, mean_bad_ms: 10, loss: 0.5}}\n",
			"network.bursts.mean_good_s: 1e-12 is not allowed; allowed: seconds in [0.000001, 1000000]"},
		{"bursts too frequent for the run", "duration_s: 100000\n" + hb + "network: {default: {base_delay_ms: 5}, bursts: {mean_good_s: 0.000001, mean_bad_ms: 0.001, loss: 0.5}}\n",
			"network.bursts.mean_good_s: a run would inject about 1e+11 timeline events"},
		{"an isolate list that cuts nobody off", hb + "partitions: [{at_s: 1, duration_s: 1, isolate: []}]\n",
			"x.yaml:7: partitions[0].isolate: empty: it would cut nobody off"},
		{"groups that cut nobody off", hb + "partitions: [{at_s: 1, duration_s: 1, groups: []}]\n", "partitions[0].groups: empty"},
		{"pauses too frequent for the run", "duration_s: 100000\n" + hb + "pauses: [{gap: {dist: constant, value_ms: 0}, duration: {dist: uniform, min_ms: 0.0001, max_ms: 0.0002}}]\n",
			"pauses[0].gap: a run would inject about 6e+11 timeline events"},
		{"ok: pauses of under 1 µs in a short run (they spun forever)", "duration_s: 0.1\n" + hb + "pauses: [{nodes: [0], gap: {dist: constant, value_ms: 0}, duration: {dist: uniform, min_ms: 0.0001, max_ms: 0.0002}}]\n", ""},
		{"ok: the largest heartbeat", "raft: {heartbeat_ms: 3600000}\n", ""},
		{"ok: a repeat as long as the run", hb + "crashes: [{node: leader, at_s: 0, repeat: {count: 2, every_s: 10}}]\n", ""},
	}
	for _, c := range cases {
		yaml := limitsBase + c.yaml
		if strings.HasPrefix(c.yaml, "duration_s:") {
			yaml = strings.Replace(limitsBase, "duration_s: 10\n", "", 1) + c.yaml
		}
		if strings.Contains(c.yaml, "network:") {
			yaml = strings.Replace(yaml, "network: {default: {base_delay_ms: 5}}\n", "", 1)
		}
		s, err := Parse("x.yaml", []byte(yaml))
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			start := time.Now()
			NewTimeline(s, 1)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%s: the timeline took %v", c.name, d)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "x.yaml:") {
			t.Errorf("%s:\n got %v\nwant one line with %q", c.name, err, c.want)
		}
	}
}

// TestBigFileRefused: a scenario file over the size limit is refused
// before it is decoded (a 50 MB file of a million crashes took 4.8 GB).
func TestBigFileRefused(t *testing.T) {
	path := t.TempDir() + "/big.yaml"
	var b strings.Builder
	b.WriteString(limitsBase + "raft: {heartbeat_ms: 50}\ncrashes:\n")
	for b.Len() <= maxFileBytes {
		b.WriteString("  - {node: \"1\", at_s: 1}\n")
	}
	if err := writeFile(path, b.String()); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), "allowed: a config file of at most") {
		t.Fatalf("got %v", err)
	}
	// Under the size limit, the number of entries is still bounded.
	var c strings.Builder
	c.WriteString(limitsBase + "raft: {heartbeat_ms: 50}\ncrashes:\n")
	for range maxEntries + 1 {
		c.WriteString("  - {node: \"1\", at_s: 1}\n")
	}
	if _, err := Parse("x.yaml", []byte(c.String())); err == nil || !strings.Contains(err.Error(), "crashes: 10001 entries; allowed: at most 10000") {
		t.Fatalf("got %v", err)
	}
}

func writeFile(path, data string) error { return os.WriteFile(path, []byte(data), 0o644) }
