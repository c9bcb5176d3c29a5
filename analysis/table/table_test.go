package table

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// The package doc's rule: 4 significant digits in the largest magnitude,
// read after rounding (999.96 prints as 1000, a thousand).
func TestSig4Decimals(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want int
	}{{3741.2, 0}, {999.96, 0}, {999.94, 1}, {874.7, 1}, {99.996, 1}, {49.44, 2}, {1, 3}, {0.4877, 4}, {0.000104, 7}, {0, 0}, {40036, 0}} {
		if got := sig4Decimals(c.v); got != c.want {
			t.Errorf("sig4Decimals(%v) = %d, want %d", c.v, got, c.want)
		}
	}
}

// One precision per column in Markdown (and LaTeX, which prints the same
// cells): the column of 3741 / 810.6 / 0.4877 prints whole numbers; an
// interval's bounds count for the column's magnitude and print like its
// values; fractions have 4 decimals, deltas 1 (without "-0.0"), counts 0.
// CSV keeps every digit.
func TestPrecisionPerColumn(t *testing.T) {
	nan := math.NaN()
	tb := &Table{
		Caption: "Precision",
		Columns: []Column{
			{Header: "Method", Key: "method"},
			{Header: "Recovery (ms)", Key: "recovery_ms", Format: Sig4},
			{Header: "Small (s)", Key: "small_s", Format: Sig4, CI: true},
			{Header: "Unwritable", Key: "unwritable_frac", Format: Frac4, CI: true},
			{Header: "Change (%)", Key: "change_pct", Format: Pct1},
			{Header: "n", Key: "n", Format: Int},
		},
		Rows: [][]Value{
			{{Text: "a"}, {V: 3741.2}, {V: 0.02481, Lo: 0.02, Hi: 67.91, N: 3}, {V: 0.48771, Lo: 0.4, Hi: 0.5, N: 3}, {V: -0.04}, {V: 5}},
			{{Text: "b"}, {V: 810.6}, {V: 1, Lo: 1, Hi: 1, N: 3}, {V: 0, Lo: 0, Hi: 0, N: 3}, {V: -12.34}, {V: 12}},
			{{Text: "c"}, {V: 0.4877}, {V: nan, Lo: nan, Hi: nan}, {V: 1, Lo: 1, Hi: 1, N: 3}, {V: nan}, {V: 0}},
		},
	}
	var md, csv bytes.Buffer
	if err := tb.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	want := `**Precision**

| Method | Recovery (ms) | Small (s) | Unwritable | Change (%) | n |
|---|---:|---:|---:|---:|---:|
| a | 3741 | 0.02 [0.02, 67.91] | 0.4877 [0.4000, 0.5000] | 0.0 | 5 |
| b | 811 | 1.00 [1.00, 1.00] | 0.0000 [0.0000, 0.0000] | -12.3 | 12 |
| c | 0 | n/a | 1.0000 [1.0000, 1.0000] | n/a | 0 |
`
	if md.String() != want {
		t.Errorf("Markdown:\n%s\nwant:\n%s", md.String(), want)
	}
	if err := tb.CSV(&csv); err != nil {
		t.Fatal(err)
	}
	wantCSV := `method,recovery_ms,small_s,small_s_lo,small_s_hi,small_s_n,unwritable_frac,unwritable_frac_lo,unwritable_frac_hi,unwritable_frac_n,change_pct,n
a,3741.2,0.02481,0.02,67.91,3,0.48771,0.4,0.5,3,-0.04,5
b,810.6,1,1,1,3,0,0,0,3,-12.34,12
c,0.4877,,,,0,1,1,1,3,,0
`
	if csv.String() != wantCSV {
		t.Errorf("CSV:\n%s\nwant:\n%s", csv.String(), wantCSV)
	}
}

func TestMarkdownEscapesBar(t *testing.T) {
	tb := &Table{Caption: "c", Columns: []Column{{Header: "x|y", Key: "x"}}, Rows: [][]Value{{{Text: "a|b"}}}}
	var md bytes.Buffer
	tb.Markdown(&md)
	if !strings.Contains(md.String(), `| x\|y |`) || !strings.Contains(md.String(), `| a\|b |`) {
		t.Errorf("Markdown does not escape |:\n%s", md.String())
	}
}
