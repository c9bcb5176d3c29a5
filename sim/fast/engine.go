package fast

import (
	"fmt"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/stream"
)

// Engine is the fast election model.
type Engine struct{}

// Name implements sim.Engine.
func (Engine) Name() string { return "fast" }

// Queue item kinds besides timers.
const (
	evDeliver  uint8 = iota + 1 // a: message pool index
	evInject                    // a: timeline event index
	evProposal                  // the proposal clock ticks
)

// Timer slots per node.
const (
	slotElection = iota
	slotHeartbeat
	slotCheckQuorum
	slotsPerNode
)

type msg struct {
	typ          eventlog.MsgType
	from, to     int
	toIncarn     uint32
	term         uint64
	lastLogTerm  uint64 // requests and heartbeats: the sender's log summary
	lastLogIndex uint64
	granted      bool
	sentUS       int64 // heartbeat: the leader's send time; response: echoed
	seq          uint64
	rttUS        int64 // heartbeat: leader's last RTT to the follower, -1 none
	value        int64 // policy piggyback, -1 none
	id           uint64
}

type node struct {
	id           int
	alive        bool
	incarn       uint32
	role         policy.Role
	term         uint64
	votedFor     int
	lead         int
	lastLogTerm  uint64
	lastLogIndex uint64

	// Campaign state.
	attemptStartUS int64  // -1 when not campaigning
	tally          []int8 // per peer this round: 0 none, 1 granted, 2 denied
	granted        int
	denied         int
	failures       int   // consecutive timed-out attempts, reset on a leader
	lastLeaderUS   int64 // when it last heard its leader; -1 never since (re)start
	leaderTerm     uint64

	// sim.Seat: the policy, its hooks, heartbeat statistics and safety state.
	sim.Seat

	// Leader state, per follower.
	hbIntervalUS []int64
	hbNextUS     []int64
	hbSeq        []uint64
	rttUS        []int64
	active       []bool

	// Processing pause: while paused the node handles nothing. Deliveries
	// wait in inbox (message pool indices in arrival order; -1 is a
	// workload proposal that reached the paused leader) and timers that
	// come due are postponed to pauseEndUS (see Resume).
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
	msgs    []msg
	free    []int32
	nextID  uint64
	nowUS   int64
	quorum  int
	hbUS    int64
	leaseUS int64
	err     *sim.RunError
	hb      policy.Heartbeat // scratch, reused for every OnHeartbeat call
}

// Run implements sim.Engine.
func (Engine) Run(cfg *sim.Config) (sim.Result, error) {
	s := cfg.Scenario
	n := s.Nodes
	r := &run{
		cfg: cfg, s: s,
		q:       sim.NewQueue(n * slotsPerNode),
		net:     sim.NewNetwork(s, cfg.Seed),
		tl:      scenario.NewTimeline(s, cfg.Seed),
		quorum:  n/2 + 1,
		hbUS:    s.HeartbeatUS(),
		leaseUS: s.LeaseUS(),
	}
	r.log.Sink = cfg.Sink
	r.inj = sim.NewInjector(s, r.tl, r.net, &r.log)
	r.nodes = make([]node, n)
	for i := range r.nodes {
		nd := &r.nodes[i]
		*nd = node{
			id: i, alive: true, votedFor: -1, lead: -1, attemptStartUS: -1, lastLeaderUS: -1,
			tally:        make([]int8, n),
			hbIntervalUS: make([]int64, n),
			hbNextUS:     make([]int64, n),
			hbSeq:        make([]uint64, n),
			rttUS:        make([]int64, n),
			active:       make([]bool, n),
		}
		nd.Seat = sim.NewSeat(cfg.Policy(i, stream.New(cfg.Seed, stream.Policy, i)))
	}
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
			case slotHeartbeat:
				r.heartbeatDue(nd)
			case slotCheckQuorum:
				r.checkQuorum(nd)
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

func (r *run) proposalUS() int64 {
	return r.nowUS + int64(r.s.Raft.ProposalIntervalMS*1000+0.5)
}

func (r *run) emit(nd *node, kind eventlog.Kind, peer int, value int64, msgID uint64) {
	r.log.Emit(r.nowUS, kind, nd.id, nd.term, peer, value, -1, msgID)
}

// --- timers -----------------------------------------------------------------

func (r *run) resetElectionTimer(nd *node) {
	d, ok := nd.Decide(&r.log, r.nowUS, nd.id, nd.role, nd.term, nd.failures, r.hbUS, r.net.RegimeID())
	if !ok {
		// Policies are tested never to do this; a zero deadline would spin.
		r.fail("policy returned a non-positive deadline %d µs at node %d", d, nd.id)
		return
	}
	r.q.SetTimer(nd.id*slotsPerNode+slotElection, r.nowUS+d)
}

func (r *run) stopTimers(nd *node) {
	base := nd.id * slotsPerNode
	r.q.StopTimer(base + slotElection)
	r.q.StopTimer(base + slotHeartbeat)
	r.q.StopTimer(base + slotCheckQuorum)
}

func (r *run) electionTimeout(nd *node) {
	if !nd.alive || nd.role == policy.Leader {
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
	if r.s.Raft.PreVote {
		r.becomePreCandidate(nd)
	} else {
		r.becomeCandidate(nd)
	}
}

func (r *run) electionDone(nd *node, o policy.Outcome, latUS int64) {
	nd.ElectionDone(&r.log, r.nowUS, nd.id, nd.term, o, latUS)
}

// --- role changes -------------------------------------------------------------

func (r *run) startRound(nd *node) {
	for i := range nd.tally {
		nd.tally[i] = 0
	}
	nd.tally[nd.id] = 1
	nd.granted, nd.denied = 1, 0
}

func (r *run) becomePreCandidate(nd *node) {
	nd.role = policy.PreCandidate
	nd.lead = -1
	r.startRound(nd)
	r.emit(nd, eventlog.BecamePreCandidate, -1, 0, 0)
	r.resetElectionTimer(nd)
	if nd.granted >= r.quorum {
		r.becomeCandidate(nd)
		return
	}
	for p := range r.nodes {
		if p != nd.id {
			r.send(nd, p, msg{typ: eventlog.MsgPreVote, term: nd.term + 1, lastLogTerm: nd.lastLogTerm, lastLogIndex: nd.lastLogIndex}, eventlog.PreVoteSent, 0)
		}
	}
}

func (r *run) becomeCandidate(nd *node) {
	nd.role = policy.Candidate
	nd.term++
	nd.votedFor = nd.id
	nd.lead = -1
	r.startRound(nd)
	r.emit(nd, eventlog.BecameCandidate, -1, 0, 0)
	r.resetElectionTimer(nd)
	if nd.granted >= r.quorum {
		r.becomeLeader(nd)
		return
	}
	for p := range r.nodes {
		if p != nd.id {
			r.send(nd, p, msg{typ: eventlog.MsgVote, term: nd.term, lastLogTerm: nd.lastLogTerm, lastLogIndex: nd.lastLogIndex}, eventlog.VoteSent, 0)
		}
	}
}

func (r *run) becomeLeader(nd *node) {
	nd.role = policy.Leader
	nd.lead = nd.id
	if msg := r.safety.Elected(nd.term, nd.id); msg != "" {
		r.fail("%s", msg)
		return
	}
	r.emit(nd, eventlog.BecameLeader, -1, 0, 0)
	lat := r.nowUS - nd.attemptStartUS
	nd.attemptStartUS = -1
	nd.failures = 0
	r.electionDone(nd, policy.Won, lat)
	// A new leader appends a no-op entry of its term (dissertation 6.4).
	nd.lastLogIndex++
	nd.lastLogTerm = nd.term
	base := nd.id * slotsPerNode
	r.q.StopTimer(base + slotElection)
	interval := r.hbUS
	if nd.Tuner != nil {
		if v := nd.Tuner.BecameLeader(r.nowUS); v > 0 {
			interval = v
		}
	}
	for p := range r.nodes {
		nd.hbIntervalUS[p] = interval
		nd.hbNextUS[p] = r.nowUS
		nd.hbSeq[p] = 0
		nd.rttUS[p] = -1
		nd.active[p] = false
	}
	r.heartbeatDue(nd)
	if r.s.Raft.CheckQuorum {
		r.q.SetTimer(base+slotCheckQuorum, r.nowUS+r.leaseUS)
	}
}

func (r *run) becomeFollower(nd *node, term uint64, lead int, reason eventlog.FollowerReason) {
	wasCampaigning := nd.attemptStartUS >= 0
	if term != nd.term {
		nd.term = term
		nd.votedFor = -1
	}
	nd.role = policy.Follower
	nd.lead = lead
	base := nd.id * slotsPerNode
	r.q.StopTimer(base + slotHeartbeat)
	r.q.StopTimer(base + slotCheckQuorum)
	r.emit(nd, eventlog.BecameFollower, lead, int64(reason), 0)
	if wasCampaigning {
		lat := r.nowUS - nd.attemptStartUS
		nd.attemptStartUS = -1
		r.electionDone(nd, policy.SteppedDown, lat)
	}
	r.resetElectionTimer(nd)
}

// --- leader duties -----------------------------------------------------------------

func (r *run) heartbeatDue(nd *node) {
	if !nd.alive || nd.role != policy.Leader {
		return
	}
	next := int64(-1)
	for p := range r.nodes {
		if p == nd.id {
			continue
		}
		if nd.hbNextUS[p] <= r.nowUS {
			nd.hbSeq[p]++
			val := int64(-1)
			if nd.Tuner != nil {
				val = nd.Tuner.HeartbeatValue(p)
			}
			r.send(nd, p, msg{typ: eventlog.MsgHeartbeat, term: nd.term, lastLogTerm: nd.lastLogTerm, lastLogIndex: nd.lastLogIndex,
				sentUS: r.nowUS, seq: nd.hbSeq[p], rttUS: nd.rttUS[p], value: val}, eventlog.HeartbeatSent, 0)
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

func (r *run) checkQuorum(nd *node) {
	if !nd.alive || nd.role != policy.Leader {
		return
	}
	active := 1
	for p := range r.nodes {
		if p != nd.id && nd.active[p] {
			active++
		}
		nd.active[p] = false
	}
	if active < r.quorum {
		r.becomeFollower(nd, nd.term, -1, eventlog.FollowerCheckQuorum)
		return
	}
	r.q.SetTimer(nd.id*slotsPerNode+slotCheckQuorum, r.nowUS+r.leaseUS)
}

func (r *run) propose() {
	for i := range r.nodes {
		nd := &r.nodes[i]
		if nd.alive && nd.role == policy.Leader {
			if nd.paused {
				nd.inbox = append(nd.inbox, -1) // the client's request waits for the pause's end
				continue
			}
			r.appendEntry(nd)
		}
	}
	r.q.Push(r.proposalUS(), evProposal, 0, 0)
}

// appendEntry makes one workload proposal at leader nd.
func (r *run) appendEntry(nd *node) {
	nd.lastLogIndex++
	nd.lastLogTerm = nd.term
	r.emit(nd, eventlog.Proposal, -1, int64(nd.lastLogIndex), 0)
}

// --- messages ------------------------------------------------------------------

// send logs the sending row (kind k with value v; every row about the
// message carries its id) and hands m to the network.
func (r *run) send(from *node, to int, m msg, k eventlog.Kind, v int64) {
	r.nextID++
	m.id = r.nextID
	m.from, m.to = from.id, to
	m.toIncarn = r.nodes[to].incarn
	r.log.Emit(r.nowUS, k, from.id, from.term, to, v, -1, m.id)
	delay, fate := r.net.Transmit(from.id, to)
	switch fate {
	case sim.Lost:
		r.log.Emit(r.nowUS, eventlog.MsgLost, from.id, from.term, to, int64(m.typ), -1, m.id)
		return
	case sim.Cut:
		r.log.Emit(r.nowUS, eventlog.MsgCut, from.id, from.term, to, int64(m.typ), -1, m.id)
		return
	}
	var idx int32
	if n := len(r.free); n > 0 {
		idx = r.free[n-1]
		r.free = r.free[:n-1]
		r.msgs[idx] = m
	} else {
		idx = int32(len(r.msgs))
		r.msgs = append(r.msgs, m)
	}
	r.q.Push(r.nowUS+delay, evDeliver, idx, 0)
}

// deliver: message idx arrives at its receiver, which handles it now, or
// at the end of its pause.
func (r *run) deliver(idx int32) {
	m := &r.msgs[idx]
	to := &r.nodes[m.to]
	if !to.alive || to.incarn != m.toIncarn {
		r.free = append(r.free, idx)
		r.log.Emit(r.nowUS, eventlog.MsgDead, m.from, r.nodes[m.from].term, m.to, int64(m.typ), -1, m.id)
		return
	}
	if !r.net.Connected(m.from, m.to) {
		r.free = append(r.free, idx)
		r.log.Emit(r.nowUS, eventlog.MsgCut, m.from, r.nodes[m.from].term, m.to, int64(m.typ), -1, m.id)
		return
	}
	if to.paused {
		to.inbox = append(to.inbox, idx) // arrived: it waits, whatever the network does meanwhile
		return
	}
	r.handle(idx)
}

// handle: the receiver of message idx, up and not paused, handles it.
func (r *run) handle(idx int32) {
	m := r.msgs[idx] // copy: handlers may send, which can grow r.msgs
	r.free = append(r.free, idx)
	to := &r.nodes[m.to]
	switch m.typ {
	case eventlog.MsgPreVote:
		r.emit(to, eventlog.PreVoteRecv, m.from, 0, m.id)
	case eventlog.MsgVote:
		r.emit(to, eventlog.VoteRecv, m.from, 0, m.id)
	case eventlog.MsgHeartbeat:
		r.emit(to, eventlog.HeartbeatRecv, m.from, r.nowUS-m.sentUS, m.id)
	}
	r.step(to, &m)
}

// inLease reports whether nd, under CheckQuorum, still trusts its leader
// and so ignores (pre-)vote requests (dissertation 4.2.3).
func (r *run) inLease(nd *node) bool {
	if !r.s.Raft.CheckQuorum {
		return false
	}
	if nd.role == policy.Leader {
		return true // a leader under CheckQuorum trusts its own lease
	}
	return nd.lead >= 0 && nd.lastLeaderUS >= 0 && r.nowUS-nd.lastLeaderUS < r.leaseUS
}

func logOK(nd *node, m *msg) bool {
	return m.lastLogTerm > nd.lastLogTerm || (m.lastLogTerm == nd.lastLogTerm && m.lastLogIndex >= nd.lastLogIndex)
}

// step handles a delivered message, as etcd/raft's Step does: term
// comparison first, then the per-type handling.
func (r *run) step(nd *node, m *msg) {
	isRequest := m.typ == eventlog.MsgPreVote || m.typ == eventlog.MsgVote
	switch {
	case m.term > nd.term:
		if isRequest && r.inLease(nd) {
			k := eventlog.PreVoteDenied
			if m.typ == eventlog.MsgVote {
				k = eventlog.VoteDenied
			}
			r.emit(nd, k, m.from, int64(eventlog.DenyInLease), 0) // no response is sent
			return
		}
		switch {
		case m.typ == eventlog.MsgPreVote:
			// A pre-vote never changes the voter's term.
		case m.typ == eventlog.MsgPreVoteResp && m.granted:
			// A granted pre-vote carries the future term; not a reason to step down.
		case m.typ == eventlog.MsgHeartbeat:
			r.becomeFollower(nd, m.term, m.from, eventlog.FollowerHigherTerm)
		default:
			r.becomeFollower(nd, m.term, -1, eventlog.FollowerHigherTerm)
		}
	case m.term < nd.term:
		switch m.typ {
		case eventlog.MsgHeartbeat:
			// Tell the stale leader about the newer term so it steps down.
			r.send(nd, m.from, msg{typ: eventlog.MsgHeartbeatResp, term: nd.term, sentUS: m.sentUS, value: -1}, eventlog.HeartbeatRespSent, 0)
		case eventlog.MsgPreVote:
			r.send(nd, m.from, msg{typ: eventlog.MsgPreVoteResp, term: nd.term}, eventlog.PreVoteDenied, int64(eventlog.DenyStaleTerm))
		case eventlog.MsgVote:
			r.send(nd, m.from, msg{typ: eventlog.MsgVoteResp, term: nd.term}, eventlog.VoteDenied, int64(eventlog.DenyStaleTerm))
		case eventlog.MsgPreVoteResp, eventlog.MsgVoteResp:
			r.emit(nd, respKind(m.typ), m.from, b2i(m.granted), m.id)
		case eventlog.MsgHeartbeatResp:
			r.emit(nd, eventlog.HeartbeatRespRecv, m.from, r.nowUS-m.sentUS, m.id)
		}
		return
	}

	switch m.typ {
	case eventlog.MsgPreVote, eventlog.MsgVote:
		r.handleVoteRequest(nd, m)
	case eventlog.MsgHeartbeat:
		r.handleHeartbeat(nd, m)
	case eventlog.MsgHeartbeatResp:
		r.handleHeartbeatResp(nd, m)
	case eventlog.MsgPreVoteResp, eventlog.MsgVoteResp:
		r.handleVoteResp(nd, m)
	}
}

func respKind(t eventlog.MsgType) eventlog.Kind {
	if t == eventlog.MsgPreVoteResp {
		return eventlog.PreVoteRespRecv
	}
	return eventlog.VoteRespRecv
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (r *run) handleVoteRequest(nd *node, m *msg) {
	pre := m.typ == eventlog.MsgPreVote
	// etcd/raft's rule: a node can vote for the candidate it already voted
	// for, or anyone if it has neither voted nor has a leader this term; a
	// pre-vote for a future term is always possible.
	canVote := nd.votedFor == m.from || (nd.votedFor == -1 && nd.lead == -1) || (pre && m.term > nd.term)
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
		r.send(nd, m.from, msg{typ: respT, term: nd.term}, denyK, int64(reason))
		return
	}
	if pre {
		// The response carries the term the pre-candidate will campaign in.
		r.send(nd, m.from, msg{typ: respT, term: m.term, granted: true}, grantK, 0)
		return
	}
	nd.votedFor = m.from
	r.send(nd, m.from, msg{typ: respT, term: nd.term, granted: true}, grantK, 0)
	r.resetElectionTimer(nd)
}

func (r *run) handleVoteResp(nd *node, m *msg) {
	r.emit(nd, respKind(m.typ), m.from, b2i(m.granted), m.id)
	pre := m.typ == eventlog.MsgPreVoteResp
	if (pre && nd.role != policy.PreCandidate) || (!pre && nd.role != policy.Candidate) {
		return // a late answer to an earlier round
	}
	if pre && m.granted && m.term != nd.term+1 {
		return
	}
	if nd.tally[m.from] != 0 {
		return // duplicate
	}
	if m.granted {
		nd.tally[m.from] = 1
		nd.granted++
	} else {
		nd.tally[m.from] = 2
		nd.denied++
	}
	switch {
	case nd.granted >= r.quorum && pre:
		r.becomeCandidate(nd)
	case nd.granted >= r.quorum:
		r.becomeLeader(nd)
	case nd.denied >= r.quorum:
		r.becomeFollower(nd, nd.term, -1, eventlog.FollowerRejected)
	}
}

func (r *run) handleHeartbeat(nd *node, m *msg) {
	if nd.role == policy.Leader {
		// Same term, two leaders: Election Safety is broken; Safety.Elected
		// reports it when the second one is elected, so this cannot happen.
		r.fail("node %d leads term %d and received a heartbeat from node %d of the same term", nd.id, nd.term, m.from)
		return
	}
	if nd.role != policy.Follower {
		r.becomeFollower(nd, nd.term, m.from, eventlog.FollowerNewLeader)
	}
	nd.lead = m.from
	if nd.leaderTerm != m.term || nd.lastLeaderUS < 0 {
		// A leader of a new term: the run of failed elections is over.
		nd.leaderTerm = m.term
		nd.failures = 0
	}
	nd.lastLeaderUS = r.nowUS
	nd.lastLogTerm, nd.lastLogIndex = m.lastLogTerm, m.lastLogIndex
	nd.Obs.Heartbeat(r.nowUS, m.sentUS, m.rttUS)
	if nd.HBObs != nil {
		r.hb = policy.Heartbeat{NowUS: r.nowUS, SentUS: m.sentUS, Seq: m.seq,
			LeaderRTTUS: m.rttUS, Value: m.value, Leader: m.from, Term: m.term}
		nd.HBObs.OnHeartbeat(&r.hb)
	}
	r.resetElectionTimer(nd)
	reply := int64(-1)
	if nd.Tuner != nil {
		reply = nd.Tuner.ReplyValue()
	}
	r.send(nd, m.from, msg{typ: eventlog.MsgHeartbeatResp, term: nd.term, sentUS: m.sentUS, value: reply}, eventlog.HeartbeatRespSent, 0)
}

func (r *run) handleHeartbeatResp(nd *node, m *msg) {
	rtt := r.nowUS - m.sentUS
	r.emit(nd, eventlog.HeartbeatRespRecv, m.from, rtt, m.id)
	if nd.role != policy.Leader {
		return
	}
	nd.active[m.from] = true
	nd.rttUS[m.from] = rtt
	if nd.Tuner == nil {
		return
	}
	if iv := nd.Tuner.FollowerReply(m.from, rtt, m.value); iv > 0 && iv != nd.hbIntervalUS[m.from] {
		// The next heartbeat to this follower follows the new interval from
		// the last one sent (found with the old interval, so read it first).
		last := nd.hbNextUS[m.from] - nd.hbIntervalUS[m.from]
		nd.hbIntervalUS[m.from] = iv
		r.emit(nd, eventlog.HeartbeatInterval, m.from, iv, 0)
		nd.hbNextUS[m.from] = max(r.nowUS, last+iv)
		if at := r.q.TimerAt(nd.id*slotsPerNode + slotHeartbeat); at < 0 || nd.hbNextUS[m.from] < at {
			r.q.SetTimer(nd.id*slotsPerNode+slotHeartbeat, nd.hbNextUS[m.from])
		}
	}
}

// --- sim.Cluster ----------------------------------------------------------------

// Leader implements sim.Cluster: the alive leader of the highest term.
func (r *run) Leader() int {
	best := -1
	for i := range r.nodes {
		nd := &r.nodes[i]
		if nd.alive && nd.role == policy.Leader && (best < 0 || nd.term > r.nodes[best].term) {
			best = i
		}
	}
	return best
}

// Alive implements sim.Cluster.
func (r *run) Alive(n int) bool { return r.nodes[n].alive }

// Crash implements sim.Cluster: the node stops; term, vote and log survive
// (they are on stable storage), everything else is lost.
func (r *run) Crash(n int) {
	nd := &r.nodes[n]
	r.emit(nd, eventlog.Crash, -1, 0, 0)
	nd.alive = false
	nd.role = policy.Follower
	nd.lead = -1
	nd.attemptStartUS = -1
	r.stopTimers(nd)
	if nd.paused {
		// A crash ends the pause: what waited in the inbox is lost with
		// the process, logged as msg_dead now, in arrival order.
		nd.paused = false
		for _, idx := range nd.inbox {
			if idx >= 0 {
				m := &r.msgs[idx]
				r.log.Emit(r.nowUS, eventlog.MsgDead, m.from, r.nodes[m.from].term, m.to, int64(m.typ), -1, m.id)
				r.free = append(r.free, idx)
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

// Resume implements sim.Cluster: the node handles its inbox in arrival
// order (a waiting proposal is made if the node still leads), then, as
// later queue items of this instant, its timers that came due during the
// pause and were not re-armed or stopped by the inbox.
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
			if nd.role == policy.Leader {
				r.appendEntry(nd)
			}
			continue
		}
		r.handle(idx)
	}
	nd.inbox = nd.inbox[:0]
}

// Restart implements sim.Cluster.
func (r *run) Restart(n int) {
	nd := &r.nodes[n]
	nd.alive = true
	nd.incarn++
	nd.lastLeaderUS = -1
	nd.Obs.Restarted()
	if rs, ok := nd.Policy.(policy.Restarter); ok {
		rs.Restarted()
	}
	r.emit(nd, eventlog.Restart, -1, 0, 0)
	r.emit(nd, eventlog.BecameFollower, -1, int64(eventlog.FollowerStart), 0)
	r.resetElectionTimer(nd)
}

func (r *run) fail(format string, args ...any) {
	if r.err == nil {
		r.err = &sim.RunError{RunID: r.cfg.RunID, Seed: r.cfg.Seed, AtUS: r.nowUS, Msg: fmt.Sprintf(format, args...)}
	}
}
