// Package sim is ballast's discrete-event simulation kernel: the engine
// host every election engine runs on.
//
// # The model
//
// A run is a scenario (package sim/scenario), a seed and one policy per
// node (package policies/policy). Time is virtual, in integer
// microseconds; nothing reads a clock. One event queue (Queue) orders
// everything by (time, scheduling order), so equal-time events run in the
// order they were scheduled and a run is a function of its inputs. Every
// random draw comes from a stream derived from the seed and what it is for
// (package sim/stream): a link's delays and losses, a node's processing
// delays, its policy, the timeline's faults. Changing one consumer never
// shifts another's draws.
//
// # Host and Protocol
//
// Host owns everything an engine shares with every other engine: the run
// loop; the message pool and the network (per-link delay, loss, bursts,
// regimes, partitions: Network); inboxes and dead letters (a message to a
// node that is down, restarted or cut off is logged as msg_dead or
// msg_cut); the injected timeline (Injector: regime switches, bursts,
// partitions, crashes, restarts, processing pauses); the pause and crash
// rules of docs/scenarios.md; leader lookup; election-attempt bookkeeping
// (a timeout, an attempt's failure, its report to the policy); the
// policies' hooks and heartbeat statistics (Seat); each leader's
// per-follower heartbeat schedule; Election Safety (Safety); and run
// errors, which always name the run and its seed (RunError).
//
// An engine implements only its protocol behind the narrow Protocol
// interface: start a node, campaign, fire one of its own timers, handle a
// message, crash, propose, build a heartbeat; it keeps each Node's role
// and term current and tells the Host what happened (Won, Lead,
// SteppedDown, HeardLeader, HeartbeatAck). sim/fast is the election model,
// sim/etcdraft the go.etcd.io/raft library; both see the same network,
// faults and policies and log the same event kinds (package eventlog), so
// every analysis works on either.
//
// Host.Step hands one message to one node now, and Host.Until runs the
// queue up to a time: a test can drive a node through one Raft rule and
// read the rows it logs.
//
// Host.Serve is the one exception to virtual time: it runs a single node
// of a live run (package live, one process per node) on the wall clock it
// is given, its messages carried by a Wire; the protocol, the policies and
// the rows are the same.
//
// Package sim imports only the policy interface (policies/policy), never
// a policy implementation, and the event format (eventlog), never a file
// format.
package sim
