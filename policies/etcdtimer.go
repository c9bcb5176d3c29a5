package policies

import (
	"math/rand/v2"

	"github.com/ballast-bench/ballast/policies/policy"
)

// etcdTimer is etcd's own election timer (go.etcd.io/raft/v3, raft.go:
// tickElection, resetRandomizedElectionTimeout, reset), on the scenario's
// heartbeat as the tick:
//
//   - each node has its own ticker, whose phase (the time of its ticks
//     modulo the tick) is drawn uniformly from the whole µs in [0, tick)
//     when the node (re)starts: etcd's ticker starts with its process;
//   - a timer reset zeroes the elapsed-ticks counter, and every tick adds
//     one; the node campaigns at the first tick where elapsed >= timeout;
//   - the randomized timeout is a whole number of ticks, E + Intn(E), in
//     [E, 2E), with E = floor(election_ms / tick) as etcd's server computes
//     ElectionTicks (integer division), at least 2 (raft refuses
//     ElectionTick <= HeartbeatTick = 1);
//   - it is drawn again only when raft calls reset(): on becoming follower
//     (from another role, or in a new term) or candidate, and at the
//     (re)start; a heartbeat or a granted vote zeroes the counter but keeps
//     the timeout, and becoming pre-candidate changes neither (raft zeroed
//     the counter at the tick that fired).
//
// So a reset at time t, between ticks, fires at the tick T ticks after the
// last tick before t: the deadline is T*tick - ((t - phase) mod tick), in
// ((T-1)*tick, T*tick]; a follower can fire up to one tick before E ticks
// after it last heard its leader.
type etcdTimer struct {
	electionUS float64
	rng        *rand.Rand

	started bool // the phase and a timeout were drawn since the (re)start
	phaseUS int64
	tickUS  int64 // the tick the phase was drawn for
	timeout int64 // ticks
	role    policy.Role
	term    uint64
}

func (p *etcdTimer) Deadline(o *policy.Observation) policy.Decision {
	tick := o.HeartbeatUS
	if tick <= 0 {
		tick = fallbackHeartbeatUS
	}
	e := max(int64(p.electionUS)/tick, 2)
	switch {
	case !p.started || tick != p.tickUS:
		p.started, p.tickUS = true, tick
		p.phaseUS = p.rng.Int64N(tick)
		p.timeout = e + p.rng.Int64N(e)
	case o.Term != p.term || (o.Role != p.role && (o.Role == policy.Follower || o.Role == policy.Candidate)):
		p.timeout = e + p.rng.Int64N(e)
	}
	p.role, p.term = o.Role, o.Term
	since := (o.NowUS - p.phaseUS) % tick
	if since < 0 {
		since += tick
	}
	return policy.Decision{DeadlineUS: clampDeadline(float64(p.timeout*tick - since)), Arm: -1}
}

func (p *etcdTimer) ElectionDone(policy.ElectionResult) {}

// Restarted implements policy.Restarter: a new process has a new ticker
// and draws a new timeout.
func (p *etcdTimer) Restarted() { p.started = false }

// NextTickUS implements policy.Ticker: the node's ticks lie at phase +
// k*tick.
func (p *etcdTimer) NextTickUS(nowUS int64) (int64, bool) {
	if !p.started {
		return 0, false
	}
	since := (nowUS - p.phaseUS) % p.tickUS
	if since < 0 {
		since += p.tickUS
	}
	return nowUS + p.tickUS - since, true
}

func init() {
	Register(&Spec{
		Name: "etcd",
		Doc:  "etcd's own timer: a whole number of heartbeat ticks in [E, 2E), E = election_ms / heartbeat, on the node's own ticker phase",
		Params: []Param{
			{Name: "election_ms", Default: []float64{1000}, Provenance: Paper,
				Doc: "etcd's --election-timeout (its documented default 1000 ms); E = floor(election_ms / heartbeat_ms) ticks, at least 2",
				Min: 1, Max: 3_600_000},
		},
		New: func(p Params) (policy.Factory, error) {
			us := msToUS(p.Scalar("election_ms"))
			return func(_ int, rng *rand.Rand) policy.Policy { return &etcdTimer{electionUS: us, rng: rng} }, nil
		},
	})
}
