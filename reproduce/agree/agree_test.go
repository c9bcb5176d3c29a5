package agree

import (
	"math"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		e    float64
		want Dir
	}{
		{-0.5, Down}, {-0.0501, Down}, {-0.05, Flat}, {0, Flat}, {0.05, Flat}, {0.0501, Up}, {3, Up},
		{math.NaN(), Undefined}, {math.Inf(1), Undefined},
	} {
		if got := Classify(c.e); got != c.want {
			t.Errorf("Classify(%v) = %v, want %v", c.e, got, c.want)
		}
	}
}

func TestEffect(t *testing.T) {
	if got := Effect(150, 100); got != 0.5 {
		t.Errorf("Effect(150, 100) = %v", got)
	}
	if got := Effect(50, 100); got != -0.5 {
		t.Errorf("Effect(50, 100) = %v", got)
	}
	if got := Effect(0, 0); got != 0 {
		t.Errorf("Effect(0, 0) = %v, want 0 (no change)", got)
	}
	if got := Effect(1, 0); !math.IsNaN(got) {
		t.Errorf("Effect(1, 0) = %v, want NaN (no relative change from 0)", got)
	}
	// A negative reference (a delta) keeps the sign meaning "x is larger".
	if got := Effect(-1, -2); got != 0.5 {
		t.Errorf("Effect(-1, -2) = %v, want 0.5", got)
	}
}

// TestCompare pins the rule on the cases the report meets: Table 1's
// bandit_safe against random (both large reductions), a direction that
// flips, a size that differs by more than 2x, and two flat effects.
func TestCompare(t *testing.T) {
	for _, c := range []struct {
		name            string
		pub, ours       float64
		direction, size bool
	}{
		{"same direction and size", -0.86, -0.60, true, true},
		{"same direction, 3x smaller", -0.60, -0.20, true, false},
		{"exactly 2x", -0.40, -0.20, true, true},
		{"opposite", -0.30, 0.30, false, false},
		{"pub flat, ours down", 0.03, -0.20, false, false},
		{"both flat", 0.04, -0.04, true, true},
		{"undefined", math.NaN(), 0.1, false, false},
	} {
		v := Compare(c.pub, c.ours)
		if v.Direction != c.direction || v.Size != c.size {
			t.Errorf("%s: Compare(%v, %v) = direction %v size %v, want %v %v", c.name, c.pub, c.ours, v.Direction, v.Size, c.direction, c.size)
		}
	}
	if Compare(math.NaN(), 1).Defined() {
		t.Error("a verdict with a missing side must not count")
	}
}

func TestWithin(t *testing.T) {
	for _, c := range []struct {
		a, b float64
		want bool
	}{
		{1100, 600, true}, {1100, 500, false}, {0, 0, true}, {0, 1, false}, {-1, 1, false}, {math.NaN(), 1, false},
	} {
		if got := Within(c.a, c.b); got != c.want {
			t.Errorf("Within(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestSpearman(t *testing.T) {
	if got := Spearman([]float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}); got != 1 {
		t.Errorf("monotone: %v, want 1", got)
	}
	if got := Spearman([]float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}); got != -1 {
		t.Errorf("reversed: %v, want -1", got)
	}
	// Ties take their average rank: x ranks 1, 2.5, 2.5, 4.
	got := Spearman([]float64{1, 2, 2, 3}, []float64{1, 2, 3, 4})
	if math.Abs(got-0.9486832980505138) > 1e-12 {
		t.Errorf("ties: %v", got)
	}
	if got := Spearman([]float64{1, math.NaN(), 3}, []float64{1, 2, 3}); !math.IsNaN(got) {
		t.Errorf("two pairs left: %v, want NaN", got)
	}
}

// TestJudge works the verdict rule through hand-made counts, at and beside
// each threshold.
func TestJudge(t *testing.T) {
	for _, c := range []struct {
		size, direction, checks int
		want                    Outcome
	}{
		{0, 0, 0, NotComparable},         // nothing to compare
		{1, 1, 1, Reproduced},            // a single claim that holds
		{0, 0, 1, NotReproduced},         // ... and one that does not
		{9, 9, 10, Reproduced},           // exactly 90 % in size
		{63, 63, 70, Reproduced},         // 90 % again, where 0.9*70 rounds above 63 in floating point
		{8, 10, 10, Partly},              // every direction, too few sizes
		{0, 5, 10, Partly},               // exactly half in direction
		{4, 4, 9, NotReproduced},         // just under half
		{2, 2, 18, NotReproduced},        // Table 6's quick run: chance level
		{55 + 3, 58 + 3, 64, Reproduced}, // Table 1's quick run: 55/60 sizes, 3/4 claims
		{1 + 1, 8 + 1, 15, Partly},       // the blog: directions mostly agree, sizes not
	} {
		if got := Judge(c.size, c.direction, c.checks); got != c.want {
			t.Errorf("Judge(%d, %d, %d) = %v, want %v", c.size, c.direction, c.checks, got, c.want)
		}
	}
	var names []string
	for _, o := range Outcomes {
		names = append(names, o.String())
	}
	if got := strings.Join(names, ", "); got != "reproduced, partly, not reproduced, not comparable" {
		t.Errorf("Outcomes: %s", got)
	}
}
