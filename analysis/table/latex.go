package table

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// The page the LaTeX layout is made for: the two-column page of
// paper/main.tex, which has the text and column widths of the usual
// two-column conference classes. Lengths are in TeX points.
const (
	columnWidth = 244.0 // \columnwidth: a table that fits is a table float
	textWidth   = 505.0 // \textwidth: a wider one is a table* float over both columns
	textHeight  = 728.0 // \textheight: a taller one continues in another float
	tabColSep   = 4.0   // \tabcolsep of every table: 8 pt between two columns
	wrapWidth   = 110.0 // a Text column whose cells are wider wraps at this width
	lineHeight  = 11.0  // \baselineskip of \small, the tables' type size
	noteHeight  = 9.5   // \baselineskip of \footnotesize, the notes' type size
	// Widths and heights are estimates (see widthOf); each budget
	// keeps this share of itself in reserve for their error.
	reserve = 0.03
)

// latexEscaper turns plain text into LaTeX that prints it, in any font
// encoding: the characters TeX treats specially are escaped, those the
// default OT1 encoding would print as something else are set as symbols
// (OT1 prints "<" as "¡", ">" as "¿", "|" as "—"; "--" and "?`" are
// ligatures), and every non-ASCII character is spelled in ASCII (latexRunes),
// so that the output needs no input or font encoding. Longer patterns come
// first: a replacer tries them in argument order.
var latexEscaper = strings.NewReplacer(append([]string{
	`<->`, `$\leftrightarrow$`, `->`, `$\to$`, `<-`, `$\leftarrow$`, `<=`, `$\le$`, `>=`, `$\ge$`,
	`---`, `-{}-{}-`, `--`, `-{}-`, "`", "{}`",
	`\`, `\textbackslash{}`, `{`, `\{`, `}`, `\}`, `#`, `\#`, `$`, `\$`, `%`, `\%`, `&`, `\&`, `_`, `\_`,
	`~`, `\textasciitilde{}`, `^`, `\textasciicircum{}`, `<`, `\textless{}`, `>`, `\textgreater{}`, `|`, `\textbar{}`,
	"\n", " ", "\t", " ", "\r", "",
}, latexRunes()...)...)

// latexRunes lists the non-ASCII characters LaTeX output spells in ASCII,
// as replacer pairs: symbols, Greek letters, typographic punctuation and
// the accented letters of Latin-1. latex prints any other one as its code
// point.
func latexRunes() []string {
	pairs := []string{
		"µ", `$\mu$`, "≤", `$\le$`, "≥", `$\ge$`, "±", `$\pm$`, "×", `$\times$`, "÷", `$\div$`,
		"→", `$\to$`, "←", `$\leftarrow$`, "↔", `$\leftrightarrow$`, "⇒", `$\Rightarrow$`,
		"≈", `$\approx$`, "≠", `$\ne$`, "∞", `$\infty$`, "·", `$\cdot$`, "−", `$-$`, "°", `$^\circ$`,
		"²", `$^2$`, "³", `$^3$`, "√", `$\surd$`, "∑", `$\sum$`, "∈", `$\in$`,
		"–", `-{}-`, "—", `-{}-{}-`, "…", `\ldots{}`, "\u00a0", `~`,
		"‘", "{}`", "’", `'`, "“", "{}`{}`", "”", `''`, "§", `\S{}`, "¶", `\P{}`,
		"ß", `\ss{}`, "æ", `\ae{}`, "Æ", `\AE{}`, "ø", `\o{}`, "Ø", `\O{}`, "å", `\aa{}`, "Å", `\AA{}`,
		"ç", `\c{c}`, "Ç", `\c{C}`, "ο", `o`,
	}
	// α to ω and the capitals that differ from Latin ones, in Unicode order.
	greek := "αβγδεζηθικλμνξπρςστυφχψωΓΔΘΛΞΠΣΥΦΨΩ"
	names := strings.Fields(`alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho varsigma sigma tau upsilon phi chi psi omega
		Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega`)
	for i, r := range []rune(greek) {
		pairs = append(pairs, string(r), `$\`+names[i]+`$`)
	}
	for _, a := range []struct{ accent, plain, accented string }{
		{`\'`, "aeiouyAEIOUY", "áéíóúýÁÉÍÓÚÝ"},
		{"\\`", "aeiouAEIOU", "àèìòùÀÈÌÒÙ"},
		{`\^`, "aeiouAEIOU", "âêîôûÂÊÎÔÛ"},
		{`\"`, "aeiouyAEIOU", "äëïöüÿÄËÏÖÜ"},
		{`\~`, "anoANO", "ãñõÃÑÕ"},
	} {
		accented := []rune(a.accented)
		for i, c := range a.plain {
			base := string(c)
			if c == 'i' {
				base = `\i` // a dotless i under the accent
			}
			pairs = append(pairs, string(accented[i]), a.accent+"{"+base+"}")
		}
	}
	return pairs
}

// latex escapes plain text for LaTeX (latexEscaper); a non-ASCII
// character it does not know prints as its code point, "U+2603", so that
// the output stays ASCII and compiles anywhere.
func latex(s string) string {
	s = latexEscaper.Replace(s)
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= utf8.RuneSelf }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "U+%04X", r)
		}
	}
	return b.String()
}

// asciiWidths are the widths in pt of the printable ASCII characters, from
// the space to "~", at \small in Computer Modern (cmr9), as LaTeX prints
// them after latexEscaper (measured with \settowidth).
var asciiWidths = [95]float64{
	3.08, 2.57, 4.62, 7.71, 4.62, 7.71, 7.19, 2.57, 3.60, 3.60, 4.62, 7.19, 2.57, 3.08, 2.57, 4.62,
	4.62, 4.62, 4.62, 4.62, 4.62, 4.62, 4.62, 4.62, 4.62, 4.62, 2.57, 2.57, 7.19, 7.19, 7.19, 4.37,
	7.19, 6.94, 6.55, 6.68, 7.07, 6.29, 6.04, 7.26, 6.94, 3.34, 4.75, 7.19, 5.78, 8.48, 6.94, 7.19,
	6.29, 7.19, 6.81, 5.14, 6.68, 6.94, 6.94, 9.51, 6.94, 6.94, 5.65, 2.57, 4.62, 2.57, 4.62, 3.33,
	2.57, 4.62, 5.14, 4.11, 5.14, 4.11, 2.83, 4.62, 5.14, 2.57, 2.83, 4.88, 2.57, 7.71, 5.14, 4.62,
	5.14, 4.88, 3.62, 3.65, 3.60, 5.14, 4.88, 6.68, 4.88, 4.88, 4.11, 4.62, 2.57, 4.62, 4.62,
}

// widthOf estimates the width of plain text at \small: the sum of its
// characters' widths, a non-ASCII one counted as a wide symbol (9 pt, an
// arrow). Kerning and ligatures make TeX's width a little smaller, the
// spelled arrows ("->") a little larger; reserve covers both.
func widthOf(s string) float64 {
	w := 0.0
	for _, r := range s {
		if r >= ' ' && r <= '~' {
			w += asciiWidths[r-' ']
		} else {
			w += 9
		}
	}
	return w
}

// wrap breaks s at spaces into lines no wider than width where its words
// allow (a longer word has a line of its own); s without words is one
// empty line.
func wrap(s string, width float64) []string {
	var lines []string
	for _, word := range strings.Fields(s) {
		if n := len(lines); n > 0 && widthOf(lines[n-1]+" "+word) <= width {
			lines[n-1] += " " + word
		} else {
			lines = append(lines, word)
		}
	}
	if lines == nil {
		lines = []string{""}
	}
	return lines
}

// widest is the width of the widest of lines.
func widest(lines []string) float64 {
	w := 0.0
	for _, l := range lines {
		w = max(w, widthOf(l))
	}
	return w
}

// layout is how a table is set in LaTeX.
type layout struct {
	wide    bool       // a table* float over both columns (else a table float in one)
	stacked bool       // each interval under its value (else beside it)
	wrapAt  []float64  // the width a Text column's cells wrap at, or 0: they do not
	widths  []float64  // each column's estimated width
	heads   [][]string // each column's header lines
	parts   [][]int    // the columns of each tabular; a float stacks them
	chunks  [][2]int   // the rows [from, to) of each float
}

// maxHeadLines is the most lines a header may take in a layout that fits.
const maxHeadLines = 3

// layout chooses, in this order, the first way of setting the table that
// fits the page (no wider than its float, no header over maxHeadLines
// lines): in one column with each interval beside its value, in one
// column with intervals under their values, over both columns beside,
// over both columns under. Else it sets the table over both columns with
// intervals under their values, its columns split into tabulars stacked
// in the float, each repeating the leading Text columns (the row names),
// in as few tabulars of as equal a number of columns as fit. A float
// taller than the page is split into floats of consecutive rows, as few
// and as equal as fit, the first with the caption, the last with the
// notes.
//
// Cells and headers wrap at spaces into lines: a Text column's cells when
// they are wider than wrapWidth, a header at its column's width. Width
// the float has to spare widens the columns whose headers take the most
// lines, to make the header row lower.
func (t *Table) layout(cells [][]cell) layout {
	hasCI := false
	for _, row := range cells {
		for _, c := range row {
			hasCI = hasCI || c.ci != ""
		}
	}
	all := make([]int, len(t.Columns))
	for i := range all {
		all[i] = i
	}
	for _, try := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		if try[1] && !hasCI {
			continue
		}
		l := t.measure(cells, try[0], try[1])
		l.balance(all, all)
		if tabularWidth(l.widths, all) <= l.budget() && l.headLines(all) <= maxHeadLines {
			l.parts = [][]int{all}
			l.chunks = t.chunk(cells, &l)
			return l
		}
	}
	l := t.measure(cells, true, hasCI)
	keys := 0
	for keys < len(t.Columns) && t.Columns[keys].Format == Text {
		keys++
	}
	// From one tabular up: a table of Text columns only stays one.
	for k := 1; ; k++ {
		rest := all[keys:]
		l.parts = nil
		fits := true
		for p := range k {
			part := append(slices.Clone(all[:keys]), rest[p*len(rest)/k:(p+1)*len(rest)/k]...)
			l.parts = append(l.parts, part)
			fits = fits && tabularWidth(l.widths, part) <= l.budget()
		}
		if fits || k >= len(rest) {
			break
		}
	}
	for _, part := range l.parts {
		l.balance(part, part[keys:]) // the row names are in every part: they keep their width
	}
	l.chunks = t.chunk(cells, &l)
	return l
}

// budget is the width a tabular of l's float may take.
func (l *layout) budget() float64 {
	if l.wide {
		return textWidth * (1 - reserve)
	}
	return columnWidth * (1 - reserve)
}

// measure sets up a layout with each column at its narrowest: as wide as
// its widest cell (a wrapping Text column, its widest line), its header
// wrapped to that width or to the header's longest word.
func (t *Table) measure(cells [][]cell, wide, stacked bool) layout {
	n := len(t.Columns)
	l := layout{wide: wide, stacked: stacked, wrapAt: make([]float64, n), widths: make([]float64, n), heads: make([][]string, n)}
	for i, c := range t.Columns {
		w := 0.0
		for _, row := range cells {
			switch x := row[i]; {
			case c.Format == Text:
				w = max(w, widthOf(x.text))
			case stacked:
				w = max(w, widthOf(x.text), widthOf(x.ci))
			default:
				w = max(w, widthOf(x.line()))
			}
		}
		if c.Format == Text && w > wrapWidth {
			l.wrapAt[i], w = wrapWidth, 0
			for _, row := range cells {
				w = max(w, widest(wrap(row[i].text, wrapWidth)))
			}
		}
		l.widths[i] = max(w, widest(strings.Fields(c.Header)))
		l.heads[i] = wrap(c.Header, l.widths[i])
	}
	return l
}

// headLines is the number of lines of the tallest header of cols.
func (l *layout) headLines(cols []int) int {
	n := 0
	for _, i := range cols {
		n = max(n, len(l.heads[i]))
	}
	return n
}

// balance spends the width the tabular of cols has to spare under its
// budget on its tallest headers: while it can widen every column of
// widen whose header has the most lines enough for one line less, and no
// other column's header has as many, it does.
func (l *layout) balance(cols, widen []int) {
	spare := l.budget() - tabularWidth(l.widths, cols)
	for {
		most := l.headLines(cols)
		if most <= 1 {
			return
		}
		wider := map[int]float64{}
		cost := 0.0
		for _, i := range cols {
			if len(l.heads[i]) < most {
				continue
			}
			w, ok := l.lower(i, most)
			if !ok || !slices.Contains(widen, i) {
				return
			}
			wider[i], cost = w, cost+w-l.widths[i]
		}
		if cost > spare {
			return
		}
		spare -= cost
		for i, w := range wider {
			l.widths[i], l.heads[i] = w, wrap(strings.Join(l.heads[i], " "), w)
		}
	}
}

// lower is the least width at which column i's header takes fewer than
// lines lines: the width of one of its runs of words.
func (l *layout) lower(i, lines int) (float64, bool) {
	words := strings.Fields(strings.Join(l.heads[i], " "))
	best, ok := math.Inf(1), false
	for a := range words {
		for b := a + 1; b <= len(words); b++ {
			w := widthOf(strings.Join(words[a:b], " "))
			if w > l.widths[i] && w < best && len(wrap(strings.Join(words, " "), w)) < lines {
				best, ok = w, true
			}
		}
	}
	return best, ok
}

// tabularWidth is the width of a tabular of the columns cols.
func tabularWidth(widths []float64, cols []int) float64 {
	w := 2 * tabColSep * float64(len(cols)-1)
	for _, i := range cols {
		w += widths[i]
	}
	return w
}

// chunk divides the rows into the fewest floats no taller than the page,
// of as equal a number of rows as fit (see layout).
func (t *Table) chunk(cells [][]cell, l *layout) [][2]int {
	n := len(cells)
	// Each row's lines in each tabular.
	rowLines := make([][]int, len(l.parts))
	for p, cols := range l.parts {
		rowLines[p] = make([]int, n)
		for r, row := range cells {
			for _, i := range cols {
				lines := 1
				switch {
				case l.wrapAt[i] > 0:
					lines = len(wrap(row[i].text, l.wrapAt[i]))
				case l.stacked && row[i].ci != "":
					lines = 2
				}
				rowLines[p][r] = max(rowLines[p][r], lines)
			}
		}
	}
	floatWidth := columnWidth
	if l.wide {
		floatWidth = textWidth
	}
	// The caption (after a 10 pt skip) and the notes (\footnotesize, about
	// 0.92 of \small's width, each after a 3 pt skip) count in every float,
	// to err on the safe side.
	fixed := 10 + lineHeight*math.Ceil(widthOf("Table 10: "+t.Caption)/floatWidth)
	for _, note := range t.Notes {
		fixed += 3 + noteHeight*math.Ceil(0.92*widthOf(note)/floatWidth)
	}
	height := func(from, to int) float64 {
		h := fixed
		for p, cols := range l.parts {
			// The rules and the skip above the tabular, the header, the rows.
			h += 17 + lineHeight*float64(l.headLines(cols))
			for r := from; r < to; r++ {
				h += lineHeight * float64(rowLines[p][r])
				if l.stacked {
					h += rowSkip
				}
			}
		}
		return h
	}
	for k := 1; ; k++ {
		var chunks [][2]int
		fits := true
		for c := range k {
			from, to := c*n/k, (c+1)*n/k
			chunks = append(chunks, [2]int{from, to})
			fits = fits && height(from, to) <= textHeight*(1-reserve)
		}
		if fits || k >= n {
			return chunks
		}
	}
}

// rowSkip separates the rows of a table whose intervals are under their
// values, in pt, so that each row's two lines read as one.
const rowSkip = 3.0

// LaTeX writes the table as booktabs tabulars in table or table* floats,
// set at \small as layout chooses. Comments come first as % lines; the
// caption and label head the first float, the notes close the last, in
// \footnotesize. The output is ASCII and needs the booktabs package only.
func (t *Table) LaTeX(w io.Writer) error {
	cells := t.cells()
	l := t.layout(cells)
	var b strings.Builder
	for _, c := range t.Comments {
		// A line break in a comment would end it: the rest would be read
		// as LaTeX.
		fmt.Fprintf(&b, "%% %s\n", strings.ReplaceAll(c, "\n", "\n% "))
	}
	env := "table"
	if l.wide {
		env = "table*"
	}
	for k, ch := range l.chunks {
		fmt.Fprintf(&b, "\\begin{%s}[t]\n\\centering\n\\small\n\\setlength{\\tabcolsep}{%gpt}\n", env, tabColSep)
		switch {
		case k == 0:
			fmt.Fprintf(&b, "\\caption{%s}\n", latex(t.Caption))
			if t.Label != "" {
				fmt.Fprintf(&b, "\\label{%s}\n", t.Label)
			}
		case t.Label != "":
			fmt.Fprintf(&b, "Table~\\ref{%s}, continued.\\par\\medskip\n", t.Label)
		default:
			b.WriteString("Continued.\\par\\medskip\n")
		}
		for p, cols := range l.parts {
			if p > 0 {
				b.WriteString("\\par\\medskip\n")
			}
			t.tabular(&b, cells[ch[0]:ch[1]], cols, &l)
		}
		if k == len(l.chunks)-1 {
			for _, n := range t.Notes {
				fmt.Fprintf(&b, "\\par\\smallskip{\\footnotesize\\raggedright %s\\par}\n", latex(n))
			}
		}
		fmt.Fprintf(&b, "\\end{%s}\n", env)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// tabular writes one tabular of the columns cols and the rows rows.
func (t *Table) tabular(b *strings.Builder, rows [][]cell, cols []int, l *layout) {
	b.WriteString("\\begin{tabular}{@{}")
	for _, i := range cols {
		if t.Columns[i].Format == Text {
			b.WriteString("l")
		} else {
			b.WriteString("r")
		}
	}
	b.WriteString("@{}}\n\\toprule\n")
	cs := make([]string, len(cols))
	for j, i := range cols {
		cs[j] = multiline(l.heads[i], "b", t.Columns[i].Format == Text)
	}
	b.WriteString(strings.Join(cs, " & ") + " \\\\\n\\midrule\n")
	for r, row := range rows {
		if r > 0 && l.stacked {
			fmt.Fprintf(b, "\\addlinespace[%gpt]\n", rowSkip)
		}
		for j, i := range cols {
			switch c := row[i]; {
			case l.wrapAt[i] > 0:
				cs[j] = multiline(wrap(c.text, l.wrapAt[i]), "t", true)
			case l.stacked && c.ci != "":
				cs[j] = multiline([]string{c.text, c.ci}, "t", false)
			default:
				cs[j] = latex(c.line())
			}
		}
		b.WriteString(strings.Join(cs, " & ") + " \\\\\n")
	}
	b.WriteString("\\bottomrule\n\\end{tabular}\n")
}

// multiline sets text lines as one cell: a single line as it is, several as a
// one-column tabular, aligned at its top or bottom line (pos "t" or "b")
// with the row, flush left or right.
func multiline(ls []string, pos string, left bool) string {
	if len(ls) == 1 {
		return latex(ls[0])
	}
	align := "r"
	if left {
		align = "l"
	}
	es := make([]string, len(ls))
	for i, s := range ls {
		es[i] = latex(s)
	}
	// "{}" keeps a line that starts with "[" from being read as the
	// optional argument of "\\".
	return "\\begin{tabular}[" + pos + "]{@{}" + align + "@{}}" + strings.Join(es, "\\\\{}") + "\\end{tabular}"
}
