package lstm

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// gonum's Dgemm splits a product whose C has at least gonumMinParBlocks
// blocks of gonumBlock x gonumBlock into those blocks, one goroutine each,
// and sums each block along k in steps of gonumBlock (gonum/blas/gonum:
// blockSize, minParBlock).
const gonumBlock, gonumMinParBlocks = 64, 4

// gemm is blas64.Gemm (C = alpha op(A) op(B) + beta C) computed on the
// calling goroutine, bit for bit as gonum computes it (TestGemmBitIdentical).
//
// Training multiplies a 240 x 68 matrix by 68 x 32 at every step; gonum
// runs such a product on four goroutines, whose start, hand-over and idle
// spinning cost a sixth of `ballast train neurosym neurosym`'s CPU on two
// cores (BENCHMARKS.md), and the training runs beside other simulations
// anyway, so it gains no wall time from them. Here the same blocks run one
// after another:
// each is the sub-product gonum would hand a goroutine, summed along k in
// the same steps, so every element gets the same additions in the same
// order and the trained weights do not change.
func gemm(tA, tB blas.Transpose, alpha float64, a, b blas64.General, beta float64, c blas64.General) {
	m, n, k := c.Rows, c.Cols, a.Cols
	if tA == blas.Trans {
		k = a.Rows
	}
	blocks := func(x int) int { return (x + gonumBlock - 1) / gonumBlock }
	if blocks(m)*blocks(n) < gonumMinParBlocks || (alpha == 0 || k == 0) && beta == 1 {
		blas64.Gemm(tA, tB, alpha, a, b, beta, c) // gonum's serial path
		return
	}
	if beta != 1 {
		for i := 0; i < m; i++ {
			row := c.Data[i*c.Stride : i*c.Stride+n]
			if beta == 0 {
				clear(row)
				continue
			}
			for j := range row {
				row[j] *= beta
			}
		}
	}
	view := func(g blas64.General, i, j, r, cols int) blas64.General {
		return blas64.General{Rows: r, Cols: cols, Stride: g.Stride, Data: g.Data[i*g.Stride+j : (i+r-1)*g.Stride+j+cols]}
	}
	for i := 0; i < m; i += gonumBlock {
		leni := min(gonumBlock, m-i)
		for j := 0; j < n; j += gonumBlock {
			lenj := min(gonumBlock, n-j)
			cSub := view(c, i, j, leni, lenj)
			for l := 0; l < k; l += gonumBlock {
				lenl := min(gonumBlock, k-l)
				var aSub, bSub blas64.General
				if tA == blas.Trans {
					aSub = view(a, l, i, lenl, leni)
				} else {
					aSub = view(a, i, l, leni, lenl)
				}
				if tB == blas.Trans {
					bSub = view(b, j, l, lenj, lenl)
				} else {
					bSub = view(b, l, j, lenl, lenj)
				}
				// One block: fewer than gonumMinParBlocks, so gonum
				// computes it serially, as its goroutine would.
				blas64.Gemm(tA, tB, alpha, aSub, bSub, 1, cSub)
			}
		}
	}
}
