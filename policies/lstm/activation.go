package lstm

import "math"

// The network's float32 activations are the float64 functions rounded to
// float32: sigmoid32(x) = float32(1/(1+math.Exp(-x))), tanh32(x) =
// float32(math.Tanh(x)). An LSTM step calls them 300 times. They are
// computed here with a cheaper exponential (expFast, within a few units
// in the last place of math.Exp), and the result is kept only when
// rounding it to float32 cannot differ from rounding the formula's: when
// the float64 value is farther from a float32 rounding midpoint than the
// two can differ. The rest (about one call in a million: 2 x 256 of the
// 2^29 positions below float32 precision) take the formula itself. So
// the results are bit for bit the formula's (TestActivationsBitIdentical;
// every float32 input with -all-float32).

// roundMargin is how many float64 units in the last place the fast value
// must keep from a float32 rounding midpoint. The fast and the exact
// float64 values differ by at most about 12 units (expFast within 4 of
// math.Exp, then two roundings each); 256 leaves a wide margin.
const roundMargin = 256

// float32Safe reports whether float32(v) is float32(w) for every w within
// roundMargin units in the last place of v: v's 29 bits below float32
// precision are not near the midpoint between two float32 values (a
// binade's edge is a float32 value, far from any midpoint). v must be in
// float32's normal range.
func float32Safe(v float64) bool {
	const half = 1 << 28 // the midpoint, in the 29 dropped bits
	low := int64(math.Float64bits(v) & (1<<29 - 1))
	d := low - half
	return d > roundMargin || d < -roundMargin
}

func sigmoid32(x float32) float32 {
	y := float64(x)
	// Outside (-80, 80), and for NaN, the formula: near -87 the result
	// leaves float32's normal range.
	if y > -80 && y < 80 {
		if v := 1 / (1 + expFast(-y)); float32Safe(v) {
			return float32(v)
		}
	}
	return float32(1 / (1 + math.Exp(-y)))
}

func tanh32(x float32) float32 {
	y := float64(x)
	// math.Tanh's own branch for 0.625 <= |x| <= 44, with expFast for
	// math.Exp; below it math.Tanh uses no exponential.
	if z := math.Abs(y); z >= 0.625 && z < 40 {
		v := 1 - 2/(expFast(2*z)+1)
		if float32Safe(v) {
			if y < 0 {
				v = -v
			}
			return float32(v)
		}
	}
	return float32(math.Tanh(y))
}

// expTable[j] is 2^(j/64).
var expTable = func() (t [64]float64) {
	for j := range t {
		t[j] = math.Exp2(float64(j) / 64)
	}
	return t
}()

// expFast is e^y for |y| < 88, within about 4 units in the last place of
// math.Exp: y = (64m + j) ln2/64 + r with |r| <= ln2/128, e^y = 2^m
// 2^(j/64) e^r, e^r by its Taylor series to r^6 (the next term is below
// 2^-66 relative).
func expFast(y float64) float64 {
	const (
		invLn2x64 = 64 / math.Ln2
		// Adding and subtracting 1.5 * 2^52 rounds to an integer.
		shift = 0x1.8p52
		// ln2/64 in two parts; hi has 36 significant bits, so k*hi is
		// exact for |k| < 2^13 (|y| < 88).
		ln2by64Hi = 0x1.62e42fefap-7
		ln2by64Lo = math.Ln2/64 - ln2by64Hi
	)
	kf := (y*invLn2x64 + shift) - shift
	k := int64(kf)
	r := (y - kf*ln2by64Hi) - kf*ln2by64Lo
	p := r + r*r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720)))))
	t := expTable[k&63]
	// 2^m for m = k>>6 in [-127, 127]: a normal float64, an exact scaling.
	return (t + t*p) * math.Float64frombits(uint64(k>>6+1023)<<52)
}
