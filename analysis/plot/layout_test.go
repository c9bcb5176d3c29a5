package plot

import (
	"fmt"
	"image/color"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/ballast-bench/ballast/analysis/stats"
)

// table1 are the 13 methods of the BALLAST paper's Table 1 and Figure 1,
// in its order.
var table1 = []string{"random", "static_conservative", "backoff", "rtt_heuristic", "phi_accrual", "quantile_decay",
	"bandit_qdecay", "dynatune_et", "dynatune_joint", "bandit_safe", "bandit_ts_safe", "oracle_hint", "oracle_best_per_regime"}

// cdfOf is a CDF figure of methods, each with a made-up sample, the one
// named emphasised.
func cdfOf(t *testing.T, methods []string, emphasised string) Figure {
	t.Helper()
	var series []Series
	for i, m := range methods {
		var v []float64
		for j := 1; j <= 20; j++ {
			v = append(v, float64(j*j)*(1+float64(i)/4))
		}
		series = append(series, Series{Label: m, Values: v, Emphasis: m == emphasised})
	}
	f, err := CDF("recovery", "recovery time (ms)", series, true)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// labelMethod is the method of a CDF legend label "name (n=20)".
func labelMethod(label string) string {
	m, _, _ := strings.Cut(label, " (n=")
	return m
}

// TestColoursDistinctAndPerMethod draws Figure 1's 13 methods: every
// series has its own colour. A second figure with some of them in another
// order, beside a method the palette lacks, gives each the same colour.
func TestColoursDistinctAndPerMethod(t *testing.T) {
	f := cdfOf(t, table1, "bandit_safe")
	colors := record(f).legendColors(t, geometryOf(t, f)[0])
	if len(colors) != len(table1) {
		t.Fatalf("%d legend entries with a line, want %d", len(colors), len(table1))
	}
	byMethod := map[string]color.Color{}
	for label, c := range colors {
		m := labelMethod(label)
		for other, oc := range byMethod {
			if sameColor(c, oc) {
				t.Errorf("%s and %s share the colour %v", m, other, c)
			}
		}
		byMethod[m] = c
	}

	sub := []string{"not_a_policy", "bandit_safe", "random", "dynatune_joint", "backoff"}
	g := cdfOf(t, sub, "")
	colors2 := record(g).legendColors(t, geometryOf(t, g)[0])
	for label, c := range colors2 {
		m := labelMethod(label)
		if want, ok := byMethod[m]; ok && !sameColor(c, want) {
			t.Errorf("%s is %v in one figure and %v in another", m, want, c)
		}
	}
	// The same holds across kinds of figure: a sensitivity curve.
	ci := []stats.CI{{Mean: 1, Lo: 0.9, Hi: 1.1}, {Mean: 2, Lo: 1.9, Hi: 2.1}}
	s, err := Sensitivity("s", "x", "y", []Curve{{Label: "backoff", X: []float64{1, 2}, CI: ci}, {Label: "bandit_safe", X: []float64{1, 2}, CI: ci}})
	if err != nil {
		t.Fatal(err)
	}
	for label, c := range record(s).legendColors(t, geometryOf(t, s)[0]) {
		if !sameColor(c, byMethod[label]) {
			t.Errorf("sensitivity: %s is %v, in the CDF %v", label, c, byMethod[label])
		}
	}
	// A variant keeps its policy's colour where the policy is not shown;
	// Method overrides the label.
	for _, c := range []struct{ label, method, as string }{{"bandit_safe/base", "", "bandit_safe"}, {"Raft", "random/raft", "random"}} {
		f, err := CDF("v", "x", []Series{{Label: c.label, Method: c.method, Values: []float64{1, 2}}}, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, col := range record(f).legendColors(t, geometryOf(t, f)[0]) {
			if !sameColor(col, byMethod[c.as]) {
				t.Errorf("%s (method %q) is %v, want %s's %v", c.label, c.method, col, c.as, byMethod[c.as])
			}
		}
	}
}

// TestStylesBeyondThePalette: more series than colours still differ in
// colour or dash, and the palette's own entries are all different.
func TestStylesBeyondThePalette(t *testing.T) {
	seen := map[color.RGBA]string{}
	for m, s := range methodStyles {
		if o, ok := seen[s.color]; ok {
			t.Errorf("%s and %s have the same colour", m, o)
		}
		seen[s.color] = m
	}
	for _, c := range spareColors {
		if o, ok := seen[c]; ok {
			t.Errorf("spare colour %v is %s's", c, o)
		}
	}
	// As many methods as there are colours, bandit_safe among them: one
	// colour each, and bandit_safe keeps its own.
	var many []string
	for i := range len(methodStyles) + len(spareColors) - 1 {
		many = append(many, fmt.Sprintf("unknown_%d", i))
	}
	st := styles(append(many, "bandit_safe"))
	colors := map[color.RGBA]bool{}
	for _, s := range st {
		colors[s.color] = true
	}
	if len(colors) != len(st) {
		t.Errorf("%d methods got %d colours, want one each", len(st), len(colors))
	}
	if st[len(many)] != methodStyles["bandit_safe"] {
		t.Errorf("bandit_safe among unknown methods got %v, want its own %v", st[len(many)], methodStyles["bandit_safe"])
	}
	// More methods than colours: a colour repeats in another dash.
	st = styles(append(many, "more_1", "more_2", "more_3"))
	pairs := map[style]bool{}
	for _, s := range st {
		pairs[s] = true
	}
	if len(pairs) != len(st) {
		t.Errorf("%d methods got %d styles, want one each", len(st), len(pairs))
	}
}

// TestEmphasis: the emphasised method's line is thicker than the others
// and drawn after them (on top).
func TestEmphasis(t *testing.T) {
	f := cdfOf(t, table1, "bandit_safe")
	r := record(f)
	g := geometryOf(t, f)[0]
	own := methodStyles["bandit_safe"].color
	lastOther, firstOwn := -1, -1
	var ownW, otherW vg.Length
	for i, s := range r.strokes {
		if len(s.pts) < 3 || !pointIn(s.pts[1], g.data) || sameColor(s.color, color.Gray{Y: 128}) {
			continue // grid lines, axes and legend thumbnails
		}
		if sameColor(s.color, own) {
			firstOwn, ownW = i, s.width
		} else {
			lastOther, otherW = i, s.width
		}
	}
	if firstOwn < 0 || lastOther < 0 {
		t.Fatalf("found no data lines (own %d, others %d)", firstOwn, lastOther)
	}
	if firstOwn < lastOther {
		t.Errorf("bandit_safe is drawn before another method's line: not on top")
	}
	if ownW < 1.5*otherW {
		t.Errorf("bandit_safe's line is %v wide, the others %v: not emphasised", ownW, otherW)
	}
}

// figures are one of each kind with a legend, shaped like the reproduced
// ones: Figure 1's 13 CDFs, Figure A.5's sensitivity panel (its last tick
// at the right edge), Dynatune Figure 7's log heartbeat rate, the LSTM's
// loss curve over epochs and two arm panels.
func figures(t *testing.T) map[string]Figure {
	t.Helper()
	ci := func(m float64) stats.CI { return stats.CI{Mean: m, Lo: 0.8 * m, Hi: 1.2 * m, N: 5} }
	sens, err := Sensitivity("bandit_safe: Recovery mean (ms) against beta", "beta", "Recovery mean (ms)",
		[]Curve{{Label: "bandit_safe", Emphasis: true, X: []float64{0, 0.001, 0.002, 0.004}, CI: []stats.CI{ci(700), ci(720), ci(720), ci(730)}}})
	if err != nil {
		t.Fatal(err)
	}
	var epochs []float64
	var train, val []stats.CI
	for e := 1; e <= 30; e++ {
		epochs = append(epochs, float64(e))
		l := 0.2 + 1/float64(e)
		train, val = append(train, stats.CI{Mean: l, Lo: l, Hi: l}), append(val, stats.CI{Mean: l * 1.1, Lo: l * 1.1, Hi: l * 1.1})
	}
	loss, err := Sensitivity("neurosym training (neurosym, 2000 steps)", "epoch", "mean pinball loss",
		[]Curve{{Label: "training", X: epochs, CI: train}, {Label: "validation", X: epochs, CI: val}})
	if err != nil {
		t.Fatal(err)
	}
	var x, fixK, dyn []float64
	for i := range 234 {
		x = append(x, float64(i+1)*10)
		fixK = append(fixK, 2560)
		dyn = append(dyn, 600+500*math.Sin(float64(i)/234*math.Pi))
	}
	lines, err := Lines("N = 65: heartbeats sent by the leader", "elapsed time (s)", "heartbeats/s (log)",
		[]Line{{Label: "Fix-K (K = 10)", Method: "dynatune/fix_k", X: x, Y: fixK}, {Label: "Dynatune", Method: "dynatune", Emphasis: true, X: x, Y: dyn}}, true)
	if err != nil {
		t.Fatal(err)
	}
	arms, err := Arms("wan_main: arm fractions", []ArmPanel{
		{Label: "bandit_safe", BinS: []float64{0, 10, 20}, BinLen: 10, Arms: []int64{0, 1, 2},
			Info: []Arm{{Name: "A1", LoMS: 150, HiMS: 300}, {Name: "A2", LoMS: 300, HiMS: 600}, {Name: "A3", LoMS: 600, HiMS: 1200}},
			Frac: [][]float64{{0.2, 0.5, 0.1}, {0.5, 0.3, 0.1}, {0.3, 0.2, 0.8}}},
		{Label: "bandit_qdecay", BinS: []float64{0, 10, 20}, BinLen: 10, Arms: []int64{0, 2},
			Info: []Arm{{Name: "R1", Factor: 0.5}, {Name: "R3", Factor: 2}}, Frac: [][]float64{{0.2, 0.5, 0.3}, {0.8, 0.5, 0.7}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Dynatune Figure 7(b) at N = 5 spans less than a decade.
	var fixK5, dyn5 []float64
	for i := range x {
		fixK5, dyn5 = append(fixK5, 160), append(dyn5, 25+55*math.Sin(float64(i)/234*math.Pi))
	}
	narrow, err := Lines("N = 5: heartbeats sent by the leader", "elapsed time (s)", "heartbeats/s (log)",
		[]Line{{Label: "Fix-K (K = 10)", Method: "dynatune/fix_k", X: x, Y: fixK5}, {Label: "Dynatune", Method: "dynatune", Emphasis: true, X: x, Y: dyn5}}, true)
	if err != nil {
		t.Fatal(err)
	}
	// ballast advise's Pareto figure: settings over false elections per
	// day (log) and p99 out of service.
	pareto, err := Scatter("p99 out of service against unnecessary elections", "unnecessary elections per day (log)", "p99 out of service (ms)",
		[]Points{{Label: "settings", X: []float64{0.5, 3, 40, 900, 2e4}, Y: []float64{5200, 3100, 1800, 900, 400}},
			{Label: "recommended", Method: "bandit_safe", Emphasis: true, X: []float64{3}, Y: []float64{3100}},
			{Label: "current", Method: "etcd", X: []float64{0.5}, Y: []float64{5200}},
			{Label: "rule of thumb", X: []float64{40}, Y: []float64{1800}},
			{Label: "none seen (at the 95 % bound)", X: []float64{0.2}, Y: []float64{6100}}}, true)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Figure{"cdf": cdfOf(t, table1, "bandit_safe"), "sensitivity": sens, "loss": loss, "lines": lines,
		"stacked": Stack(lines, narrow), "arms": arms, "pareto": pareto}
}

// TestLegendOutsideData checks the layout as drawn: each legend's box lies
// on the canvas and clear of every data area, each legend label lies in
// its legend, no text at all is drawn over a data area or over another
// text, and every text (tick labels at the axes' ends included) lies on
// the canvas.
func TestLegendOutsideData(t *testing.T) {
	for name, f := range figures(t) {
		r := record(f)
		canvas := vg.Rectangle{Max: vg.Point{X: f.W, Y: f.H}}
		geo := geometryOf(t, f)
		for i, g := range geo {
			if g.legend.Size().X <= 0 || g.legend.Size().Y <= 0 {
				t.Errorf("%s panel %d: no legend box", name, i)
			}
			if !inside(g.legend, canvas) {
				t.Errorf("%s panel %d: legend %v leaves the canvas %v", name, i, g.legend, canvas)
			}
			for j, h := range geo {
				if overlap(g.legend, h.data) {
					t.Errorf("%s: legend of panel %d %v overlaps the data area of panel %d %v", name, i, g.legend, j, h.data)
				}
			}
			if n := len(r.legendColors(t, g)); n == 0 {
				t.Errorf("%s panel %d: no legend label drawn in the legend box", name, i)
			}
		}
		for i, tx := range r.texts {
			for _, o := range r.texts[:i] {
				if overlap(shrink(tx.box), shrink(o.box)) {
					t.Errorf("%s: texts %q at %v and %q at %v overlap", name, tx.text, tx.box, o.text, o.box)
				}
			}
			if !inside(tx.box, canvas) {
				t.Errorf("%s: text %q at %v is cut off by the canvas %v", name, tx.text, tx.box, canvas)
			}
			for i, g := range geo {
				if overlap(tx.box, g.data) {
					t.Errorf("%s: text %q at %v is drawn over the data area of panel %d %v", name, tx.text, tx.box, i, g.data)
				}
			}
		}
	}
}

// TestLegendColumns: a legend taller than its data area wraps into
// columns that stay clear of the data and within the canvas.
func TestLegendColumns(t *testing.T) {
	var arms []int64
	var info []Arm
	var frac [][]float64
	for a := range 16 {
		arms = append(arms, int64(a))
		info = append(info, Arm{Name: fmt.Sprintf("A%d", a+1), LoMS: float64(100 + 50*a), HiMS: float64(100 + 50*a)})
		frac = append(frac, []float64{1.0 / 16, 1.0 / 16})
	}
	f, err := Arms("blog16", []ArmPanel{{Label: "bandit_safe/arms_blog16", BinS: []float64{0, 10}, BinLen: 10, Arms: arms, Info: info, Frac: frac}})
	if err != nil {
		t.Fatal(err)
	}
	g := geometryOf(t, f)[0]
	if len(g.columns) < 2 {
		t.Fatalf("16 entries in a %v tall data area: %d legend column(s), want 2 or more", g.data.Size().Y, len(g.columns))
	}
	if g.legend.Min.Y < 0 || overlap(g.legend, g.data) {
		t.Errorf("legend %v: off the canvas or over the data %v", g.legend, g.data)
	}
	if n := len(record(f).legendColors(t, g)); n != 16 {
		t.Errorf("%d of 16 legend labels drawn in the legend", n)
	}
}
