package policies

import (
	"math"
	"math/rand/v2"
)

// Bounds on every deadline a policy of this package returns. The engine
// rejects a non-positive deadline (a zero one would spin), and a huge one
// would silently stall a run; clampDeadline enforces both, whatever the
// observations were.
const (
	// MinDeadlineUS is one etcd tick (1 ms): no Raft timer is finer.
	MinDeadlineUS = 1_000
	// MaxDeadlineUS is one hour, the largest range a parameter may ask for.
	MaxDeadlineUS = 3_600_000_000
)

// clampDeadline turns a deadline computed in floating point into a valid
// one. NaN maps to the minimum (!(x >= min) is true for NaN).
func clampDeadline(us float64) int64 {
	if !(us >= MinDeadlineUS) {
		return MinDeadlineUS
	}
	if us > MaxDeadlineUS {
		return MaxDeadlineUS
	}
	return int64(us)
}

// drawRange draws a deadline uniformly from the integer µs in [loUS, hiUS),
// the way standard Raft randomises its timeout (Raft paper section 5.2).
// A range narrower than minJitterUS is first widened to that width around
// its midpoint: BALLAST's anti-alignment guard (paper section A.7, "enforce
// a minimum jitter width when sampling from narrow ranges"). One draw from
// rng per call whenever the range is non-empty, so streams stay aligned.
func drawRange(rng *rand.Rand, loUS, hiUS, minJitterUS float64) int64 {
	if !(hiUS >= loUS) { // also catches NaN
		hiUS = loUS
	}
	if w := hiUS - loUS; w < minJitterUS {
		mid := loUS + w/2
		loUS, hiUS = mid-minJitterUS/2, mid+minJitterUS/2
	}
	lo, hi := clampDeadline(math.Round(loUS)), clampDeadline(math.Round(hiUS))
	if hi > lo {
		return lo + rng.Int64N(hi-lo)
	}
	return lo
}

// msToUS converts a parameter in ms to µs.
func msToUS(ms float64) float64 { return math.Round(ms * 1000) }

// finiteNonNeg maps NaN, ±Inf and negative values to 0 and caps the rest:
// observations come from the engine and are finite, but a policy must not
// turn a surprising input into a NaN deadline.
func finiteNonNeg(v, capV float64) float64 {
	if !(v > 0) {
		return 0
	}
	return min(v, capV)
}

// Shared parameters: each default lives here, once.
var (
	// paramMinJitter is the jitter floor of every range-sampling policy
	// except random and static, whose ranges are theirs alone (they are
	// the standard-Raft references).
	paramMinJitter = Param{Name: "min_jitter_ms", Default: []float64{10}, Provenance: Ours,
		Doc: "minimum width of a sampled range; narrower ranges widen around their midpoint (anti-alignment guard, section A.7)",
		Min: 0, Max: 60_000}
)

// armsParam is the arm-set choice of an arm-based policy.
func armsParam(def string, prov Provenance, keep func(*ArmSet) bool) Param {
	return Param{Name: "arms", Choices: armSetNames(keep), DefaultChoice: def, Provenance: prov,
		Doc: "arm set from configs/arms.yaml"}
}

// onOff is a boolean choice parameter.
var onOff = []string{"off", "on"}
