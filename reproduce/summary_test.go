package reproduce

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/reproduce/agree"
	"github.com/ballast-bench/ballast/reproduce/published"
)

// cell is a hand-made compared cell: an effect (ref != 0) or an absolute
// value (ref == 0) of published pub against ours.
func cell(row string, pub, pubRef, ours, oursRef float64) Compared {
	x := Compared{Row: row, Col: "Rec (ms)", PubText: fmt.Sprint(pub), Pub: pub, Ours: ours, PubEffect: math.NaN(), OursEffect: math.NaN()}
	if pubRef == 0 {
		x.Kind, x.Magnitude = absolute, agree.Within(pub, ours)
		return x
	}
	x.Kind = effect
	x.PubEffect, x.OursEffect = agree.Effect(pub, pubRef), agree.Effect(ours, oursRef)
	x.V = agree.Compare(x.PubEffect, x.OursEffect)
	x.Magnitude = agree.Within(pub, ours)
	return x
}

// handMade are five artifacts whose verdicts are worked out by hand:
//
//	t_good:  3 effects (down/down within 2x, up/up within 2x, flat/flat) and
//	         a claim that holds: 4 of 4 agree in size -> reproduced;
//	t_dir:   2 effects in the right direction, 3x too large, and a claim
//	         that fails: 0 in size, 2 of 3 in direction -> partly;
//	t_bad:   2 effects of the other class and one undefined (not counted):
//	         0 of 2 -> not reproduced;
//	f_none:  a figure with nothing published and no claim -> not comparable;
//	t_undef: published, but our reference is 0, so no effect is defined
//	         -> not comparable.
func handMade() []*built {
	art := func(id string, pub bool) *Artifact {
		a := &Artifact{ID: id, Doc: "Doc", Label: "Label " + id, Title: "title " + id}
		if pub {
			a.Published = []string{"pub"}
		}
		return a
	}
	cmp := func(rows ...Compared) []*Comparison {
		return []*Comparison{{Title: "Published vs ours", Ref: "random", Rows: rows}}
	}
	return []*built{
		{art: art("t_good", true), res: &Result{
			Compare: cmp(cell("random", 1000, 0, 4321.5, 0), cell("a", 500, 1000, 3000, 4000), cell("b", 1500, 1000, 5000, 4000), cell("c", 1010, 1000, 4010, 4000)),
			Claims:  []Claim{{Source: "S.1: \"it works\"", Check: "a < random", Ours: "3000 vs 4000", Holds: true}}}},
		{art: art("t_dir", true), res: &Result{
			Compare: cmp(cell("random", 100, 0, 100, 0), cell("a", 90, 100, 70, 100), cell("b", 110, 100, 130, 100)),
			Claims:  []Claim{{Source: "S.2: \"b is the best\"", Check: "b lowest", Ours: "a lowest", Holds: false}}}},
		{art: art("t_bad", true), res: &Result{
			Compare: cmp(cell("random", 100, 0, 100, 0), cell("a", 50, 100, 150, 100), cell("b", 150, 100, 100, 100), cell("c", 50, 100, math.NaN(), 100))}},
		{art: art("f_none", false), res: &Result{}},
		{art: art("t_undef", true), res: &Result{Compare: cmp(cell("random", 100, 0, 0, 0), cell("a", 50, 100, 7, 0))}},
	}
}

// TestVerdicts applies the verdict rule to the hand-made artifacts, and
// checks that REPORT.md, summary.json, summary.csv and verdicts.csv say
// the same.
func TestVerdicts(t *testing.T) {
	results := handMade()
	want := map[string]agree.Outcome{"t_good": agree.Reproduced, "t_dir": agree.Partly, "t_bad": agree.NotReproduced,
		"f_none": agree.NotComparable, "t_undef": agree.NotComparable}
	checks := map[string]int{"t_good": 4, "t_dir": 3, "t_bad": 2, "f_none": 0, "t_undef": 0}
	for _, r := range results {
		tl := tally(r.res)
		if got := tl.Verdict(); got != want[r.art.ID] || tl.Checks() != checks[r.art.ID] {
			t.Errorf("%s: %v over %d checks (%+v), want %v over %d", r.art.ID, got, tl.Checks(), tl, want[r.art.ID], checks[r.art.ID])
		}
	}

	opt := &Options{Quick: true}
	sum := summarize(opt, results)
	if sum.Verdicts != (verdictCounts{Reproduced: 1, Partly: 1, NotReproduced: 1, NotComparable: 2}) {
		t.Errorf("verdict counts %+v", sum.Verdicts)
	}
	// Every cell is listed; the reference rows and the undefined effect are
	// there but do not count.
	if len(sum.Cells) != 4+3+4+2 || len(sum.Claims) != 2 {
		t.Fatalf("%d cells, %d claims", len(sum.Cells), len(sum.Claims))
	}
	for _, c := range sum.Cells {
		counted := c.Kind == "effect" && !(c.Artifact == "t_bad" && c.Row == "c") && c.Artifact != "t_undef"
		if c.Counts != counted {
			t.Errorf("%s %s: counts %v, want %v (%s)", c.Artifact, c.Row, c.Counts, counted, c.Rule)
		}
	}

	var js, cs, vs bytes.Buffer
	if err := sum.JSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := sum.CSV(&cs); err != nil {
		t.Fatal(err)
	}
	if err := sum.VerdictsCSV(&vs); err != nil {
		t.Fatal(err)
	}
	// JSON: NaN is null, the rule's constants and counts are there.
	var back struct {
		Rule     map[string]float64 `json:"rule"`
		Verdicts map[string]int     `json:"verdicts"`
		Cells    []map[string]any   `json:"cells"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatalf("summary.json: %v\n%s", err, js.String())
	}
	if back.Rule["reproduced_pct"] != 90 || back.Verdicts["not_comparable"] != 2 || back.Cells[0]["published_effect"] != nil {
		t.Errorf("summary.json: rule %v, verdicts %v, first cell %v", back.Rule, back.Verdicts, back.Cells[0])
	}
	rows, err := csv.NewReader(&cs).ReadAll()
	if err != nil || len(rows) != 1+13+2 || rows[5][1] != "claim" || rows[9][1] != "claim" || rows[9][15] != "false" {
		t.Errorf("summary.csv: %d rows, %v; last %v", len(rows), err, rows[len(rows)-1])
	}
	vrows, err := csv.NewReader(&vs).ReadAll()
	if err != nil || len(vrows) != 6 || strings.Join(vrows[2][:8], ",") != "t_dir,Doc,Label t_dir,title t_dir,partly,3,0,2" {
		t.Errorf("verdicts.csv: %v %v", vrows, err)
	}
	// Same bytes every time.
	var js2 bytes.Buffer
	if err := summarize(opt, handMade()).JSON(&js2); err != nil || !bytes.Equal(js.Bytes(), js2.Bytes()) {
		t.Errorf("summary.json is not deterministic")
	}

	env := &Env{opt: opt, pubs: map[string]*published.File{"pub": {Path: "pub.yaml"}}}
	var rep bytes.Buffer
	if err := writeReport(&rep, opt, env, results); err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep.String(), sum)
	full := &Options{}
	var fullRep bytes.Buffer
	if err := writeReport(&fullRep, full, env, results); err != nil {
		t.Fatal(err)
	}
	checkReport(t, fullRep.String(), summarize(full, results))
	for _, want := range []string{
		"- **reproduced** (1): [Doc Label t_good](#t-good).",
		"- **not comparable** (2): [Doc Label f_none](#f-none) (nothing published, no claim), [Doc Label t_undef](#t-undef) (no effect defined).",
		"random's Rec (ms) in Doc Label t_good: 4322 here, 1000 in the source",
		"- [Doc Label t_dir](#t-dir) (partly): direction agrees in 2 of 2 effects, size in 0. Claims that do not hold:\n  - S.2: \"b is the best\"\n",
		"- [Doc Label t_bad](#t-bad) (not reproduced): direction agrees in 0 of 2 effects, size in 0; rows with an effect of another class: a, b.",
		"Verdict: **partly** (0 of 3 checks agree in direction and size, 2 in direction).",
	} {
		if !strings.Contains(rep.String(), want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
}

// checkReport checks a REPORT.md against the summary written with it: the
// summary table's verdicts and counts and each artifact's verdict line;
// in a quick report, that the Findings section carries none of the full
// run's hand-written findings and quotes no number the rest of the report
// does not print; in a full report, that the hand-written findings are
// there.
func checkReport(t *testing.T, report string, sum *reportSummary) {
	t.Helper()
	var got []string
	for _, line := range strings.Split(report, "\n") {
		// An artifact's row: | Source | [Label](#anchor) | ... | Verdict |
		if strings.HasPrefix(line, "| ") && strings.Contains(line, "](#") {
			cells := strings.Split(strings.Trim(line, "| "), " | ")
			got = append(got, cells[len(cells)-1])
		}
	}
	var want []string
	for _, a := range sum.Artifacts {
		want = append(want, a.Verdict)
		if !strings.Contains(report, fmt.Sprintf("<a id=%q></a>", strings.ReplaceAll(a.Artifact, "_", "-"))) ||
			!strings.Contains(report, "Verdict: **"+a.Verdict+"**") {
			t.Errorf("REPORT.md: no section with verdict %q for %s", a.Verdict, a.Artifact)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("REPORT.md summary verdicts %q, summary.json %q", got, want)
	}
	line := fmt.Sprintf("Verdicts of the %d artifacts: %s.", len(sum.Artifacts), countText(sum.Verdicts))
	if !strings.Contains(report, line) {
		t.Errorf("REPORT.md lacks %q", line)
	}

	if sum.Mode != "quick" {
		// The full report carries the hand-written findings, which quote
		// the full run's numbers.
		if !strings.Contains(report, strings.TrimSpace(findings)) {
			t.Error("full REPORT.md lacks the hand-written findings")
		}
		return
	}
	const head = "\n## Findings\n"
	i := strings.Index(report, head)
	if i < 0 {
		t.Fatal("REPORT.md has no Findings section")
	}
	n := strings.Index(report[i+len(head):], "\n## ")
	section, rest := report[i:i+len(head)+n], report[:i]+report[i+len(head)+n:]
	number := regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)
	elsewhere := map[string]bool{}
	for _, x := range number.FindAllString(rest, -1) {
		elsewhere[x] = true
	}
	for _, x := range number.FindAllString(section, -1) {
		if !elsewhere[x] {
			t.Errorf("quick REPORT.md's Findings quote %s, which the rest of the report does not print", x)
		}
	}
	for _, par := range strings.Split(findings, "\n\n") {
		if par = strings.TrimSpace(par); len(par) > 40 && strings.Contains(report, par[:40]) {
			t.Errorf("quick REPORT.md carries the full run's hand-written findings: %q", par[:40])
		}
	}
}
