package policies

import (
	"github.com/ballast-bench/ballast/policies/policy"
	"math"
	"math/rand/v2"
)

// featureCapMS caps every raw context feature (ten minutes, like the
// observer's samples), so x'A^-1 x stays far from overflow whatever a node
// observed.
const featureCapMS = 600_000

// banditConfig is one run's bandit configuration, shared read-only by the
// nodes' policies.
type banditConfig struct {
	set      *ArmSet
	d        int // context features: 5 (full) or 3 (hb_only)
	alpha    float64
	lambda   float64
	discount float64
	window   int // > 0: sliding window instead of discounting

	beta, gamma float64 // reward shaping

	safety   bool
	safeF    int // consecutive failures that enter cooldown
	cooldown int // cooldown_elections

	minJitterUS    float64
	resetOnRestart bool

	ts      bool // Thompson sampling instead of UCB
	tsScale float64

	// Absolute arms, µs.
	loUS, hiUS [MaxArms]float64
	// Relative arms (bandit_qdecay): factor times [multLo, multHi] times
	// the decayed gap quantile.
	relative       bool
	multLo, multHi float64
	qp             float64
	qw             *decayWeights
}

// reward is the shaped reward of BALLAST section 4.3,
//
//	r = 1[success] - beta * latency_ms - gamma * split_vote,
//
// with success = the node won and split_vote = the attempt timed out
// without a leader (election_failed, the paper's split-vote proxy). An
// attempt that ended by stepping down (another leader, a higher term, a
// rejection) is neither (our reading: the node did not win, and no split
// vote was observed).
func (c *banditConfig) reward(res policy.ElectionResult) float64 {
	r := -c.beta * finiteNonNeg(float64(res.LatencyUS)/1000, featureCapMS)
	switch res.Outcome {
	case policy.Won:
		r += 1
	case policy.TimedOut:
		r -= c.gamma
	}
	return r
}

// decision is a context and the arm played in it.
type decision struct {
	x   [MaxFeatures]float64
	arm int
	ok  bool
}

// bandit is BALLAST (bandit_safe) and its variants: a per-node linear
// bandit over timeout arms with the safety wrapper of section 4.5.
//
// Learning: the model is updated only when an election attempt of this node
// ends (ElectionDone), never at follower deadline resets (sections 4.3 and
// 8.3). The attempt is credited to the decision whose deadline fired and
// started it: for a first attempt the follower's last decision, for a retry
// the previous attempt's decision. Forced-safe decisions are credited too:
// they were played, so they are data.
//
// Safety: when an attempt times out and the consecutive-failure counter
// reaches F, cooldown is set to cooldown_elections; while cooldown > 0 every
// deadline reset plays the safe arm; each election this node wins lowers
// cooldown by one ("otherwise it persists"). The counter is the engine's
// (ConsecutiveFailures: timed-out attempts since the node last won or
// heard a new leader), plus the timeout being reported.
type bandit struct {
	cfg *banditConfig
	rng *rand.Rand
	lin linUCB

	fails    int
	cooldown int

	last      decision // the decision in force (the timer's)
	attempt   decision // the decision that started the running attempt
	inAttempt bool

	aliveSinceUS int64 // first reset after start or restart, -1 before
	g            gapQuantile
}

func newBandit(c *banditConfig, rng *rand.Rand) *bandit {
	b := &bandit{cfg: c, rng: rng, aliveSinceUS: -1}
	b.lin.init(len(c.set.Arms), c.d, c.lambda, c.discount, c.window)
	if c.relative {
		b.g = newGapQuantile(c.qp, c.qw)
	}
	return b
}

// context fills x with BALLAST's context (section 4.2, raw ms plus a bias,
// no normalisation): [1, heartbeat inter-arrival mean, its std, time since
// the last heartbeat, consecutive failures]. Before any heartbeat since
// (re)start, the time since the last heartbeat counts from the (re)start.
func (b *bandit) context(o *policy.Observation, x *[MaxFeatures]float64) {
	x[0] = 1
	x[1] = finiteNonNeg(o.InterArrivalMeanUS/1000, featureCapMS)
	x[2] = finiteNonNeg(o.InterArrivalStdUS/1000, featureCapMS)
	if b.cfg.d == 3 {
		return
	}
	since := o.SinceHeartbeatUS
	if since < 0 {
		since = o.NowUS - b.aliveSinceUS
	}
	x[3] = finiteNonNeg(float64(since)/1000, featureCapMS)
	x[4] = finiteNonNeg(float64(o.ConsecutiveFailures), featureCapMS)
}

func (b *bandit) Deadline(o *policy.Observation) policy.Decision {
	if b.aliveSinceUS < 0 {
		b.aliveSinceUS = o.NowUS
	}
	b.fails = max(o.ConsecutiveFailures, 0)
	if (o.Role == policy.Candidate || o.Role == policy.PreCandidate) && !b.inAttempt {
		// The timer just fired: the decision in force started this attempt.
		b.attempt, b.inAttempt = b.last, true
	}
	var x [MaxFeatures]float64
	b.context(o, &x)
	arm := b.cfg.set.Safe
	if b.cooldown == 0 {
		if c := b.choose(&x); c >= 0 {
			arm = c
		}
	}
	b.last = decision{x: x, arm: arm, ok: true}
	return policy.Decision{DeadlineUS: b.draw(arm, o), Arm: arm}
}

// choose is LinUCB, or linear Thompson sampling: arm a's sampled reward
// theta~_a'x with theta~_a ~ N(theta_a, ts_scale^2 A_a^-1) is normal with
// mean theta_a'x and std ts_scale*sqrt(x'A_a^-1 x), so one standard normal
// per arm (from the node's stream) samples it exactly without a Cholesky
// factor of A_a^-1. Ties go to the lowest index either way.
func (b *bandit) choose(x *[MaxFeatures]float64) int {
	if !b.cfg.ts {
		return b.lin.chooseUCB(x, b.cfg.alpha)
	}
	best, bestScore := -1, math.Inf(-1)
	for arm := 0; arm < b.lin.k; arm++ {
		mean, w2 := b.lin.estimate(arm, x)
		s := mean + b.cfg.tsScale*math.Sqrt(w2)*b.rng.NormFloat64()
		if s > bestScore && !math.IsInf(s, 0) {
			best, bestScore = arm, s
		}
	}
	return best
}

func (b *bandit) draw(arm int, o *policy.Observation) int64 {
	c := b.cfg
	if !c.relative {
		return drawRange(b.rng, c.loUS[arm], c.hiUS[arm], c.minJitterUS)
	}
	base := b.g.baseUS(o) * c.set.Arms[arm].Factor
	return drawRange(b.rng, c.multLo*base, c.multHi*base, c.minJitterUS)
}

func (b *bandit) ElectionDone(res policy.ElectionResult) {
	if b.inAttempt && b.attempt.ok {
		b.lin.update(b.attempt.arm, &b.attempt.x, b.cfg.reward(res))
	}
	switch res.Outcome {
	case policy.TimedOut:
		b.fails++
		if b.cfg.safety && b.fails >= b.cfg.safeF {
			b.cooldown = b.cfg.cooldown
		}
		// The retry starts now, from the decision that just fired.
		b.attempt, b.inAttempt = b.last, true
	case policy.Won:
		b.fails = 0
		if b.cooldown > 0 {
			b.cooldown--
		}
		b.inAttempt = false
	default:
		b.inAttempt = false
	}
}

// InSafeMode implements SafetyMode.
func (b *bandit) InSafeMode() bool { return b.cooldown > 0 }

// Restarted implements Restarter. A crash ends any attempt without an
// outcome. With reset_on_restart the learner and the wrapper forget
// everything (section A.8's cold start); by default policy state survives
// (section 5: restarts "do not reset in-memory policy state by default").
func (b *bandit) Restarted() {
	b.inAttempt = false
	b.aliveSinceUS = -1
	b.g.restarted()
	if b.cfg.resetOnRestart {
		b.lin.reset()
		b.cooldown, b.fails = 0, 0
		b.last = decision{}
	}
}

// qdecayBandit is bandit_qdecay: a bandit whose relative arms scale the
// decayed gap quantile, fed from raw heartbeats. The other bandits do not
// implement HeartbeatObserver, so the engine does not hand them heartbeats.
type qdecayBandit struct{ *bandit }

// OnHeartbeat implements HeartbeatObserver.
func (q qdecayBandit) OnHeartbeat(hb *policy.Heartbeat) { q.g.observe(hb) }

// Bandit parameters. Each default is stated once, here.
var (
	paramAlpha = Param{Name: "alpha", Default: []float64{1.0}, Provenance: Inferred,
		Doc: "LinUCB exploration coefficient (ablations 0.2 and 2.0)", Min: 0, Max: 1000}
	paramLambda = Param{Name: "lambda", Default: []float64{1.0}, Provenance: Inferred,
		Doc: "ridge prior A = lambda*I", Min: 1e-6, Max: 1e6}
	paramStats = Param{Name: "stats", Choices: []string{"discounted", "window"}, DefaultChoice: "discounted", Provenance: Paper,
		Doc: "non-stationarity handling: discounted statistics or a sliding window (section 4.4)"}
	paramDiscount = Param{Name: "discount", Default: []float64{0.99}, Provenance: Inferred,
		Doc: "discount per update with stats=discounted (ablations 0.95, 0.995)", Min: 0.5, Max: 1}
	paramWindow = Param{Name: "window", Default: []float64{100}, Provenance: Inferred,
		Doc: "updates kept with stats=window (ablations 100, 400)", Min: 1, Max: 4096, Integer: true}
	paramBeta = Param{Name: "beta", Default: []float64{0.002}, Provenance: Inferred,
		Doc: "reward penalty per ms of election latency (500 ms offsets one success)", Min: 0, Max: 10}
	paramGamma = Param{Name: "gamma", Default: []float64{1.0}, Provenance: Inferred,
		Doc: "reward penalty of a split vote (a timed-out attempt)", Min: 0, Max: 100}
	paramSafety = Param{Name: "safety", Choices: onOff, DefaultChoice: "on", Provenance: Paper,
		Doc: "the safety wrapper of section 4.5 (off: the no_safe_exploration ablation)"}
	paramSafeF = Param{Name: "safe_f", Default: []float64{3}, Provenance: Inferred,
		Doc: "F: consecutive failures that enter cooldown (ablations 2, 4)", Min: 1, Max: 1000, Integer: true}
	paramCooldown = Param{Name: "cooldown_elections", Default: []float64{2}, Provenance: Paper,
		Doc: "won elections that end a cooldown (section 4.5)", Min: 0, Max: 1000, Integer: true}
	paramResetOnRestart = Param{Name: "reset_on_restart", Choices: onOff, DefaultChoice: "off", Provenance: Paper,
		Doc: "forget the model and the wrapper state when the node restarts (section A.8)"}
	paramContext = Param{Name: "context", Choices: []string{"full", "hb_only"}, DefaultChoice: "full", Provenance: Paper,
		Doc: "context features: full [1, hb mean, hb std, since hb, failures] or hb_only [1, hb mean, hb std] (ablation ctx_hb_only)"}
	paramTSScale = Param{Name: "ts_scale", Default: []float64{1.5}, Provenance: Paper,
		Doc: "posterior scale of Thompson sampling (Table A.11)", Min: 0, Max: 1000}
)

// banditParams is the parameter list of a bandit policy: arms, jitter and
// the exploration parameter (alpha for UCB, ts_scale for Thompson
// sampling) are per policy, the rest shared.
func banditParams(arms, explore, jitter Param, extra ...Param) []Param {
	ps := []Param{arms, explore, paramLambda, paramStats, paramDiscount, paramWindow,
		paramBeta, paramGamma, paramSafety, paramSafeF, paramCooldown, jitter, paramResetOnRestart, paramContext}
	return append(ps, extra...)
}

// newBanditConfig builds the shared configuration from resolved params.
func newBanditConfig(p Params) *banditConfig {
	c := &banditConfig{
		set:            armSet(p.Choice("arms")),
		d:              5,
		lambda:         p.Scalar("lambda"),
		discount:       p.Scalar("discount"),
		beta:           p.Scalar("beta"),
		gamma:          p.Scalar("gamma"),
		safety:         p.Choice("safety") == "on",
		safeF:          int(p.Scalar("safe_f")),
		cooldown:       int(p.Scalar("cooldown_elections")),
		minJitterUS:    msToUS(p.Scalar("min_jitter_ms")),
		resetOnRestart: p.Choice("reset_on_restart") == "on",
	}
	if _, ok := p["alpha"]; ok {
		c.alpha = p.Scalar("alpha")
	}
	if _, ok := p["ts_scale"]; ok {
		c.ts, c.tsScale = true, p.Scalar("ts_scale")
	}
	if p.Choice("stats") == "window" {
		c.window = int(p.Scalar("window"))
	}
	if p.Choice("context") == "hb_only" {
		c.d = 3
	}
	for i := range c.set.Arms {
		c.loUS[i], c.hiUS[i] = armRangeUS(&c.set.Arms[i])
	}
	return c
}

func banditFactory(c *banditConfig) policy.Factory {
	if c.relative {
		return func(_ int, rng *rand.Rand) policy.Policy { return qdecayBandit{newBandit(c, rng)} }
	}
	return func(_ int, rng *rand.Rand) policy.Policy { return newBandit(c, rng) }
}

func init() {
	Register(&Spec{
		Name:   "bandit_safe",
		Doc:    "BALLAST: per-node LinUCB over timeout arms, shaped reward on candidate elections, safety cooldown",
		Params: banditParams(armsParam("main3", Ours, isAbsolute), paramAlpha, paramMinJitter),
		New: func(p Params) (policy.Factory, error) {
			return banditFactory(newBanditConfig(p)), nil
		},
	})
	Register(&Spec{
		Name:   "bandit_ts_safe",
		Doc:    "discounted linear Thompson sampling over the arms, with BALLAST's reward and safety wrapper",
		Params: banditParams(armsParam("main3", Ours, isAbsolute), paramTSScale, paramMinJitter),
		New: func(p Params) (policy.Factory, error) {
			return banditFactory(newBanditConfig(p)), nil
		},
	})
	Register(&Spec{
		Name: "bandit_safe_ln",
		Doc:  "bandit_safe with the arms shifted up and a larger minimum jitter (section A.6, large N)",
		Params: banditParams(armsParam("shifted3", Inferred, isAbsolute), paramAlpha,
			Param{Name: "min_jitter_ms", Default: []float64{50}, Provenance: Ours,
				Doc: "minimum width of a sampled range (larger than bandit_safe's, section A.6)", Min: 0, Max: 60_000}),
		New: func(p Params) (policy.Factory, error) {
			return banditFactory(newBanditConfig(p)), nil
		},
	})
	Register(&Spec{
		Name: "bandit_qdecay",
		Doc:  "LinUCB over relative multiplier arms on quantile_decay's range (quantile-anchored BALLAST, section 4.1)",
		Params: banditParams(armsParam("rel3", Ours, isRelative), paramAlpha, paramMinJitter,
			quantileP(0.95), multParam(3, 9), paramQuantileDecay),
		New: func(p Params) (policy.Factory, error) {
			lo, hi, err := multRange(p)
			if err != nil {
				return nil, err
			}
			c := newBanditConfig(p)
			c.relative, c.multLo, c.multHi = true, lo, hi
			c.qp, c.qw = p.Scalar("p"), newDecayWeights(p.Scalar("decay"))
			return banditFactory(c), nil
		},
	})
}
