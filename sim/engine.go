package sim

import (
	"context"
	"fmt"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// Config is everything one run needs.
type Config struct {
	Scenario *scenario.Scenario
	Seed     uint64
	RunID    string // named in errors
	Policy   policy.Factory
	Sink     eventlog.Sink // nil: logging off (events are still counted)
	// Context, if set, cancels the run (checked every few thousand events).
	Context context.Context
	// MaxEvents stops a run that logs more events: a policy or scenario
	// far more costly than its estimate (scenario.Estimate). 0: four times
	// the scenario's limit (scenario.Caps), which no accepted scenario
	// reaches with a sane policy.
	MaxEvents int64
	// PolicyTiming, if set, is given the wall time of every policy call
	// the engine makes, in ns less the clock's own cost (measured once):
	// each Deadline (a bandit's choose, update false) and each
	// ElectionDone (its update), by node. It is the BALLAST paper's
	// Table 5; measurements set it (BenchmarkPolicyOverhead, live nodes).
	// The simulation never reads it, so a run's events do not change.
	PolicyTiming func(node int, update bool, ns int64)
}

// maxEvents is the run's event guard.
func (c *Config) maxEvents() int64 {
	if c.MaxEvents > 0 {
		return c.MaxEvents
	}
	return 4 * scenario.Caps.Events
}

// Result summarises a finished run.
type Result struct {
	Events int64 // protocol events emitted
	EndUS  int64 // virtual time at which the run stopped
	// Live is a live run's account of itself (the host, the harness's
	// own lateness); nil in virtual time.
	Live *eventlog.LiveInfo
}

// Engine simulates Raft leader election for one run. The fast election
// model (package sim/fast) is one engine; the real etcd/raft library driven
// in virtual time is another. Both share this package's queue, network,
// timeline injection, event log and safety checker, so they face the same
// faults and differ only in the protocol implementation.
type Engine interface {
	Name() string
	Run(cfg *Config) (Result, error)
}

// RunError is a failure of one run; it always names the run and its seed.
type RunError struct {
	RunID string
	Seed  uint64
	AtUS  int64
	Msg   string
	// Cause is the error behind Msg, if any (the context's, for a
	// cancelled run), for errors.Is.
	Cause error
}

// Unwrap returns the cause.
func (e *RunError) Unwrap() error { return e.Cause }

func (e *RunError) Error() string {
	id := e.RunID
	if id == "" {
		id = "(unnamed)"
	}
	return fmt.Sprintf("run %s (seed %d) at t=%d µs: %s", id, e.Seed, e.AtUS, e.Msg)
}

// Log counts events and hands them to the sink, if any.
type Log struct {
	Sink  eventlog.Sink
	Count int64
	ev    eventlog.Event
}

// Emit records one event.
func (l *Log) Emit(atUS int64, kind eventlog.Kind, node int, term uint64, peer int, value int64, arm int, msgID uint64) {
	l.Count++
	if l.Sink == nil {
		return
	}
	// Field by field: a composite literal is built in a temporary with
	// narrow stores and copied in wide loads that wait for them (a
	// store-forwarding stall on every event).
	ev := &l.ev
	ev.TimeUS, ev.Term, ev.Value, ev.MsgID = atUS, term, value, msgID
	ev.Node, ev.Peer, ev.Kind, ev.Arm = int16(node), int16(peer), kind, int8(arm)
	l.Sink.Emit(ev)
}

// Safety checks Raft's Election Safety property continuously: at most one
// leader can be elected in a given term (Raft paper, Figure 3).
type Safety struct {
	leaderOf []int32 // by term; -1 none
}

// Elected records that node became leader of term and returns an error
// message if another node already led that term.
func (s *Safety) Elected(term uint64, node int) string {
	for uint64(len(s.leaderOf)) <= term {
		s.leaderOf = append(s.leaderOf, -1)
	}
	if prev := s.leaderOf[term]; prev >= 0 && int(prev) != node {
		return fmt.Sprintf("election safety violated: term %d has two leaders, nodes %d and %d", term, prev, node)
	}
	s.leaderOf[term] = int32(node)
	return ""
}
