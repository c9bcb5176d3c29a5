package policies

import (
	"fmt"
	"github.com/ballast-bench/ballast/policies/policy"
	"math/rand/v2"
)

// quantileRing is how many recent heartbeat gaps the decayed quantile
// weighs (ours). At the default decay 0.95 the oldest kept sample weighs
// 0.95^63 = 4 % of the newest, so the truncation hardly matters.
const quantileRing = 64

// fallbackHeartbeatUS stands in for the heartbeat interval if an
// observation carries none (the engine always sets it; 50 ms is every
// built-in scenario's interval).
const fallbackHeartbeatUS = 50_000

// decayWeights are decay^age for age 0 (the newest sample) to
// quantileRing-1, with their prefix sums.
type decayWeights struct {
	pow, cum [quantileRing]float64
}

func newDecayWeights(decay float64) *decayWeights {
	w := &decayWeights{}
	v, s := 1.0, 0.0
	for i := range w.pow {
		w.pow[i] = v
		s += v
		w.cum[i] = s
		v *= decay
	}
	return w
}

// gapQuantile is a decayed online quantile of the gaps between consecutive
// heartbeats from the same leader in the same term.
//
// The BALLAST paper (section 6.1) describes quantile_decay as "a decayed
// online quantile estimate from observed heartbeat delays" without the
// estimator. Ours: the p-quantile of the last quantileRing gaps, the i-th
// newest weighted decay^i, i.e. the smallest gap g such that the weights of
// the gaps <= g reach p times the total weight. It is exact (no stochastic
// approximation), so it can be checked by hand. We use inter-arrival gaps,
// not one-way delays: a gap includes the delay's jitter and every lost
// heartbeat, and on a LAN a one-way delay of a fraction of a millisecond
// would put the deadline below the heartbeat interval.
type gapQuantile struct {
	p float64
	w *decayWeights

	vals  [quantileRing]int64 // gaps by arrival slot
	order [quantileRing]uint8 // the first n slots, sorted by value
	n     int
	next  int     // the slot the next gap overwrites
	qUS   float64 // the current quantile; 0 before the first gap

	lastUS     int64 // -1: no heartbeat since start or restart
	lastLeader int
	lastTerm   uint64
}

func newGapQuantile(p float64, w *decayWeights) gapQuantile {
	return gapQuantile{p: p, w: w, lastUS: -1}
}

// observe takes one heartbeat.
func (g *gapQuantile) observe(hb *policy.Heartbeat) {
	if g.lastUS >= 0 && hb.Leader == g.lastLeader && hb.Term == g.lastTerm && hb.NowUS >= g.lastUS {
		g.add(hb.NowUS - g.lastUS)
	}
	g.lastUS, g.lastLeader, g.lastTerm = hb.NowUS, hb.Leader, hb.Term
}

// restarted forgets the last arrival, so downtime is not a gap.
func (g *gapQuantile) restarted() { g.lastUS = -1 }

// add inserts a gap, keeping order sorted, and recomputes the quantile;
// O(quantileRing), no allocation.
func (g *gapQuantile) add(x int64) {
	x = min(max(x, 0), policy.MaxSampleUS)
	slot := uint8(g.next)
	if g.n == quantileRing { // drop the slot being overwritten from order
		i := 0
		for g.order[i] != slot {
			i++
		}
		copy(g.order[i:g.n-1], g.order[i+1:g.n])
		g.n--
	}
	g.vals[slot] = x
	i := g.n // insert after every value <= x
	for i > 0 && g.vals[g.order[i-1]] > x {
		i--
	}
	copy(g.order[i+1:g.n+1], g.order[i:g.n])
	g.order[i] = slot
	g.n++
	g.next = (g.next + 1) % quantileRing
	g.qUS = g.quantile()
}

// quantile returns the smallest gap whose cumulative weight (in ascending
// order) reaches p of the total. For p > 1/2 it walks down from the
// largest gap instead, stopping once the weight above the next gap exceeds
// (1-p) of the total: the same gap, in fewer steps for the high quantiles
// the policies use.
func (g *gapQuantile) quantile() float64 {
	newest := g.next - 1
	if newest < 0 {
		newest += quantileRing
	}
	weight := func(s uint8) float64 {
		age := newest - int(s)
		if age < 0 {
			age += quantileRing
		}
		return g.w.pow[age]
	}
	total := g.w.cum[g.n-1]
	target := g.p * total
	if g.p > 0.5 {
		// above is the weight of the gaps above order[k-1]; order[k-1]
		// still qualifies while total - above >= target.
		above := 0.0
		for k := g.n - 1; k > 0; k-- {
			above += weight(g.order[k])
			if total-above < target {
				return float64(g.vals[g.order[k]])
			}
		}
		return float64(g.vals[g.order[0]])
	}
	cum := 0.0
	for _, s := range g.order[:g.n] {
		cum += weight(s)
		if cum >= target {
			return float64(g.vals[s])
		}
	}
	return float64(g.vals[g.order[g.n-1]]) // rounding at p = 1
}

// baseUS is the quantile, or the configured heartbeat interval before the
// first gap (what a node knows before it measured anything).
func (g *gapQuantile) baseUS(o *policy.Observation) float64 {
	if g.qUS > 0 {
		return g.qUS
	}
	if o.HeartbeatUS > 0 {
		return float64(o.HeartbeatUS)
	}
	return fallbackHeartbeatUS
}

// quantileDecay draws from [mult_lo, mult_hi] times the decayed quantile.
type quantileDecay struct {
	multLo, multHi, minJitterUS float64
	rng                         *rand.Rand
	g                           gapQuantile
}

func (q *quantileDecay) Deadline(o *policy.Observation) policy.Decision {
	b := q.g.baseUS(o)
	return policy.Decision{DeadlineUS: drawRange(q.rng, q.multLo*b, q.multHi*b, q.minJitterUS), Arm: -1}
}

func (q *quantileDecay) ElectionDone(policy.ElectionResult) {}
func (q *quantileDecay) OnHeartbeat(hb *policy.Heartbeat)   { q.g.observe(hb) }
func (q *quantileDecay) Restarted()                         { q.g.restarted() }

// Quantile parameters shared by quantile_decay and bandit_qdecay.
var paramQuantileDecay = Param{Name: "decay", Default: []float64{0.95}, Provenance: Ours,
	Doc: "weight ratio of consecutive heartbeat gaps in the decayed quantile (the newest weighs 1)", Min: 0.01, Max: 1}

func multParam(lo, hi float64) Param {
	return Param{Name: "mult", Default: []float64{lo, hi}, Provenance: Paper,
		Doc: "the deadline range as multiples of the gap quantile (Table A.11)", Min: 0.01, Max: 1000}
}

func quantileP(def float64) Param {
	return Param{Name: "p", Default: []float64{def}, Provenance: Paper,
		Doc: "quantile of the heartbeat gaps (Table A.11)", Min: 0, Max: 1}
}

func multRange(p Params) (float64, float64, error) {
	m := p.Nums("mult")
	if m[1] < m[0] {
		return 0, 0, fmt.Errorf("mult %v: the upper multiple is below the lower; allowed: mult_lo <= mult_hi", m)
	}
	return m[0], m[1], nil
}

func init() {
	Register(&Spec{
		Name: "quantile_decay",
		Doc:  "a decayed online quantile (p) of heartbeat gaps scales the deadline range by [mult_lo, mult_hi]",
		Params: []Param{
			quantileP(0.9),
			multParam(3, 10),
			paramQuantileDecay,
			paramMinJitter,
		},
		New: func(p Params) (policy.Factory, error) {
			lo, hi, err := multRange(p)
			if err != nil {
				return nil, err
			}
			w := newDecayWeights(p.Scalar("decay"))
			qp, jit := p.Scalar("p"), msToUS(p.Scalar("min_jitter_ms"))
			return func(_ int, rng *rand.Rand) policy.Policy {
				return &quantileDecay{multLo: lo, multHi: hi, minJitterUS: jit, rng: rng, g: newGapQuantile(qp, w)}
			}, nil
		},
	})
}
