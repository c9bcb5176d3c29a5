// Package lstm is the small recurrent network of the neurosym policy: one
// LSTM layer with a forget gate (Hochreiter and Schmidhuber 1997; Gers,
// Schmidhuber and Cummins 2000) and a linear head, the architecture the
// neuro-symbolic timeout post describes as "a tiny, purpose-built LSTM -
// just 17K parameters" [neurosym-post].
//
// One step reads an input vector x and the previous state (h, c):
//
//	z = W [x; h] + b              (4H rows: input, forget, cell, output gate)
//	i = σ(z_i)  f = σ(z_f)  g = tanh(z_g)  o = σ(z_o)
//	c' = f ⊙ c + i ⊙ g
//	h' = o ⊙ tanh(c')
//	y  = V h' + d                 (Out outputs)
//
// Training (Net, Chunk, Adam) runs in float64 with gonum's BLAS over a batch
// of lanes, by truncated backpropagation through time: the state is carried
// from one chunk of steps to the next, gradients are not. Inference (Cell)
// runs one step at a time in float32 on preallocated buffers, so a decision
// allocates nothing, and a node holds 4 bytes per parameter.
package lstm
