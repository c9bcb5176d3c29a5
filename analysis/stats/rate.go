package stats

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// Rate is a Poisson rate estimated from a count of events over an
// exposure, with its exact (Garwood) confidence interval and one-sided
// upper bound.
type Rate struct {
	Count    int64
	Exposure float64 // in the rate's unit of time, e.g. days
	Rate     float64 // Count / Exposure
	Lo, Hi   float64 // two-sided interval at the level asked for
	Upper    float64 // one-sided upper bound at the level asked for
}

// PoissonRate estimates the rate of events from count events seen in
// exposure units of time. The interval is Garwood's exact one, from the
// chi-squared quantiles: [chi2((1-level)/2; 2k) / 2, chi2((1+level)/2;
// 2k+2) / 2] / exposure; the one-sided upper bound is chi2(level; 2k+2) /
// 2 / exposure, which for no events is -ln(1-level) / exposure (the "rule
// of three" at 95 %). An exposure <= 0 gives NaN throughout.
//
// Half a chi-squared quantile with 2k degrees of freedom is the quantile
// of a Gamma(k, 1): the regularized incomplete gamma function's inverse,
// which is what gonum's distuv.ChiSquared.Quantile computes (and doubles).
// Calling mathext for it keeps distuv, and with it gonum's stat, mat and
// lapack, out of the binary (4 CPU-s of a cold build); the test checks
// that the values are distuv's to the bit.
func PoissonRate(count int64, exposure, level float64) Rate {
	r := Rate{Count: count, Exposure: exposure}
	if exposure <= 0 || count < 0 {
		nan := math.NaN()
		r.Rate, r.Lo, r.Hi, r.Upper = nan, nan, nan, nan
		return r
	}
	k := float64(count)
	r.Rate = k / exposure
	if count > 0 {
		r.Lo = mathext.GammaIncRegInv(k, (1-level)/2) / exposure
	}
	r.Hi = mathext.GammaIncRegInv(k+1, (1+level)/2) / exposure
	r.Upper = mathext.GammaIncRegInv(k+1, level) / exposure
	return r
}
