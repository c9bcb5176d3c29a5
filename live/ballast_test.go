package live

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// TestMain lets the test binary be a live ballast node: the coordinator
// under test starts it with BALLAST_TEST_NODE=1 and a node's command
// line (what 'ballast live-node' takes).
func TestMain(m *testing.M) {
	if os.Getenv("BALLAST_TEST_NODE") == "1" {
		if err := testNode(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func testNode(args []string) error {
	fs := flag.NewFlagSet("node", flag.ContinueOnError)
	sc := fs.String("scenario", "", "")
	pol := fs.String("policy", "", "")
	set := fs.String("set", "", "")
	seed := fs.Uint64("seed", 0, "")
	var f NodeFlags
	fs.IntVar(&f.Node, "node", -1, "")
	fs.StringVar(&f.Cluster, "cluster", "", "")
	fs.StringVar(&f.Dir, "dir", "", "")
	fs.IntVar(&f.ListenFD, "listen-fd", 0, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := scenario.Load(*sc)
	if err != nil {
		return err
	}
	var sets []string
	if *set != "" {
		sets = strings.Split(*set, ",")
	}
	factory, _, err := policies.Build(*pol, sets...)
	if err != nil {
		return err
	}
	cfg := &sim.Config{Scenario: s, Seed: *seed, RunID: "live-test", Policy: factory}
	return ServeNode(context.Background(), cfg, f, os.Stdout)
}

// TestBallastSmoke: three live ballast nodes (go.etcd.io/raft in wall
// time, write-ahead files, TCP through the proxies) for 8 s with one
// leader crash at 4 s and a restart from the node's disk: the merged
// events pass the independent checker's rules, as a simulated run's do,
// and the analysis sees the failover, detected within the etcd policy's
// timeout range.
func TestBallastSmoke(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "live_smoke.yaml")
	if err := os.WriteFile(sc, []byte(smoke), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := scenario.Load(sc)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("BALLAST_TEST_NODE", "1")
	var log strings.Builder
	res, err := RunBallast(context.Background(), BallastOptions{Scenario: s, Seed: 1, Dir: dir, Log: &log,
		Node: []string{self, "--scenario", sc, "--policy", "etcd", "--set", "election_ms=1000", "--seed", "1"}})
	if err != nil {
		t.Fatal(err)
	}
	count := map[eventlog.Kind]int{}
	for _, e := range res.Events {
		count[e.Kind]++
	}
	t.Logf("%d rows: %v; injected faults late by mean %.0f µs, max %d µs; timers late by mean %.0f µs, p99 %.0f µs, max %d µs (%d); network: %d frames, lateness p99 %.0f µs",
		len(res.Events), count, res.Injected.MeanUS(), res.Injected.MaxUS, res.Timers.MeanUS(), res.Timers.QuantileUS(0.99), res.Timers.MaxUS, res.Timers.N,
		res.Network.Delivered, res.Network.Lateness.QuantileUS(0.99))
	if count[eventlog.Crash] != 1 || count[eventlog.Restart] != 1 || count[eventlog.BecameLeader] < 2 {
		t.Fatalf("rows %v: want one crash, one restart and at least two leaders", count)
	}
	run := validate(t, s, res.Events, "etcd", "live")
	if len(run.Failovers) != 1 || !run.Failovers[0].Recovered || !run.Failovers[0].Detected {
		t.Fatalf("failovers %+v: want one, detected and recovered", run.Failovers)
	}
	fo := run.Failovers[0]
	t.Logf("failover: detected after %.0f ms, new leader after %.0f ms", float64(fo.DetectFirstUS)/1000, float64(fo.OutOfServiceUS)/1000)
	if fo.DetectFirstUS < 800_000 || fo.OutOfServiceUS > 4_000_000 {
		t.Errorf("failover detected after %d µs, out of service %d µs; want detection near [1000, 2000) ms and a leader within 4 s", fo.DetectFirstUS, fo.OutOfServiceUS)
	}
}

const faults = `name: live_faults
nodes: 3
duration_s: 9
raft: {heartbeat_ms: 50, pre_vote: true, check_quorum: true, proposal_interval_ms: 100, proposal_bytes: 64}
network:
  transport: stream
  default: {base_delay_ms: 2, loss: 0.01}
processing:
  - {node: 2, delay: {dist: exponential, mean_ms: 5}}
pauses:
  - gap: {dist: exponential, mean_ms: 1500}
    duration: {dist: uniform, min_ms: 20, max_ms: 80}
partitions:
  - {at_s: 4, duration_s: 2.5, isolate_leader: true}
`

// TestBallastFaults: live ballast nodes under the rest of the scenario
// format: a workload (the leaders propose and the log replicates through
// the write-ahead files), a slow node's processing delay (applied by the
// proxies as in virtual time), processing pauses (SIGSTOP, SIGCONT) and
// the leader cut off by a partition, after which another node leads. The
// merged rows pass the independent checker and the analysis.
func TestBallastFaults(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "live_faults.yaml")
	if err := os.WriteFile(sc, []byte(faults), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := scenario.Load(sc)
	if err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable()
	t.Setenv("BALLAST_TEST_NODE", "1")
	res, err := RunBallast(context.Background(), BallastOptions{Scenario: s, Seed: 2, Dir: dir,
		Node: []string{self, "--scenario", sc, "--policy", "random", "--set", "min_ms=300,max_ms=600", "--seed", "2"}})
	if err != nil {
		t.Fatal(err)
	}
	count := map[eventlog.Kind]int{}
	var cutAt int64 = -1
	isolated := int16(-1)
	var before, during uint64
	for _, e := range res.Events {
		count[e.Kind]++
		switch {
		case e.Kind == eventlog.PartitionStart && e.Value == 1:
			cutAt, isolated = e.TimeUS, e.Node
		case e.Kind == eventlog.BecameLeader && cutAt < 0:
			before = max(before, e.Term)
		case e.Kind == eventlog.BecameLeader && e.TimeUS < cutAt+2_500_000 && e.Node != isolated:
			during = max(during, e.Term)
		}
	}
	t.Logf("%d rows: %v; network: %d frames, %d cut; timers late p99 %.0f µs", len(res.Events), count, res.Network.Delivered, res.Network.Cut, res.Timers.QuantileUS(0.99))
	if count[eventlog.Proposal] < 20 || count[eventlog.PauseStart] == 0 || count[eventlog.PauseEnd] == 0 || res.Network.Cut == 0 {
		t.Errorf("rows %v, %d frames cut: want proposals, pauses and a partition that cut messages", count, res.Network.Cut)
	}
	if cutAt < 0 || during <= before {
		t.Errorf("no new leader while the leader (node %d) was cut off at %d µs (term %d before, %d during)", isolated, cutAt, before, during)
	}
	validate(t, s, res.Events, "random", "live")
}
