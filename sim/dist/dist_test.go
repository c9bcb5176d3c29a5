package dist

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func f(v float64) *float64 { return &v }

// TestSamplesMatchConfiguredDistribution draws 200k samples per family and
// compares the sample mean and quantiles with closed forms computed
// independently by gonum's distuv (or by hand for the truncated normal).
func TestSamplesMatchConfiguredDistribution(t *testing.T) {
	cases := []struct {
		name string
		spec Spec
		mean float64
		q    func(p float64) float64 // independent quantile function
	}{
		{"constant", Spec{Dist: "constant", ValueMS: f(7)}, 7, func(float64) float64 { return 7 }},
		{"uniform", Spec{Dist: "uniform", MinMS: f(150), MaxMS: f(300)}, 225,
			distuv.Uniform{Min: 150, Max: 300}.Quantile},
		{"exponential", Spec{Dist: "exponential", MeanMS: f(12)}, 12,
			distuv.Exponential{Rate: 1.0 / 12}.Quantile},
		{"lognormal", Spec{Dist: "lognormal", MedianMS: f(20), Sigma: f(0.6)}, 20 * math.Exp(0.18),
			distuv.LogNormal{Mu: math.Log(20), Sigma: 0.6}.Quantile},
		{"pareto", Spec{Dist: "pareto", ScaleMS: f(10), Shape: f(3)}, 15,
			distuv.Pareto{Xm: 10, Alpha: 3}.Quantile},
		// Mean 10, std 5: truncation at 0 removes 2.3 % of the mass.
		{"normal truncated", Spec{Dist: "normal", MeanMS: f(10), StdMS: f(5)},
			10 + 5*distuv.UnitNormal.Prob(-2)/(1-distuv.UnitNormal.CDF(-2)),
			func(p float64) float64 {
				lo := distuv.UnitNormal.CDF(-2)
				return 10 + 5*distuv.UnitNormal.Quantile(lo+p*(1-lo))
			}},
	}
	const n = 200_000
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if fe := c.spec.Validate("jitter"); fe != nil {
				t.Fatal(fe)
			}
			d := Compile(&c.spec)
			if got := d.MeanMS(); math.Abs(got-c.mean) > 1e-9*math.Max(1, c.mean) {
				t.Errorf("closed-form MeanMS = %v, want %v", got, c.mean)
			}
			r := rand.New(rand.NewPCG(1, 2))
			xs := make([]float64, n)
			sum := 0.0
			for i := range xs {
				xs[i] = float64(d.SampleUS(r)) / 1000
				sum += xs[i]
			}
			slices.Sort(xs)
			if got := sum / n; math.Abs(got-c.mean) > 0.02*c.mean+0.002 {
				t.Errorf("sample mean %.4f, want %.4f ± 2%%", got, c.mean)
			}
			for _, p := range []float64{0.1, 0.5, 0.9, 0.99} {
				want := c.q(p)
				got := xs[int(p*n)]
				if math.Abs(got-want) > 0.03*want+0.002 {
					t.Errorf("sample p%v = %.4f, want %.4f ± 3%%", p*100, got, want)
				}
				if dq := d.QuantileMS(p); math.Abs(dq-want) > 1e-6*math.Max(1, want) {
					t.Errorf("QuantileMS(%v) = %v, independent %v", p, dq, want)
				}
			}
		})
	}
}

func TestMixtureWeightsAndTail(t *testing.T) {
	spec := Spec{Dist: "mixture", Components: []Component{
		{Weight: 3, Spec: Spec{Dist: "constant", ValueMS: f(5)}},
		{Weight: 1, Spec: Spec{Dist: "pareto", ScaleMS: f(100), Shape: f(2)}},
	}}
	if fe := spec.Validate("jitter"); fe != nil {
		t.Fatal(fe)
	}
	d := Compile(&spec)
	if want := 0.75*5 + 0.25*200; math.Abs(d.MeanMS()-want) > 1e-9 {
		t.Errorf("MeanMS = %v, want %v", d.MeanMS(), want)
	}
	r := rand.New(rand.NewPCG(3, 4))
	const n = 100_000
	fives := 0
	for i := 0; i < n; i++ {
		if d.SampleUS(r) == 5000 {
			fives++
		}
	}
	if frac := float64(fives) / n; math.Abs(frac-0.75) > 0.01 {
		t.Errorf("constant component drawn %.4f of the time, want 0.75", frac)
	}
	// P(X <= 200) = 0.75 + 0.25*(1 - (100/200)^2).
	if got, want := d.CDF(200), 0.75+0.25*0.75; math.Abs(got-want) > 1e-12 {
		t.Errorf("CDF(200) = %v, want %v", got, want)
	}
}

func TestValidateNamesFieldAndAllowedValues(t *testing.T) {
	cases := []struct {
		spec Spec
		want string
	}{
		{Spec{Dist: "gamma"}, "jitter.dist: unknown distribution \"gamma\"; allowed: constant, empirical, exponential, lognormal, mixture, normal, pareto, uniform"},
		{Spec{}, "jitter.dist: missing"},
		{Spec{Dist: "uniform", MinMS: f(1)}, "jitter.max_ms: missing; dist uniform needs min_ms and max_ms"},
		{Spec{Dist: "uniform", MinMS: f(5), MaxMS: f(1)}, "jitter.max_ms: 1 is below min_ms 5"},
		{Spec{Dist: "constant", ValueMS: f(-1)}, "jitter.value_ms: -1 is not allowed; allowed: a finite number >= 0"},
		{Spec{Dist: "constant", ValueMS: f(1), Sigma: f(2)}, "jitter.sigma: not a parameter of dist constant; allowed: value_ms"},
		{Spec{Dist: "pareto", ScaleMS: f(1), Shape: f(0)}, "jitter.shape: 0 is not allowed; allowed: a finite number > 0"},
		{Spec{Dist: "mixture", Components: []Component{{Weight: 1, Spec: Spec{Dist: "exponential", MeanMS: f(-2)}}}},
			"jitter.components[0].mean_ms: -2 is not allowed"},
		{Spec{Dist: "mixture", Components: []Component{{Weight: -1, Spec: Spec{Dist: "constant", ValueMS: f(1)}}}},
			"jitter.components[0].weight: -1 is not allowed"},
	}
	for _, c := range cases {
		fe := c.spec.Validate("jitter")
		if fe == nil {
			t.Errorf("%+v: no error, want %q", c.spec, c.want)
			continue
		}
		if got := fe.Path + ": " + fe.Msg; !strings.HasPrefix(got, c.want) {
			t.Errorf("got %q, want prefix %q", got, c.want)
		}
	}
}

func TestHeavyTailIsCapped(t *testing.T) {
	d := Compile(&Spec{Dist: "pareto", ScaleMS: f(1), Shape: f(0.05)})
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 10_000; i++ {
		if us := d.SampleUS(r); us < 1000 || us > maxSampleUS {
			t.Fatalf("sample %d µs outside [1 ms, 1 day]", us)
		}
	}
}

func BenchmarkSampleUS(b *testing.B) {
	d := Compile(&Spec{Dist: "lognormal", MedianMS: f(20), Sigma: f(0.6)})
	r := rand.New(rand.NewPCG(1, 1))
	var sink int64
	for b.Loop() {
		sink += d.SampleUS(r)
	}
	_ = sink
}

// TestEmpiricalDrawsItsSamples: an empirical distribution draws each of its
// samples with equal probability (a chi-square test over 4 samples, one
// repeated, so its value has twice the probability: 3 values, 2 degrees
// of freedom, 13.82 at p = 0.001), its mean and CDF are the samples', and without
// samples it is refused naming the file.
func TestEmpiricalDrawsItsSamples(t *testing.T) {
	s := Spec{Dist: "empirical", File: "rtt.txt", Samples: []float64{1, 2.5, 2.5, 40}}
	if fe := s.Validate("network.default.jitter"); fe != nil {
		t.Fatal(fe)
	}
	d := Compile(&s)
	if m := d.MeanMS(); m != 11.5 {
		t.Errorf("mean %v, want 11.5", m)
	}
	if c := d.CDF(2.5); c != 0.75 {
		t.Errorf("CDF(2.5) = %v, want 0.75", c)
	}
	r := rand.New(rand.NewPCG(1, 2))
	const n = 40_000
	counts := map[int64]float64{}
	for range n {
		counts[d.SampleUS(r)]++
	}
	chi := 0.0
	for us, p := range map[int64]float64{1000: 0.25, 2500: 0.5, 40000: 0.25} {
		chi += (counts[us] - p*n) * (counts[us] - p*n) / (p * n)
	}
	if len(counts) != 3 || chi > 13.82 {
		t.Errorf("draws %v: chi-square %.1f", counts, chi)
	}
	empty := Spec{Dist: "empirical", File: "rtt.txt"}
	if fe := empty.Validate("jitter"); fe == nil || !strings.Contains(fe.Error(), "jitter.file: rtt.txt was not read") {
		t.Errorf("an empirical spec without samples: %v", fe)
	}
}
