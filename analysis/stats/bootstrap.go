package stats

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// DefaultResamples is the number of bootstrap resamples B of a table cell.
const DefaultResamples = 10000

// CI is a point estimate with a confidence interval.
type CI struct {
	Mean   float64 // the sample mean
	Lo, Hi float64 // interval bounds; equal to Mean for n = 1, NaN for n = 0
	N      int     // sample size (seeds with a defined value)
}

// Bootstrap computes percentile-bootstrap confidence intervals for the
// mean: it draws b resamples of len(x) values with replacement, takes the
// mean of each, and returns the (1-level)/2 and (1+level)/2 quantiles
// (definition 7, see Quantile) of those b means: the interval of
// scipy.stats.bootstrap(method="percentile").
//
// Randomness comes only from seed (a PCG stream), so equal inputs give
// equal intervals in every process and on every platform. Callers derive
// one seed per cell with Seed, so a cell's interval does not depend on
// which other cells were computed, or in which order.
type Bootstrap struct {
	B     int     // resamples; DefaultResamples if 0
	Level float64 // confidence level; 0.95 if 0

	means []float64 // scratch, reused across calls
}

// Mean returns the mean of x with its percentile-bootstrap interval. NaN
// values must have been removed (see Defined).
func (bs *Bootstrap) Mean(x []float64, seed uint64) CI {
	n := len(x)
	ci := CI{Mean: Mean(x), N: n}
	switch n {
	case 0:
		ci.Lo, ci.Hi = math.NaN(), math.NaN()
		return ci
	case 1:
		ci.Lo, ci.Hi = x[0], x[0]
		return ci
	}
	b, level := bs.settings()
	if cap(bs.means) < b {
		bs.means = make([]float64, b)
	}
	means := bs.means[:b]
	src := rand.NewPCG(seed, seed^0x6a09e667f3bcc909)
	r := newIndexer(src, n)
	inv := 1 / float64(n)
	for i := range means {
		s := 0.0
		for range n {
			s += x[r.next()]
		}
		means[i] = s * inv
	}
	slices.Sort(means)
	alpha := (1 - level) / 2
	ci.Lo = Quantile(means, alpha)
	ci.Hi = Quantile(means, 1-alpha)
	return ci
}

// resamples is B, or its default.
func (bs *Bootstrap) resamples() int {
	if bs.B <= 0 {
		return DefaultResamples
	}
	return bs.B
}

// settings are B and the level, or their defaults.
func (bs *Bootstrap) settings() (b int, level float64) {
	level = bs.Level
	if level <= 0 {
		level = 0.95
	}
	return bs.resamples(), level
}

// indexer draws uniform indices in [0, n) from 32-bit halves of a PCG
// stream by Lemire's multiply-and-reject method: exact (no modulo bias) and
// one draw of the generator per two indices, which is most of the cost of
// a bootstrap.
type indexer struct {
	src    *rand.PCG
	n      uint32
	thresh uint32 // 2^32 mod n: products whose low half is below it are rejected
	buf    uint64
	have   bool
}

func newIndexer(src *rand.PCG, n int) *indexer {
	return &indexer{src: src, n: uint32(n), thresh: -uint32(n) % uint32(n)}
}

func (r *indexer) half() uint32 {
	if r.have {
		r.have = false
		return uint32(r.buf >> 32)
	}
	r.buf = r.src.Uint64()
	r.have = true
	return uint32(r.buf)
}

func (r *indexer) next() int {
	for {
		hi, lo := bits.Mul32(r.half(), r.n)
		if lo >= r.thresh {
			return int(hi)
		}
	}
}

// Seed derives the bootstrap seed of one cell from a base seed and the
// cell's identity (for example experiment, scenario, policy, variant and
// metric), by FNV-1a over the length-prefixed parts.
func Seed(base uint64, key ...string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], base)
	h.Write(b[:])
	for _, k := range key {
		binary.LittleEndian.PutUint64(b[:], uint64(len(k)))
		h.Write(b[:])
		h.Write([]byte(k))
	}
	return h.Sum64()
}
