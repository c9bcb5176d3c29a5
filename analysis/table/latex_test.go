package table

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// escapes are plain texts and their LaTeX: every character LaTeX treats
// specially, those OT1 prints as others ("->" printed as "-¿") and
// non-ASCII ones come out as ASCII LaTeX that prints them.
var escapes = []struct{ in, want string }{
	{`# $ % & ~ _ ^ \ { }`, `\# \$ \% \& \textasciitilde{} \_ \textasciicircum{} \textbackslash{} \{ \}`},
	{"a < b > c | d", `a \textless{} b \textgreater{} c \textbar{} d`},
	{"0->A2; x<-y <= >= <->", `0$\to$A2; x$\leftarrow$y $\le$ $\ge$ $\leftrightarrow$`},
	{"--quick --- ?` !` ``q''", "-{}-quick -{}-{}- ?{}` !{}` {}`{}`q''"},
	{"µs μ ≤ ≥ ± × → ← ≈ ∞ °", `$\mu$s $\mu$ $\le$ $\ge$ $\pm$ $\times$ $\to$ $\leftarrow$ $\approx$ $\infty$ $^\circ$`},
	{"α β ω Δ Ω – — … “q” ‘q’", `$\alpha$ $\beta$ $\omega$ $\Delta$ $\Omega$ -{}- -{}-{}- \ldots{} {}` + "`{}`q'' {}`q'"},
	{"é í ü ñ Ç ß ø Å", `\'{e} \'{\i} \"{u} \~{n} \c{C} \ss{} \o{} \AA{}`},
	{"snow ☃ and 😀", "snow U+2603 and U+1F600"},
	{"two\nlines\tand\r tab", "two lines and tab"},
}

func TestLaTeXEscape(t *testing.T) {
	for _, c := range escapes {
		if got := latex(c.in); got != c.want {
			t.Errorf("latex(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A whole table with special text in every place: the comments stay
// comments, the caption, headers, cells and notes are escaped, the numbers
// have the column's precision, and a narrow table is a one-column float.
func TestLaTeXTable(t *testing.T) {
	tb := &Table{
		Caption:  "Loss 0 -> 30 -> 0 % at µ ≤ 5 & more",
		Label:    "tab:x",
		Comments: []string{"from a_b.yaml", "two\nlines"},
		Columns:  []Column{{Header: "Method", Key: "method"}, {Header: "Recovery (ms)", Key: "recovery_ms", Format: Sig4, CI: true}},
		Rows: [][]Value{
			{{Text: "bandit_safe"}, {V: 810.6, Lo: 551.2, Hi: 1226, N: 5}},
			{{Text: "map=0->A2 | x<y"}, {V: 3741, Lo: 3103, Hi: 4601, N: 5}},
		},
		Notes: []string{`50% of #runs: ~x^2 {a} \ b $c ± d × e → f ≥ g ☃`},
	}
	var b bytes.Buffer
	if err := tb.LaTeX(&b); err != nil {
		t.Fatal(err)
	}
	want := `% from a_b.yaml
% two
% lines
\begin{table}[t]
\centering
\small
\setlength{\tabcolsep}{4pt}
\caption{Loss 0 $\to$ 30 $\to$ 0 \% at $\mu$ $\le$ 5 \& more}
\label{tab:x}
\begin{tabular}{@{}lr@{}}
\toprule
Method & Recovery (ms) \\
\midrule
bandit\_safe & 811 [551, 1226] \\
map=0$\to$A2 \textbar{} x\textless{}y & 3741 [3103, 4601] \\
\bottomrule
\end{tabular}
\par\smallskip{\footnotesize\raggedright 50\% of \#runs: \textasciitilde{}x\textasciicircum{}2 \{a\} \textbackslash{} b \$c $\pm$ d $\times$ e $\to$ f $\ge$ g U+2603\par}
\end{table}
`
	if b.String() != want {
		t.Errorf("LaTeX:\n%s\nwant:\n%s", b.String(), want)
	}
}

// handMade is a table of rows rows: a Text column of row names (name and
// the row's number; "Method", 31 pt wide, if name is short) and cols Frac4
// interval columns ("0.4877 [0.4290, 0.5399]", 91 pt wide beside, 62 pt
// under), or Pct1 columns without intervals.
func handMade(rows, cols int, ci bool, name string) *Table {
	tb := &Table{Caption: "Hand-made", Label: "tab:hand", Columns: []Column{{Header: "Method", Key: "method"}}}
	for c := range cols {
		if ci {
			tb.Columns = append(tb.Columns, Column{Header: fmt.Sprintf("Frac. %d", c), Key: fmt.Sprintf("f%d", c), Format: Frac4, CI: true})
		} else {
			tb.Columns = append(tb.Columns, Column{Header: fmt.Sprintf("Change %d (%%)", c), Key: fmt.Sprintf("c%d", c), Format: Pct1})
		}
	}
	for r := range rows {
		row := []Value{{Text: fmt.Sprintf("%s%d", name, r)}}
		for range cols {
			row = append(row, Value{V: 0.4877, Lo: 0.429, Hi: 0.5399, N: 5})
		}
		tb.Rows = append(tb.Rows, row)
	}
	return tb
}

// textOnly is a table of cols Text columns of 100 pt each.
func textOnly(cols int) *Table {
	tb := &Table{Caption: "Text"}
	var row []Value
	for c := range cols {
		tb.Columns = append(tb.Columns, Column{Header: fmt.Sprint("T", c), Key: fmt.Sprint("t", c)})
		row = append(row, Value{Text: "twenty letters each and more"})
	}
	tb.Rows = [][]Value{row}
	return tb
}

// Each table takes the narrowest layout that fits the two-column page.
func TestLayout(t *testing.T) {
	for _, c := range []struct {
		name            string
		tb              *Table
		wide, stacked   bool
		parts, floats   int
		firstPartLength int
	}{
		{"three deltas: one column", handMade(5, 3, false, "m"), false, false, 1, 1, 4},
		{"two intervals: one column, beside", handMade(5, 2, true, "m"), false, false, 1, 1, 3},
		{"two intervals, long names: one column, under", handMade(5, 2, true, "oracle_hint_"), false, true, 1, 1, 3},
		{"three intervals: both columns, beside", handMade(5, 3, true, "m"), true, false, 1, 1, 4},
		{"six intervals: both columns, under", handMade(5, 6, true, "m"), true, true, 1, 1, 7},
		{"eleven intervals: two tabulars of five and six, each with the names", handMade(5, 11, true, "m"), true, true, 2, 1, 6},
		{"text only, too wide: one tabular all the same", textOnly(6), true, false, 1, 1, 6},
		// 25 pt a row, 49 pt for the caption, the rules and the header.
		{"a hundred rows: four floats", handMade(100, 6, true, "m"), true, true, 1, 4, 7},
	} {
		l := c.tb.layout(c.tb.cells())
		if l.wide != c.wide || l.stacked != c.stacked || len(l.parts) != c.parts || len(l.chunks) != c.floats || len(l.parts[0]) != c.firstPartLength {
			t.Errorf("%s: wide %v, stacked %v, %d tabulars (the first of %d columns), %d floats; want %v, %v, %d (%d), %d",
				c.name, l.wide, l.stacked, len(l.parts), len(l.parts[0]), len(l.chunks), c.wide, c.stacked, c.parts, c.firstPartLength, c.floats)
		}
		for _, p := range l.parts {
			if p[0] != 0 {
				t.Errorf("%s: a tabular without the row names: columns %v", c.name, p)
			}
		}
		if last := l.chunks[len(l.chunks)-1]; l.chunks[0][0] != 0 || last[1] != len(c.tb.Rows) {
			t.Errorf("%s: floats %v do not cover the %d rows", c.name, l.chunks, len(c.tb.Rows))
		}
	}
}

// A long Text cell wraps into lines no wider than wrapWidth; a header
// wraps to its column's width, and the width the float spares makes it
// lower.
func TestWrap(t *testing.T) {
	long := "clamp_max_ms=2400 hb_max_ms=1000 hb_min_ms=20 heartbeat_ratio=4.0 min_hb_ratio=4.0"
	tb := &Table{
		Caption: "Wrapping",
		Columns: []Column{{Header: "Published", Key: "published"}, {Header: "Recovery mean over the seeds (ms)", Key: "r", Format: Int}},
		Rows:    [][]Value{{{Text: long}, {V: 3}}},
	}
	lines := wrap(long, wrapWidth)
	for _, s := range lines {
		if widthOf(s) > wrapWidth {
			t.Errorf("line %q is %.1f pt wide, over %v", s, widthOf(s), wrapWidth)
		}
	}
	if strings.Join(lines, " ") != long || len(lines) < 3 {
		t.Errorf("wrapped into %q", lines)
	}
	l := tb.layout(tb.cells())
	narrowest := tb.measure(tb.cells(), false, false)
	if l.wide || l.wrapAt[0] != wrapWidth || len(narrowest.heads[1]) <= maxHeadLines || len(l.heads[1]) >= len(narrowest.heads[1]) {
		t.Errorf("wide %v, wrap at %v, header %q (%q at its narrowest): want a one-column table wrapping at %v, the header lower",
			l.wide, l.wrapAt[0], l.heads[1], narrowest.heads[1], wrapWidth)
	}
	if w := tabularWidth(l.widths, l.parts[0]); w > l.budget() {
		t.Errorf("balanced headers make the table %.1f pt wide, over %.1f", w, l.budget())
	}
	var b bytes.Buffer
	tb.LaTeX(&b)
	if !strings.Contains(b.String(), `\begin{tabular}[t]{@{}l@{}}clamp\_max\_ms=2400\\{}hb\_max\_ms=1000\\{}`) {
		t.Errorf("the long cell is not set in lines:\n%s", b.String())
	}
}

// The tables compile with the preamble of paper/main.tex, which loads only
// packages of texlive-latex-recommended, and fit its page: no overfull
// line or box, no float taller than the page. The hand-made tables cover
// every layout and the escapes; the quick reproduction's golden tables
// are the real ones. Skipped where pdflatex is not installed (make test
// never needs TeX).
func TestLaTeXCompiles(t *testing.T) {
	pdflatex, err := exec.LookPath("pdflatex")
	if err != nil {
		t.Skip("pdflatex not installed")
	}
	main, err := os.ReadFile(filepath.Join("..", "..", "paper", "main.tex"))
	if err != nil {
		t.Fatal(err)
	}
	preamble, _, ok := strings.Cut(string(main), `\begin{document}`)
	if !ok {
		t.Fatal(`paper/main.tex has no \begin{document}`)
	}
	dir := t.TempDir()
	var doc strings.Builder
	doc.WriteString(preamble + "\\begin{document}\n")
	special := handMade(3, 2, true, "m")
	special.Caption = "Loss 0 -> 30 -> 0 % at µ ≤ 5 & more"
	for _, e := range escapes {
		special.Notes = append(special.Notes, e.in)
	}
	special.Rows[0][0].Text = "map=0->A2; 1->A2 | x<y"
	hand := map[string]*Table{"special": special}
	for _, n := range []int{2, 3, 6, 11} {
		hand[fmt.Sprintf("cols%d", n)] = handMade(5, n, true, "m")
	}
	hand["under"] = handMade(5, 2, true, "oracle_hint_")
	hand["rows100"] = handMade(100, 6, true, "m")
	var files []string
	for name, tb := range hand {
		var b bytes.Buffer
		if err := tb.LaTeX(&b); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name+".tex")
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	golden, _ := filepath.Glob(filepath.Join("..", "..", "reproduce", "testdata", "golden", "quick", "tables", "*.tex"))
	for _, g := range golden {
		abs, err := filepath.Abs(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, abs)
	}
	for _, f := range files {
		// One table a page: many floats and no text would exhaust LaTeX's
		// float queue.
		fmt.Fprintf(&doc, "\\input{%s}\n\\clearpage\n", filepath.ToSlash(f))
	}
	doc.WriteString("\\end{document}\n")
	if err := os.WriteFile(filepath.Join(dir, "doc.tex"), []byte(doc.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pdflatex: %v\n%s", err, tail(out))
	}
	log, err := os.ReadFile(filepath.Join(dir, "doc.log"))
	if err != nil {
		t.Fatal(err)
	}
	bad := regexp.MustCompile(`(?m)^(Overfull \\[hv]box.*|LaTeX Warning: Float too large.*|Missing character.*)$`)
	for _, m := range bad.FindAllString(string(log), -1) {
		t.Errorf("%s", m)
	}
	t.Logf("%d tables (%d golden) compiled", len(files), len(golden))
}

// tail is the end of pdflatex's output, where an error is.
func tail(b []byte) string {
	return string(b[max(0, len(b)-3000):])
}
