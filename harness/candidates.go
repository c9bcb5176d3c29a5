package harness

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/ballast-bench/ballast/policies"
)

// Candidates expands Tune into the overrides of every grid point, in a fixed
// order (parameters sorted by name, values in the order listed; the last
// parameter varies fastest). Set's overrides come first and Tune's replace
// them.
func (pv *PolicyVariant) Candidates() ([][]string, error) {
	spec, err := policies.Lookup(pv.Policy)
	if err != nil {
		return nil, err
	}
	base, err := pv.Overrides()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(pv.Tune))
	for n := range pv.Tune {
		names = append(names, n)
	}
	sort.Strings(names)
	axes := make([][]string, len(names))
	hasAll := false
	for i, n := range names {
		var d *policies.Param
		for k := range spec.Params {
			if spec.Params[k].Name == n {
				d = &spec.Params[k]
			}
		}
		if d == nil {
			return nil, fmt.Errorf("policy %s has no parameter %q", pv.Policy, n)
		}
		switch v := pv.Tune[n].(type) {
		case string:
			if v != "all" {
				return nil, fmt.Errorf("%s: %q is not allowed; allowed: a list of candidate values, or all", n, v)
			}
			if !d.Integer || d.Choices != nil || d.Max-d.Min > 64 {
				return nil, fmt.Errorf("%s: all is only allowed for integer list parameters with a small range", n)
			}
			if size := math.Pow(d.Max-d.Min+1, float64(len(d.Default))); size > maxGridPoints {
				return nil, fmt.Errorf("%s: all gives %.3g values; allowed: at most %d grid points", n, size, maxGridPoints)
			}
			axes[i] = allIntegerLists(n, int(d.Min), int(d.Max), len(d.Default))
			hasAll = true
		case []any:
			if len(v) == 0 {
				return nil, fmt.Errorf("%s: empty candidate list; allowed: one or more values", n)
			}
			for _, c := range v {
				f, err := formatValue(c)
				if err != nil {
					return nil, fmt.Errorf("%s: %v", n, err)
				}
				axes[i] = append(axes[i], n+"="+f)
			}
		default:
			return nil, fmt.Errorf("%s: allowed: a list of candidate values, or all", n)
		}
	}
	// The grid's size before it is built: a grid of 40^5 x 8 points took
	// gigabytes before its size was checked.
	size := 1.0
	for _, axis := range axes {
		size *= float64(len(axis))
	}
	if size > maxGridPoints {
		return nil, fmt.Errorf("%.0f grid points; allowed: at most %d", size, maxGridPoints)
	}
	out := [][]string{nil}
	for _, axis := range axes {
		var next [][]string
		for _, prefix := range out {
			for _, v := range axis {
				next = append(next, append(append([]string(nil), prefix...), v))
			}
		}
		out = next
	}
	for i, c := range out {
		out[i] = append(append([]string(nil), base...), c...)
	}
	if hasAll {
		// "all" spans the parameter's declared range; which values are
		// valid can depend on other parameters (a regime map may only name
		// arms of the chosen arm set), so keep the combinations the policy
		// accepts.
		valid := out[:0]
		for _, c := range out {
			if _, _, err := policies.Build(pv.Policy, c...); err == nil {
				valid = append(valid, c)
			}
		}
		if len(valid) == 0 {
			return nil, fmt.Errorf("all: no combination is accepted by policy %s", pv.Policy)
		}
		out = valid
	}
	return out, nil
}

// maxGridPoints bounds one variant's tuning grid.
const maxGridPoints = 10_000

// allIntegerLists lists every name=v1,...,vk with each v in [lo, hi].
func allIntegerLists(name string, lo, hi, k int) []string {
	vals := [][]int{nil}
	for i := 0; i < k; i++ {
		var next [][]int
		for _, p := range vals {
			for v := lo; v <= hi; v++ {
				next = append(next, append(append([]int(nil), p...), v))
			}
		}
		vals = next
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		parts := make([]string, len(v))
		for j, x := range v {
			parts[j] = fmt.Sprint(x)
		}
		out[i] = name + "=" + strings.Join(parts, ",")
	}
	return out
}

// TunedKey names one tunable variant in one scenario.
type TunedKey struct{ Scenario, Policy, Variant string }

// UseTuned makes report grids use chosen overrides for tunable variants;
// from names where they came from (a tuned file, in error messages).
func (e *Experiment) UseTuned(from string, chosen map[TunedKey][]string) {
	e.tunedFrom, e.tuned = from, chosen
}

// Tunable reports whether the experiment has anything to tune.
func (e *Experiment) Tunable() bool {
	for i := range e.Policies {
		if e.Policies[i].Tune != nil {
			return true
		}
	}
	return false
}

// ObjectiveOrDefault is the experiment's tuning objective.
func (e *Experiment) ObjectiveOrDefault() []string {
	if len(e.Objective) > 0 {
		return e.Objective
	}
	return DefaultObjective
}

// tunedOverrides returns the chosen overrides for a tunable variant in a
// scenario, or an error telling the user to tune first.
func (e *Experiment) tunedOverrides(scenarioName string, pv *PolicyVariant) ([]string, error) {
	if c, ok := e.tuned[TunedKey{scenarioName, pv.Policy, pv.Variant}]; ok {
		return c, nil
	}
	from := e.tunedFrom
	if from == "" {
		from = "the tuned file"
	}
	return nil, fmt.Errorf("policy %s variant %s is tuned per scenario, and %s has no choice for scenario %s; run 'ballast tune %s' first",
		pv.Policy, pv.Variant, from, scenarioName, e.Name)
}
