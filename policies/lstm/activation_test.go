package lstm

import (
	"flag"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

var allFloat32 = flag.Bool("all-float32", false, "TestActivationsEveryFloat32: check every float32 input (minutes)")

func sigmoid32Formula(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

func tanh32Formula(x float32) float32 { return float32(math.Tanh(float64(x))) }

// TestActivationsBitIdentical compares the activations with their
// formulas bit for bit: on every 4,099th float32 bit pattern (NaNs,
// infinities, subnormals and both signs included), on the float32 values
// around 0 where a network's sums lie, and on the edges of the fast
// ranges. Every float32 input was checked once (BENCHMARKS.md); this
// keeps a sample in the tests; -all-float32 checks them all again
// (TestActivationsEveryFloat32).
func TestActivationsBitIdentical(t *testing.T) {
	check := func(x float32) {
		t.Helper()
		if got, want := sigmoid32(x), sigmoid32Formula(x); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("sigmoid32(%g = %#08x) = %g, the formula %g", x, math.Float32bits(x), got, want)
		}
		if got, want := tanh32(x), tanh32Formula(x); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("tanh32(%g = %#08x) = %g, the formula %g", x, math.Float32bits(x), got, want)
		}
	}
	for b := uint64(0); b < 1<<32; b += 4099 {
		check(math.Float32frombits(uint32(b)))
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 1 << 20 {
		check(float32(r.NormFloat64() * 8))
	}
	for _, edge := range []float32{0.625, 40, 80, 44, 87, 88, 89} {
		for _, x := range []float32{edge, -edge} {
			v := x
			for range 64 {
				check(v)
				v = math.Nextafter32(v, 0)
			}
			v = x
			for range 64 {
				check(v)
				v = math.Nextafter32(v, float32(math.Inf(int(math.Copysign(1, float64(x))))))
			}
		}
	}
}

// TestExpFastAccuracy bounds expFast against math.Exp where the
// activations use it: within 4 units in the last place (roundMargin
// assumes it).
func TestExpFastAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	worst := 0.0
	for range 1 << 20 {
		y := (r.Float64()*2 - 1) * 80
		got, want := expFast(y), math.Exp(y)
		ulps := math.Abs(got-want) / (math.Nextafter(want, math.Inf(1)) - want)
		worst = max(worst, ulps)
	}
	if worst > 4 {
		t.Errorf("expFast is %.1f units in the last place from math.Exp, want at most 4", worst)
	}
	t.Logf("worst: %.2f units in the last place", worst)
}

// TestActivationsEveryFloat32 is TestActivationsBitIdentical on all 2^32
// float32 inputs, with -all-float32.
func TestActivationsEveryFloat32(t *testing.T) {
	if !*allFloat32 {
		t.Skip("checks every float32 input with -all-float32")
	}
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	bad := make([]uint64, workers)
	for w := range workers {
		wg.Go(func() {
			for b := uint64(w); b < 1<<32; b += uint64(workers) {
				x := math.Float32frombits(uint32(b))
				if math.Float32bits(sigmoid32(x)) != math.Float32bits(sigmoid32Formula(x)) ||
					math.Float32bits(tanh32(x)) != math.Float32bits(tanh32Formula(x)) {
					bad[w]++
					if bad[w] < 5 {
						t.Errorf("input %#08x (%g): an activation differs from its formula", b, x)
					}
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkActivations times the activations and their formulas on
// inputs like a network's sums (normal, sigma 3).
func BenchmarkActivations(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	xs := make([]float32, 1024)
	for i := range xs {
		xs[i] = float32(r.NormFloat64() * 3)
	}
	var s float32
	b.Run("sigmoid32", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			s += sigmoid32(xs[i&1023])
		}
	})
	b.Run("sigmoid32Formula", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			s += sigmoid32Formula(xs[i&1023])
		}
	})
	b.Run("tanh32", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			s += tanh32(xs[i&1023])
		}
	})
	b.Run("tanh32Formula", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			s += tanh32Formula(xs[i&1023])
		}
	})
	_ = s
}
