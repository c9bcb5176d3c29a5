package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim/dist"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/stream"
)

// Protocol is one engine's Raft implementation behind the Host: only the
// protocol's rules. Everything around them (the run loop, the message pool,
// the network, inboxes and dead letters, pauses, crashes and restarts,
// election-attempt bookkeeping, the policies' hooks and the per-follower
// heartbeat schedule) is the Host's, so it exists once for every engine.
//
// The protocol keeps each Node's Role and Term current (they are what rows
// are logged with and what the Host's leader lookup reads), and tells the
// Host what happened through its methods: Won, Lead, SteppedDown,
// HeardLeader, HeartbeatAck, ResetElectionTimer, Send, SendHeartbeat.
type Protocol[M any] interface {
	// Start boots n's protocol state, at the run's start and after a
	// restart (from what survives a crash), and arms its timers. The Host
	// has logged n's became_follower (start) row.
	Start(n *Node)
	// Campaign: n's election timer fired while n was not leading. The Host
	// has logged the timeout and ended a running attempt (election_failed).
	Campaign(n *Node)
	// Timer: the protocol's timer slot k of n fired (n is up, not paused).
	Timer(n *Node, k int)
	// Handle: n (up, not paused) handles the message e.
	Handle(n *Node, e *Envelope[M])
	// Crash: n crashed. The Host has logged it, stopped n's timers and set
	// its role to follower; the protocol drops n's volatile state.
	Crash(n *Node)
	// Propose makes one workload proposal at leader n.
	Propose(n *Node)
	// Heartbeat builds the body of a heartbeat from leader n to follower
	// to, sent on the Host's per-follower schedule. first is true for the
	// first heartbeat of a pass over the followers, so a protocol can read
	// its replication state once per pass.
	Heartbeat(n *Node, to int, first bool) M
}

// Queue item kinds besides timers.
const (
	evDeliver  uint8 = iota + 1 // a: message pool index
	evInject                    // a: timeline event index
	evProposal                  // the proposal clock ticks
	evSend                      // a: index into Host.held: a message leaves after its fsync
)

// The Host's timer slots per node; a protocol's slots come after them.
const (
	slotElection  = iota // the policy's election timer
	slotHeartbeat        // leader: the next heartbeat due on the per-follower schedule
	hostSlots
)

// Node is the Host's state of one node: what every engine keeps the same
// way. The protocol keeps Role and Term current.
type Node struct {
	ID     int
	Alive  bool
	Incarn uint32 // restarts so far: messages to an earlier incarnation are dead letters
	Role   policy.Role
	Term   uint64
	// LastLeaderUS is when the node last accepted an AppendEntries from
	// its leader; -1 never since it (re)started.
	LastLeaderUS int64

	// Seat: the policy, its hooks, heartbeat statistics and safety state.
	Seat

	// Election attempts.
	attemptStartUS int64 // -1 when not campaigning
	failures       int   // consecutive timed-out attempts, reset on a leader
	leaderTerm     uint64

	// Leader state, per follower: the heartbeat schedule and the last
	// round trip measured.
	hbIntervalUS []int64
	hb           heartbeats
	hbSeq        []uint64
	rttUS        []int64

	// Processing pause: while paused the node handles nothing. Deliveries
	// wait in inbox (message pool indices in arrival order; -1 is a
	// workload proposal that reached the paused leader) and timers that
	// come due are postponed to pauseEndUS (see Resume).
	paused     bool
	pauseEndUS int64
	inbox      []int32

	// Storage: the start and end of the node's last fsync scheduled, and
	// until when the current protocol call's sends wait for one (0: they
	// leave now).
	syncStartUS, syncEndUS int64
	holdUS                 int64
	wrote                  bool // the current protocol call wrote to the disk
}

// Envelope is one message in flight: the protocol's body M and what the
// Host knows about it.
type Envelope[M any] struct {
	Body     M
	From, To int
	ID       uint64
	SentUS   int64  // requests: when sent; responses: the request's, echoed (RTT)
	Seq      uint64 // heartbeats: per (leadership, follower) sequence number
	RTTUS    int64  // heartbeats: the leader's last RTT to the follower, -1 none
	Value    int64  // heartbeats and their responses: policy piggyback, -1 none
	toIncarn uint32
	Type     eventlog.MsgType
	// Append marks a log replication message (and its answer) that the
	// event format logs as a heartbeat: the etcd engine's MsgApp, which
	// network.transport can route apart from heartbeats.
	Append bool
}

// Class is e's message class for the network's transports.
func (e *Envelope[M]) Class() int {
	switch {
	case e.Append:
		return ClassAppend
	case e.Type == eventlog.MsgHeartbeat || e.Type == eventlog.MsgHeartbeatResp:
		return ClassHeartbeat
	}
	return ClassVote
}

// Host runs one simulation: the discrete-event loop around a Protocol.
type Host[M any] struct {
	cfg   *Config
	S     *scenario.Scenario
	Nodes []Node
	NowUS int64
	// HeartbeatUS is the scenario's base heartbeat interval.
	HeartbeatUS int64
	Log         Log

	proto Protocol[M]
	slots int // timer slots per node
	// protoHeartbeats: the protocol sends a leader's heartbeats itself
	// unless its policy tunes them (the etcd engine: raft's own ticks).
	protoHeartbeats bool

	q      *Queue
	net    *Network
	tl     *scenario.Timeline
	inj    *Injector
	safety Safety
	msgs   []Envelope[M] // the message pool
	free   []int32
	nextID uint64
	err    *RunError
	hb     policy.Heartbeat // scratch, reused for every OnHeartbeat call
	hbDue  []int32          // scratch: the followers a heartbeat firing sends to

	// Timer noise (nodes_timer_jitter): nil without it.
	timerJitter  *dist.Dist
	timerJitterR []*rand.Rand
	// Storage: per node fsync latency and stream; nil without storage.
	fsync  []dist.Dist
	fsyncR []*rand.Rand
	// lose marks the nodes to which sends are lost now (LastEntry).
	lose []bool
	// held are the sends waiting for an fsync, freeHeld their free slots.
	held     []heldSend
	freeHeld []int32
	// wire: a live node's connections (Serve); nil in virtual time.
	wire Wire[M]
}

// heldSend is a message that leaves when its sender's fsync completes:
// its sending row is logged then, with the term it was built in.
type heldSend struct {
	msg    int32 // message pool index
	kind   eventlog.Kind
	value  int64
	term   uint64
	incarn uint32 // the sender's incarnation: a crash meanwhile loses it
}

// HostOptions says how a protocol uses the Host.
type HostOptions struct {
	// Slots is the number of the protocol's own timer slots per node.
	Slots int
	// ProtocolHeartbeats: the protocol sends a leader's heartbeats itself
	// (through SendHeartbeat), and the Host's schedule serves only
	// policies that tune heartbeat intervals.
	ProtocolHeartbeats bool
}

// NewHost prepares a run of cfg on proto: nodes, policies, network and
// timeline. Run (or Boot and Until) simulates it.
func NewHost[M any](cfg *Config, proto Protocol[M], opt HostOptions) *Host[M] {
	s := cfg.Scenario
	n := s.Nodes
	h := &Host[M]{
		cfg: cfg, S: s, proto: proto,
		slots:           hostSlots + opt.Slots,
		protoHeartbeats: opt.ProtocolHeartbeats,
		HeartbeatUS:     s.HeartbeatUS(),
		net:             NewNetwork(s, cfg.Seed),
		tl:              scenario.NewTimeline(s, cfg.Seed),
	}
	h.q = NewQueue(n * h.slots)
	h.Log.Sink = cfg.Sink
	h.inj = NewInjector(s, h.tl, h.net, &h.Log, cfg.Seed)
	if s.NodesTimerJitter != nil {
		d := dist.Compile(s.NodesTimerJitter)
		h.timerJitter = &d
		h.timerJitterR = make([]*rand.Rand, n)
		for i := range h.timerJitterR {
			h.timerJitterR[i] = stream.New(cfg.Seed, stream.TimerJitter, i)
		}
	}
	if s.Storage != nil {
		h.fsync = make([]dist.Dist, n)
		h.fsyncR = make([]*rand.Rand, n)
		for i := range h.fsync {
			h.fsync[i] = dist.Compile(s.FsyncSpec(i))
			h.fsyncR[i] = stream.New(cfg.Seed, stream.Fsync, i)
		}
	}
	h.Nodes = make([]Node, n)
	for i := range h.Nodes {
		nd := &h.Nodes[i]
		*nd = Node{
			ID: i, Alive: true, attemptStartUS: -1, LastLeaderUS: -1,
			hbIntervalUS: make([]int64, n),
			hb:           newHeartbeats(n),
			hbSeq:        make([]uint64, n),
			rttUS:        make([]int64, n),
		}
		nd.Seat = NewSeat(cfg.Policy(i, stream.New(cfg.Seed, stream.Policy, i)), i, cfg.PolicyTiming)
	}
	return h
}

// Run simulates the whole scenario.
func (h *Host[M]) Run() (Result, error) {
	h.Boot()
	return h.Until(h.S.DurationUS())
}

// Boot queues the timeline and the workload and starts every node: its
// became_follower (start) row, then the protocol's Start.
func (h *Host[M]) Boot() {
	for i, ev := range h.tl.Events {
		h.q.Push(ev.AtUS, evInject, int32(i))
	}
	if h.S.Raft.ProposalIntervalMS > 0 {
		h.q.Push(h.proposalUS(), evProposal, 0)
	}
	for i := range h.Nodes {
		nd := &h.Nodes[i]
		h.Emit(nd, eventlog.BecameFollower, -1, int64(eventlog.FollowerStart), 0)
		h.proto.Start(nd)
	}
}

// Until runs the queued events before endUS (the scenario's end for a
// whole run; earlier for a test that steps the run). The Result's EndUS is
// endUS, or the failure's time.
func (h *Host[M]) Until(endUS int64) (Result, error) {
	maxEvents := h.cfg.maxEvents()
	var done <-chan struct{}
	if h.cfg.Context != nil {
		done = h.cfg.Context.Done()
	}
	for n := 0; h.err == nil; n++ {
		if n&4095 == 0 {
			// Bounded work: a cancelled run stops within a few thousand
			// events, and a run far beyond its estimate stops at the guard.
			select {
			case <-done:
				h.Fail("cancelled: %v", context.Cause(h.cfg.Context))
				h.err.Cause = h.cfg.Context.Err()
				continue
			default:
			}
			if h.Log.Count > maxEvents {
				h.Fail("more than %d events (the scenario's estimate is %d): a policy or scenario far more costly than estimated; allowed: fewer events, or raise the limit with --max-events",
					maxEvents, h.S.Estimate().Events)
				continue
			}
		}
		it, ok := h.q.PopBefore(endUS)
		if !ok {
			break
		}
		h.NowUS = it.AtUS
		switch it.Kind {
		case TimerKind:
			h.fire(int(it.A))
		case evDeliver:
			h.deliver(it.A)
		case evInject:
			h.inj.Apply(h.NowUS, h.tl.Events[it.A], h)
		case evProposal:
			h.propose()
		case evSend:
			h.sendHeld(it.A)
		}
	}
	if h.err != nil {
		return Result{Events: h.Log.Count, EndUS: h.NowUS}, h.err
	}
	return Result{Events: h.Log.Count, EndUS: endUS}, nil
}

// fire: timer slot fired now.
func (h *Host[M]) fire(slot int) {
	nd := &h.Nodes[slot/h.slots]
	if nd.paused {
		// It fires when the pause ends, after the inbox: the item
		// queued now comes after the pause's end event, and
		// handling the inbox may re-arm or stop it first.
		h.q.SetTimer(slot, nd.pauseEndUS)
		return
	}
	if end := h.syncBusyUntil(nd); end > 0 {
		// The loop that fires the node's timers waits for its
		// disk (etcd's raft loop saves before the next tick): it
		// fires when the running fsync ends.
		h.q.SetTimer(slot, end)
		return
	}
	switch k := slot % h.slots; k {
	case slotElection:
		h.electionTimeout(nd)
	case slotHeartbeat:
		h.heartbeatDue(nd)
	default:
		h.proto.Timer(nd, k-hostSlots)
	}
	endCall(nd)
}

// Step hands e to its receiver now, as if it had just arrived over the
// network (a test drives one node through one Raft rule with it). It
// returns the run's error, if the step failed it.
func (h *Host[M]) Step(e Envelope[M]) error {
	h.nextID++
	e.ID = h.nextID
	e.toIncarn = h.Nodes[e.To].Incarn
	h.deliver(h.pool(&e))
	if h.err != nil {
		return h.err
	}
	return nil
}

// Err is the run's failure, nil while it is healthy.
func (h *Host[M]) Err() error {
	if h.err == nil {
		return nil
	}
	return h.err
}

func (h *Host[M]) proposalUS() int64 {
	return h.NowUS + int64(h.S.Raft.ProposalIntervalMS*1000+0.5)
}

// Emit logs one row of node nd (in its current term) now.
func (h *Host[M]) Emit(nd *Node, kind eventlog.Kind, peer int, value int64, msgID uint64) {
	h.Log.Emit(h.NowUS, kind, nd.ID, nd.Term, peer, value, -1, msgID)
}

// Fail ends the run with an error naming the run, its seed and the time.
func (h *Host[M]) Fail(format string, args ...any) {
	if h.err == nil {
		h.err = &RunError{RunID: h.cfg.RunID, Seed: h.cfg.Seed, AtUS: h.NowUS, Msg: fmt.Sprintf(format, args...)}
	}
}

// Failed reports whether the run has failed.
func (h *Host[M]) Failed() bool { return h.err != nil }

// --- timers -----------------------------------------------------------------

// SetTimer arms the protocol's timer slot k of nd to fire at atUS (late
// by a draw of the scenario's timer noise, if it has any).
func (h *Host[M]) SetTimer(nd *Node, k int, atUS int64) {
	h.setTimer(nd, hostSlots+k, atUS)
}

// setTimer arms nd's timer slot k (of all its slots) for atUS plus the
// timer noise: every timer of a node goes through it, so each fires late
// by its own draw from the node's stream.
func (h *Host[M]) setTimer(nd *Node, k int, atUS int64) {
	if h.timerJitter != nil {
		atUS += h.timerJitter.SampleUS(h.timerJitterR[nd.ID])
	}
	h.q.SetTimer(nd.ID*h.slots+k, atUS)
}

// StopTimer disarms the protocol's timer slot k of nd.
func (h *Host[M]) StopTimer(nd *Node, k int) {
	h.q.StopTimer(nd.ID*h.slots + hostSlots + k)
}

// ResetElectionTimer asks nd's policy for a deadline and arms the election
// timer with it (logging the policy_decision and timer_reset rows).
func (h *Host[M]) ResetElectionTimer(nd *Node) {
	d, ok := nd.Decide(&h.Log, h.NowUS, nd.ID, nd.Role, nd.Term, nd.failures, h.HeartbeatUS, h.net.RegimeID())
	if !ok {
		// Policies are tested never to do this; a zero deadline would spin.
		h.Fail("policy returned a non-positive deadline %d µs at node %d", d, nd.ID)
		return
	}
	h.setTimer(nd, slotElection, h.NowUS+d)
}

// TicksLaterUS is when n ticks of the heartbeat interval will have
// passed after fromUS on nd's clock: fromUS + n intervals, or, if nd's
// policy keeps a ticker (policy.Ticker, etcd's timer), the n-th of its
// ticks after fromUS (so a count started between ticks ends up to one
// tick early, as etcd's does).
func (h *Host[M]) TicksLaterUS(nd *Node, fromUS, n int64) int64 {
	if t, ok := nd.Policy.(policy.Ticker); ok {
		if next, ok := t.NextTickUS(fromUS); ok {
			return next + (n-1)*h.HeartbeatUS
		}
	}
	return fromUS + n*h.HeartbeatUS
}

// LeaseEndUS is when a CheckQuorum lease of leaseUS started at fromUS
// ends on nd's clock: fromUS + leaseUS, or, on a ticker, after E ticks,
// E = leaseUS / heartbeat rounded and at least 2 (raft's ElectionTick).
func (h *Host[M]) LeaseEndUS(nd *Node, fromUS, leaseUS int64) int64 {
	if t, ok := nd.Policy.(policy.Ticker); ok && h.HeartbeatUS > 0 {
		if _, ok := t.NextTickUS(fromUS); ok {
			e := max((leaseUS+h.HeartbeatUS/2)/h.HeartbeatUS, 2)
			return h.TicksLaterUS(nd, fromUS, e)
		}
	}
	return fromUS + leaseUS
}

// ResetsOnStepDown reports whether nd, which just stepped down to
// follower, resets its election timer there: always under etcd's rule
// (raft's reset() on becoming follower), and under the paper's only if
// it has no timer running (it was leading), so that it can time out.
func (h *Host[M]) ResetsOnStepDown(nd *Node) bool {
	return !h.S.PaperTimerReset() || h.q.TimerAt(nd.ID*h.slots+slotElection) < 0
}

func (h *Host[M]) stopTimers(nd *Node) {
	base := nd.ID * h.slots
	for k := range h.slots {
		h.q.StopTimer(base + k)
	}
}

// --- election attempts ----------------------------------------------------------

// electionTimeout: nd's election timer fired. A running attempt failed
// (its timer fired again without a leader); a new one starts.
func (h *Host[M]) electionTimeout(nd *Node) {
	if !nd.Alive || nd.Role == policy.Leader {
		return
	}
	h.Emit(nd, eventlog.Timeout, -1, 0, 0)
	if nd.attemptStartUS >= 0 {
		lat := h.NowUS - nd.attemptStartUS
		h.Emit(nd, eventlog.ElectionFailed, -1, lat, 0)
		nd.failures++
		h.electionDone(nd, policy.TimedOut, lat)
	}
	nd.attemptStartUS = h.NowUS
	h.proto.Campaign(nd)
}

func (h *Host[M]) electionDone(nd *Node, o policy.Outcome, latUS int64) {
	nd.ElectionDone(&h.Log, h.NowUS, nd.ID, nd.Term, o, latUS)
}

// Won records that nd (its Role and Term already the leader's) won the
// election of its term: Election Safety is checked, the became_leader
// row logged, the attempt reported to the policy and the election timer
// stopped. It returns false if the run failed.
func (h *Host[M]) Won(nd *Node) bool {
	if msg := h.safety.Elected(nd.Term, nd.ID); msg != "" {
		h.Fail("%s", msg)
		return false
	}
	if nd.attemptStartUS < 0 {
		h.Fail("node %d became leader of term %d without campaigning", nd.ID, nd.Term)
		return false
	}
	h.Emit(nd, eventlog.BecameLeader, -1, 0, 0)
	lat := h.NowUS - nd.attemptStartUS
	nd.attemptStartUS = -1
	nd.failures = 0
	h.electionDone(nd, policy.Won, lat)
	h.q.StopTimer(nd.ID*h.slots + slotElection)
	return true
}

// SteppedDown records that nd became a follower (its Role and Term
// already updated): its heartbeat schedule stops, the became_follower row
// (lead -1 if unknown) is logged, and a running attempt ends. The protocol
// resets the election timer where its rules say.
func (h *Host[M]) SteppedDown(nd *Node, lead int, reason eventlog.FollowerReason) {
	h.q.StopTimer(nd.ID*h.slots + slotHeartbeat)
	h.Emit(nd, eventlog.BecameFollower, lead, int64(reason), 0)
	if nd.attemptStartUS >= 0 {
		lat := h.NowUS - nd.attemptStartUS
		nd.attemptStartUS = -1
		h.electionDone(nd, policy.SteppedDown, lat)
	}
}

// HeardLeader records that follower nd accepted an AppendEntries of term
// from its leader (e). A leader of a new term ends the run of failed
// attempts. Heartbeats (not appends with entries) feed the policy's
// heartbeat statistics and hook.
func (h *Host[M]) HeardLeader(nd *Node, e *Envelope[M], term uint64, heartbeat bool) {
	if nd.leaderTerm != term || nd.LastLeaderUS < 0 {
		nd.leaderTerm = term
		nd.failures = 0
	}
	nd.LastLeaderUS = h.NowUS
	if !heartbeat {
		return
	}
	nd.Obs.Heartbeat(h.NowUS, e.SentUS, e.RTTUS)
	if nd.HBObs != nil {
		hb := &h.hb // field by field, as Log.Emit
		hb.NowUS, hb.SentUS, hb.Seq, hb.LeaderRTTUS = h.NowUS, e.SentUS, e.Seq, e.RTTUS
		hb.Value, hb.Leader, hb.Term = e.Value, e.From, term
		nd.HBObs.OnHeartbeat(hb)
	}
}

// ReplyValue is what follower nd's policy piggybacks on its response to
// the heartbeat it just handled; -1 for none.
func (h *Host[M]) ReplyValue(nd *Node) int64 {
	if nd.Tuner == nil {
		return -1
	}
	return nd.Tuner.ReplyValue()
}

// --- leader duties -----------------------------------------------------------------

// Lead starts leader nd's per-follower heartbeat schedule at the
// interval its policy asks for (the scenario's by default). The first
// heartbeats go now (delayFirst false), or one interval from now.
func (h *Host[M]) Lead(nd *Node, delayFirst bool) {
	interval := h.HeartbeatUS
	if nd.Tuner != nil {
		if v := nd.Tuner.BecameLeader(h.NowUS); v > 0 {
			interval = v
		}
	}
	first := h.NowUS
	if delayFirst {
		first += interval
	}
	for p := range h.Nodes {
		nd.hbIntervalUS[p] = interval
		nd.hbSeq[p] = 0
		nd.rttUS[p] = -1
	}
	nd.hb.reset(nd.ID, first)
	switch {
	case !delayFirst:
		h.heartbeatDue(nd)
	case !h.protoHeartbeats || nd.Tuner != nil:
		h.setTimer(nd, slotHeartbeat, first)
	}
}

// heartbeatDue sends leader nd's heartbeats that are due, each follower
// on its own interval, in node order, and arms the timer for the next.
func (h *Host[M]) heartbeatDue(nd *Node) {
	if !nd.Alive || nd.Role != policy.Leader {
		return
	}
	// Nothing a send does reads the schedule, so every due follower is
	// moved on first and the heartbeats go in node order after.
	due := nd.hb.popDue(h.NowUS, nd.hbIntervalUS, h.hbDue[:0])
	slices.Sort(due)
	for i, p := range due {
		h.SendHeartbeat(nd, int(p), h.proto.Heartbeat(nd, int(p), i == 0))
	}
	h.hbDue = due
	if next := nd.hb.next(); next >= 0 {
		h.setTimer(nd, slotHeartbeat, next)
	}
}

// SendHeartbeat sends a heartbeat from leader nd to follower to with the
// Host's metadata: sequence number, the leader's last RTT to the follower,
// the policy's piggyback.
func (h *Host[M]) SendHeartbeat(nd *Node, to int, body M) {
	nd.hbSeq[to]++
	val := int64(-1)
	if nd.Tuner != nil {
		val = nd.Tuner.HeartbeatValue(to)
	}
	h.Send(nd, &Envelope[M]{Body: body, To: to, Type: eventlog.MsgHeartbeat, SentUS: h.NowUS,
		Seq: nd.hbSeq[to], RTTUS: nd.rttUS[to], Value: val}, eventlog.HeartbeatSent, 0)
}

// HeartbeatAck: leader nd got follower e.From's response to a heartbeat.
// It records the round trip and hands it, with the follower's piggyback,
// to a heartbeat-tuning policy, whose new interval for that follower takes
// effect from the last heartbeat sent to it.
func (h *Host[M]) HeartbeatAck(nd *Node, e *Envelope[M]) {
	f := e.From
	rtt := h.NowUS - e.SentUS
	nd.rttUS[f] = rtt
	if nd.Tuner == nil {
		return
	}
	if iv := nd.Tuner.FollowerReply(f, rtt, e.Value); iv > 0 && iv != nd.hbIntervalUS[f] {
		// The last heartbeat sent was found with the old interval, so
		// read it first.
		last := nd.hb.nextUS[f] - nd.hbIntervalUS[f]
		nd.hbIntervalUS[f] = iv
		h.Emit(nd, eventlog.HeartbeatInterval, f, iv, 0)
		next := max(h.NowUS, last+iv)
		nd.hb.set(f, next)
		slot := nd.ID*h.slots + slotHeartbeat
		if at := h.q.TimerAt(slot); at < 0 || next < at {
			h.setTimer(nd, slotHeartbeat, next)
		}
	}
}

func (h *Host[M]) propose() {
	for i := range h.Nodes {
		nd := &h.Nodes[i]
		if !nd.Alive || nd.Role != policy.Leader {
			continue
		}
		if nd.paused {
			nd.inbox = append(nd.inbox, -1) // the client's request waits for the pause's end
			continue
		}
		h.proto.Propose(nd)
		endCall(nd)
		if h.err != nil {
			return
		}
	}
	h.q.Push(h.proposalUS(), evProposal, 0)
}

// --- messages ------------------------------------------------------------------

// Send logs the sending row (kind k with value v; every row about the
// message carries its id) and hands e, from nd, to the network (which
// copies it).
//
// While nd's current protocol call waits for an fsync (Persist), the
// message leaves when it completes instead.
func (h *Host[M]) Send(nd *Node, e *Envelope[M], k eventlog.Kind, v int64) {
	e.From = nd.ID
	if nd.holdUS > h.NowUS {
		idx := h.pool(e)
		hs := heldSend{msg: idx, kind: k, value: v, term: nd.Term, incarn: nd.Incarn}
		var slot int32
		if n := len(h.freeHeld); n > 0 {
			slot = h.freeHeld[n-1]
			h.freeHeld = h.freeHeld[:n-1]
			h.held[slot] = hs
		} else {
			h.held = append(h.held, hs)
			slot = int32(len(h.held) - 1)
		}
		h.q.Push(nd.holdUS, evSend, slot)
		return
	}
	h.transmit(e, k, v, nd.Term)
}

// transmit logs the sending row of e (in term) and hands it to the network.
func (h *Host[M]) transmit(e *Envelope[M], k eventlog.Kind, v int64, term uint64) {
	h.nextID++
	e.ID = h.nextID
	nd := &h.Nodes[e.From]
	e.toIncarn = h.Nodes[e.To].Incarn
	h.Log.Emit(h.NowUS, k, nd.ID, term, e.To, v, -1, e.ID)
	if h.wire != nil {
		h.wire.Send(*e) // the proxies between the processes are the network; a copy, so that e stays on its caller's stack
		return
	}
	delay, fate := h.net.Transmit(nd.ID, e.To, e.Class(), h.NowUS)
	if h.lose != nil && h.lose[e.To] {
		fate = Lost
	}
	switch fate {
	case Lost:
		h.Log.Emit(h.NowUS, eventlog.MsgLost, nd.ID, term, e.To, int64(e.Type), -1, e.ID)
		return
	case Cut:
		h.Log.Emit(h.NowUS, eventlog.MsgCut, nd.ID, term, e.To, int64(e.Type), -1, e.ID)
		return
	}
	h.q.Push(h.NowUS+delay, evDeliver, h.pool(e))
}

// Persist writes nd's term, vote and new entries with an fsync. With hold
// the messages nd sends during the rest of its current protocol call wait
// until it completes: Raft persists before sending what depends on it;
// without (a leader's own appends) they leave at once, as etcd's leader
// sends in parallel with its write. All of one protocol call's changes
// are one write (etcd's Ready batches them: a new term and the vote
// granted in it). A node's disk syncs one write at a time, with group
// commit: a write that comes while an fsync runs waits for it and joins
// the one next fsync, which starts when the running one ends and takes a
// draw of its own (as etcd's raft loop batches what arrived during a
// save). So a slow disk delays, but its backlog never grows beyond one
// running and one waiting fsync. While an fsync runs the node's timers
// wait for it (syncBusyUntil). Without storage in the scenario Persist
// does nothing.
func (h *Host[M]) Persist(nd *Node, hold bool) {
	if h.fsync == nil || nd.wrote {
		return
	}
	nd.wrote = true
	switch {
	case h.NowUS >= nd.syncEndUS: // the disk is idle: sync now
		nd.syncStartUS = h.NowUS
		nd.syncEndUS = h.NowUS + h.fsync[nd.ID].SampleUS(h.fsyncR[nd.ID])
	case nd.syncStartUS <= h.NowUS: // one runs: the next starts at its end
		nd.syncStartUS = nd.syncEndUS
		nd.syncEndUS += h.fsync[nd.ID].SampleUS(h.fsyncR[nd.ID])
	} // otherwise the next fsync is already waiting: join it
	if hold {
		nd.holdUS = nd.syncEndUS
	}
}

// syncBusyUntil is when the fsync that nd's disk is running now ends, or
// 0 if none runs. A timer due at the very instant an fsync starts fires
// (the loop handles it before it saves).
func (h *Host[M]) syncBusyUntil(nd *Node) int64 {
	switch {
	case h.fsync == nil:
		return 0
	case nd.syncStartUS > h.NowUS: // one waits, so one runs until it starts
		return nd.syncStartUS
	case nd.syncStartUS < h.NowUS && h.NowUS < nd.syncEndUS:
		return nd.syncEndUS
	}
	return 0
}

// endCall ends a protocol call of nd: its sends no longer wait for a
// write, and its next call writes anew.
func endCall(nd *Node) {
	nd.holdUS, nd.wrote = 0, false
}

// sendHeld: held send i's fsync completed. The message leaves now, unless
// its sender crashed meanwhile (the process died before sending it) or
// moved to a newer term (what it built in the older term is moot for
// itself: it ignores every answer of that term; etcd would still send it,
// and a receiver still in the older term might act on it, which we leave
// out so that each node's rows stay in term order): neither leaves a row. A paused sender sends it when the pause
// ends.
func (h *Host[M]) sendHeld(i int32) {
	hs := h.held[i]
	nd := &h.Nodes[h.msgs[hs.msg].From]
	if !nd.Alive || nd.Incarn != hs.incarn || nd.Term != hs.term {
		h.release(hs.msg)
		h.freeHeld = append(h.freeHeld, i)
		return
	}
	if nd.paused {
		h.q.Push(nd.pauseEndUS, evSend, i)
		return
	}
	h.freeHeld = append(h.freeHeld, i)
	// The pool slot is copied out first: transmit pools it again.
	e := h.msgs[hs.msg]
	h.release(hs.msg)
	h.transmit(&e, hs.kind, hs.value, hs.term)
}

// pool stores e in the message pool and returns its index.
func (h *Host[M]) pool(e *Envelope[M]) int32 {
	if n := len(h.free); n > 0 {
		idx := h.free[n-1]
		h.free = h.free[:n-1]
		h.msgs[idx] = *e
		return idx
	}
	h.msgs = append(h.msgs, *e)
	return int32(len(h.msgs) - 1)
}

// release returns message idx to the pool. The slot keeps its body (which
// may point at a protocol's message) until it is reused: the pool is as
// large as the most messages ever in flight, and zeroing every body would
// cost more than what it could free.
func (h *Host[M]) release(idx int32) {
	h.free = append(h.free, idx)
}

// dead logs message idx as a dead letter and releases it.
func (h *Host[M]) dead(idx int32, k eventlog.Kind) {
	e := &h.msgs[idx]
	h.Log.Emit(h.NowUS, k, e.From, h.Nodes[e.From].Term, e.To, int64(e.Type), -1, e.ID)
	h.release(idx)
}

// deliver: message idx arrives at its receiver, which handles it now, or
// at the end of its pause.
func (h *Host[M]) deliver(idx int32) {
	e := &h.msgs[idx]
	to := &h.Nodes[e.To]
	if !to.Alive || to.Incarn != e.toIncarn {
		h.dead(idx, eventlog.MsgDead)
		return
	}
	if !h.net.Connected(e.From, e.To) {
		h.dead(idx, eventlog.MsgCut)
		return
	}
	if to.paused {
		to.inbox = append(to.inbox, idx) // arrived: it waits, whatever the network does meanwhile
		return
	}
	h.handle(idx)
}

// handle: the receiver of message idx, up and not paused, handles it in
// place in the pool; then the slot is free. Messages the protocol sends
// meanwhile take other slots; if they grow the pool, e still points at
// the message in the old array, which Go keeps alive and nothing changes.
func (h *Host[M]) handle(idx int32) {
	e := &h.msgs[idx]
	nd := &h.Nodes[e.To]
	h.proto.Handle(nd, e)
	endCall(nd)
	h.release(idx)
}

// Received logs nd's receipt row of e: the request or heartbeat received,
// its one-way delay, or a response with its grant or round trip.
func (h *Host[M]) Received(nd *Node, e *Envelope[M], granted bool) {
	var k eventlog.Kind
	v := int64(0)
	switch e.Type {
	case eventlog.MsgPreVote:
		k = eventlog.PreVoteRecv
	case eventlog.MsgVote:
		k = eventlog.VoteRecv
	case eventlog.MsgHeartbeat:
		k, v = eventlog.HeartbeatRecv, h.NowUS-e.SentUS
	case eventlog.MsgPreVoteResp:
		k, v = eventlog.PreVoteRespRecv, b2i(granted)
	case eventlog.MsgVoteResp:
		k, v = eventlog.VoteRespRecv, b2i(granted)
	case eventlog.MsgHeartbeatResp:
		k, v = eventlog.HeartbeatRespRecv, h.NowUS-e.SentUS
	}
	h.Emit(nd, k, e.From, v, e.ID)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// --- faults (Cluster) ----------------------------------------------------------------

// Leader implements Cluster: the alive leader of the highest term.
func (h *Host[M]) Leader() int {
	best := -1
	for i := range h.Nodes {
		nd := &h.Nodes[i]
		if nd.Alive && nd.Role == policy.Leader && (best < 0 || nd.Term > h.Nodes[best].Term) {
			best = i
		}
	}
	return best
}

// Alive implements Cluster.
func (h *Host[M]) Alive(n int) bool { return h.Nodes[n].Alive }

// Crash implements Cluster: the node stops and the protocol drops its
// volatile state. A crash ends a pause: what waited in the inbox is lost
// with the process, logged as msg_dead now, in arrival order.
func (h *Host[M]) Crash(n int) {
	nd := &h.Nodes[n]
	h.Emit(nd, eventlog.Crash, -1, 0, 0)
	nd.Alive = false
	nd.Role = policy.Follower
	nd.attemptStartUS = -1
	h.stopTimers(nd)
	h.proto.Crash(nd)
	if nd.paused {
		nd.paused = false
		for _, idx := range nd.inbox {
			if idx >= 0 {
				h.dead(idx, eventlog.MsgDead)
			}
		}
		nd.inbox = nd.inbox[:0]
	}
}

// Pause implements Cluster.
func (h *Host[M]) Pause(n int, untilUS int64) { h.stall(n, untilUS, eventlog.PauseStart) }

// Sleep implements Cluster: a pause whose row is sleep, so that the
// analysis can tell a node put to sleep from a processing pause.
func (h *Host[M]) Sleep(n int, untilUS int64) { h.stall(n, untilUS, eventlog.Sleep) }

// stall stops node n until untilUS (a pause or a sleep, row kind). A stall
// of a stalled node (a sleep that begins during a pause) extends it into
// one continuous stall: a second row, whose value runs from now to the
// later end, and one pause_end; the load a policy sees is the whole
// stall's.
func (h *Host[M]) stall(n int, untilUS int64, kind eventlog.Kind) {
	nd := &h.Nodes[n]
	if nd.paused {
		untilUS = max(untilUS, nd.pauseEndUS)
	} else {
		nd.Paused(h.NowUS)
	}
	nd.paused, nd.pauseEndUS = true, untilUS
	h.Emit(nd, kind, -1, untilUS-h.NowUS, 0)
}

// LastEntry implements Cluster: leader proposes one entry and replicates
// it now (the etcd engine's raft sends its appends itself; the fast
// model's leader sends a heartbeat, which carries its log, to every
// follower); what goes to a node in lose is lost (msg_lost rows). The
// network's draws for those messages are made as usual, so the other
// messages see the same network.
func (h *Host[M]) LastEntry(leader int, lose []int) {
	nd := &h.Nodes[leader]
	h.lose = make([]bool, len(h.Nodes))
	for _, p := range lose {
		h.lose[p] = true
	}
	h.proto.Propose(nd)
	if !h.protoHeartbeats {
		first := true
		for p := range h.Nodes {
			if p != leader {
				h.SendHeartbeat(nd, p, h.proto.Heartbeat(nd, p, first))
				first = false
			}
		}
	}
	endCall(nd)
	h.lose = nil
}

// Paused implements Cluster.
func (h *Host[M]) Paused(n int) bool { return h.Nodes[n].paused }

// Resume implements Cluster: the node handles its inbox in arrival order
// (a waiting proposal is made if the node still leads), then, as later
// queue items of this instant, its timers that came due during the pause
// and were not re-armed or stopped by the inbox.
func (h *Host[M]) Resume(n int) {
	nd := &h.Nodes[n]
	if !nd.paused {
		return // a crash ended the pause
	}
	nd.paused = false
	nd.Resumed(h.NowUS)
	h.Emit(nd, eventlog.PauseEnd, -1, 0, 0)
	for _, idx := range nd.inbox {
		if h.err != nil {
			return
		}
		if idx < 0 {
			if nd.Role == policy.Leader {
				h.proto.Propose(nd)
				endCall(nd)
			}
			continue
		}
		h.handle(idx)
	}
	nd.inbox = nd.inbox[:0]
}

// Restart implements Cluster: the node comes back as a follower with what
// it persisted; its policy keeps its state (BALLAST paper section 5) but
// forgets the time of its last heartbeat.
func (h *Host[M]) Restart(n int) {
	nd := &h.Nodes[n]
	nd.Alive = true
	nd.Incarn++
	nd.LastLeaderUS = -1
	nd.Obs.Restarted()
	if rs, ok := nd.Policy.(policy.Restarter); ok {
		rs.Restarted()
	}
	h.Emit(nd, eventlog.Restart, -1, 0, 0)
	h.Emit(nd, eventlog.BecameFollower, -1, int64(eventlog.FollowerStart), 0)
	h.proto.Start(nd)
}
