// Package swarm generates whole simulation configurations from one seed,
// in the manner of TigerBeetle's VOPR and pebble's metamorphic tests: a
// seed decides the cluster size, Raft options, network (delays with light
// or heavy tails, loss, regimes, bursts), processing delays and pauses,
// partitions and crashes (or sleeps), timer rules, disks and timer noise,
// and the policy with its parameters. The swarm
// test (swarm_test.go) runs every case on every engine under the
// independent checkers of package invariant: safety always, and liveness
// (a healthy quorum elects a leader within a derived bound) when the
// case's policy draws its deadlines uniformly from a known range.
//
// Cases are meant to be hostile, not realistic: short heartbeats next to
// long delays, leases near their minimum, faults that overlap. The
// generator draws only valid scenarios; a case that fails validation is a
// bug here.
package swarm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/ballast-bench/ballast/sim/dist"
	"github.com/ballast-bench/ballast/sim/invariant"
	"github.com/ballast-bench/ballast/sim/measured"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// Case is one generated run.
type Case struct {
	Seed     uint64 // the case's seed: generates the case and seeds its run
	Scenario *scenario.Scenario
	Policy   string
	Set      []string // the policy's parameter overrides
	// Health is what the liveness checker needs; nil when the case has no
	// liveness bound (a policy whose deadlines are not uniform draws from a
	// known range, or no calm regime).
	Health *invariant.Health
}

// Uniform policies draw every deadline uniformly from [min_ms, max_ms):
// their cases are liveness-checked.
var uniform = []string{"random", "static"}

// Others are the policies whose cases are checked for safety only.
var Others = []string{"bandit_safe", "bandit_ts_safe", "bandit_qdecay", "backoff", "rtt_heuristic", "phi_accrual",
	"dynatune", "dynatune_et", "dynatune_joint", "quantile_decay", "etcd"}

// Generate makes the case of seed.
func Generate(seed uint64) *Case {
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x5eed_5eed_5eed_5eed))}
	c := &Case{Seed: seed}
	s := g.scenario(seed)
	c.Scenario = s
	delayMS := g.delayBounds(s)
	maxMS := 0.0
	if g.r.IntN(3) > 0 {
		c.Policy = uniform[g.r.IntN(len(uniform))]
		// A range at least ten times the largest calm one-way delay wide
		// (when it is known), so that an election round rarely fails.
		lo := float64(g.pick(2, 3, 4, 6, 10)) * s.Raft.HeartbeatMS
		width := lo * (0.5 + g.r.Float64()*1.5)
		for _, d := range delayMS {
			width = max(width, 10*d)
		}
		lo, width = math.Round(lo), math.Round(width)
		maxMS = lo + width
		c.Set = []string{fmt.Sprintf("min_ms=%v", lo), fmt.Sprintf("max_ms=%v", maxMS)}
	} else {
		c.Policy = Others[g.r.IntN(len(Others))]
	}
	fsyncMS, noiseMS, boundedDeploy := deploymentBounds(s)
	if maxMS > 0 && len(delayMS) > 0 && boundedDeploy {
		h := &invariant.Health{Nodes: s.Nodes, BoundUS: map[int]int64{}}
		if len(s.Network.Regimes) > 0 {
			h.InitialRegime = s.Network.Regimes[0].ID
		}
		leaseUS := int64(0)
		if s.Raft.CheckQuorum {
			// With vote_lease own_timer a node trusts its leader until its
			// own timer fires: at most one deadline.
			leaseUS = max(s.LeaseUS(), us(maxMS))
		}
		// A disk adds at most two fsyncs (one running, one waiting) at
		// the candidate and at each voter, within the four one-way delays
		// of a round; timer noise makes every timer, the lease and the
		// heartbeat up to its bound later.
		noiseUS := us(noiseMS)
		if leaseUS > 0 {
			leaseUS += noiseUS
		}
		for id, d := range delayMS {
			h.BoundUS[id] = invariant.BoundUS(us(maxMS)+noiseUS, us(d)+2*us(fsyncMS), s.HeartbeatUS()+noiseUS, leaseUS)
		}
		c.Health = h
	}
	return c
}

func us(ms float64) int64 { return int64(math.Ceil(ms * 1000)) }

type gen struct{ r *rand.Rand }

func (g *gen) pick(xs ...int) int { return xs[g.r.IntN(len(xs))] }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// between is uniform in [lo, hi), rounded to 3 significant decimals.
func (g *gen) between(lo, hi float64) float64 {
	return math.Round((lo+g.r.Float64()*(hi-lo))*1000) / 1000
}

func ptr[T any](v T) *T { return &v }

// jitter draws a delay distribution around baseMS: none, bounded
// (constant, uniform) or with a tail (exponential, lognormal, Pareto).
func (g *gen) jitter(baseMS float64) *dist.Spec {
	scale := max(baseMS, 0.5)
	switch g.r.IntN(6) {
	case 0:
		return nil
	case 1:
		return &dist.Spec{Dist: "constant", ValueMS: ptr(g.between(0, scale))}
	case 2:
		lo := g.between(0, scale/2)
		return &dist.Spec{Dist: "uniform", MinMS: ptr(lo), MaxMS: ptr(lo + g.between(0, scale))}
	case 3:
		return &dist.Spec{Dist: "exponential", MeanMS: ptr(g.between(0.01, scale/2))}
	case 4:
		return &dist.Spec{Dist: "lognormal", MedianMS: ptr(g.between(0.01, scale/2)), Sigma: ptr(g.between(0.1, 1.5))}
	default:
		return &dist.Spec{Dist: "pareto", ScaleMS: ptr(g.between(0.01, scale/4)), Shape: ptr(g.between(1.2, 3))}
	}
}

// bounded is the largest value spec can draw (ms), if it has one.
func bounded(spec *dist.Spec) (float64, bool) {
	if spec == nil {
		return 0, true
	}
	switch spec.Dist {
	case "constant":
		return *spec.ValueMS, true
	case "uniform":
		return *spec.MaxMS, true
	case "empirical":
		return slices.Max(spec.Samples), true
	}
	return 0, false
}

func (g *gen) scenario(seed uint64) *scenario.Scenario {
	r := g.r
	s := &scenario.Scenario{
		Name:        fmt.Sprintf("swarm_%d", seed),
		Description: "generated by sim/swarm",
		Nodes:       g.pick(1, 2, 3, 3, 3, 4, 5, 5, 5, 6, 7, 7),
		DurationS:   math.Round(g.between(3, 20)*10) / 10,
	}
	hb := float64(g.pick(10, 20, 50, 50, 100))
	s.Raft = scenario.Raft{HeartbeatMS: hb, PreVote: r.IntN(2) == 0, CheckQuorum: r.IntN(2) == 0}
	if s.Raft.CheckQuorum || g.chance(0.3) {
		s.Raft.LeaseMS = ptr(hb * float64(2+r.IntN(5)))
	}
	s.Raft.VoteLease = []string{"", scenario.VoteLeaseFixed, scenario.VoteLeaseOwnTimer}[r.IntN(3)]
	if g.chance(0.35) {
		s.Raft.ProposalIntervalMS = g.between(10, 200)
	}
	base := math.Round(math.Exp(g.between(math.Log(0.2), math.Log(40)))*1000) / 1000
	s.Network.Default = scenario.Link{BaseDelayMS: ptr(base), Jitter: g.jitter(base)}
	if g.chance(0.35) {
		s.Network.Default.Loss = ptr(g.between(0.001, 0.2))
	}
	if s.Nodes > 1 && g.chance(0.25) {
		for range 1 + r.IntN(2) {
			from := r.IntN(s.Nodes)
			to := (from + 1 + r.IntN(s.Nodes-1)) % s.Nodes
			b := g.between(0, 3*base+1)
			s.Network.Links = append(s.Network.Links, scenario.LinkRule{From: from, To: to,
				Link: scenario.Link{BaseDelayMS: &b, Jitter: &dist.Spec{Dist: "uniform", MinMS: ptr(0.0), MaxMS: ptr(g.between(0, base+1))}}})
		}
	}
	if g.chance(0.5) {
		at := 0.0
		for i := range 1 + r.IntN(3) {
			reg := scenario.Regime{AtS: math.Round(at*100) / 100, ID: 10 + i, DelayScale: ptr(g.between(0.5, 3))}
			switch r.IntN(3) {
			case 0: // calm: no loss, bounded jitter
				reg.Loss = ptr(0.0)
				reg.Jitter = &dist.Spec{Dist: "uniform", MinMS: ptr(0.0), MaxMS: ptr(g.between(0, base+1))}
			case 1:
				reg.Loss = ptr(g.between(0, 0.3))
			}
			s.Network.Regimes = append(s.Network.Regimes, reg)
			at += g.between(0.5, s.DurationS/2)
			if at >= s.DurationS {
				break
			}
		}
	}
	if g.chance(0.25) {
		b := &scenario.Bursts{MeanGoodS: g.between(1, 5), MeanBadMS: g.between(50, 500), Loss: g.between(0.1, 0.8)}
		if g.chance(0.5) {
			b.ExtraDelay = &dist.Spec{Dist: "exponential", MeanMS: ptr(g.between(1, 50))}
		}
		s.Network.Bursts = b
	}
	if g.chance(0.25) {
		for n := range s.Nodes {
			if g.chance(0.5) {
				d := dist.Spec{Dist: "uniform", MinMS: ptr(0.0), MaxMS: ptr(g.between(0, 5))}
				if g.chance(0.3) {
					d = dist.Spec{Dist: "exponential", MeanMS: ptr(g.between(0.05, 2))}
				}
				s.Processing = append(s.Processing, scenario.Processing{Node: n, Delay: d})
			}
		}
	}
	if g.chance(0.25) {
		p := scenario.Pause{Gap: &dist.Spec{Dist: "exponential", MeanMS: ptr(g.between(300, 3000))},
			Duration: &dist.Spec{Dist: "uniform", MinMS: ptr(1.0), MaxMS: ptr(g.between(2, 300))}}
		if s.Nodes > 1 && g.chance(0.5) {
			p.Nodes = r.Perm(s.Nodes)[:1+r.IntN(s.Nodes-1)]
		}
		s.Pauses = []scenario.Pause{p}
	}
	g.partitions(s)
	for range r.IntN(4) {
		c := scenario.Crash{Node: scenario.LeaderTarget, AtS: g.between(0, s.DurationS)}
		if g.chance(0.4) {
			c.Node = fmt.Sprint(r.IntN(s.Nodes))
		}
		if g.chance(0.7) {
			c.RestartAfterMS = ptr(g.between(50, 3000))
		}
		if g.chance(0.5) {
			c.Phase = "heartbeat"
		}
		if g.chance(0.25) {
			c.Repeat = &scenario.Repeat{Count: 2 + r.IntN(3), EveryS: min(g.between(0.3, 3), s.DurationS)}
		}
		if g.chance(0.3) {
			c.Mode = scenario.CrashSleep
		}
		if s.Nodes > 1 && g.chance(0.3) {
			c.LaggingFollowers = 1 + r.IntN(s.Nodes-1)
			c.Uncommitted = c.LaggingFollowers > s.Nodes-(s.Nodes/2+1)
		}
		s.Crashes = append(s.Crashes, c)
	}
	g.deployment(s)
	if fe := s.Validate(); fe != nil {
		panic(fmt.Sprintf("swarm: case %d generated an invalid scenario: %v", seed, fe))
	}
	return s
}

// deployment draws the settings that model real deployments: the
// paper's timer-reset rule, a disk on the election path (sometimes one
// slow node, sometimes with a tail), timer noise (bounded or not).
func (g *gen) deployment(s *scenario.Scenario) {
	r := g.r
	if g.chance(0.3) {
		s.Raft.TimerReset = scenario.TimerResetPaper
	}
	if g.chance(0.3) {
		st := &scenario.Storage{Fsync: &dist.Spec{Dist: "uniform", MinMS: ptr(0.0), MaxMS: ptr(g.between(0.1, 20))}}
		if g.chance(0.3) {
			st.Fsync = &dist.Spec{Dist: "lognormal", MedianMS: ptr(g.between(0.1, 5)), Sigma: ptr(g.between(0.1, 1))}
		}
		if g.chance(0.3) {
			st.Nodes = []scenario.NodeFsync{{Node: r.IntN(s.Nodes), Fsync: dist.Spec{Dist: "constant", ValueMS: ptr(g.between(1, 40))}}}
		}
		s.Storage = st
	}
	if g.chance(0.3) {
		t := &scenario.Transport{Default: scenario.Stream}
		if g.chance(0.5) {
			t.Heartbeat = scenario.Datagram // Dynatune's UDP heartbeats
		}
		s.Network.Transport = t
		if g.chance(0.5) {
			s.Network.RTOMS = ptr(g.between(10, 300))
		}
	}
	if g.chance(0.15) {
		// A measured network: a trace of the default layer's delay and an
		// empirical jitter, both generated here (a file's content, read).
		base := *s.Network.Default.BaseDelayMS
		tr := &measured.Trace{HasLoss: g.chance(0.5)}
		at := 0.0
		for at < s.DurationS {
			p := measured.Point{TUS: int64(at * 1e6), DelayMS: g.between(base/2, base*2), Loss: -1}
			if tr.HasLoss {
				p.Loss = g.between(0, 0.1)
			}
			tr.Points = append(tr.Points, p)
			at += g.between(0.2, 3)
		}
		d := &s.Network.Default
		d.BaseDelayMS, d.Trace, d.Measured = nil, "swarm.csv", tr
		if tr.HasLoss {
			d.Loss = nil
		}
		if len(tr.Points) > 1 && g.chance(0.5) {
			d.TraceEnd = scenario.TraceRepeat
		}
		samples := make([]float64, 1+r.IntN(50))
		for i := range samples {
			samples[i] = g.between(0, base+1)
		}
		d.Jitter = &dist.Spec{Dist: "empirical", File: "swarm.txt", Samples: samples}
	}
	if g.chance(0.3) {
		s.NodesTimerJitter = &dist.Spec{Dist: "uniform", MinMS: ptr(0.0), MaxMS: ptr(g.between(0.1, 10))}
		if g.chance(0.3) {
			s.NodesTimerJitter = &dist.Spec{Dist: "exponential", MeanMS: ptr(g.between(0.1, 3))}
		}
	}
}

// deploymentBounds is the longest fsync and the longest timer noise (ms)
// a case's settings can draw; ok is false when either has no bound, or
// when a stream may carry a message lost before a calm period into it
// (retransmissions with doubling timeouts, and everything behind them on
// the stream, can then outlast any election bound).
func deploymentBounds(s *scenario.Scenario) (fsyncMS, noiseMS float64, ok bool) {
	if v, h, a := s.Streams(); (v || h || a) && mayLose(s) {
		return 0, 0, false
	}
	if st := s.Storage; st != nil {
		for n := range s.Nodes {
			m, ok := bounded(s.FsyncSpec(n))
			if !ok {
				return 0, 0, false
			}
			fsyncMS = max(fsyncMS, m)
		}
	}
	if s.NodesTimerJitter != nil {
		m, ok := bounded(s.NodesTimerJitter)
		if !ok {
			return 0, 0, false
		}
		noiseMS = m
	}
	return fsyncMS, noiseMS, true
}

// mayLose reports whether any message of s can be lost: link, trace,
// regime, burst or turbulence loss.
func mayLose(s *scenario.Scenario) bool {
	lossy := func(l *scenario.Link) bool {
		if l.Measured != nil && l.Measured.HasLoss {
			for _, p := range l.Measured.Points {
				if p.Loss > 0 {
					return true
				}
			}
		}
		return l.Loss != nil && *l.Loss > 0
	}
	if lossy(&s.Network.Default) || s.Network.Bursts != nil {
		return true
	}
	for i := range s.Network.Regimes {
		if lossy(&s.Network.Regimes[i].Link) {
			return true
		}
	}
	for i := range s.Network.Links {
		if lossy(&s.Network.Links[i].Link) {
			return true
		}
	}
	for i := range s.Network.RegionPairs {
		if lossy(&s.Network.RegionPairs[i].Link) {
			return true
		}
	}
	for i := range s.Partitions {
		if t := s.Partitions[i].Turbulence; t != nil && t.Loss > 0 {
			return true
		}
	}
	return false
}

// partitions adds up to three partitions one after the other (they must
// not overlap), each isolating nodes, splitting the cluster into groups,
// or isolating the leader, sometimes repeated, sometimes with turbulence.
func (g *gen) partitions(s *scenario.Scenario) {
	r := g.r
	at := g.between(0, s.DurationS/2)
	for range r.IntN(4) {
		if at >= s.DurationS || s.Nodes < 2 {
			return
		}
		p := scenario.Partition{AtS: at, DurationS: g.between(0.1, 4)}
		switch r.IntN(3) {
		case 0:
			p.Isolate = r.Perm(s.Nodes)[:1+r.IntN(s.Nodes-1)]
		case 1:
			perm := r.Perm(s.Nodes)
			cut := 1 + r.IntN(s.Nodes-1)
			p.Groups = [][]int{perm[:cut]}
			if rest := perm[cut:]; len(rest) > 1 && g.chance(0.5) {
				k := 1 + r.IntN(len(rest)-1)
				p.Groups = append(p.Groups, rest[:k])
			}
		default:
			p.IsolateLeader = true
		}
		if g.chance(0.35) {
			p.Turbulence = &scenario.Turbulence{DurationMS: g.between(50, 2000), Loss: g.between(0, 0.5)}
			if g.chance(0.5) {
				p.Turbulence.ExtraDelay = &dist.Spec{Dist: "uniform", MinMS: ptr(0.0), MaxMS: ptr(g.between(1, 100))}
			}
		}
		end := at + p.DurationS
		if every := p.DurationS + g.between(0.2, 3); every <= s.DurationS && g.chance(0.25) {
			p.Repeat = &scenario.Repeat{Count: 2 + r.IntN(3), EveryS: every}
			end = at + float64(p.Repeat.Count-1)*p.Repeat.EveryS + p.DurationS
		}
		if p.Turbulence != nil {
			end += p.Turbulence.DurationMS / 1000
		}
		s.Partitions = append(s.Partitions, p)
		at = end + g.between(0.1, 3)
	}
}

// delayBounds maps each calm regime's id to its largest one-way delay
// (ms), processing included: a regime is calm when no link loses messages
// and every delay has a bound. Without regimes the default network is
// regime 0.
func (g *gen) delayBounds(s *scenario.Scenario) map[int]float64 {
	procMS := 0.0
	for i := range s.Processing {
		m, ok := bounded(&s.Processing[i].Delay)
		if !ok {
			return nil
		}
		procMS = max(procMS, m)
	}
	regimes := s.Network.Regimes
	if len(regimes) == 0 {
		regimes = []scenario.Regime{{ID: 0}}
	}
	out := map[int]float64{}
	for _, reg := range regimes {
		def := s.Network.Default
		if reg.BaseDelayMS != nil {
			def.BaseDelayMS = reg.BaseDelayMS
		}
		if reg.Jitter != nil {
			def.Jitter = reg.Jitter
		}
		if reg.Loss != nil {
			def.Loss = reg.Loss
		}
		scale := 1.0
		if reg.DelayScale != nil {
			scale = *reg.DelayScale
		}
		if def.Loss != nil && *def.Loss > 0 {
			continue
		}
		worst, ok := bounded(def.Jitter)
		if !ok {
			continue
		}
		if tr := def.Measured; tr != nil {
			// The trace's largest delay; its loss counts unless the regime
			// sets one.
			baseMS, lossy := 0.0, false
			for _, p := range tr.Points {
				baseMS = max(baseMS, p.DelayMS)
				lossy = lossy || p.Loss > 0
			}
			if lossy && def.Loss == nil {
				continue
			}
			worst += baseMS
		} else {
			worst += *def.BaseDelayMS
		}
		for _, l := range s.Network.Links {
			j, _ := bounded(l.Jitter) // link rules always have bounded jitter here
			worst = max(worst, *l.BaseDelayMS+j)
		}
		out[reg.ID] = worst*scale + procMS
	}
	return out
}
