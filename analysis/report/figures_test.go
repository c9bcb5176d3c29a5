package report

import (
	"math"
	"reflect"
	"testing"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/plot"
)

// TestArmFractions: each panel describes its arms from the arm set its
// policy ran with (its arms parameter), fractions pooled over seeds per
// bin; a policy whose set is unknown gets no description.
func TestArmFractions(t *testing.T) {
	tb := &metrics.Tables{}
	run := func(id, policy, params string, seed int64) {
		tb.Runs = append(tb.Runs, metrics.RunRow{RunID: id, Experiment: "e", Scenario: "wan_main", Policy: policy, Variant: "default",
			Seed: seed, ConfigHash: policy, Params: params})
	}
	arm := func(id string, binUS, arm, n int64) {
		tb.Arms = append(tb.Arms, metrics.ArmBin{RunID: id, BinUS: binUS, BinLenUS: 1_000_000, Arm: arm, Decisions: n})
	}
	run("b1", "bandit_safe", "alpha=1;arms=main3;beta=0.002", 1)
	run("b2", "bandit_safe", "alpha=1;arms=main3;beta=0.002", 2)
	run("q1", "bandit_qdecay", "arms=rel3;p=0.95", 1)
	run("x1", "custom", "k=1", 1)
	arm("b1", 0, 0, 3)
	arm("b2", 0, 2, 1)
	arm("b1", 2_000_000, 2, 2)
	arm("q1", 0, 1, 4)
	arm("x1", 0, 1, 1)
	r, err := New(tb, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	panels, _, err := r.ArmFractions(Selection{Methods: []string{"bandit_safe", "bandit_qdecay", "custom"}})
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	want := []plot.ArmPanel{
		{Label: "bandit_safe", BinS: []float64{0, 1, 2}, BinLen: 1, Arms: []int64{0, 2},
			Info: []plot.Arm{{Name: "A1", LoMS: 150, HiMS: 300}, {Name: "A3", LoMS: 600, HiMS: 1200}},
			Frac: [][]float64{{0.75, nan, 0}, {0.25, nan, 1}}},
		{Label: "bandit_qdecay", BinS: []float64{0}, BinLen: 1, Arms: []int64{1}, Info: []plot.Arm{{Name: "R2", Factor: 1}}, Frac: [][]float64{{1}}},
		{Label: "custom", BinS: []float64{0}, BinLen: 1, Arms: []int64{1}, Frac: [][]float64{{1}}},
	}
	if len(panels) != len(want) {
		t.Fatalf("%d panels, want %d", len(panels), len(want))
	}
	for i := range want {
		got, w := panels[i], want[i]
		for _, f := range [][][]float64{got.Frac, w.Frac} {
			for _, row := range f {
				for j := range row {
					if math.IsNaN(row[j]) {
						row[j] = -1 // NaN != NaN; compare the bins without decisions as -1
					}
				}
			}
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("panel %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
}
