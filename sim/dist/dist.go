// Package dist holds the delay distributions of the network and node models:
// constant, uniform, normal truncated at zero, exponential, lognormal,
// Pareto, finite mixtures of these for long tails, and empirical
// distributions of measured samples.
//
// A distribution is written in YAML as a mapping whose "dist" field names
// the family and whose other fields are that family's parameters, in
// milliseconds where they are times:
//
//	{dist: lognormal, median_ms: 20, sigma: 0.6}
//	{dist: mixture, components: [{weight: 0.97, dist: exponential, mean_ms: 5},
//	                             {weight: 0.03, dist: pareto, scale_ms: 50, shape: 1.5}]}
//	{dist: empirical, file: rtt_oneway_ms.txt}
//
// Samples are drawn in the simulator's unit, whole microseconds (rounded to
// nearest), from a caller-supplied stream, so the caller decides which
// purpose the draw belongs to.
package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/ballast-bench/ballast/internal/configfile"
)

// Spec is a distribution as written in a config file. Parameters are
// pointers so that validation can tell "absent" from "zero".
type Spec struct {
	Dist       string      `yaml:"dist"`
	ValueMS    *float64    `yaml:"value_ms,omitempty"`  // constant
	MinMS      *float64    `yaml:"min_ms,omitempty"`    // uniform
	MaxMS      *float64    `yaml:"max_ms,omitempty"`    // uniform
	MeanMS     *float64    `yaml:"mean_ms,omitempty"`   // normal, exponential
	StdMS      *float64    `yaml:"std_ms,omitempty"`    // normal
	MedianMS   *float64    `yaml:"median_ms,omitempty"` // lognormal: exp(mu)
	Sigma      *float64    `yaml:"sigma,omitempty"`     // lognormal: std of ln(x)
	ScaleMS    *float64    `yaml:"scale_ms,omitempty"`  // pareto: x_m, the minimum
	Shape      *float64    `yaml:"shape,omitempty"`     // pareto: alpha
	Components []Component `yaml:"components,omitempty"`
	// File (empirical): a samples file (package sim/measured), named
	// relative to the scenario file. Whoever loads the config reads it
	// into Samples and pins its content hash in SHA, which the scenario's
	// identity includes; absent fields stay out of the JSON form, so
	// existing scenarios keep their hash.
	File    string    `yaml:"file,omitempty" json:",omitempty"`
	SHA     string    `yaml:"-" json:",omitempty"`
	Samples []float64 `yaml:"-" json:"-"`
}

// Component is one weighted part of a mixture.
type Component struct {
	Weight float64 `yaml:"weight"`
	Spec   `yaml:",inline"`
}

// family lists, per dist name, the parameter fields it takes.
var family = map[string][]string{
	"constant":    {"value_ms"},
	"uniform":     {"min_ms", "max_ms"},
	"normal":      {"mean_ms", "std_ms"},
	"exponential": {"mean_ms"},
	"lognormal":   {"median_ms", "sigma"},
	"pareto":      {"scale_ms", "shape"},
	"mixture":     {"components"},
	"empirical":   {"file"},
}

// Names returns the supported families, sorted.
func Names() []string {
	names := make([]string, 0, len(family))
	for n := range family {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s *Spec) present() map[string]bool {
	return map[string]bool{
		"value_ms": s.ValueMS != nil, "min_ms": s.MinMS != nil, "max_ms": s.MaxMS != nil,
		"mean_ms": s.MeanMS != nil, "std_ms": s.StdMS != nil, "median_ms": s.MedianMS != nil,
		"sigma": s.Sigma != nil, "scale_ms": s.ScaleMS != nil, "shape": s.Shape != nil,
		"components": s.Components != nil, "file": s.File != "",
	}
}

// Validate checks s; path is where s sits in the config ("network.default.jitter").
func (s *Spec) Validate(path string) *configfile.FieldError {
	want, ok := family[s.Dist]
	if !ok {
		if s.Dist == "" {
			return configfile.Errorf(path+".dist", "missing; allowed: %s", strings.Join(Names(), ", "))
		}
		return configfile.Errorf(path+".dist", "unknown distribution %q; allowed: %s", s.Dist, strings.Join(Names(), ", "))
	}
	present := s.present()
	for _, f := range want {
		if !present[f] {
			return configfile.Errorf(path+"."+f, "missing; dist %s needs %s", s.Dist, strings.Join(want, " and "))
		}
		delete(present, f)
	}
	for _, f := range sortedTrue(present) {
		return configfile.Errorf(path+"."+f, "not a parameter of dist %s; allowed: %s", s.Dist, strings.Join(want, ", "))
	}
	nonNeg := func(field string, v float64) *configfile.FieldError {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return configfile.Errorf(path+"."+field, "%v is not allowed; allowed: a finite number >= 0", v)
		}
		return nil
	}
	positive := func(field string, v float64) *configfile.FieldError {
		if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
			return configfile.Errorf(path+"."+field, "%v is not allowed; allowed: a finite number > 0", v)
		}
		return nil
	}
	var fe *configfile.FieldError
	switch s.Dist {
	case "constant":
		fe = nonNeg("value_ms", *s.ValueMS)
	case "uniform":
		if fe = nonNeg("min_ms", *s.MinMS); fe == nil {
			if fe = nonNeg("max_ms", *s.MaxMS); fe == nil && *s.MaxMS < *s.MinMS {
				fe = configfile.Errorf(path+".max_ms", "%v is below min_ms %v; allowed: max_ms >= min_ms", *s.MaxMS, *s.MinMS)
			}
		}
	case "normal":
		// Truncation at 0 is done by rejection; a mean >= 0 keeps the
		// acceptance probability at least one half.
		if fe = nonNeg("mean_ms", *s.MeanMS); fe == nil {
			fe = nonNeg("std_ms", *s.StdMS)
		}
	case "exponential":
		fe = positive("mean_ms", *s.MeanMS)
	case "lognormal":
		if fe = positive("median_ms", *s.MedianMS); fe == nil {
			fe = nonNeg("sigma", *s.Sigma)
		}
	case "pareto":
		if fe = positive("scale_ms", *s.ScaleMS); fe == nil {
			fe = positive("shape", *s.Shape)
		}
	case "empirical":
		if len(s.Samples) == 0 {
			return configfile.Errorf(path+".file", "%s was not read; allowed: a file of delays in ms, one per line, named relative to the scenario file", s.File)
		}
	case "mixture":
		if len(s.Components) == 0 {
			return configfile.Errorf(path+".components", "empty; allowed: one or more {weight, dist, ...} entries")
		}
		for i := range s.Components {
			c := &s.Components[i]
			cp := fmt.Sprintf("%s.components[%d]", path, i)
			if c.Dist == "mixture" {
				return configfile.Errorf(cp+".dist", "a mixture cannot nest a mixture; allowed: any other distribution")
			}
			if math.IsNaN(c.Weight) || c.Weight <= 0 || math.IsInf(c.Weight, 0) {
				return configfile.Errorf(cp+".weight", "%v is not allowed; allowed: a finite number > 0 (weights are normalised)", c.Weight)
			}
			if fe := c.Spec.Validate(cp); fe != nil {
				return fe
			}
		}
	}
	return fe
}

func sortedTrue(m map[string]bool) []string {
	var keys []string
	for k, v := range m {
		if v {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

type kind uint8

const (
	kConstant kind = iota
	kUniform
	kNormal
	kExponential
	kLognormal
	kPareto
	kMixture
	kEmpirical
)

// Dist is a validated, ready-to-sample distribution. The zero value is the
// constant 0.
type Dist struct {
	kind  kind
	a, b  float64 // family parameters in ms: see Compile
	parts []Dist
	cum   []float64 // mixture: cumulative normalised weights; empirical: the samples
}

// Compile turns a validated Spec into a Dist. Call Validate first; Compile
// panics on an invalid Spec because that is a programming error.
func Compile(s *Spec) Dist {
	switch s.Dist {
	case "constant":
		return Dist{kind: kConstant, a: *s.ValueMS}
	case "uniform":
		return Dist{kind: kUniform, a: *s.MinMS, b: *s.MaxMS}
	case "normal":
		return Dist{kind: kNormal, a: *s.MeanMS, b: *s.StdMS}
	case "exponential":
		return Dist{kind: kExponential, a: *s.MeanMS}
	case "lognormal":
		return Dist{kind: kLognormal, a: *s.MedianMS, b: *s.Sigma}
	case "pareto":
		return Dist{kind: kPareto, a: *s.ScaleMS, b: *s.Shape}
	case "mixture":
		d := Dist{kind: kMixture}
		total := 0.0
		for i := range s.Components {
			total += s.Components[i].Weight
		}
		acc := 0.0
		for i := range s.Components {
			acc += s.Components[i].Weight / total
			d.parts = append(d.parts, Compile(&s.Components[i].Spec))
			d.cum = append(d.cum, acc)
		}
		d.cum[len(d.cum)-1] = 1
		return d
	case "empirical":
		m := 0.0
		for _, v := range s.Samples {
			m += v
		}
		return Dist{kind: kEmpirical, a: m / float64(len(s.Samples)), cum: s.Samples}
	}
	panic(fmt.Sprintf("dist: Compile of unvalidated spec %q", s.Dist))
}

// Constant returns the distribution that is always ms.
func Constant(ms float64) Dist { return Dist{kind: kConstant, a: ms} }

// IsZero reports whether d always yields 0.
func (d Dist) IsZero() bool { return d.kind == kConstant && d.a == 0 }

// SampleMS draws one value in milliseconds.
func (d *Dist) SampleMS(r *rand.Rand) float64 {
	switch d.kind {
	case kConstant:
		return d.a
	case kUniform:
		return d.a + (d.b-d.a)*r.Float64()
	case kNormal:
		if d.b == 0 {
			return d.a
		}
		for {
			if x := d.a + d.b*r.NormFloat64(); x >= 0 {
				return x
			}
		}
	case kExponential:
		return d.a * r.ExpFloat64()
	case kLognormal:
		return d.a * math.Exp(d.b*r.NormFloat64())
	case kPareto:
		// Inverse CDF: x_m * U^(-1/alpha) with U in (0, 1].
		return d.a * math.Pow(1-r.Float64(), -1/d.b)
	case kMixture:
		u := r.Float64()
		i := 0
		for i < len(d.cum)-1 && u >= d.cum[i] {
			i++
		}
		return d.parts[i].SampleMS(r)
	case kEmpirical:
		return d.cum[r.IntN(len(d.cum))] // one of the samples, uniformly
	}
	return 0
}

// maxSampleUS caps a single draw at one simulated day, so that heavy tails
// (Pareto with shape <= 1) cannot overflow virtual time.
const maxSampleUS = 86_400_000_000

// SampleUS draws one value in whole microseconds, rounded to nearest and
// capped at one day.
func (d *Dist) SampleUS(r *rand.Rand) int64 {
	if d.kind == kConstant {
		return roundUS(d.a)
	}
	return roundUS(d.SampleMS(r))
}

func roundUS(ms float64) int64 {
	us := math.Round(ms * 1000)
	if !(us < maxSampleUS) { // also catches NaN and +Inf
		return maxSampleUS
	}
	return int64(us)
}

// MeanMS is the distribution's mean (+Inf for Pareto with shape <= 1).
func (d *Dist) MeanMS() float64 {
	switch d.kind {
	case kConstant:
		return d.a
	case kUniform:
		return (d.a + d.b) / 2
	case kNormal:
		if d.b == 0 {
			return d.a
		}
		// Mean of N(mu, s^2) truncated to [0, inf): mu + s*phi(al)/(1-Phi(al)), al = -mu/s.
		al := -d.a / d.b
		return d.a + d.b*phi(al)/(1-bigPhi(al))
	case kExponential:
		return d.a
	case kLognormal:
		return d.a * math.Exp(d.b*d.b/2)
	case kPareto:
		if d.b <= 1 {
			return math.Inf(1)
		}
		return d.b * d.a / (d.b - 1)
	case kMixture:
		m, prev := 0.0, 0.0
		for i := range d.parts {
			m += (d.cum[i] - prev) * d.parts[i].MeanMS()
			prev = d.cum[i]
		}
		return m
	case kEmpirical:
		return d.a
	}
	return 0
}

// CDF is P(X <= ms).
func (d *Dist) CDF(ms float64) float64 {
	switch d.kind {
	case kConstant:
		if ms >= d.a {
			return 1
		}
		return 0
	case kUniform:
		switch {
		case ms < d.a:
			return 0
		case ms >= d.b:
			return 1
		}
		return (ms - d.a) / (d.b - d.a)
	case kNormal:
		if ms < 0 {
			return 0
		}
		if d.b == 0 {
			if ms >= d.a {
				return 1
			}
			return 0
		}
		lo := bigPhi(-d.a / d.b)
		return (bigPhi((ms-d.a)/d.b) - lo) / (1 - lo)
	case kExponential:
		if ms < 0 {
			return 0
		}
		return 1 - math.Exp(-ms/d.a)
	case kLognormal:
		if ms <= 0 {
			return 0
		}
		if d.b == 0 {
			if ms >= d.a {
				return 1
			}
			return 0
		}
		return bigPhi(math.Log(ms/d.a) / d.b)
	case kPareto:
		if ms < d.a {
			return 0
		}
		return 1 - math.Pow(d.a/ms, d.b)
	case kMixture:
		c, prev := 0.0, 0.0
		for i := range d.parts {
			c += (d.cum[i] - prev) * d.parts[i].CDF(ms)
			prev = d.cum[i]
		}
		return c
	case kEmpirical:
		n := 0
		for _, v := range d.cum {
			if v <= ms {
				n++
			}
		}
		return float64(n) / float64(len(d.cum))
	}
	return 0
}

// QuantileMS inverts CDF by bisection; it is used for estimates and tests,
// not on the hot path.
func (d *Dist) QuantileMS(p float64) float64 {
	lo, hi := 0.0, 1.0
	for d.CDF(hi) < p && hi < maxSampleUS/1000 {
		hi *= 2
	}
	for i := 0; i < 200 && hi-lo > 1e-9*math.Max(1, hi); i++ {
		mid := (lo + hi) / 2
		if d.CDF(mid) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

func phi(x float64) float64    { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }
func bigPhi(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
