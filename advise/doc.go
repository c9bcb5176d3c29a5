// Package advise answers an operator's question with numbers: on my
// network, what should my etcd cluster's heartbeat interval and election
// timeout be (or my Consul servers' raft_multiplier: consul.go), and what
// will a leader failover and the false elections cost?
//
// # The model
//
// A candidate setting (heartbeat H, election timeout E) is simulated on
// the operator's network with the etcd engine (go.etcd.io/raft, in
// virtual time) and the `etcd` timer policy (etcd's own tick timer:
// docs/policies.md), PreVote and CheckQuorum on as etcd runs them, and a
// TCP-like stream transport (a lost segment is a retransmission delay, not
// a lost message). Two kinds of runs, each on its own seeds:
//
//   - failover runs: the leader is killed at a uniform phase of its
//     heartbeat cycle, again and again, and restarts from its disk well
//     before the next kill; every failover gives a detection time (the
//     kill to the first follower's timeout) and an out-of-service time
//     (the kill to the next leader), metrics.Failover;
//   - healthy runs: no fault at all; every election attempt in them is an
//     unnecessary one (metrics.RunRow.Unnecessary), and their count over
//     the simulated time is the false-election rate, with Garwood's exact
//     Poisson interval and, when none was seen, the one-sided bound.
//
// What the model leaves out (docs/advise.md says it to the operator): disk
// latency (fsync) before votes, CPU starvation and GC pauses, asymmetric
// paths beyond what a trace says, and client load.
//
// # Determinism
//
// Every run's seed is derived from the advice seed, the candidate and the
// run's index; bootstrap intervals are seeded the same way. The same
// inputs give the same report whatever the parallelism.
package advise
