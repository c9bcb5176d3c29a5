package etcdraft

import (
	"fmt"
	"math"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"go.etcd.io/raft/v3/tracker"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/stream"
)

// Engine runs go.etcd.io/raft/v3 in virtual time (see the package doc).
type Engine struct{}

// Name implements sim.Engine.
func (Engine) Name() string { return "etcd" }

// Queue item kinds besides timers (the same as the fast model's).
const (
	evDeliver  uint8 = iota + 1 // a: envelope pool index
	evInject                    // a: timeline event index
	evProposal                  // the proposal clock ticks
)

// Timer slots per node.
const (
	slotElection  = iota // the policy's election timer
	slotLease            // fixed vote lease: when it runs out (CheckQuorum only)
	slotTick             // leader: raft's logical clock, one tick per heartbeat interval
	slotHeartbeat        // leader with a heartbeat-tuning policy: the next follower heartbeat due
	slotsPerNode
)

// Raft settings the scenario does not choose; etcd's server defaults.
const (
	maxSizePerMsg   = 1 << 20
	maxInflightMsgs = 512
)

// envelope is one raft message in flight, with what the engine knows about
// it besides raft's fields. The message is shared with raft and never
// modified (v3.7 messages share pointer fields with the messages they
// answer).
type envelope struct {
	m        *pb.Message
	from, to int
	toIncarn uint32
	typ      eventlog.MsgType
	id       uint64
	sentUS   int64  // requests: when sent; responses: the request's, echoed (RTT)
	seq      uint64 // heartbeats: per (leadership, follower) sequence number
	rttUS    int64  // heartbeats: the leader's last RTT to the follower, -1 none
	value    int64  // heartbeats and their responses: policy piggyback, -1 none
}

type node struct {
	id     int
	rn     *raft.RawNode // nil while crashed: raft's memory is gone
	st     *raft.MemoryStorage
	alive  bool
	incarn uint32

	// raft's state as of the last Ready handled (raft ids: node index + 1;
	// 0 is none).
	state  raft.StateType
	term   uint64
	vote   uint64
	lead   uint64
	commit uint64

	// Election attempts, as the fast model keeps them.
	attemptStartUS int64 // -1 when not campaigning
	failures       int
	lastLeaderUS   int64
	leaderTerm     uint64
	campaigned     bool // Campaign() was called: the next Ready reports a new round even if the state looks unchanged
	rearm          bool // raft zeroed its election clock: re-arm the policy timer
	proposed       bool // Propose() was called: log the entry's index

	// sim.Seat: the policy, its hooks, heartbeat statistics and safety state.
	sim.Seat

	// Leader state, per follower.
	hbIntervalUS []int64 // tuned heartbeat intervals (tuner only)
	hbNextUS     []int64
	hbSeq        []uint64
	rttUS        []int64
	match        []uint64 // scratch for tuned heartbeats' commit index

	// Processing pause: while paused the node handles nothing. Deliveries
	// wait in inbox (envelope pool indices in arrival order; -1 is a
	// workload proposal that reached the paused leader) and timers that
	// come due (election, lease, tick, heartbeat) are postponed to
	// pauseEndUS (see Resume).
	paused     bool
	pauseEndUS int64
	inbox      []int32
}

type run struct {
	cfg     *sim.Config
	s       *scenario.Scenario
	q       *sim.Queue
	net     *sim.Network
	inj     *sim.Injector
	tl      *scenario.Timeline
	log     sim.Log
	safety  sim.Safety
	nodes   []node
	voters  []uint64
	msgs    []envelope
	free    []int32
	nextID  uint64
	nowUS   int64
	hbUS    int64 // one tick
	electE  int   // ElectionTick
	fixed   bool  // fixed vote lease, aged by the engine
	payload []byte
	err     *sim.RunError
	hb      policy.Heartbeat // scratch, reused for every OnHeartbeat call
	// progress is WithProgress' visitor, made once per run so that tuned
	// heartbeats allocate no closure; it fills progTo's match scratch.
	progress func(id uint64, typ raft.ProgressType, pr tracker.Progress)
	progTo   *node

	// The delivery being stepped: responses raft sends while handling it
	// answer it.
	cur       envelope
	curNode   *node
	curDeny   eventlog.DenyReason
	responded bool
}

// ElectionTick returns E for s: the CheckQuorum lease in heartbeat
// intervals, rounded, at least 2 (raft requires ElectionTick >
// HeartbeatTick = 1), and an error if CheckQuorum is on and the lease is
// shorter than that allows.
func ElectionTick(s *scenario.Scenario) (int, error) {
	hb, lease := s.HeartbeatUS(), s.LeaseUS()
	if hb <= 0 {
		return 0, fmt.Errorf("raft.heartbeat_ms %v: the etcd engine needs a heartbeat interval of at least 1 µs", s.Raft.HeartbeatMS)
	}
	e := int(math.Round(float64(lease) / float64(hb)))
	if e < 2 {
		if s.Raft.CheckQuorum {
			return 0, fmt.Errorf("raft.lease_ms %v is under 1.5 heartbeat intervals (%v ms); the etcd engine needs ElectionTick = lease_ms/heartbeat_ms >= 2 with check_quorum",
				float64(lease)/1000, s.Raft.HeartbeatMS)
		}
		e = 2 // without CheckQuorum E is never used: no lease, no quorum check
	}
	return e, nil
}

// Run implements sim.Engine.
func (Engine) Run(cfg *sim.Config) (sim.Result, error) {
	r, err := newRun(cfg)
	if err != nil {
		return sim.Result{}, err
	}
	return r.loop()
}

// newRun prepares a run: nodes, storages, policies, the timeline.
func newRun(cfg *sim.Config) (*run, error) {
	s := cfg.Scenario
	e, err := ElectionTick(s)
	if err != nil {
		return nil, &sim.RunError{RunID: cfg.RunID, Seed: cfg.Seed, Msg: err.Error()}
	}
	n := s.Nodes
	r := &run{
		cfg: cfg, s: s,
		q:      sim.NewQueue(n * slotsPerNode),
		net:    sim.NewNetwork(s, cfg.Seed),
		tl:     scenario.NewTimeline(s, cfg.Seed),
		hbUS:   s.HeartbeatUS(),
		electE: e,
		fixed:  s.Raft.CheckQuorum && s.VoteLeaseMode() == scenario.VoteLeaseFixed,
	}
	r.log.Sink = cfg.Sink
	r.inj = sim.NewInjector(s, r.tl, r.net, &r.log)
	r.progress = func(id uint64, _ raft.ProgressType, pr tracker.Progress) { r.progTo.match[id-1] = pr.Match }
	if s.Raft.ProposalIntervalMS > 0 {
		r.payload = make([]byte, s.ProposalPayloadBytes())
	}
	r.voters = make([]uint64, n)
	for i := range r.voters {
		r.voters[i] = uint64(i + 1)
	}
	r.nodes = make([]node, n)
	for i := range r.nodes {
		nd := &r.nodes[i]
		*nd = node{
			id: i, alive: true, attemptStartUS: -1, lastLeaderUS: -1,
			hbIntervalUS: make([]int64, n),
			hbNextUS:     make([]int64, n),
			hbSeq:        make([]uint64, n),
			rttUS:        make([]int64, n),
		}
		nd.Seat = sim.NewSeat(cfg.Policy(i, stream.New(cfg.Seed, stream.Policy, i)))
		if nd.Tuner != nil {
			nd.match = make([]uint64, n)
		}
		nd.st = raft.NewMemoryStorage()
		// Membership is bootstrapped the way etcd recommends: a storage
		// whose snapshot holds the configuration (all nodes voters), at
		// index 0 and term 0, with no log entries, so every node starts
		// identical and in term 0, as in the fast model.
		if err := nd.st.ApplySnapshot(&pb.Snapshot{Metadata: &pb.SnapshotMetadata{
			ConfState: &pb.ConfState{Voters: r.voters}, Index: new(uint64(0)), Term: new(uint64(0)),
		}}); err != nil {
			return nil, &sim.RunError{RunID: cfg.RunID, Seed: cfg.Seed, Msg: "bootstrapping raft storage: " + err.Error()}
		}
		r.startRaft(nd)
	}
	if r.err != nil {
		return nil, r.err
	}
	return r, nil
}

// loop runs the simulation to the scenario's end.
func (r *run) loop() (sim.Result, error) {
	s := r.s
	for i, ev := range r.tl.Events {
		r.q.Push(ev.AtUS, evInject, int32(i), 0)
	}
	if s.Raft.ProposalIntervalMS > 0 {
		r.q.Push(r.proposalUS(), evProposal, 0, 0)
	}
	for i := range r.nodes {
		nd := &r.nodes[i]
		r.emit(nd, eventlog.BecameFollower, -1, int64(eventlog.FollowerStart), 0)
		r.resetElectionTimer(nd)
		r.armLease(nd)
	}
	endUS := s.DurationUS()
	for r.err == nil {
		it, ok := r.q.Pop()
		if !ok || it.AtUS >= endUS {
			break
		}
		r.nowUS = it.AtUS
		switch it.Kind {
		case sim.TimerKind:
			nd := &r.nodes[int(it.A)/slotsPerNode]
			if nd.paused {
				// It fires when the pause ends, after the inbox: the item
				// queued now comes after the pause's end event, and
				// handling the inbox may re-arm or stop it first.
				r.q.SetTimer(int(it.A), nd.pauseEndUS)
				continue
			}
			switch int(it.A) % slotsPerNode {
			case slotElection:
				r.electionTimeout(nd)
			case slotLease:
				r.leaseExpired(nd)
			case slotTick:
				r.tick(nd)
			case slotHeartbeat:
				r.heartbeatDue(nd)
			}
		case evDeliver:
			r.deliver(it.A)
		case evInject:
			r.inj.Apply(r.nowUS, r.tl.Events[it.A], r)
		case evProposal:
			r.propose()
		}
	}
	if r.err != nil {
		return sim.Result{Events: r.log.Count, EndUS: r.nowUS}, r.err
	}
	return sim.Result{Events: r.log.Count, EndUS: endUS}, nil
}

// startRaft creates nd's RawNode from its storage: at the start, and after
// a restart, when term, vote and log come back from the storage.
func (r *run) startRaft(nd *node) {
	hs, _, _ := nd.st.InitialState() // MemoryStorage: never fails
	rn, err := raft.NewRawNode(&raft.Config{
		ID:              uint64(nd.id + 1),
		ElectionTick:    r.electE,
		HeartbeatTick:   1,
		Storage:         nd.st,
		Applied:         hs.GetCommit(), // no state machine: nothing to re-apply
		MaxSizePerMsg:   maxSizePerMsg,
		MaxInflightMsgs: maxInflightMsgs,
		CheckQuorum:     r.s.Raft.CheckQuorum,
		PreVote:         r.s.Raft.PreVote,
		Logger:          quiet{},
	})
	if err != nil {
		r.fail("creating raft node %d: %v", nd.id, err)
		return
	}
	nd.rn = rn
	nd.state, nd.lead = raft.StateFollower, 0
	nd.term, nd.vote, nd.commit = hs.GetTerm(), hs.GetVote(), hs.GetCommit()
}

func (r *run) proposalUS() int64 {
	return r.nowUS + int64(r.s.Raft.ProposalIntervalMS*1000+0.5)
}

func (r *run) emit(nd *node, kind eventlog.Kind, peer int, value int64, msgID uint64) {
	r.log.Emit(r.nowUS, kind, nd.id, nd.term, peer, value, -1, msgID)
}

func role(s raft.StateType) policy.Role {
	switch s {
	case raft.StatePreCandidate:
		return policy.PreCandidate
	case raft.StateCandidate:
		return policy.Candidate
	case raft.StateLeader:
		return policy.Leader
	}
	return policy.Follower
}

// --- timers -----------------------------------------------------------------

// resetElectionTimer asks the policy for a deadline and arms the node's
// election timer, as the fast model does.
func (r *run) resetElectionTimer(nd *node) {
	d, ok := nd.Decide(&r.log, r.nowUS, nd.id, role(nd.state), nd.term, nd.failures, r.hbUS, r.net.RegimeID())
	if !ok {
		// Policies are tested never to do this; a zero deadline would spin.
		r.fail("policy returned a non-positive deadline %d µs at node %d", d, nd.id)
		return
	}
	r.q.SetTimer(nd.id*slotsPerNode+slotElection, r.nowUS+d)
}

// armLease restarts the fixed vote lease: raft just zeroed the node's
// election clock, so its lease ends E ticks from now.
func (r *run) armLease(nd *node) {
	if r.fixed {
		r.q.SetTimer(nd.id*slotsPerNode+slotLease, r.nowUS+int64(r.electE)*r.hbUS)
	}
}

// leaseExpired ages raft's election clock past E: the node no longer
// trusts its leader and will answer (pre-)vote requests. TickQuiesced only
// advances the counter; it never starts an election.
func (r *run) leaseExpired(nd *node) {
	if !nd.alive || nd.state == raft.StateLeader {
		return
	}
	for range r.electE {
		nd.rn.TickQuiesced()
	}
}

func (r *run) stopTimers(nd *node) {
	base := nd.id * slotsPerNode
	for k := range slotsPerNode {
		r.q.StopTimer(base + k)
	}
}

// electionTimeout: the policy's timer fired. raft is asked to campaign.
func (r *run) electionTimeout(nd *node) {
	if !nd.alive || nd.state == raft.StateLeader {
		return
	}
	r.emit(nd, eventlog.Timeout, -1, 0, 0)
	if nd.attemptStartUS >= 0 {
		lat := r.nowUS - nd.attemptStartUS
		r.emit(nd, eventlog.ElectionFailed, -1, lat, 0)
		nd.failures++
		r.electionDone(nd, policy.TimedOut, lat)
	}
	nd.attemptStartUS = r.nowUS
	nd.campaigned = true
	if err := nd.rn.Campaign(); err != nil {
		r.fail("node %d: Campaign: %v", nd.id, err)
		return
	}
	r.drain(nd)
}

func (r *run) electionDone(nd *node, o policy.Outcome, latUS int64) {
	nd.ElectionDone(&r.log, r.nowUS, nd.id, nd.term, o, latUS)
}

// --- the Ready loop -----------------------------------------------------------

// drain handles every Ready of nd: persist, log state changes, send. It
// loops while raft has more, because messages a node sends itself (its own
// vote, its own append acknowledgement) are stepped inside Advance and can
// change its state again.
func (r *run) drain(nd *node) {
	for r.err == nil && nd.rn.HasReady() {
		rd := nd.rn.Ready()
		// Persist before sending, as the Ready contract requires; this is
		// what survives a crash.
		if !raft.IsEmptyHardState(rd.HardState) {
			_ = nd.st.SetHardState(rd.HardState) // MemoryStorage: never fails
		}
		if len(rd.Entries) > 0 {
			if err := nd.st.Append(rd.Entries); err != nil {
				r.fail("node %d: appending to storage: %v", nd.id, err)
				return
			}
			if nd.proposed {
				nd.proposed = false
				r.emit(nd, eventlog.Proposal, -1, int64(rd.Entries[len(rd.Entries)-1].GetIndex()), 0)
			}
		}
		if !raft.IsEmptySnap(rd.Snapshot) {
			r.fail("node %d: raft handed over a snapshot, which this engine never creates", nd.id)
			return
		}
		r.observe(nd, &rd)
		for _, m := range rd.Messages {
			r.sendRaft(nd, m)
		}
		nd.rn.Advance(rd)
	}
	if r.err == nil && nd.rearm && nd.state != raft.StateLeader {
		// raft zeroed its clock without handing over a Ready (not seen so
		// far: every such step answers something; kept for safety).
		nd.rearm = false
		r.resetElectionTimer(nd)
		r.armLease(nd)
	}
}

// observe updates nd's mirror of raft's state from a Ready and logs role
// changes, then re-arms the policy timer if raft zeroed its election
// clock. The re-arm comes before the Ready's messages are sent, as in the
// fast model, because a heartbeat-tuning policy piggybacks a value on the
// response that its Deadline just computed.
func (r *run) observe(nd *node, rd *raft.Ready) {
	term, vote, commit := nd.term, nd.vote, nd.commit
	if !raft.IsEmptyHardState(rd.HardState) {
		term, vote, commit = rd.HardState.GetTerm(), rd.HardState.GetVote(), rd.HardState.GetCommit()
	}
	state, lead := nd.state, nd.lead
	if rd.SoftState != nil {
		state, lead = rd.SoftState.RaftState, rd.SoftState.Lead
	}
	prevState, prevTerm, prevVote := nd.state, nd.term, nd.vote
	campaigned := nd.campaigned
	nd.campaigned = false
	nd.state, nd.term, nd.vote, nd.lead, nd.commit = state, term, vote, lead, commit
	if term < prevTerm {
		r.fail("node %d: raft's term went back from %d to %d", nd.id, prevTerm, term)
		return
	}
	if state != prevState || term != prevTerm || campaigned {
		switch state {
		case raft.StateFollower:
			r.becameFollower(nd, prevState, prevTerm)
		case raft.StatePreCandidate:
			r.emit(nd, eventlog.BecamePreCandidate, -1, 0, 0)
			nd.rearm = true
		case raft.StateCandidate:
			r.emit(nd, eventlog.BecameCandidate, -1, 0, 0)
			nd.rearm = true
		case raft.StateLeader:
			r.becameLeader(nd)
		}
	} else if vote != prevVote {
		nd.rearm = true
	}
	// Granting a vote zeroes raft's clock even when the vote does not
	// change (a repeated request from the candidate already voted for).
	for _, m := range rd.Messages {
		if m.GetType() == pb.MsgVoteResp && !m.GetReject() {
			nd.rearm = true
		}
	}
	if r.err == nil && nd.rearm && nd.state != raft.StateLeader {
		nd.rearm = false
		r.resetElectionTimer(nd)
		r.armLease(nd)
	}
}

func (r *run) becameFollower(nd *node, prevState raft.StateType, prevTerm uint64) {
	reason := eventlog.FollowerRejected
	switch {
	case nd.term > prevTerm:
		reason = eventlog.FollowerHigherTerm
	case prevState == raft.StateLeader:
		reason = eventlog.FollowerCheckQuorum
	case nd.lead != 0:
		reason = eventlog.FollowerNewLeader
	}
	if prevState == raft.StateLeader {
		base := nd.id * slotsPerNode
		r.q.StopTimer(base + slotTick)
		r.q.StopTimer(base + slotHeartbeat)
	}
	r.emit(nd, eventlog.BecameFollower, int(nd.lead)-1, int64(reason), 0)
	if nd.attemptStartUS >= 0 {
		lat := r.nowUS - nd.attemptStartUS
		nd.attemptStartUS = -1
		r.electionDone(nd, policy.SteppedDown, lat)
	}
	nd.rearm = true
}

func (r *run) becameLeader(nd *node) {
	if msg := r.safety.Elected(nd.term, nd.id); msg != "" {
		r.fail("%s", msg)
		return
	}
	if nd.attemptStartUS < 0 {
		r.fail("node %d became leader of term %d without campaigning", nd.id, nd.term)
		return
	}
	r.emit(nd, eventlog.BecameLeader, -1, 0, 0)
	lat := r.nowUS - nd.attemptStartUS
	nd.attemptStartUS = -1
	nd.failures = 0
	nd.rearm = false
	r.electionDone(nd, policy.Won, lat)
	base := nd.id * slotsPerNode
	r.q.StopTimer(base + slotElection)
	r.q.StopTimer(base + slotLease)
	// raft's clock: the first tick one heartbeat interval after the win
	// (its MsgApp with the new leader's no-op entry goes out now).
	r.q.SetTimer(base+slotTick, r.nowUS+r.hbUS)
	interval := r.hbUS
	if nd.Tuner != nil {
		if v := nd.Tuner.BecameLeader(r.nowUS); v > 0 {
			interval = v
		}
	}
	for p := range r.nodes {
		nd.hbIntervalUS[p] = interval
		nd.hbNextUS[p] = r.nowUS + interval
		nd.hbSeq[p] = 0
		nd.rttUS[p] = -1
	}
	if nd.Tuner != nil {
		r.q.SetTimer(base+slotHeartbeat, r.nowUS+interval)
	}
}

// --- leader duties -----------------------------------------------------------

// tick advances a leader's raft clock by one heartbeat interval: raft
// sends its heartbeats and, every E ticks under CheckQuorum, checks that a
// quorum was active (and steps down if not).
func (r *run) tick(nd *node) {
	if !nd.alive || nd.state != raft.StateLeader {
		return
	}
	nd.rn.Tick()
	r.drain(nd)
	if nd.state == raft.StateLeader {
		r.q.SetTimer(nd.id*slotsPerNode+slotTick, r.nowUS+r.hbUS)
	}
}

// heartbeatDue sends a heartbeat-tuning leader's heartbeats that are due,
// each follower on its own interval, built as raft's sendHeartbeat builds
// them (see the package doc).
func (r *run) heartbeatDue(nd *node) {
	if !nd.alive || nd.state != raft.StateLeader {
		return
	}
	r.progTo = nd
	nd.rn.WithProgress(r.progress)
	next := int64(-1)
	for p := range r.nodes {
		if p == nd.id {
			continue
		}
		if nd.hbNextUS[p] <= r.nowUS {
			m := &pb.Message{
				Type: pb.MsgHeartbeat.Enum(), To: new(uint64(p + 1)), From: new(uint64(nd.id + 1)),
				Term: new(nd.term), Commit: new(min(nd.match[p], nd.commit)),
			}
			r.sendHeartbeat(nd, p, m)
			nd.hbNextUS[p] = r.nowUS + max(nd.hbIntervalUS[p], 1)
		}
		if next < 0 || nd.hbNextUS[p] < next {
			next = nd.hbNextUS[p]
		}
	}
	if next >= 0 {
		r.q.SetTimer(nd.id*slotsPerNode+slotHeartbeat, next)
	}
}

// sendHeartbeat sends a MsgHeartbeat with the engine's metadata: sequence
// number, the leader's last RTT to the follower, the policy's piggyback.
func (r *run) sendHeartbeat(nd *node, to int, m *pb.Message) {
	nd.hbSeq[to]++
	val := int64(-1)
	if nd.Tuner != nil {
		val = nd.Tuner.HeartbeatValue(to)
	}
	r.transmit(nd, envelope{m: m, from: nd.id, to: to, typ: eventlog.MsgHeartbeat, sentUS: r.nowUS,
		seq: nd.hbSeq[to], rttUS: nd.rttUS[to], value: val}, eventlog.HeartbeatSent, 0)
}

func (r *run) propose() {
	for i := range r.nodes {
		nd := &r.nodes[i]
		if !nd.alive || nd.state != raft.StateLeader {
			continue
		}
		if nd.paused {
			nd.inbox = append(nd.inbox, -1) // the client's request waits for the pause's end
			continue
		}
		if !r.proposeAt(nd) {
			return
		}
	}
	r.q.Push(r.proposalUS(), evProposal, 0, 0)
}

// proposeAt makes one workload proposal at leader nd; false if the run failed.
func (r *run) proposeAt(nd *node) bool {
	nd.proposed = true
	if err := nd.rn.Propose(r.payload); err != nil {
		// raft drops a proposal only during a leadership transfer,
		// which this engine never starts.
		r.fail("node %d: proposal dropped: %v", nd.id, err)
		return false
	}
	r.drain(nd)
	nd.proposed = false
	return true
}

// --- messages ------------------------------------------------------------------

// sendRaft logs and transmits one message from a Ready.
func (r *run) sendRaft(nd *node, m *pb.Message) {
	to := int(m.GetTo()) - 1
	if to < 0 || to >= len(r.nodes) || to == nd.id {
		r.fail("node %d: raft sent %s to unknown node id %d", nd.id, m.GetType(), m.GetTo())
		return
	}
	switch t := m.GetType(); t {
	case pb.MsgPreVote:
		r.transmit(nd, r.request(nd, to, m, eventlog.MsgPreVote), eventlog.PreVoteSent, 0)
	case pb.MsgVote:
		r.transmit(nd, r.request(nd, to, m, eventlog.MsgVote), eventlog.VoteSent, 0)
	case pb.MsgApp, pb.MsgSnap:
		// AppendEntries with entries (or a snapshot): a heartbeat in the
		// election model's terms; it carries no policy metadata.
		r.transmit(nd, r.request(nd, to, m, eventlog.MsgHeartbeat), eventlog.HeartbeatSent, 0)
	case pb.MsgHeartbeat:
		if nd.Tuner != nil {
			return // the engine sends this leader's heartbeats on the tuned schedule
		}
		r.sendHeartbeat(nd, to, m)
	case pb.MsgPreVoteResp, pb.MsgVoteResp, pb.MsgHeartbeatResp, pb.MsgAppResp:
		r.sendResponse(nd, to, m)
	default:
		r.fail("node %d: raft sent %s, which this engine does not model", nd.id, t)
	}
}

func (r *run) request(nd *node, to int, m *pb.Message, typ eventlog.MsgType) envelope {
	return envelope{m: m, from: nd.id, to: to, typ: typ, sentUS: r.nowUS, rttUS: -1, value: -1}
}

// sendResponse sends raft's answer to the message being stepped. The
// voter's granted/denied row is the sending of its response.
func (r *run) sendResponse(nd *node, to int, m *pb.Message) {
	if r.curNode != nd || r.cur.from != to {
		r.fail("node %d: raft sent %s to node %d while not answering it", nd.id, m.GetType(), to)
		return
	}
	e := envelope{m: m, from: nd.id, to: to, sentUS: r.cur.sentUS, rttUS: -1, value: -1}
	k, v := eventlog.HeartbeatRespSent, int64(0)
	switch m.GetType() {
	case pb.MsgPreVoteResp, pb.MsgVoteResp:
		pre := m.GetType() == pb.MsgPreVoteResp
		e.typ, k = eventlog.MsgVoteResp, eventlog.VoteGranted
		if pre {
			e.typ, k = eventlog.MsgPreVoteResp, eventlog.PreVoteGranted
		}
		if m.GetReject() {
			k, v = eventlog.VoteDenied, int64(r.curDeny)
			if pre {
				k = eventlog.PreVoteDenied
			}
		}
		r.responded = true
	case pb.MsgHeartbeatResp:
		e.typ = eventlog.MsgHeartbeatResp
		if nd.Tuner != nil {
			e.value = nd.Tuner.ReplyValue()
		}
	default: // MsgAppResp
		e.typ = eventlog.MsgHeartbeatResp
	}
	r.transmit(nd, e, k, v)
}

// transmit logs the sending row (kind k with value v; every row about the
// message carries its id) and hands the message to the network.
func (r *run) transmit(from *node, e envelope, k eventlog.Kind, v int64) {
	r.nextID++
	e.id = r.nextID
	e.toIncarn = r.nodes[e.to].incarn
	r.log.Emit(r.nowUS, k, from.id, from.term, e.to, v, -1, e.id)
	delay, fate := r.net.Transmit(from.id, e.to)
	switch fate {
	case sim.Lost:
		r.log.Emit(r.nowUS, eventlog.MsgLost, from.id, from.term, e.to, int64(e.typ), -1, e.id)
		return
	case sim.Cut:
		r.log.Emit(r.nowUS, eventlog.MsgCut, from.id, from.term, e.to, int64(e.typ), -1, e.id)
		return
	}
	var idx int32
	if n := len(r.free); n > 0 {
		idx = r.free[n-1]
		r.free = r.free[:n-1]
		r.msgs[idx] = e
	} else {
		idx = int32(len(r.msgs))
		r.msgs = append(r.msgs, e)
	}
	r.q.Push(r.nowUS+delay, evDeliver, idx, 0)
}

// deliver: envelope idx arrives at its receiver, which handles it now, or
// at the end of its pause.
func (r *run) deliver(idx int32) {
	e := &r.msgs[idx]
	to := &r.nodes[e.to]
	if !to.alive || to.incarn != e.toIncarn {
		r.log.Emit(r.nowUS, eventlog.MsgDead, e.from, r.nodes[e.from].term, e.to, int64(e.typ), -1, e.id)
		r.release(idx)
		return
	}
	if !r.net.Connected(e.from, e.to) {
		r.log.Emit(r.nowUS, eventlog.MsgCut, e.from, r.nodes[e.from].term, e.to, int64(e.typ), -1, e.id)
		r.release(idx)
		return
	}
	if to.paused {
		to.inbox = append(to.inbox, idx) // arrived: it waits, whatever the network does meanwhile
		return
	}
	r.handle(idx)
}

// release returns envelope idx to the pool.
func (r *run) release(idx int32) {
	r.msgs[idx].m = nil
	r.free = append(r.free, idx)
}

// handle: the receiver of envelope idx, up and not paused, handles it.
func (r *run) handle(idx int32) {
	e := r.msgs[idx] // copy: handling it may send, which can grow r.msgs
	r.release(idx)
	to := &r.nodes[e.to]
	m := e.m
	switch m.GetType() {
	case pb.MsgPreVote:
		r.emit(to, eventlog.PreVoteRecv, e.from, 0, e.id)
	case pb.MsgVote:
		r.emit(to, eventlog.VoteRecv, e.from, 0, e.id)
	case pb.MsgHeartbeat, pb.MsgApp, pb.MsgSnap:
		r.emit(to, eventlog.HeartbeatRecv, e.from, r.nowUS-e.sentUS, e.id)
	case pb.MsgPreVoteResp:
		r.emit(to, eventlog.PreVoteRespRecv, e.from, b2i(!m.GetReject()), e.id)
	case pb.MsgVoteResp:
		r.emit(to, eventlog.VoteRespRecv, e.from, b2i(!m.GetReject()), e.id)
	case pb.MsgHeartbeatResp, pb.MsgAppResp:
		r.emit(to, eventlog.HeartbeatRespRecv, e.from, r.nowUS-e.sentUS, e.id)
	}
	r.step(to, &e)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// denyReason is why raft would reject request m at nd, read from the
// state before the step with raft's own rule (raft.go, Step): a stale
// term; else it can vote for the candidate it voted for, or anyone if it
// has neither voted nor a leader in the (possibly new) term, or for a
// pre-vote of a future term; if it could, the candidate's log is behind.
func denyReason(nd *node, m *pb.Message) eventlog.DenyReason {
	t := m.GetTerm()
	if t < nd.term {
		return eventlog.DenyStaleTerm
	}
	pre := m.GetType() == pb.MsgPreVote
	vote, lead := nd.vote, nd.lead
	if t > nd.term && !pre {
		vote, lead = 0, 0 // raft first becomes a follower of the new term
	}
	if vote == m.GetFrom() || (vote == 0 && lead == 0) || (pre && t > nd.term) {
		return eventlog.DenyLogBehind
	}
	return eventlog.DenyAlreadyVoted
}

// step hands a delivered message to raft and handles what follows.
func (r *run) step(nd *node, e *envelope) {
	m := e.m
	t := m.GetType()
	termBefore := nd.term
	r.cur, r.curNode, r.responded = *e, nd, false
	isRequest := t == pb.MsgPreVote || t == pb.MsgVote
	if isRequest {
		r.curDeny = denyReason(nd, m)
	}
	if err := nd.rn.Step(m); err != nil {
		r.fail("node %d: stepping %s from node %d: %v", nd.id, t, e.from, err)
		return
	}
	switch t {
	case pb.MsgHeartbeat, pb.MsgApp, pb.MsgSnap:
		// raft accepts AppendEntries of its term or a higher one (becoming
		// a follower of the sender) and zeroes its election clock.
		if m.GetTerm() >= termBefore {
			r.heardLeader(nd, e)
		}
	case pb.MsgHeartbeatResp:
		r.heartbeatResp(nd, e)
	}
	r.drain(nd)
	r.curNode = nil
	if isRequest && !r.responded && r.err == nil {
		switch {
		case m.GetTerm() > termBefore:
			// raft ignores a higher-term request only in lease.
			if !r.s.Raft.CheckQuorum {
				r.fail("node %d ignored %s of term %d from node %d without CheckQuorum", nd.id, t, m.GetTerm(), e.from)
				return
			}
			k := eventlog.PreVoteDenied
			if t == pb.MsgVote {
				k = eventlog.VoteDenied
			}
			r.emit(nd, k, e.from, int64(eventlog.DenyInLease), 0) // no response is sent
		case t == pb.MsgVote && m.GetTerm() < termBefore:
			// etcd ignores a stale vote request without an answer.
		default:
			r.fail("node %d sent no answer to %s of term %d from node %d (its term %d)", nd.id, t, m.GetTerm(), e.from, termBefore)
		}
	}
}

// heardLeader records an AppendEntries raft accepted: the follower heard
// its leader (the fast model's handleHeartbeat).
func (r *run) heardLeader(nd *node, e *envelope) {
	term := e.m.GetTerm()
	if nd.leaderTerm != term || nd.lastLeaderUS < 0 {
		// A leader of a new term: the run of failed elections is over.
		nd.leaderTerm = term
		nd.failures = 0
	}
	nd.lastLeaderUS = r.nowUS
	nd.rearm = true
	if e.typ != eventlog.MsgHeartbeat || e.m.GetType() != pb.MsgHeartbeat {
		return // only heartbeats feed the policies' heartbeat statistics
	}
	nd.Obs.Heartbeat(r.nowUS, e.sentUS, e.rttUS)
	if nd.HBObs != nil {
		r.hb = policy.Heartbeat{NowUS: r.nowUS, SentUS: e.sentUS, Seq: e.seq,
			LeaderRTTUS: e.rttUS, Value: e.value, Leader: e.from, Term: term}
		nd.HBObs.OnHeartbeat(&r.hb)
	}
}

// heartbeatResp: a leader measures the round trip to the follower and
// hands it, with the follower's piggyback, to a tuning policy.
func (r *run) heartbeatResp(nd *node, e *envelope) {
	if nd.state != raft.StateLeader || e.m.GetTerm() != nd.term {
		return
	}
	rtt := r.nowUS - e.sentUS
	nd.rttUS[e.from] = rtt
	if nd.Tuner == nil {
		return
	}
	if iv := nd.Tuner.FollowerReply(e.from, rtt, e.value); iv > 0 && iv != nd.hbIntervalUS[e.from] {
		// The next heartbeat to this follower follows the new interval
		// from the last one sent.
		last := nd.hbNextUS[e.from] - nd.hbIntervalUS[e.from]
		nd.hbIntervalUS[e.from] = iv
		r.emit(nd, eventlog.HeartbeatInterval, e.from, iv, 0)
		nd.hbNextUS[e.from] = max(r.nowUS, last+iv)
		slot := nd.id*slotsPerNode + slotHeartbeat
		if at := r.q.TimerAt(slot); at < 0 || nd.hbNextUS[e.from] < at {
			r.q.SetTimer(slot, nd.hbNextUS[e.from])
		}
	}
}

// --- sim.Cluster ----------------------------------------------------------------

// Leader implements sim.Cluster: the alive leader of the highest term.
func (r *run) Leader() int {
	best := -1
	for i := range r.nodes {
		nd := &r.nodes[i]
		if nd.alive && nd.state == raft.StateLeader && (best < 0 || nd.term > r.nodes[best].term) {
			best = i
		}
	}
	return best
}

// Alive implements sim.Cluster.
func (r *run) Alive(n int) bool { return r.nodes[n].alive }

// Crash implements sim.Cluster: the RawNode (raft's memory) is discarded;
// the storage, with term, vote and log, survives.
func (r *run) Crash(n int) {
	nd := &r.nodes[n]
	r.emit(nd, eventlog.Crash, -1, 0, 0)
	nd.alive = false
	nd.rn = nil
	nd.state, nd.lead = raft.StateFollower, 0
	nd.attemptStartUS = -1
	nd.campaigned, nd.rearm, nd.proposed = false, false, false
	r.stopTimers(nd)
	if nd.paused {
		// A crash ends the pause: what waited in the inbox is lost with
		// the process, logged as msg_dead now, in arrival order.
		nd.paused = false
		for _, idx := range nd.inbox {
			if idx >= 0 {
				e := &r.msgs[idx]
				r.log.Emit(r.nowUS, eventlog.MsgDead, e.from, r.nodes[e.from].term, e.to, int64(e.typ), -1, e.id)
				r.release(idx)
			}
		}
		nd.inbox = nd.inbox[:0]
	}
}

// Pause implements sim.Cluster.
func (r *run) Pause(n int, untilUS int64) {
	nd := &r.nodes[n]
	nd.paused, nd.pauseEndUS = true, untilUS
	nd.Paused(r.nowUS)
	r.emit(nd, eventlog.PauseStart, -1, untilUS-r.nowUS, 0)
}

// Resume implements sim.Cluster: the node steps its inbox through raft in
// arrival order (a waiting proposal is made if the node still leads), then,
// as later queue items of this instant, its timers that came due during
// the pause and were not re-armed or stopped by the inbox: a leader's tick
// fires once (a ticker's missed ticks do not queue up), then every
// heartbeat interval from the pause's end.
func (r *run) Resume(n int) {
	nd := &r.nodes[n]
	if !nd.paused {
		return // a crash ended the pause
	}
	nd.paused = false
	nd.Resumed(r.nowUS)
	r.emit(nd, eventlog.PauseEnd, -1, 0, 0)
	for _, idx := range nd.inbox {
		if r.err != nil {
			return
		}
		if idx < 0 {
			if nd.state == raft.StateLeader && !r.proposeAt(nd) {
				return
			}
			continue
		}
		r.handle(idx)
	}
	nd.inbox = nd.inbox[:0]
}

// Restart implements sim.Cluster: a new RawNode from the surviving storage.
func (r *run) Restart(n int) {
	nd := &r.nodes[n]
	nd.alive = true
	nd.incarn++
	nd.lastLeaderUS = -1
	nd.Obs.Restarted()
	if rs, ok := nd.Policy.(policy.Restarter); ok {
		rs.Restarted()
	}
	r.startRaft(nd)
	r.emit(nd, eventlog.Restart, -1, 0, 0)
	r.emit(nd, eventlog.BecameFollower, -1, int64(eventlog.FollowerStart), 0)
	r.resetElectionTimer(nd)
	r.armLease(nd)
}

func (r *run) fail(format string, args ...any) {
	if r.err == nil {
		r.err = &sim.RunError{RunID: r.cfg.RunID, Seed: r.cfg.Seed, AtUS: r.nowUS, Msg: fmt.Sprintf(format, args...)}
	}
}

// quiet is raft's logger: it drops every message (raft logs each vote at
// Info level, which would cost more than simulating it) but keeps raft's
// panics, which mark a violated invariant of the library.
type quiet struct{}

func (quiet) Debug(...any)                   {}
func (quiet) Debugf(string, ...any)          {}
func (quiet) Error(...any)                   {}
func (quiet) Errorf(string, ...any)          {}
func (quiet) Info(...any)                    {}
func (quiet) Infof(string, ...any)           {}
func (quiet) Warning(...any)                 {}
func (quiet) Warningf(string, ...any)        {}
func (quiet) Fatal(v ...any)                 { panic(fmt.Sprint(v...)) }
func (quiet) Fatalf(f string, v ...any)      { panic(fmt.Sprintf(f, v...)) }
func (quiet) Panic(v ...any)                 { panic(fmt.Sprint(v...)) }
func (quiet) Panicf(format string, v ...any) { panic(fmt.Sprintf(format, v...)) }
