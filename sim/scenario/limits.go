package scenario

import (
	"fmt"
	"math"

	"github.com/ballast-bench/ballast/internal/configfile"
	"github.com/ballast-bench/ballast/sim/dist"
)

// Limits bound the work of one run, so that every accepted scenario runs
// in bounded time, memory and disk (docs/scenarios.md, "Limits"). Validate
// estimates a run's events and timeline entries and refuses a scenario
// over a limit with one line naming the field that drives the cost. A real
// study that needs more raises them (ballast --max-events); the engines
// also stop a run that logs far more events than estimated (sim.Config).
type Limits struct {
	// Events is the estimated protocol events of one run (about 6.6 bytes
	// each on disk).
	Events int64
	// Timeline is the injected timeline entries of one run: crash and
	// partition occurrences, burst periods, processing pauses, regimes.
	Timeline int64
}

// DefaultLimits leave room above the largest built-in scenario
// (dynatune_loss_n65: estimated at 9 M events; its Dynatune runs, with
// heartbeats shorter than the base interval, log up to 33 M).
var DefaultLimits = Limits{Events: 200_000_000, Timeline: 4_000_000}

// Scaled is l with its event limit set to events and the timeline limit
// scaled alike (a study allowed ten times the events may inject ten times
// the faults).
func (l Limits) Scaled(events int64) Limits {
	return Limits{Events: events, Timeline: max(1, int64(float64(l.Timeline)*float64(events)/float64(l.Events)))}
}

// Caps are the limits Validate applies: DefaultLimits unless a command
// raised them for this process (its --max-events flag) before loading
// anything.
var Caps = DefaultLimits

// Bounds on single fields: every time in µs, and every sum of times, fits
// an int64 with room to spare; every rounding to µs that could reach 0 is
// refused.
const (
	maxDurationS   = 1_000_000     // a run, and any point in time of a scenario
	maxIntervalMS  = 3_600_000     // heartbeat, lease, proposal interval: one hour
	minIntervalMS  = 0.001         // 1 µs
	maxAfterMS     = 1_000_000_000 // restart_after_ms, turbulence: the longest run
	maxEntries     = 10_000        // entries of one list (crashes, partitions, regimes, links)
	maxFileBytes   = 4 << 20       // a scenario file
	usPerS         = 1e6
	minCycleUS     = 1.0 // a pause or burst cycle advances time by at least 1 µs
	estimateSlack  = 6   // rows per follower per heartbeat interval, decisions included
	proposalFanout = 4   // rows per follower per proposal on the etcd engine (append, its receipt, the answer, its receipt)
)

// interval checks a time interval in ms that is converted to µs.
func interval(path string, ms float64, zeroOK bool) *configfile.FieldError {
	if zeroOK && ms == 0 {
		return nil
	}
	if !finite(ms) || ms < minIntervalMS || ms > maxIntervalMS {
		lo := "milliseconds"
		if zeroOK {
			lo = "0, or milliseconds"
		}
		return configfile.Errorf(path, "%v is not allowed; allowed: %s in [%v, %v] (at least 1 µs, at most one hour)", ms, lo, minIntervalMS, maxIntervalMS)
	}
	return nil
}

// Estimate is what one run of a scenario is expected to cost.
type Estimate struct {
	Events, Timeline int64
	// The parts, for the message naming what drives the cost.
	heartbeatEvents, proposalEvents, timelineEvents float64
	timeline                                        []timelinePart
}

type timelinePart struct {
	path    string
	entries float64
}

// Estimate estimates the events and timeline entries of one run: per base
// heartbeat interval each follower logs about six rows (heartbeat and
// response, sent and received, a timer reset, a policy decision), each
// proposal about four per follower, each injected event about two per
// node. Policies that campaign far more often than that (a timeout below
// the heartbeat) exceed it; the engines' event guard catches those.
func (s *Scenario) Estimate() Estimate {
	var e Estimate
	n := float64(s.Nodes)
	durUS := s.DurationS * usPerS
	if hb := float64(s.HeartbeatUS()); hb > 0 {
		e.heartbeatEvents = durUS / hb * max(n-1, 1) * estimateSlack
	}
	if p := s.Raft.ProposalIntervalMS; p > 0 {
		e.proposalEvents = durUS / (p * 1000) * (1 + max(n-1, 0)*proposalFanout)
	}
	add := func(path string, entries float64) {
		e.timeline = append(e.timeline, timelinePart{path, entries})
	}
	add("network.regimes", float64(len(s.Network.Regimes)))
	if b := s.Network.Bursts; b != nil {
		add("network.bursts.mean_good_s", 2*durUS/max(b.MeanGoodS*usPerS+b.MeanBadMS*1000, minCycleUS))
	}
	for i := range s.Partitions {
		p := &s.Partitions[i]
		k := 2.0
		if p.Turbulence != nil {
			k = 4
		}
		add(fmt.Sprintf("partitions[%d]", i), k*occurrences(p.AtS, p.Repeat, s.DurationS))
	}
	for i := range s.Crashes {
		c := &s.Crashes[i]
		add(fmt.Sprintf("crashes[%d]", i), 2*occurrences(c.AtS, c.Repeat, s.DurationS))
	}
	for i := range s.Pauses {
		p := &s.Pauses[i]
		if p.Gap == nil || p.Duration == nil {
			continue
		}
		gap, dur := dist.Compile(p.Gap), dist.Compile(p.Duration)
		cycle := max(gap.MeanMS()*1000+dur.MeanMS()*1000, minCycleUS)
		add(fmt.Sprintf("pauses[%d].gap", i), 2*durUS/cycle*float64(len(p.PausedNodes(s.Nodes))))
	}
	var entries float64
	for _, t := range e.timeline {
		entries += t.entries
	}
	e.timelineEvents = entries * (n + 1)
	e.Events = clampInt(e.heartbeatEvents + e.proposalEvents + e.timelineEvents)
	e.Timeline = clampInt(entries)
	return e
}

// occurrences is how many times an entry at atS repeating as r fires in a
// run of durS.
func occurrences(atS float64, r *Repeat, durS float64) float64 {
	if r == nil || r.EveryS <= 0 {
		return 1
	}
	return min(float64(r.Count), math.Floor((durS-atS)/r.EveryS)+1)
}

func clampInt(x float64) int64 {
	if !(x < math.MaxInt64/2) {
		return math.MaxInt64 / 2
	}
	return int64(x)
}

// checkLimits refuses a scenario whose estimated cost exceeds Caps, naming
// the field that drives the largest part of it.
func (s *Scenario) checkLimits() *configfile.FieldError {
	e := s.Estimate()
	if e.Timeline > Caps.Timeline {
		worst := e.timeline[0]
		for _, t := range e.timeline {
			if t.entries > worst.entries {
				worst = t
			}
		}
		return configfile.Errorf(worst.path, "a run would inject about %.3g timeline events (%.3g from here); allowed: at most %d per run (fewer or rarer faults, a shorter run, or raise the limit with --max-events)",
			float64(e.Timeline), worst.entries, Caps.Timeline)
	}
	if e.Events > Caps.Events {
		path, part := "raft.heartbeat_ms", e.heartbeatEvents
		if e.proposalEvents > part {
			path, part = "raft.proposal_interval_ms", e.proposalEvents
		}
		if e.timelineEvents > part {
			path, part = "duration_s", e.timelineEvents
		}
		return configfile.Errorf(path, "a run would log about %.3g events (%.3g from here, %d nodes, %v s); allowed: at most %.3g per run (a longer interval, fewer nodes, a shorter run, or raise the limit with --max-events)",
			float64(e.Events), part, s.Nodes, s.DurationS, float64(Caps.Events))
	}
	return nil
}
