package metrics

import (
	"fmt"
	"math"

	"github.com/ballast-bench/ballast/eventlog"
)

// Warm-up rules: which initial stretch of a run the availability metrics
// leave out.
const (
	// WarmupFirstWritable excludes [0, t) where t is the first writable
	// instant: the initial election is not a recovery.
	WarmupFirstWritable = "first-writable"
	// WarmupNone excludes nothing: the initial election counts as an
	// unwritable interval.
	WarmupNone = "none"
)

// Defaults of Options.
const (
	DefaultGraceHeartbeats = 3
	DefaultArmBinUS        = 1_000_000
	// MaxNodes bounds the cluster size the deriver accepts (its per-pair
	// bookkeeping is nodes²).
	MaxNodes = 1024
	// MaxGraceHeartbeats bounds the grace window, so that it fits in µs
	// (1e308 intervals overflowed and made every run never writable).
	MaxGraceHeartbeats = 10_000
)

// Options are the analysis settings.
type Options struct {
	// GraceHeartbeats is the writability grace window in heartbeat
	// intervals of the run (RunInfo.HeartbeatUS); DefaultGraceHeartbeats if 0.
	GraceHeartbeats float64
	// Warmup is WarmupFirstWritable (the default if "") or WarmupNone.
	Warmup string
	// ArmBinUS is the width of the time bins of arm fractions;
	// DefaultArmBinUS if 0.
	ArmBinUS int64
}

// Check validates o and fills in defaults. Its errors name the option and
// what is allowed.
func (o Options) Check() (Options, error) {
	if o.GraceHeartbeats == 0 {
		o.GraceHeartbeats = DefaultGraceHeartbeats
	}
	if !(o.GraceHeartbeats > 0) || o.GraceHeartbeats > MaxGraceHeartbeats {
		return o, fmt.Errorf("grace %v heartbeat intervals: allowed: a number in (0, %d]", o.GraceHeartbeats, MaxGraceHeartbeats)
	}
	switch o.Warmup {
	case "":
		o.Warmup = WarmupFirstWritable
	case WarmupFirstWritable, WarmupNone:
	default:
		return o, fmt.Errorf("warmup %q: allowed: %s, %s", o.Warmup, WarmupFirstWritable, WarmupNone)
	}
	if o.ArmBinUS == 0 {
		o.ArmBinUS = DefaultArmBinUS
	}
	if o.ArmBinUS < 0 {
		return o, fmt.Errorf("arm bin %d µs: allowed: a positive duration", o.ArmBinUS)
	}
	return o, nil
}

// cluster is the per-node state that several trackers read: the Deriver
// keeps it (and a tracker where its rule changes it: a follower adopting
// its leader's term) before the trackers see the event.
type cluster struct {
	n, quorum int
	rows      int64  // events so far, for error messages
	maxMsg    uint64 // the largest message ID so far

	alive    []bool
	term     []uint64
	leading  []bool
	leadTerm []uint64 // the term of a node's last leadership
	// asleep marks a leader put to sleep (a sleep row): it no longer
	// leads for the analysis, but may wake still leading.
	asleep []bool
}

// higherLeader reports whether an alive node other than nd leads a term
// above nd's last leadership.
func (c *cluster) higherLeader(nd int) bool {
	for o := range c.n {
		if o != nd && c.alive[o] && c.leading[o] && c.leadTerm[o] > c.leadTerm[nd] {
			return true
		}
	}
	return false
}

func (c *cluster) errorf(ev *eventlog.Event, format string, args ...any) error {
	return fmt.Errorf("row %d (time_us %d, node %d, kind %s): %s", c.rows, ev.TimeUS, ev.Node, ev.Kind, fmt.Sprintf(format, args...))
}

// Deriver computes one run's metrics from its events, fed in file order
// with Add; Finish returns them. It keeps O(nodes²) state plus the derived
// rows, never the events. Each tracker owns one family of metrics, in its
// own file (writability, elections, failovers, safety, arms, and the
// events hash); the per-node state several of them read is the cluster,
// kept here. Add hands every event to the trackers that need it, with
// direct calls so that the single pass stays cheap.
type Deriver struct {
	info   eventlog.RunInfo
	opt    Options
	endUS  int64
	lastUS int64
	c      cluster

	// A log with leaders but no heartbeat rows (a live etcd run, whose
	// members' logs record no heartbeats) cannot say when a leader had a
	// quorum's support: its writability is unknown, not "never".
	leaders, heartbeats bool

	hash        eventsHash
	writability writability
	elections   elections
	failovers   failovers
	safety      safety
	arms        arms
}

// NewDeriver prepares the derivation of one run described by info.
func NewDeriver(info eventlog.RunInfo, opt Options) (*Deriver, error) {
	opt, err := opt.Check()
	if err != nil {
		return nil, err
	}
	switch {
	case info.Nodes < 1 || info.Nodes > MaxNodes:
		return nil, fmt.Errorf("nodes %d: allowed: 1 to %d", info.Nodes, MaxNodes)
	case info.DurationUS <= 0:
		return nil, fmt.Errorf("duration_us %d: allowed: a positive number", info.DurationUS)
	case info.HeartbeatUS <= 0:
		return nil, fmt.Errorf("heartbeat_us %d: allowed: a positive number", info.HeartbeatUS)
	}
	n := int(info.Nodes)
	d := &Deriver{
		info: info, opt: opt, endUS: info.DurationUS,
		c: cluster{
			n: n, quorum: n/2 + 1,
			alive:    make([]bool, n),
			term:     make([]uint64, n),
			leading:  make([]bool, n),
			leadTerm: make([]uint64, n),
			asleep:   make([]bool, n),
		},
		hash:   newEventsHash(),
		safety: newSafety(n),
		arms:   arms{binUS: opt.ArmBinUS},
	}
	for i := range n {
		d.c.alive[i] = true
	}
	graceUS := int64(math.Round(opt.GraceHeartbeats * float64(info.HeartbeatUS)))
	d.writability = newWritability(&d.c, graceUS)
	d.elections = newElections(&d.c)
	d.failovers = failovers{c: &d.c}
	return d, nil
}

// Add processes the next event. ev is not retained. The order of the
// calls is part of the definitions: support lapses by time before the
// event is looked at; a node's term rises before any tracker reads it; an
// attempt is unnecessary if the system is writable once its own row's
// term change is applied; a crash opens a failover before the leader
// stops leading.
func (d *Deriver) Add(ev *eventlog.Event) error {
	c := &d.c
	t := ev.TimeUS
	c.rows++
	if t < d.lastUS {
		return c.errorf(ev, "time_us before the previous row's %d; allowed: non-decreasing times", d.lastUS)
	}
	d.lastUS = t
	d.hash.add(ev)
	if ev.MsgID > c.maxMsg {
		c.maxMsg = ev.MsgID
	}
	d.writability.lapse(t)
	nd := int(ev.Node)
	if nd >= c.n || nd < -1 {
		return c.errorf(ev, "node %d; allowed: -1 to %d", nd, c.n-1)
	}
	if nd >= 0 && ev.Term > c.term[nd] {
		// Every row of a node carries its current term.
		c.term[nd] = ev.Term
		d.writability.termRaised(t, nd)
	}
	if nd < 0 {
		return nil // cluster-wide rows (timeline markers) change nothing here
	}
	switch ev.Kind {
	case eventlog.HeartbeatSent:
		d.heartbeats = true
	case eventlog.HeartbeatRecv:
		d.heartbeats = true
		return d.writability.heartbeat(ev, nd)
	case eventlog.PolicyDecision:
		if ev.Arm >= 0 {
			d.arms.decision(t, int(ev.Arm))
		}
	case eventlog.PreVoteRecv, eventlog.VoteRecv:
		return d.elections.requestRecv(ev, nd)
	case eventlog.Timeout:
		d.failovers.timeout(t, nd)
	case eventlog.BecamePreCandidate:
		d.elections.preCandidate(t, nd, d.writability.writable)
	case eventlog.BecameCandidate:
		d.elections.candidate(t, nd, ev.Term, d.writability.writable)
	case eventlog.BecameLeader:
		d.leaders = true
		if err := d.elections.won(ev, nd); err != nil {
			return err
		}
		c.leading[nd], c.leadTerm[nd] = true, ev.Term
		d.failovers.leaderElected(t)
		d.writability.leaderElected(t, nd)
	case eventlog.BecameFollower:
		c.asleep[nd] = false
		if c.leading[nd] {
			// Stepped down (higher term, or CheckQuorum): it accepts no
			// writes from this moment.
			c.leading[nd] = false
			d.writability.leaderGone(t, nd)
		}
		d.elections.end(nd, t, OutcomeSteppedDown)
	case eventlog.ElectionFailed:
		return d.elections.failed(ev, nd)
	case eventlog.Sleep:
		// A leader put to sleep fails as a crashed one does, for as long
		// as it sleeps: a failover starts and it accepts no writes.
		if c.leading[nd] {
			d.failovers.leaderCrashed(t, nd)
			c.leading[nd], c.asleep[nd] = false, true
			d.writability.leaderGone(t, nd)
		}
	case eventlog.PauseEnd:
		if c.asleep[nd] {
			// It woke without having stepped down: unless a leader of a
			// higher term exists, it leads again, and its failover ends.
			c.asleep[nd] = false
			if !c.higherLeader(nd) {
				c.leading[nd] = true
				d.failovers.leaderElected(t)
				d.writability.recheck(t, nd)
			}
		}
	case eventlog.Crash:
		c.alive[nd] = false
		c.asleep[nd] = false
		if c.leading[nd] {
			d.failovers.leaderCrashed(t, nd)
			c.leading[nd] = false
			d.writability.leaderGone(t, nd)
		}
		d.writability.crashed(t, nd)
		d.elections.end(nd, t, OutcomeCrashed)
	case eventlog.Restart:
		c.alive[nd] = true
	case eventlog.SafetyEnter:
		d.safety.enter(t, nd)
	case eventlog.SafetyExit:
		d.safety.exit(t, nd)
	}
	return nil
}

// Finish closes what is still open at the run's end (duration_us) and
// returns the run's metrics, each tracker filling in its part. The number
// of events fed is checked against RunInfo.Events when that is set.
func (d *Deriver) Finish() (*Run, error) {
	if d.info.Events != 0 && d.info.Events != d.c.rows {
		return nil, fmt.Errorf("ballast.run says %d events, the file has %d rows", d.info.Events, d.c.rows)
	}
	end, id := d.endUS, d.info.RunID
	run := &Run{}
	d.fillIdentity(&run.Row)
	d.writability.finish(run, end, d.opt.Warmup, id)
	d.elections.finish(run, end, id)
	if d.leaders && !d.heartbeats {
		unknownWritability(&run.Row)
		run.Intervals = nil
	}
	d.failovers.finish(run, end, id)
	d.safety.finish(run, end, id)
	d.arms.finish(run, id)
	run.Row.EventsHash = d.hash.sum()
	run.Row.Events = d.c.rows
	return run, nil
}

// unknownWritability leaves undefined (NULL) what a log without heartbeat
// rows cannot determine: the unwritable intervals and what depends on them.
func unknownWritability(r *RunRow) {
	nan := math.NaN()
	r.Intervals, r.Censored, r.UnwritableUS, r.NeverWritable, r.Unnecessary = 0, 0, 0, false, 0
	r.UnwritableFrac, r.UnnecessaryPerMin = nan, nan
	r.RecoveryMeanUS, r.RecoveryP50US, r.RecoveryP95US, r.RecoveryP99US, r.RecoveryMaxUS = nan, nan, nan, nan, nan
}

func (d *Deriver) fillIdentity(r *RunRow) {
	in := d.info
	*r = RunRow{
		RunID: in.RunID, Experiment: in.Experiment, Scenario: in.Scenario, ScenarioHash: in.ScenarioHash,
		Policy: in.Policy, Variant: in.Variant, Params: in.Params, Seed: int64(in.Seed), SeedSet: in.SeedSet,
		Engine: in.Engine, ConfigHash: in.ConfigHash, CodeVersion: in.CodeVersion,
		Nodes: in.Nodes, DurationUS: in.DurationUS, HeartbeatUS: in.HeartbeatUS,
		HarnessLateP99US:   math.NaN(),
		PolicyChooseMeanUS: math.NaN(), PolicyChooseP99US: math.NaN(), PolicyUpdateMeanUS: math.NaN(), PolicyUpdateP99US: math.NaN(),
	}
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
