package harness_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/sim/scenario"
)

func loadCoupled(t *testing.T) *harness.Experiment {
	t.Helper()
	e, err := harness.LoadExperiment("testdata/coupled.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// variant is e's policy entry named name.
func variant(t *testing.T, e *harness.Experiment, name string) *harness.PolicyVariant {
	t.Helper()
	for i := range e.Policies {
		if e.Policies[i].Variant == name {
			return &e.Policies[i]
		}
	}
	t.Fatalf("no variant %s", name)
	return nil
}

// TestCoupledGrids: together and points expand to exactly the points
// listed (hand-written below), not to a cross product; a parameter key next
// to them is crossed with them and varies fastest.
func TestCoupledGrids(t *testing.T) {
	e := loadCoupled(t)
	for _, c := range []struct {
		variant string
		want    [][]string
	}{
		{"etcd", [][]string{
			{"max_ms=200", "min_ms=100"},
			{"max_ms=300", "min_ms=150"},
			{"max_ms=400", "min_ms=200"},
		}},
		{"etcd_hb", [][]string{
			{"max_ms=200", "min_ms=100", "raft.heartbeat_ms=20"},
			{"max_ms=200", "min_ms=100", "raft.heartbeat_ms=50"},
			{"max_ms=400", "min_ms=200", "raft.heartbeat_ms=20"},
			{"max_ms=400", "min_ms=200", "raft.heartbeat_ms=50"},
		}},
		{"hb", [][]string{
			{"max_ms=300", "min_ms=150", "raft.heartbeat_ms=20"},
			{"max_ms=300", "min_ms=150", "raft.heartbeat_ms=80"},
		}},
	} {
		got, err := variant(t, e, c.variant).Candidates()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got, c.want, slices.Equal) {
			t.Errorf("variant %s: grid %v, want %v", c.variant, got, c.want)
		}
	}
	// Points, together and a parameter in one grid: points, then together,
	// then the parameter; set comes first and the grid replaces it.
	pv := harness.PolicyVariant{Policy: "backoff", Set: map[string]any{"factor": 1.5},
		Tune: map[string]any{
			"factor":   []any{2, 3},
			"together": map[string]any{"raft.heartbeat_ms": []any{10, 30}, "cap_ms": []any{1000, 3000}},
			"points":   []any{map[string]any{"min_ms": 100, "max_ms": 200}},
		}}
	got, err := pv.Candidates()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"factor=1.5", "max_ms=200", "min_ms=100", "cap_ms=1000", "raft.heartbeat_ms=10", "factor=2"},
		{"factor=1.5", "max_ms=200", "min_ms=100", "cap_ms=1000", "raft.heartbeat_ms=10", "factor=3"},
		{"factor=1.5", "max_ms=200", "min_ms=100", "cap_ms=3000", "raft.heartbeat_ms=30", "factor=2"},
		{"factor=1.5", "max_ms=200", "min_ms=100", "cap_ms=3000", "raft.heartbeat_ms=30", "factor=3"},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("mixed grid %v, want %v", got, want)
	}
}

// TestHeartbeatRuns: grid points that differ only in the heartbeat are
// different runs (config hash, run id), their leaders send heartbeats that
// far apart, and the metrics' grace window follows the run's heartbeat
// (docs/metrics.md: 3 x heartbeat_us of the run).
func TestHeartbeatRuns(t *testing.T) {
	e := loadCoupled(t)
	pv := variant(t, e, "hb")
	cands, err := pv.Candidates()
	if err != nil {
		t.Fatal(err)
	}
	s := e.ScenarioList()[0]
	seed := e.SeedList(harness.SetTuning)[0]
	ids, configs := map[string]bool{}, map[string]bool{}
	for k, c := range cands {
		hbUS := []int64{20_000, 80_000}[k]
		j, err := e.NewJob(k, s, pv.Policy, fmt.Sprintf("hb.c%d", k), c, seed, harness.SetTuning)
		if err != nil {
			t.Fatal(err)
		}
		info := j.Run.Info
		ids[info.RunID], configs[info.ConfigHash] = true, true
		if info.HeartbeatUS != hbUS || info.Params != "max_ms=300;min_ms=150" {
			t.Errorf("grid point %d: heartbeat_us %d, params %q; want %d and the policy's parameters alone", k, info.HeartbeatUS, info.Params, hbUS)
		}
		if info.ScenarioHash == s.Hash() || j.Run.Spec.Scenario.Raft.HeartbeatMS != float64(hbUS)/1000 {
			t.Errorf("grid point %d runs the scenario's own heartbeat", k)
		}
		var mem eventlog.Memory
		res, err := j.Run.Simulate(context.Background(), &mem)
		if err != nil {
			t.Fatal(err)
		}
		gaps := heartbeatGaps(mem.Events)
		if n := gaps[hbUS]; n < 1000 {
			t.Errorf("grid point %d: %d heartbeats %d µs after the previous one; want most of the run's", k, n, hbUS)
		}
		for gap, n := range gaps {
			if gap != hbUS {
				t.Errorf("grid point %d: %d heartbeats %d µs after the previous one to the same follower; want every one %d µs after", k, n, gap, hbUS)
			}
		}
		info.Events = res.Events
		d, err := metrics.NewDeriver(info, metrics.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range mem.Events {
			if err := d.Add(&mem.Events[i]); err != nil {
				t.Fatal(err)
			}
		}
		run, err := d.Finish()
		if err != nil {
			t.Fatal(err)
		}
		if run.Row.GraceUS != 3*hbUS || run.Row.HeartbeatUS != hbUS {
			t.Errorf("grid point %d: grace %d µs, heartbeat %d µs; want 3 x %d", k, run.Row.GraceUS, run.Row.HeartbeatUS, hbUS)
		}
	}
	if len(ids) != 2 || len(configs) != 2 {
		t.Errorf("two heartbeats gave %d run ids and %d config hashes; want 2 of each", len(ids), len(configs))
	}
}

// heartbeatGaps counts the spacings between consecutive heartbeat_send
// rows of one leader to one follower in one term.
func heartbeatGaps(ev []eventlog.Event) map[int64]int {
	type key struct {
		node, peer int16
		term       uint64
	}
	last := map[key]int64{}
	gaps := map[int64]int{}
	for _, e := range ev {
		if e.Kind != eventlog.HeartbeatSent {
			continue
		}
		k := key{e.Node, e.Peer, e.Term}
		if t, ok := last[k]; ok {
			gaps[e.TimeUS-t]++
		}
		last[k] = e.TimeUS
	}
	return gaps
}

// TestHeartbeatVariants: a plain variant's heartbeat setting is in its runs'
// identity and heartbeat; a variant without one runs the scenario itself
// (its ids are those of a run resolved without any grid), and one that sets
// the scenario's own interval simulates the same configuration.
func TestHeartbeatVariants(t *testing.T) {
	e := loadCoupled(t)
	tuned := map[harness.TunedKey][]string{}
	for _, v := range []string{"etcd", "etcd_hb", "hb"} {
		cands, err := variant(t, e, v).Candidates()
		if err != nil {
			t.Fatal(err)
		}
		tuned[harness.TunedKey{Scenario: "lan", Policy: "random", Variant: v}] = cands[len(cands)-1]
	}
	e.UseTuned("test", tuned)
	jobs, err := e.Grid(harness.SetReport, 0)
	if err != nil {
		t.Fatal(err)
	}
	lan, err := scenario.Load("lan")
	if err != nil {
		t.Fatal(err)
	}
	hb := map[string]int64{}
	for _, j := range jobs {
		i := j.Run.Info
		hb[i.Variant] = i.HeartbeatUS
		if i.Variant != "default" {
			continue
		}
		r, err := harness.Resolve(harness.Spec{Scenario: lan, Policy: "random", Seed: i.Seed, SeedSet: harness.SetReport, Engine: "fast", Experiment: "coupled", Variant: "default"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Info != i || j.Run.Spec.Scenario != e.ScenarioList()[0] {
			t.Errorf("a variant without a heartbeat setting: run %+v, want %+v", i, r.Info)
		}
	}
	want := map[string]int64{"etcd": 50_000, "etcd_hb": 50_000, "hb": 80_000, "fast_hb": 20_000, "default": 50_000}
	for v, us := range want {
		if hb[v] != us {
			t.Errorf("variant %s runs with heartbeat %d µs, want %d", v, hb[v], us)
		}
	}
	// The scenario's own interval, set explicitly: the same scenario hash
	// and config hash as the scenario itself.
	same, err := harness.ParseExperiment("same.yaml", []byte("name: same\ndescription: d\nscenarios: [lan]\npolicies:\n"+
		"  - {policy: random}\n  - {policy: random, variant: own, set: {raft.heartbeat_ms: 50}}\nseeds: {master: 1, report: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, err = same.Grid(harness.SetReport, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := jobs[0].Run.Info, jobs[1].Run.Info; a.ScenarioHash != b.ScenarioHash || a.ConfigHash != b.ConfigHash || a.RunID == b.RunID {
		t.Errorf("heartbeat set to the scenario's own: config %s vs %s, run %s vs %s; want one config, two runs", a.ConfigHash, b.ConfigHash, a.RunID, b.RunID)
	}
}

// TestCoupledGridErrors: bad coupled grids and heartbeat settings are
// refused with one line naming the file, the line, the field and what is
// allowed.
func TestCoupledGridErrors(t *testing.T) {
	dir := t.TempDir()
	seeds := "description: d\nscenarios: [lan]\nseeds: {master: 1, tuning: 2, report: 2}\npolicies:\n"
	head, backoff := seeds+"  - policy: random\n", seeds+"  - policy: backoff\n"
	long := make([]string, 101)
	for i := range long {
		long[i] = fmt.Sprint(i + 1)
	}
	list := "[" + strings.Join(long, ", ") + "]"
	cases := []struct{ name, body, want string }{
		{"lengths", head + "    tune:\n      together:\n        min_ms: [100, 150]\n        max_ms: [200, 300, 400]\n",
			`:9: policies[0].tune.together.min_ms: 2 values, and together.max_ms has 3; allowed: lists of one length`},
		{"pointkeys", head + "    tune:\n      points:\n        - {min_ms: 100, max_ms: 200}\n        - {min_ms: 150}\n",
			`:10: policies[0].tune.points[1]: sets min_ms; allowed: the parameters of points[0] (max_ms, min_ms)`},
		{"twice", head + "    tune:\n      together: {min_ms: [1, 2], max_ms: [3, 4]}\n      min_ms: [5]\n",
			`:9: policies[0].tune.min_ms: min_ms is also set by together.min_ms; allowed: each parameter in one place of the grid`},
		{"unknown", head + "    tune:\n      points:\n        - {min_ms: 100, foo: 2}\n",
			`:9: policies[0].tune.points[0]: policy random has no parameter "foo"; allowed: min_ms, max_ms, raft.heartbeat_ms`},
		{"emptypoints", head + "    tune:\n      points: []\n",
			`:8: policies[0].tune.points: [] is not allowed; allowed: a list of one or more points`},
		{"togetherall", head + "    tune:\n      together:\n        min_ms: all\n",
			`:9: policies[0].tune.together.min_ms: "all" is not allowed; allowed: a list of one or more values`},
		{"pointvalue", head + "    tune:\n      points:\n        - {min_ms: true}\n",
			`:9: policies[0].tune.points[0].min_ms: true is not allowed; allowed: a number, a list of numbers, or a name`},
		{"hbrange", head + "    tune:\n      raft.heartbeat_ms: [20, 0]\n",
			`:7: policies[0].tune: candidate [raft.heartbeat_ms=0]: raft.heartbeat_ms=0 on scenario lan: raft.heartbeat_ms: 0 is not allowed; allowed: milliseconds in [0.001, 3600000]`},
		{"hbname", head + "    set: {raft.heartbeat_ms: fast}\n",
			`:7: policies[0].set: raft.heartbeat_ms: "fast" is not allowed; allowed: milliseconds, one number`},
		{"hblist", head + "    tune:\n      points: [{raft.heartbeat_ms: [10, 20]}]\n",
			`:8: policies[0].tune.points[0].raft.heartbeat_ms: [10 20] is not allowed; allowed: milliseconds, one number`},
		{"setting", head + "    set: {raft.lease_ms: 100}\n",
			`:7: policies[0].set: raft.lease_ms: unknown run setting; allowed: raft.heartbeat_ms, or a policy parameter`},
		{"hbevents", head + "    set: {raft.heartbeat_ms: 0.001}\n",
			`:7: policies[0].set: raft.heartbeat_ms=0.001 on scenario lan: raft.heartbeat_ms: a run would log about`},
		{"etcdlease", "description: d\nengine: etcd\nscenarios: [dynatune_stable]\nseeds: {master: 1, report: 2}\npolicies:\n  - policy: random\n    set: {raft.heartbeat_ms: 900}\n",
			`:8: policies[0].set: raft.heartbeat_ms=900 on scenario dynatune_stable: raft.lease_ms 1000 is under 1.5 heartbeat intervals (900 ms)`},
		// The size is bounded before the grid is built: 101 x 100 steps.
		{"size", backoff + "    tune:\n      together: {min_ms: " + list + ", max_ms: " + list + "}\n      factor: " + list[:strings.LastIndex(list, ",")] + "]\n",
			`:7: policies[0].tune: 10100 grid points; allowed: at most 10000`},
	}
	oneLine := regexp.MustCompile(`^[^\n]+\.yaml:\d+: policies\[0\]\.[^\n]*allowed: [^\n]+$`)
	for _, c := range cases {
		p := filepath.Join(dir, c.name+".yaml")
		if err := os.WriteFile(p, []byte("name: "+c.name+"\n"+c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := harness.LoadExperiment(p)
		if err == nil || !strings.Contains(err.Error(), c.name+".yaml"+c.want) || !oneLine.MatchString(err.Error()) {
			t.Errorf("%s: got %v\nwant one line with %q", c.name, err, c.name+".yaml"+c.want)
		}
	}
}

// TestDocExample: the example of docs/experiments.md ("Coupled parameters
// and the heartbeat") is valid and expands as the text says.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/experiments.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(doc), "### Coupled parameters and the heartbeat")
	_, block, _ := strings.Cut(section, "```yaml\n")
	block, _, _ = strings.Cut(block, "```")
	e, err := harness.ParseExperiment("example.yaml", []byte("name: example\ndescription: d\nscenarios: [lan]\nseeds: {master: 1, tuning: 1, report: 1}\n"+block))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		variant string
		points  int
		first   []string
	}{
		{"etcd", 6, []string{"max_ms=200", "min_ms=100", "raft.heartbeat_ms=20"}},
		{"picked", 2, []string{"max_ms=300", "min_ms=150", "raft.heartbeat_ms=50"}},
	} {
		got, err := variant(t, e, c.variant).Candidates()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != c.points || !slices.Equal(got[0], c.first) {
			t.Errorf("variant %s: %d points, the first %v; the text says %d, %v", c.variant, len(got), got[0], c.points, c.first)
		}
	}
}

// TestResolveHeartbeat: a single run ('ballast sim --set') takes the
// heartbeat setting as a sweep does, on a copy of its scenario.
func TestResolveHeartbeat(t *testing.T) {
	s, err := scenario.Load("lan")
	if err != nil {
		t.Fatal(err)
	}
	base := s.HeartbeatUS()
	r, err := harness.Resolve(harness.Spec{Scenario: s, Policy: "random", Set: []string{"raft.heartbeat_ms=20", "min_ms=100"}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Info.HeartbeatUS != 20_000 || r.Spec.Scenario.HeartbeatUS() != 20_000 || s.HeartbeatUS() != base {
		t.Errorf("heartbeat: run %d µs, its scenario %d µs, the loaded scenario %d µs (was %d)", r.Info.HeartbeatUS, r.Spec.Scenario.HeartbeatUS(), s.HeartbeatUS(), base)
	}
	if !strings.Contains(r.Info.Params, "min_ms=100") || strings.Contains(r.Info.Params, "heartbeat") {
		t.Errorf("params %q: the policy's overrides only", r.Info.Params)
	}
	if _, err := harness.Resolve(harness.Spec{Scenario: s, Policy: "random", Set: []string{"raft.heartbeat=20"}, Seed: 1}); err == nil || !strings.Contains(err.Error(), "allowed: raft.heartbeat_ms") {
		t.Errorf("a misspelt setting: %v", err)
	}
}
