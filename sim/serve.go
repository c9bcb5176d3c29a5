package sim

import (
	"context"
	"time"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/sim/stream"
)

// Wire carries a live node's messages to its peers (package live, one
// node per process): Send hands e, whose sending row is already logged,
// to the connection toward e.To. The network's
// delays, losses and partitions are applied between the processes (the
// live mode's proxies), so a Host with a Wire draws none.
type Wire[M any] interface {
	Send(e Envelope[M])
}

// Serve runs node n of h's run alone, in wall time, until ctx ends: the
// same timers, policy hooks, election bookkeeping and protocol as in
// virtual time, with the clock read from clock (µs since the run's start,
// shared by every process of the run), messages leaving through w and
// arriving on in. The node starts as after a crash and restart (its
// became_follower (start) row in term, the term its storage holds, then
// the protocol's Start from that storage); incarn is its restart count,
// which makes its message ids unique in the run (node, incarnation,
// sequence; the coordinator renumbers them in time order). Each timer fires
// when clock passes its time, and its row is logged at the time it
// really fired; late, if set, gets when and how late (µs) each was: the
// machine's scheduling noise. With a workload the node proposes every
// raft.proposal_interval_ms of its own clock while it leads. Faults are
// the coordinator's: a crash is
// the process killed, a pause the process stopped, the network the
// proxies between the processes. Serve returns the run's error, or nil
// when ctx ends.
func (h *Host[M]) Serve(ctx context.Context, n int, incarn uint32, term uint64, w Wire[M], clock func() int64, in <-chan Envelope[M], late func(nowUS, lateUS int64)) error {
	h.wire = w
	nd := &h.Nodes[n]
	nd.Incarn, nd.Term = incarn, term
	if incarn > 0 {
		// A restarted process builds its policy afresh, from a stream of
		// its own: the first incarnation's stream would replay its draws,
		// the same timeouts at the same point of every incarnation.
		nd.Seat = NewSeat(h.cfg.Policy(n, stream.New(h.cfg.Seed, stream.Policy, n, int(incarn))), n, h.cfg.PolicyTiming)
	}
	h.nextID = uint64(n)<<48 | uint64(incarn)<<32
	h.NowUS = clock()
	h.Emit(nd, eventlog.BecameFollower, -1, int64(eventlog.FollowerStart), 0)
	h.proto.Start(nd)
	if h.S.Raft.ProposalIntervalMS > 0 {
		// The workload: the node's own proposal clock, from its start.
		h.q.Push(h.proposalUS(), evProposal, 0)
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for h.err == nil {
		now := clock()
		if it, ok := h.q.PopBefore(now + 1); ok {
			h.NowUS = now
			switch it.Kind {
			case TimerKind:
				if late != nil {
					late(now, now-it.AtUS)
				}
				h.fire(int(it.A))
			case evProposal:
				h.propose() // the node proposes while it leads
			default:
				// Deliveries come from in; the timeline and the storage
				// model are refused for live nodes.
				h.Fail("live node %d: a queued item of kind %d, which only virtual time has", n, it.Kind)
			}
			continue
		}
		wait := time.Hour
		if at, ok := h.q.NextUS(); ok {
			wait = time.Duration(at-now) * time.Microsecond
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case e := <-in:
			h.NowUS = clock()
			e.toIncarn = nd.Incarn
			h.deliver(h.pool(&e))
		case <-timer.C:
		}
	}
	return h.err
}
