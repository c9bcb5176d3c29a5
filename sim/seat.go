package sim

import (
	"slices"
	"sync"
	"time"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies/policy"
)

// Seat is one node's policy together with the engine-side state every
// engine keeps for it: the optional hooks the policy implements, the
// heartbeat statistics of its Observations and whether it is in forced-safe
// mode. Both engines use it, so a policy is asked and heard the same way
// on either, and the same rows are logged.
type Seat struct {
	Policy policy.Policy
	HBObs  policy.HeartbeatObserver // nil if the policy does not observe heartbeats
	Tuner  policy.HeartbeatTuner    // nil if it does not tune heartbeats
	Obs    policy.Observer

	explain policy.Explainer // nil if the policy has no explicit rules

	// The node's last processing pause, for Observation.LoadUS.
	pausedAtUS, lastPauseUS, lastPauseEndUS int64

	safety policy.SafetyMode
	inSafe bool
	obs    policy.Observation // scratch, reused for every Deadline call

	timing func(update bool, ns int64) // nil unless the run measures its policy calls
}

// NewSeat seats p for node; timing is the run's Config.PolicyTiming.
func NewSeat(p policy.Policy, node int, timing func(node int, update bool, ns int64)) Seat {
	s := Seat{Policy: p, Obs: policy.NewObserver()}
	if timing != nil {
		clock := clockCostNS()
		s.timing = func(update bool, ns int64) { timing(node, update, max(ns-clock, 0)) }
	}
	s.HBObs, _ = p.(policy.HeartbeatObserver)
	s.Tuner, _ = p.(policy.HeartbeatTuner)
	s.safety, _ = p.(policy.SafetyMode)
	s.explain, _ = p.(policy.Explainer)
	return s
}

// Decide asks the policy for the deadline of an election-timer reset and
// logs it (a policy_decision row when an arm was chosen, then timer_reset).
// ok is false if the policy returned a non-positive deadline, which would
// make the timer spin; the engine must fail the run.
func (s *Seat) Decide(log *Log, nowUS int64, node int, role policy.Role, term uint64, failures int, heartbeatUS int64, regimeID int) (deadlineUS int64, ok bool) {
	// Zeroed in place and set field by field: a composite literal is
	// built in a temporary and copied in wide loads that wait for its
	// narrow stores (a store-forwarding stall on every timer reset).
	o := &s.obs
	*o = policy.Observation{}
	o.NowUS, o.Node, o.Role, o.Term = nowUS, node, role, term
	o.ConsecutiveFailures, o.HeartbeatUS, o.RegimeID = failures, heartbeatUS, regimeID
	s.Obs.Fill(o)
	if s.lastPauseUS > 0 && nowUS-s.lastPauseEndUS < LoadWindowUS {
		o.LoadUS = s.lastPauseUS
	}
	var d policy.Decision
	if s.timing != nil {
		start := time.Now()
		d = s.Policy.Deadline(o)
		s.timing(false, time.Since(start).Nanoseconds())
	} else {
		d = s.Policy.Deadline(o)
	}
	if d.DeadlineUS <= 0 {
		return d.DeadlineUS, false
	}
	if d.Arm >= 0 {
		log.Emit(nowUS, eventlog.PolicyDecision, node, term, -1, d.DeadlineUS, d.Arm, 0)
	}
	log.Emit(nowUS, eventlog.TimerReset, node, term, -1, d.DeadlineUS, d.Arm, 0)
	if s.explain != nil {
		if m := s.explain.Rules(); m != 0 {
			log.Emit(nowUS, eventlog.Guardrail, node, term, -1, int64(m), -1, 0)
		}
	}
	return d.DeadlineUS, true
}

// ElectionDone reports a finished election attempt to the policy and logs
// safety_enter or safety_exit if its forced-safe mode changed.
func (s *Seat) ElectionDone(log *Log, nowUS int64, node int, term uint64, o policy.Outcome, latUS int64) {
	r := policy.ElectionResult{NowUS: nowUS, Outcome: o, LatencyUS: latUS}
	if s.timing != nil {
		start := time.Now()
		s.Policy.ElectionDone(r)
		s.timing(true, time.Since(start).Nanoseconds())
	} else {
		s.Policy.ElectionDone(r)
	}
	if s.safety == nil {
		return
	}
	if safe := s.safety.InSafeMode(); safe != s.inSafe {
		s.inSafe = safe
		k := eventlog.SafetyExit
		if safe {
			k = eventlog.SafetyEnter
		}
		log.Emit(nowUS, k, node, term, -1, 0, -1, 0)
	}
}

// LoadWindowUS is how long a node remembers its last processing pause as
// its load (Observation.LoadUS): one second, as a runtime's "recent GC
// pause" statistic would.
const LoadWindowUS = 1_000_000

// Paused records that the node stalls from nowUS (a processing pause).
func (s *Seat) Paused(nowUS int64) { s.pausedAtUS = nowUS }

// Resumed records the end of the node's pause: its length is the load the
// node reports for LoadWindowUS.
func (s *Seat) Resumed(nowUS int64) {
	s.lastPauseUS, s.lastPauseEndUS = nowUS-s.pausedAtUS, nowUS
}

// clockCostNS is the median cost of an empty timed section on this
// machine, measured once per process: Config.PolicyTiming's values have it
// subtracted (the policies' calls are short enough that reading the clock
// would otherwise dominate them).
var clockCostNS = sync.OnceValue(func() int64 {
	xs := make([]int64, 10001)
	for i := range xs {
		start := time.Now()
		xs[i] = time.Since(start).Nanoseconds()
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
})
