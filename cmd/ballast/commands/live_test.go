package commands

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	for _, c := range []struct {
		args []string
		want string
	}{
		{append(base, "--policy", "random"), "--policy random: the etcd target runs etcd's own election timer; allowed: etcd"},
		{append(base, "--policy", "etcd", "--target", "ballast"), "--target ballast: live ballast nodes are not built yet"},
		{append(base, "--policy", "etcd", "--target", "k8s"), `--target "k8s": allowed: etcd`},
		{[]string{"live", "--scenario", sc, "--seed", "1", "--out", out, "--policy", "etcd", "--etcd", filepath.Join(dir, "none")}, "no etcd binary there; allowed: a built etcd ('make etcd'"},
		{append(base, "--policy", "etcd", "--scenario", "lan"), "scenario lan: raft.check_quorum: etcd always checks quorum on the etcd target; allowed: true"},
		{append(base, "--policy", "etcd", "--set", "election_ms=300"), "etcd refuses an election timeout under 5 heartbeats"},
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
	code := Main(ctx, &so, &se, []string{"ballast", "live", "--scenario", sc, "--policy", "etcd", "--seed", "1", "--out", out, "--etcd", bin, "--work", work})
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
