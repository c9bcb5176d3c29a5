package policies

import (
	"fmt"
	"math"
	"slices"

	"github.com/ballast-bench/ballast/configs"
	"github.com/ballast-bench/ballast/internal/configfile"
)

// Arm kinds.
const (
	// Absolute arms are deadline ranges in ms.
	Absolute = "absolute"
	// Relative arms are factors on a range the policy derives from
	// measurements (bandit_qdecay).
	Relative = "relative"
)

// Arm is one discrete action of an arm-based policy.
type Arm struct {
	Name       string
	LoMS, HiMS float64 // absolute arms: the deadline range
	Factor     float64 // relative arms
}

// ArmSet is a named set of arms from configs/arms.yaml.
type ArmSet struct {
	Name, Kind, Provenance, Doc string
	Arms                        []Arm
	// Safe is the index of the most conservative arm, the one the safety
	// wrapper forces (BALLAST paper section 4.5).
	Safe int
}

// ArmSets returns the arm sets of configs/arms.yaml in file order.
func ArmSets() []ArmSet {
	out := make([]ArmSet, len(armSets))
	for i, s := range armSets {
		out[i] = *s
		out[i].Arms = slices.Clone(s.Arms)
	}
	return out
}

// armSets is decoded once, before any init function registers a policy
// whose arms parameter lists the set names.
var armSets = mustLoadArmSets(configs.Arms)

func mustLoadArmSets(data []byte) []*ArmSet {
	sets, err := parseArmSets("configs/arms.yaml", data)
	if err != nil {
		// The file is embedded and tested; a bad one is a build defect.
		panic(err)
	}
	return sets
}

// armSet returns the set with the given name; names come from a validated
// choice parameter, so a miss is a programming error.
func armSet(name string) *ArmSet {
	for _, s := range armSets {
		if s.Name == name {
			return s
		}
	}
	panic("policies: unknown arm set " + name)
}

// armSetNames lists the sets accepted by keep, in file order.
func armSetNames(keep func(*ArmSet) bool) []string {
	var names []string
	for _, s := range armSets {
		if keep(s) {
			names = append(names, s.Name)
		}
	}
	return names
}

func isAbsolute(s *ArmSet) bool { return s.Kind == Absolute }
func isRelative(s *ArmSet) bool { return s.Kind == Relative }

// armsFile is the YAML layout of configs/arms.yaml.
type armsFile struct {
	Sets []armSetYAML `yaml:"sets"`
}

type armSetYAML struct {
	Name       string    `yaml:"name"`
	Kind       string    `yaml:"kind"`
	Provenance string    `yaml:"provenance"`
	Doc        string    `yaml:"doc"`
	Arms       []armYAML `yaml:"arms"`
}

type armYAML struct {
	Name   string   `yaml:"name"`
	LoMS   *float64 `yaml:"lo_ms,omitempty"`
	HiMS   *float64 `yaml:"hi_ms,omitempty"`
	Factor *float64 `yaml:"factor,omitempty"`
}

// maxArmMS bounds an absolute arm: the largest deadline a policy may return.
const maxArmMS = MaxDeadlineUS / 1000

// Validate implements configfile.Validator.
func (f *armsFile) Validate() *configfile.FieldError {
	if len(f.Sets) == 0 {
		return configfile.Errorf("sets", "empty; allowed: at least one arm set")
	}
	seen := map[string]bool{}
	for i := range f.Sets {
		s := &f.Sets[i]
		path := fmt.Sprintf("sets[%d]", i)
		if s.Name == "" || seen[s.Name] {
			return configfile.Errorf(path+".name", "%q is empty or repeated; allowed: a unique name", s.Name)
		}
		seen[s.Name] = true
		if s.Kind != Absolute && s.Kind != Relative {
			return configfile.Errorf(path+".kind", "%q is not allowed; allowed: absolute, relative", s.Kind)
		}
		if p := Provenance(s.Provenance); p != Paper && p != Inferred && p != Ours {
			return configfile.Errorf(path+".provenance", "%q is not allowed; allowed: paper, inferred, ours", s.Provenance)
		}
		if s.Doc == "" {
			return configfile.Errorf(path+".doc", "missing; allowed: a one-line description")
		}
		if len(s.Arms) == 0 || len(s.Arms) > MaxArms {
			return configfile.Errorf(path+".arms", "%d arms; allowed: 1 to %d", len(s.Arms), MaxArms)
		}
		names := map[string]bool{}
		for j := range s.Arms {
			a := &s.Arms[j]
			ap := fmt.Sprintf("%s.arms[%d]", path, j)
			if a.Name == "" || names[a.Name] {
				return configfile.Errorf(ap+".name", "%q is empty or repeated; allowed: a unique name", a.Name)
			}
			names[a.Name] = true
			if s.Kind == Relative {
				if a.LoMS != nil || a.HiMS != nil {
					return configfile.Errorf(ap, "relative arms take factor only; allowed: factor")
				}
				if a.Factor == nil || !(*a.Factor > 0 && *a.Factor <= 1000) {
					return configfile.Errorf(ap+".factor", "missing or out of range; allowed: a factor in (0, 1000]")
				}
				continue
			}
			if a.Factor != nil {
				return configfile.Errorf(ap+".factor", "absolute arms take lo_ms and hi_ms; allowed: lo_ms, hi_ms")
			}
			if a.LoMS == nil || a.HiMS == nil {
				return configfile.Errorf(ap, "missing lo_ms or hi_ms; allowed: both, in ms")
			}
			if !(*a.LoMS >= 1 && *a.LoMS <= maxArmMS) {
				return configfile.Errorf(ap+".lo_ms", "%v is out of range; allowed: [1, %d] ms", *a.LoMS, maxArmMS)
			}
			if !(*a.HiMS >= *a.LoMS && *a.HiMS <= maxArmMS) {
				return configfile.Errorf(ap+".hi_ms", "%v is out of range; allowed: [lo_ms, %d] ms", *a.HiMS, maxArmMS)
			}
		}
	}
	return nil
}

func parseArmSets(file string, data []byte) ([]*ArmSet, error) {
	var f armsFile
	if err := configfile.Decode(file, data, &f); err != nil {
		return nil, err
	}
	out := make([]*ArmSet, len(f.Sets))
	for i, s := range f.Sets {
		set := &ArmSet{Name: s.Name, Kind: s.Kind, Provenance: s.Provenance, Doc: s.Doc}
		for _, a := range s.Arms {
			arm := Arm{Name: a.Name}
			if s.Kind == Relative {
				arm.Factor = *a.Factor
			} else {
				arm.LoMS, arm.HiMS = *a.LoMS, *a.HiMS
			}
			set.Arms = append(set.Arms, arm)
		}
		set.Safe = mostConservative(set)
		out[i] = set
	}
	return out, nil
}

// mostConservative is the arm with the longest deadlines: the largest
// midpoint (absolute) or factor (relative); on a tie the wider range, then
// the later arm.
func mostConservative(s *ArmSet) int {
	best := 0
	key := func(a Arm) (float64, float64) {
		if s.Kind == Relative {
			return a.Factor, 0
		}
		return (a.LoMS + a.HiMS) / 2, a.HiMS
	}
	for i := 1; i < len(s.Arms); i++ {
		m, h := key(s.Arms[i])
		bm, bh := key(s.Arms[best])
		if m > bm || (m == bm && h >= bh) {
			best = i
		}
	}
	return best
}

// armRangeUS is an absolute arm's range in µs.
func armRangeUS(a *Arm) (float64, float64) {
	return math.Round(a.LoMS * 1000), math.Round(a.HiMS * 1000)
}
