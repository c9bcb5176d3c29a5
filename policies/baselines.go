package policies

import (
	"fmt"
	"github.com/ballast-bench/ballast/policies/policy"
	"math"
	"math/rand/v2"
)

// armRange samples one absolute arm of a set.
type armRange struct {
	loUS, hiUS, minJitterUS float64
}

func newArmRange(a *Arm, minJitterUS float64) armRange {
	lo, hi := armRangeUS(a)
	return armRange{lo, hi, minJitterUS}
}

func (a *armRange) draw(rng *rand.Rand) int64 { return drawRange(rng, a.loUS, a.hiUS, a.minJitterUS) }

// --- static_conservative ------------------------------------------------------

// staticConservative always plays the safe arm of its set (BALLAST section
// 6.1's static_conservative; with arms=main3 the range is A3). It reports
// no arm: nothing is decided, and a policy_decision row per reset would
// only grow the log.
type staticConservative struct {
	r   armRange
	rng *rand.Rand
}

func (s *staticConservative) Deadline(*policy.Observation) policy.Decision {
	return policy.Decision{DeadlineUS: s.r.draw(s.rng), Arm: -1}
}
func (s *staticConservative) ElectionDone(policy.ElectionResult) {}

// --- backoff ------------------------------------------------------------------

// backoff multiplies a base range by factor^k after k consecutive failed
// elections and returns to the base range once the node wins or hears a new
// leader (k is the engine's ConsecutiveFailures, which resets on both). The
// scale is capped so the range's upper end stays at most cap_ms.
type backoff struct {
	loUS, hiUS, factor, capUS, minJitterUS float64
	rng                                    *rand.Rand
}

// scale is min(factor^k, cap_ms/max_ms), at least 1; the comparison in
// logarithms keeps a huge k from overflowing.
func (b *backoff) scale(k int) float64 {
	limit := max(b.capUS/b.hiUS, 1)
	if k <= 0 || b.factor <= 1 {
		return 1
	}
	if float64(k)*math.Log(b.factor) >= math.Log(limit) {
		return limit
	}
	return min(math.Pow(b.factor, float64(k)), limit)
}

func (b *backoff) Deadline(o *policy.Observation) policy.Decision {
	s := b.scale(o.ConsecutiveFailures)
	return policy.Decision{DeadlineUS: drawRange(b.rng, b.loUS*s, b.hiUS*s, b.minJitterUS), Arm: -1}
}
func (b *backoff) ElectionDone(policy.ElectionResult) {}

// --- rtt_heuristic ----------------------------------------------------------------

// rttHeuristic picks arm 1, 2 or 3 of a 3-arm set by comparing the mean
// one-way heartbeat delay (the observer's window) with thr = [lo, hi] ms:
// below lo the aggressive arm, below hi the moderate one, else the
// conservative one. Before any heartbeat it plays the conservative arm
// (ours: no evidence that the network is fast).
type rttHeuristic struct {
	arms       [3]armRange
	loUS, hiUS float64
	rng        *rand.Rand
}

func (r *rttHeuristic) arm(o *policy.Observation) int {
	if o.DelayCount == 0 {
		return 2
	}
	switch d := o.DelayMeanUS; {
	case d < r.loUS:
		return 0
	case d < r.hiUS:
		return 1
	}
	return 2 // also NaN
}

func (r *rttHeuristic) Deadline(o *policy.Observation) policy.Decision {
	a := r.arm(o)
	return policy.Decision{DeadlineUS: r.arms[a].draw(r.rng), Arm: a}
}
func (r *rttHeuristic) ElectionDone(policy.ElectionResult) {}

// --- phi_accrual ----------------------------------------------------------------

// phiAccrual is the phi accrual failure detector (Hayashibara et al.,
// "The phi accrual failure detector", SRDS 2004) with normally distributed
// heartbeat inter-arrivals: phi(t) = -log10(1 - F(t)) where F is the normal
// CDF with the window's mean mu and std sigma, t the time since the last
// heartbeat. phi crosses a threshold Phi at t = mu + sigma*z(Phi) with
// z(Phi) = Qnorm(1 - 10^-Phi) = sqrt(2)*erfcinv(2*10^-Phi). The deadline is
// drawn uniformly between the crossing times of the two thresholds
// phi = [lo, hi], measured from the reset (a follower resets on each
// heartbeat). sigma is floored at min_std_ms, as Akka's implementation
// does, so perfectly regular heartbeats do not give a zero margin. Before
// two heartbeats arrived, mu and sigma are Akka's first-heartbeat estimate:
// the configured interval and a quarter of it.
//
// A detector only says when the leader is suspected; it has no answer for
// how long a campaign should wait for votes. A (pre-)candidate therefore
// draws from retry_ms (ours: standard Raft's range). Without it a WAN vote
// round trip longer than the phi horizon (about 80 ms with the
// first-heartbeat estimate) times out every campaign, and no leader is
// ever elected.
type phiAccrual struct {
	zLo, zHi, minStdUS, minJitterUS float64
	retryLoUS, retryHiUS            float64
	rng                             *rand.Rand
}

// phiZ is z(Phi) = sqrt(2)*erfcinv(2*10^-Phi).
func phiZ(phi float64) float64 { return math.Sqrt2 * math.Erfcinv(2*math.Pow(10, -phi)) }

func (p *phiAccrual) horizonUS(o *policy.Observation, z float64) float64 {
	mu, sigma := o.InterArrivalMeanUS, o.InterArrivalStdUS
	if o.InterArrivalCount < 2 || !(mu > 0) {
		mu = float64(o.HeartbeatUS)
		if !(mu > 0) {
			mu = fallbackHeartbeatUS
		}
		sigma = mu / 4
	}
	if !(sigma >= p.minStdUS) {
		sigma = p.minStdUS
	}
	return mu + sigma*z
}

func (p *phiAccrual) Deadline(o *policy.Observation) policy.Decision {
	if o.Role == policy.Candidate || o.Role == policy.PreCandidate {
		return policy.Decision{DeadlineUS: drawRange(p.rng, p.retryLoUS, p.retryHiUS, p.minJitterUS), Arm: -1}
	}
	return policy.Decision{DeadlineUS: drawRange(p.rng, p.horizonUS(o, p.zLo), p.horizonUS(o, p.zHi), p.minJitterUS), Arm: -1}
}
func (p *phiAccrual) ElectionDone(policy.ElectionResult) {}

// --- oracles ----------------------------------------------------------------------

// oracle maps the injected regime id to an arm (privileged information;
// BALLAST section 6.1). Regimes beyond the map play the safe arm.
type oracle struct {
	arms    []armRange
	mapping []int // regime id -> arm index
	safe    int
	rng     *rand.Rand
}

func (r *oracle) Deadline(o *policy.Observation) policy.Decision {
	a := r.safe
	if o.RegimeID >= 0 && o.RegimeID < len(r.mapping) {
		a = r.mapping[o.RegimeID]
	}
	return policy.Decision{DeadlineUS: r.arms[a].draw(r.rng), Arm: a}
}
func (r *oracle) ElectionDone(policy.ElectionResult) {}

func oracleSpec(name, doc string, mapping []float64, prov Provenance, mapDoc string) *Spec {
	return &Spec{
		Name: name,
		Doc:  doc,
		Params: []Param{
			armsParam("main3", Ours, isAbsolute),
			{Name: "map", Default: mapping, Provenance: prov, Doc: mapDoc, Min: 1, Max: MaxArms, Integer: true, MaxLen: 64},
			paramMinJitter,
		},
		New: func(p Params) (policy.Factory, error) {
			set := armSet(p.Choice("arms"))
			m := p.Nums("map")
			mapping := make([]int, len(m))
			for i, v := range m {
				if int(v) > len(set.Arms) {
					return nil, fmt.Errorf("map %v: arm %v does not exist in %s; allowed: 1 to %d", m, v, set.Name, len(set.Arms))
				}
				mapping[i] = int(v) - 1
			}
			jit := msToUS(p.Scalar("min_jitter_ms"))
			arms := make([]armRange, len(set.Arms))
			for i := range set.Arms {
				arms[i] = newArmRange(&set.Arms[i], jit)
			}
			return func(_ int, rng *rand.Rand) policy.Policy {
				return &oracle{arms: arms, mapping: mapping, safe: set.Safe, rng: rng}
			}, nil
		},
	}
}

func init() {
	Register(&Spec{
		Name:   "static_conservative",
		Doc:    "a fixed conservative range: the safe arm of the set (A3 of main3, 600-1200 ms)",
		Params: []Param{armsParam("main3", Ours, isAbsolute), paramMinJitter},
		New: func(p Params) (policy.Factory, error) {
			set := armSet(p.Choice("arms"))
			r := newArmRange(&set.Arms[set.Safe], msToUS(p.Scalar("min_jitter_ms")))
			return func(_ int, rng *rand.Rand) policy.Policy { return &staticConservative{r: r, rng: rng} }, nil
		},
	})
	Register(&Spec{
		Name: "backoff",
		Doc:  "a randomised range that grows by factor after each failed election and resets on success",
		Params: []Param{
			{Name: "min_ms", Default: []float64{150}, Provenance: Ours, Doc: "lower end of the base range (standard Raft)", Min: 1, Max: 3_600_000},
			{Name: "max_ms", Default: []float64{300}, Provenance: Ours, Doc: "upper end of the base range (standard Raft)", Min: 1, Max: 3_600_000},
			{Name: "factor", Default: []float64{2}, Provenance: Ours, Doc: "growth per consecutive failed election", Min: 1, Max: 100},
			{Name: "cap_ms", Default: []float64{4800}, Provenance: Ours, Doc: "the range's upper end never grows beyond this (16x the base)", Min: 1, Max: 3_600_000},
			paramMinJitter,
		},
		New: func(p Params) (policy.Factory, error) {
			lo, hi := p.Scalar("min_ms"), p.Scalar("max_ms")
			if hi < lo {
				return nil, fmt.Errorf("max_ms %v is below min_ms %v; allowed: max_ms >= min_ms", hi, lo)
			}
			b := backoff{loUS: msToUS(lo), hiUS: msToUS(hi), factor: p.Scalar("factor"),
				capUS: msToUS(p.Scalar("cap_ms")), minJitterUS: msToUS(p.Scalar("min_jitter_ms"))}
			return func(_ int, rng *rand.Rand) policy.Policy {
				c := b
				c.rng = rng
				return &c
			}, nil
		},
	})
	Register(&Spec{
		Name: "rtt_heuristic",
		Doc:  "picks A1/A2/A3 by thresholds thr=[lo, hi] on the mean one-way heartbeat delay",
		Params: []Param{
			armsParam("main3", Ours, func(s *ArmSet) bool { return isAbsolute(s) && len(s.Arms) == 3 }),
			{Name: "thr", Default: []float64{50, 200}, Provenance: Paper, Doc: "delay thresholds in ms between A1|A2 and A2|A3 (Table A.11)", Min: 0, Max: 3_600_000},
			paramMinJitter,
		},
		New: func(p Params) (policy.Factory, error) {
			set := armSet(p.Choice("arms"))
			thr := p.Nums("thr")
			if thr[1] < thr[0] {
				return nil, fmt.Errorf("thr %v: the upper threshold is below the lower; allowed: lo <= hi", thr)
			}
			jit := msToUS(p.Scalar("min_jitter_ms"))
			var r rttHeuristic
			for i := range r.arms {
				r.arms[i] = newArmRange(&set.Arms[i], jit)
			}
			r.loUS, r.hiUS = msToUS(thr[0]), msToUS(thr[1])
			return func(_ int, rng *rand.Rand) policy.Policy {
				c := r
				c.rng = rng
				return &c
			}, nil
		},
	})
	Register(&Spec{
		Name: "phi_accrual",
		Doc:  "phi accrual failure detector over heartbeat inter-arrivals; the deadline is when phi crosses the threshold",
		Params: []Param{
			{Name: "phi", Default: []float64{2.0, 3.0}, Provenance: Paper, Doc: "thresholds; the deadline is drawn between their crossing times (Table A.11)", Min: 0.01, Max: 15},
			{Name: "min_std_ms", Default: []float64{10}, Provenance: Ours, Doc: "floor of the inter-arrival std (a fifth of the 50 ms heartbeat)", Min: 0, Max: 3_600_000},
			{Name: "retry_ms", Default: []float64{150, 300}, Provenance: Ours, Doc: "a (pre-)candidate's deadline range: how long a campaign waits for votes (standard Raft)", Min: 1, Max: 3_600_000},
			paramMinJitter,
		},
		New: func(p Params) (policy.Factory, error) {
			phi := p.Nums("phi")
			if phi[1] < phi[0] {
				return nil, fmt.Errorf("phi %v: the upper threshold is below the lower; allowed: lo <= hi", phi)
			}
			retry := p.Nums("retry_ms")
			if retry[1] < retry[0] {
				return nil, fmt.Errorf("retry_ms %v: the upper end is below the lower; allowed: lo <= hi", retry)
			}
			a := phiAccrual{zLo: phiZ(phi[0]), zHi: phiZ(phi[1]), minStdUS: msToUS(p.Scalar("min_std_ms")),
				minJitterUS: msToUS(p.Scalar("min_jitter_ms")), retryLoUS: msToUS(retry[0]), retryHiUS: msToUS(retry[1])}
			return func(_ int, rng *rand.Rand) policy.Policy {
				c := a
				c.rng = rng
				return &c
			}, nil
		},
	})
	Register(oracleSpec("oracle_hint",
		"reads the injected regime id and plays the arm a hand-chosen map gives it (privileged baseline)",
		[]float64{1, 3}, Ours,
		"arm number (1 = A1) for regime id 0, 1, ...; other ids play the safe arm (hand-chosen: calm regime aggressive, degraded conservative)"))
	Register(oracleSpec("oracle_best_per_regime",
		"oracle_hint with the regime-to-arm map found by enumeration on tuning seeds (the search is the tuning issue's)",
		[]float64{2, 2}, Paper,
		"arm number (1 = A1) for regime id 0, 1, ...; other ids play the safe arm (Table A.11: 0->A2, 1->A2)"))
}
