package reproduce

import (
	"math"

	"github.com/ballast-bench/ballast/reproduce/agree"
	"github.com/ballast-bench/ballast/reproduce/published"
)

// cmpKind says what a compared value is.
type cmpKind int

const (
	absolute cmpKind = iota // a value of the reference row (no effect): magnitude only
	effect                  // a value whose effect against the reference row is compared
	delta                   // a printed relative change in percent (Tables 6, A.12, A.13)
)

// Compared is one published cell beside ours.
type Compared struct {
	Row, Col   string // labels
	PubText    string // as printed
	Pub, Ours  float64
	Kind       cmpKind
	PubEffect  float64 // effect and delta kinds: the relative change (fraction)
	OursEffect float64
	V          agree.Verdict
	Magnitude  bool // absolute and effect kinds: ours within agree.Factor of the published value
	Note       string
}

// Rank is the rank correlation of one column over the compared rows.
type Rank struct {
	Col string
	Rho float64
	N   int
}

// Comparison puts one published table (or part of it) beside ours.
type Comparison struct {
	Title string
	Pub   *published.File
	Ref   string // the reference row's label for effects; "" for deltas
	Rows  []Compared
	Ranks []Rank
	Notes []string
}

// cmpSpec maps a published table onto our numbers.
type cmpSpec struct {
	title string
	pub   *published.File
	rows  []string // published row keys, in the order to show
	cols  []string // published column keys
	ref   string   // reference row key: values are compared as effects against it
	delta bool     // the values are relative changes in percent already
	// ours returns our value for a published row and column, in the
	// column's unit; NaN where we have none.
	ours  func(row, col string) float64
	label func(row string) string // default: the printed label
	notes []string
}

// compare applies the agreement rule (package agree) to every cell the
// published table prints for spec's rows and columns.
func compare(s cmpSpec) *Comparison {
	c := &Comparison{Title: s.title, Pub: s.pub, Notes: s.notes}
	label := func(k string) string {
		if s.label != nil {
			return s.label(k)
		}
		if r := s.pub.Row(k); r != nil {
			return r.Label
		}
		return k
	}
	if s.ref != "" {
		c.Ref = label(s.ref)
	}
	colLabel := func(k string) string {
		if col := s.pub.Column(k); col != nil {
			return col.Label
		}
		return k
	}
	for _, r := range s.rows {
		for _, k := range s.cols {
			cell, ok := s.pub.Cell(r, k)
			if !ok || !cell.Value.IsNum {
				continue
			}
			x := Compared{Row: label(r), Col: colLabel(k), PubText: cell.Value.Text, Pub: cell.Value.Num, Ours: s.ours(r, k),
				PubEffect: math.NaN(), OursEffect: math.NaN()}
			if cell.Approx {
				x.PubText = "~" + x.PubText
			}
			switch {
			case s.delta:
				x.Kind = delta
				x.PubEffect, x.OursEffect = x.Pub/100, x.Ours/100
				x.V = agree.Compare(x.PubEffect, x.OursEffect)
			case s.ref != "" && r != s.ref:
				x.Kind = effect
				x.PubEffect = agree.Effect(x.Pub, s.pub.Num(s.ref, k))
				x.OursEffect = agree.Effect(x.Ours, s.ours(s.ref, k))
				x.V = agree.Compare(x.PubEffect, x.OursEffect)
				x.Magnitude = agree.Within(x.Pub, x.Ours)
			default:
				x.Kind = absolute
				x.Magnitude = agree.Within(x.Pub, x.Ours)
			}
			c.Rows = append(c.Rows, x)
		}
	}
	if !s.delta && len(s.rows) >= 4 {
		for _, k := range s.cols {
			var p, o []float64
			for _, r := range s.rows {
				p, o = append(p, s.pub.Num(r, k)), append(o, s.ours(r, k))
			}
			n := 0
			for i := range p {
				if !math.IsNaN(p[i]) && !math.IsNaN(o[i]) {
					n++
				}
			}
			if n >= 4 {
				c.Ranks = append(c.Ranks, Rank{Col: colLabel(k), Rho: agree.Spearman(p, o), N: n})
			}
		}
	}
	return c
}

// counts reports whether x is one of its artifact's checks (package
// agree): an effect or delta with both sides defined. Absolute values are
// for orientation only.
func (x *Compared) counts() bool {
	return (x.Kind == effect || x.Kind == delta) && x.V.Defined()
}

// Tally counts the verdicts of a set of comparisons.
type Tally struct {
	Effects, Direction, Size int // effect and delta cells with both sides defined
	Values, Magnitude        int // cells with both values defined
	Claims, Holds            int
}

func (t *Tally) add(c *Comparison) {
	for i := range c.Rows {
		x := &c.Rows[i]
		if x.counts() {
			t.Effects++
			if x.V.Direction {
				t.Direction++
			}
			if x.V.Size {
				t.Size++
			}
		}
		if x.Kind != delta && !math.IsNaN(x.Pub) && !math.IsNaN(x.Ours) {
			t.Values++
			if x.Magnitude {
				t.Magnitude++
			}
		}
	}
}

func (t *Tally) addClaims(cs []Claim) {
	for _, c := range cs {
		t.Claims++
		if c.Holds {
			t.Holds++
		}
	}
}

func (t *Tally) plus(o Tally) {
	t.Effects += o.Effects
	t.Direction += o.Direction
	t.Size += o.Size
	t.Values += o.Values
	t.Magnitude += o.Magnitude
	t.Claims += o.Claims
	t.Holds += o.Holds
}

// Checks is the number of checks the verdict weighs: the counted effects
// and the claims.
func (t Tally) Checks() int { return t.Effects + t.Claims }

// Verdict applies the verdict rule (package agree) to the checks: a claim
// that holds agrees in direction and size.
func (t Tally) Verdict() agree.Outcome {
	return agree.Judge(t.Size+t.Holds, t.Direction+t.Holds, t.Checks())
}

// tally counts one artifact's comparisons and claims.
func tally(r *Result) Tally {
	var t Tally
	for _, c := range r.Compare {
		t.add(c)
	}
	t.addClaims(r.Claims)
	return t
}
