package stats

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestBootstrapSmallSamples(t *testing.T) {
	var bs Bootstrap
	if ci := bs.Mean(nil, 1); ci.N != 0 || !math.IsNaN(ci.Mean) || !math.IsNaN(ci.Lo) || !math.IsNaN(ci.Hi) {
		t.Errorf("empty: %+v", ci)
	}
	if ci := bs.Mean([]float64{4.5}, 1); ci != (CI{Mean: 4.5, Lo: 4.5, Hi: 4.5, N: 1}) {
		t.Errorf("one value: %+v", ci)
	}
	// Constant data: every resample has the same mean.
	if ci := bs.Mean([]float64{2, 2, 2, 2}, 1); ci.Lo != 2 || ci.Hi != 2 {
		t.Errorf("constant: %+v", ci)
	}
}

func TestBootstrapDeterministic(t *testing.T) {
	x := []float64{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5}
	a := (&Bootstrap{}).Mean(x, 42)
	b := (&Bootstrap{}).Mean(x, 42)
	if a != b {
		t.Fatalf("same seed, different intervals: %+v vs %+v", a, b)
	}
	// The scratch buffer of a reused Bootstrap must not leak into results.
	var bs Bootstrap
	bs.Mean([]float64{100, 200, 300}, 7)
	if c := bs.Mean(x, 42); c != a {
		t.Fatalf("reused Bootstrap: %+v vs %+v", c, a)
	}
	// Continuous data: a different seed moves the interval's ends.
	y := []float64{3.17, 1.42, 4.83, 1.09, 5.51, 9.26, 2.65, 6.38, 5.97, 3.04, 5.72}
	if c, d := (&Bootstrap{}).Mean(y, 42), (&Bootstrap{}).Mean(y, 43); c == d {
		t.Errorf("different seeds gave identical intervals %+v", d)
	}
	if Seed(1, "a", "bc") == Seed(1, "ab", "c") {
		t.Error("Seed does not separate its key parts")
	}
	first, again := Seed(1, "x"), Seed(1, "x")
	if first != again || first == Seed(2, "x") {
		t.Error("Seed is not a function of (base, key)")
	}
}

// TestBootstrapExactDistribution checks the resampling against the exact
// bootstrap distribution of a 3-value sample: the 27 ordered resamples
// are equally likely, which gives the probability of each resample mean in
// closed form. The empirical frequencies of B = 200000 resample means must
// match within 5 standard errors.
func TestBootstrapExactDistribution(t *testing.T) {
	x := []float64{1, 2, 6}
	exact := map[float64]float64{}
	for _, a := range x {
		for _, b := range x {
			for _, c := range x {
				exact[(a+b+c)/3] += 1.0 / 27
			}
		}
	}
	const B = 200000
	bs := Bootstrap{B: B}
	bs.Mean(x, 9)
	got := map[float64]float64{}
	for _, m := range bs.means[:B] {
		got[math.Round(m*3)/3] += 1.0 / B // sums of thirds; undo rounding noise
	}
	for v, p := range exact {
		key := math.Round(v*3) / 3
		se := math.Sqrt(p * (1 - p) / B)
		if d := math.Abs(got[key] - p); d > 5*se {
			t.Errorf("P(mean = %.4f): got %.5f, exact %.5f (%.1f SE)", v, got[key], p, d/se)
		}
	}
	if len(got) != len(exact) {
		t.Errorf("%d distinct resample means, want %d", len(got), len(exact))
	}
}

// TestIndexerUniform: each index of [0, 7) is drawn with frequency 1/7.
func TestIndexerUniform(t *testing.T) {
	const n, draws = 7, 700000
	nn := uint32(n)
	r := indexer{src: rand.NewPCG(1, 2), n: nn, thresh: -nn % nn}
	var count [n]int
	for range draws {
		count[r.next()]++
	}
	chi2 := 0.0
	for _, c := range count {
		e := float64(draws) / n
		chi2 += (float64(c) - e) * (float64(c) - e) / e
	}
	// 6 degrees of freedom: P(chi2 > 22.46) = 0.001.
	if chi2 > 22.46 {
		t.Errorf("chi-square %.2f over 6 df; counts %v", chi2, count)
	}
}

// TestBootstrapCoverage: on normal samples with known mean, the 95 %
// percentile interval must cover the mean in 93-97 % of 1000 repetitions.
//
// n = 100 values per sample: the percentile interval of the mean is about
// mean ± 1.96 s·sqrt((n-1)/n)/sqrt(n) (the bootstrap uses the plug-in
// variance), which covers with probability P(|t_{n-1}| < 1.96 sqrt((n-1)/n)):
// 94.6 % for n = 100, but only 93.6 % for n = 30, too close to the 93 %
// bound to test with 1000 repetitions (standard error 0.7 %). B = 2000
// resamples per interval keep the test short; coverage hardly depends on B
// beyond a few hundred.
func TestBootstrapCoverage(t *testing.T) {
	if testing.Short() {
		t.Skip("coverage study skipped in -short mode")
	}
	const (
		reps = 1000
		n    = 100
		mu   = 5.0
		sd   = 2.0
	)
	rng := rand.New(rand.NewPCG(2024, 5))
	bs := Bootstrap{B: 2000}
	x := make([]float64, n)
	covered := 0
	for rep := range reps {
		for i := range x {
			x[i] = mu + sd*rng.NormFloat64()
		}
		ci := bs.Mean(x, Seed(11, fmt.Sprint(rep)))
		if ci.Lo <= mu && mu <= ci.Hi {
			covered++
		}
	}
	frac := float64(covered) / reps
	t.Logf("coverage %.1f %% of %d repetitions (n = %d, B = %d)", 100*frac, reps, n, bs.B)
	if frac < 0.93 || frac > 0.97 {
		t.Errorf("coverage %.3f outside [0.93, 0.97]", frac)
	}
}

// TestBootstrapAgainstScipy compares one interval with
// scipy.stats.bootstrap(method="percentile"), an independent
// implementation, when python3 with scipy is installed (Debian:
// python3-scipy). The two use different random streams, so they agree
// only up to Monte Carlo error: with B = 100000 resamples the endpoints'
// standard error is about 0.3 % of the interval width here; the test
// allows 3 %.
func TestBootstrapAgainstScipy(t *testing.T) {
	// The python3 on PATH first, then Debian's (python3-scipy installs
	// there even when another python3 comes first on PATH).
	py := ""
	for _, cand := range []string{"python3", "/usr/bin/python3"} {
		p, err := exec.LookPath(cand)
		if err == nil && exec.Command(p, "-c", "import scipy.stats, numpy").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		t.Skip("no python3 with scipy (Debian: apt-get install python3-scipy): skipping the comparison with scipy.stats.bootstrap")
	}
	// 30 per-seed recovery means (ms), skewed like the real ones.
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 30)
	for i := range x {
		x[i] = 100 + 400*rng.ExpFloat64()
	}
	const B = 100000
	ours := (&Bootstrap{B: B}).Mean(x, 1)

	data, _ := json.Marshal(x)
	script := fmt.Sprintf(`
import json, sys, numpy as np, scipy.stats as st
x = np.array(json.loads(sys.stdin.read()))
r = st.bootstrap((x,), np.mean, n_resamples=%d, confidence_level=0.95, method="percentile", random_state=np.random.default_rng(0))
print(r.confidence_interval.low, r.confidence_interval.high)
`, B)
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scipy: %v\n%s", err, out)
	}
	var lo, hi float64
	if _, err := fmt.Sscan(strings.TrimSpace(string(out)), &lo, &hi); err != nil {
		t.Fatalf("parsing scipy output %q: %v", out, err)
	}
	width := hi - lo
	t.Logf("ours [%.3f, %.3f], scipy [%.3f, %.3f]", ours.Lo, ours.Hi, lo, hi)
	if math.Abs(ours.Lo-lo) > 0.03*width || math.Abs(ours.Hi-hi) > 0.03*width {
		t.Errorf("ours [%.3f, %.3f] vs scipy [%.3f, %.3f]: differ by more than 3 %% of the width", ours.Lo, ours.Hi, lo, hi)
	}
}

// BenchmarkBootstrapTable: one table's worth of intervals, 20 cells of 30
// seeds each at B = 10000 (target: under one second per op).
func BenchmarkBootstrapTable(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	cells := make([][]float64, 20)
	for i := range cells {
		cells[i] = make([]float64, 30)
		for j := range cells[i] {
			cells[i][j] = 100 + 50*rng.NormFloat64()
		}
	}
	var bs Bootstrap
	b.ReportAllocs()
	for b.Loop() {
		for i, c := range cells {
			bs.Mean(c, uint64(i))
		}
	}
}

func TestSeedsSortable(t *testing.T) {
	// Intervals come back sorted: Lo <= Mean <= Hi on skewed data too.
	x := []float64{1, 1, 1, 1, 50}
	ci := (&Bootstrap{}).Mean(x, 5)
	if !(ci.Lo <= ci.Mean && ci.Mean <= ci.Hi) {
		t.Errorf("interval %+v does not contain the mean", ci)
	}
	if !slices.IsSorted([]float64{ci.Lo, ci.Hi}) {
		t.Errorf("Lo > Hi: %+v", ci)
	}
}
