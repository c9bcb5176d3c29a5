package commands

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/live/etcdcluster"
)

const liveScenario = `name: live_cmd
description: three members, one leader crash
nodes: 3
duration_s: 6
raft: {heartbeat_ms: 100, pre_vote: true, check_quorum: true}
network:
  default: {base_delay_ms: 1, loss: 0}
crashes:
  - {node: leader, at_s: 3, restart_after_ms: 1500}
`

func TestLiveBadInput(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "live_cmd.yaml")
	os.WriteFile(sc, []byte(liveScenario), 0o644)
	fakeEtcd := filepath.Join(dir, "etcd")
	os.WriteFile(fakeEtcd, []byte("#!/bin/sh\n"), 0o755)
	out := filepath.Join(dir, "e.parquet")
	base := []string{"live", "--scenario", sc, "--seed", "1", "--out", out, "--etcd", fakeEtcd}
	disk := filepath.Join(dir, "live_disk.yaml")
	os.WriteFile(disk, []byte(strings.Replace(liveScenario, "name: live_cmd", "name: live_disk", 1)+"storage: {fsync: {dist: constant, value_ms: 1}}\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{append(base, "--policy", "random", "--target", "etcd"), "--policy random: the etcd target runs etcd's own election timer; allowed: etcd"},
		{append(base, "--policy", "etcd", "--target", "k8s"), `--target "k8s": allowed: ballast, etcd`},
		{append(base, "--policy", "nope", "--target", "ballast"), `--policy: unknown policy "nope"`},
		{append(base, "--policy", "etcd", "--target", "ballast", "--scenario", disk), "storage: the nodes fsync for real on the ballast target; allowed: none"},
		{[]string{"live", "--scenario", sc, "--seed", "1", "--out", out, "--policy", "etcd", "--target", "etcd", "--etcd", filepath.Join(dir, "none")}, "no etcd binary there; allowed: a built etcd ('make etcd'"},
		{append(base, "--policy", "etcd", "--target", "etcd", "--scenario", "lan"), "scenario lan: raft.check_quorum: etcd always checks quorum on the etcd target; allowed: true"},
		{append(base, "--policy", "etcd", "--target", "etcd", "--set", "election_ms=300"), "etcd refuses an election timeout under 5 heartbeats"},
	} {
		code, _, stderr := run(t, c.args...)
		if code != ExitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line containing %q", c.args[len(c.args)-2:], code, stderr, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: wrote %s", c.args, out)
		}
	}
}

// TestLiveInterrupted: Ctrl-C during a live run on real etcd members exits
// 130, writes nothing, and leaves no member process behind.
func TestLiveInterrupted(t *testing.T) {
	bin, err := etcdcluster.Binary()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	sc := filepath.Join(dir, "live_cmd.yaml")
	os.WriteFile(sc, []byte(liveScenario), 0o644)
	work, out := filepath.Join(dir, "work"), filepath.Join(dir, "e.parquet")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(2*time.Second, cancel) // Ctrl-C
	var so, se bytes.Buffer
	code := Main(ctx, &so, &se, []string{"ballast", "live", "--scenario", sc, "--policy", "etcd", "--seed", "1", "--out", out, "--target", "etcd", "--etcd", bin, "--work", work})
	if code != ExitInterrupted {
		t.Errorf("exit %d, want %d (stderr %q)", code, ExitInterrupted, se.String())
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("an interrupted run wrote %s", out)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(work)) {
			t.Errorf("process %s still runs: %q", filepath.Dir(p), strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
}

// TestMain lets the test binary be the ballast program, so that 'ballast
// live --target ballast' under test can start its nodes ('live-node')
// from os.Executable.
func TestMain(m *testing.M) {
	if os.Getenv("BALLAST_TEST_MAIN") == "1" {
		os.Exit(Execute(append([]string{"ballast"}, os.Args[1:]...)))
	}
	os.Exit(m.Run())
}

// TestLiveBallast: 'ballast live --target ballast' writes an events file
// and its runs row (engine live) that 'ballast analyze' reads, with the
// failover of the leader crash; then an interrupted run exits 130,
// writes nothing and leaves no node process behind.
func TestLiveBallast(t *testing.T) {
	t.Setenv("BALLAST_TEST_MAIN", "1")
	dir := t.TempDir()
	sc := filepath.Join(dir, "live_cmd.yaml")
	os.WriteFile(sc, []byte(liveScenario), 0o644)
	out := filepath.Join(dir, "runs", "e.parquet")
	code, stdout, stderr := run(t, "live", "--scenario", sc, "--policy", "random", "--seed", "3", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Log(stdout)
	if !strings.Contains(stdout, ": scenario live_cmd, random, seed 3, 3 ballast nodes") || !strings.Contains(stdout, "node timers p99") {
		t.Errorf("stdout %q: want the run's line and the harness's lateness", stdout)
	}
	code, _, stderr = run(t, "analyze", filepath.Dir(out), "--out", filepath.Join(dir, "metrics"))
	if code != 0 {
		t.Fatalf("analyze: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "metrics", "failovers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if rows := strings.Count(strings.TrimSpace(string(b)), "\n"); rows != 1 {
		t.Errorf("failovers.csv has %d rows, want the one leader crash:\n%s", rows, b)
	}
	// The runs table carries the harness's lateness (a live run's), as the
	// run's line printed it.
	runs, err := metrics.ReadRuns(filepath.Join(dir, "metrics"))
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Engine != "live" || !(runs[0].HarnessLateP99US > 0) || runs[0].HarnessFlagged != strings.Contains(stdout, "EXCEEDED") {
		t.Errorf("runs %+v: want one live run with its harness lateness and flag", runs)
	}
	// And its policy's call times (Table 5), which the table renders.
	if r := runs[0]; !(r.PolicyChooseMeanUS >= 0 && r.PolicyChooseP99US >= 0 && r.PolicyUpdateMeanUS >= 0) || !strings.Contains(stdout, "policy choose: ") {
		t.Errorf("runs row choose %g/%g µs, update %g µs; stdout %q: want the policy's call times measured", r.PolicyChooseMeanUS, r.PolicyChooseP99US, r.PolicyUpdateMeanUS, stdout)
	}
	if code, _, stderr := run(t, "table", "overhead", "--metrics", filepath.Join(dir, "metrics"), "--out", filepath.Join(dir, "t5")); code != 0 {
		t.Errorf("table overhead: exit %d: %s", code, stderr)
	} else if b, _ := os.ReadFile(filepath.Join(dir, "t5.md")); !strings.Contains(string(b), "Choose mean (µs)") || !strings.Contains(string(b), "| random |") {
		t.Errorf("t5.md:\n%s\nwant the choose and update columns for random", b)
	}

	work := filepath.Join(dir, "work")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(2*time.Second, cancel) // Ctrl-C
	var so, se bytes.Buffer
	out2 := filepath.Join(dir, "e2.parquet")
	if code := Main(ctx, &so, &se, []string{"ballast", "live", "--scenario", sc, "--policy", "etcd", "--seed", "1", "--out", out2, "--work", work}); code != ExitInterrupted {
		t.Errorf("interrupted: exit %d, want %d (stderr %q)", code, ExitInterrupted, se.String())
	}
	if _, err := os.Stat(out2); err == nil {
		t.Errorf("an interrupted run wrote %s", out2)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(work)) {
			t.Errorf("process %s still runs: %q", filepath.Dir(p), strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
}

// TestLiveExperiment: an experiment on the live engine sweeps live runs,
// two at a time, each analysed in the sweep's pass with its harness
// lateness in the runs table; a live run's metrics read like any.
func TestLiveExperiment(t *testing.T) {
	t.Setenv("BALLAST_TEST_MAIN", "1")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "live_cmd.yaml"), []byte(strings.Replace(liveScenario, "duration_s: 6", "duration_s: 5", 1)), 0o644)
	exp := filepath.Join(dir, "live_exp.yaml")
	os.WriteFile(exp, []byte(`name: live_exp
description: two seeds of one policy on live nodes
engine: live
scenarios: [live_cmd.yaml]
policies:
  - policy: random
    set: {min_ms: 300, max_ms: 600}
seeds: {master: 7, report: 2}
`), 0o644)
	out := filepath.Join(dir, "out")
	code, stdout, stderr := run(t, "run", exp, "-j", "2", "--out", out, "--keep-events", "all")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	mdir := filepath.Join(dir, "metrics")
	if code, _, stderr := run(t, "analyze", filepath.Join(out, "events"), "--out", mdir); code != 0 {
		t.Fatalf("analyze: %s", stderr)
	}
	runs, err := metrics.ReadRuns(mdir)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("%d runs, want 2", len(runs))
	}
	for _, r := range runs {
		if r.Engine != "live" || !(r.HarnessLateP99US > 0) || r.LeaderCrashes != 1 {
			t.Errorf("run %s: engine %s, harness lateness %v, %d leader crashes; want a live run with its lateness and the one crash", r.RunID, r.Engine, r.HarnessLateP99US, r.LeaderCrashes)
		}
	}
}
