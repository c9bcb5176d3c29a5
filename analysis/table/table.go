// Package table renders a result table as LaTeX (booktabs), Markdown and
// CSV. It knows nothing about metrics: report builds the Table, table
// only formats it, so every output of one table shows the same numbers.
//
// # Precision: one rule per column
//
// LaTeX and Markdown print every number of a column, values and interval
// bounds alike, with the same number of decimals, so that a column reads
// at one precision and its decimal points line up:
//
//   - Sig4 (measured quantities: times, rates, counts averaged over seeds):
//     4 significant digits in the column's largest magnitude, never fewer
//     than 0 decimals. A column holding 3741, 810.6 and 0.4877 prints
//     3741, 811 and 0; one whose largest value is 49.44 prints 2 decimals.
//   - Frac4 (fractions, rates in [0, 1]): 4 decimals.
//   - Pct1 (relative changes in %): 1 decimal.
//   - Int: whole numbers.
//
// An undefined value (NaN) prints "n/a" and does not count for the
// column's magnitude; a value that rounds to zero prints without a minus
// sign. CSV is for machines and keeps full precision (the shortest text
// that reads back as the same float64), whatever the format.
//
// # LaTeX layout
//
// Every table fits the two-column page of paper/main.tex (text 505 pt
// wide, columns of 244 pt, the usual conference page) at \small, without
// shrinking its type: the layout is chosen per table from its estimated
// width. A table is a one-column table float if it fits one column, else
// a table* float over both; an interval goes under its value when it does
// not fit beside it; a table too wide even so is split into tabulars
// stacked in its float, each repeating the row names; one taller than the
// page continues in further floats. Long text cells and headers wrap into
// lines. See [Table.LaTeX].
//
// The LaTeX is ASCII: every character LaTeX treats specially (# $ % & ~ _
// ^ \ { }), those the default OT1 font encoding prints as others (< > |,
// so that "->" prints as an arrow, not "-¿") and every non-ASCII one (µ ≤
// ≥ ± × → ...) is escaped or spelled as a LaTeX symbol. It needs the
// booktabs package only, and works standalone in any document.
package table

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Format says how a column's numbers are printed in LaTeX and Markdown
// (see the package doc; CSV always has full precision).
type Format int

const (
	Text  Format = iota // Value.Text as is
	Sig4                // decimals for 4 significant digits in the column's largest magnitude
	Frac4               // 4 decimals (fractions, rates)
	Pct1                // 1 decimal (relative deltas in %)
	Int                 // an integer
)

// Column is one column of a table.
type Column struct {
	Header string // as printed in LaTeX and Markdown
	Key    string // CSV column name (snake_case, with the unit)
	Format Format
	CI     bool // values carry a confidence interval, printed "v [lo, hi]"
}

// Value is one cell.
type Value struct {
	Text   string  // for Text columns
	V      float64 // the value (NaN: undefined, printed "n/a")
	Lo, Hi float64 // interval bounds for CI columns
	N      int     // seeds behind the value (CSV only)
}

// Table is a rendered result table.
type Table struct {
	Caption  string
	Label    string   // LaTeX label
	Comments []string // provenance: experiment, seeds, code version, settings
	Columns  []Column
	Rows     [][]Value
	Notes    []string // printed under the table
}

// decimals returns each numeric column's number of decimals (the package
// doc's rule); Text columns get 0.
func (t *Table) decimals() []int {
	ds := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		switch c.Format {
		case Frac4:
			ds[i] = 4
		case Pct1:
			ds[i] = 1
		case Sig4:
			largest := 0.0
			for _, row := range t.Rows {
				vs := []float64{row[i].V}
				if c.CI {
					vs = append(vs, row[i].Lo, row[i].Hi)
				}
				for _, v := range vs {
					if !math.IsNaN(v) && !math.IsInf(v, 0) {
						largest = max(largest, math.Abs(v))
					}
				}
			}
			ds[i] = sig4Decimals(largest)
		}
	}
	return ds
}

// sig4Decimals is the number of decimals that shows 4 significant digits
// of v (v >= 0), at least 0. The exponent is read after rounding to 4
// digits, so that 999.96 (which prints as 1000) counts as a thousand.
func sig4Decimals(v float64) int {
	if v == 0 {
		return 0
	}
	s := strconv.FormatFloat(v, 'e', 3, 64)
	exp, _ := strconv.Atoi(s[strings.IndexByte(s, 'e')+1:])
	return max(0, 3-exp)
}

// formatNum prints v with dec decimals; a value that rounds to zero loses
// its minus sign ("-0.0" reads as a negative number that is not there).
func formatNum(v float64, dec int) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	return s
}

// cell is one cell as printed in LaTeX and Markdown: the value (or the
// text) and, in a CI column with a defined value, the interval "[lo, hi]".
type cell struct {
	text, ci string
}

// line is the cell on one line, as in Markdown.
func (c cell) line() string {
	if c.ci == "" {
		return c.text
	}
	return c.text + " " + c.ci
}

// cells prints every cell of the table with the column's precision.
func (t *Table) cells() [][]cell {
	ds := t.decimals()
	out := make([][]cell, len(t.Rows))
	for r, row := range t.Rows {
		out[r] = make([]cell, len(row))
		for i, v := range row {
			c := t.Columns[i]
			switch {
			case c.Format == Text:
				out[r][i] = cell{text: v.Text}
			case c.CI && !math.IsNaN(v.V):
				out[r][i] = cell{text: formatNum(v.V, ds[i]), ci: "[" + formatNum(v.Lo, ds[i]) + ", " + formatNum(v.Hi, ds[i]) + "]"}
			default:
				out[r][i] = cell{text: formatNum(v.V, ds[i])}
			}
		}
	}
	return out
}

var mdEscaper = strings.NewReplacer(`|`, `\|`)

// Markdown writes the table as a GitHub-flavoured Markdown table, with the
// comments in an HTML comment and the notes as paragraphs after it.
func (t *Table) Markdown(w io.Writer) error {
	var b strings.Builder
	if len(t.Comments) > 0 {
		b.WriteString("<!--\n")
		for _, c := range t.Comments {
			b.WriteString(c + "\n")
		}
		b.WriteString("-->\n")
	}
	fmt.Fprintf(&b, "**%s**\n\n", t.Caption)
	hs := make([]string, len(t.Columns))
	al := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		hs[i] = mdEscaper.Replace(c.Header)
		al[i] = "---:"
		if c.Format == Text {
			al[i] = "---"
		}
	}
	b.WriteString("| " + strings.Join(hs, " | ") + " |\n")
	b.WriteString("|" + strings.Join(al, "|") + "|\n")
	for _, row := range t.cells() {
		cs := make([]string, len(row))
		for i, c := range row {
			cs[i] = mdEscaper.Replace(c.line())
		}
		b.WriteString("| " + strings.Join(cs, " | ") + " |\n")
	}
	for _, n := range t.Notes {
		b.WriteString("\n" + n + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// CSV writes the table's values at full precision: a CI column becomes
// KEY, KEY_lo, KEY_hi and KEY_n. Comments and notes are not part of it.
func (t *Table) CSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	var head []string
	for _, c := range t.Columns {
		head = append(head, c.Key)
		if c.CI {
			head = append(head, c.Key+"_lo", c.Key+"_hi", c.Key+"_n")
		}
	}
	cw.Write(head)
	for _, row := range t.Rows {
		var rec []string
		for i, v := range row {
			c := t.Columns[i]
			if c.Format == Text {
				rec = append(rec, v.Text)
				continue
			}
			rec = append(rec, num(v.V))
			if c.CI {
				rec = append(rec, num(v.Lo), num(v.Hi), strconv.Itoa(v.N))
			}
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// num formats a CSV value at full precision; an undefined one (NaN) is an
// empty cell, as in the analysed tables, so that readers skip it.
func num(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
