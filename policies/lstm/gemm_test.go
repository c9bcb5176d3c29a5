package lstm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// TestGemmBitIdentical: the single-goroutine gemm gives bit for bit what
// gonum's own (concurrent) Dgemm gives, for the training's products and
// for shapes that split along every dimension, every transposition and
// the betas gonum treats apart, with zeros of both signs among the
// elements.
func TestGemmBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 0))
	general := func(r, c int) blas64.General {
		g := blas64.General{Rows: r, Cols: c, Stride: c + 3, Data: make([]float64, r*(c+3))}
		for i := range g.Data {
			// Zeros of both signs too: gonum skips the products of a
			// zero, and a sum's zero keeps or loses its sign.
			switch u := rng.IntN(20); {
			case u == 0:
				g.Data[i] = 0
			case u == 1:
				g.Data[i] = math.Copysign(0, -1)
			default:
				g.Data[i] = rng.NormFloat64()
			}
		}
		return g
	}
	type shape struct{ m, n, k int }
	shapes := []shape{{240, 32, 68}, {240, 68, 32}, {68, 32, 240}, {60, 32, 2}, {2, 60, 32}, {130, 129, 200}, {64, 256, 65}, {1, 1, 1}}
	for _, s := range shapes {
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				for _, beta := range []float64{0, 1, 0.5} {
					name := fmt.Sprintf("m%d n%d k%d %c%c beta %g", s.m, s.n, s.k, tA, tB, beta)
					a, b := general(s.m, s.k), general(s.k, s.n)
					if tA == blas.Trans {
						a = general(s.k, s.m)
					}
					if tB == blas.Trans {
						b = general(s.n, s.k)
					}
					want, got := general(s.m, s.n), general(s.m, s.n)
					copy(got.Data, want.Data)
					blas64.Gemm(tA, tB, 1.25, a, b, beta, want)
					gemm(tA, tB, 1.25, a, b, beta, got)
					for i := range want.Data {
						if math.Float64bits(want.Data[i]) != math.Float64bits(got.Data[i]) {
							t.Fatalf("%s: element %d: gemm %v, gonum %v", name, i, got.Data[i], want.Data[i])
						}
					}
				}
			}
		}
	}
}

// BenchmarkGemm times the training's products at its batch of 32 (8
// inputs, 60 units): the gates' forward product, its two gradients, and
// the output layer's.
func BenchmarkGemm(b *testing.B) {
	rng := rand.New(rand.NewPCG(6, 0))
	general := func(r, c int) blas64.General {
		g := blas64.General{Rows: r, Cols: c, Stride: c, Data: make([]float64, r*c)}
		for i := range g.Data {
			g.Data[i] = rng.NormFloat64()
		}
		return g
	}
	for _, p := range []struct {
		name    string
		tA, tB  blas.Transpose
		m, n, k int
		beta    float64
	}{
		{"gates", blas.NoTrans, blas.NoTrans, 240, 32, 68, 0},
		{"gates_dx", blas.Trans, blas.NoTrans, 68, 32, 240, 0},
		{"gates_dw", blas.NoTrans, blas.Trans, 240, 68, 32, 1},
		{"out", blas.NoTrans, blas.NoTrans, 2, 32, 60, 0},
	} {
		b.Run(p.name, func(b *testing.B) {
			a, bm := general(p.m, p.k), general(p.k, p.n)
			if p.tA == blas.Trans {
				a = general(p.k, p.m)
			}
			if p.tB == blas.Trans {
				bm = general(p.n, p.k)
			}
			c := general(p.m, p.n)
			for b.Loop() {
				gemm(p.tA, p.tB, 1, a, bm, p.beta, c)
			}
		})
	}
}
