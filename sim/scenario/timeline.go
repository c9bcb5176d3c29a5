package scenario

import (
	"cmp"
	"math"
	"slices"

	"github.com/ballast-bench/ballast/sim/dist"
	"github.com/ballast-bench/ballast/sim/stream"
)

// InjectKind says what an injected timeline event does.
type InjectKind uint8

// The injected event kinds. At equal times, events apply in this order, so a
// partition that ends when the next begins is healed first; a node's pause
// ends after the network changes of that instant (the resumed node sends
// into the network as it is then) and after a crash of that instant (a
// crash wins: the pause dies with the process), and the next pause of a
// node with a zero gap starts only after the previous one ended.
const (
	InjPartitionEnd InjectKind = iota
	InjTurbulenceEnd
	InjBurstEnd
	InjRestart
	InjRegime
	InjBurstStart
	InjTurbulenceStart
	InjPartitionStart
	InjCrash
	InjPauseEnd
	InjPauseStart
)

// Injected is one event of the timeline.
type Injected struct {
	AtUS int64
	Kind InjectKind
	// Index: for InjRegime the regime's index in Network.Regimes; for
	// partition and turbulence events the index into Timeline.Partitions;
	// for InjCrash and InjRestart the crash occurrence (Timeline.Crashes);
	// for InjPauseStart and InjPauseEnd the pause (Timeline.Pauses).
	Index int
}

// PartitionSpan is one occurrence of a partition after repeats.
type PartitionSpan struct {
	Spec    *Partition
	StartUS int64
	EndUS   int64
}

// CrashEvent is one occurrence of a crash after repeats and phase draws.
type CrashEvent struct {
	Spec *Crash
	AtUS int64
	Node int // -1: the leader at AtUS
}

// PauseSpan is one processing pause of one node, [StartUS, EndUS). EndUS
// may lie past the run's end: the node then stays paused to the end.
type PauseSpan struct {
	Node    int
	StartUS int64
	EndUS   int64
}

// Timeline is the injected schedule of one run: it depends on the scenario
// and the seed only.
type Timeline struct {
	Events     []Injected
	Partitions []PartitionSpan
	Crashes    []CrashEvent
	Pauses     []PauseSpan
}

// NewTimeline generates the timeline for seed. Its randomness is the seed's
// timeline stream, drawn in a fixed order (burst periods first, then crash
// phases), and one pause stream per paused node (stream.Pause, id: the
// node), drawn gap, duration, gap, duration, ... Pauses have their own
// streams so that adding them to a scenario leaves every other draw, and
// so every other injected event, as it was.
func NewTimeline(s *Scenario, seed uint64) *Timeline {
	r := stream.New(seed, stream.Timeline)
	end := s.DurationUS()
	tl := &Timeline{}
	add := func(at int64, k InjectKind, idx int) {
		if at < end {
			tl.Events = append(tl.Events, Injected{AtUS: at, Kind: k, Index: idx})
		}
	}
	for i := range s.Network.Regimes {
		add(secToUS(s.Network.Regimes[i].AtS), InjRegime, i)
	}
	if b := s.Network.Bursts; b != nil {
		// Gilbert-Elliott: alternate exponential good and bad periods, starting good.
		t := 0.0
		for {
			t += r.ExpFloat64() * b.MeanGoodS * 1e6
			if t >= float64(end) {
				break
			}
			add(int64(t), InjBurstStart, 0)
			t += r.ExpFloat64() * b.MeanBadMS * 1e3
			add(int64(t), InjBurstEnd, 0)
		}
	}
	for i := range s.Partitions {
		p := &s.Partitions[i]
		for k := 0; k < repeats(p.Repeat); k++ {
			start := secToUS(p.AtS + float64(k)*every(p.Repeat))
			if start >= end {
				break
			}
			span := PartitionSpan{Spec: p, StartUS: start, EndUS: start + secToUS(p.DurationS)}
			idx := len(tl.Partitions)
			tl.Partitions = append(tl.Partitions, span)
			add(span.StartUS, InjPartitionStart, idx)
			add(span.EndUS, InjPartitionEnd, idx)
			if t := p.Turbulence; t != nil {
				add(span.EndUS, InjTurbulenceStart, idx)
				add(span.EndUS+int64(math.Round(t.DurationMS*1000)), InjTurbulenceEnd, idx)
			}
		}
	}
	hb := s.HeartbeatUS()
	for i := range s.Crashes {
		c := &s.Crashes[i]
		for k := 0; k < repeats(c.Repeat); k++ {
			at := secToUS(c.AtS + float64(k)*every(c.Repeat))
			if c.Phase == "heartbeat" {
				at += r.Int64N(hb)
			}
			if at >= end {
				break
			}
			idx := len(tl.Crashes)
			tl.Crashes = append(tl.Crashes, CrashEvent{Spec: c, AtUS: at, Node: c.CrashNode()})
			add(at, InjCrash, idx)
			if c.RestartAfterMS != nil {
				add(at+int64(math.Round(*c.RestartAfterMS*1000)), InjRestart, idx)
			}
		}
	}
	for i := range s.Pauses {
		p := &s.Pauses[i]
		gap, dur := dist.Compile(p.Gap), dist.Compile(p.Duration)
		for _, n := range p.PausedNodes(s.Nodes) {
			pr := stream.New(seed, stream.Pause, n)
			t := int64(0)
			for {
				g := gap.SampleUS(pr)
				t += g
				if t >= end {
					break
				}
				d := dur.SampleUS(pr)
				if d > 0 { // a pause rounded to 0 µs does nothing
					idx := len(tl.Pauses)
					tl.Pauses = append(tl.Pauses, PauseSpan{Node: n, StartUS: t, EndUS: t + d})
					add(t, InjPauseStart, idx)
					add(t+d, InjPauseEnd, idx)
				}
				t += d
				if g+d == 0 {
					t++ // every cycle advances time, so the loop ends (Validate bounds how many cycles)
				}
			}
		}
	}
	slices.SortStableFunc(tl.Events, func(a, b Injected) int {
		if c := cmp.Compare(a.AtUS, b.AtUS); c != 0 {
			return c
		}
		return cmp.Compare(a.Kind, b.Kind)
	})
	return tl
}

func repeats(r *Repeat) int {
	if r == nil {
		return 1
	}
	return r.Count
}

func every(r *Repeat) float64 {
	if r == nil {
		return 0
	}
	return r.EveryS
}

func secToUS(s float64) int64 { return int64(math.Round(s * 1e6)) }
