package reproduce

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/reproduce/agree"
)

// The machine-readable summary of a reproduction, written beside REPORT.md
// (REPRODUCING.md, "The summary files", documents the format):
//
//   - summary.csv: one row per compared cell and per claim;
//   - verdicts.csv: one row per artifact, with its verdict;
//   - summary.json: both, with the rule's constants and the verdict counts.
//
// All three and REPORT.md come from the same tallies (tally, checkOf), so
// they cannot disagree.

// Why each row's agrees column is what it is.
var (
	ruleEffect    = fmt.Sprintf("effect: same class (flat within ±%g %%) and within %gx or both flat", 100*agree.Band, agree.Factor)
	ruleUndefined = "effect undefined on a side: not counted"
	ruleMagnitude = fmt.Sprintf("absolute value within %gx: orientation only, not counted", agree.Factor)
	ruleClaim     = "claim: its test (column) holds on our numbers"
)

// jnum is a number in summary.json: null when undefined (JSON has no NaN).
type jnum float64

func (v jnum) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// cellCheck is one compared cell.
type cellCheck struct {
	Artifact        string `json:"artifact"`
	Comparison      string `json:"comparison"`
	Row             string `json:"row"`
	Column          string `json:"column"`
	Kind            string `json:"kind"`      // absolute, effect, delta
	Published       string `json:"published"` // as printed ("~" marks an approximate value)
	PublishedValue  jnum   `json:"published_value"`
	Ours            jnum   `json:"ours"`
	PublishedEffect jnum   `json:"published_effect"` // effect and delta kinds: the relative change (fraction)
	OursEffect      jnum   `json:"ours_effect"`
	PublishedClass  string `json:"published_class"`
	OursClass       string `json:"ours_class"`
	Counts          bool   `json:"counts"` // weighed by the artifact's verdict
	Direction       bool   `json:"direction_agrees"`
	Size            bool   `json:"size_agrees"`
	Magnitude       bool   `json:"magnitude_agrees"`
	Agrees          bool   `json:"agrees"` // by Rule
	Rule            string `json:"rule"`
}

// claimCheck is one claim of a source's text.
type claimCheck struct {
	Artifact string `json:"artifact"`
	Source   string `json:"source"` // the statement
	Check    string `json:"check"`  // its test
	Ours     string `json:"ours"`   // what we measured
	Holds    bool   `json:"holds"`
	Rule     string `json:"rule"`
}

// artifactVerdict is one artifact's tally and verdict.
type artifactVerdict struct {
	Artifact  string `json:"artifact"`
	Source    string `json:"source"`
	Label     string `json:"label"`
	Title     string `json:"title"`
	Verdict   string `json:"verdict"`
	Checks    int    `json:"checks"`          // counted effects + claims
	AgreeSize int    `json:"agree_size"`      // checks agreeing in direction and size
	AgreeDir  int    `json:"agree_direction"` // checks agreeing at least in direction
	Effects   int    `json:"effects"`
	Direction int    `json:"direction"`
	Size      int    `json:"size"`
	Values    int    `json:"values"`
	Magnitude int    `json:"magnitude"`
	Claims    int    `json:"claims"`
	Holds     int    `json:"holds"`
}

// verdictCounts counts the artifacts per verdict.
type verdictCounts struct {
	Reproduced    int `json:"reproduced"`
	Partly        int `json:"partly"`
	NotReproduced int `json:"not_reproduced"`
	NotComparable int `json:"not_comparable"`
}

func (c *verdictCounts) add(o agree.Outcome) {
	switch o {
	case agree.Reproduced:
		c.Reproduced++
	case agree.Partly:
		c.Partly++
	case agree.NotReproduced:
		c.NotReproduced++
	default:
		c.NotComparable++
	}
}

// of is the count of one verdict.
func (c verdictCounts) of(o agree.Outcome) int {
	return map[agree.Outcome]int{agree.Reproduced: c.Reproduced, agree.Partly: c.Partly,
		agree.NotReproduced: c.NotReproduced, agree.NotComparable: c.NotComparable}[o]
}

// summaryRule is the rule's constants.
type summaryRule struct {
	Band          float64 `json:"band"`
	Factor        float64 `json:"factor"`
	ReproducedPct int     `json:"reproduced_pct"`
	PartlyPct     int     `json:"partly_pct"`
}

// reportSummary is summary.json.
type reportSummary struct {
	Mode        string            `json:"mode"`
	CodeVersion string            `json:"code_version"`
	Rule        summaryRule       `json:"rule"`
	Verdicts    verdictCounts     `json:"verdicts"`
	Artifacts   []artifactVerdict `json:"artifacts"`
	Cells       []cellCheck       `json:"cells"`
	Claims      []claimCheck      `json:"claims"`
}

var kindNames = map[cmpKind]string{absolute: "absolute", effect: "effect", delta: "delta"}

// checkOf is one compared cell as the summary lists it.
func checkOf(id, title string, x *Compared) cellCheck {
	c := cellCheck{Artifact: id, Comparison: title, Row: x.Row, Column: x.Col, Kind: kindNames[x.Kind], Published: x.PubText,
		PublishedValue: jnum(x.Pub), Ours: jnum(x.Ours), PublishedEffect: jnum(x.PubEffect), OursEffect: jnum(x.OursEffect),
		PublishedClass: x.V.PubDir.String(), OursClass: x.V.OursDir.String(), Counts: x.counts(),
		Direction: x.V.Direction, Size: x.V.Size, Magnitude: x.Magnitude}
	switch {
	case c.Counts:
		c.Agrees, c.Rule = x.V.Size, ruleEffect
	case x.Kind == absolute:
		c.Agrees, c.Rule = x.Magnitude, ruleMagnitude
	default:
		c.Rule = ruleUndefined
	}
	return c
}

// summarize tallies every artifact and lists every check.
func summarize(opt *Options, results []*built) *reportSummary {
	s := &reportSummary{Mode: opt.mode(), CodeVersion: harness.CodeVersion(),
		Rule:      summaryRule{Band: agree.Band, Factor: agree.Factor, ReproducedPct: agree.ReproducedPct, PartlyPct: agree.PartlyPct},
		Artifacts: []artifactVerdict{}, Cells: []cellCheck{}, Claims: []claimCheck{}}
	for _, r := range results {
		a, t := r.art, tally(r.res)
		v := t.Verdict()
		s.Verdicts.add(v)
		s.Artifacts = append(s.Artifacts, artifactVerdict{Artifact: a.ID, Source: a.Doc, Label: a.Label, Title: a.Title, Verdict: v.String(),
			Checks: t.Checks(), AgreeSize: t.Size + t.Holds, AgreeDir: t.Direction + t.Holds,
			Effects: t.Effects, Direction: t.Direction, Size: t.Size, Values: t.Values, Magnitude: t.Magnitude, Claims: t.Claims, Holds: t.Holds})
		for _, c := range r.res.Compare {
			for i := range c.Rows {
				s.Cells = append(s.Cells, checkOf(a.ID, c.Title, &c.Rows[i]))
			}
		}
		for _, c := range r.res.Claims {
			s.Claims = append(s.Claims, claimCheck{Artifact: a.ID, Source: c.Source, Check: c.Check, Ours: c.Ours, Holds: c.Holds, Rule: ruleClaim})
		}
	}
	return s
}

// JSON writes summary.json with one artifact, cell or claim per line (a
// change to one shows as a one-line diff), fields in declaration order and
// HTML characters unescaped, so the bytes depend only on the results.
func (s *reportSummary) JSON(w io.Writer) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	// compact is v as one line of JSON.
	compact := func(v any) string {
		b.Reset()
		if err := enc.Encode(v); err != nil {
			panic(err) // only strings, bools and numbers: cannot fail
		}
		return strings.TrimSuffix(b.String(), "\n")
	}
	list := func(n int, item func(int) any) string {
		if n == 0 {
			return "[]"
		}
		lines := make([]string, n)
		for i := range lines {
			lines[i] = "    " + compact(item(i))
		}
		return "[\n" + strings.Join(lines, ",\n") + "\n  ]"
	}
	fields := []string{
		`"mode": ` + compact(s.Mode),
		`"code_version": ` + compact(s.CodeVersion),
		`"rule": ` + compact(s.Rule),
		`"verdicts": ` + compact(s.Verdicts),
		`"artifacts": ` + list(len(s.Artifacts), func(i int) any { return s.Artifacts[i] }),
		`"cells": ` + list(len(s.Cells), func(i int) any { return s.Cells[i] }),
		`"claims": ` + list(len(s.Claims), func(i int) any { return s.Claims[i] }),
	}
	_, err := io.WriteString(w, "{\n  "+strings.Join(fields, ",\n  ")+"\n}\n")
	return err
}

// CSV writes summary.csv: each artifact's cells, then its claims, in
// report order. A claim's row is the statement, its column the test, and
// its ours what we measured.
func (s *reportSummary) CSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"artifact", "kind", "comparison", "row", "column", "published", "ours", "published_effect", "ours_effect",
		"published_class", "ours_class", "counts", "direction_agrees", "size_agrees", "magnitude_agrees", "agrees", "rule"})
	b := strconv.FormatBool
	for _, a := range s.Artifacts {
		for _, c := range s.Cells {
			if c.Artifact == a.Artifact {
				cw.Write([]string{c.Artifact, c.Kind, c.Comparison, c.Row, c.Column, c.Published, num(float64(c.Ours)), num(float64(c.PublishedEffect)), num(float64(c.OursEffect)),
					c.PublishedClass, c.OursClass, b(c.Counts), b(c.Direction), b(c.Size), b(c.Magnitude), b(c.Agrees), c.Rule})
			}
		}
		for _, c := range s.Claims {
			if c.Artifact == a.Artifact {
				cw.Write([]string{c.Artifact, "claim", "claims", c.Source, c.Check, "", c.Ours, "", "",
					"", "", "true", b(c.Holds), b(c.Holds), "", b(c.Holds), c.Rule})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// VerdictsCSV writes verdicts.csv: one row per artifact, in report order.
func (s *reportSummary) VerdictsCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"artifact", "source", "label", "title", "verdict", "checks", "agree_size", "agree_direction",
		"effects", "direction", "size", "values", "magnitude", "claims", "holds"})
	i := strconv.Itoa
	for _, a := range s.Artifacts {
		cw.Write([]string{a.Artifact, a.Source, a.Label, a.Title, a.Verdict, i(a.Checks), i(a.AgreeSize), i(a.AgreeDir),
			i(a.Effects), i(a.Direction), i(a.Size), i(a.Values), i(a.Magnitude), i(a.Claims), i(a.Holds)})
	}
	cw.Flush()
	return cw.Error()
}

// stageReport stages REPORT.md and the summary files with the other
// outputs, so that they are committed together.
func stageReport(s *stager, opt *Options, env *Env, results []*built) error {
	sum := summarize(opt, results)
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"REPORT.md", func(w io.Writer) error { return writeReport(w, opt, env, results) }},
		{"summary.json", sum.JSON},
		{"summary.csv", sum.CSV},
		{"verdicts.csv", sum.VerdictsCSV},
	} {
		if err := s.stage(f.name, f.write); err != nil {
			return err
		}
	}
	return nil
}
