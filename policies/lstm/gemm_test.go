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
// the betas gonum treats apart.
func TestGemmBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 0))
	general := func(r, c int) blas64.General {
		g := blas64.General{Rows: r, Cols: c, Stride: c + 3, Data: make([]float64, r*(c+3))}
		for i := range g.Data {
			g.Data[i] = rng.NormFloat64()
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
