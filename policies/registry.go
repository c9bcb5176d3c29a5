package policies

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/ballast-bench/ballast/policies/policy"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Provenance says where a default value comes from
// (docs/notes/ballast-parameters.md): stated in a paper, inferred
// from it, or our own choice.
type Provenance string

const (
	Paper    Provenance = "paper"
	Inferred Provenance = "inferred"
	Ours     Provenance = "ours"
)

// Param declares one policy parameter. A parameter is either numeric (a
// list of numbers of fixed length: most are scalars, ranges and thresholds
// have two) or a choice among names (Choices non-empty: an arm set, a
// variant).
type Param struct {
	Name       string
	Default    []float64 // numeric parameters
	Provenance Provenance
	Doc        string
	Min, Max   float64 // allowed range of each element
	Integer    bool    // elements must be whole numbers
	// MaxLen > 0 makes the list's length variable: 1 to MaxLen elements
	// (a regime-to-arm map); otherwise it has exactly len(Default).
	MaxLen int
	// Choice parameters.
	Choices       []string
	DefaultChoice string
	// File parameters (File true): a path, relative to the working
	// directory, whose content the policy loads (trained weights). Build
	// pins the value to "path@sha" with the file's content hash, so a run's
	// identity changes with the file, and an explicit "@sha" that does not
	// match the file is refused.
	File        bool
	DefaultFile string
}

// Spec describes a policy: its name, parameters and constructor.
type Spec struct {
	Name   string
	Doc    string // one line
	Params []Param
	// New builds the factory for validated parameters.
	New func(p Params) (policy.Factory, error)
	// CheckRun, if set, vets the seed a run uses with these parameters
	// (trained policies refuse report runs on seeds they were trained on).
	CheckRun func(p Params, seed uint64, seedSet string) error
	// Version is the version of the policy's code, for a policy whose
	// source is outside this module (a program of its own registers it:
	// docs/extending.md). The code version every run records hashes only
	// this module's sources (ballast.CodeID), so without a Version a
	// changed out-of-tree policy would silently reuse the runs of its old
	// code. Version enters the code version of the policy's runs
	// (CodeVersion), so a sweep redoes them when it changes: change it with
	// every change of behaviour, or derive it from the policy's sources
	// (examples/custompolicy hashes its embedded source). In-tree policies
	// leave it empty: their sources are hashed already.
	Version string
}

// CodeVersion is the code version of a run of this policy made by
// simulation code whose identity is base (ballast.CodeID): base for an
// in-tree policy, base+"+"+Name+"@"+Version for one with a Version.
func (s *Spec) CodeVersion(base string) string {
	if s.Version == "" {
		return base
	}
	return base + "+" + s.Name + "@" + s.Version
}

// Value is a resolved parameter: numbers, or a name for choice parameters.
type Value struct {
	Nums []float64
	Name string
}

// Params are resolved parameter values by name.
type Params map[string]Value

// Scalar returns a one-element numeric parameter.
func (p Params) Scalar(name string) float64 { return p[name].Nums[0] }

// Nums returns a numeric parameter.
func (p Params) Nums(name string) []float64 { return p[name].Nums }

// Choice returns a choice parameter's name.
func (p Params) Choice(name string) string { return p[name].Name }

// String is the canonical form used in run identities and the runs table:
// "name=v1,v2;name=v" sorted by name, numbers in shortest round-trip form.
func (p Params) String() string {
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(n)
		b.WriteByte('=')
		if v := p[n]; v.Nums == nil {
			b.WriteString(v.Name)
		} else {
			b.WriteString(formatList(v.Nums))
		}
	}
	return b.String()
}

var registry = map[string]*Spec{}

// Register adds a policy; it panics on a duplicate name (a programming error).
func Register(s *Spec) {
	if _, dup := registry[s.Name]; dup {
		panic("policies: duplicate policy " + s.Name)
	}
	if strings.ContainsFunc(s.Version, func(r rune) bool { return !versionRune(r) }) {
		panic(fmt.Sprintf("policies: %s has version %q; allowed: letters, digits, '.', '_' and '-'", s.Name, s.Version))
	}
	for _, d := range s.Params {
		if d.Provenance != Paper && d.Provenance != Inferred && d.Provenance != Ours {
			panic(fmt.Sprintf("policies: %s.%s has no provenance", s.Name, d.Name))
		}
		if d.Choices != nil && !slices.Contains(d.Choices, d.DefaultChoice) {
			panic(fmt.Sprintf("policies: %s.%s default %q is not a choice", s.Name, d.Name, d.DefaultChoice))
		}
		for _, v := range d.Default {
			if v < d.Min || v > d.Max {
				panic(fmt.Sprintf("policies: %s.%s default %v outside [%v, %v]", s.Name, d.Name, v, d.Min, d.Max))
			}
		}
	}
	registry[s.Name] = s
}

// versionRune: a Version is one word of these, so that a code version
// reads as one token in file metadata, tables and their comments.
func versionRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
}

// Lookup finds a policy by name.
func Lookup(name string) (*Spec, error) {
	s, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown policy %q; allowed: %s", name, strings.Join(Names(), ", "))
	}
	return s, nil
}

// Names lists registered policies, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Resolve applies overrides ("name=value" with value "v" or "v1,v2", optional
// brackets) to the defaults and validates the result.
func (s *Spec) Resolve(overrides []string) (Params, error) {
	p := Params{}
	for _, d := range s.Params {
		if d.Choices != nil {
			p[d.Name] = Value{Name: d.DefaultChoice}
		} else if d.File {
			p[d.Name] = Value{Name: d.DefaultFile}
		} else {
			p[d.Name] = Value{Nums: append([]float64(nil), d.Default...)}
		}
	}
	for _, o := range overrides {
		name, val, ok := strings.Cut(o, "=")
		if !ok {
			return nil, fmt.Errorf("--set %q: missing '='; allowed: name=value, e.g. %s", o, s.example())
		}
		d := s.param(name)
		if d == nil {
			return nil, fmt.Errorf("--set %q: policy %s has no parameter %q; allowed: %s", o, s.Name, name, s.paramNames())
		}
		if d.File {
			if val == "" || strings.ContainsAny(val, ";=,") {
				return nil, fmt.Errorf("--set %q: %q is not allowed; allowed: %s", o, val, d.describe())
			}
			p[name] = Value{Name: val}
			continue
		}
		if d.Choices != nil {
			if !slices.Contains(d.Choices, val) {
				return nil, fmt.Errorf("--set %q: %q is not allowed; allowed: %s", o, val, d.describe())
			}
			p[name] = Value{Name: val}
			continue
		}
		vals, err := parseList(val)
		if err != nil || !d.lengthOK(len(vals)) {
			return nil, fmt.Errorf("--set %q: %q is not allowed; allowed: %s", o, val, d.describe())
		}
		for _, v := range vals {
			if v < d.Min || v > d.Max || (d.Integer && v != math.Trunc(v)) {
				return nil, fmt.Errorf("--set %q: %v is out of range; allowed: %s", o, v, d.describe())
			}
		}
		p[name] = Value{Nums: vals}
	}
	return p, nil
}

func (s *Spec) param(name string) *Param {
	for i := range s.Params {
		if s.Params[i].Name == name {
			return &s.Params[i]
		}
	}
	return nil
}

func (s *Spec) paramNames() string {
	if len(s.Params) == 0 {
		return "none"
	}
	names := make([]string, len(s.Params))
	for i, d := range s.Params {
		names[i] = d.Name
	}
	return strings.Join(names, ", ")
}

func (s *Spec) example() string {
	if len(s.Params) == 0 {
		return "(this policy has no parameters)"
	}
	return s.Params[0].Name + "=" + s.Params[0].DefaultString()
}

func (d *Param) lengthOK(n int) bool {
	if d.MaxLen > 0 {
		return n >= 1 && n <= d.MaxLen
	}
	return n == len(d.Default)
}

func (d *Param) describe() string {
	if d.File {
		return "a file path (optionally path@sha, the first 12 hex digits of its SHA-256) without ';', '=' or ','"
	}
	if d.Choices != nil {
		return "one of " + strings.Join(d.Choices, ", ")
	}
	kind := "a number"
	if d.Integer {
		kind = "an integer"
	}
	switch {
	case d.MaxLen > 0:
		kind = fmt.Sprintf("1 to %d comma-separated numbers", d.MaxLen)
	case len(d.Default) > 1:
		kind = fmt.Sprintf("%d comma-separated numbers", len(d.Default))
	}
	return fmt.Sprintf("%s in [%v, %v]", kind, d.Min, d.Max)
}

// Allowed describes the values a parameter accepts, for listings.
func (d *Param) Allowed() string { return d.describe() }

func parseList(s string) ([]float64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "["), "]"))
	var out []float64
	for _, part := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("bad number %q", part)
		}
		out = append(out, v)
	}
	return out, nil
}

func formatList(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// DefaultString formats a parameter's default for listings.
func (d *Param) DefaultString() string {
	if d.File {
		return d.DefaultFile
	}
	if d.Choices != nil {
		return d.DefaultChoice
	}
	return formatList(d.Default)
}

// uniformRange draws deadlines uniformly from [lo, hi) µs: standard Raft's
// randomised timeout (Raft paper section 5.2).
type uniformRange struct {
	loUS, hiUS int64
	rng        *rand.Rand
}

func (u *uniformRange) Deadline(*policy.Observation) policy.Decision {
	d := u.loUS
	if u.hiUS > u.loUS {
		d += u.rng.Int64N(u.hiUS - u.loUS)
	}
	return policy.Decision{DeadlineUS: d, Arm: -1}
}

func (u *uniformRange) ElectionDone(policy.ElectionResult) {}

func rangeFactory(p Params) (policy.Factory, error) {
	lo, hi := p.Scalar("min_ms"), p.Scalar("max_ms")
	if hi < lo {
		return nil, fmt.Errorf("max_ms %v is below min_ms %v; allowed: max_ms >= min_ms", hi, lo)
	}
	loUS, hiUS := int64(math.Round(lo*1000)), int64(math.Round(hi*1000))
	return func(_ int, rng *rand.Rand) policy.Policy {
		return &uniformRange{loUS: loUS, hiUS: hiUS, rng: rng}
	}, nil
}

func rangeParams(lo, hi float64, prov Provenance, what string) []Param {
	return []Param{
		{Name: "min_ms", Default: []float64{lo}, Provenance: prov, Doc: "lower end of the " + what + " range", Min: 1, Max: 3_600_000},
		{Name: "max_ms", Default: []float64{hi}, Provenance: prov, Doc: "upper end (exclusive) of the " + what + " range", Min: 1, Max: 3_600_000},
	}
}

func init() {
	Register(&Spec{
		Name:   "random",
		Doc:    "standard Raft: a uniform deadline in a fixed range (default 150-300 ms)",
		Params: rangeParams(150, 300, Ours, "randomised timeout"),
		New:    rangeFactory,
	})
	Register(&Spec{
		Name:   "static",
		Doc:    "a fixed range: the etcd prototype tables' static baseline (default 600-1200 ms, as static_conservative)",
		Params: rangeParams(600, 1200, Ours, "conservative timeout"),
		New:    rangeFactory,
	})
}

// Build looks a policy up, applies the overrides to its defaults and makes
// its factory: everything between a policy name and running it.
func Build(name string, overrides ...string) (policy.Factory, Params, error) {
	s, err := Lookup(name)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.Resolve(overrides)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range s.Params {
		if !d.File {
			continue
		}
		pinned, err := PinFile(p[d.Name].Name)
		if err != nil {
			return nil, nil, fmt.Errorf("policy %s, parameter %s: %w", name, d.Name, err)
		}
		p[d.Name] = Value{Name: pinned}
	}
	f, err := s.New(p)
	if err != nil {
		return nil, nil, fmt.Errorf("policy %s: %w", name, err)
	}
	return f, p, nil
}

// MissingFileError is a file parameter naming a file that does not exist
// (yet: trained weights appear after 'ballast train').
type MissingFileError struct{ Path string }

func (e *MissingFileError) Error() string {
	return fmt.Sprintf("file %s does not exist; allowed: an existing file (trained weights are written by 'ballast train')", e.Path)
}

// shaDigits is how many hex digits of a file's SHA-256 pin it.
const shaDigits = 12

// PinFile reads the file a file parameter names ("path" or "path@sha") and
// returns "path@sha" with its content hash; a given sha must match.
func PinFile(val string) (string, error) {
	path, want, _ := strings.Cut(val, "@")
	_, got, err := ReadPinned(path)
	if err != nil {
		return "", err
	}
	if want != "" && want != got {
		return "", fmt.Errorf("file %s has content hash %s, but %s was asked for; allowed: the file's hash, or no @sha", path, got, want)
	}
	return path + "@" + got, nil
}

// ReadPinned reads a file and its content hash.
func ReadPinned(path string) ([]byte, string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", &MissingFileError{Path: path}
	}
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])[:shaDigits], nil
}
