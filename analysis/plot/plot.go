// Package plot draws ballast's figures with gonum/plot and writes each as
// PNG at 150 dpi and as PDF with embedded Unicode fonts. Sizes are fixed
// (see Width, WideWidth, Height) so that figures line up in the papers and
// the PNGs can be checked; legends sit right of the data (layout.go), and
// each method keeps one colour in every figure (style.go).
package plot

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/internal/atomicfile"
)

// The data of the figures: what package report computes from analysed
// runs, and what anything else (a training loss curve) can plot. Method
// names a series' method (a policy, or policy/variant), which fixes its
// colour in every figure (see methodStyles); without one the label is the
// method. Emphasis marks the reproduced paper's own method: drawn thicker
// and on top of the others.

// Series is one method's pooled sample (all seeds together), for CDFs.
type Series struct {
	Label    string
	Method   string
	Emphasis bool
	Values   []float64
}

// Bar is one method's mean with its interval.
type Bar struct {
	Label    string
	Method   string
	Emphasis bool
	CI       stats.CI
}

// ArmPanel is one method's arm fractions over time: Frac[a][b] is the
// fraction of all policy decisions in bin b (pooled over seeds) that chose
// arm Arms[a] (0-based), which Info[a] describes. Bins without decisions
// are NaN.
type ArmPanel struct {
	Label  string
	BinS   []float64 // bin start, s
	BinLen float64   // bin width, s
	Arms   []int64
	Info   []Arm // per arm of Arms; nil when the arm set is unknown
	Frac   [][]float64
}

// Arm is one arm of the arm set a policy used (configs/arms.yaml).
type Arm struct {
	Name       string  // as docs/policies.md names it: A1, A2, ... (R1, ... relative)
	LoMS, HiMS float64 // an absolute arm's deadline range, ms
	Factor     float64 // a relative arm's factor on the range the policy measures
}

// Curve is one policy's metric against a parameter's value.
type Curve struct {
	Label    string
	Method   string
	Emphasis bool
	X        []float64
	CI       []stats.CI
}

// Line is one series of a line plot over time.
type Line struct {
	Label    string
	Method   string
	Emphasis bool
	X, Y     []float64 // NaN Y values break the line
}

// method is the palette key of a series.
func method(m, label string) string {
	if m != "" {
		return m
	}
	return label
}

// Figure geometry: a figure is Height tall, Width wide, or WideWidth with
// a legend beside its data; an arm-fraction figure is PanelHeight and a
// line plot LinePanelHeight tall per panel. At DPI a 6 x 4 inch figure
// is 900 x 600 pixels.
const (
	DPI             = 150
	Width           = 6 * vg.Inch
	WideWidth       = 8 * vg.Inch
	Height          = 4 * vg.Inch
	PanelHeight     = 2.2 * vg.Inch
	LinePanelHeight = 2.6 * vg.Inch
)

// Figure is something to draw on a canvas of a given size.
type Figure struct {
	W, H vg.Length
	Draw func(draw.Canvas)
	// panels are what Draw lays out, each panelH tall (for Stack and the
	// tests).
	panels []panel
	panelH vg.Length
}

// Pixels is the PNG size of f.
func (f Figure) Pixels() (int, int) {
	return int(math.Round(float64(f.W/vg.Inch) * DPI)), int(math.Round(float64(f.H/vg.Inch) * DPI))
}

// pdfDate is the creation and modification date written into every PDF.
// fpdf stamps the wall clock otherwise, so the same figure drawn twice gave
// different files; a fixed date (and a sorted catalog, which fpdf would
// otherwise emit in map order) makes PDFs byte-identical like the PNGs.
var pdfDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func init() {
	fpdf.SetDefaultCreationDate(pdfDate)
	fpdf.SetDefaultModificationDate(pdfDate)
	fpdf.SetDefaultCatalogSort(true)
}

// Stage writes f as prefix.png and prefix.pdf, finished but not in place
// (atomicfile.CommitAll puts them there).
func Stage(prefix string, f Figure) ([]*atomicfile.File, error) {
	png := vgimg.NewWith(vgimg.UseWH(f.W, f.H), vgimg.UseDPI(DPI))
	dc := draw.New(png)
	// An opaque white background: transparent PNGs show black in some viewers.
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	f.Draw(dc)
	a, err := atomicfile.Stage(prefix+".png", func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: png}.WriteTo(w)
		return err
	})
	if err != nil {
		return nil, err
	}
	pdf := newPDF(f.W, f.H)
	f.Draw(draw.New(pdf))
	b, err := atomicfile.Stage(prefix+".pdf", func(w io.Writer) error {
		_, err := pdf.WriteTo(w)
		return err
	})
	if err != nil {
		a.Abort()
		return nil, err
	}
	return []*atomicfile.File{a, b}, nil
}

// newPlot sets the fonts and sizes that stay readable at 150 dpi, and
// round ticks.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 13
	p.X.Label.Text, p.Y.Label.Text = x, y
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font.Size = 12
		ax.Tick.Label.Font.Size = 10
		ax.Tick.Marker = NiceTicks{}
	}
	p.Add(plotter.NewGrid())
	return p
}

// lineStyle is a series' line: its method's colour and dash, thicker and
// solid when emphasised.
func lineStyle(s style, emphasis bool, width vg.Length) draw.LineStyle {
	if emphasis {
		return draw.LineStyle{Color: s.color, Width: width * 1.8}
	}
	return draw.LineStyle{Color: s.color, Width: width, Dashes: dashes[s.dash]}
}

// layered adds plotters to p, the emphasised ones last so they lie on top.
type layered struct{ under, over []plot.Plotter }

func (l *layered) add(emphasis bool, ps ...plot.Plotter) {
	if emphasis {
		l.over = append(l.over, ps...)
	} else {
		l.under = append(l.under, ps...)
	}
}

func (l *layered) to(p *plot.Plot) {
	p.Add(l.under...)
	p.Add(l.over...)
}

// CDF draws empirical CDFs, one step line per series (x in ms, log scale
// when logX: recovery times span orders of magnitude).
func CDF(title, xlabel string, series []Series, logX bool) (Figure, error) {
	p := newPlot(title, xlabel, "fraction ≤ x")
	p.Y.Min, p.Y.Max = 0, 1
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = LogTicks{}
	}
	var drawn []Series
	var pts []plotter.XYs
	for _, s := range series {
		var xy plotter.XYs
		for j, v := range s.Values {
			if logX && v <= 0 {
				continue
			}
			if len(xy) == 0 {
				xy = append(xy, plotter.XY{X: v, Y: 0})
			}
			xy = append(xy, plotter.XY{X: v, Y: float64(j+1) / float64(len(s.Values))})
		}
		if len(xy) > 0 {
			drawn, pts = append(drawn, s), append(pts, xy)
		}
	}
	if len(drawn) == 0 {
		return Figure{}, fmt.Errorf("nothing to plot: no values in any series")
	}
	methods := make([]string, len(drawn))
	for i, s := range drawn {
		methods[i] = method(s.Method, s.Label)
	}
	var legend []entry
	var l layered
	for i, sty := range styles(methods) {
		line, err := plotter.NewLine(pts[i])
		if err != nil {
			return Figure{}, err
		}
		line.StepStyle = plotter.PostStep
		line.LineStyle = lineStyle(sty, drawn[i].Emphasis, vg.Points(1.6))
		l.add(drawn[i].Emphasis, line)
		legend = append(legend, entry{fmt.Sprintf("%s (n=%d)", drawn[i].Label, len(drawn[i].Values)), []plot.Thumbnailer{line}})
	}
	l.to(p)
	return figure(WideWidth, Height, panel{p, legend}), nil
}

// errPoints are bar tops with their interval, for YErrorBars.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

// Bars draws one bar per method, in a tint of its method's colour (so that
// the black error bar stays visible on a dark bar), with its 95 % interval
// as error bars; an emphasised bar is outlined.
func Bars(title, ylabel string, bars []Bar) (Figure, error) {
	if len(bars) == 0 {
		return Figure{}, fmt.Errorf("nothing to plot: no methods")
	}
	p := newPlot(title, "", ylabel)
	var ep errPoints
	names := make([]string, len(bars))
	methods := make([]string, len(bars))
	for i, b := range bars {
		names[i], methods[i] = b.Label, method(b.Method, b.Label)
	}
	w := vg.Points(math.Min(40, 300/float64(len(bars))))
	top := 0.0
	for i, sty := range styles(methods) {
		b := bars[i]
		v := b.CI.Mean
		if math.IsNaN(v) {
			v = 0
		} else {
			ep.XYs = append(ep.XYs, plotter.XY{X: float64(i), Y: b.CI.Mean})
			ep.YErrors = append(ep.YErrors, struct{ Low, High float64 }{b.CI.Mean - b.CI.Lo, b.CI.Hi - b.CI.Mean})
		}
		top = math.Max(top, v)
		if !math.IsNaN(b.CI.Hi) {
			top = math.Max(top, b.CI.Hi)
		}
		bc, err := plotter.NewBarChart(plotter.Values{v}, w)
		if err != nil {
			return Figure{}, err
		}
		bc.XMin = float64(i)
		bc.Color = tint(sty.color, 0.35)
		bc.LineStyle.Width = 0
		if b.Emphasis {
			bc.LineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(2)}
		}
		p.Add(bc)
	}
	if len(ep.XYs) > 0 {
		eb, err := plotter.NewYErrorBars(ep)
		if err != nil {
			return Figure{}, err
		}
		eb.LineStyle.Width = vg.Points(1.2)
		eb.CapWidth = w / 2
		p.Add(eb)
	}
	p.NominalX(names...)
	p.Y.Min = 0
	if top > 0 {
		p.Y.Max = top * 1.08 // room between the highest error bar and the title
	}
	p.X.Min, p.X.Max = -0.6, float64(len(bars))-0.4 // whole bars at both ends
	long := false
	for _, n := range names {
		long = long || len(n) > 12
	}
	if len(names) > 5 || long {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	return figure(Width, Height, panel{p: p}), nil
}

// tint mixes c with white: frac 0 is c, 1 white.
func tint(c color.RGBA, frac float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(math.Round(float64(v) + frac*float64(255-v))) }
	return color.RGBA{R: mix(c.R), G: mix(c.G), B: mix(c.B), A: c.A}
}

// armColors are the arms' colours, from the most aggressive arm to the
// most conservative (Okabe and Ito); arms beyond them repeat a colour
// with another dash pattern.
var armColors = []color.RGBA{rgb(0xD55E00), rgb(0xE69F00), rgb(0x009E73), rgb(0x56B4E9), rgb(0x0072B2), rgb(0xCC79A7), rgb(0x000000)}

// label is an arm as the legend names it: "A1 [150, 300) ms".
func (a Arm) label() string {
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	switch {
	case a.Factor != 0:
		return a.Name + " ×" + num(a.Factor)
	case a.LoMS == a.HiMS:
		return fmt.Sprintf("%s %s ms", a.Name, num(a.LoMS))
	default:
		return fmt.Sprintf("%s [%s, %s) ms", a.Name, num(a.LoMS), num(a.HiMS))
	}
}

// Arms draws the arm fractions over time, one panel per method stacked
// vertically, one line per arm.
func Arms(title string, panels []ArmPanel) (Figure, error) {
	if len(panels) == 0 {
		return Figure{}, fmt.Errorf("nothing to plot: no arm decisions")
	}
	pns := make([]panel, len(panels))
	for i, pn := range panels {
		t := pn.Label
		if i == 0 && title != "" {
			t = title + ": " + pn.Label
		}
		xl := ""
		if i == len(panels)-1 {
			xl = "time (s)"
		}
		p := newPlot(t, xl, "fraction")
		p.Y.Min, p.Y.Max = 0, 1
		var legend []entry
		for a, arm := range pn.Arms {
			var pts plotter.XYs
			for j, x := range pn.BinS {
				if !math.IsNaN(pn.Frac[a][j]) {
					pts = append(pts, plotter.XY{X: x + pn.BinLen/2, Y: pn.Frac[a][j]})
				}
			}
			if len(pts) == 0 {
				continue
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				return Figure{}, err
			}
			l.Color = armColors[int(arm)%len(armColors)]
			l.Width = vg.Points(1.5)
			l.Dashes = dashes[int(arm)/len(armColors)%len(dashes)]
			p.Add(l)
			label := fmt.Sprintf("A%d", arm+1) // docs/policies.md counts arms from 1
			if pn.Info != nil {
				label = pn.Info[a].label()
			}
			legend = append(legend, entry{label, []plot.Thumbnailer{l}})
		}
		pns[i] = panel{p, legend}
	}
	return figure(WideWidth, PanelHeight, pns...), nil
}

// Sensitivity draws one line per policy: the metric's mean with its
// interval against a parameter's value.
func Sensitivity(title, xlabel, ylabel string, curves []Curve) (Figure, error) {
	p := newPlot(title, xlabel, ylabel)
	var drawn []Curve
	var methods []string
	for _, c := range curves {
		if slices.ContainsFunc(c.CI, func(ci stats.CI) bool { return !math.IsNaN(ci.Mean) }) {
			drawn, methods = append(drawn, c), append(methods, method(c.Method, c.Label))
		}
	}
	if len(drawn) == 0 {
		return Figure{}, fmt.Errorf("nothing to plot: no defined values")
	}
	var legend []entry
	var layers layered
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, sty := range styles(methods) {
		c := drawn[i]
		var ep errPoints
		for j, x := range c.X {
			ci := c.CI[j]
			if math.IsNaN(ci.Mean) {
				continue
			}
			ep.XYs = append(ep.XYs, plotter.XY{X: x, Y: ci.Mean})
			ep.YErrors = append(ep.YErrors, struct{ Low, High float64 }{ci.Mean - ci.Lo, ci.Hi - ci.Mean})
			lo, hi = math.Min(lo, ci.Lo), math.Max(hi, ci.Hi)
		}
		l, s, err := plotter.NewLinePoints(ep.XYs)
		if err != nil {
			return Figure{}, err
		}
		l.LineStyle = lineStyle(sty, c.Emphasis, vg.Points(1.5))
		s.Color = sty.color
		s.Shape = plotutil.Shape(i)
		eb, err := plotter.NewYErrorBars(ep)
		if err != nil {
			return Figure{}, err
		}
		eb.Color = sty.color
		layers.add(c.Emphasis, l, s, eb)
		legend = append(legend, entry{c.Label, []plot.Thumbnailer{l, s}})
	}
	layers.to(p)
	p.Y.Min, p.Y.Max = lo-0.05*(hi-lo), hi+0.08*(hi-lo) // error bars clear of the title
	return figure(WideWidth, Height, panel{p, legend}), nil
}

// Lines draws series as lines against a shared x axis (time), log y when
// logY; NaN values, and values at most 0 on a log axis, break a line.
func Lines(title, xlabel, ylabel string, series []Line, logY bool) (Figure, error) {
	p := newPlot(title, xlabel, ylabel)
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = LogTicks{}
	}
	defined := func(y float64) bool { return !math.IsNaN(y) && (!logY || y > 0) }
	var drawn []Line
	var methods []string
	for _, s := range series {
		if slices.ContainsFunc(s.Y, defined) {
			drawn, methods = append(drawn, s), append(methods, method(s.Method, s.Label))
		}
	}
	if len(drawn) == 0 {
		return Figure{}, fmt.Errorf("nothing to plot: no defined values in %q", title)
	}
	var legend []entry
	var layers layered
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for i, sty := range styles(methods) {
		s := drawn[i]
		var segs []plotter.XYs
		var cur plotter.XYs
		for j, y := range s.Y {
			if !defined(y) {
				if len(cur) > 0 {
					segs, cur = append(segs, cur), nil
				}
				continue
			}
			cur = append(cur, plotter.XY{X: s.X[j], Y: y})
			ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
		}
		if len(cur) > 0 {
			segs = append(segs, cur)
		}
		for k, seg := range segs {
			l, err := plotter.NewLine(seg)
			if err != nil {
				return Figure{}, err
			}
			l.LineStyle = lineStyle(sty, s.Emphasis, vg.Points(1.3))
			layers.add(s.Emphasis, l)
			if k == 0 {
				legend = append(legend, entry{s.Label, []plot.Thumbnailer{l}})
			}
		}
	}
	layers.to(p)
	// A little room above and below the lines, none for a legend.
	if logY {
		p.Y.Min, p.Y.Max = ymin/1.15, ymax*1.15
	} else {
		p.Y.Min, p.Y.Max = math.Min(0, ymin), ymax+0.05*(ymax-math.Min(0, ymin))
	}
	return figure(WideWidth, LinePanelHeight, panel{p, legend}), nil
}

// Points is one group of a scatter plot.
type Points struct {
	Label    string
	Method   string
	Emphasis bool // drawn larger, above the others
	X, Y     []float64
}

// outlineGlyphs are the scatter plot's shapes: outlines only, which stay
// readable where points overlap.
var outlineGlyphs = []draw.GlyphDrawer{draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PlusGlyph{}, draw.CrossGlyph{}}

// Scatter draws groups of points, each in its own colour and shape, log x
// when logX; points with an undefined coordinate (NaN, or x at most 0 on
// a log axis) are left out.
func Scatter(title, xlabel, ylabel string, groups []Points, logX bool) (Figure, error) {
	p := newPlot(title, xlabel, ylabel)
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = LogTicks{}
	}
	defined := func(x, y float64) bool { return !math.IsNaN(x) && !math.IsNaN(y) && (!logX || x > 0) }
	var drawn []Points
	var methods []string
	for _, g := range groups {
		for i := range g.X {
			if defined(g.X[i], g.Y[i]) {
				drawn, methods = append(drawn, g), append(methods, method(g.Method, g.Label))
				break
			}
		}
	}
	if len(drawn) == 0 {
		return Figure{}, fmt.Errorf("nothing to plot: no defined points in %q", title)
	}
	var legend []entry
	var layers layered
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, sty := range styles(methods) {
		g := drawn[i]
		var xys plotter.XYs
		for j := range g.X {
			if defined(g.X[j], g.Y[j]) {
				xys = append(xys, plotter.XY{X: g.X[j], Y: g.Y[j]})
				xmin, xmax = math.Min(xmin, g.X[j]), math.Max(xmax, g.X[j])
				ymin, ymax = math.Min(ymin, g.Y[j]), math.Max(ymax, g.Y[j])
			}
		}
		s, err := plotter.NewScatter(xys)
		if err != nil {
			return Figure{}, err
		}
		s.Color, s.Shape, s.Radius = sty.color, outlineGlyphs[i%len(outlineGlyphs)], vg.Points(2.5)
		if g.Emphasis {
			s.Radius = vg.Points(4.5)
		}
		layers.add(g.Emphasis, s)
		legend = append(legend, entry{g.Label, []plot.Thumbnailer{s}})
	}
	layers.to(p)
	if logX {
		p.X.Min, p.X.Max = xmin/1.5, xmax*1.5
	} else {
		p.X.Min, p.X.Max = math.Min(0, xmin), xmax+0.05*(xmax-math.Min(0, xmin))
	}
	p.Y.Min, p.Y.Max = math.Min(0, ymin), ymax+0.08*(ymax-math.Min(0, ymin))
	return figure(WideWidth, Height, panel{p, legend}), nil
}
