package lstm

import (
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Weights are a network's parameters in float32 for inference: what one
// node holds in memory. Read-only once built, so nodes of one simulated
// cluster may share them.
type Weights struct {
	shape Shape
	w     blas32.General // (In+H) x 4H: W transposed, so a step is one matrix-vector product of SIMD row updates
	b     []float32      // 4H
	v     []float32      // Out x H
	d     []float32      // Out
}

// Weights32 converts n's parameters to float32.
func (n *Net) Weights32() *Weights {
	s := n.Shape
	wo, bo, vo, do, end := s.offsets()
	conv := func(x []float64) []float32 {
		out := make([]float32, len(x))
		for i, v := range x {
			out[i] = float32(v)
		}
		return out
	}
	k, rows := s.In+s.Hidden, 4*s.Hidden
	wt := make([]float32, bo-wo)
	for r := 0; r < rows; r++ {
		for i := 0; i < k; i++ {
			wt[i*rows+r] = float32(n.Theta[wo+r*k+i])
		}
	}
	return &Weights{shape: s, w: blas32.General{Rows: k, Cols: rows, Stride: rows, Data: wt},
		b: conv(n.Theta[bo:vo]), v: conv(n.Theta[vo:do]), d: conv(n.Theta[do:end])}
}

// Shape is the network's shape.
func (w *Weights) Shape() Shape { return w.shape }

// Bytes is the memory the parameters occupy (4 bytes each).
func (w *Weights) Bytes() int {
	return (len(w.w.Data) + len(w.b) + len(w.v) + len(w.d)) * int(unsafe.Sizeof(float32(0)))
}

// Cell runs a network one step at a time: the recurrent state of one node
// and the scratch space a step needs, allocated once.
type Cell struct {
	wt   *Weights
	h, c []float32
	xh   []float32 // [x; h]
	z    []float32 // the 4H gate rows' sums
	out  []float32
}

// NewCell returns a cell in the zero state.
func NewCell(w *Weights) *Cell {
	s := w.shape
	c := &Cell{wt: w, h: make([]float32, s.Hidden), c: make([]float32, s.Hidden),
		xh: make([]float32, s.In+s.Hidden), z: make([]float32, 4*s.Hidden), out: make([]float32, s.Out)}
	c.outputs()
	return c
}

// StateBytes is the memory of the per-node state and scratch.
func (c *Cell) StateBytes() int {
	return (len(c.h) + len(c.c) + len(c.xh) + len(c.z) + len(c.out)) * int(unsafe.Sizeof(float32(0)))
}

// Reset zeroes the recurrent state (a node restart: memory is lost).
func (c *Cell) Reset() {
	clear(c.h)
	clear(c.c)
	c.outputs()
}

// Step reads input x (len In), advances the state and recomputes the
// outputs.
//
// The gate sums z = W [x; h] are one BLAS matrix-vector product over the
// transposed weights: per input, one vector update of all 4H sums (gonum's
// SSE kernels on amd64, 1.7x the scalar loop). Each sum still adds its
// terms in input order with one rounding per product and per addition, so
// a step is bit for bit the plain row-by-row loop (TestCellStepBitIdentical)
// and the neurosym policy's decisions do not depend on the kernel.
func (c *Cell) Step(x []float64) {
	s := c.wt.shape
	H, I := s.Hidden, s.In
	for k := 0; k < I; k++ {
		c.xh[k] = float32(x[k])
	}
	copy(c.xh[I:], c.h)
	blas32.Gemv(blas.Trans, 1, c.wt.w, blas32.Vector{N: len(c.xh), Inc: 1, Data: c.xh}, 0, blas32.Vector{N: len(c.z), Inc: 1, Data: c.z})
	b, z := c.wt.b[:4*H], c.z[:4*H]
	for j := 0; j < H; j++ {
		zi, zf, zg, zo := z[j]+b[j], z[H+j]+b[H+j], z[2*H+j]+b[2*H+j], z[3*H+j]+b[3*H+j]
		cj := sigmoid32(zf)*c.c[j] + sigmoid32(zi)*tanh32(zg)
		c.c[j] = cj
		c.h[j] = sigmoid32(zo) * tanh32(cj)
	}
	c.outputs()
}

func (c *Cell) outputs() {
	H := c.wt.shape.Hidden
	for k := range c.out {
		c.out[k] = c.wt.d[k] + dot32(c.wt.v[k*H:(k+1)*H], c.h)
	}
}

// Output is output k after the last step (the biases in the zero state).
func (c *Cell) Output(k int) float64 { return float64(c.out[k]) }

// dot32 is a dot product with four accumulators, so the loop is not one
// long chain of dependent additions.
func dot32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}
