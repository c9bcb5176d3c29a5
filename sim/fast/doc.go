// Package fast is ballast's fast election model: Raft leader election at
// message granularity, written for speed and clarity rather than as a full
// Raft. It implements what decides election liveness (Raft paper, section
// 5.2; Ongaro's dissertation, chapter 9):
//
//   - roles follower, pre-candidate, candidate and leader, and terms;
//   - RequestVote with the election restriction on log up-to-dateness
//     (section 5.4.1), logs summarised by (lastTerm, lastIndex);
//   - optional PreVote (dissertation 9.6): a pre-candidate asks whether it
//     could win before incrementing its term;
//   - optional CheckQuorum (dissertation 6.2): a leader steps down when a
//     quorum was not active within the lease, and a follower that heard its
//     leader within the lease ignores (pre-)vote requests;
//   - heartbeats (empty AppendEntries) and their responses; a heartbeat also
//     carries the leader's log summary, which the follower adopts, so nodes
//     cut off while the leader appends fall behind and cannot win;
//   - a new leader appends a no-op entry of its term (dissertation 6.4).
//
// It leaves out what does not change when a leader is elected: entry
// payloads, commit indices, snapshots and membership changes. Messages on a
// link may be reordered (each draws its own delay).
//
// Every election deadline comes from the node's policy, asked at each timer
// reset: when a node becomes follower, pre-candidate or candidate, grants a
// vote, or hears a heartbeat from its leader (the places etcd/raft zeroes
// its election clock).
//
// The model runs on the engine host (package sim), which owns the network,
// the faults and the policies' hooks: a crash loses the node's volatile
// state (its leader; term, vote and log are on stable storage) and the
// messages that reach it while it is down; a processing pause
// (docs/scenarios.md) keeps arriving messages in the node's inbox and
// re-queues its timers for the pause's end, where it handles the inbox in
// arrival order and then the timers that are still due. A crash ends a
// pause and drops its inbox. This package is only the protocol.
package fast
