package sim

import (
	"math"
	"math/rand/v2"

	"github.com/ballast-bench/ballast/sim/dist"
	"github.com/ballast-bench/ballast/sim/measured"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/stream"
)

// Fate is what the network does with a message.
type Fate uint8

const (
	Delivered Fate = iota
	Lost           // the link's (or a burst's, or turbulence's) loss process dropped it
	Cut            // a partition separates sender and receiver
)

// link is one directed link's parameters under one regime.
type link struct {
	baseMS float64
	scale  float64
	loss   float64
	jitter dist.Dist
	// A measured trace in place of baseMS (and of loss if traceLoss).
	trace     *measured.Trace
	repeat    bool
	traceLoss bool
}

// Network is the run-time link model of a scenario: per-link parameters for
// each regime, the current regime, burst and turbulence state, partition
// groups, per-node processing delays. Its message-level draws come from one
// stream per directed link, and processing delays from one stream per node.
type Network struct {
	n        int
	regimes  [][]link // [regime][from*n+to]
	regime   int      // index into regimes
	regimeID int      // the scenario's id of the current regime
	ids      []int

	links []*rand.Rand // per directed link
	proc  []dist.Dist  // per node
	procR []*rand.Rand

	burst      bool
	burstLinks []bool // nil: all links
	burstLoss  float64
	burstExtra dist.Dist

	// Streams (network.transport): per class whether it travels on a
	// stream, the first RTO, and per (directed link, class) the arrival
	// of the last message on that stream; nil without streams.
	stream   [NumClasses]bool
	rtoUS    int64
	streamAt []int64

	turbulent  int // partitions whose post-heal turbulence is active
	turbLoss   float64
	turbExtra  dist.Dist
	group      []int // partition group per node; nil when no partition is active
	groupSpare []int
}

// NewNetwork compiles s's network for seed.
func NewNetwork(s *scenario.Scenario, seed uint64) *Network {
	n := s.Nodes
	nw := &Network{n: n, groupSpare: make([]int, n)}
	regimes := s.Network.Regimes
	if len(regimes) == 0 {
		regimes = []scenario.Regime{{ID: 0}}
	}
	for ri := range regimes {
		r := &regimes[ri]
		def := s.Network.Default
		overlay(&def, &r.Link)
		scale := 1.0
		if r.DelayScale != nil {
			scale = *r.DelayScale
		}
		table := make([]link, n*n)
		for from := 0; from < n; from++ {
			for to := 0; to < n; to++ {
				l := def
				if s.Network.Regions != nil {
					a, b := s.Network.Regions[from], s.Network.Regions[to]
					for i := range s.Network.RegionPairs {
						rp := &s.Network.RegionPairs[i]
						if (rp.Regions[0] == a && rp.Regions[1] == b) || (rp.Regions[0] == b && rp.Regions[1] == a) {
							overlay(&l, &rp.Link)
						}
					}
				}
				for i := range s.Network.Links {
					lr := &s.Network.Links[i]
					if lr.From == from && lr.To == to {
						overlay(&l, &lr.Link)
					}
				}
				table[from*n+to] = compileLink(&l, scale)
			}
		}
		nw.regimes = append(nw.regimes, table)
		nw.ids = append(nw.ids, r.ID)
	}
	nw.regimeID = nw.ids[0]
	nw.links = make([]*rand.Rand, n*n)
	for from := 0; from < n; from++ {
		for to := 0; to < n; to++ {
			if from != to {
				nw.links[from*n+to] = stream.New(seed, stream.Link, from, to)
			}
		}
	}
	nw.proc = make([]dist.Dist, n)
	nw.procR = make([]*rand.Rand, n)
	for i := range s.Processing {
		p := &s.Processing[i]
		nw.proc[p.Node] = dist.Compile(&p.Delay)
	}
	for i := range nw.procR {
		nw.procR[i] = stream.New(seed, stream.Processing, i)
	}
	nw.stream[ClassVote], nw.stream[ClassHeartbeat], nw.stream[ClassAppend] = s.Streams()
	if nw.stream != [NumClasses]bool{} {
		nw.rtoUS = s.RTOUS()
		nw.streamAt = make([]int64, n*n*NumClasses)
	}
	if b := s.Network.Bursts; b != nil {
		nw.burstLoss = b.Loss
		if b.ExtraDelay != nil {
			nw.burstExtra = dist.Compile(b.ExtraDelay)
		}
		if len(b.Links) > 0 {
			nw.burstLinks = make([]bool, n*n)
			for _, l := range b.Links {
				nw.burstLinks[l[0]*n+l[1]] = true
			}
		}
	}
	return nw
}

// overlay copies the fields set in top onto l. A trace and a base delay
// replace each other; a trace with a loss column replaces the loss below
// it, and a loss set above a trace replaces the trace's.
func overlay(l *scenario.Link, top *scenario.Link) {
	if top.BaseDelayMS != nil {
		l.BaseDelayMS = top.BaseDelayMS
		l.Trace, l.TraceEnd, l.Measured = "", "", nil
	}
	if top.Measured != nil {
		l.Trace, l.TraceEnd, l.Measured = top.Trace, top.TraceEnd, top.Measured
		l.BaseDelayMS = nil
		if top.Measured.HasLoss {
			l.Loss = nil
		}
	}
	if top.Jitter != nil {
		l.Jitter = top.Jitter
	}
	if top.Loss != nil {
		l.Loss = top.Loss
	}
}

func compileLink(l *scenario.Link, scale float64) link {
	out := link{scale: scale}
	if l.BaseDelayMS != nil {
		out.baseMS = *l.BaseDelayMS
	}
	if l.Jitter != nil {
		out.jitter = dist.Compile(l.Jitter)
	}
	if l.Loss != nil {
		out.loss = *l.Loss
	}
	if l.Measured != nil {
		out.trace = l.Measured
		out.repeat = l.TraceEnd == scenario.TraceRepeat
		out.traceLoss = l.Measured.HasLoss && l.Loss == nil
	}
	return out
}

// at is the link's base delay and loss at nowUS: its trace's row in force
// then, if it has a trace.
func (l *link) at(nowUS int64) (baseMS, loss float64) {
	if l.trace == nil {
		return l.baseMS, l.loss
	}
	p := l.trace.At(nowUS, l.repeat)
	if l.traceLoss {
		return p.DelayMS, p.Loss
	}
	return p.DelayMS, l.loss
}

// Message classes: what a transport is chosen for (scenario.Transport).
const (
	ClassVote      = iota // pre-votes, votes and their answers
	ClassHeartbeat        // heartbeats and their answers (the fast model's appends too)
	ClassAppend           // the etcd engine's appends and their answers
	NumClasses
)

// Stream limits: Linux's TCP_RTO_MAX and tcp_retries2 (a segment lost
// this many times in a row breaks the connection: the message is lost).
const (
	maxRTOUS       = 120_000_000
	maxRetransmits = 15
)

// Transmit decides the fate of a message of class sent at nowUS from one
// node to another and, when delivered, its delay until the receiver
// handles it (link delay plus the receiver's processing delay). A class
// on a stream is never lost to the loss processes (see transmitStream).
func (nw *Network) Transmit(from, to, class int, nowUS int64) (delayUS int64, fate Fate) {
	if nw.group != nil && nw.group[from] != nw.group[to] {
		return 0, Cut
	}
	idx := from*nw.n + to
	l := &nw.regimes[nw.regime][idx]
	r := nw.links[idx]
	bursty := nw.burst && (nw.burstLinks == nil || nw.burstLinks[idx])
	baseMS, loss := l.at(nowUS)
	// One loss draw per message (per segment sent on a stream), from the
	// link's own stream.
	survive := 1 - loss
	if bursty {
		survive *= 1 - nw.burstLoss
	}
	if nw.turbulent > 0 {
		survive *= 1 - nw.turbLoss
	}
	if nw.stream[class] {
		return nw.transmitStream(idx, to, class, nowUS, survive, baseMS, l, r, bursty)
	}
	if survive < 1 && r.Float64() >= survive {
		return 0, Lost
	}
	return nw.netDelayUS(baseMS, l, r, bursty) + nw.procDelayUS(to), Delivered
}

// transmitStream sends a message on the (link, class) stream, as TCP does:
// a lost segment is sent again after the retransmission timeout, which
// doubles on each further loss (from rto_ms, at most 120 s), and the
// message arrives one link delay after the attempt that got through; it
// arrives no earlier than the message before it on the same stream
// (head-of-line blocking). Every attempt sees the loss of the moment the
// message was sent (ours: a burst or regime change during the
// retransmissions is not seen). After 15 losses in a row the connection
// breaks and the message is lost.
func (nw *Network) transmitStream(idx, to, class int, nowUS int64, survive, baseMS float64, l *link, r *rand.Rand, bursty bool) (int64, Fate) {
	waitUS, rto := int64(0), nw.rtoUS
	for attempt := 0; survive < 1 && r.Float64() >= survive; attempt++ {
		if attempt == maxRetransmits {
			return 0, Lost
		}
		waitUS += rto
		rto = min(2*rto, maxRTOUS)
	}
	netUS := nw.netDelayUS(baseMS, l, r, bursty)
	at := nowUS + waitUS + netUS
	last := &nw.streamAt[idx*NumClasses+class]
	at = max(at, *last)
	*last = at
	return at - nowUS + nw.procDelayUS(to), Delivered
}

// netDelayUS draws the one-way network delay of link l: its base delay
// now plus jitter, scaled, plus a burst's or turbulence's extra delay.
func (nw *Network) netDelayUS(baseMS float64, l *link, r *rand.Rand, bursty bool) int64 {
	ms := baseMS
	if !l.jitter.IsZero() {
		ms += l.jitter.SampleMS(r)
	}
	ms *= l.scale
	if bursty && !nw.burstExtra.IsZero() {
		ms += nw.burstExtra.SampleMS(r)
	}
	if nw.turbulent > 0 && !nw.turbExtra.IsZero() {
		ms += nw.turbExtra.SampleMS(r)
	}
	return usFromMS(ms)
}

// procDelayUS draws node to's processing delay of one message.
func (nw *Network) procDelayUS(to int) int64 {
	if p := &nw.proc[to]; !p.IsZero() {
		return p.SampleUS(nw.procR[to])
	}
	return 0
}

// Connected reports whether no partition separates a and b now.
func (nw *Network) Connected(a, b int) bool {
	return nw.group == nil || nw.group[a] == nw.group[b]
}

// RegimeID is the scenario id of the regime in force.
func (nw *Network) RegimeID() int { return nw.regimeID }

// SetRegime switches to the regime at index i of the scenario's schedule.
func (nw *Network) SetRegime(i int) {
	nw.regime = i
	nw.regimeID = nw.ids[i]
}

// SetBurst starts or ends a Gilbert-Elliott bad period; it returns the
// number of directed links affected.
func (nw *Network) SetBurst(on bool) int {
	nw.burst = on
	if nw.burstLinks == nil {
		return nw.n * (nw.n - 1)
	}
	c := 0
	for _, b := range nw.burstLinks {
		if b {
			c++
		}
	}
	return c
}

// Partition installs group ids per node (copied); nil heals.
func (nw *Network) Partition(groups []int) {
	if groups == nil {
		nw.group = nil
		return
	}
	copy(nw.groupSpare, groups)
	nw.group = nw.groupSpare
}

// Turbulence starts (on) or ends one partition's post-heal turbulence.
func (nw *Network) Turbulence(on bool, t *scenario.Turbulence) {
	if on {
		nw.turbulent++
		nw.turbLoss = t.Loss
		nw.turbExtra = dist.Dist{}
		if t.ExtraDelay != nil {
			nw.turbExtra = dist.Compile(t.ExtraDelay)
		}
	} else if nw.turbulent > 0 {
		nw.turbulent--
	}
}

func usFromMS(ms float64) int64 {
	us := math.Round(ms * 1000)
	if !(us < 86_400_000_000) {
		return 86_400_000_000
	}
	if us < 0 {
		return 0
	}
	return int64(us)
}
