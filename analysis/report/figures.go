package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/plot"
	"github.com/ballast-bench/ballast/policies"
)

// CDFOf lists the samples a CDF figure can show.
var CDFOf = []string{"recovery", "time_to_leader", "out_of_service"}

// CDF returns, per selected method, the pooled sample of what ("recovery":
// unwritable interval lengths after warm-up; "time_to_leader": of won
// elections; "out_of_service": of leader crashes), in ms.
func (r *Report) CDF(sel Selection, what string) ([]plot.Series, Selection, error) {
	cells, sel, err := r.Select(sel)
	if err != nil {
		return nil, sel, err
	}
	owner := map[string]int{}
	for i, c := range cells {
		for _, run := range c.Runs {
			owner[run.RunID] = i + 1
		}
	}
	out := make([]plot.Series, len(cells))
	for i, c := range cells {
		out[i].Label = c.Method()
	}
	add := func(runID string, v float64) {
		if i := owner[runID]; i > 0 {
			out[i-1].Values = append(out[i-1].Values, v/metrics.USPerMS)
		}
	}
	switch what {
	case "recovery":
		for _, iv := range r.T.Intervals {
			add(iv.RunID, float64(iv.RecoveryUS))
		}
	case "time_to_leader":
		for _, e := range r.T.Elections {
			if e.Outcome == metrics.OutcomeWon {
				add(e.RunID, float64(e.TTLUS))
			}
		}
	case "out_of_service":
		for _, f := range r.T.Failovers {
			add(f.RunID, float64(f.OutOfServiceUS))
		}
	default:
		return nil, sel, fmt.Errorf("--of %q: allowed: %s", what, strings.Join(CDFOf, ", "))
	}
	for i := range out {
		slices.Sort(out[i].Values)
	}
	return out, sel, nil
}

// Bars returns the cell means of m with their intervals.
func (r *Report) Bars(sel Selection, m metrics.Metric) ([]plot.Bar, Selection, error) {
	cells, sel, err := r.Select(sel)
	if err != nil {
		return nil, sel, err
	}
	out := make([]plot.Bar, len(cells))
	for i, c := range cells {
		out[i] = plot.Bar{Label: c.Method(), CI: r.CI(c, m)}
	}
	return out, sel, nil
}

// ArmFractions returns one panel per selected method that logged arms,
// each arm described from the arm set its policy used (its "arms"
// parameter, configs/arms.yaml).
func (r *Report) ArmFractions(sel Selection) ([]plot.ArmPanel, Selection, error) {
	cells, sel, err := r.Select(sel)
	if err != nil {
		return nil, sel, err
	}
	owner := map[string]int{}
	for i, c := range cells {
		for _, run := range c.Runs {
			owner[run.RunID] = i + 1
		}
	}
	type key struct{ bin, arm int64 }
	counts := make([]map[key]int64, len(cells))
	binLen := make([]int64, len(cells))
	for _, a := range r.T.Arms {
		i := owner[a.RunID] - 1
		if i < 0 {
			continue
		}
		if counts[i] == nil {
			counts[i] = map[key]int64{}
		}
		counts[i][key{a.BinUS, a.Arm}] += a.Decisions
		binLen[i] = a.BinLenUS
	}
	var out []plot.ArmPanel
	for i, c := range cells {
		if counts[i] == nil {
			continue
		}
		var bins, arms []int64
		total := map[int64]int64{}
		for k, n := range counts[i] {
			bins, arms = append(bins, k.bin), append(arms, k.arm)
			total[k.bin] += n
		}
		slices.Sort(arms)
		arms = slices.Compact(arms)
		maxBin := slices.Max(bins)
		p := plot.ArmPanel{Label: c.Method(), Arms: arms, BinLen: float64(binLen[i]) / 1e6, Info: armInfo(c.Runs[0].Params, arms)}
		for b := int64(0); b <= maxBin; b += binLen[i] {
			p.BinS = append(p.BinS, float64(b)/1e6)
		}
		for _, arm := range arms {
			fr := make([]float64, len(p.BinS))
			for j := range p.BinS {
				b := int64(j) * binLen[i]
				if total[b] == 0 {
					fr[j] = math.NaN()
				} else {
					fr[j] = float64(counts[i][key{b, arm}]) / float64(total[b])
				}
			}
			p.Frac = append(p.Frac, fr)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, sel, fmt.Errorf("no policy_decision rows with an arm in experiment %q scenario %s: no arm fractions to plot", sel.Experiment, sel.Scenario)
	}
	return out, sel, nil
}

// armInfo describes arms (0-based) from the arm set named by the "arms"
// parameter in a canonical "k=v;k=v" list; nil when there is none, or an
// arm lies beyond the set.
func armInfo(params string, arms []int64) []plot.Arm {
	var name string
	for _, kv := range strings.Split(params, ";") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == "arms" {
			name = v
		}
	}
	sets := policies.ArmSets()
	i := slices.IndexFunc(sets, func(s policies.ArmSet) bool { return s.Name == name })
	if i < 0 {
		return nil
	}
	set := sets[i]
	out := make([]plot.Arm, len(arms))
	for j, a := range arms {
		if a < 0 || int(a) >= len(set.Arms) {
			return nil
		}
		arm := set.Arms[a]
		out[j] = plot.Arm{Name: arm.Name, LoMS: arm.LoMS, HiMS: arm.HiMS, Factor: arm.Factor}
	}
	return out
}

// Sensitivity returns, per policy, the cell means of m (with intervals)
// against the numeric value of parameter param in each variant's
// resolved parameters, sorted by that value. Cells whose parameters lack
// param are skipped; none having it is an error.
func (r *Report) Sensitivity(sel Selection, param string, m metrics.Metric) ([]plot.Curve, Selection, error) {
	cells, sel, err := r.Select(sel)
	if err != nil {
		return nil, sel, err
	}
	byPolicy := map[string]*plot.Curve{}
	var order []string
	seen := map[string]bool{}
	var names []string
	for _, c := range cells {
		x, ok, names2 := paramValue(c.Runs[0].Params, param)
		for _, n := range names2 {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		if !ok {
			continue
		}
		cv := byPolicy[c.Policy]
		if cv == nil {
			cv = &plot.Curve{Label: c.Policy}
			byPolicy[c.Policy] = cv
			order = append(order, c.Policy)
		}
		cv.X = append(cv.X, x)
		cv.CI = append(cv.CI, r.CI(c, m))
	}
	if len(order) == 0 {
		slices.Sort(names)
		return nil, sel, fmt.Errorf("--param %q: no variant has a numeric parameter of that name; allowed: %s", param, strings.Join(names, ", "))
	}
	var out []plot.Curve
	for _, p := range order {
		cv := byPolicy[p]
		if len(cv.X) < 2 {
			continue // a single point is no curve (a policy that only shares the name)
		}
		idx := make([]int, len(cv.X))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case cv.X[a] < cv.X[b]:
				return -1
			case cv.X[a] > cv.X[b]:
				return 1
			}
			return 0
		})
		s := plot.Curve{Label: cv.Label}
		for _, i := range idx {
			s.X, s.CI = append(s.X, cv.X[i]), append(s.CI, cv.CI[i])
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, sel, fmt.Errorf("--param %q: no policy has two or more variants with different values of it", param)
	}
	return out, sel, nil
}

// paramValue parses name's value from a canonical "k=v;k=v" list; it also
// returns every parameter name seen (for the error message).
func paramValue(params, name string) (float64, bool, []string) {
	var names []string
	var val float64
	found := false
	for _, kv := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			names = append(names, k)
		}
		if k == name {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				val, found = f, true
			}
		}
	}
	return val, found, names
}
