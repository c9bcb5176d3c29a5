package policies

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// linStep is one update of a LinUCB test sequence.
type linStep struct {
	arm int
	x   [MaxFeatures]float64
	r   float64
}

// randomContext draws a context with BALLAST's raw-ms magnitudes: bias,
// heartbeat mean ~40-80 ms, std ~0-30 ms, time since heartbeat 0-2 s,
// consecutive failures 0-5.
func randomContext(r *rand.Rand) [MaxFeatures]float64 {
	return [MaxFeatures]float64{1, 40 + 40*r.Float64(), 30 * r.Float64(), 2000 * r.Float64(), float64(r.IntN(6))}
}

func randomSteps(seed uint64, n, arms int) []linStep {
	r := rand.New(rand.NewPCG(seed, 99))
	steps := make([]linStep, n)
	for i := range steps {
		steps[i] = linStep{arm: r.IntN(arms), x: randomContext(r), r: -3 + 4*r.Float64()}
	}
	return steps
}

// ridgeReference computes, independently of the Sherman-Morrison code,
// each arm's A and b from their closed form with gonum: weight(s) is the
// weight of step s and prior the weight of lambda*I.
func ridgeReference(steps []linStep, arms, d int, lambda, prior float64, weight func(s int) float64) (as []*mat.Dense, bs []*mat.VecDense) {
	for a := 0; a < arms; a++ {
		A := mat.NewDense(d, d, nil)
		for i := 0; i < d; i++ {
			A.Set(i, i, prior*lambda)
		}
		b := mat.NewVecDense(d, nil)
		for s, st := range steps {
			w := weight(s)
			if st.arm != a || w == 0 {
				continue
			}
			x := mat.NewVecDense(d, st.x[:d])
			var xx mat.Dense
			xx.Outer(w, x, x)
			A.Add(A, &xx)
			b.AddScaledVec(b, w*st.r, x)
		}
		as, bs = append(as, A), append(bs, b)
	}
	return as, bs
}

// compareToReference checks theta'x and x'A^-1 x of the model against the
// reference for random probe contexts, and the inverse itself.
func compareToReference(t *testing.T, m *linUCB, as []*mat.Dense, bs []*mat.VecDense, probes int) {
	t.Helper()
	d := m.d
	r := rand.New(rand.NewPCG(5, 5))
	for a := range as {
		var inv mat.Dense
		if err := inv.Inverse(as[a]); err != nil { // LU, not Cholesky
			t.Fatal(err)
		}
		var theta mat.VecDense
		theta.MulVec(&inv, bs[a])
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				want, got := inv.At(i, j), m.ainv[a][i*d+j]
				if math.Abs(got-want) > 1e-7*(math.Abs(want)+1e-6) && math.Abs(got-want) > 1e-12 {
					t.Fatalf("arm %d: A^-1[%d][%d] = %g, closed form %g", a, i, j, got, want)
				}
			}
		}
		for p := 0; p < probes; p++ {
			x := randomContext(r)
			xv := mat.NewVecDense(d, x[:d])
			wantMean := mat.Dot(&theta, xv)
			wantW2 := mat.Inner(xv, &inv, xv)
			mean, w2 := m.estimate(a, &x)
			if math.Abs(mean-wantMean) > 1e-7*(1+math.Abs(wantMean)) {
				t.Errorf("arm %d probe %d: theta'x = %.12g, closed form %.12g", a, p, mean, wantMean)
			}
			if math.Abs(w2-wantW2) > 1e-7*wantW2 {
				t.Errorf("arm %d probe %d: x'A^-1x = %.12g, closed form %.12g", a, p, w2, wantW2)
			}
		}
	}
}

// TestLinUCBDiscountedMatchesClosedForm: after random updates the
// discounted model equals A_a = g^N lambda I + sum g^(N-s) x x',
// b_a = sum g^(N-s) r x, computed directly and inverted with gonum.
func TestLinUCBDiscountedMatchesClosedForm(t *testing.T) {
	for _, c := range []struct {
		n           int
		discount    float64
		lambda      float64
		arms        int
		description string
	}{
		{1, 0.99, 1, 3, "one update"},
		{40, 0.99, 1, 3, "before any refresh"},
		{300, 0.99, 1, 3, "across a refresh (every 256 updates)"},
		{300, 1, 0.5, 5, "no discount: plain ridge LinUCB"},
		{120, 0.95, 2, 3, "ablation discount 0.95"},
	} {
		t.Run(c.description, func(t *testing.T) {
			steps := randomSteps(uint64(c.n), c.n, c.arms)
			m := newLinUCB(c.arms, 5, c.lambda, c.discount, 0)
			for _, s := range steps {
				m.update(s.arm, &s.x, s.r)
			}
			N := len(steps)
			as, bs := ridgeReference(steps, c.arms, 5, c.lambda, math.Pow(c.discount, float64(N)), func(s int) float64 {
				return math.Pow(c.discount, float64(N-1-s)) // step s (0-based) is the (s+1)-th update
			})
			compareToReference(t, m, as, bs, 20)
		})
	}
}

// TestLinUCBPriorTopUp: with discounting the prior decays like data; when
// its weight falls below priorFloor*lambda it is topped back up to lambda
// (linucb.go). The reference follows that rule with direct sums.
func TestLinUCBPriorTopUp(t *testing.T) {
	const discount, lambda, n = 0.9, 1.0, 200 // 0.9^132 < 1e-6: one top-up
	steps := randomSteps(11, n, 3)
	m := newLinUCB(3, 5, lambda, discount, 0)
	// Reference: each update multiplies everything by discount; a top-up
	// adds (lambda - prior) to the prior's weight.
	prior, topups := lambda, 0
	weights := make([]float64, n)
	for s := range steps {
		m.update(steps[s].arm, &steps[s].x, steps[s].r)
		for i := 0; i < s; i++ {
			weights[i] *= discount
		}
		prior *= discount
		if prior < priorFloor*lambda {
			prior, topups = lambda, topups+1
		}
		weights[s] = 1
	}
	if topups != 1 {
		t.Fatalf("%d top-ups in the reference, want 1", topups)
	}
	as, bs := ridgeReference(steps, 3, 5, lambda, prior, func(s int) float64 { return weights[s] })
	compareToReference(t, m, as, bs, 20)
}

// TestLinUCBWindowMatchesClosedForm: the sliding window keeps the last W
// updates over all arms: A_a = lambda I + sum over those of arm a of x x'.
func TestLinUCBWindowMatchesClosedForm(t *testing.T) {
	for _, c := range []struct{ n, window int }{{30, 100}, {100, 100}, {101, 100}, {300, 100}, {700, 400}, {600, 7}} {
		t.Run(fmt.Sprintf("n=%d,W=%d", c.n, c.window), func(t *testing.T) {
			steps := randomSteps(uint64(c.n*7+c.window), c.n, 3)
			m := newLinUCB(3, 5, 1, 0.99, c.window) // the discount is ignored with a window
			for _, s := range steps {
				m.update(s.arm, &s.x, s.r)
			}
			first := max(0, c.n-c.window)
			as, bs := ridgeReference(steps, 3, 5, 1, 1, func(s int) float64 {
				if s >= first {
					return 1
				}
				return 0
			})
			compareToReference(t, m, as, bs, 20)
		})
	}
}

// TestLinUCBChoiceMatchesBruteForce: chooseUCB equals the argmax of
// theta_a'x + alpha sqrt(x'A_a^-1 x) computed from the closed form, with
// ties to the lowest index.
func TestLinUCBChoiceMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 42))
	for trial := 0; trial < 50; trial++ {
		arms := 2 + r.IntN(4)
		n := r.IntN(60)
		alpha := []float64{0, 0.2, 1, 2}[trial%4]
		steps := randomSteps(uint64(trial), n, arms)
		m := newLinUCB(arms, 5, 1, 0.99, 0)
		for _, s := range steps {
			m.update(s.arm, &s.x, s.r)
		}
		as, bs := ridgeReference(steps, arms, 5, 1, math.Pow(0.99, float64(n)), func(s int) float64 { return math.Pow(0.99, float64(n-1-s)) })
		for p := 0; p < 10; p++ {
			x := randomContext(r)
			xv := mat.NewVecDense(5, x[:5])
			best, bestScore := 0, math.Inf(-1)
			for a := 0; a < arms; a++ {
				var inv mat.Dense
				if err := inv.Inverse(as[a]); err != nil {
					t.Fatal(err)
				}
				var theta mat.VecDense
				theta.MulVec(&inv, bs[a])
				s := mat.Dot(&theta, xv) + alpha*math.Sqrt(mat.Inner(xv, &inv, xv))
				if s > bestScore {
					best, bestScore = a, s
				}
			}
			if got := m.chooseUCB(&x, alpha); got != best {
				t.Fatalf("trial %d probe %d: chose arm %d, brute force %d", trial, p, got, best)
			}
		}
	}
}

// TestLinUCBTiesGoToLowestIndex: a fresh model scores every arm the same,
// so it picks arm 0 (the paper: "early choices can skew toward the first
// arm until data accrue"); two arms with identical data tie too.
func TestLinUCBTiesGoToLowestIndex(t *testing.T) {
	m := newLinUCB(3, 5, 1, 0.99, 0)
	x := [MaxFeatures]float64{1, 50, 5, 10, 0}
	if got := m.chooseUCB(&x, 1); got != 0 {
		t.Errorf("fresh model chose %d, want 0", got)
	}
	// Arm 0 gets a bad reward; arms 1 and 2 stay identical (untouched).
	m.update(0, &x, -5)
	if got := m.chooseUCB(&x, 1); got != 1 {
		t.Errorf("after penalising arm 0 chose %d, want 1 (ties between 1 and 2)", got)
	}
}

// TestInvertSPD compares the Cholesky inverse with gonum's LU inverse.
func TestInvertSPD(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for d := 1; d <= MaxFeatures; d++ {
		g := mat.NewDense(d, d, nil)
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				g.Set(i, j, r.NormFloat64())
			}
		}
		var a mat.Dense
		a.Mul(g, g.T())
		for i := 0; i < d; i++ {
			a.Set(i, i, a.At(i, i)+0.5)
		}
		var want mat.Dense
		if err := want.Inverse(&a); err != nil {
			t.Fatal(err)
		}
		got := make([]float64, d*d)
		if !invertSPD(a.RawMatrix().Data, d, got) {
			t.Fatalf("d=%d: not positive definite", d)
		}
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				if math.Abs(got[i*d+j]-want.At(i, j)) > 1e-9*(1+math.Abs(want.At(i, j))) {
					t.Fatalf("d=%d: inverse[%d][%d] = %g, gonum %g", d, i, j, got[i*d+j], want.At(i, j))
				}
			}
		}
	}
	if invertSPD([]float64{1, 2, 2, 1}, 2, make([]float64, 4)) {
		t.Error("an indefinite matrix was inverted")
	}
}
