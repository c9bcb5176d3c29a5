package netproxy

import "math"

// Buckets of a Histogram: bucket 0 holds values <= 0 (on time); bucket k
// >= 1 holds values in (growth^(k-2), growth^(k-1)] µs, the last one
// everything above growth^(nBuckets-3) (about 50 minutes).
const (
	growth   = 1.05
	nBuckets = 450
)

// Histogram counts µs values in buckets 5 % wide: the count, sum, minimum
// and maximum are exact, quantiles are a bucket's upper bound (at most 5 %
// above the true value). Its size is fixed however many values it holds.
type Histogram struct {
	N            int64
	SumUS        int64
	MinUS, MaxUS int64
	buckets      []int64
}

func bucket(us int64) int {
	if us <= 0 {
		return 0
	}
	k := 1 + int(math.Ceil(math.Log(float64(us))/math.Log(growth)-1e-9))
	return min(max(k, 1), nBuckets-1)
}

// Add counts one value.
func (h *Histogram) Add(us int64) {
	if h.buckets == nil {
		h.buckets = make([]int64, nBuckets)
	}
	if h.N == 0 || us < h.MinUS {
		h.MinUS = us
	}
	if h.N == 0 || us > h.MaxUS {
		h.MaxUS = us
	}
	h.N++
	h.SumUS += us
	h.buckets[bucket(us)]++
}

// Merge adds o's values to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.N == 0 {
		return
	}
	if h.buckets == nil {
		h.buckets = make([]int64, nBuckets)
	}
	if h.N == 0 || o.MinUS < h.MinUS {
		h.MinUS = o.MinUS
	}
	if h.N == 0 || o.MaxUS > h.MaxUS {
		h.MaxUS = o.MaxUS
	}
	h.N += o.N
	h.SumUS += o.SumUS
	for i, c := range o.buckets {
		h.buckets[i] += c
	}
}

func (h *Histogram) clone() Histogram {
	c := *h
	if h.buckets != nil {
		c.buckets = append([]int64(nil), h.buckets...)
	}
	return c
}

// MeanUS is the mean value; NaN when empty.
func (h *Histogram) MeanUS() float64 {
	if h.N == 0 {
		return math.NaN()
	}
	return float64(h.SumUS) / float64(h.N)
}

// QuantileUS is the p-quantile: the upper bound of the bucket holding the
// value of rank ceil(p N), clamped to [MinUS, MaxUS]; NaN when empty.
func (h *Histogram) QuantileUS(p float64) float64 {
	if h.N == 0 {
		return math.NaN()
	}
	rank := max(int64(math.Ceil(p*float64(h.N))), 1)
	seen := int64(0)
	for k, c := range h.buckets {
		if seen += c; seen >= rank {
			up := 0.0
			if k > 0 {
				up = math.Pow(growth, float64(k-1))
			}
			return math.Min(math.Max(up, float64(h.MinUS)), float64(h.MaxUS))
		}
	}
	return float64(h.MaxUS)
}
