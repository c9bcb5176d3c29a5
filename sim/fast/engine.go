package fast

import (
	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim"
)

// Engine is the fast election model.
type Engine struct{}

// Name implements sim.Engine.
func (Engine) Name() string { return "fast" }

// Run implements sim.Engine.
func (Engine) Run(cfg *sim.Config) (sim.Result, error) { return newRun(cfg).Run() }

// The protocol's timer slots per node (the Host's come before them).
const (
	slotCheckQuorum = iota
	slots
)

// msg is the body of a message: what Raft's messages carry that the
// election model uses.
type msg struct {
	term         uint64
	lastLogTerm  uint64 // requests and heartbeats: the sender's log summary
	lastLogIndex uint64
	granted      bool
}

// envelope is a message in flight.
type envelope = sim.Envelope[msg]

type node struct {
	*sim.Node
	votedFor     int
	lead         int
	lastLogTerm  uint64
	lastLogIndex uint64

	// Campaign state: per peer this round 0 none, 1 granted, 2 denied.
	tally   []int8
	granted int
	denied  int

	// Leader state: followers heard from since the last quorum check.
	active []bool
}

type run struct {
	*sim.Host[msg]
	nodes   []node
	quorum  int
	leaseUS int64
}

// newRun prepares a run of the election model on the engine host.
func newRun(cfg *sim.Config) *run {
	s := cfg.Scenario
	n := s.Nodes
	r := &run{quorum: n/2 + 1, leaseUS: s.LeaseUS()}
	r.Host = sim.NewHost[msg](cfg, r, sim.HostOptions{Slots: slots})
	r.nodes = make([]node, n)
	for i := range r.nodes {
		r.nodes[i] = node{Node: &r.Host.Nodes[i], votedFor: -1, lead: -1, tally: make([]int8, n), active: make([]bool, n)}
	}
	return r
}

func (r *run) node(n *sim.Node) *node { return &r.nodes[n.ID] }

// Start implements sim.Protocol: term, vote and log survive a crash (they
// are on stable storage); a node (re)starts as a follower with a fresh
// election timer.
func (r *run) Start(n *sim.Node) { r.ResetElectionTimer(n) }

// Campaign implements sim.Protocol.
func (r *run) Campaign(n *sim.Node) {
	if r.S.Raft.PreVote {
		r.becomePreCandidate(r.node(n))
	} else {
		r.becomeCandidate(r.node(n))
	}
}

// Timer implements sim.Protocol.
func (r *run) Timer(n *sim.Node, k int) {
	switch k {
	case slotCheckQuorum:
		r.checkQuorum(r.node(n))
	}
}

// Crash implements sim.Protocol: the node forgets its leader.
func (r *run) Crash(n *sim.Node) { r.node(n).lead = -1 }

// Propose implements sim.Protocol: the leader appends one entry.
func (r *run) Propose(n *sim.Node) {
	nd := r.node(n)
	nd.lastLogIndex++
	nd.lastLogTerm = nd.Term
	r.Persist(n, false) // the leader writes in parallel with replicating
	r.Emit(nd.Node, eventlog.Proposal, -1, int64(nd.lastLogIndex), 0)
}

// Heartbeat implements sim.Protocol: a heartbeat carries the leader's log
// summary.
func (r *run) Heartbeat(n *sim.Node, _ int, _ bool) msg {
	nd := r.node(n)
	return msg{term: nd.Term, lastLogTerm: nd.lastLogTerm, lastLogIndex: nd.lastLogIndex}
}

func (r *run) emit(nd *node, kind eventlog.Kind, peer int, value int64, msgID uint64) {
	r.Emit(nd.Node, kind, peer, value, msgID)
}

// send sends m from nd to peer to; the sending row is kind k with value v.
func (r *run) send(nd *node, to int, typ eventlog.MsgType, m msg, k eventlog.Kind, v int64) {
	r.Send(nd.Node, &envelope{Body: m, To: to, Type: typ, RTTUS: -1, Value: -1}, k, v)
}

// --- role changes -------------------------------------------------------------

func (r *run) startRound(nd *node) {
	for i := range nd.tally {
		nd.tally[i] = 0
	}
	nd.tally[nd.ID] = 1
	nd.granted, nd.denied = 1, 0
}

func (r *run) becomePreCandidate(nd *node) {
	nd.Role = policy.PreCandidate
	nd.lead = -1
	r.startRound(nd)
	r.emit(nd, eventlog.BecamePreCandidate, -1, 0, 0)
	r.ResetElectionTimer(nd.Node)
	if nd.granted >= r.quorum {
		r.becomeCandidate(nd)
		return
	}
	for p := range r.nodes {
		if p != nd.ID {
			r.send(nd, p, eventlog.MsgPreVote, msg{term: nd.Term + 1, lastLogTerm: nd.lastLogTerm, lastLogIndex: nd.lastLogIndex}, eventlog.PreVoteSent, 0)
		}
	}
}

func (r *run) becomeCandidate(nd *node) {
	nd.Role = policy.Candidate
	nd.Term++
	nd.votedFor = nd.ID
	nd.lead = -1
	r.startRound(nd)
	r.emit(nd, eventlog.BecameCandidate, -1, 0, 0)
	r.ResetElectionTimer(nd.Node)
	if nd.granted >= r.quorum {
		r.becomeLeader(nd)
		return
	}
	// The new term and the self-vote reach the disk before the requests
	// leave.
	r.Persist(nd.Node, true)
	for p := range r.nodes {
		if p != nd.ID {
			r.send(nd, p, eventlog.MsgVote, msg{term: nd.Term, lastLogTerm: nd.lastLogTerm, lastLogIndex: nd.lastLogIndex}, eventlog.VoteSent, 0)
		}
	}
}

func (r *run) becomeLeader(nd *node) {
	nd.Role = policy.Leader
	nd.lead = nd.ID
	if !r.Won(nd.Node) {
		return
	}
	// A new leader appends a no-op entry of its term (dissertation 6.4).
	nd.lastLogIndex++
	nd.lastLogTerm = nd.Term
	r.Persist(nd.Node, false)
	for p := range nd.active {
		nd.active[p] = false
	}
	r.Lead(nd.Node, false)
	if r.S.Raft.CheckQuorum {
		r.SetTimer(nd.Node, slotCheckQuorum, r.LeaseEndUS(nd.Node, r.NowUS, r.leaseUS))
	}
}

func (r *run) becomeFollower(nd *node, term uint64, lead int, reason eventlog.FollowerReason) {
	if term != nd.Term {
		nd.Term = term
		nd.votedFor = -1
		r.Persist(nd.Node, true) // what it answers in the new term waits for the disk
	}
	nd.Role = policy.Follower
	nd.lead = lead
	r.StopTimer(nd.Node, slotCheckQuorum)
	r.SteppedDown(nd.Node, lead, reason)
	if r.ResetsOnStepDown(nd.Node) {
		r.ResetElectionTimer(nd.Node)
	}
}

// --- leader duties -----------------------------------------------------------------

func (r *run) checkQuorum(nd *node) {
	if !nd.Alive || nd.Role != policy.Leader {
		return
	}
	active := 1
	for p := range r.nodes {
		if p != nd.ID && nd.active[p] {
			active++
		}
		nd.active[p] = false
	}
	if active < r.quorum {
		r.becomeFollower(nd, nd.Term, -1, eventlog.FollowerCheckQuorum)
		return
	}
	r.SetTimer(nd.Node, slotCheckQuorum, r.LeaseEndUS(nd.Node, r.NowUS, r.leaseUS))
}

// --- messages ------------------------------------------------------------------

// Handle implements sim.Protocol: requests and heartbeats are logged as
// received, then stepped; responses are logged where they are handled.
func (r *run) Handle(n *sim.Node, e *envelope) {
	nd := r.node(n)
	switch e.Type {
	case eventlog.MsgPreVote, eventlog.MsgVote, eventlog.MsgHeartbeat:
		r.Received(n, e, false)
	}
	r.step(nd, e)
}

// inLease reports whether nd, under CheckQuorum, still trusts its leader
// and so ignores (pre-)vote requests (dissertation 4.2.3).
func (r *run) inLease(nd *node) bool {
	if !r.S.Raft.CheckQuorum {
		return false
	}
	if nd.Role == policy.Leader {
		return true // a leader under CheckQuorum trusts its own lease
	}
	return nd.lead >= 0 && nd.LastLeaderUS >= 0 && r.NowUS < r.LeaseEndUS(nd.Node, nd.LastLeaderUS, r.leaseUS)
}

func logOK(nd *node, m *msg) bool {
	return m.lastLogTerm > nd.lastLogTerm || (m.lastLogTerm == nd.lastLogTerm && m.lastLogIndex >= nd.lastLogIndex)
}

// step handles a delivered message, as etcd/raft's Step does: term
// comparison first, then the per-type handling.
func (r *run) step(nd *node, e *envelope) {
	m := &e.Body
	isRequest := e.Type == eventlog.MsgPreVote || e.Type == eventlog.MsgVote
	switch {
	case m.term > nd.Term:
		if isRequest && r.inLease(nd) {
			k := eventlog.PreVoteDenied
			if e.Type == eventlog.MsgVote {
				k = eventlog.VoteDenied
			}
			r.emit(nd, k, e.From, int64(eventlog.DenyInLease), 0) // no response is sent
			return
		}
		switch {
		case e.Type == eventlog.MsgPreVote:
			// A pre-vote never changes the voter's term.
		case e.Type == eventlog.MsgPreVoteResp && m.granted:
			// A granted pre-vote carries the future term; not a reason to step down.
		case e.Type == eventlog.MsgHeartbeat:
			r.becomeFollower(nd, m.term, e.From, eventlog.FollowerHigherTerm)
		default:
			r.becomeFollower(nd, m.term, -1, eventlog.FollowerHigherTerm)
		}
	case m.term < nd.Term:
		switch e.Type {
		case eventlog.MsgHeartbeat:
			// Tell the stale leader about the newer term so it steps down.
			r.Send(nd.Node, &envelope{Body: msg{term: nd.Term}, To: e.From, Type: eventlog.MsgHeartbeatResp, SentUS: e.SentUS, RTTUS: -1, Value: -1}, eventlog.HeartbeatRespSent, 0)
		case eventlog.MsgPreVote:
			r.send(nd, e.From, eventlog.MsgPreVoteResp, msg{term: nd.Term}, eventlog.PreVoteDenied, int64(eventlog.DenyStaleTerm))
		case eventlog.MsgVote:
			r.send(nd, e.From, eventlog.MsgVoteResp, msg{term: nd.Term}, eventlog.VoteDenied, int64(eventlog.DenyStaleTerm))
		case eventlog.MsgPreVoteResp, eventlog.MsgVoteResp, eventlog.MsgHeartbeatResp:
			r.Received(nd.Node, e, m.granted)
		}
		return
	}

	switch e.Type {
	case eventlog.MsgPreVote, eventlog.MsgVote:
		r.handleVoteRequest(nd, e)
	case eventlog.MsgHeartbeat:
		r.handleHeartbeat(nd, e)
	case eventlog.MsgHeartbeatResp:
		r.handleHeartbeatResp(nd, e)
	case eventlog.MsgPreVoteResp, eventlog.MsgVoteResp:
		r.handleVoteResp(nd, e)
	}
}

func (r *run) handleVoteRequest(nd *node, e *envelope) {
	m := &e.Body
	pre := e.Type == eventlog.MsgPreVote
	// etcd/raft's rule: a node can vote for the candidate it already voted
	// for, or anyone if it has neither voted nor has a leader this term; a
	// pre-vote for a future term is always possible.
	canVote := nd.votedFor == e.From || (nd.votedFor == -1 && nd.lead == -1) || (pre && m.term > nd.Term)
	granted := canVote && logOK(nd, m)
	grantK, denyK, respT := eventlog.VoteGranted, eventlog.VoteDenied, eventlog.MsgVoteResp
	if pre {
		grantK, denyK, respT = eventlog.PreVoteGranted, eventlog.PreVoteDenied, eventlog.MsgPreVoteResp
	}
	if !granted {
		reason := eventlog.DenyAlreadyVoted
		if canVote {
			reason = eventlog.DenyLogBehind
		}
		r.send(nd, e.From, respT, msg{term: nd.Term}, denyK, int64(reason))
		return
	}
	if pre {
		// The response carries the term the pre-candidate will campaign in.
		r.send(nd, e.From, respT, msg{term: m.term, granted: true}, grantK, 0)
		return
	}
	nd.votedFor = e.From
	r.Persist(nd.Node, true) // the vote reaches the disk before the grant leaves
	r.send(nd, e.From, respT, msg{term: nd.Term, granted: true}, grantK, 0)
	r.ResetElectionTimer(nd.Node)
}

func (r *run) handleVoteResp(nd *node, e *envelope) {
	m := &e.Body
	r.Received(nd.Node, e, m.granted)
	pre := e.Type == eventlog.MsgPreVoteResp
	if (pre && nd.Role != policy.PreCandidate) || (!pre && nd.Role != policy.Candidate) {
		return // a late answer to an earlier round
	}
	if pre && m.granted && m.term != nd.Term+1 {
		return
	}
	if nd.tally[e.From] != 0 {
		return // duplicate
	}
	if m.granted {
		nd.tally[e.From] = 1
		nd.granted++
	} else {
		nd.tally[e.From] = 2
		nd.denied++
	}
	switch {
	case nd.granted >= r.quorum && pre:
		r.becomeCandidate(nd)
	case nd.granted >= r.quorum:
		r.becomeLeader(nd)
	case nd.denied >= r.quorum:
		r.becomeFollower(nd, nd.Term, -1, eventlog.FollowerRejected)
	}
}

func (r *run) handleHeartbeat(nd *node, e *envelope) {
	m := &e.Body
	if nd.Role == policy.Leader {
		// Same term, two leaders: Election Safety is broken; the Host
		// reports it when the second one is elected, so this cannot happen.
		r.Fail("node %d leads term %d and received a heartbeat from node %d of the same term", nd.ID, nd.Term, e.From)
		return
	}
	if nd.Role != policy.Follower {
		r.becomeFollower(nd, nd.Term, e.From, eventlog.FollowerNewLeader)
	}
	nd.lead = e.From
	r.HeardLeader(nd.Node, e, m.term, true)
	if m.lastLogTerm != nd.lastLogTerm || m.lastLogIndex != nd.lastLogIndex {
		// New entries: the acknowledgement waits for them to reach the disk.
		nd.lastLogTerm, nd.lastLogIndex = m.lastLogTerm, m.lastLogIndex
		r.Persist(nd.Node, true)
	}
	r.ResetElectionTimer(nd.Node)
	r.Send(nd.Node, &envelope{Body: msg{term: nd.Term}, To: e.From, Type: eventlog.MsgHeartbeatResp, SentUS: e.SentUS, RTTUS: -1, Value: r.ReplyValue(nd.Node)}, eventlog.HeartbeatRespSent, 0)
}

func (r *run) handleHeartbeatResp(nd *node, e *envelope) {
	r.Received(nd.Node, e, false)
	if nd.Role != policy.Leader {
		return
	}
	nd.active[e.From] = true
	r.HeartbeatAck(nd.Node, e)
}
