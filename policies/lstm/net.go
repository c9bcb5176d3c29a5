package lstm

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Shape is the network's size: In inputs, Hidden units, Out outputs.
type Shape struct {
	In     int `json:"in"`
	Hidden int `json:"hidden"`
	Out    int `json:"out"`
}

// NumParams is the number of trainable parameters.
func (s Shape) NumParams() int {
	return 4*s.Hidden*(s.In+s.Hidden+1) + s.Out*(s.Hidden+1)
}

// Valid reports whether every dimension is positive.
func (s Shape) Valid() error {
	if s.In < 1 || s.Hidden < 1 || s.Out < 1 {
		return fmt.Errorf("shape %+v: every dimension must be >= 1", s)
	}
	return nil
}

// The flat parameter vector holds, in order: W (4H x (In+H), row-major;
// gate rows input, forget, cell, output), b (4H), V (Out x H) and d (Out).
func (s Shape) offsets() (w, b, v, d, end int) {
	h, k := s.Hidden, s.In+s.Hidden
	w = 0
	b = w + 4*h*k
	v = b + 4*h
	d = v + s.Out*h
	end = d + s.Out
	return
}

// Net is a trainable network: its shape and flat float64 parameters.
type Net struct {
	Shape Shape
	Theta []float64
}

// New initialises a network from rng: weights uniform in ±1/sqrt(H) (the
// usual LSTM initialisation), biases zero except the forget gate's, which
// start at 1 so that early training keeps memory (Jozefowicz et al. 2015).
func New(s Shape, rng *rand.Rand) *Net {
	n := &Net{Shape: s, Theta: make([]float64, s.NumParams())}
	wo, bo, vo, do, _ := s.offsets()
	r := 1 / math.Sqrt(float64(s.Hidden))
	for i := wo; i < bo; i++ {
		n.Theta[i] = (2*rng.Float64() - 1) * r
	}
	for j := 0; j < s.Hidden; j++ {
		n.Theta[bo+s.Hidden+j] = 1
	}
	for i := vo; i < do; i++ {
		n.Theta[i] = (2*rng.Float64() - 1) * r
	}
	return n
}

func (n *Net) views(theta []float64) (w blas64.General, b []float64, v blas64.General, d []float64) {
	s := n.Shape
	wo, bo, vo, do, end := s.offsets()
	k := s.In + s.Hidden
	w = blas64.General{Rows: 4 * s.Hidden, Cols: k, Stride: k, Data: theta[wo:bo]}
	v = blas64.General{Rows: s.Out, Cols: s.Hidden, Stride: s.Hidden, Data: theta[vo:do]}
	return w, theta[bo:vo], v, theta[do:end]
}

// Loss scores one output of one step.
type Loss interface {
	// Eval returns the loss of predicting pred for output k whose target is
	// target, and its derivative with respect to pred.
	Eval(k int, pred, target float64) (loss, dPred float64)
}

// Pinball is the quantile (pinball) loss, one quantile level per output:
// minimising it makes output k the Tau[k]-quantile of the target's
// conditional distribution (Koenker and Bassett 1978).
type Pinball struct{ Tau []float64 }

// Eval implements Loss: ρ(u) = u·(τ - 1[u<0]) with u = target - pred.
func (p Pinball) Eval(k int, pred, target float64) (float64, float64) {
	u, tau := target-pred, p.Tau[k]
	if u < 0 {
		return u * (tau - 1), 1 - tau
	}
	return u * tau, -tau
}

// Squared is half the squared error, for tests that need a smooth loss.
type Squared struct{}

// Eval implements Loss.
func (Squared) Eval(_ int, pred, target float64) (float64, float64) {
	e := pred - target
	return e * e / 2, e
}

// Batch is one chunk of T steps over B lanes. A lane is a sequence of
// streams laid end to end; a stream is one node's observations from its
// start (or restart) on.
type Batch struct {
	T, B int
	// X holds inputs, indexed [(t*B+lane)*In + k].
	X []float64
	// Target holds targets, indexed [(t*B+lane)*Out + k].
	Target []float64
	// Weight is each step's weight in the loss; 0 means no target.
	Weight []float64 // [t*B+lane]
	// Reset marks the steps that start a new stream: the state is zeroed
	// before them, and no gradient flows back across them.
	Reset []bool // [t*B+lane]
}

// NewBatch allocates a batch for shape s.
func NewBatch(s Shape, t, b int) *Batch {
	return &Batch{T: t, B: b,
		X: make([]float64, t*b*s.In), Target: make([]float64, t*b*s.Out),
		Weight: make([]float64, t*b), Reset: make([]bool, t*b)}
}

// State is the recurrent state of B lanes, (H x B) row-major each.
type State struct{ H, C []float64 }

// NewState is the zero state of b lanes.
func NewState(s Shape, b int) *State {
	return &State{H: make([]float64, s.Hidden*b), C: make([]float64, s.Hidden*b)}
}

// Workspace holds the activations of one chunk for the backward pass, so
// repeated chunks of the same size allocate nothing.
type Workspace struct {
	t, b                int
	xh, gates, cprev, c [][]float64
	tc, h, y, dy        [][]float64
	z, dz, dxh, dh      []float64
	dhNext, dcNext      []float64
}

func (ws *Workspace) fit(s Shape, t, b int) {
	if ws.t == t && ws.b == b {
		return
	}
	hb := s.Hidden * b
	mk := func(n int) [][]float64 {
		out := make([][]float64, t)
		for i := range out {
			out[i] = make([]float64, n)
		}
		return out
	}
	*ws = Workspace{t: t, b: b,
		xh: mk((s.In + s.Hidden) * b), gates: mk(4 * hb), cprev: mk(hb), c: mk(hb),
		tc: mk(hb), h: mk(hb), y: mk(s.Out * b), dy: mk(s.Out * b),
		z: make([]float64, 4*hb), dz: make([]float64, 4*hb), dxh: make([]float64, (s.In+s.Hidden)*b),
		dh: make([]float64, hb), dhNext: make([]float64, hb), dcNext: make([]float64, hb),
	}
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// Output is output k of the last forward pass at step t of lane.
func (ws *Workspace) Output(t, lane, k int) float64 { return ws.y[t][k*ws.b+lane] }

// forward runs the chunk from state st, advancing it, and keeps every
// activation in ws.
func (n *Net) forward(bt *Batch, st *State, ws *Workspace) {
	s := n.Shape
	H, I, O, B := s.Hidden, s.In, s.Out, bt.B
	ws.fit(s, bt.T, B)
	w, bias, v, d := n.views(n.Theta)
	hPrev, cPrev := st.H, st.C
	for t := 0; t < bt.T; t++ {
		xh, gates, cp := ws.xh[t], ws.gates[t], ws.cprev[t]
		for lane := 0; lane < B; lane++ {
			reset := bt.Reset[t*B+lane]
			for k := 0; k < I; k++ {
				xh[k*B+lane] = bt.X[(t*B+lane)*I+k]
			}
			for j := 0; j < H; j++ {
				hv, cv := hPrev[j*B+lane], cPrev[j*B+lane]
				if reset {
					hv, cv = 0, 0
				}
				xh[(I+j)*B+lane] = hv
				cp[j*B+lane] = cv
			}
		}
		z := blas64.General{Rows: 4 * H, Cols: B, Stride: B, Data: ws.z}
		gemm(blas.NoTrans, blas.NoTrans, 1, w, blas64.General{Rows: I + H, Cols: B, Stride: B, Data: xh}, 0, z)
		for r := 0; r < 4*H; r++ {
			tanhGate := r/H == 2
			for lane := 0; lane < B; lane++ {
				a := ws.z[r*B+lane] + bias[r]
				if tanhGate {
					a = math.Tanh(a)
				} else {
					a = sigmoid(a)
				}
				gates[r*B+lane] = a
			}
		}
		c, tc, h := ws.c[t], ws.tc[t], ws.h[t]
		for e := 0; e < H*B; e++ {
			ig, fg, gg, og := gates[e], gates[H*B+e], gates[2*H*B+e], gates[3*H*B+e]
			c[e] = fg*cp[e] + ig*gg
			tc[e] = math.Tanh(c[e])
			h[e] = og * tc[e]
		}
		y := blas64.General{Rows: O, Cols: B, Stride: B, Data: ws.y[t]}
		gemm(blas.NoTrans, blas.NoTrans, 1, v, blas64.General{Rows: H, Cols: B, Stride: B, Data: h}, 0, y)
		for k := 0; k < O; k++ {
			for lane := 0; lane < B; lane++ {
				ws.y[t][k*B+lane] += d[k]
			}
		}
		hPrev, cPrev = h, c
	}
	copy(st.H, hPrev)
	copy(st.C, cPrev)
}

// scoreAll evaluates the loss of the last forward pass and keeps its
// gradient with respect to the outputs in ws.dy.
func (n *Net) scoreAll(bt *Batch, loss Loss, ws *Workspace) (lossSum, weightSum float64) {
	O, B := n.Shape.Out, bt.B
	for t := 0; t < bt.T; t++ {
		dy := ws.dy[t]
		for lane := 0; lane < B; lane++ {
			wt := bt.Weight[t*B+lane]
			for k := 0; k < O; k++ {
				dy[k*B+lane] = 0
				if wt == 0 {
					continue
				}
				l, g := loss.Eval(k, ws.y[t][k*B+lane], bt.Target[(t*B+lane)*O+k])
				lossSum += wt * l
				dy[k*B+lane] = wt * g
			}
			weightSum += wt
		}
	}
	return lossSum, weightSum
}

// Eval runs the chunk forward from st (advanced) and returns the summed
// weighted loss and the summed weights; outputs stay readable through
// ws.Output.
func (n *Net) Eval(bt *Batch, st *State, loss Loss, ws *Workspace) (lossSum, weightSum float64) {
	n.forward(bt, st, ws)
	return n.scoreAll(bt, loss, ws)
}

// Chunk runs the network forward over the batch from state st (which it
// advances to the state after the last step), then backward, adding the
// gradient of the summed weighted loss to grad (len NumParams). It returns
// the summed weighted loss and the summed weights, so the caller can
// average. The state carried in from the previous chunk is a constant:
// truncated backpropagation through time.
func (n *Net) Chunk(bt *Batch, st *State, loss Loss, grad []float64, ws *Workspace) (lossSum, weightSum float64) {
	n.forward(bt, st, ws)
	lossSum, weightSum = n.scoreAll(bt, loss, ws)
	s := n.Shape
	H, I, O, B := s.Hidden, s.In, s.Out, bt.B
	w, _, v, _ := n.views(n.Theta)
	gw, gb, gv, gd := n.views(grad)
	clear(ws.dhNext)
	clear(ws.dcNext)
	for t := bt.T - 1; t >= 0; t-- {
		dyM := blas64.General{Rows: O, Cols: B, Stride: B, Data: ws.dy[t]}
		hM := blas64.General{Rows: H, Cols: B, Stride: B, Data: ws.h[t]}
		dh := blas64.General{Rows: H, Cols: B, Stride: B, Data: ws.dh}
		copy(ws.dh, ws.dhNext)
		gemm(blas.Trans, blas.NoTrans, 1, v, dyM, 1, dh)
		gemm(blas.NoTrans, blas.Trans, 1, dyM, hM, 1, gv)
		for k := 0; k < O; k++ {
			for lane := 0; lane < B; lane++ {
				gd[k] += ws.dy[t][k*B+lane]
			}
		}
		gates, cp, tc := ws.gates[t], ws.cprev[t], ws.tc[t]
		for e := 0; e < H*B; e++ {
			ig, fg, gg, og := gates[e], gates[H*B+e], gates[2*H*B+e], gates[3*H*B+e]
			dhe := ws.dh[e]
			dc := dhe*og*(1-tc[e]*tc[e]) + ws.dcNext[e]
			ws.dz[e] = dc * gg * ig * (1 - ig)
			ws.dz[H*B+e] = dc * cp[e] * fg * (1 - fg)
			ws.dz[2*H*B+e] = dc * ig * (1 - gg*gg)
			ws.dz[3*H*B+e] = dhe * tc[e] * og * (1 - og)
			ws.dcNext[e] = dc * fg
		}
		dz := blas64.General{Rows: 4 * H, Cols: B, Stride: B, Data: ws.dz}
		gemm(blas.NoTrans, blas.Trans, 1, dz, blas64.General{Rows: I + H, Cols: B, Stride: B, Data: ws.xh[t]}, 1, gw)
		for r := 0; r < 4*H; r++ {
			sum := 0.0
			for lane := 0; lane < B; lane++ {
				sum += ws.dz[r*B+lane]
			}
			gb[r] += sum
		}
		dxh := blas64.General{Rows: I + H, Cols: B, Stride: B, Data: ws.dxh}
		gemm(blas.Trans, blas.NoTrans, 1, w, dz, 0, dxh)
		copy(ws.dhNext, ws.dxh[I*B:])
		for lane := 0; lane < B; lane++ {
			if !bt.Reset[t*B+lane] {
				continue
			}
			for j := 0; j < H; j++ {
				ws.dhNext[j*B+lane], ws.dcNext[j*B+lane] = 0, 0
			}
		}
	}
	return lossSum, weightSum
}
