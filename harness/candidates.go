package harness

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ballast-bench/ballast/policies"
)

// The keys of a tune grid that are not parameters. A parameter's key maps
// to its own axis of the grid; these map to one axis that sets several
// parameters at each step, for parameters that are coupled (etcd draws its
// timeout from [E, 2E): min_ms and max_ms must move together, not be
// crossed).
const (
	// tunePoints lists explicit grid points, each a mapping of the same
	// parameters to one value each: [{min_ms: 100, max_ms: 200}, ...].
	tunePoints = "points"
	// tuneTogether maps parameters to lists of one length that advance
	// together: step i sets each parameter to its list's i-th value.
	tuneTogether = "together"
)

// tuneError is a problem at one place of a tune grid: at is its path below
// tune ("together.max_ms", "points[2]"), so that Validate's error names
// its line.
type tuneError struct{ at, msg string }

func (e *tuneError) Error() string { return e.at + ": " + e.msg }

func tuneErrorf(at, format string, args ...any) *tuneError {
	return &tuneError{at: at, msg: fmt.Sprintf(format, args...)}
}

// Candidates expands Tune into the overrides of every grid point, in a fixed
// order. The axes are: the points list, then the together group, then each
// other parameter, sorted by name; the last axis varies fastest, and each
// axis's values come in the order listed. Within a point, an axis that sets
// several parameters sets them sorted by name. Set's overrides come first
// and Tune's replace them. A grid of parameter keys alone is the cross
// product it always was, point for point.
func (pv *PolicyVariant) Candidates() ([][]string, error) {
	spec, err := policies.Lookup(pv.Policy)
	if err != nil {
		return nil, err
	}
	base, err := pv.Overrides()
	if err != nil {
		return nil, err
	}
	axes, hasAll, err := tuneAxes(spec, pv.Tune)
	if err != nil {
		return nil, err
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
				next = append(next, append(append([]string(nil), prefix...), v...))
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
			params, _, err := splitSettings(c)
			if err != nil {
				return nil, err
			}
			if _, _, err := policies.Build(pv.Policy, params...); err == nil {
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

// axis is one dimension of a tune grid: each value is the overrides that
// one step sets.
type axis [][]string

// tuneAxes turns a tune grid into its axes, in Candidates' order; hasAll
// says whether an axis is an "all".
func tuneAxes(spec *policies.Spec, tune map[string]any) (axes []axis, hasAll bool, err error) {
	at := map[string]string{} // parameter -> where the grid sets it
	claim := func(name, where string) *tuneError {
		if prev, dup := at[name]; dup {
			return tuneErrorf(where, "%s is also set by %s; allowed: each parameter in one place of the grid", name, prev)
		}
		if name != HeartbeatSetting && param(spec, name) == nil {
			return tuneErrorf(where, "policy %s has no parameter %q; allowed: %s", spec.Name, name, strings.Join(tunableNames(spec), ", "))
		}
		at[name] = where
		return nil
	}
	if v, ok := tune[tunePoints]; ok {
		a, err := pointsAxis(v, claim)
		if err != nil {
			return nil, false, err
		}
		axes = append(axes, a)
	}
	if v, ok := tune[tuneTogether]; ok {
		a, err := togetherAxis(v, claim)
		if err != nil {
			return nil, false, err
		}
		axes = append(axes, a)
	}
	for _, n := range slices.Sorted(maps.Keys(tune)) {
		if n == tunePoints || n == tuneTogether {
			continue
		}
		if err := claim(n, n); err != nil {
			return nil, false, err
		}
		var a axis
		switch v := tune[n].(type) {
		case string:
			d := param(spec, n)
			if v != "all" {
				return nil, false, tuneErrorf(n, "%q is not allowed; allowed: a list of candidate values, or all", v)
			}
			if d == nil || !d.Integer || d.Choices != nil || d.Max-d.Min > 64 {
				return nil, false, tuneErrorf(n, "all is not allowed for %s; allowed: a list of candidate values (all only for integer list parameters with a small range)", n)
			}
			if size := math.Pow(d.Max-d.Min+1, float64(len(d.Default))); size > maxGridPoints {
				return nil, false, tuneErrorf(n, "all gives %.3g values; allowed: at most %d grid points", size, maxGridPoints)
			}
			for _, o := range allIntegerLists(n, int(d.Min), int(d.Max), len(d.Default)) {
				a = append(a, []string{o})
			}
			hasAll = true
		case []any:
			if len(v) == 0 {
				return nil, false, tuneErrorf(n, "empty candidate list; allowed: one or more values")
			}
			for _, c := range v {
				o, err := override(n, c)
				if err != nil {
					return nil, false, tuneErrorf(n, "%v", err)
				}
				a = append(a, []string{o})
			}
		default:
			return nil, false, tuneErrorf(n, "%s is not allowed; allowed: a list of candidate values, or all", valueText(v))
		}
		axes = append(axes, a)
	}
	return axes, hasAll, nil
}

// pointsAxis is the axis of a points list: one step per point.
func pointsAxis(v any, claim func(name, where string) *tuneError) (axis, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, tuneErrorf(tunePoints, "%s is not allowed; allowed: a list of one or more points, each a mapping of parameters to values such as {min_ms: 100, max_ms: 200}", valueText(v))
	}
	var names []string
	var a axis
	for i, p := range list {
		where := fmt.Sprintf("%s[%d]", tunePoints, i)
		m, ok := p.(map[string]any)
		if !ok || len(m) == 0 {
			return nil, tuneErrorf(where, "%s is not allowed; allowed: a mapping of parameters to one value each, such as {min_ms: 100, max_ms: 200}", valueText(p))
		}
		keys := slices.Sorted(maps.Keys(m))
		if i == 0 {
			names = keys
			for _, n := range names {
				if err := claim(n, where); err != nil {
					return nil, err
				}
			}
		} else if !slices.Equal(keys, names) {
			return nil, tuneErrorf(where, "sets %s; allowed: the parameters of points[0] (%s), so that every point sets the same ones", strings.Join(keys, ", "), strings.Join(names, ", "))
		}
		step := make([]string, len(keys))
		for j, n := range keys {
			o, err := override(n, m[n])
			if err != nil {
				return nil, tuneErrorf(where+"."+n, "%v", err)
			}
			step[j] = o
		}
		a = append(a, step)
	}
	return a, nil
}

// togetherAxis is the axis of a together group: step i sets each
// parameter to its list's i-th value.
func togetherAxis(v any, claim func(name, where string) *tuneError) (axis, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, tuneErrorf(tuneTogether, "%s is not allowed; allowed: a mapping of parameters to lists of one length, such as {min_ms: [100, 150], max_ms: [200, 300]}", valueText(v))
	}
	names := slices.Sorted(maps.Keys(m))
	var a axis
	for _, n := range names {
		where := tuneTogether + "." + n
		if err := claim(n, where); err != nil {
			return nil, err
		}
		list, ok := m[n].([]any)
		if !ok || len(list) == 0 {
			return nil, tuneErrorf(where, "%s is not allowed; allowed: a list of one or more values", valueText(m[n]))
		}
		if a == nil {
			a = make(axis, len(list))
		} else if len(list) != len(a) {
			return nil, tuneErrorf(where, "%d values, and %s.%s has %d; allowed: lists of one length, since the parameters of together advance together", len(list), tuneTogether, names[0], len(a))
		}
		for i, c := range list {
			o, err := override(n, c)
			if err != nil {
				return nil, tuneErrorf(fmt.Sprintf("%s[%d]", where, i), "%v", err)
			}
			a[i] = append(a[i], o)
		}
	}
	return a, nil
}

// override formats one "name=value" override.
func override(name string, v any) (string, error) {
	if name == HeartbeatSetting {
		switch v.(type) {
		case int, float64:
		default:
			return "", fmt.Errorf("%s is not allowed; allowed: milliseconds, one number", valueText(v))
		}
	}
	f, err := formatValue(v)
	if err != nil {
		return "", err
	}
	return name + "=" + f, nil
}

// valueText shows a value from the YAML in an error: strings quoted.
func valueText(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// param is spec's parameter named name, or nil.
func param(spec *policies.Spec, name string) *policies.Param {
	for k := range spec.Params {
		if spec.Params[k].Name == name {
			return &spec.Params[k]
		}
	}
	return nil
}

// tunableNames lists what a tune grid may set for spec.
func tunableNames(spec *policies.Spec) []string {
	var names []string
	for _, p := range spec.Params {
		names = append(names, p.Name)
	}
	return append(names, HeartbeatSetting)
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
