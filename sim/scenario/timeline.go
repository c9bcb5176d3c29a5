package scenario

import (
	"cmp"
	"math"
	"slices"

	"github.com/ballast-bench/ballast/sim/stream"
)

// InjectKind says what an injected timeline event does.
type InjectKind uint8

// The injected event kinds. At equal times, events apply in this order, so a
// partition that ends when the next begins is healed first.
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
)

// Injected is one event of the timeline.
type Injected struct {
	AtUS int64
	Kind InjectKind
	// Index: for InjRegime the regime's index in Network.Regimes; for
	// partition and turbulence events the index into Timeline.Partitions;
	// for InjCrash and InjRestart the crash occurrence (Timeline.Crashes).
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

// Timeline is the injected schedule of one run: it depends on the scenario
// and the seed only.
type Timeline struct {
	Events     []Injected
	Partitions []PartitionSpan
	Crashes    []CrashEvent
}

// NewTimeline generates the timeline for seed. Its only randomness is the
// seed's timeline stream, drawn in a fixed order: burst periods first, then
// crash phases.
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
