package tuning

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/eventlog/pq"
	"github.com/ballast-bench/ballast/harness"
)

// countMetrics is a small stand-in objective for the test: campaigns
// started (fewer is better), then the time of the first leader.
func countMetrics(ev []eventlog.Event) map[string]float64 {
	m := map[string]float64{"campaigns": 0, "first_leader_ms": 0}
	first := true
	for _, e := range ev {
		switch e.Kind {
		case eventlog.BecameCandidate:
			m["campaigns"]++
		case eventlog.BecameLeader:
			if first {
				m["first_leader_ms"] = float64(e.TimeUS) / 1000
				first = false
			}
		}
	}
	return m
}

func fileMetrics(path string) (map[string]float64, error) {
	_, ev, err := pq.ReadEvents(path)
	if err != nil {
		return nil, err
	}
	return countMetrics(ev), nil
}

// TestTunePicksBruteForceChoice: the tuner's choice per scenario equals the
// argmin found by simulating every candidate on every tuning seed directly,
// in memory, without the sweep machinery.
func TestTunePicksBruteForceChoice(t *testing.T) {
	e, err := harness.LoadExperiment("testdata/tunesmall.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e.Objective = []string{"campaigns", "first_leader_ms"}
	out := t.TempDir()
	tuned, err := Tune(context.Background(), e, Options{OutDir: out, Workers: 2, Metrics: fileMetrics})
	if err != nil {
		t.Fatal(err)
	}
	if len(tuned.Choices) != 2 {
		t.Fatalf("%d choices, want one per scenario", len(tuned.Choices))
	}
	pv := &e.Policies[0]
	cands, err := pv.Candidates()
	if err != nil || len(cands) != 6 {
		t.Fatalf("%d candidates (%v), want 3 x 2", len(cands), err)
	}
	for si, s := range e.ScenarioList() {
		best, bestScore := -1, []float64(nil)
		for k, c := range cands {
			sum := []float64{0, 0}
			for _, seed := range e.SeedList(harness.SetTuning) {
				r, err := harness.Resolve(harness.Spec{Scenario: s, Policy: "random", Set: c, Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				var mem eventlog.Memory
				if _, err := r.Simulate(context.Background(), &mem); err != nil {
					t.Fatal(err)
				}
				m := countMetrics(mem.Events)
				sum[0] += m["campaigns"] / 3
				sum[1] += m["first_leader_ms"] / 3
			}
			if best < 0 || sum[0] < bestScore[0] || (sum[0] == bestScore[0] && sum[1] < bestScore[1]) {
				best, bestScore = k, sum
			}
		}
		got := tuned.Choices[si]
		if got.Scenario != s.Name || !equal(got.Chosen, cands[best]) {
			t.Errorf("scenario %s: tuner chose %v, brute force %v (scores %v)", s.Name, got.Chosen, cands[best], bestScore)
		}
	}
	// Report grids use the choices; without them they refuse.
	if _, err := e.Grid(harness.SetReport, 0); err == nil {
		t.Error("report grid of a tunable variant built without tuned values")
	}
	path := filepath.Join(t.TempDir(), "tuned.yaml")
	if err := Write(path, tuned); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	back.Apply(e, path)
	jobs, err := e.Grid(harness.SetReport, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p := jobs[0].Run.Info.Params; p != paramsOf(tuned.Choices[0].Chosen) {
		t.Errorf("report run params %q, want the tuned %v", p, tuned.Choices[0].Chosen)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// paramsOf formats overrides of random the way Params.String does.
func paramsOf(set []string) string {
	m := map[string]string{}
	for _, s := range set {
		for i := 0; i < len(s); i++ {
			if s[i] == '=' {
				m[s[:i]] = s[i+1:]
			}
		}
	}
	return "max_ms=" + m["max_ms"] + ";min_ms=" + m["min_ms"]
}

func TestCandidates(t *testing.T) {
	pv := harness.PolicyVariant{Policy: "random", Set: map[string]any{"max_ms": 900},
		Tune: map[string]any{"min_ms": []any{100, 200}}}
	got, err := pv.Candidates()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"max_ms=900", "min_ms=100"}, {"max_ms=900", "min_ms=200"}}
	if len(got) != 2 || !equal(got[0], want[0]) || !equal(got[1], want[1]) {
		t.Errorf("candidates %v, want %v", got, want)
	}
	bad := harness.PolicyVariant{Policy: "random", Tune: map[string]any{"min_ms": "all"}}
	if _, err := bad.Candidates(); err == nil {
		t.Error("all accepted for a non-integer parameter")
	}
}

// TestCandidatesAllRegimeMaps: "all" enumerates every regime-to-arm map the
// policy accepts: 3 arms and 2 regimes give 3^2 = 9 maps.
func TestCandidatesAllRegimeMaps(t *testing.T) {
	pv := harness.PolicyVariant{Policy: "oracle_best_per_regime", Tune: map[string]any{"map": "all"}}
	got, err := pv.Candidates()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 9 {
		t.Fatalf("%d maps, want 9: %v", len(got), got)
	}
	if got[0][0] != "map=1,1" || got[8][0] != "map=3,3" {
		t.Errorf("maps %v, want map=1,1 ... map=3,3", got)
	}
}
