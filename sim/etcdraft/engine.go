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
)

// Engine runs go.etcd.io/raft/v3 in virtual time (see the package doc).
type Engine struct{}

// Name implements sim.Engine.
func (Engine) Name() string { return "etcd" }

// Run implements sim.Engine.
func (Engine) Run(cfg *sim.Config) (sim.Result, error) {
	r, err := newRun(cfg)
	if err != nil {
		return sim.Result{}, err
	}
	return r.Run()
}

// The protocol's timer slots per node (the Host's election timer and
// heartbeat schedule come before them).
const (
	slotLease = iota // fixed vote lease: when it runs out (CheckQuorum only)
	slotTick         // leader: raft's logical clock, one tick per heartbeat interval
	slots
)

// Raft settings the scenario does not choose; etcd's server defaults.
const (
	maxSizePerMsg   = 1 << 20
	maxInflightMsgs = 512
)

// envelope is one raft message in flight. The message is shared with raft
// and never modified (v3.7 messages share pointer fields with the
// messages they answer).
type envelope = sim.Envelope[*pb.Message]

type node struct {
	*sim.Node
	rn *raft.RawNode // nil while crashed: raft's memory is gone
	st *raft.MemoryStorage

	// raft's state as of the last Ready handled (raft ids: node index + 1;
	// 0 is none); the Node's Role and Term mirror its state and term.
	vote   uint64
	lead   uint64
	commit uint64

	campaigned bool // Campaign() was called: the next Ready reports a new round even if the state looks unchanged
	rearm      bool // raft zeroed its election clock: re-arm the policy timer
	proposed   bool // Propose() was called: log the entry's index

	match []uint64 // scratch for tuned heartbeats' commit index
}

type run struct {
	*sim.Host[*pb.Message]
	nodes   []node
	voters  []uint64
	electE  int  // ElectionTick
	fixed   bool // fixed vote lease, aged by the engine
	payload []byte
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

	// save writes what a Ready must persist before its messages leave (a
	// live node's write-ahead file, fsynced); nil in virtual time, where
	// the MemoryStorage is what survives a crash.
	save func(hs *pb.HardState, ents []*pb.Entry) error
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

// newRun prepares a run: the engine host, storages, the raft settings.
func newRun(cfg *sim.Config) (*run, error) {
	s := cfg.Scenario
	e, err := ElectionTick(s)
	if err != nil {
		return nil, &sim.RunError{RunID: cfg.RunID, Seed: cfg.Seed, Msg: err.Error()}
	}
	n := s.Nodes
	r := &run{
		electE: e,
		fixed:  s.Raft.CheckQuorum && s.VoteLeaseMode() == scenario.VoteLeaseFixed,
	}
	// raft's ticks send a leader's heartbeats; the Host's schedule serves
	// heartbeat-tuning policies only.
	r.Host = sim.NewHost[*pb.Message](cfg, r, sim.HostOptions{Slots: slots, ProtocolHeartbeats: true})
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
		*nd = node{Node: &r.Host.Nodes[i], st: raft.NewMemoryStorage()}
		if nd.Tuner != nil {
			nd.match = make([]uint64, n)
		}
		// Membership is bootstrapped the way etcd recommends: a storage
		// whose snapshot holds the configuration (all nodes voters), at
		// index 0 and term 0, with no log entries, so every node starts
		// identical and in term 0, as in the fast model.
		if err := nd.st.ApplySnapshot(&pb.Snapshot{Metadata: &pb.SnapshotMetadata{
			ConfState: &pb.ConfState{Voters: r.voters}, Index: new(uint64(0)), Term: new(uint64(0)),
		}}); err != nil {
			return nil, &sim.RunError{RunID: cfg.RunID, Seed: cfg.Seed, Msg: "bootstrapping raft storage: " + err.Error()}
		}
	}
	return r, nil
}

func (r *run) node(n *sim.Node) *node { return &r.nodes[n.ID] }

// Start implements sim.Protocol: a RawNode from the node's storage (at the
// start, and after a restart, when term, vote and log come back from it),
// then the policy's election timer and the vote lease.
func (r *run) Start(n *sim.Node) {
	nd := r.node(n)
	hs, _, _ := nd.st.InitialState() // MemoryStorage: never fails
	rn, err := raft.NewRawNode(&raft.Config{
		ID:              uint64(nd.ID + 1),
		ElectionTick:    r.electE,
		HeartbeatTick:   1,
		Storage:         nd.st,
		Applied:         hs.GetCommit(), // no state machine: nothing to re-apply
		MaxSizePerMsg:   maxSizePerMsg,
		MaxInflightMsgs: maxInflightMsgs,
		CheckQuorum:     r.S.Raft.CheckQuorum,
		PreVote:         r.S.Raft.PreVote,
		Logger:          quiet{},
	})
	if err != nil {
		r.Fail("creating raft node %d: %v", nd.ID, err)
		return
	}
	nd.rn = rn
	nd.Role, nd.lead = policy.Follower, 0
	nd.Term, nd.vote, nd.commit = hs.GetTerm(), hs.GetVote(), hs.GetCommit()
	r.ResetElectionTimer(nd.Node)
	r.armLease(nd)
}

func (r *run) emit(nd *node, kind eventlog.Kind, peer int, value int64, msgID uint64) {
	r.Emit(nd.Node, kind, peer, value, msgID)
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

// rearmTimers re-arms the policy timer and the vote lease: raft just
// zeroed the node's election clock.
func (r *run) rearmTimers(nd *node) {
	nd.rearm = false
	r.ResetElectionTimer(nd.Node)
	r.armLease(nd)
}

// armLease restarts the fixed vote lease: raft just zeroed the node's
// election clock, so its lease ends E ticks from now.
func (r *run) armLease(nd *node) {
	if r.fixed {
		r.SetTimer(nd.Node, slotLease, r.TicksLaterUS(nd.Node, r.NowUS, int64(r.electE)))
	}
}

// Timer implements sim.Protocol.
func (r *run) Timer(n *sim.Node, k int) {
	switch k {
	case slotLease:
		r.leaseExpired(r.node(n))
	case slotTick:
		r.tick(r.node(n))
	}
}

// leaseExpired ages raft's election clock past E: the node no longer
// trusts its leader and will answer (pre-)vote requests. TickQuiesced only
// advances the counter; it never starts an election.
func (r *run) leaseExpired(nd *node) {
	if !nd.Alive || nd.Role == policy.Leader {
		return
	}
	for range r.electE {
		nd.rn.TickQuiesced()
	}
}

// Campaign implements sim.Protocol: the policy's timer fired; raft is
// asked to campaign.
func (r *run) Campaign(n *sim.Node) {
	nd := r.node(n)
	nd.campaigned = true
	if err := nd.rn.Campaign(); err != nil {
		r.Fail("node %d: Campaign: %v", nd.ID, err)
		return
	}
	r.drain(nd)
}

// --- the Ready loop -----------------------------------------------------------

// drain handles every Ready of nd: persist, log state changes, send. It
// loops while raft has more, because messages a node sends itself (its own
// vote, its own append acknowledgement) are stepped inside Advance and can
// change its state again.
func (r *run) drain(nd *node) {
	for !r.Failed() && nd.rn.HasReady() {
		rd := nd.rn.Ready()
		// Persist before sending, as the Ready contract requires; this is
		// what survives a crash.
		if !raft.IsEmptyHardState(rd.HardState) {
			_ = nd.st.SetHardState(rd.HardState) // MemoryStorage: never fails
		}
		if len(rd.Entries) > 0 {
			if err := nd.st.Append(rd.Entries); err != nil {
				r.Fail("node %d: appending to storage: %v", nd.ID, err)
				return
			}
			if nd.proposed {
				nd.proposed = false
				r.emit(nd, eventlog.Proposal, -1, int64(rd.Entries[len(rd.Entries)-1].GetIndex()), 0)
			}
		}
		if !raft.IsEmptySnap(rd.Snapshot) {
			r.Fail("node %d: raft handed over a snapshot, which this engine never creates", nd.ID)
			return
		}
		// etcd's rule (raft.MustSync): entries, or a new term or vote,
		// must reach the disk before the Ready's messages leave; a leader
		// sends in parallel with its write (etcd's raft loop).
		sync := len(rd.Entries) > 0 || (!raft.IsEmptyHardState(rd.HardState) &&
			(rd.HardState.GetTerm() != nd.Term || rd.HardState.GetVote() != nd.vote))
		r.observe(nd, &rd)
		if sync {
			r.Persist(nd.Node, nd.Role != policy.Leader)
			if r.save != nil {
				if err := r.save(rd.HardState, rd.Entries); err != nil {
					r.Fail("node %d: saving to its write-ahead file: %v", nd.ID, err)
					return
				}
			}
		}
		for _, m := range rd.Messages {
			r.sendRaft(nd, m)
		}
		nd.rn.Advance(rd)
	}
	if !r.Failed() && nd.rearm && nd.Role != policy.Leader {
		// raft zeroed its clock without handing over a Ready (not seen so
		// far: every such step answers something; kept for safety).
		r.rearmTimers(nd)
	}
}

// observe updates nd's mirror of raft's state from a Ready and logs role
// changes, then re-arms the policy timer if raft zeroed its election
// clock. The re-arm comes before the Ready's messages are sent, as in the
// fast model, because a heartbeat-tuning policy piggybacks a value on the
// response that its Deadline just computed.
func (r *run) observe(nd *node, rd *raft.Ready) {
	term, vote, commit := nd.Term, nd.vote, nd.commit
	if !raft.IsEmptyHardState(rd.HardState) {
		term, vote, commit = rd.HardState.GetTerm(), rd.HardState.GetVote(), rd.HardState.GetCommit()
	}
	state, lead := nd.Role, nd.lead
	if rd.SoftState != nil {
		state, lead = role(rd.SoftState.RaftState), rd.SoftState.Lead
	}
	prevState, prevTerm, prevVote := nd.Role, nd.Term, nd.vote
	campaigned := nd.campaigned
	nd.campaigned = false
	nd.Role, nd.Term, nd.vote, nd.lead, nd.commit = state, term, vote, lead, commit
	if term < prevTerm {
		r.Fail("node %d: raft's term went back from %d to %d", nd.ID, prevTerm, term)
		return
	}
	if state != prevState || term != prevTerm || campaigned {
		switch state {
		case policy.Follower:
			r.becameFollower(nd, prevState, prevTerm)
		case policy.PreCandidate:
			r.emit(nd, eventlog.BecamePreCandidate, -1, 0, 0)
			nd.rearm = true
		case policy.Candidate:
			r.emit(nd, eventlog.BecameCandidate, -1, 0, 0)
			nd.rearm = true
		case policy.Leader:
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
	if !r.Failed() && nd.rearm && nd.Role != policy.Leader {
		r.rearmTimers(nd)
	}
}

func (r *run) becameFollower(nd *node, prevState policy.Role, prevTerm uint64) {
	reason := eventlog.FollowerRejected
	switch {
	case nd.Term > prevTerm:
		reason = eventlog.FollowerHigherTerm
	case prevState == policy.Leader:
		reason = eventlog.FollowerCheckQuorum
	case nd.lead != 0:
		reason = eventlog.FollowerNewLeader
	}
	r.StopTimer(nd.Node, slotTick)
	r.SteppedDown(nd.Node, int(nd.lead)-1, reason)
	// raft zeroed its election clock (the vote lease ages from now); the
	// policy timer is re-armed where the scenario's timer-reset rule says.
	if r.ResetsOnStepDown(nd.Node) {
		nd.rearm = true
	} else {
		r.armLease(nd)
	}
}

func (r *run) becameLeader(nd *node) {
	if !r.Won(nd.Node) {
		return
	}
	nd.rearm = false
	r.StopTimer(nd.Node, slotLease)
	// raft's clock: the first tick one heartbeat interval after the win,
	// or the node's next tick if its policy keeps a ticker (its MsgApp
	// with the new leader's no-op entry goes out now).
	r.SetTimer(nd.Node, slotTick, r.TicksLaterUS(nd.Node, r.NowUS, 1))
	r.Lead(nd.Node, true)
}

// --- leader duties -----------------------------------------------------------

// tick advances a leader's raft clock by one heartbeat interval: raft
// sends its heartbeats and, every E ticks under CheckQuorum, checks that a
// quorum was active (and steps down if not).
func (r *run) tick(nd *node) {
	if !nd.Alive || nd.Role != policy.Leader {
		return
	}
	nd.rn.Tick()
	r.drain(nd)
	if nd.Role == policy.Leader {
		r.SetTimer(nd.Node, slotTick, r.TicksLaterUS(nd.Node, r.NowUS, 1))
	}
}

// Heartbeat implements sim.Protocol for a heartbeat-tuning leader's
// heartbeats, sent on the Host's per-follower schedule: built as raft's
// sendHeartbeat builds them (MsgHeartbeat with commit = min(match,
// committed)), the followers' match indices read once per pass.
func (r *run) Heartbeat(n *sim.Node, p int, first bool) *pb.Message {
	nd := r.node(n)
	if first {
		r.progTo = nd
		nd.rn.WithProgress(r.progress)
	}
	return &pb.Message{
		Type: pb.MsgHeartbeat.Enum(), To: new(uint64(p + 1)), From: new(uint64(nd.ID + 1)),
		Term: new(nd.Term), Commit: new(min(nd.match[p], nd.commit)),
	}
}

// Propose implements sim.Protocol: one workload proposal at leader nd.
func (r *run) Propose(n *sim.Node) {
	nd := r.node(n)
	nd.proposed = true
	if err := nd.rn.Propose(r.payload); err != nil {
		// raft drops a proposal only during a leadership transfer,
		// which this engine never starts.
		r.Fail("node %d: proposal dropped: %v", nd.ID, err)
		return
	}
	r.drain(nd)
	nd.proposed = false
}

// Crash implements sim.Protocol: the RawNode (raft's memory) is
// discarded; the storage, with term, vote and log, survives.
func (r *run) Crash(n *sim.Node) {
	nd := r.node(n)
	nd.rn = nil
	nd.lead = 0
	nd.campaigned, nd.rearm, nd.proposed = false, false, false
}

// --- messages ------------------------------------------------------------------

// sendRaft logs and transmits one message from a Ready.
func (r *run) sendRaft(nd *node, m *pb.Message) {
	to := int(m.GetTo()) - 1
	if to < 0 || to >= len(r.nodes) || to == nd.ID {
		r.Fail("node %d: raft sent %s to unknown node id %d", nd.ID, m.GetType(), m.GetTo())
		return
	}
	switch t := m.GetType(); t {
	case pb.MsgPreVote:
		r.request(nd, to, m, eventlog.MsgPreVote, eventlog.PreVoteSent)
	case pb.MsgVote:
		r.request(nd, to, m, eventlog.MsgVote, eventlog.VoteSent)
	case pb.MsgApp, pb.MsgSnap:
		// AppendEntries with entries (or a snapshot): a heartbeat in the
		// election model's terms; it carries no policy metadata, and the
		// network may route it apart from heartbeats (class append).
		r.Send(nd.Node, &envelope{Body: m, To: to, Type: eventlog.MsgHeartbeat, SentUS: r.NowUS, RTTUS: -1, Value: -1, Append: true}, eventlog.HeartbeatSent, 0)
	case pb.MsgHeartbeat:
		if nd.Tuner != nil {
			return // the Host sends this leader's heartbeats on the tuned schedule
		}
		r.SendHeartbeat(nd.Node, to, m)
	case pb.MsgPreVoteResp, pb.MsgVoteResp, pb.MsgHeartbeatResp, pb.MsgAppResp:
		r.sendResponse(nd, to, m)
	default:
		r.Fail("node %d: raft sent %s, which this engine does not model", nd.ID, t)
	}
}

func (r *run) request(nd *node, to int, m *pb.Message, typ eventlog.MsgType, k eventlog.Kind) {
	r.Send(nd.Node, &envelope{Body: m, To: to, Type: typ, SentUS: r.NowUS, RTTUS: -1, Value: -1}, k, 0)
}

// sendResponse sends raft's answer to the message being stepped. The
// voter's granted/denied row is the sending of its response.
func (r *run) sendResponse(nd *node, to int, m *pb.Message) {
	if r.curNode != nd || r.cur.From != to {
		r.Fail("node %d: raft sent %s to node %d while not answering it", nd.ID, m.GetType(), to)
		return
	}
	e := envelope{Body: m, To: to, SentUS: r.cur.SentUS, RTTUS: -1, Value: -1}
	k, v := eventlog.HeartbeatRespSent, int64(0)
	switch m.GetType() {
	case pb.MsgPreVoteResp, pb.MsgVoteResp:
		pre := m.GetType() == pb.MsgPreVoteResp
		e.Type, k = eventlog.MsgVoteResp, eventlog.VoteGranted
		if pre {
			e.Type, k = eventlog.MsgPreVoteResp, eventlog.PreVoteGranted
		}
		if m.GetReject() {
			k, v = eventlog.VoteDenied, int64(r.curDeny)
			if pre {
				k = eventlog.PreVoteDenied
			}
		}
		r.responded = true
	case pb.MsgHeartbeatResp:
		e.Type = eventlog.MsgHeartbeatResp
		e.Value = r.ReplyValue(nd.Node)
	default: // MsgAppResp
		e.Type, e.Append = eventlog.MsgHeartbeatResp, true
	}
	r.Send(nd.Node, &e, k, v)
}

// Handle implements sim.Protocol: the receipt row, then raft steps it.
func (r *run) Handle(n *sim.Node, e *envelope) {
	r.Received(n, e, !e.Body.GetReject())
	r.step(r.node(n), e)
}

// denyReason is why raft would reject request m at nd, read from the
// state before the step with raft's own rule (raft.go, Step): a stale
// term; else it can vote for the candidate it voted for, or anyone if it
// has neither voted nor a leader in the (possibly new) term, or for a
// pre-vote of a future term; if it could, the candidate's log is behind.
func denyReason(nd *node, m *pb.Message) eventlog.DenyReason {
	t := m.GetTerm()
	if t < nd.Term {
		return eventlog.DenyStaleTerm
	}
	pre := m.GetType() == pb.MsgPreVote
	vote, lead := nd.vote, nd.lead
	if t > nd.Term && !pre {
		vote, lead = 0, 0 // raft first becomes a follower of the new term
	}
	if vote == m.GetFrom() || (vote == 0 && lead == 0) || (pre && t > nd.Term) {
		return eventlog.DenyLogBehind
	}
	return eventlog.DenyAlreadyVoted
}

// step hands a delivered message to raft and handles what follows.
func (r *run) step(nd *node, e *envelope) {
	m := e.Body
	t := m.GetType()
	termBefore := nd.Term
	r.cur, r.curNode, r.responded = *e, nd, false
	isRequest := t == pb.MsgPreVote || t == pb.MsgVote
	if isRequest {
		r.curDeny = denyReason(nd, m)
	}
	if err := nd.rn.Step(m); err != nil {
		r.Fail("node %d: stepping %s from node %d: %v", nd.ID, t, e.From, err)
		return
	}
	switch t {
	case pb.MsgHeartbeat, pb.MsgApp, pb.MsgSnap:
		// raft accepts AppendEntries of its term or a higher one (becoming
		// a follower of the sender) and zeroes its election clock. Only
		// heartbeats feed the policies' heartbeat statistics.
		if m.GetTerm() >= termBefore {
			r.HeardLeader(nd.Node, e, m.GetTerm(), e.Type == eventlog.MsgHeartbeat && t == pb.MsgHeartbeat)
			nd.rearm = true
		}
	case pb.MsgHeartbeatResp:
		// A leader measures the round trip to the follower and hands it,
		// with the follower's piggyback, to a tuning policy.
		if nd.Role == policy.Leader && m.GetTerm() == nd.Term {
			r.HeartbeatAck(nd.Node, e)
		}
	}
	r.drain(nd)
	r.curNode = nil
	if isRequest && !r.responded && !r.Failed() {
		switch {
		case m.GetTerm() > termBefore:
			// raft ignores a higher-term request only in lease.
			if !r.S.Raft.CheckQuorum {
				r.Fail("node %d ignored %s of term %d from node %d without CheckQuorum", nd.ID, t, m.GetTerm(), e.From)
				return
			}
			k := eventlog.PreVoteDenied
			if t == pb.MsgVote {
				k = eventlog.VoteDenied
			}
			r.emit(nd, k, e.From, int64(eventlog.DenyInLease), 0) // no response is sent
		case t == pb.MsgVote && m.GetTerm() < termBefore:
			// etcd ignores a stale vote request without an answer.
		default:
			r.Fail("node %d sent no answer to %s of term %d from node %d (its term %d)", nd.ID, t, m.GetTerm(), e.From, termBefore)
		}
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
