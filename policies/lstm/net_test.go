package lstm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomBatch fills a batch with inputs, targets, weights (some zero) and
// a few stream starts, all drawn from seed.
func randomBatch(s Shape, t, b int, seed uint64) *Batch {
	rng := rand.New(rand.NewPCG(seed, 1))
	bt := NewBatch(s, t, b)
	for i := range bt.X {
		bt.X[i] = rng.NormFloat64()
	}
	for i := range bt.Target {
		bt.Target[i] = rng.NormFloat64()
	}
	for i := range bt.Weight {
		if rng.Float64() < 0.8 {
			bt.Weight[i] = 0.5 + rng.Float64()
		}
		bt.Reset[i] = rng.Float64() < 0.1
	}
	return bt
}

func randomState(s Shape, b int, seed uint64) *State {
	rng := rand.New(rand.NewPCG(seed, 2))
	st := NewState(s, b)
	for i := range st.H {
		st.H[i] = rng.Float64()*2 - 1
		st.C[i] = rng.NormFloat64()
	}
	return st
}

// TestGradientMatchesFiniteDifferences checks the analytic gradient of
// Chunk (backpropagation through time, resets, carried-in state) against
// central finite differences of the loss, parameter by parameter, for both
// losses the package has.
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	s := Shape{In: 3, Hidden: 4, Out: 2}
	const T, B, seed = 5, 3, 7
	losses := map[string]Loss{"squared": Squared{}, "pinball": Pinball{Tau: []float64{0.5, 0.9}}}
	for name, loss := range losses {
		t.Run(name, func(t *testing.T) {
			n := New(s, rand.New(rand.NewPCG(seed, 0)))
			for i := range n.Theta { // move off the initialisation's zero biases
				n.Theta[i] += 0.3 * math.Sin(float64(i))
			}
			bt := randomBatch(s, T, B, seed)
			var ws Workspace
			grad := make([]float64, s.NumParams())
			n.Chunk(bt, randomState(s, B, seed), loss, grad, &ws)

			lossAt := func() float64 {
				l, _ := n.Eval(bt, randomState(s, B, seed), loss, &ws)
				return l
			}
			const eps = 1e-6
			worst := 0.0
			for i := range n.Theta {
				orig := n.Theta[i]
				n.Theta[i] = orig + eps
				up := lossAt()
				n.Theta[i] = orig - eps
				down := lossAt()
				n.Theta[i] = orig
				num := (up - down) / (2 * eps)
				rel := math.Abs(num-grad[i]) / math.Max(1e-4, math.Abs(num)+math.Abs(grad[i]))
				if rel > 1e-5 {
					t.Errorf("seed %d: parameter %d: analytic %.9g, finite difference %.9g (relative error %.2g)", seed, i, grad[i], num, rel)
				}
				worst = math.Max(worst, rel)
			}
			t.Logf("%d parameters, worst relative error %.2g", len(n.Theta), worst)
		})
	}
}

// TestCellMatchesNet: the float32 inference cell follows the float64
// training network's outputs step by step, across a reset.
func TestCellMatchesNet(t *testing.T) {
	s := Shape{In: 8, Hidden: 60, Out: 2}
	const T, seed = 200, 11
	n := New(s, rand.New(rand.NewPCG(seed, 0)))
	bt := randomBatch(s, T, 1, seed)
	var ws Workspace
	n.Eval(bt, NewState(s, 1), Squared{}, &ws)
	cell := NewCell(n.Weights32())
	worst := 0.0
	for step := 0; step < T; step++ {
		if bt.Reset[step] {
			cell.Reset()
		}
		cell.Step(bt.X[step*s.In : (step+1)*s.In])
		for k := 0; k < s.Out; k++ {
			d := math.Abs(cell.Output(k) - ws.Output(step, 0, k))
			worst = math.Max(worst, d)
			if d > 1e-4 {
				t.Fatalf("seed %d: step %d output %d: cell %g, net %g", seed, step, k, cell.Output(k), ws.Output(step, 0, k))
			}
		}
	}
	t.Logf("worst absolute difference over %d steps: %.2g", T, worst)
}

// TestTrainingLowersLoss fits a task that needs memory: the target is the
// input two steps back. Loss must fall by well over half; the run is
// seeded, so it is the same every time.
func TestTrainingLowersLoss(t *testing.T) {
	s := Shape{In: 1, Hidden: 8, Out: 1}
	const T, B, seed = 16, 16, 3
	n := New(s, rand.New(rand.NewPCG(seed, 0)))
	rng := rand.New(rand.NewPCG(seed, 9))
	bt := NewBatch(s, T, B)
	opt := NewAdam(0.02, 1)
	grad := make([]float64, s.NumParams())
	var ws Workspace
	var first, last float64
	for it := 0; it < 300; it++ {
		for lane := 0; lane < B; lane++ {
			for step := 0; step < T; step++ {
				bt.X[step*B+lane] = rng.NormFloat64()
				bt.Weight[step*B+lane] = 0
				if step >= 2 {
					bt.Target[step*B+lane] = bt.X[(step-2)*B+lane]
					bt.Weight[step*B+lane] = 1
				}
			}
		}
		clear(grad)
		l, w := n.Chunk(bt, NewState(s, B), Squared{}, grad, &ws)
		for i := range grad {
			grad[i] /= w
		}
		opt.Step(n.Theta, grad)
		if it == 0 {
			first = l / w
		}
		last = l / w
	}
	t.Logf("loss %.4f -> %.4f", first, last)
	if !(last < first/4) {
		t.Fatalf("seed %d: loss %.4f -> %.4f; want a fall to under a quarter", seed, first, last)
	}
}

func TestSeventeenThousandParameters(t *testing.T) {
	// The neurosym shape: 8 inputs, 60 hidden units, 2 outputs.
	if got := (Shape{In: 8, Hidden: 60, Out: 2}).NumParams(); got != 4*60*(8+60+1)+2*61 {
		t.Fatalf("NumParams = %d", got)
	}
}
