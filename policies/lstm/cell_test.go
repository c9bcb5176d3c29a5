package lstm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refStep is one inference step written out plainly: each gate row's sum
// over [x; h] in index order, in float32, then its bias. It is the
// arithmetic the cell had before its sums were vectorised; the cell must
// give bit for bit the same state, or every neurosym run's timeouts (and
// the reproduction's tables) would move.
func refStep(w *Weights, rows []float32, h, c []float32, x []float64) {
	s := w.shape
	H, K := s.Hidden, s.In+s.Hidden
	xh := make([]float32, 0, K)
	for _, v := range x[:s.In] {
		xh = append(xh, float32(v))
	}
	xh = append(xh, h...)
	z := make([]float32, 4*H)
	for r := range z {
		var sum float32
		for k, v := range xh {
			sum += rows[r*K+k] * v
		}
		z[r] = sum + w.b[r]
	}
	for j := 0; j < H; j++ {
		cj := sigmoid32(z[H+j])*c[j] + sigmoid32(z[j])*tanh32(z[2*H+j])
		c[j] = cj
		h[j] = sigmoid32(z[3*H+j]) * tanh32(cj)
	}
}

// TestCellStepBitIdentical runs the cell and the plain reference side by
// side over random weights and inputs, resets included, and compares the
// state and outputs bit for bit.
func TestCellStepBitIdentical(t *testing.T) {
	for _, s := range []Shape{{In: 8, Hidden: 60, Out: 2}, {In: 3, Hidden: 7, Out: 1}, {In: 1, Hidden: 1, Out: 3}} {
		for seed := uint64(1); seed <= 3; seed++ {
			n := New(s, rand.New(rand.NewPCG(seed, 0)))
			rng := rand.New(rand.NewPCG(seed, 3))
			for i := range n.Theta {
				n.Theta[i] = rng.NormFloat64() // larger than the initial scale: saturated gates too
			}
			w := n.Weights32()
			wo, bo, _, _, _ := s.offsets()
			rows := make([]float32, bo-wo) // 4H x (In+H), row-major, as in Theta
			for i := range rows {
				rows[i] = float32(n.Theta[wo+i])
			}
			cell := NewCell(w)
			h, c := make([]float32, s.Hidden), make([]float32, s.Hidden)
			x := make([]float64, s.In)
			for step := 0; step < 300; step++ {
				if rng.Float64() < 0.05 {
					cell.Reset()
					clear(h)
					clear(c)
				}
				for i := range x {
					x[i] = rng.NormFloat64() * 3
				}
				cell.Step(x)
				refStep(w, rows, h, c, x)
				for j := range h {
					if math.Float32bits(cell.h[j]) != math.Float32bits(h[j]) || math.Float32bits(cell.c[j]) != math.Float32bits(c[j]) {
						t.Fatalf("shape %+v seed %d step %d unit %d: cell h %g c %g, reference h %g c %g",
							s, seed, step, j, cell.h[j], cell.c[j], h[j], c[j])
					}
				}
				for k := 0; k < s.Out; k++ {
					want := w.d[k] + dot32(w.v[k*s.Hidden:(k+1)*s.Hidden], h)
					if math.Float32bits(float32(cell.Output(k))) != math.Float32bits(want) {
						t.Fatalf("shape %+v seed %d step %d output %d: cell %g, reference %g", s, seed, step, k, cell.Output(k), want)
					}
				}
			}
		}
	}
}

// BenchmarkCellStep is one decision's inference at the neurosym policy's
// shape (8 inputs, 60 units, 2 outputs).
func BenchmarkCellStep(b *testing.B) {
	s := Shape{In: 8, Hidden: 60, Out: 2}
	n := New(s, rand.New(rand.NewPCG(1, 0)))
	cell := NewCell(n.Weights32())
	rng := rand.New(rand.NewPCG(1, 3))
	xs := make([][]float64, 64)
	for i := range xs {
		xs[i] = make([]float64, s.In)
		for k := range xs[i] {
			xs[i][k] = rng.NormFloat64()
		}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		cell.Step(xs[i%len(xs)])
	}
}
