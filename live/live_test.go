package live

import (
	"context"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/live/etcdcluster"
	"github.com/ballast-bench/ballast/sim/invariant"
	"github.com/ballast-bench/ballast/sim/scenario"
)

func etcdBinary(t *testing.T) string {
	t.Helper()
	bin, err := etcdcluster.Binary()
	if err != nil {
		t.Skip(err)
	}
	return bin
}

// runEtcdLeaderBy runs opt's scenario on real etcd members, and again (at
// most three runs) when no member became leader before faultUS, where the
// scenario's fault acts on the leader: in wall time, a machine loaded by
// other tests can take longer than that to start three etcd processes and
// elect one (the fault then finds no leader and, as in virtual time,
// does nothing). A run whose first leader came in time is returned
// whatever it shows, for the test to judge.
func runEtcdLeaderBy(t *testing.T, opt Options, faultUS int64) *Result {
	t.Helper()
	const margin = 100_000 // µs: the coordinator learns of a leader from its log
	for run := 1; ; run++ {
		opt.Dir = t.TempDir()
		res, err := RunEtcd(context.Background(), opt)
		if err != nil {
			t.Fatal(err)
		}
		firstUS := int64(-1)
		for _, e := range res.Events {
			if e.Kind == eventlog.BecameLeader {
				firstUS = e.TimeUS
				break
			}
		}
		if firstUS >= 0 && firstUS < faultUS-margin {
			return res
		}
		if run == 3 {
			t.Fatalf("%d runs, no leader %d µs before the fault at %d µs in any (the last's first at %d µs, -1: none): is the machine too loaded to start etcd?", run, margin, faultUS, firstUS)
		}
		t.Logf("run %d: the first leader at %d µs (-1: none), not before the fault at %d µs: running again", run, firstUS, faultUS)
	}
}

const smoke = `name: live_smoke
nodes: 3
duration_s: 8
raft: {heartbeat_ms: 100, pre_vote: true, check_quorum: true}
network:
  default: {base_delay_ms: 1, jitter: {dist: exponential, mean_ms: 0.5}, loss: 0}
crashes:
  - {node: leader, at_s: 4, restart_after_ms: 2000}
`

// TestEtcdSmoke: three real etcd members for 8 s with one leader crash at
// 4 s: the coordinator's crash and restart rows and the members' state
// changes make one events file whose analysis sees the failover, and
// which passes the independent checker's rules, as a simulated run's does.
func TestEtcdSmoke(t *testing.T) {
	bin := etcdBinary(t)
	s, err := scenario.Parse("smoke.yaml", []byte(smoke))
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	res := runEtcdLeaderBy(t, Options{Scenario: s, Seed: 1, ElectionMS: 1000, EtcdBinary: bin, Log: &log}, 4_000_000)
	count := map[eventlog.Kind]int{}
	for _, e := range res.Events {
		count[e.Kind]++
	}
	t.Logf("%d rows: %v; injected faults late by mean %.0f µs, max %d µs; network: %d chunks, lateness p99 %.0f µs; %d plain connections",
		len(res.Events), count, res.Injected.MeanUS(), res.Injected.MaxUS, res.Network.Delivered, res.Network.Lateness.QuantileUS(0.99), res.Plain)
	if count[eventlog.Crash] != 1 || count[eventlog.Restart] != 1 || count[eventlog.BecameLeader] < 2 {
		t.Fatalf("rows %v: want one crash, one restart and at least two leaders", count)
	}
	run := validate(t, s, res.Events, "etcd", "etcd-server")
	if len(run.Failovers) != 1 || !run.Failovers[0].Recovered || !run.Failovers[0].Detected {
		t.Fatalf("failovers %+v: want one, detected and recovered", run.Failovers)
	}
	fo := run.Failovers[0]
	t.Logf("failover: detected after %.0f ms, new leader after %.0f ms", float64(fo.DetectFirstUS)/1000, float64(fo.OutOfServiceUS)/1000)
	// etcd's defaults: a follower times out within [1000, 2000) ms of its
	// last heartbeat; then a pre-vote and a vote round on a LAN.
	if fo.DetectFirstUS < 800_000 || fo.OutOfServiceUS > 4_000_000 {
		t.Errorf("failover detected after %d µs, out of service %d µs; want detection near [1000, 2000) ms and a leader within 4 s", fo.DetectFirstUS, fo.OutOfServiceUS)
	}
}

func TestCheckEtcd(t *testing.T) {
	for _, c := range []struct{ patch, want string }{
		{"processing:\n  - {node: 0, delay: {dist: constant, value_ms: 1}}\n", "processing: a per-message processing delay cannot be realised"},
		{"storage: {fsync: {dist: constant, value_ms: 1}}\n", "storage: etcd fsyncs for real"},
		{"crashes:\n  - {node: leader, at_s: 2, lagging_followers: 1}\n", "crashes[0].lagging_followers"},
	} {
		s, err := scenario.Parse("x.yaml", []byte(strings.Replace(smoke, "crashes:\n  - {node: leader, at_s: 4, restart_after_ms: 2000}\n", c.patch, 1)))
		if err != nil {
			t.Fatalf("%s: %v", c.patch, err)
		}
		if err := CheckEtcd(s, 1000); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "allowed: ") {
			t.Errorf("%s: %v; want %q and what is allowed", c.patch, err, c.want)
		}
	}
	s, _ := scenario.Parse("x.yaml", []byte(strings.Replace(smoke, "check_quorum: true", "check_quorum: false", 1)))
	if err := CheckEtcd(s, 1000); err == nil || !strings.Contains(err.Error(), "raft.check_quorum: etcd always checks quorum") {
		t.Errorf("check_quorum false: %v", err)
	}
	s, _ = scenario.Parse("x.yaml", []byte(smoke))
	if err := CheckEtcd(s, 499); err == nil || !strings.Contains(err.Error(), "election_ms 499: etcd refuses an election timeout under 5 heartbeats (100 ms); allowed: at least 500") {
		t.Errorf("election_ms 499: %v", err)
	}
}

// TestEtcdPartition: the scenario's partition on real etcd members, through
// the proxies: the leader is cut off for 4 s and the other two elect
// another in a higher term meanwhile; every peer link carried traffic
// through the model, and the partition cut some.
func TestEtcdPartition(t *testing.T) {
	bin := etcdBinary(t)
	s, err := scenario.Parse("partition.yaml", []byte(`name: partition
nodes: 3
duration_s: 10
raft: {heartbeat_ms: 100, pre_vote: true, check_quorum: true}
network:
  default: {base_delay_ms: 10, loss: 0}
partitions:
  - {at_s: 4, duration_s: 4, isolate_leader: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	res := runEtcdLeaderBy(t, Options{Scenario: s, Seed: 1, ElectionMS: 1000, EtcdBinary: bin}, 4_000_000)
	var cutAt int64 = -1
	isolated := int16(-1)
	var before, during uint64
	for _, e := range res.Events {
		switch {
		case e.Kind == eventlog.PartitionStart && e.Value == 1:
			cutAt, isolated = e.TimeUS, e.Node
		case e.Kind == eventlog.BecameLeader && cutAt < 0:
			before = max(before, e.Term)
		case e.Kind == eventlog.BecameLeader && e.TimeUS < cutAt+4_000_000 && e.Node != isolated:
			during = max(during, e.Term)
		}
	}
	t.Logf("leader m%d cut off at %d µs; term %d before, a leader at term %d during; network: %d chunks, %d cut, lateness p99 %.0f µs",
		isolated, cutAt, before, during, res.Network.Delivered, res.Network.Cut, res.Network.Lateness.QuantileUS(0.99))
	if cutAt < 0 || during <= before {
		t.Errorf("no new leader while the leader was cut off (term %d before, %d during)", before, during)
	}
	if res.Network.Delivered == 0 || res.Network.Cut == 0 {
		t.Errorf("network: %d chunks delivered, %d cut; want traffic through the model and some of it cut", res.Network.Delivered, res.Network.Cut)
	}
}

// validate checks a live run's merged rows as a simulated run's are
// checked: the independent checker's rules, then the analysis, whose
// result it returns.
func validate(t *testing.T, s *scenario.Scenario, evs []eventlog.Event, policy, engine string) *metrics.Run {
	t.Helper()
	chk := invariant.New(s.Nodes)
	for i := range evs {
		chk.Emit(&evs[i])
	}
	if err := chk.Err(); err != nil {
		t.Errorf("the independent checker: %v", err)
	}
	info := eventlog.RunInfo{RunID: "live-" + s.Name, Scenario: s.Name, Policy: policy, Seed: 1, Engine: engine,
		SchemaVersion: eventlog.SchemaVersion, Nodes: int64(s.Nodes), DurationUS: s.DurationUS(), HeartbeatUS: s.HeartbeatUS(), Events: int64(len(evs))}
	st, err := metrics.NewStream(info, metrics.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		st.Emit(&evs[i])
	}
	run, err := st.Finish()
	if err != nil {
		t.Fatalf("analysis: %v", err)
	}
	return run
}
