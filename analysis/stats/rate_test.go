package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// TestPoissonRate against published values of the exact Poisson interval
// (Garwood 1936; e.g. the table in Ulm 1990, "Simple method to calculate
// the confidence interval of a standardized mortality ratio"): 95 %
// limits for k = 0: [0, 3.689], k = 1: [0.0253, 5.572], k = 5: [1.624,
// 11.668], k = 10: [4.795, 18.390]; one-sided 95 % upper bound for k = 0:
// -ln 0.05 = 2.996.
func TestPoissonRate(t *testing.T) {
	for _, tt := range []struct {
		k              int64
		lo, hi, upper0 float64
	}{
		{0, 0, 3.689, 2.996},
		{1, 0.0253, 5.572, 0},
		{5, 1.624, 11.668, 0},
		{10, 4.795, 18.390, 0},
	} {
		r := PoissonRate(tt.k, 2, 0.95) // exposure 2: every figure halves
		if math.Abs(r.Lo-tt.lo/2) > 0.0006 || math.Abs(r.Hi-tt.hi/2) > 0.0006 || r.Rate != float64(tt.k)/2 {
			t.Errorf("k=%d: rate %g [%g, %g], want %g [%g, %g]", tt.k, r.Rate, r.Lo, r.Hi, float64(tt.k)/2, tt.lo/2, tt.hi/2)
		}
		if tt.k == 0 && math.Abs(r.Upper-tt.upper0/2) > 0.0006 {
			t.Errorf("k=0: upper bound %g, want %g", r.Upper, tt.upper0/2)
		}
		if r.Upper > r.Hi || r.Upper < r.Rate {
			t.Errorf("k=%d: one-sided bound %g outside [rate %g, two-sided hi %g]", tt.k, r.Upper, r.Rate, r.Hi)
		}
	}
	if r := PoissonRate(3, 0, 0.95); !math.IsNaN(r.Rate) || !math.IsNaN(r.Upper) {
		t.Errorf("no exposure: %+v, want NaN", r)
	}
}

// TestPoissonRateIsChiSquared: the bounds are Garwood's chi-squared
// quantiles as gonum's distuv computes them, bit for bit (PoissonRate
// calls the gamma inverse under them directly; see its comment).
func TestPoissonRateIsChiSquared(t *testing.T) {
	for _, k := range []int64{0, 1, 2, 3, 7, 30, 1000, 123456} {
		for _, level := range []float64{0.5, 0.9, 0.95, 0.99, 0.999} {
			for _, exposure := range []float64{0.1, 1, 2, 365.25} {
				r := PoissonRate(k, exposure, level)
				kf := float64(k)
				lo := 0.0
				if k > 0 {
					lo = distuv.ChiSquared{K: 2 * kf}.Quantile((1-level)/2) / 2 / exposure
				}
				hi := distuv.ChiSquared{K: 2*kf + 2}
				want := Rate{Count: k, Exposure: exposure, Rate: kf / exposure, Lo: lo,
					Hi:    hi.Quantile((1+level)/2) / 2 / exposure,
					Upper: hi.Quantile(level) / 2 / exposure}
				if r != want {
					t.Errorf("k=%d level=%g exposure=%g: %+v, distuv gives %+v", k, level, exposure, r, want)
				}
			}
		}
	}
}

// TestStatCoverage: the percentile bootstrap interval of a median covers
// the population median about as often as its level says (uniform
// samples of 101, true median 0.5; 400 samples, so 95 % coverage gives
// 380 +- 9 covered).
func TestStatCoverage(t *testing.T) {
	bs := Bootstrap{B: 1000}
	rng := rand.New(rand.NewPCG(7, 8))
	median := func(s []float64) float64 { return Quantile(s, 0.5) }
	covered := 0
	x := make([]float64, 101)
	for i := range 400 {
		for j := range x {
			x[j] = rng.Float64()
		}
		ci := bs.Stat(x, median, uint64(i))
		if ci.Lo > ci.Mean || ci.Mean > ci.Hi {
			t.Fatalf("sample %d: estimate %g outside its interval [%g, %g]", i, ci.Mean, ci.Lo, ci.Hi)
		}
		if ci.Lo <= 0.5 && 0.5 <= ci.Hi {
			covered++
		}
	}
	if covered < 362 || covered > 398 {
		t.Errorf("the 95 %% interval covered the median %d times in 400; want 380 +- 18", covered)
	}
	if ci := bs.Stat([]float64{3}, median, 1); ci.Mean != 3 || ci.Lo != 3 || ci.Hi != 3 {
		t.Errorf("one value: %+v", ci)
	}
	if ci := bs.Stat(nil, median, 1); !math.IsNaN(ci.Mean) || !math.IsNaN(ci.Lo) {
		t.Errorf("no values: %+v", ci)
	}
}
