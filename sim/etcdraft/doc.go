// Package etcdraft is ballast's second election engine: the production
// Raft library go.etcd.io/raft/v3 (v3.7.0), one RawNode per node on a
// MemoryStorage, driven in virtual time by the same queue, network,
// timeline injection, policies and event log as the fast model (package
// sim/fast). Only the protocol implementation differs, so the two engines
// can be compared run for run. docs/engines.md compares them.
//
// # Time: the split clock
//
// etcd/raft measures time in ticks and draws each election deadline itself,
// from crypto/rand, on every reset; no Config field lets a caller supply it.
// A simulator that simply called Tick() on every node would neither use the
// policy's deadline nor be reproducible. The engine therefore splits the
// clock (docs/notes/etcd-raft-engine.md):
//
//   - One tick is one heartbeat interval of the scenario: HeartbeatTick = 1,
//     ElectionTick = E = round(lease_ms / heartbeat_ms) (at least 2), so
//     CheckQuorum's period and the vote lease are E heartbeats, as etcd
//     configures them.
//   - Only leaders are ticked (Tick(), every heartbeat interval from the
//     moment they win): their heartbeats and CheckQuorum are raft's own.
//   - Non-leaders are never ticked, so raft never starts an election by
//     itself and its crypto/rand draw, still made on each reset, is never
//     read. The node's policy timer is the only election deadline: when it
//     fires the engine calls Campaign() (raft's MsgHup, which starts a
//     pre-vote round under PreVote).
//   - The policy timer is re-armed exactly where raft zeroes its election
//     clock: a change of state or term, a vote granted, and a MsgApp,
//     MsgHeartbeat or MsgSnap accepted from the leader of the current term.
//     It is disarmed while the node leads. One lazy queue slot per node.
//   - A non-leader's vote lease (CheckQuorum: it ignores (pre-)vote
//     requests while it trusts its leader, electionElapsed < E) ages by
//     TickQuiesced(), which advances only that counter. With vote_lease
//     fixed (default, etcd's behaviour) the engine calls it E times exactly
//     E heartbeat intervals after raft last zeroed the clock; with own_timer
//     never, so the lease lasts until the node's own timer fires and it
//     campaigns (dropping its leader).
//
// Every draw comes from the run's seeded streams; raft itself iterates its
// maps in sorted order. Runs are byte-identical for a seed.
//
// # Heartbeat co-tuning
//
// Raft broadcasts one heartbeat per tick to every follower. Policies that
// set per-follower heartbeat intervals (policy.HeartbeatTuner: dynatune,
// dynatune_joint) cannot be served by changing the tick: the tick is also
// CheckQuorum's clock, so ticking at a tuned 20 ms interval would shrink
// the CheckQuorum period (and a leader's vote lease) from E x 50 ms to
// E x 20 ms. Dynatune's own implementation keeps CheckQuorum on the untuned
// E. So for these policies the leader is still ticked at the base interval
// (raft's CheckQuorum unchanged), the heartbeats raft generates on its ticks
// are not sent, and the engine sends each follower its heartbeat on that
// follower's tuned schedule, built as raft's sendHeartbeat builds it
// (MsgHeartbeat with commit = min(match, committed)). Followers and the
// leader handle them, and their responses, in raft as usual.
//
// # Rows
//
// The engine writes the fast model's event kinds with the same meanings,
// so every analysis command works on both (docs/schema.md). A MsgApp (and
// a MsgSnap, which never occurs: the log is never compacted) is an
// AppendEntries like a heartbeat and is logged as heartbeat_sent /
// heartbeat_recv; a MsgAppResp as heartbeat_resp_*. Only MsgHeartbeat feeds
// the policies' heartbeat statistics and hooks. A vote request that raft
// ignores in lease gets a *_denied row with reason in_lease and msg_id 0;
// a vote request of a stale term is ignored by etcd without an answer
// (only its vote_recv row).
//
// # Faults
//
// A crash discards the RawNode; its MemoryStorage (term, vote and log,
// persisted from every Ready before its messages were sent) survives, and
// a restart builds a new RawNode from it. Messages to a crashed or
// restarted node are dropped (msg_dead), as in the fast model.
//
// A processing pause (scenario pauses; the rules are in docs/scenarios.md)
// leaves the RawNode untouched: messages that arrive wait in the node's
// inbox, and its timers (the policy's election timer, the vote lease, a
// leader's tick and tuned heartbeats) are re-queued for the pause's end.
// There raft steps the inbox in arrival order, then the timers that are
// still due fire: a leader ticks once, not once per missed interval. A
// crash ends a pause and drops its inbox (msg_dead).
//
// # Workload
//
// With raft.proposal_interval_ms > 0 every alive leader proposes one entry
// of raft.proposal_bytes bytes per interval: real log replication, so
// followers that miss appends fall behind and lose elections by raft's own
// up-to-date check.
package etcdraft
