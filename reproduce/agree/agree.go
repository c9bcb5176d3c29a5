// Package agree is the rule by which the reproduction report says whether
// our numbers agree with a paper's: in direction, and roughly in size. It
// knows nothing about tables or files; it compares numbers.
//
// The rule (also stated in every REPORT.md):
//
//   - An effect is a relative change against a reference: (x - ref) / ref
//     for a method against the table's reference row (random, Raft, base,
//     ...), or a printed percent change (Tables 6, A.12, A.13) divided by
//     100. Relative changes make the papers' absolute times, which depend on
//     network parameters nobody published, comparable with ours.
//   - An effect is classified down (< -Band), flat (within ±Band) or up
//     (> +Band), Band = 5 %. Differences smaller than that are within the
//     seed-to-seed noise of 10-30 seed means and the papers' rounding.
//   - Direction agrees when both effects fall in the same class.
//   - Size agrees when the direction agrees and either both are flat or the
//     larger of the two effects is at most Factor = 2 times the smaller.
//   - For absolute values (no reference), the magnitude agrees when our value
//     is within a factor of 2 of the published one. This is reported for
//     orientation only: absolute times follow from scenario parameters the
//     papers lost or never gave.
//
// Each artifact (a table or figure of a source) gets a verdict from its
// checks: every effect with both sides defined, and every claim of the
// text (a claim agrees in direction and size when it holds). Absolute
// magnitudes and rank correlations are for orientation and do not count.
//
//   - reproduced: at least 90 % of the checks agree in direction and size;
//   - partly: otherwise, at least half agree in direction;
//   - not reproduced: fewer than half agree even in direction;
//   - not comparable: no check (nothing published to compare, or every
//     effect undefined).
package agree

import (
	"cmp"
	"math"
	"slices"
)

// Band is the half-width of the "flat" class, as a relative change.
const Band = 0.05

// Factor is how far apart two effects (or two absolute values) of the same
// direction may be and still "agree in size".
const Factor = 2.0

// Dir is the class of an effect.
type Dir int

const (
	Undefined Dir = iota // NaN: one side is missing
	Down
	Flat
	Up
)

func (d Dir) String() string {
	switch d {
	case Down:
		return "down"
	case Flat:
		return "flat"
	case Up:
		return "up"
	}
	return "n/a"
}

// Classify puts a relative change into its class.
func Classify(effect float64) Dir {
	switch {
	case math.IsNaN(effect) || math.IsInf(effect, 0):
		return Undefined
	case effect < -Band:
		return Down
	case effect > Band:
		return Up
	}
	return Flat
}

// Effect is the relative change of x against ref: (x - ref) / ref; 0 when
// both are 0, NaN when ref is 0 and x is not (no relative change exists) or
// either is NaN.
func Effect(x, ref float64) float64 {
	switch {
	case math.IsNaN(x) || math.IsNaN(ref):
		return math.NaN()
	case x == ref:
		return 0
	case ref == 0:
		return math.NaN()
	}
	return (x - ref) / math.Abs(ref)
}

// Verdict compares one published effect with ours.
type Verdict struct {
	Pub, Ours       float64 // the effects
	PubDir, OursDir Dir
	Direction       bool // same class
	Size            bool // same class and within Factor (or both flat)
}

// Defined reports whether both effects exist, so the verdict counts.
func (v Verdict) Defined() bool { return v.PubDir != Undefined && v.OursDir != Undefined }

// Compare applies the rule to a published and our effect.
func Compare(pub, ours float64) Verdict {
	v := Verdict{Pub: pub, Ours: ours, PubDir: Classify(pub), OursDir: Classify(ours)}
	if !v.Defined() {
		return v
	}
	v.Direction = v.PubDir == v.OursDir
	if v.Direction {
		v.Size = v.PubDir == Flat || Within(math.Abs(pub), math.Abs(ours))
	}
	return v
}

// Within reports whether a and b (same sign) are within Factor of each
// other; two zeros are.
func Within(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return false
	}
	if a == b {
		return true
	}
	if a == 0 || b == 0 || (a < 0) != (b < 0) {
		return false
	}
	r := a / b
	return r <= Factor && r >= 1/Factor
}

// Spearman is the rank correlation of two samples of equal length (ties
// get their average rank); NaN pairs are dropped first. NaN when fewer
// than 3 pairs remain or a side is constant.
func Spearman(x, y []float64) float64 {
	var a, b []float64
	for i := range x {
		if !math.IsNaN(x[i]) && !math.IsNaN(y[i]) {
			a, b = append(a, x[i]), append(b, y[i])
		}
	}
	if len(a) < 3 {
		return math.NaN()
	}
	ra, rb := ranks(a), ranks(b)
	return pearson(ra, rb)
}

func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int { return cmp.Compare(x[i], x[j]) })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = avg
		}
		i = j + 1
	}
	return r
}

func pearson(x, y []float64) float64 {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}

// Outcome is an artifact's verdict.
type Outcome int

const (
	NotComparable Outcome = iota
	NotReproduced
	Partly
	Reproduced
)

// Outcomes lists every verdict, best first (the order reports count them in).
var Outcomes = []Outcome{Reproduced, Partly, NotReproduced, NotComparable}

func (o Outcome) String() string {
	switch o {
	case Reproduced:
		return "reproduced"
	case Partly:
		return "partly"
	case NotReproduced:
		return "not reproduced"
	}
	return "not comparable"
}

// The verdict's thresholds, in percent of the checks: ReproducedPct must
// agree in direction and size, PartlyPct at least in direction. 90 % lets
// the odd cell of a large table change class through seed noise (the flat
// band is only ±5 %) without demoting the table; with three classes a
// guessed direction agrees about a third of the time, so agreement in fewer
// than half of the checks is no evidence that the effects carry over.
// Integers, so that a share exactly at a threshold is compared exactly.
const (
	ReproducedPct = 90
	PartlyPct     = 50
)

// Judge is the verdict on checks checks, of which size agree in direction
// and size and direction at least in direction (size <= direction <=
// checks).
func Judge(size, direction, checks int) Outcome {
	switch {
	case checks == 0:
		return NotComparable
	case 100*size >= ReproducedPct*checks:
		return Reproduced
	case 100*direction >= PartlyPct*checks:
		return Partly
	}
	return NotReproduced
}
