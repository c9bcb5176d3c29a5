package policies_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// delayed is an in-memory transport whose every RPC takes a one-way delay
// each way: the request after d, the response after d more.
type delayed struct {
	*raft.InmemTransport
	d time.Duration
}

func (t *delayed) AppendEntriesPipeline(raft.ServerID, raft.ServerAddress) (raft.AppendPipeline, error) {
	return nil, raft.ErrPipelineReplicationNotSupported // every append through AppendEntries, delayed
}

func (t *delayed) AppendEntries(id raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) error {
	time.Sleep(t.d)
	defer time.Sleep(t.d)
	return t.InmemTransport.AppendEntries(id, target, args, resp)
}

func (t *delayed) RequestVote(id raft.ServerID, target raft.ServerAddress, args *raft.RequestVoteRequest, resp *raft.RequestVoteResponse) error {
	time.Sleep(t.d)
	defer time.Sleep(t.d)
	return t.InmemTransport.RequestVote(id, target, args, resp)
}

func (t *delayed) RequestPreVote(id raft.ServerID, target raft.ServerAddress, args *raft.RequestPreVoteRequest, resp *raft.RequestPreVoteResponse) error {
	time.Sleep(t.d)
	defer time.Sleep(t.d)
	return t.InmemTransport.RequestPreVote(id, target, args, resp)
}

type nopFSM struct{}

func (nopFSM) Apply(*raft.Log) any                  { return nil }
func (nopFSM) Snapshot() (raft.FSMSnapshot, error)  { return nil, fmt.Errorf("no snapshots") }
func (nopFSM) Restore(r io.ReadCloser) error        { return r.Close() }
func (nopFSM) String() string                       { return "nop" }
func (m *hcMember) String() string                  { return string(m.id) }
func (m *hcMember) alive() bool                     { return m.r != nil }
func (m *hcMember) leader() bool                    { return m.alive() && m.r.State() == raft.Leader }
func (c *hcCluster) config(m *hcMember) raft.Config { return c.conf(m.id) }

// hcMember is one hashicorp/raft server; its stores outlive a kill, as a
// disk would.
type hcMember struct {
	id    raft.ServerID
	logs  *raft.InmemStore
	snaps *raft.InmemSnapshotStore
	trans *raft.InmemTransport
	r     *raft.Raft
}

type hcCluster struct {
	members []*hcMember
	conf    func(raft.ServerID) raft.Config
	d       time.Duration
}

// start (re)starts member i and connects it with every live member.
func (c *hcCluster) start(t *testing.T, i int) {
	t.Helper()
	m := c.members[i]
	_, m.trans = raft.NewInmemTransport(raft.ServerAddress(m.id))
	for _, o := range c.members {
		if o != m && o.alive() {
			m.trans.Connect(raft.ServerAddress(o.id), o.trans)
			o.trans.Connect(raft.ServerAddress(m.id), m.trans)
		}
	}
	conf := c.config(m)
	r, err := raft.NewRaft(&conf, nopFSM{}, m.logs, m.logs, m.snaps, &delayed{m.trans, c.d})
	if err != nil {
		t.Fatal(err)
	}
	m.r = r
}

// kill cuts member i off at once, as a crash would, and stops it.
func (c *hcCluster) kill(i int) {
	m := c.members[i]
	m.trans.DisconnectAll()
	for _, o := range c.members {
		if o != m && o.alive() {
			o.trans.Disconnect(raft.ServerAddress(m.id))
		}
	}
	r := m.r
	m.r = nil
	go r.Shutdown()
}

// TestHashicorpAgainstLibrary: the `hashicorp` policy on the etcd engine
// against github.com/hashicorp/raft v1.8.0 itself, in wall time, 3
// servers on an in-memory transport with a one-way delay of 1 ms each way:
// the leader is killed again and again at a random point, and the time to
// the next leader is measured on both. "leader-failover time
// distributions within 10 %" (issue 16): mean and median.
func TestHashicorpAgainstLibrary(t *testing.T) {
	if testing.Short() {
		t.Skip("wall-clock: about 35 s")
	}
	const (
		tMS       = 80 // HeartbeatTimeout = ElectionTimeout; LeaderLeaseTimeout T/2
		dMS       = 1
		failovers = 80
	)
	T := tMS * time.Millisecond
	c := &hcCluster{d: dMS * time.Millisecond, conf: func(id raft.ServerID) raft.Config {
		conf := raft.DefaultConfig()
		conf.LocalID = id
		conf.HeartbeatTimeout, conf.ElectionTimeout, conf.LeaderLeaseTimeout = T, T, T/2
		conf.CommitTimeout = T / 10
		conf.Logger = hclog.NewNullLogger()
		return *conf
	}}
	var servers []raft.Server
	for i := range 3 {
		m := &hcMember{id: raft.ServerID(fmt.Sprintf("n%d", i)), logs: raft.NewInmemStore(), snaps: raft.NewInmemSnapshotStore()}
		c.members = append(c.members, m)
		servers = append(servers, raft.Server{ID: m.id, Address: raft.ServerAddress(m.id)})
	}
	for _, m := range c.members {
		conf := c.config(m)
		_, tr := raft.NewInmemTransport(raft.ServerAddress(m.id))
		if err := raft.BootstrapCluster(&conf, m.logs, m.logs, m.snaps, tr, raft.Configuration{Servers: servers}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range c.members {
		c.start(t, i)
	}
	defer func() {
		for i, m := range c.members {
			if m.alive() {
				c.kill(i)
			}
		}
	}()
	rng := rand.New(rand.NewPCG(1, 2))
	leader := func() int {
		return slices.IndexFunc(c.members, func(m *hcMember) bool { return m.leader() })
	}
	var real []float64
	for range failovers {
		// Settle: a leader, every member up, then a random wait.
		deadline := time.Now().Add(100 * T)
		for leader() < 0 {
			if time.Now().After(deadline) {
				t.Fatal("no leader")
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(3*T + time.Duration(rng.Int64N(int64(T))))
		l := leader()
		if l < 0 {
			continue
		}
		t0 := time.Now()
		c.kill(l)
		for leader() < 0 {
			if time.Since(t0) > 100*T {
				t.Fatal("no new leader")
			}
			time.Sleep(200 * time.Microsecond)
		}
		real = append(real, float64(time.Since(t0).Microseconds())/1000)
		c.start(t, l)
	}

	// The model: the same timeouts; a leader's heartbeat cycle is
	// hashicorp/raft's randomTimeout(T/10), [T/10, T/5), plus the round
	// trip it waits for (replication.go, heartbeat): 0.15 T + 2d on
	// average; a follower trusts its leader, and refuses (pre-)votes, until
	// its own heartbeat timer finds the contact too old (requestPreVote,
	// requestVote: "we have a leader"): vote_lease own_timer. ours: the
	// kill schedule, one every 10 T.
	hb := 0.15*tMS + 2*dMS
	yaml := fmt.Sprintf(`name: hashicorp_check
description: hashicorp/raft against its model
nodes: 3
duration_s: %g
raft: {heartbeat_ms: %g, pre_vote: true, check_quorum: true, lease_ms: %d, vote_lease: own_timer}
network:
  default: {base_delay_ms: %d, loss: 0}
crashes:
  - {node: leader, at_s: %g, phase: heartbeat, restart_after_ms: %d, repeat: {count: 400, every_s: %g}}
`, 0.01*tMS*401+1, hb, tMS/2, dMS, 0.01*tMS, 5*tMS, 0.01*tMS)
	sc, err := scenario.Parse("hashicorp_check.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	run, err := harness.Resolve(harness.Spec{Scenario: sc, Policy: "hashicorp", Seed: 1, Engine: "etcd",
		Set: []string{fmt.Sprintf("heartbeat_timeout_ms=%d", tMS), fmt.Sprintf("election_timeout_ms=%d", tMS)}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := metrics.NewStream(run.Info, metrics.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Simulate(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	m, err := st.Finish()
	if err != nil {
		t.Fatal(err)
	}
	var sim []float64
	for _, f := range m.Failovers {
		sim = append(sim, float64(f.OutOfServiceUS)/1000)
	}
	slices.Sort(real)
	slices.Sort(sim)
	for _, q := range []struct {
		what      string
		real, sim float64
	}{
		{"mean", stats.Mean(real), stats.Mean(sim)},
		{"median", stats.Quantile(real, 0.5), stats.Quantile(sim, 0.5)},
		{"p90", stats.Quantile(real, 0.9), stats.Quantile(sim, 0.9)},
	} {
		d := (q.sim - q.real) / q.real
		t.Logf("failover %s: hashicorp/raft %.1f ms (%d), model %.1f ms (%d): %+.1f %%", q.what, q.real, len(real), q.sim, len(sim), 100*d)
		if q.what != "p90" && math.Abs(d) > 0.10 {
			t.Errorf("failover %s: the model's %.1f ms is %+.1f %% off hashicorp/raft's %.1f ms; allowed: within 10 %%", q.what, q.sim, 100*d, q.real)
		}
	}
}
