package policies

import "math"

// Size limits of the linear bandits. Fixed-size arrays keep a model in one
// allocation and every decision and update allocation-free.
const (
	MaxArms     = 16 // the blog's largest arm set has 16 arms
	MaxFeatures = 8  // BALLAST uses 5 (bias plus 4 statistics)
)

// Model constants (ours). They protect the numbers, not the algorithm: the
// closed forms the tests check hold exactly until one of them engages.
const (
	// refreshEvery: every this many updates the inverses are recomputed from
	// the matrices themselves (and, for the sliding window, the matrices
	// from the window, at least once per window), so rounding in the
	// rank-one updates cannot pile up.
	refreshEvery = 256
	// priorFloor: with discounting the ridge prior decays as lambda*discount^n
	// (it is data like any other); when it falls below priorFloor*lambda it
	// is topped back up to lambda, so a long run cannot make A singular.
	// At discount 0.99 that takes 1375 updates.
	priorFloor = 1e-6
	// minDowndate: a sliding-window removal whose Sherman-Morrison
	// denominator 1 - x'A^-1 x falls below this is done by re-inversion.
	minDowndate = 1e-6
)

// linObs is one observation kept by the sliding window.
type linObs struct {
	arm int
	r   float64
	x   [MaxFeatures]float64
}

// linUCB holds disjoint per-arm ridge regressions (Li et al. 2010,
// "A contextual-bandit approach to personalized news article
// recommendation", algorithm 1), with the two non-stationary variants of the
// BALLAST paper section 4.4:
//
// Discounted (window == 0): every update first multiplies every arm's
// statistics by discount, then adds the observation to its arm. After N
// updates, arm a's statistics are the closed form
//
//	A_a = discount^N * lambda * I + sum_{s: arm_s = a} discount^(N-s) x_s x_s'
//	b_a = sum_{s: arm_s = a} discount^(N-s) r_s x_s
//
// (the prior decays with the data and is topped up per priorFloor).
// Discounting every arm, not just the one updated, is what lets an arm
// that has not been played for a while regain its exploration bonus after a
// regime switch.
//
// Sliding window (window > 0): the statistics cover the last window updates
// (over all arms): A_a = lambda*I + sum over those with arm a of x x', b_a
// likewise.
//
// A_a^-1 is maintained by Sherman-Morrison rank-one updates, so choosing and
// updating cost O(arms * d^2) with no allocation. The estimate is
// theta_a = A_a^-1 b_a.
type linUCB struct {
	k, d     int
	lambda   float64
	discount float64 // 1 for the sliding window
	prior    float64 // current weight of the ridge prior in every A_a

	a    [MaxArms][MaxFeatures * MaxFeatures]float64 // A_a, row-major d x d
	ainv [MaxArms][MaxFeatures * MaxFeatures]float64
	b    [MaxArms][MaxFeatures]float64

	updates int      // since the last refresh
	ring    []linObs // sliding window, oldest at head
	head, n int
}

// newLinUCB returns a model with k arms and d features. window > 0 selects
// the sliding window, otherwise discount is used.
func newLinUCB(k, d int, lambda, discount float64, window int) *linUCB {
	m := &linUCB{}
	m.init(k, d, lambda, discount, window)
	return m
}

// init sets up m in place (policies embed the model by value).
func (m *linUCB) init(k, d int, lambda, discount float64, window int) {
	m.k, m.d, m.lambda, m.discount = k, d, lambda, discount
	m.ring = nil
	if window > 0 {
		m.discount = 1
		m.ring = make([]linObs, window)
	}
	m.reset()
}

// reset returns the model to its prior (a cold start).
func (m *linUCB) reset() {
	d := m.d
	for arm := 0; arm < m.k; arm++ {
		clear(m.a[arm][:])
		clear(m.ainv[arm][:])
		clear(m.b[arm][:])
		for i := 0; i < d; i++ {
			m.a[arm][i*d+i] = m.lambda
			m.ainv[arm][i*d+i] = 1 / m.lambda
		}
	}
	m.prior = m.lambda
	m.updates, m.head, m.n = 0, 0, 0
}

// estimate returns arm's estimated reward theta'x and its squared
// confidence width x'A^-1 x. With v = A^-1 x and A^-1 symmetric,
// theta'x = b'A^-1 x = b.v.
func (m *linUCB) estimate(arm int, x *[MaxFeatures]float64) (mean, width2 float64) {
	d := m.d
	ai := &m.ainv[arm]
	for i := 0; i < d; i++ {
		row := ai[i*d : i*d+d]
		v := 0.0
		for j, r := range row {
			v += r * x[j]
		}
		mean += m.b[arm][i] * v
		width2 += x[i] * v
	}
	if !(width2 > 0) { // rounding, or NaN
		width2 = 0
	}
	return mean, width2
}

// chooseUCB returns argmax_a theta_a'x + alpha*sqrt(x'A_a^-1 x), ties to the
// lowest arm index (BALLAST paper section 5: "ties in LinUCB are broken by
// arm index"), or -1 if no score is finite (a numerical breakdown the
// caller answers with its safe arm).
func (m *linUCB) chooseUCB(x *[MaxFeatures]float64, alpha float64) int {
	best, bestScore := -1, math.Inf(-1)
	for arm := 0; arm < m.k; arm++ {
		mean, w2 := m.estimate(arm, x)
		s := mean + alpha*math.Sqrt(w2)
		if s > bestScore && !math.IsInf(s, 0) {
			best, bestScore = arm, s
		}
	}
	return best
}

// update adds the reward r of arm played in context x.
func (m *linUCB) update(arm int, x *[MaxFeatures]float64, r float64) {
	if m.ring != nil {
		if m.n == len(m.ring) {
			old := &m.ring[m.head]
			m.remove(old.arm, &old.x, old.r)
			m.head = (m.head + 1) % len(m.ring)
			m.n--
		}
		slot := &m.ring[(m.head+m.n)%len(m.ring)]
		slot.arm, slot.r, slot.x = arm, r, *x
		m.n++
	} else {
		m.decay()
	}
	m.add(arm, x, r)
	m.updates++
	// Downdates lose precision faster than updates: a window is rebuilt
	// from its contents at least once per window.
	if m.updates >= refreshEvery || (m.ring != nil && m.updates >= len(m.ring)) {
		m.refresh()
	}
}

// decay multiplies every arm's statistics by the discount.
func (m *linUCB) decay() {
	g, inv := m.discount, 1/m.discount
	dd := m.d * m.d
	for arm := 0; arm < m.k; arm++ {
		a, ai, b := m.a[arm][:dd], m.ainv[arm][:dd], m.b[arm][:m.d]
		for i := range a {
			a[i] *= g
			ai[i] *= inv
		}
		for i := range b {
			b[i] *= g
		}
	}
	m.prior *= g
	if m.prior < priorFloor*m.lambda {
		top := m.lambda - m.prior
		for arm := 0; arm < m.k; arm++ {
			for i := 0; i < m.d; i++ {
				m.a[arm][i*m.d+i] += top
			}
			m.reinvert(arm)
		}
		m.prior = m.lambda
	}
}

// add is A += x x', b += r x, and the Sherman-Morrison update
// A^-1 -= (A^-1 x)(A^-1 x)' / (1 + x'A^-1 x).
func (m *linUCB) add(arm int, x *[MaxFeatures]float64, r float64) {
	d := m.d
	var u [MaxFeatures]float64
	ai := &m.ainv[arm]
	den := 1.0
	for i := 0; i < d; i++ {
		v := 0.0
		for j := 0; j < d; j++ {
			v += ai[i*d+j] * x[j]
		}
		u[i] = v
		den += x[i] * v
	}
	if !(den >= 1) || math.IsInf(den, 0) { // A^-1 lost positive definiteness
		m.addMatrix(arm, x, r, 1)
		m.reinvert(arm)
		return
	}
	for i := 0; i < d; i++ {
		ui := u[i] / den
		for j := 0; j < d; j++ {
			ai[i*d+j] -= ui * u[j]
		}
	}
	m.addMatrix(arm, x, r, 1)
}

// remove takes an observation out of the sliding window: A -= x x',
// b -= r x, and A^-1 += (A^-1 x)(A^-1 x)' / (1 - x'A^-1 x).
func (m *linUCB) remove(arm int, x *[MaxFeatures]float64, r float64) {
	d := m.d
	var u [MaxFeatures]float64
	ai := &m.ainv[arm]
	den := 1.0
	for i := 0; i < d; i++ {
		v := 0.0
		for j := 0; j < d; j++ {
			v += ai[i*d+j] * x[j]
		}
		u[i] = v
		den -= x[i] * v
	}
	m.addMatrix(arm, x, r, -1)
	if !(den >= minDowndate) || math.IsInf(den, 0) {
		m.reinvert(arm)
		return
	}
	for i := 0; i < d; i++ {
		ui := u[i] / den
		for j := 0; j < d; j++ {
			ai[i*d+j] += ui * u[j]
		}
	}
}

// addMatrix is A += sign x x', b += sign r x.
func (m *linUCB) addMatrix(arm int, x *[MaxFeatures]float64, r, sign float64) {
	d := m.d
	a, b := &m.a[arm], &m.b[arm]
	for i := 0; i < d; i++ {
		sx := sign * x[i]
		for j := 0; j < d; j++ {
			a[i*d+j] += sx * x[j]
		}
		b[i] += sx * r
	}
}

// refresh recomputes the inverses (and, for the sliding window, the
// matrices from the window) exactly.
func (m *linUCB) refresh() {
	m.updates = 0
	if m.ring != nil {
		for arm := 0; arm < m.k; arm++ {
			clear(m.a[arm][:])
			clear(m.b[arm][:])
			for i := 0; i < m.d; i++ {
				m.a[arm][i*m.d+i] = m.lambda
			}
		}
		for i := 0; i < m.n; i++ {
			o := &m.ring[(m.head+i)%len(m.ring)]
			m.addMatrix(o.arm, &o.x, o.r, 1)
		}
	}
	for arm := 0; arm < m.k; arm++ {
		m.reinvert(arm)
	}
}

// reinvert sets A^-1 from A. If A is numerically not positive definite (it
// always is in exact arithmetic: A >= prior*I), the model starts over from
// its prior rather than carry a broken inverse.
func (m *linUCB) reinvert(arm int) {
	if !invertSPD(m.a[arm][:m.d*m.d], m.d, m.ainv[arm][:m.d*m.d]) {
		m.reset()
	}
}

// invertSPD writes the inverse of the symmetric positive definite d x d
// matrix a (row-major) into out by Cholesky factorisation, a = L L', then
// out = L'^-1 L^-1. It reports false, leaving out untouched, if a is not
// numerically positive definite.
func invertSPD(a []float64, d int, out []float64) bool {
	var l, li, inv [MaxFeatures * MaxFeatures]float64
	for j := 0; j < d; j++ {
		s := a[j*d+j]
		for k := 0; k < j; k++ {
			s -= l[j*d+k] * l[j*d+k]
		}
		if !(s > 0) || math.IsInf(s, 0) {
			return false
		}
		ljj := math.Sqrt(s)
		l[j*d+j] = ljj
		for i := j + 1; i < d; i++ {
			s := a[i*d+j]
			for k := 0; k < j; k++ {
				s -= l[i*d+k] * l[j*d+k]
			}
			l[i*d+j] = s / ljj
		}
	}
	// li = L^-1 (lower triangular), by forward substitution per column.
	for c := 0; c < d; c++ {
		li[c*d+c] = 1 / l[c*d+c]
		for i := c + 1; i < d; i++ {
			s := 0.0
			for k := c; k < i; k++ {
				s -= l[i*d+k] * li[k*d+c]
			}
			li[i*d+c] = s / l[i*d+i]
		}
	}
	// out = li' li.
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			s := 0.0
			for k := i; k < d; k++ { // li[k][i] and li[k][j] are zero for k < max(i, j) = i
				s += li[k*d+i] * li[k*d+j]
			}
			if math.IsNaN(s) || math.IsInf(s, 0) {
				return false
			}
			inv[i*d+j], inv[j*d+i] = s, s
		}
	}
	copy(out, inv[:d*d])
	return true
}
