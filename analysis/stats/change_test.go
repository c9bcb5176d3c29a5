package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSignFlipPExact(t *testing.T) {
	for _, c := range []struct {
		d    []float64
		want float64
		why  string
	}{
		// The eight sums of ±1 ±2 ±3 are ±6, ±4, ±2, 0, 0: two reach 6.
		{[]float64{1, 2, 3}, 2.0 / 8, "two of eight sign vectors reach |6|"},
		{[]float64{0, 0, 0, 0}, 1, "no change at all"},
		{[]float64{1, -1}, 1, "observed sum 0: every arrangement is as extreme"},
		{[]float64{5}, 1, "one pair: both signs reach |5|"},
		{[]float64{1, 1, 1, 1, 1}, 2.0 / 32, "the smallest p of five pairs"},
	} {
		if got := SignFlipP(c.d, 0, 1); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("SignFlipP(%v) = %v, want %v (%s)", c.d, got, c.want, c.why)
		}
	}
	if got := SignFlipP(nil, 0, 1); !math.IsNaN(got) {
		t.Errorf("SignFlipP(nil) = %v, want NaN", got)
	}
}

func TestSignFlipPSampled(t *testing.T) {
	// 20 equal positive differences: the exact p is 2/2^20; the sampled
	// test can only report 1/(1+B), never less.
	d := make([]float64, 20)
	for i := range d {
		d[i] = 1
	}
	if got, want := SignFlipP(d, 999, 7), 1.0/1000; got != want {
		t.Errorf("SignFlipP(20 ones, B=999) = %v, want %v", got, want)
	}
	// Same seed, same p; the observed sum 0 gives 1.
	d[0] = -19
	if a, b := SignFlipP(d, 999, 3), SignFlipP(d, 999, 3); a != b || a != 1 {
		t.Errorf("SignFlipP(sum 0) = %v, %v, want 1 twice", a, b)
	}
}

func TestPermutationP(t *testing.T) {
	// One value each: both labellings give |difference| 1.
	if got := PermutationP([]float64{0}, []float64{1}, 999, 1); got != 1 {
		t.Errorf("PermutationP(0 | 1) = %v, want 1", got)
	}
	// Three zeros against three ones: of the C(6,3) = 20 labellings, two
	// (the observed one and its mirror) reach |difference| 1, so p = 0.1.
	got := PermutationP([]float64{0, 0, 0}, []float64{1, 1, 1}, 40000, 1)
	if se := math.Sqrt(0.1 * 0.9 / 40000); math.Abs(got-0.1) > 4*se {
		t.Errorf("PermutationP(000 | 111) = %v, want 0.1 ± %.4f", got, 4*se)
	}
	if !math.IsNaN(PermutationP(nil, []float64{1}, 10, 1)) {
		t.Error("PermutationP with an empty side is not NaN")
	}
}

// TestTestsHoldTheirLevel draws many null samples (no change) and checks
// that each test rejects at about its level, never much more: the
// false-positive rate the comparison states.
func TestTestsHoldTheirLevel(t *testing.T) {
	const trials, alpha = 1000, 0.05
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{6, 20} {
		flips, perms := 0, 0
		for k := range trials {
			d := make([]float64, n)
			x, y := make([]float64, n), make([]float64, n)
			for i := range d {
				// Paired: a seed effect both share, plus noise; lognormal
				// noise so that the differences are not all alike.
				shared := r.NormFloat64() * 10
				x[i] = shared + math.Exp(r.NormFloat64())
				y[i] = shared + math.Exp(r.NormFloat64())
				d[i] = y[i] - x[i]
			}
			if SignFlipP(d, 499, uint64(k)) <= alpha {
				flips++
			}
			if PermutationP(x, y, 499, uint64(k)) <= alpha {
				perms++
			}
		}
		// Binomial(1000, 0.05): sd 0.0069; 0.075 is 3.6 sd above.
		for name, rejected := range map[string]int{"sign flip": flips, "permutation": perms} {
			rate := float64(rejected) / trials
			t.Logf("n = %d, %s test: %.3f of %d nulls rejected at %.2f", n, name, rate, trials, alpha)
			if rate > 0.075 {
				t.Errorf("n = %d, %s test: rejects %.3f of the nulls at level %.2f", n, name, rate, alpha)
			}
		}
	}
}

func TestChangePairedShift(t *testing.T) {
	// A constant shift: every paired resample has the same change.
	old := []float64{10, 20, 30, 40}
	new := []float64{15, 25, 35, 45}
	bs := Bootstrap{B: 2000}
	ch := bs.Change(old, new, true, 1)
	if ch.Delta.Mean != 5 || ch.Delta.Lo != 5 || ch.Delta.Hi != 5 {
		t.Errorf("paired shift: Delta = %+v, want 5 [5, 5]", ch.Delta)
	}
	if ch.Pct.Mean != 20 {
		t.Errorf("paired shift: Pct = %v, want 20 (5 of 25)", ch.Pct.Mean)
	}
	// Unpaired, the seed-to-seed spread makes the interval wide.
	un := bs.Change(old, new, false, 1)
	if !(un.Delta.Lo < 0 && un.Delta.Hi > 10) {
		t.Errorf("unpaired: Delta = %+v, want an interval around 5 wider than [0, 10]", un.Delta)
	}
	if ch0 := bs.Change([]float64{0, 0}, []float64{1, 1}, true, 1); !math.IsNaN(ch0.Pct.Mean) || !math.IsNaN(ch0.Pct.Lo) {
		t.Errorf("old mean 0: Pct = %+v, want NaN", ch0.Pct)
	}
}

// TestChangeMatchesIndependentBootstrap checks the paired interval against
// a bootstrap written here from its definition, with another generator:
// the two agree up to the resampling noise.
func TestChangeMatchesIndependentBootstrap(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	old, new := make([]float64, 30), make([]float64, 30)
	for i := range old {
		s := r.NormFloat64() * 50
		old[i] = 1000 + s + r.NormFloat64()*20
		new[i] = 950 + s + r.NormFloat64()*20
	}
	const b = 20000
	ref := make([]float64, b)
	rr := rand.New(rand.NewChaCha8([32]byte{9}))
	for k := range ref {
		so, sn := 0.0, 0.0
		for range old {
			i := rr.IntN(len(old))
			so += old[i]
			sn += new[i]
		}
		ref[k] = (sn - so) / float64(len(old))
	}
	slices.Sort(ref)
	lo, hi := Quantile(ref, 0.025), Quantile(ref, 0.975)
	bs := Bootstrap{B: b}
	ch := bs.Change(old, new, true, 1)
	if tol := (hi - lo) * 0.05; math.Abs(ch.Delta.Lo-lo) > tol || math.Abs(ch.Delta.Hi-hi) > tol {
		t.Errorf("paired Delta interval [%.3f, %.3f], independent bootstrap [%.3f, %.3f] (tolerance %.3f)", ch.Delta.Lo, ch.Delta.Hi, lo, hi, tol)
	}
}

func TestAdjust(t *testing.T) {
	nan := math.NaN()
	p := []float64{0.01, 0.04, nan, 0.03, 0.005}
	for _, c := range []struct {
		c    Correction
		want []float64
	}{
		// Sorted: 0.005, 0.01, 0.03, 0.04 (m = 4). Holm: 4(0.005), 3(0.01),
		// 2(0.03), max(that, 1(0.04)). BH from the top: 0.04, min(0.04,
		// 4/3 0.03), 4/2 0.01, min(0.02, 4 0.005).
		{Holm, []float64{0.03, 0.06, nan, 0.06, 0.02}},
		{BH, []float64{0.02, 0.04, nan, 0.04, 0.02}},
		{None, p},
	} {
		got := c.c.Adjust(p)
		for i := range got {
			if math.IsNaN(c.want[i]) != math.IsNaN(got[i]) || math.Abs(got[i]-c.want[i]) > 1e-12 {
				t.Errorf("%s: Adjust(%v) = %v, want %v", c.c, p, got, c.want)
				break
			}
		}
	}
}

func TestKS(t *testing.T) {
	for _, c := range []struct {
		a, b []float64
		want float64
	}{
		{[]float64{1, 2, 3}, []float64{1, 2, 3}, 0},
		{[]float64{1, 2}, []float64{3, 4}, 1},
		// F_a jumps at 1, 2, 3, 4; F_b at 2.5: the gap is largest at 2
		// (F_a 2/4, F_b 0) and at 2.5 (2/4 against 1).
		{[]float64{1, 2, 3, 4}, []float64{2.5}, 0.5},
		{[]float64{1, 1, 2}, []float64{1, 2, 2}, 1.0 / 3},
	} {
		if got := KS(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("KS(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestDiffMedian(t *testing.T) {
	median := func(s []float64) float64 { return Quantile(s, 0.5) }
	old := []float64{10, 11, 12, 13, 14, 15, 16, 17, 18}
	new := []float64{20, 21, 22, 23, 24, 25, 26, 27, 28}
	bs := Bootstrap{B: 2000}
	ci := bs.Diff(old, new, median, 1)
	if ci.Mean != 10 || ci.Lo > 10 || ci.Hi < 10 || ci.Lo < 4 || ci.Hi > 16 {
		t.Errorf("median difference %+v, want 10 within an interval around it", ci)
	}
}
