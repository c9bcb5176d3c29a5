package policies

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"unsafe"

	"github.com/ballast-bench/ballast/policies/lstm"
	"github.com/ballast-bench/ballast/policies/policy"
)

// neurosym is the neuro-symbolic timeout of the blog post
// [neurosym-post] (docs/sources.md): a small LSTM reads one step of
// low-overhead signals per heartbeat and predicts how long the next
// heartbeat may take; a symbolic layer of explicit rules bounds every
// decision. The post's numbers are unverified claims; this policy is how the
// harness tests them.
//
// Neural layer. The post's signals are "last_heartbeat_latency,
// log_replication_gap, RPC_retry_count, node_cpu_idle_pct". Ours are what
// the simulator really provides a follower (NeurosymFeatures): the
// heartbeat's one-way delay, the gap since the previous heartbeat of the
// same leader, heartbeats missed (sequence-number gaps), whether the leader
// or term changed, the RTT the leader measured and piggybacked, the
// volatility of the recent gaps, term churn (terms skipped: the election
// retries the node saw), and the node's own load (its handling time of the
// last message). Durations enter as log1p(d / heartbeat interval). The
// network (package lstm; 8 inputs, 60 hidden units, 2 outputs: 16,682
// parameters, the post's "just 17K") predicts the 0.5- and 0.99-quantiles
// of log(next gap / heartbeat interval), trained with the pinball loss by
// 'ballast train neurosym' on tuning seeds. A follower's deadline range is
// mult × the predicted 0.99-quantile gap.
//
// Symbolic layer. Every decision, whatever the network said, passes these
// rules in order; each sets its bit in the guardrail row the engine logs
// when it changed the decision:
//
//	fallback      (16) no heartbeat seen since start, or a non-finite
//	                   prediction: use retry_ms, standard Raft's range
//	after_failure  (8) while the node's elections fail, and for cooldown_ms
//	                   after one failed, the floor is quorum_min_ms (the
//	                   post: "IF candidate_state == pre-vote AND
//	                   quorum_nodes_unreachable > N/2 THEN maintain
//	                   timeout_min = 150ms"; a failed attempt is what a node
//	                   sees of an unreachable quorum)
//	floor          (1) never below max(min_ms, min_hb_ratio × heartbeat):
//	                   "NEVER reduce timeout below safety threshold"
//	ceiling        (2) never above max_ms
//	jitter         (4) the range is at least min_jitter_ms wide (widened
//	                   upwards), so nodes do not time out together
//
// A (pre-)candidate or a leader uses retry_ms (with the rules): the network
// predicts heartbeat gaps, which only a follower has.
type neurosym struct {
	cfg  *nsConfig
	rng  *rand.Rand
	cell *lstm.Cell
	feat Features
	x    [NeurosymInputs]float64

	stepped    bool  // a heartbeat step since start or restart
	lastFailUS int64 // time of the last failed election; -1 none
	rules      uint32
	loUS, hiUS float64 // the last decision's range, after the rules
}

// The guardrail bits (the value of a guardrail row).
const (
	RuleFloor        uint32 = 1
	RuleCeiling      uint32 = 2
	RuleJitter       uint32 = 4
	RuleAfterFailure uint32 = 8
	RuleFallback     uint32 = 16
)

// RuleNames names the guardrail bits, lowest bit first.
var RuleNames = []string{"floor", "ceiling", "jitter", "after_failure", "fallback"}

type nsConfig struct {
	weights            *lstm.Weights
	trainedOn          []uint64 // sorted
	path               string
	mult0, mult1       float64
	minUS, minHBRatio  float64
	maxUS, minJitterUS float64
	quorumMinUS        float64
	cooldownUS         float64
	retryLoUS          float64
	retryHiUS          float64
}

func (p *neurosym) Deadline(o *policy.Observation) policy.Decision {
	c := p.cfg
	p.rules = 0
	if p.feat.Next(o, p.x[:]) {
		p.cell.Step(p.x[:])
		p.stepped = true
	}
	unit := unitUS(o)
	// A campaign's range doubles with each consecutive failure (at most
	// 2^maxBackoff times), so contenders spread apart as in the backoff
	// baseline; the rules below cap it.
	scale := math.Ldexp(1, min(o.ConsecutiveFailures, maxBackoff))
	lo, hi := c.retryLoUS*scale, c.retryHiUS*scale
	if o.Role == policy.Follower {
		if q := p.cell.Output(NeurosymOutHigh); p.stepped && !math.IsNaN(q) && !math.IsInf(q, 0) {
			g := unit * math.Exp(min(q, 50)) // exp(50) heartbeats: beyond any ceiling
			lo, hi = c.mult0*g, c.mult1*g
		} else {
			p.rules |= RuleFallback
		}
	}
	// The symbolic layer.
	floor := max(c.minUS, c.minHBRatio*unit)
	failFloor := floor
	if o.ConsecutiveFailures > 0 || (p.lastFailUS >= 0 && float64(o.NowUS-p.lastFailUS) < c.cooldownUS) {
		failFloor = max(floor, c.quorumMinUS)
	}
	top := c.maxUS - c.minJitterUS // the highest lo that leaves room for the jitter
	floor, failFloor = min(floor, top), min(failFloor, top)
	if lo < failFloor {
		if lo < floor || failFloor == floor {
			p.rules |= RuleFloor
		}
		if failFloor > floor {
			p.rules |= RuleAfterFailure
		}
		lo = failFloor
	}
	if hi > c.maxUS {
		hi = c.maxUS
		p.rules |= RuleCeiling
	}
	if lo > top {
		lo = top
		p.rules |= RuleCeiling
	}
	if hi-lo < c.minJitterUS {
		hi = lo + c.minJitterUS
		p.rules |= RuleJitter
	}
	p.loUS, p.hiUS = lo, hi
	l, h := int64(math.Ceil(lo)), int64(math.Floor(hi))
	d := l
	if h > l {
		d += p.rng.Int64N(h - l)
	}
	return policy.Decision{DeadlineUS: d, Arm: -1}
}

// maxBackoff caps the doubling of a campaign's range (64 times).
const maxBackoff = 6

// unitUS is the heartbeat interval the features are measured in.
func unitUS(o *policy.Observation) float64 {
	if o.HeartbeatUS > 0 {
		return float64(o.HeartbeatUS)
	}
	return fallbackHeartbeatUS
}

func (p *neurosym) ElectionDone(r policy.ElectionResult) {
	if r.Outcome == policy.TimedOut {
		p.lastFailUS = r.NowUS
	}
}

func (p *neurosym) OnHeartbeat(hb *policy.Heartbeat) { p.feat.Heartbeat(hb) }

// Rules implements Explainer.
func (p *neurosym) Rules() uint32 { return p.rules }

// Restarted forgets everything held in memory: the network's state and
// the heartbeat history (a restarted process reloads only its weights).
func (p *neurosym) Restarted() {
	p.cell.Reset()
	p.feat = Features{}
	p.stepped = false
	p.lastFailUS = -1
}

// The network's shape and outputs.
const (
	NeurosymInputs  = 8
	NeurosymHidden  = 60
	NeurosymOutLow  = 0 // the 0.5-quantile of log(next gap / heartbeat)
	NeurosymOutHigh = 1 // the 0.99-quantile
)

// NeurosymShape is the LSTM of the neurosym policy.
var NeurosymShape = lstm.Shape{In: NeurosymInputs, Hidden: NeurosymHidden, Out: 2}

// NeurosymQuantiles are the quantile levels of the outputs.
var NeurosymQuantiles = []float64{0.5, 0.99}

// NeurosymFeatures names the inputs, in order. A weights file records
// them; loading refuses a file trained on other features.
var NeurosymFeatures = []string{"delay", "gap", "missed", "new_leader", "rtt", "gap_std", "term_churn", "load"}

// Features turns the heartbeats a follower receives into the network's
// input steps, one per heartbeat. The trainer uses it too, so training and
// inference see the same numbers.
type Features struct {
	pending bool
	hb      policy.Heartbeat // the heartbeat not yet turned into a step

	have       bool // a previous step exists
	prevUS     int64
	prevSeq    uint64
	prevLeader int
	prevTerm   uint64
}

// Heartbeat records a heartbeat; the next call of Next turns it into a step.
func (f *Features) Heartbeat(hb *policy.Heartbeat) {
	f.hb = *hb
	f.pending = true
}

// Next writes the step of the heartbeat recorded since the last call into
// x (len NeurosymInputs) and returns true, or returns false if none was.
// The engine resets the timer right after each heartbeat, so a step is
// taken at the decision that follows it.
func (f *Features) Next(o *policy.Observation, x []float64) bool {
	if !f.pending {
		return false
	}
	f.pending = false
	hb := &f.hb
	unit := unitUS(o)
	units := func(us float64) float64 { return math.Log1p(finiteNonNeg(us, policy.MaxSampleUS) / unit) }
	same := f.have && hb.Leader == f.prevLeader && hb.Term == f.prevTerm
	gap, missed, churn := 0.0, 0.0, 0.0
	if same {
		gap = float64(hb.NowUS - f.prevUS)
		if hb.Seq > f.prevSeq {
			missed = float64(hb.Seq - f.prevSeq - 1)
		}
	}
	if f.have && hb.Term > f.prevTerm {
		churn = float64(hb.Term - f.prevTerm)
	}
	x[0] = units(float64(hb.NowUS - hb.SentUS))
	x[1] = units(gap)
	x[2] = math.Log1p(missed)
	x[3] = 0
	if !same {
		x[3] = 1
	}
	x[4] = 0
	if hb.LeaderRTTUS >= 0 {
		x[4] = units(float64(hb.LeaderRTTUS))
	}
	x[5] = units(o.InterArrivalStdUS)
	x[6] = math.Log1p(churn)
	x[7] = units(float64(o.LoadUS))
	f.have, f.prevUS, f.prevSeq, f.prevLeader, f.prevTerm = true, hb.NowUS, hb.Seq, hb.Leader, hb.Term
	return true
}

// Step describes the heartbeat of the last step Next took: the trainer
// needs it to compute targets.
func (f *Features) Step() (atUS int64, leader int, term uint64) {
	return f.prevUS, f.prevLeader, f.prevTerm
}

func init() {
	Register(&Spec{
		Name: "neurosym",
		Doc:  "a 17K-parameter LSTM predicting the next heartbeat gap, bounded by explicit logged rules (neuro-symbolic post)",
		Params: []Param{
			{Name: "weights", File: true, DefaultFile: "configs/tuned/neurosym.weights.json", Provenance: Ours,
				Doc: "trained weights, written by 'ballast train neurosym EXPERIMENT'"},
			{Name: "mult", Default: []float64{2, 4}, Provenance: Ours, Doc: "the follower's deadline range as multiples of the predicted 0.99-quantile gap", Min: 0.01, Max: 1000},
			{Name: "min_ms", Default: []float64{100}, Provenance: Ours, Doc: "floor rule: never below this", Min: 1, Max: 3_600_000},
			{Name: "min_hb_ratio", Default: []float64{2}, Provenance: Ours, Doc: "floor rule: never below this many heartbeat intervals (one lost heartbeat must not fire the timer)", Min: 0, Max: 1000},
			{Name: "max_ms", Default: []float64{5000}, Provenance: Ours, Doc: "ceiling rule: never above this", Min: 1, Max: 3_600_000},
			{Name: "quorum_min_ms", Default: []float64{150}, Provenance: Paper, Doc: "after_failure rule: the floor while elections fail (the post's timeout_min = 150ms)", Min: 1, Max: 3_600_000},
			{Name: "cooldown_ms", Default: []float64{5000}, Provenance: Ours, Doc: "after_failure rule: how long the raised floor lasts after a failed election", Min: 0, Max: 3_600_000},
			{Name: "retry_ms", Default: []float64{150, 300}, Provenance: Ours, Doc: "range of a (pre-)candidate, and of a follower without prediction (standard Raft)", Min: 1, Max: 3_600_000},
			paramMinJitter,
		},
		New:      newNeurosym,
		CheckRun: neurosymCheckRun,
	})
}

func newNeurosym(p Params) (policy.Factory, error) {
	w, err := LoadNeurosymWeights(p.Choice("weights"))
	if err != nil {
		return nil, err
	}
	m, retry := p.Nums("mult"), p.Nums("retry_ms")
	if m[1] < m[0] {
		return nil, fmt.Errorf("mult %v: the upper multiple is below the lower; allowed: mult_lo <= mult_hi", m)
	}
	if retry[1] < retry[0] {
		return nil, fmt.Errorf("retry_ms %v: the upper end is below the lower; allowed: lo <= hi", retry)
	}
	c := &nsConfig{
		weights: w.net.Weights32(), trainedOn: w.trainedSeeds(), path: p.Choice("weights"),
		mult0: m[0], mult1: m[1],
		minUS: msToUS(p.Scalar("min_ms")), minHBRatio: p.Scalar("min_hb_ratio"),
		maxUS: msToUS(p.Scalar("max_ms")), minJitterUS: msToUS(p.Scalar("min_jitter_ms")),
		quorumMinUS: msToUS(p.Scalar("quorum_min_ms")), cooldownUS: msToUS(p.Scalar("cooldown_ms")),
		retryLoUS: msToUS(retry[0]), retryHiUS: msToUS(retry[1]),
	}
	if c.maxUS < c.minUS+c.minJitterUS {
		return nil, fmt.Errorf("max_ms %v leaves no room above min_ms %v plus min_jitter_ms %v; allowed: max_ms >= min_ms + min_jitter_ms",
			p.Scalar("max_ms"), p.Scalar("min_ms"), p.Scalar("min_jitter_ms"))
	}
	return func(_ int, rng *rand.Rand) policy.Policy {
		return &neurosym{cfg: c, rng: rng, cell: lstm.NewCell(c.weights), lastFailUS: -1}
	}, nil
}

// neurosymCheckRun refuses a report run on a seed the weights were trained
// or validated on: the post's claims must be tested on unseen runs.
func neurosymCheckRun(p Params, seed uint64, seedSet string) error {
	if seedSet != "report" {
		return nil
	}
	w, err := LoadNeurosymWeights(p.Choice("weights"))
	if err != nil {
		return err
	}
	if _, found := slices.BinarySearch(w.trainedSeeds(), seed); found {
		path, _, _ := strings.Cut(p.Choice("weights"), "@")
		return fmt.Errorf("report seed %d was used to train %s; allowed: report seeds disjoint from the training experiment's tuning seeds", seed, path)
	}
	return nil
}

// NeurosymBytesPerNode counts the memory one node's policy holds: its own
// float32 copy of the weights (as a real node loads one), the LSTM state
// and scratch, and the policy's and its configuration's fields.
func NeurosymBytesPerNode(net *lstm.Net) int {
	w := net.Weights32()
	c := lstm.NewCell(w)
	return w.Bytes() + c.StateBytes() + int(unsafe.Sizeof(lstm.Weights{})+unsafe.Sizeof(lstm.Cell{})+
		unsafe.Sizeof(neurosym{})+unsafe.Sizeof(nsConfig{}))
}
