package metrics

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/ballast-bench/ballast/internal/tablefile"
)

// Unit is how a metric is shown in tables and figures. A catalog metric
// in UnitMS is its µs column divided by USPerMS; in the other units it is
// its column as it is.
type Unit uint8

const (
	UnitMS       Unit = iota + 1 // milliseconds, from a µs column
	UnitFraction                 // a fraction of a whole, in [0, 1]
	UnitCount                    // a number per run
	UnitPerMin                   // events per simulated minute
	UnitUS                       // microseconds, from a µs column (times far below a millisecond)
)

// USPerMS converts the µs of the files to the ms of tables and figures.
const USPerMS = 1000

var unitNames = map[Unit]string{UnitMS: "ms", UnitFraction: "fraction", UnitCount: "count", UnitPerMin: "per minute", UnitUS: "µs"}

func (u Unit) String() string { return unitNames[u] }

// Direction says which way a metric improves, for 'ballast compare'.
type Direction uint8

const (
	Neither Direction = iota // a description, not a goal (the share of a failure cause)
	Lower                    // smaller is better (a time, a rate of trouble)
	Higher                   // larger is better
)

var directionNames = map[Direction]string{Neither: "neither", Lower: "lower", Higher: "higher"}

func (d Direction) String() string { return directionNames[d] }

// Metric is a per-run quantity that a table cell or a figure averages over
// seeds.
type Metric struct {
	Name   string // short name: part of each cell's bootstrap seed; --metric also accepts it
	Column string // the runs-table column it is read from: what --metric takes
	Key    string // the CSV column of tables, with its unit
	Header string // the table header
	Unit   Unit
	Better Direction // which way is an improvement ('ballast compare')
	Doc    string    // one line, for docs/metrics.md
	// Get reads the metric from a run, in its unit. The catalog derives it
	// from Column and Unit; a metric outside the catalog (a reproduction's
	// own per-run value) sets it instead.
	Get func(*RunRow) float64
}

// Catalog lists the per-run metrics that tables and figures show, each
// defined once. Names and keys are part of the outputs (a name seeds the
// bootstrap of every cell that shows it): renaming one changes tables.
var Catalog = catalog([]Metric{
	{Name: "recovery_mean", Column: "recovery_mean_us", Key: "recovery_mean_ms", Header: "Recovery mean (ms)", Unit: UnitMS, Better: Lower,
		Doc: "mean length of the unwritable intervals after the warm-up, censored ones included"},
	{Name: "recovery_p50", Column: "recovery_p50_us", Key: "recovery_p50_ms", Header: "Recovery p50 (ms)", Unit: UnitMS, Better: Lower,
		Doc: "median unwritable interval length"},
	{Name: "recovery_p95", Column: "recovery_p95_us", Key: "recovery_p95_ms", Header: "Recovery p95 (ms)", Unit: UnitMS, Better: Lower,
		Doc: "95th percentile of the unwritable interval lengths"},
	{Name: "recovery_p99", Column: "recovery_p99_us", Key: "recovery_p99_ms", Header: "Recovery p99 (ms)", Unit: UnitMS, Better: Lower,
		Doc: "99th percentile of the unwritable interval lengths"},
	{Name: "recovery_max", Column: "recovery_max_us", Key: "recovery_max_ms", Header: "Recovery max (ms)", Unit: UnitMS, Better: Lower,
		Doc: "longest unwritable interval"},
	{Name: "unwritable_frac", Column: "unwritable_frac", Key: "unwritable_frac", Header: "Unwritable frac.", Unit: UnitFraction, Better: Lower,
		Doc: "unwritable time after the warm-up / time after the warm-up"},
	{Name: "intervals", Column: "intervals", Key: "intervals", Header: "Unwritable intervals", Unit: UnitCount, Better: Lower,
		Doc: "unwritable intervals after the warm-up, censored ones included"},
	{Name: "time_to_leader_mean", Column: "time_to_leader_mean_us", Key: "time_to_leader_mean_ms", Header: "Time to leader (ms)", Unit: UnitMS, Better: Lower,
		Doc: "mean became_candidate -> became_leader time of the won election attempts"},
	{Name: "time_to_leader_p95", Column: "time_to_leader_p95_us", Key: "time_to_leader_p95_ms", Header: "Time to leader p95 (ms)", Unit: UnitMS, Better: Lower,
		Doc: "95th percentile of the time to leader"},
	{Name: "split_vote_rate", Column: "split_vote_rate", Key: "split_vote_rate", Header: "Split-vote rate", Unit: UnitFraction, Better: Lower,
		Doc: "failed / ended election attempts"},
	{Name: "term_churn", Column: "term_churn_per_min", Key: "term_churn_per_min", Header: "Term churn (/min)", Unit: UnitPerMin, Better: Lower,
		Doc: "distinct terms of became_candidate rows, per simulated minute"},
	{Name: "unnecessary", Column: "unnecessary_per_min", Key: "unnecessary_per_min", Header: "Unnecessary elections (/min)", Unit: UnitPerMin, Better: Lower,
		Doc: "election attempts started while the system was writable, per simulated minute"},
	{Name: "no_quorum_frac", Column: "no_quorum_frac", Key: "no_quorum_frac", Header: "No-quorum frac.", Unit: UnitFraction,
		Doc: "of the failed attempts, those with fewer than a quorum of nodes alive"},
	{Name: "low_reach_frac", Column: "low_reach_frac", Key: "low_reach_frac", Header: "Low-reach frac.", Unit: UnitFraction,
		Doc: "of the failed attempts, those whose last phase reached too few peers for a majority"},
	{Name: "contention_frac", Column: "contention_frac", Key: "contention_frac", Header: "Contention frac.", Unit: UnitFraction,
		Doc: "of the failed attempts, those that could have reached a majority"},
	{Name: "detect_first", Column: "detect_first_mean_us", Key: "detect_first_ms", Header: "Detection (ms)", Unit: UnitMS, Better: Lower,
		Doc: "mean time from a leader crash to the first timeout of another node"},
	{Name: "detect_quorum", Column: "detect_quorum_mean_us", Key: "detect_quorum_ms", Header: "Detection, quorum (ms)", Unit: UnitMS, Better: Lower,
		Doc: "mean time from a leader crash until a quorum of nodes have timed out"},
	{Name: "election", Column: "election_mean_us", Key: "election_ms", Header: "Election (ms)", Unit: UnitMS, Better: Lower,
		Doc: "mean time from the first detection of a leader crash to the new leader"},
	{Name: "out_of_service", Column: "out_of_service_mean_us", Key: "out_of_service_ms", Header: "Out of service (ms)", Unit: UnitMS, Better: Lower,
		Doc: "mean time from a leader crash to the new leader"},
	{Name: "safety_episodes", Column: "safety_episodes", Key: "safety_episodes", Header: "Episodes", Unit: UnitCount,
		Doc: "stays of a node in forced-safe mode"},
	{Name: "safety_mean", Column: "safety_mean_us", Key: "safety_mean_ms", Header: "Mean dur. (ms)", Unit: UnitMS,
		Doc: "mean length of the forced-safe episodes"},
	{Name: "safety_overlap2", Column: "safety_overlap2_frac", Key: "safety_overlap2_frac", Header: "Overlap 2", Unit: UnitFraction,
		Doc: "fraction of the run with at least 2 nodes in forced-safe mode"},
	{Name: "safety_overlap3", Column: "safety_overlap3_frac", Key: "safety_overlap3_frac", Header: "Overlap 3", Unit: UnitFraction,
		Doc: "fraction of the run with at least 3 nodes in forced-safe mode"},
	{Name: "policy_choose_mean", Column: "policy_choose_mean_us", Key: "policy_choose_mean_us", Header: "Choose mean (µs)", Unit: UnitUS, Better: Lower,
		Doc: "live ballast nodes: mean wall time of a policy decision (BALLAST Table 5's ChooseArm)"},
	{Name: "policy_choose_p99", Column: "policy_choose_p99_us", Key: "policy_choose_p99_us", Header: "Choose p99 (µs)", Unit: UnitUS, Better: Lower,
		Doc: "live ballast nodes: 99th percentile of a run's policy decision times"},
	{Name: "policy_update_mean", Column: "policy_update_mean_us", Key: "policy_update_mean_us", Header: "Update mean (µs)", Unit: UnitUS, Better: Lower,
		Doc: "live ballast nodes: mean wall time of a policy update (BALLAST Table 5's Update)"},
	{Name: "policy_update_p99", Column: "policy_update_p99_us", Key: "policy_update_p99_us", Header: "Update p99 (µs)", Unit: UnitUS, Better: Lower,
		Doc: "live ballast nodes: 99th percentile of a run's policy update times"},
})

// catalog derives each metric's getter from its column and unit. A
// metric that names no numeric column, has no unit, or repeats a name or
// key is a mistake in the list above: it panics at start-up.
func catalog(list []Metric) []Metric {
	// Names and columns share one namespace, as LookupMetric takes both.
	names, keys := map[string]bool{}, map[string]bool{}
	for i := range list {
		m := &list[i]
		col, ok := numericColumns[m.Column]
		if !ok || m.Unit.String() == "" || names[m.Name] || keys[m.Key] || (names[m.Column] && m.Column != m.Name) {
			panic(fmt.Sprintf("metrics: catalog entry %q: a numeric column, a unit, a new name, a new column and a new key are required", m.Name))
		}
		names[m.Name], names[m.Column], keys[m.Key] = true, true, true
		if m.Unit == UnitMS {
			m.Get = func(r *RunRow) float64 { return col.value(r) / USPerMS }
		} else {
			m.Get = col.value
		}
	}
	return list
}

// LookupMetric finds a catalog metric by its runs-table column, as in the
// files (recovery_mean_us), or by its short name (recovery_mean).
func LookupMetric(name string) (Metric, bool) {
	i := slices.IndexFunc(Catalog, func(m Metric) bool { return m.Column == name || m.Name == name })
	if i < 0 {
		return Metric{}, false
	}
	return Catalog[i], true
}

// MustMetric returns the catalog metric of a name written in the code,
// where an unknown name is a bug: it panics.
func MustMetric(name string) Metric {
	m, ok := LookupMetric(name)
	if !ok {
		panic(fmt.Sprintf("metrics: no catalog metric %q; allowed: %s", name, strings.Join(MetricNames(), ", ")))
	}
	return m
}

// MetricNames lists the catalog's columns, sorted: the names the
// command line shows (the short names are accepted too).
func MetricNames() []string {
	n := make([]string, len(Catalog))
	for i, m := range Catalog {
		n[i] = m.Column
	}
	slices.Sort(n)
	return n
}

// column is a numeric column of the runs table: a RunRow field of type
// int64 or float64, found by its col tag.
type column struct {
	field int
	float bool
}

// numericColumns are the runs table's numeric columns by name.
var numericColumns = func() map[string]column {
	out := map[string]column{}
	t := reflect.TypeFor[RunRow]()
	for i := range t.NumField() {
		f := t.Field(i)
		name := tablefile.ColumnName(f)
		if name == "" || name == "-" {
			continue
		}
		switch f.Type.Kind() {
		case reflect.Float64:
			out[name] = column{field: i, float: true}
		case reflect.Int64:
			out[name] = column{field: i}
		}
	}
	return out
}()

func (c column) value(r *RunRow) float64 {
	f := reflect.ValueOf(r).Elem().Field(c.field)
	if c.float {
		return f.Float()
	}
	return float64(f.Int())
}

// ColumnValues maps every numeric column of the runs table to its value in
// r: the names a tuning objective can use (unwritable_frac,
// recovery_mean_us, ...).
func ColumnValues(r *RunRow) map[string]float64 {
	out := make(map[string]float64, len(numericColumns))
	for name, c := range numericColumns {
		out[name] = c.value(r)
	}
	return out
}
