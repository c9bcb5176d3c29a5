// Package invariant checks an event log against properties every correct
// run has, independently of the engine that produced it:
//
//   - time never goes backwards;
//   - Election Safety: at most one leader per term (Raft paper, Figure 3);
//   - a leader of term t became candidate in t and counted a majority of
//     granted votes for t, from distinct peers, after that;
//   - a node grants its vote in a term to at most one candidate, across
//     crashes (votedFor is persistent state);
//   - a node's term never decreases, across crashes (currentTerm is
//     persistent state);
//   - a node that is down emits nothing until it restarts, so nothing is
//     delivered to it;
//   - a paused node (pause_start to pause_end, or to a crash, which ends
//     the pause) handles no message, fires no timer and sends nothing:
//     only drops of its earlier messages, partition rows, its crash and
//     its pause_end are logged for it; a pause starts only at a node that
//     is up and not paused, and ends exactly its length after it started;
//   - every receipt or drop of a message follows its sending, at the node
//     it was sent to, from the node that sent it, and happens once.
//
// The engines' tests run it over hundreds of seeds and a fuzzer; it is
// deliberately a separate, simple reading of the log, not engine code.
package invariant

import (
	"fmt"

	"github.com/ballast-bench/ballast/eventlog"
)

// Checker is an eventlog.Sink that checks events as they arrive and keeps
// the first violation.
type Checker struct {
	nodes    int
	quorum   int
	lastUS   int64
	err      error
	leaderOf map[uint64]int16
	down     []bool
	paused   []bool
	pauseEnd []int64 // per node: when its current pause must end
	term     []uint64
	votedFor []map[uint64]int16 // per node: term -> candidate
	// candidacy per node: the term it campaigns in and the voters counted.
	candTerm []uint64
	votes    []map[int16]bool
	sent     map[uint64]sent
	done     map[uint64]bool
	n        int64
}

type sent struct {
	atUS     int64
	from, to int16
}

// New returns a Checker for a cluster of nodes.
func New(nodes int) *Checker {
	c := &Checker{
		nodes: nodes, quorum: nodes/2 + 1,
		leaderOf: map[uint64]int16{},
		down:     make([]bool, nodes),
		paused:   make([]bool, nodes),
		pauseEnd: make([]int64, nodes),
		term:     make([]uint64, nodes),
		votedFor: make([]map[uint64]int16, nodes),
		candTerm: make([]uint64, nodes),
		votes:    make([]map[int16]bool, nodes),
		sent:     map[uint64]sent{},
		done:     map[uint64]bool{},
	}
	for i := range c.votedFor {
		c.votedFor[i] = map[uint64]int16{}
		c.votes[i] = map[int16]bool{}
	}
	return c
}

// Err returns the first violation, or nil.
func (c *Checker) Err() error { return c.err }

func (c *Checker) fail(ev *eventlog.Event, format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("event %d (t=%d µs node %d %s term %d peer %d msg %d): %s",
			c.n, ev.TimeUS, ev.Node, ev.Kind, ev.Term, ev.Peer, ev.MsgID, fmt.Sprintf(format, args...))
	}
}

// sendKinds are the rows that send a message.
var sendKinds = map[eventlog.Kind]bool{
	eventlog.PreVoteSent: true, eventlog.VoteSent: true, eventlog.HeartbeatSent: true, eventlog.HeartbeatRespSent: true,
	eventlog.PreVoteGranted: true, eventlog.PreVoteDenied: true, eventlog.VoteGranted: true, eventlog.VoteDenied: true,
}

// recvKinds are the rows that receive one (at ev.Node, from ev.Peer).
var recvKinds = map[eventlog.Kind]bool{
	eventlog.PreVoteRecv: true, eventlog.VoteRecv: true, eventlog.HeartbeatRecv: true, eventlog.HeartbeatRespRecv: true,
	eventlog.PreVoteRespRecv: true, eventlog.VoteRespRecv: true,
}

// dropKinds are the rows of messages that did not arrive (logged at the sender, peer = destination).
var dropKinds = map[eventlog.Kind]bool{eventlog.MsgLost: true, eventlog.MsgCut: true, eventlog.MsgDead: true}

// Emit implements eventlog.Sink.
func (c *Checker) Emit(ev *eventlog.Event) {
	c.n++
	if c.err != nil {
		return
	}
	if ev.TimeUS < c.lastUS {
		c.fail(ev, "time went backwards from %d µs", c.lastUS)
		return
	}
	c.lastUS = ev.TimeUS
	if ev.Node < 0 {
		return // cluster-wide rows
	}
	if int(ev.Node) >= c.nodes {
		c.fail(ev, "node out of range")
		return
	}
	n := int(ev.Node)
	injectedRow := ev.Kind == eventlog.PartitionStart || ev.Kind == eventlog.PartitionEnd
	if c.down[n] && ev.Kind != eventlog.Restart && !dropKinds[ev.Kind] && !injectedRow {
		c.fail(ev, "node %d is down", n)
		return
	}
	if c.paused[n] && ev.Kind != eventlog.Crash && ev.Kind != eventlog.PauseEnd && ev.Kind != eventlog.PauseStart && ev.Kind != eventlog.Sleep && !dropKinds[ev.Kind] && !injectedRow {
		c.fail(ev, "node %d is paused until %d µs: it handles nothing and fires no timer", n, c.pauseEnd[n])
		return
	}
	// Drops of messages a node sent before crashing are logged at the
	// sender and are fine; anything else from a down node is not.
	if dropKinds[ev.Kind] {
		c.message(ev, true)
		return
	}
	// Partition rows are injected per node and carry no term.
	if !injectedRow {
		if ev.Term < c.term[n] {
			c.fail(ev, "term went back from %d", c.term[n])
			return
		}
		c.term[n] = ev.Term
	}
	switch {
	case sendKinds[ev.Kind]:
		if ev.MsgID == 0 {
			if ev.Kind == eventlog.PreVoteDenied || ev.Kind == eventlog.VoteDenied {
				break // an in-lease denial sends nothing
			}
			c.fail(ev, "a send without a message id")
			return
		}
		if _, dup := c.sent[ev.MsgID]; dup {
			c.fail(ev, "message id sent twice")
			return
		}
		c.sent[ev.MsgID] = sent{atUS: ev.TimeUS, from: ev.Node, to: ev.Peer}
	case recvKinds[ev.Kind]:
		c.message(ev, false)
	}
	switch ev.Kind {
	case eventlog.Crash:
		c.down[n] = true
		c.paused[n] = false // a crash ends a pause
	case eventlog.PauseStart, eventlog.Sleep:
		if ev.Value <= 0 {
			c.fail(ev, "a pause of %d µs; allowed: a length > 0", ev.Value)
			return
		}
		if c.paused[n] && ev.TimeUS+ev.Value < c.pauseEnd[n] {
			// A pause_start or sleep of a paused node extends its pause (a
			// sleep that begins during a pause); it never shortens it.
			c.fail(ev, "%s of a paused node ending at %d µs, before its pause's end at %d µs", ev.Kind, ev.TimeUS+ev.Value, c.pauseEnd[n])
			return
		}
		c.paused[n], c.pauseEnd[n] = true, ev.TimeUS+ev.Value
	case eventlog.PauseEnd:
		if !c.paused[n] {
			c.fail(ev, "pause_end of a node that is not paused")
			return
		}
		if ev.TimeUS != c.pauseEnd[n] {
			c.fail(ev, "the pause ends at %d µs, its length after its start", c.pauseEnd[n])
			return
		}
		c.paused[n] = false
	case eventlog.Restart:
		if !c.down[n] {
			c.fail(ev, "restart of a node that is up")
		}
		c.down[n] = false
		c.candTerm[n] = 0
	case eventlog.BecameCandidate:
		c.candTerm[n] = ev.Term
		clear(c.votes[n])
		c.votes[n][ev.Node] = true
	case eventlog.BecameFollower, eventlog.BecamePreCandidate:
		c.candTerm[n] = 0
	case eventlog.VoteRespRecv:
		if ev.Value == 1 && c.candTerm[n] == ev.Term && ev.Term > 0 {
			c.votes[n][ev.Peer] = true
		}
	case eventlog.VoteGranted:
		if prev, ok := c.votedFor[n][ev.Term]; ok && prev != ev.Peer {
			c.fail(ev, "node %d already voted for %d in term %d", n, prev, ev.Term)
			return
		}
		c.votedFor[n][ev.Term] = ev.Peer
	case eventlog.BecameLeader:
		if prev, ok := c.leaderOf[ev.Term]; ok && prev != ev.Node {
			c.fail(ev, "Election Safety: term %d already has leader %d", ev.Term, prev)
			return
		}
		c.leaderOf[ev.Term] = ev.Node
		if c.candTerm[n] != ev.Term {
			c.fail(ev, "became leader of term %d without being its candidate", ev.Term)
			return
		}
		if len(c.votes[n]) < c.quorum {
			c.fail(ev, "became leader with %d votes; a majority is %d", len(c.votes[n]), c.quorum)
			return
		}
		c.candTerm[n] = 0
	}
}

// message checks a receipt (at ev.Node from ev.Peer) or a drop (at the
// sender ev.Node, to ev.Peer) against the message's sending.
func (c *Checker) message(ev *eventlog.Event, drop bool) {
	if c.done[ev.MsgID] {
		c.fail(ev, "message arrived or was dropped twice")
		return
	}
	s, ok := c.sent[ev.MsgID]
	if !ok {
		c.fail(ev, "message was never sent")
		return
	}
	from, to := ev.Peer, ev.Node
	if drop {
		from, to = ev.Node, ev.Peer
	}
	if s.from != from || s.to != to {
		c.fail(ev, "message was sent %d->%d, not %d->%d", s.from, s.to, from, to)
		return
	}
	if s.atUS > ev.TimeUS {
		c.fail(ev, "message arrives before it was sent at %d µs", s.atUS)
		return
	}
	c.done[ev.MsgID] = true
	delete(c.sent, ev.MsgID) // keep memory bounded; done remembers it
}
