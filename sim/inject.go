package sim

import (
	"math"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/stream"
)

// Cluster is what timeline injection needs from an engine.
type Cluster interface {
	// Leader returns the node that is leader now (the highest term's, if
	// stale leaders linger), or -1.
	Leader() int
	// Alive reports whether node is up.
	Alive(node int) bool
	Crash(node int)
	Restart(node int)
	// Pause stops node, which is up and not paused, until untilUS: it
	// handles no message and fires no timer; deliveries wait in its inbox
	// and timers that come due wait for the end (docs/scenarios.md). A
	// crash ends a pause at once (the pause dies with the process).
	// Pausing a paused node extends its pause to untilUS if that is later
	// (a sleep that begins during a pause).
	Pause(node int, untilUS int64)
	// Sleep is Pause for a node put to sleep (crashes[].mode sleep): the
	// same stall, logged as a sleep.
	Sleep(node int, untilUS int64)
	// Paused reports whether node is paused.
	Paused(node int) bool
	// LastEntry makes leader propose one more entry and replicate it at
	// once, the appends to the nodes in lose being lost.
	LastEntry(leader int, lose []int)
	// Resume ends node's pause if it is still paused (a crash may have
	// ended it): the node handles its inbox in arrival order, then its
	// timers that came due and were not re-armed meanwhile.
	Resume(node int)
}

// Injector applies a run's timeline: network state changes, crashes and
// processing pauses.
type Injector struct {
	S       *scenario.Scenario
	TL      *scenario.Timeline
	Net     *Network
	Log     *Log
	crashed []int   // node taken down (or put to sleep) by each crash occurrence; -1 none
	wakeUS  []int64 // per node: when its current pause or sleep ends
	seed    uint64
	cut     []bool // per partition occurrence: did it cut anyone off
	turb    []bool // per partition occurrence: is its turbulence on
	groups  []int
}

// NewInjector prepares the timeline of s for one run of seed.
func NewInjector(s *scenario.Scenario, tl *scenario.Timeline, nw *Network, log *Log, seed uint64) *Injector {
	in := &Injector{S: s, TL: tl, Net: nw, Log: log, seed: seed, crashed: make([]int, len(tl.Crashes)),
		cut: make([]bool, len(tl.Partitions)), turb: make([]bool, len(tl.Partitions)), groups: make([]int, s.Nodes),
		wakeUS: make([]int64, s.Nodes)}
	for i := range in.crashed {
		in.crashed[i] = -1
	}
	return in
}

// Apply performs one injected event at atUS.
func (in *Injector) Apply(atUS int64, ev scenario.Injected, c Cluster) {
	switch ev.Kind {
	case scenario.InjRegime:
		in.Net.SetRegime(ev.Index)
		in.Log.Emit(atUS, eventlog.RegimeSwitch, -1, 0, -1, int64(in.Net.RegimeID()), -1, 0)
	case scenario.InjBurstStart:
		n := in.Net.SetBurst(true)
		in.Log.Emit(atUS, eventlog.BurstStart, -1, 0, -1, int64(n), -1, 0)
	case scenario.InjBurstEnd:
		in.Net.SetBurst(false)
		in.Log.Emit(atUS, eventlog.BurstEnd, -1, 0, -1, 0, -1, 0)
	case scenario.InjPartitionStart:
		p := in.TL.Partitions[ev.Index].Spec
		for i := range in.groups {
			in.groups[i] = 0
		}
		cut := false
		switch {
		case p.Groups != nil:
			for i := range in.groups {
				in.groups[i] = len(p.Groups) // unlisted nodes form one more group
			}
			for g, group := range p.Groups {
				for _, n := range group {
					in.groups[n] = g
				}
			}
			cut = true
		case p.Isolate != nil:
			for _, n := range p.Isolate {
				in.groups[n] = 1
			}
			cut = true
		case p.IsolateLeader:
			// No leader now: nobody is cut off. The rows show it: no
			// partition_start rows at this time.
			if l := c.Leader(); l >= 0 {
				in.groups[l] = 1
				cut = true
			}
		}
		if !cut {
			return
		}
		in.cut[ev.Index] = true
		in.Net.Partition(in.groups)
		for n, g := range in.groups {
			in.Log.Emit(atUS, eventlog.PartitionStart, n, 0, -1, int64(g), -1, 0)
		}
	case scenario.InjPartitionEnd:
		if !in.cut[ev.Index] {
			return // an isolate_leader partition that found no leader
		}
		in.Net.Partition(nil)
		for n := 0; n < in.S.Nodes; n++ {
			in.Log.Emit(atUS, eventlog.PartitionEnd, n, 0, -1, 0, -1, 0)
		}
	case scenario.InjTurbulenceStart:
		if !in.cut[ev.Index] {
			return
		}
		in.turb[ev.Index] = true
		in.Net.Turbulence(true, in.TL.Partitions[ev.Index].Spec.Turbulence)
		in.Log.Emit(atUS, eventlog.TurbulenceStart, -1, 0, -1, 0, -1, 0)
	case scenario.InjTurbulenceEnd:
		if !in.turb[ev.Index] {
			return
		}
		in.turb[ev.Index] = false
		in.Net.Turbulence(false, nil)
		in.Log.Emit(atUS, eventlog.TurbulenceEnd, -1, 0, -1, 0, -1, 0)
	case scenario.InjCrash:
		ce := &in.TL.Crashes[ev.Index]
		n := ce.Node
		if n < 0 {
			n = c.Leader()
		}
		if n < 0 || !c.Alive(n) {
			return // nothing to crash: no leader, or the node is already down
		}
		in.crashed[ev.Index] = n
		if k := ce.Spec.LaggingFollowers; k > 0 && c.Leader() == n && !c.Paused(n) {
			others := make([]int, 0, in.S.Nodes-1)
			for p := range in.S.Nodes {
				if p != n {
					others = append(others, p)
				}
			}
			r := stream.New(in.seed, stream.Lagging, ev.Index)
			r.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
			c.LastEntry(n, others[:k])
		}
		if ce.Spec.Mode == scenario.CrashSleep {
			// Asleep until restart_after_ms, or to the run's end; a sleep
			// that begins during a pause lasts until the later end.
			until := in.S.DurationUS()
			if r := ce.Spec.RestartAfterMS; r != nil {
				until = atUS + int64(math.Round(*r*1000))
			}
			if c.Paused(n) {
				until = max(until, in.wakeUS[n])
			}
			in.wakeUS[n] = until
			c.Sleep(n, until)
			return
		}
		c.Crash(n)
	case scenario.InjRestart:
		n := in.crashed[ev.Index]
		if n < 0 {
			return
		}
		if in.TL.Crashes[ev.Index].Spec.Mode == scenario.CrashSleep {
			in.wake(atUS, n, c)
		} else if !c.Alive(n) {
			c.Restart(n)
		}
	case scenario.InjPauseStart:
		// A node that is down is not paused: the pause belonged to a
		// process that is not running (crash wins), and it does not carry
		// over to a restart within its span. A sleeping node skips the
		// pauses that begin in its sleep.
		if p := &in.TL.Pauses[ev.Index]; c.Alive(p.Node) && !c.Paused(p.Node) {
			in.wakeUS[p.Node] = p.EndUS
			c.Pause(p.Node, p.EndUS)
		}
	case scenario.InjPauseEnd:
		in.wake(atUS, in.TL.Pauses[ev.Index].Node, c)
	}
}

// wake ends node n's pause or sleep at atUS, unless a later sleep or pause
// extended it past atUS (or a crash already ended it: Resume then does
// nothing).
func (in *Injector) wake(atUS int64, n int, c Cluster) {
	if atUS >= in.wakeUS[n] {
		c.Resume(n)
	}
}
