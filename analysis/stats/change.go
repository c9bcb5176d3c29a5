package stats

import (
	"cmp"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// Change is the change of a mean from an old sample to a new one, each
// with its percentile-bootstrap interval: Delta = mean(new) - mean(old) in
// the samples' unit, Pct = 100 Delta / mean(old) (NaN when mean(old) is 0).
// Their N is not set.
type Change struct {
	Delta, Pct CI
}

// Change bootstraps the change of the mean from old to new. Paired:
// old[i] and new[i] were measured on one seed (len(old) == len(new)), and
// a resample draws seeds with replacement, keeping each pair together, so
// that the noise the two share cancels. Unpaired: each side is resampled
// on its own. A resample whose old mean is 0 has no percent change and is
// left out of Pct's interval. NaN values must have been removed (pairwise
// when paired). Randomness comes only from seed, as in Mean.
func (bs *Bootstrap) Change(old, new []float64, paired bool, seed uint64) Change {
	mo, mn := Mean(old), Mean(new)
	ch := Change{Delta: CI{Mean: mn - mo}, Pct: CI{Mean: pct(mn, mo)}}
	nan := math.NaN()
	switch {
	case len(old) == 0 || len(new) == 0:
		ch.Delta = CI{Mean: nan, Lo: nan, Hi: nan}
		ch.Pct = ch.Delta
		return ch
	case len(old) == 1 && len(new) == 1:
		ch.Delta.Lo, ch.Delta.Hi = ch.Delta.Mean, ch.Delta.Mean
		ch.Pct.Lo, ch.Pct.Hi = ch.Pct.Mean, ch.Pct.Mean
		return ch
	}
	b, level := bs.settings()
	deltas := make([]float64, 0, b)
	pcts := make([]float64, 0, b)
	src := rand.NewPCG(seed, seed^0xbb67ae8584caa73b)
	ro, rn := newIndexer(src, len(old)), newIndexer(src, len(new))
	for range b {
		so, sn := 0.0, 0.0
		if paired {
			for range old {
				i := ro.next()
				so += old[i]
				sn += new[i]
			}
		} else {
			for range old {
				so += old[ro.next()]
			}
			for range new {
				sn += new[rn.next()]
			}
		}
		o, n := so/float64(len(old)), sn/float64(len(new))
		deltas = append(deltas, n-o)
		if o != 0 {
			pcts = append(pcts, pct(n, o))
		}
	}
	alpha := (1 - level) / 2
	slices.Sort(deltas)
	ch.Delta.Lo, ch.Delta.Hi = Quantile(deltas, alpha), Quantile(deltas, 1-alpha)
	if mo == 0 || len(pcts) == 0 {
		ch.Pct.Lo, ch.Pct.Hi = nan, nan
	} else {
		slices.Sort(pcts)
		ch.Pct.Lo, ch.Pct.Hi = Quantile(pcts, alpha), Quantile(pcts, 1-alpha)
	}
	return ch
}

func pct(n, o float64) float64 {
	if o == 0 {
		return math.NaN()
	}
	return 100 * (n - o) / o
}

// ExactSignFlipMax is the largest number of pairs whose sign-flip test
// enumerates every one of its 2^n arrangements; above it the test draws
// b random ones.
const ExactSignFlipMax = 14

// SignFlipP is the two-sided p-value of the paired permutation test of
// "the change has mean 0": under that null hypothesis each seed's
// difference d[i] = new[i] - old[i] is as likely to have the other sign,
// so the observed |sum d| is compared with |sum s_i d_i| over sign
// vectors s. For n <= ExactSignFlipMax every vector is enumerated and p is
// exact (p = 1 when every difference is 0; the smallest p is 2/2^n); above
// it b vectors are drawn from seed and p = (1 + hits) / (1 + b), which is
// never below the exact p's distribution (a valid test). An arrangement
// counts as extreme when its |sum| reaches the observed one up to a
// relative 1e-9, so rounding cannot make a tie look smaller.
func SignFlipP(d []float64, b int, seed uint64) float64 {
	n := len(d)
	if n == 0 {
		return math.NaN()
	}
	obs := 0.0
	for _, v := range d {
		obs += v
	}
	thresh := math.Abs(obs) * (1 - 1e-9)
	if n <= ExactSignFlipMax {
		hits := 0
		for mask := range uint32(1) << n {
			s := 0.0
			for i, v := range d {
				if mask>>i&1 == 1 {
					s -= v
				} else {
					s += v
				}
			}
			if math.Abs(s) >= thresh {
				hits++
			}
		}
		return float64(hits) / float64(uint32(1)<<n)
	}
	b = (&Bootstrap{B: b}).resamples()
	src := rand.NewPCG(seed, seed^0x3c6ef372fe94f82b)
	hits := 0
	for range b {
		s := 0.0
		var bitsLeft int
		var word uint64
		for _, v := range d {
			if bitsLeft == 0 {
				word, bitsLeft = src.Uint64(), 64
			}
			if word&1 == 1 {
				s -= v
			} else {
				s += v
			}
			word >>= 1
			bitsLeft--
		}
		if math.Abs(s) >= thresh {
			hits++
		}
	}
	return float64(1+hits) / float64(1+b)
}

// PermutationP is the two-sided p-value of the unpaired permutation test
// of "x and y come from one distribution", with the difference of means as
// its statistic: b random relabellings of the pooled values (drawn from
// seed) are compared with the observed |mean(y) - mean(x)|, ties counted
// as in SignFlipP, and p = (1 + hits) / (1 + b) (a valid test).
func PermutationP(x, y []float64, b int, seed uint64) float64 {
	if len(x) == 0 || len(y) == 0 {
		return math.NaN()
	}
	pool := append(slices.Clone(x), y...)
	total := 0.0
	for _, v := range pool {
		total += v
	}
	diff := func(sumX float64) float64 {
		return (total-sumX)/float64(len(y)) - sumX/float64(len(x))
	}
	sx := 0.0
	for _, v := range x {
		sx += v
	}
	thresh := math.Abs(diff(sx)) * (1 - 1e-9)
	b = (&Bootstrap{B: b}).resamples()
	src := rand.NewPCG(seed, seed^0xa54ff53a5f1d36f1)
	hits := 0
	for range b {
		// A partial Fisher-Yates shuffle: the first len(x) places are a
		// uniform random subset of the pool.
		s := 0.0
		for i := range len(x) {
			j := i + int(below(src, uint64(len(pool)-i)))
			pool[i], pool[j] = pool[j], pool[i]
			s += pool[i]
		}
		if math.Abs(diff(s)) >= thresh {
			hits++
		}
	}
	return float64(1+hits) / float64(1+b)
}

// below draws a uniform integer in [0, n) by Lemire's multiply-and-reject
// method (exact, and the same on every platform and Go version).
func below(src *rand.PCG, n uint64) uint64 {
	thresh := -n % n
	for {
		hi, lo := bits.Mul64(src.Uint64(), n)
		if lo >= thresh {
			return hi
		}
	}
}

// Correction adjusts the p-values of a family of tests for their number.
type Correction string

const (
	// Holm is the Holm-Bonferroni step-down method: the chance of any
	// false positive in the family stays at most the level (family-wise
	// error rate), whatever the dependence between the tests.
	Holm Correction = "holm"
	// BH is the Benjamini-Hochberg step-up method: the expected share of
	// false positives among the positives stays at most the level (false
	// discovery rate), for independent or positively dependent tests.
	BH Correction = "bh"
	// None leaves each test at the level on its own.
	None Correction = "none"
)

// Corrections lists the corrections, for flags and errors.
var Corrections = []Correction{Holm, BH, None}

// Adjust returns the adjusted p-values of p under c, in p's order; a
// test's adjusted p is at most the level exactly when the correction
// rejects it. NaN entries are no test: they stay NaN and do not count in
// the family.
func (c Correction) Adjust(p []float64) []float64 {
	adj := slices.Clone(p)
	var idx []int
	for i, v := range p {
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	m := len(idx)
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
	switch c {
	case Holm:
		run := 0.0
		for k, i := range idx {
			run = max(run, math.Min(1, float64(m-k)*p[i]))
			adj[i] = run
		}
	case BH:
		run := 1.0
		for k := m - 1; k >= 0; k-- {
			i := idx[k]
			run = math.Min(run, math.Min(1, float64(m)/float64(k+1)*p[i]))
			adj[i] = run
		}
	}
	return adj
}

// Diff bootstraps the difference stat(new) - stat(old) of two independent
// samples (each resampled on its own), with its percentile interval: for
// a statistic other than the mean, such as the median. NaN values must
// have been removed.
func (bs *Bootstrap) Diff(old, new []float64, stat func(sorted []float64) float64, seed uint64) CI {
	sorted := func(x []float64) []float64 { s := slices.Clone(x); slices.Sort(s); return s }
	ci := CI{Mean: stat(sorted(new)) - stat(sorted(old)), N: len(old) + len(new)}
	if len(old) == 0 || len(new) == 0 {
		nan := math.NaN()
		return CI{Mean: nan, Lo: nan, Hi: nan}
	}
	b, level := bs.settings()
	src := rand.NewPCG(seed, seed^0x510e527fade682d1)
	ro, rn := newIndexer(src, len(old)), newIndexer(src, len(new))
	xo, xn := make([]float64, len(old)), make([]float64, len(new))
	diffs := make([]float64, b)
	for k := range diffs {
		for i := range xo {
			xo[i] = old[ro.next()]
		}
		for i := range xn {
			xn[i] = new[rn.next()]
		}
		slices.Sort(xo)
		slices.Sort(xn)
		diffs[k] = stat(xn) - stat(xo)
	}
	slices.Sort(diffs)
	alpha := (1 - level) / 2
	ci.Lo, ci.Hi = Quantile(diffs, alpha), Quantile(diffs, 1-alpha)
	return ci
}

// Stat bootstraps a statistic other than the mean (a median, a p99) of
// one sample, with its percentile interval; CI.Mean holds stat(x). NaN
// values must have been removed.
func (bs *Bootstrap) Stat(x []float64, stat func(sorted []float64) float64, seed uint64) CI {
	sorted := slices.Clone(x)
	slices.Sort(sorted)
	ci := CI{Mean: stat(sorted), N: len(x)}
	switch len(x) {
	case 0:
		ci.Mean, ci.Lo, ci.Hi = math.NaN(), math.NaN(), math.NaN()
		return ci
	case 1:
		ci.Lo, ci.Hi = ci.Mean, ci.Mean
		return ci
	}
	b, level := bs.settings()
	src := rand.NewPCG(seed, seed^0x9b05688c2b3e6c1f)
	r := newIndexer(src, len(x))
	xs := make([]float64, len(x))
	vals := make([]float64, b)
	for k := range vals {
		for i := range xs {
			xs[i] = x[r.next()]
		}
		slices.Sort(xs)
		vals[k] = stat(xs)
	}
	slices.Sort(vals)
	alpha := (1 - level) / 2
	ci.Lo, ci.Hi = Quantile(vals, alpha), Quantile(vals, 1-alpha)
	return ci
}

// KS is the two-sample Kolmogorov-Smirnov distance: the largest gap
// between the two empirical distribution functions.
func KS(a, b []float64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return math.NaN()
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	d := 0.0
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		v := math.Inf(1)
		if i < len(x) {
			v = x[i]
		}
		if j < len(y) && y[j] < v {
			v = y[j]
		}
		for i < len(x) && x[i] <= v {
			i++
		}
		for j < len(y) && y[j] <= v {
			j++
		}
		d = max(d, math.Abs(float64(i)/float64(len(x))-float64(j)/float64(len(y))))
	}
	return d
}
