// Package table renders a result table as LaTeX (booktabs), Markdown and
// CSV. It knows nothing about metrics: report builds the Table, table
// only formats it, so every output of one table shows the same numbers.
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
// (CSV always has full precision).
type Format int

const (
	Text  Format = iota // Value.Text as is
	Sig4                // 4 significant digits; integers from 1000 up (the paper's ms columns)
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

func formatNum(v float64, f Format) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	switch f {
	case Frac4:
		return strconv.FormatFloat(v, 'f', 4, 64)
	case Pct1:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case Int:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	a := math.Abs(v)
	if a >= 999.95 || v == 0 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	dec := 3 - int(math.Floor(math.Log10(a)))
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// cellText is the cell as printed in LaTeX and Markdown.
func cellText(c Column, v Value) string {
	if c.Format == Text {
		return v.Text
	}
	s := formatNum(v.V, c.Format)
	if c.CI && !math.IsNaN(v.V) {
		s += " [" + formatNum(v.Lo, c.Format) + ", " + formatNum(v.Hi, c.Format) + "]"
	}
	return s
}

var latexEscaper = strings.NewReplacer(`\`, `\textbackslash{}`, `_`, `\_`, `%`, `\%`, `&`, `\&`, `#`, `\#`, `$`, `\$`, `{`, `\{`, `}`, `\}`, `~`, `\textasciitilde{}`, `^`, `\textasciicircum{}`)

// LaTeX writes the table as a booktabs table environment. Comments come
// first as % lines; notes follow the tabular in small print.
func (t *Table) LaTeX(w io.Writer) error {
	var b strings.Builder
	for _, c := range t.Comments {
		fmt.Fprintf(&b, "%% %s\n", c)
	}
	b.WriteString("\\begin{table}[t]\n\\centering\n\\small\n")
	fmt.Fprintf(&b, "\\caption{%s}\n", latexEscaper.Replace(t.Caption))
	if t.Label != "" {
		fmt.Fprintf(&b, "\\label{%s}\n", t.Label)
	}
	b.WriteString("\\begin{tabular}{")
	for _, c := range t.Columns {
		if c.Format == Text {
			b.WriteString("l")
		} else {
			b.WriteString("r")
		}
	}
	b.WriteString("}\n\\toprule\n")
	hs := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		hs[i] = latexEscaper.Replace(c.Header)
	}
	b.WriteString(strings.Join(hs, " & ") + " \\\\\n\\midrule\n")
	for _, row := range t.Rows {
		cs := make([]string, len(row))
		for i, v := range row {
			cs[i] = latexEscaper.Replace(cellText(t.Columns[i], v))
		}
		b.WriteString(strings.Join(cs, " & ") + " \\\\\n")
	}
	b.WriteString("\\bottomrule\n\\end{tabular}\n")
	for _, n := range t.Notes {
		fmt.Fprintf(&b, "\\par\\smallskip{\\footnotesize %s}\n", latexEscaper.Replace(n))
	}
	b.WriteString("\\end{table}\n")
	_, err := io.WriteString(w, b.String())
	return err
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
	for _, row := range t.Rows {
		cs := make([]string, len(row))
		for i, v := range row {
			cs[i] = mdEscaper.Replace(cellText(t.Columns[i], v))
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
