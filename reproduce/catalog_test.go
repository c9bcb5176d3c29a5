package reproduce

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/reproduce/published"
)

// TestCatalogIsConsistent: every artifact names known experiments and
// loadable published files, IDs are unique, every experiment loads, and
// every experiment file of configs/experiments/ except the smoke test and
// the etcd prototype's (another issue) feeds some artifact.
func TestCatalogIsConsistent(t *testing.T) {
	exps := map[string]bool{}
	for _, x := range Experiments {
		if exps[x.Name] {
			t.Errorf("experiment %s listed twice", x.Name)
		}
		exps[x.Name] = true
		e, err := harness.LoadExperiment(x.Name)
		if err != nil {
			t.Errorf("experiment %s: %v", x.Name, err)
			continue
		}
		if x.QuickReport > len(e.SeedList(harness.SetReport)) || x.QuickTuning > len(e.SeedList(harness.SetTuning)) {
			t.Errorf("experiment %s: quick seeds exceed the file's seed sets", x.Name)
		}
		if x.QuickTuning > 0 && !e.Tunable() {
			t.Errorf("experiment %s: quick tuning seeds for an experiment without tune: grids", x.Name)
		}
	}
	ids := map[string]bool{}
	used := map[string]bool{}
	for _, a := range Catalog {
		if ids[a.ID] || exps[a.ID] {
			t.Errorf("artifact ID %s is not unique", a.ID)
		}
		ids[a.ID] = true
		if a.Build == nil || a.Doc == "" || a.Label == "" || a.Title == "" || len(a.Experiments) == 0 {
			t.Errorf("artifact %s: incomplete entry", a.ID)
		}
		for _, e := range a.Experiments {
			if !exps[e] {
				t.Errorf("artifact %s: experiment %s is not in Experiments", a.ID, e)
			}
			used[e] = true
		}
		for _, p := range a.Published {
			if _, err := published.Load(filepath.Join("..", published.Dir), p); err != nil {
				t.Errorf("artifact %s: %v", a.ID, err)
			}
		}
	}
	for e := range exps {
		if !used[e] {
			t.Errorf("experiment %s feeds no artifact", e)
		}
	}
	for _, n := range harness.ExperimentNames() {
		if n != "smoke" && !strings.HasPrefix(n, "etcd_") && !exps[n] {
			t.Errorf("configs/experiments/%s.yaml is not in the reproduction", n)
		}
	}
}

// TestSelect: --only takes artifact IDs and experiment names, and refuses
// anything else with the list of what is allowed.
func TestSelect(t *testing.T) {
	arts, exps, err := Select([]string{"ballast_table_a10", "blog_rust_table"})
	if err != nil || len(arts) != 2 || len(exps) != 2 {
		t.Fatalf("Select: %d artifacts, %d experiments, %v", len(arts), len(exps), err)
	}
	arts, exps, err = Select([]string{"ballast_timer_alignment"})
	if err != nil || len(arts) != 2 || len(exps) != 1 || arts[0].ID != "ballast_table_a8" {
		t.Fatalf("Select by experiment: %v %v %v", arts, exps, err)
	}
	// An experiment selects the artifacts that need nothing else: A.11
	// also reads ballast_scenarios.
	arts, _, err = Select([]string{"ballast_main"})
	if err != nil || slices.ContainsFunc(arts, func(a *Artifact) bool { return a.ID == "ballast_table_a11" }) || len(arts) != 8 {
		t.Errorf("Select(ballast_main): %d artifacts, %v", len(arts), err)
	}
	arts, _, _ = Select([]string{"ballast_main,ballast_scenarios"})
	if !slices.ContainsFunc(arts, func(a *Artifact) bool { return a.ID == "ballast_table_a11" }) {
		t.Error("Select(ballast_main, ballast_scenarios) lacks Table A.11")
	}
	if _, _, err := Select([]string{"dynatune_fig6_raftlow"}); err == nil || !strings.Contains(err.Error(), "selects no artifact") {
		t.Errorf("an experiment that feeds no artifact alone: %v", err)
	}
	all, _, _ := Select(nil)
	if len(all) != len(Catalog) {
		t.Errorf("Select(nil) gives %d of %d artifacts", len(all), len(Catalog))
	}
	_, _, err = Select([]string{"table99"})
	if err == nil || !strings.Contains(err.Error(), `--only "table99"`) || !strings.Contains(err.Error(), "ballast_table1") {
		t.Errorf("unknown name: %v", err)
	}
}

// TestTableA11Parsing reads Table A.11's printed strings and our tuned
// overrides into the same form.
func TestTableA11Parsing(t *testing.T) {
	for _, c := range []struct {
		pub  string
		want map[string][]float64
	}{
		{"thr=[50, 200]", map[string][]float64{"thr": {50, 200}}},
		{"p=0.95 mult [3.0,9.0]", map[string][]float64{"p": {0.95}, "mult": {3, 9}}},
		{"map=0->A2; 1->A2", map[string][]float64{"map": {2, 2}}},
		{`ts\_scale=1.5`, map[string][]float64{"ts_scale": {1.5}}},
		{"clamp_max_ms=2400 min_hb_ratio=5.0 oneway_factor=2.0 safety_factor=4.0", map[string][]float64{"clamp_max_ms": {2400}, "min_hb_ratio": {5}, "oneway_factor": {2}, "safety_factor": {4}}},
	} {
		got := parsePublished(c.pub)
		if len(got) != len(c.want) {
			t.Errorf("%q: %v, want %v", c.pub, got, c.want)
		}
		for k, v := range c.want {
			if !slices.Equal(got[k], v) {
				t.Errorf("%q: %s = %v, want %v", c.pub, k, got[k], v)
			}
		}
	}
	got := parseChosen([]string{"thr=50,200", "map=2,2", "p=0.9"})
	if !slices.Equal(got["thr"], []float64{50, 200}) || !slices.Equal(got["map"], []float64{2, 2}) || !slices.Equal(got["p"], []float64{0.9}) {
		t.Errorf("parseChosen: %v", got)
	}
}

// TestCompare pins how a published table meets ours: effects against the
// reference row, the reference row itself as absolute values, deltas as
// printed changes, and unprinted cells left out.
func TestCompare(t *testing.T) {
	dir := t.TempDir()
	body := `source: {document: d, cite: ballast, section: s, table: T, numbering: stated}
title: t
columns: [{key: rec, label: Rec, unit: ms}, {key: unw, label: Unw, unit: fraction}]
rows:
  - {key: random, label: random, cells: {rec: {value: 1000}, unw: {value: 0.4}}}
  - {key: a, label: A, cells: {rec: {value: 500}, unw: {value: 0.1}}}
  - {key: b, label: B, cells: {rec: {value: 1100}}}
  - {key: c, label: C, cells: {rec: {value: 200}, unw: {value: 0.2}}}
`
	if err := os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	pub, err := published.Load(dir, "p")
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]float64{"random/rec": 2000, "random/unw": 0.5, "a/rec": 1500, "a/unw": 0.05, "b/rec": 2050, "c/rec": 100, "c/unw": 0.25}
	c := compare(cmpSpec{title: "x", pub: pub, rows: []string{"random", "a", "b", "c"}, cols: []string{"rec", "unw"}, ref: "random",
		ours: func(r, k string) float64 {
			if v, ok := ours[r+"/"+k]; ok {
				return v
			}
			return math.NaN()
		}})
	if len(c.Rows) != 7 {
		t.Fatalf("%d compared cells, want 7 (b's unw is not printed)", len(c.Rows))
	}
	byCell := map[string]Compared{}
	for _, x := range c.Rows {
		byCell[x.Row+"/"+x.Col] = x
	}
	if x := byCell["random/Rec"]; x.Kind != absolute || x.Magnitude != true {
		t.Errorf("reference row: %+v", x)
	}
	// A: published -50 %, ours -25 %: same direction, within 2x; the
	// absolute values (500, 1500) are 3x apart.
	if x := byCell["A/Rec"]; x.Kind != effect || x.PubEffect != -0.5 || x.OursEffect != -0.25 || !x.V.Direction || !x.V.Size || x.Magnitude {
		t.Errorf("A/Rec: %+v", x)
	}
	// B: published +10 %, ours +2.5 %: up against flat.
	if x := byCell["B/Rec"]; x.V.Direction || x.Magnitude != true {
		t.Errorf("B/Rec: %+v", x)
	}
	// C's unw: published -50 %, ours -50 %.
	if x := byCell["C/Unw"]; !x.V.Direction || !x.V.Size {
		t.Errorf("C/Unw: %+v", x)
	}
	var tl Tally
	tl.add(c)
	if tl.Effects != 5 || tl.Direction != 4 || tl.Values != 7 || tl.Magnitude != 6 {
		t.Errorf("tally %+v", tl)
	}
	if len(c.Ranks) != 1 || c.Ranks[0].Col != "Rec" || c.Ranks[0].N != 4 {
		t.Errorf("ranks %+v (only Rec has 4 rows on both sides)", c.Ranks)
	}
	d := compare(cmpSpec{title: "d", pub: pub, rows: []string{"a"}, cols: []string{"rec"}, delta: true, ours: func(string, string) float64 { return 400 }})
	if x := d.Rows[0]; x.Kind != delta || x.PubEffect != 5 || x.OursEffect != 4 || !x.V.Size {
		t.Errorf("delta: %+v", x)
	}
}
