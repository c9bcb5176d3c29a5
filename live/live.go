// Package live runs a scenario on real processes in wall time (issue 15,
// docs/live.md). Today it has the etcd target: real etcd members
// (live/etcdcluster) whose peer traffic crosses the scenario's network
// (live/netproxy, the simulator's own sim.Network), the scenario's fault
// timeline applied by the simulator's own sim.Injector on a wall-clock
// schedule, and one events file at the end: the members' Raft state
// changes from their logs and the coordinator's rows (crashes, restarts,
// pauses, partitions, regimes, bursts), in time order, which every
// analysis command reads as it reads a simulated run's.
//
// The fault timeline is seeded: the same seed injects the same faults at
// the same offsets. The timings are measured, so a run's results are
// statistical. Each run measures the harness itself: how late every
// injected fault fired (Result.Injected) and how late the proxies
// delivered (Result.Network.Lateness).
package live

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/live/etcdcluster"
	"github.com/ballast-bench/ballast/live/netproxy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// Options of a live run on etcd.
type Options struct {
	Scenario   *scenario.Scenario
	Seed       uint64
	ElectionMS int    // the etcd policy's election_ms: etcd's --election-timeout
	EtcdBinary string // 'make etcd' builds bin/etcd
	Dir        string // members' data directories and logs
	Log        io.Writer
}

// Result is a finished live run.
type Result struct {
	Events   []eventlog.Event // every row, in time order
	Injected netproxy.Histogram
	Timers   netproxy.Histogram // live ballast nodes: how late their timers fired
	Network  netproxy.Stats     // the directed links summed
	Plain    int64              // peer connections that never named their sender (probes), copied untouched
	Unpaired int                // vote receipts left out: no answer logged before them
	// Live ballast nodes: how long each call of the policy took, in ns
	// (sim.Config.PolicyTiming): its chooses and its updates.
	Choose, Update []int64
}

// CheckEtcd refuses, with one line naming the key, what a scenario asks
// for that real etcd members cannot do faithfully, and an election timeout
// etcd refuses.
func CheckEtcd(s *scenario.Scenario, electionMS int) error {
	if err := checkEtcdScenario(s, electionMS); err != nil {
		return err
	}
	if electionMS < 5*int(s.Raft.HeartbeatMS) {
		return fmt.Errorf("election_ms %d: etcd refuses an election timeout under 5 heartbeats (%g ms); allowed: at least %d", electionMS, s.Raft.HeartbeatMS, 5*int(s.Raft.HeartbeatMS))
	}
	return nil
}

func checkEtcdScenario(s *scenario.Scenario, electionMS int) error {
	bad := func(key, why, allowed string) error {
		return fmt.Errorf("scenario %s: %s: %s on the etcd target; allowed: %s", s.Name, key, why, allowed)
	}
	r := &s.Raft
	switch {
	case len(s.Processing) > 0:
		return bad("processing", "a per-message processing delay cannot be realised", "none")
	case s.NodesTimerJitter != nil:
		return bad("nodes_timer_jitter", "the members' timers are real ones", "none")
	case s.Storage != nil:
		return bad("storage", "etcd fsyncs for real", "none")
	case !r.CheckQuorum:
		return bad("raft.check_quorum", "etcd always checks quorum", "true")
	case r.LeaseMS != nil && *r.LeaseMS != float64(electionMS):
		return bad("raft.lease_ms", fmt.Sprintf("etcd's lease is its election timeout (%d ms)", electionMS), fmt.Sprintf("%d, or none", electionMS))
	case r.ProposalIntervalMS > 0:
		return bad("raft.proposal_interval_ms", "no workload is proposed yet", "0")
	case r.VoteLease != "" && r.VoteLease != scenario.VoteLeaseFixed:
		return bad("raft.vote_lease", "etcd's lease is fixed", scenario.VoteLeaseFixed)
	case r.TimerReset != "" && r.TimerReset != scenario.TimerResetEtcd:
		return bad("raft.timer_reset", "etcd resets its timer as etcd does", scenario.TimerResetEtcd)
	case r.HeartbeatMS < 1 || r.HeartbeatMS != float64(int(r.HeartbeatMS)):
		return bad("raft.heartbeat_ms", fmt.Sprintf("%g is not a whole number of ms, which etcd's --heartbeat-interval takes", r.HeartbeatMS), "a whole number of ms")
	}
	if t := s.Network.Transport; t != nil {
		for class, v := range map[string]string{"default": t.Default, "vote": t.Vote, "heartbeat": t.Heartbeat, "append": t.Append} {
			if v == scenario.Datagram {
				return bad("network.transport."+class, "etcd's peers talk TCP", scenario.Stream)
			}
		}
	}
	for i, c := range s.Crashes {
		if c.LaggingFollowers > 0 {
			return bad(fmt.Sprintf("crashes[%d].lagging_followers", i), "the crashed leader's last entry cannot be made to reach only some followers", "0")
		}
	}
	return nil
}

// etcdNetwork is the scenario's network as the etcd target realises it:
// every class on a stream (etcd's peers talk TCP; a scenario that says
// nothing about its transport means TCP here).
func etcdNetwork(s *scenario.Scenario, seed uint64) *sim.Network {
	c := *s
	c.Network.Transport = &scenario.Transport{Default: scenario.Stream}
	return sim.NewNetwork(&c, seed)
}

// RunEtcd runs s on real etcd members for the scenario's duration.
func RunEtcd(ctx context.Context, opt Options) (*Result, error) {
	s := opt.Scenario
	if err := CheckEtcd(s, opt.ElectionMS); err != nil {
		return nil, err
	}
	logf := func(format string, a ...any) {
		if opt.Log != nil {
			fmt.Fprintf(opt.Log, format+"\n", a...)
		}
	}
	nw := etcdNetwork(s, opt.Seed)
	tl := scenario.NewTimeline(s, opt.Seed)

	var lns []net.Listener
	var advertise []string
	closeAll := func() {
		for _, ln := range lns {
			ln.Close()
		}
	}
	for range s.Nodes {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			closeAll()
			return nil, err
		}
		lns = append(lns, ln)
		advertise = append(advertise, "http://"+ln.Addr().String())
	}
	// The run's clock starts as the members start: the timeline's offsets
	// count from here, and so do the events' times.
	start := time.Now()
	sh := netproxy.NewShared(nw, start)
	c, err := etcdcluster.Start(etcdcluster.Options{Binary: opt.EtcdBinary, Dir: opt.Dir, Members: s.Nodes,
		HeartbeatMS: int(s.Raft.HeartbeatMS), ElectionMS: opt.ElectionMS, PreVote: s.Raft.PreVote, Advertise: advertise})
	if err != nil {
		closeAll()
		return nil, err
	}
	defer c.Close()
	who := func(id string) (int, bool) {
		// A member logs its id as it starts, before it dials its peers.
		for range 400 {
			if m, ok := c.Member(id); ok {
				return m, true
			}
			time.Sleep(5 * time.Millisecond)
		}
		return 0, false
	}
	pctx, cancel := context.WithCancel(context.Background())
	var proxies []*netproxy.Streams
	var pwg sync.WaitGroup
	for i, ln := range lns {
		p := netproxy.NewStreams(i, sim.ClassHeartbeat, ln, strings.TrimPrefix(c.PeerURL(i), "http://"), sh, "X-Server-From", who)
		proxies = append(proxies, p)
		pwg.Go(func() { p.Serve(pctx) })
	}
	stopProxies := func() {
		cancel()
		pwg.Wait()
	}

	mem := &eventlog.Memory{}
	log := &sim.Log{Sink: mem}
	cl := &cluster{c: c, sh: sh, log: log, n: s.Nodes, paused: make([]bool, s.Nodes), wakeUS: make([]int64, s.Nodes)}
	in := sim.NewInjector(s, tl, nw, log, opt.Seed)
	res := &Result{}
	logf("live: %d etcd members, %s for %g s, seed %d", s.Nodes, s.Name, s.DurationS, opt.Seed)
	if err := inject(ctx, s, tl, in, cl, sh, &res.Injected); err != nil {
		stopProxies()
		return nil, err
	}
	endUS := sh.NowUS()
	if err := c.Close(); err != nil {
		stopProxies()
		return nil, err
	}
	stopProxies()
	for i, p := range proxies {
		for from := range s.Nodes {
			if from != i {
				st := p.Stats(from, i)
				res.Network.Add(&st)
				st = p.Stats(i, from)
				res.Network.Add(&st)
			}
		}
		res.Plain += p.Plain()
	}
	res.Events, res.Unpaired = merge(mem.Events, c.Events(), start, endUS)
	return res, nil
}

// inject applies the timeline's faults to cl in wall time, each at its
// offset from the run's start (late records how late each after time 0
// was), then waits for the scenario's end.
func inject(ctx context.Context, s *scenario.Scenario, tl *scenario.Timeline, in *sim.Injector, cl sim.Cluster, sh *netproxy.Shared, late *netproxy.Histogram) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for _, ev := range tl.Events {
		if ev.AtUS > s.DurationUS() {
			break
		}
		if !sleepUntil(ctx, timer, sh.Start().Add(time.Duration(ev.AtUS)*time.Microsecond)) {
			return ctx.Err()
		}
		// What the timeline sets at time 0 (the first regime, a partition
		// from the start) is applied while the nodes are still starting:
		// its delay is the run's start-up, not the machine's scheduling
		// noise, and nothing was running to notice it.
		if ev.AtUS > 0 {
			late.Add(sh.NowUS() - ev.AtUS)
		}
		sh.Do(func() { in.Apply(ev.AtUS, ev, cl) })
	}
	if !sleepUntil(ctx, timer, sh.Start().Add(time.Duration(s.DurationUS())*time.Microsecond)) {
		return ctx.Err()
	}
	return nil
}

// sleepUntil waits until t; false if ctx ended first.
func sleepUntil(ctx context.Context, timer *time.Timer, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer.Reset(d)
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// merge puts the coordinator's rows and the members' state changes and
// votes into one time order (stable: at one instant the coordinator's rows
// first, then each member's in its log's order), up to endUS. A vote's
// grant or denial (the voter's line) and its receipt (the candidate's)
// share a message id, paired in order per voter, candidate and kind; a
// receipt with no logged answer before it is left out (unpaired counts
// them).
func merge(coord []eventlog.Event, member []etcdcluster.Event, start time.Time, endUS int64) (out []eventlog.Event, unpaired int) {
	type item struct {
		ev   eventlog.Event
		pair [3]int // vote rows: pre (0) or vote (1), voter, candidate
		send bool   // a grant or denial; else a receipt
		vote bool
	}
	var items []item
	for _, e := range coord {
		items = append(items, item{ev: e})
	}
	for _, e := range member {
		ev := eventlog.Event{TimeUS: e.At.Sub(start).Microseconds(), Node: int16(e.Member), Term: e.Term, Peer: -1, Arm: -1}
		if ev.TimeUS < 0 || ev.TimeUS > endUS {
			continue
		}
		it := item{}
		pre := 0
		switch e.Kind {
		case etcdcluster.Timeout:
			ev.Kind = eventlog.Timeout
		case etcdcluster.PreCandidate:
			ev.Kind = eventlog.BecamePreCandidate
		case etcdcluster.Candidate:
			ev.Kind = eventlog.BecameCandidate
		case etcdcluster.Leader:
			ev.Kind = eventlog.BecameLeader
		case etcdcluster.Follower:
			ev.Kind = eventlog.BecameFollower
		case etcdcluster.PreVoteGrant, etcdcluster.VoteGrant, etcdcluster.PreVoteDeny, etcdcluster.VoteDeny:
			ev.Kind = map[etcdcluster.Kind]eventlog.Kind{etcdcluster.PreVoteGrant: eventlog.PreVoteGranted, etcdcluster.VoteGrant: eventlog.VoteGranted,
				etcdcluster.PreVoteDeny: eventlog.PreVoteDenied, etcdcluster.VoteDeny: eventlog.VoteDenied}[e.Kind]
			if e.Kind == etcdcluster.VoteGrant || e.Kind == etcdcluster.VoteDeny {
				pre = 1
			}
			// The reason of a denial is not in etcd's line: value 0.
			it = item{pair: [3]int{pre, e.Member, e.Peer}, send: true, vote: true}
		case etcdcluster.PreVoteResp, etcdcluster.VoteResp:
			ev.Kind = eventlog.PreVoteRespRecv
			if e.Kind == etcdcluster.VoteResp {
				ev.Kind, pre = eventlog.VoteRespRecv, 1
			}
			if e.Granted {
				ev.Value = 1
			}
			it = item{pair: [3]int{pre, e.Peer, e.Member}, vote: true}
		}
		if it.vote {
			if e.Peer < 0 {
				unpaired++
				continue // the other member's id was never logged
			}
			ev.Peer = int16(e.Peer)
		}
		it.ev = ev
		items = append(items, it)
	}
	slices.SortStableFunc(items, func(a, b item) int {
		switch {
		case a.ev.TimeUS < b.ev.TimeUS:
			return -1
		case a.ev.TimeUS > b.ev.TimeUS:
			return 1
		}
		return 0
	})
	pending := map[[3]int][]uint64{}
	next := uint64(0)
	for _, it := range items {
		if it.vote {
			q := pending[it.pair]
			if it.send {
				next++
				it.ev.MsgID = next
				pending[it.pair] = append(q, next)
			} else {
				if len(q) == 0 {
					unpaired++
					continue
				}
				it.ev.MsgID, pending[it.pair] = q[0], q[1:]
			}
		}
		out = append(out, it.ev)
	}
	return out, unpaired
}

// members are a run's node processes, as the injector acts on them
// (*etcdcluster.Cluster, ballast's nodes).
type members interface {
	Leader() (member int, term uint64)
	Term(i int) uint64
	Pid(i int) int
	Kill(i int) error
	Restart(i int) error
	Pause(i int) error
	Resume(i int) error
}

// cluster is sim.Cluster over the members: what the injector does to
// nodes, done to processes, and logged at the moment it was done.
type cluster struct {
	c      members
	sh     *netproxy.Shared
	log    *sim.Log
	n      int
	paused []bool
	wakeUS []int64 // per node: the end of its current stall
}

func (k *cluster) Leader() int {
	m, _ := k.c.Leader()
	return m
}

func (k *cluster) Alive(n int) bool { return k.c.Pid(n) != 0 }

func (k *cluster) Crash(n int) {
	if k.c.Kill(n) == nil {
		k.paused[n] = false
		k.log.Emit(k.sh.NowUS(), eventlog.Crash, n, k.c.Term(n), -1, 0, -1, 0)
	}
}

func (k *cluster) Restart(n int) {
	if k.c.Restart(n) == nil {
		k.log.Emit(k.sh.NowUS(), eventlog.Restart, n, k.c.Term(n), -1, 0, -1, 0)
	}
}

func (k *cluster) Pause(n int, untilUS int64) { k.stall(n, untilUS, eventlog.PauseStart) }
func (k *cluster) Sleep(n int, untilUS int64) { k.stall(n, untilUS, eventlog.Sleep) }

func (k *cluster) stall(n int, untilUS int64, kind eventlog.Kind) {
	now := k.sh.NowUS()
	if k.paused[n] {
		// A sleep that begins during a pause extends it into one stall:
		// a second row running to the later end, as in virtual time.
		untilUS = max(untilUS, k.wakeUS[n])
		k.wakeUS[n] = untilUS
		k.log.Emit(now, kind, n, k.c.Term(n), -1, untilUS-now, -1, 0)
		return
	}
	if k.c.Pause(n) == nil {
		// Logged once the node has stopped: what it logged before came
		// before its pause.
		now = k.sh.NowUS()
		k.paused[n], k.wakeUS[n] = true, untilUS
		k.log.Emit(now, kind, n, k.c.Term(n), -1, untilUS-now, -1, 0)
	}
}

func (k *cluster) Paused(n int) bool { return k.paused[n] && k.Alive(n) }

// Resume continues the node. Its pause_end row is at the stall's end as
// its start row announced it; the signal itself went out as late as the
// injected event was (Result.Injected), and the stopped node logged
// nothing in between.
func (k *cluster) Resume(n int) {
	if !k.paused[n] || !k.Alive(n) {
		return
	}
	if k.c.Resume(n) == nil {
		k.paused[n] = false
		k.log.Emit(k.wakeUS[n], eventlog.PauseEnd, n, k.c.Term(n), -1, 0, -1, 0)
	}
}

// LastEntry is refused up front (CheckEtcd: crashes[].lagging_followers).
func (k *cluster) LastEntry(leader int, lose []int) {}
