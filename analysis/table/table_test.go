package table

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// The paper's number style: 4 significant digits, whole numbers from 1000
// ("1100 [927.3, 1257]", "105.8 [82.98, 134.0]"), fractions with 4
// decimals ("0.0314"), deltas with 1.
func TestFormatNum(t *testing.T) {
	cases := []struct {
		v    float64
		f    Format
		want string
	}{
		{1100.4, Sig4, "1100"}, {927.34, Sig4, "927.3"}, {82.981, Sig4, "82.98"}, {134, Sig4, "134.0"},
		{0.5, Sig4, "0.5000"}, {12667.2, Sig4, "12667"}, {0, Sig4, "0"}, {999.96, Sig4, "1000"},
		{0.03141, Frac4, "0.0314"}, {-15.47, Pct1, "-15.5"}, {3, Int, "3"}, {math.NaN(), Sig4, "n/a"},
	}
	for _, c := range cases {
		if got := formatNum(c.v, c.f); got != c.want {
			t.Errorf("formatNum(%v, %d) = %q, want %q", c.v, c.f, got, c.want)
		}
	}
}

func TestEscaping(t *testing.T) {
	tb := &Table{
		Caption: "a_b 95% & co",
		Columns: []Column{{Header: "Method", Key: "method"}, {Header: "x|y", Key: "x", Format: Frac4, CI: true}},
		Rows:    [][]Value{{{Text: "bandit_safe"}, {V: 0.5, Lo: 0.25, Hi: 0.75, N: 3}}},
	}
	var tex, md, csv bytes.Buffer
	tb.LaTeX(&tex)
	tb.Markdown(&md)
	tb.CSV(&csv)
	for _, want := range []string{`a\_b 95\% \& co`, `bandit\_safe & 0.5000 [0.2500, 0.7500] \\`} {
		if !strings.Contains(tex.String(), want) {
			t.Errorf("LaTeX lacks %q:\n%s", want, tex.String())
		}
	}
	if !strings.Contains(md.String(), `| Method | x\|y |`) {
		t.Errorf("Markdown does not escape |:\n%s", md.String())
	}
	if csv.String() != "method,x,x_lo,x_hi,x_n\nbandit_safe,0.5,0.25,0.75,3\n" {
		t.Errorf("CSV:\n%s", csv.String())
	}
}
