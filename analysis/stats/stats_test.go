package stats

import (
	"math"
	"testing"
)

// Expected values are worked out by hand from definition 7 (and agree with
// numpy.percentile's default): h = (n-1)p, x[floor h] + frac(h) * gap.
func TestQuantile(t *testing.T) {
	cases := []struct {
		x    []float64
		p    float64
		want float64
	}{
		{[]float64{1, 2, 3, 4}, 0.5, 2.5},        // h = 1.5
		{[]float64{1, 2, 3, 4}, 0.95, 3.85},      // h = 2.85
		{[]float64{1, 2, 3, 4}, 0.99, 3.97},      // h = 2.97
		{[]float64{1, 2, 3, 4}, 0, 1},            // minimum
		{[]float64{1, 2, 3, 4}, 1, 4},            // maximum
		{[]float64{10, 20}, 0.25, 12.5},          // h = 0.25
		{[]float64{7}, 0.99, 7},                  // one value
		{[]float64{0, 100, 100, 1000}, 0.9, 730}, // h = 2.7: 100 + 0.7*900
	}
	for _, c := range cases {
		if got := Quantile(c.x, c.p); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Quantile(%v, %v) = %v, want %v", c.x, c.p, got, c.want)
		}
	}
	if got := Quantile(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("Quantile of empty = %v, want NaN", got)
	}
}

func TestQuantileUnsortedPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Quantile of unsorted input did not panic")
		}
	}()
	Quantile([]float64{3, 1, 2}, 0.5)
}

func TestMeanMaxDefined(t *testing.T) {
	x := []float64{1, math.NaN(), 3}
	d := Defined(x)
	if len(d) != 2 || d[0] != 1 || d[1] != 3 {
		t.Fatalf("Defined = %v", d)
	}
	if m := Mean(d); m != 2 {
		t.Errorf("Mean = %v, want 2", m)
	}
	if m := Max(d); m != 3 {
		t.Errorf("Max = %v, want 3", m)
	}
	if !math.IsNaN(Mean(nil)) || !math.IsNaN(Max(nil)) {
		t.Error("Mean/Max of empty should be NaN")
	}
}

func TestRelDelta(t *testing.T) {
	cases := []struct{ v, base, want float64 }{
		{110, 100, 10},
		{50, 200, -75},
		{0, 0, 0},
		{1, 0, math.NaN()},
		{math.NaN(), 1, math.NaN()},
	}
	for _, c := range cases {
		got := RelDelta(c.v, c.base)
		if math.IsNaN(c.want) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-c.want) > 1e-12) {
			t.Errorf("RelDelta(%v, %v) = %v, want %v", c.v, c.base, got, c.want)
		}
	}
}
