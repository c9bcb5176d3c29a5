package lstm

import "math"

// Adam is the Adam optimiser (Kingma and Ba 2015) with global-norm
// gradient clipping (Pascanu et al. 2013), which keeps the occasional
// huge gradient of a recurrent network from undoing training.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	ClipNorm              float64 // 0: no clipping
	m, v                  []float64
	t                     int
}

// NewAdam returns Adam with the paper's defaults and learning rate lr.
func NewAdam(lr, clipNorm float64) *Adam {
	return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, ClipNorm: clipNorm}
}

// Step updates theta with grad (which it may scale in place).
func (a *Adam) Step(theta, grad []float64) {
	if a.m == nil {
		a.m, a.v = make([]float64, len(theta)), make([]float64, len(theta))
	}
	if a.ClipNorm > 0 {
		ss := 0.0
		for _, g := range grad {
			ss += g * g
		}
		if norm := math.Sqrt(ss); norm > a.ClipNorm {
			s := a.ClipNorm / norm
			for i := range grad {
				grad[i] *= s
			}
		}
	}
	a.t++
	c1 := 1 - math.Pow(a.Beta1, float64(a.t))
	c2 := 1 - math.Pow(a.Beta2, float64(a.t))
	for i, g := range grad {
		a.m[i] = a.Beta1*a.m[i] + (1-a.Beta1)*g
		a.v[i] = a.Beta2*a.v[i] + (1-a.Beta2)*g*g
		theta[i] -= a.LR * (a.m[i] / c1) / (math.Sqrt(a.v[i]/c2) + a.Eps)
	}
}
