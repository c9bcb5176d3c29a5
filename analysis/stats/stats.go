// Package stats holds the statistics of ballast's tables: a quantile with a
// stated definition, means that skip undefined values, and a seeded,
// deterministic percentile bootstrap.
package stats

import (
	"math"
	"slices"
	"strconv"
)

// Quantile returns the p-quantile (0 <= p <= 1) of sorted, by linear
// interpolation between order statistics: Hyndman and Fan's definition 7,
// the default of R's quantile() and of numpy.percentile. With h = (n-1)p,
// it is x[floor(h)] + (h-floor(h))(x[floor(h)+1]-x[floor(h)]) on 0-based
// sorted x. It is NaN for an empty sample.
//
// Definition 7 is used (not gonum's stat.Quantile, whose LinInterp is
// definition 4) because it is what the BALLAST paper's Python tooling
// computes and because it returns the maximum at p = 1 and the minimum at
// p = 0 for every n, so a p99 never exceeds the max column beside it.
//
// sorted must be in ascending order; Quantile panics otherwise, because a
// quantile of unsorted data is silently wrong.
func Quantile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 || math.IsNaN(p) {
		return math.NaN()
	}
	if !slices.IsSorted(sorted) {
		panic("stats.Quantile: input not sorted")
	}
	if p <= 0 {
		return sorted[0]
	}
	if p >= 1 {
		return sorted[n-1]
	}
	h := float64(n-1) * p
	lo := int(h)
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// Mean is the arithmetic mean; NaN for an empty sample.
func Mean(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// Max is the largest value; NaN for an empty sample.
func Max(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	return m
}

// Defined returns the values of x that are not NaN, in order. A per-run
// metric is NaN where it is undefined for that run (a recovery mean of a
// run without unwritable intervals); cells average over the runs where it
// is defined and report how many those were.
func Defined(x []float64) []float64 {
	out := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out
}

// RelDelta is the relative difference of v from base in percent,
// 100 (v - base) / base. It is 0 when both are 0 (nothing changed, as for
// a LAN scenario without outages) and NaN when only base is 0 or either is
// NaN.
func RelDelta(v, base float64) float64 {
	if math.IsNaN(base) || math.IsNaN(v) {
		return math.NaN()
	}
	if base == 0 {
		if v == 0 {
			return 0
		}
		return math.NaN()
	}
	return 100 * (v - base) / base
}

// NullFloat is a float64 that encodes in JSON as a number, or null when it
// is undefined (NaN, ±Inf), which encoding/json refuses to encode.
type NullFloat float64

// MarshalJSON implements json.Marshaler.
func (v NullFloat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(v), 'g', -1, 64), nil
}
