// Package plot draws ballast's figures with gonum/plot and writes each as
// PNG at 150 dpi and as PDF. Sizes are fixed (see Width, Height) so that
// figures line up in the papers and the PNGs can be checked.
package plot

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"

	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/internal/atomicfile"
)

// The data of the figures: what package report computes from analysed
// runs, and what anything else (a training loss curve) can plot.

// Series is one method's pooled sample (all seeds together), for CDFs.
type Series struct {
	Label  string
	Values []float64
}

// Bar is one method's mean with its interval.
type Bar struct {
	Label string
	CI    stats.CI
}

// ArmPanel is one method's arm fractions over time: Frac[a][b] is the
// fraction of all policy decisions in bin b (pooled over seeds) that chose
// Arms[a]. Bins without decisions are NaN.
type ArmPanel struct {
	Label  string
	BinS   []float64 // bin start, s
	BinLen float64   // bin width, s
	Arms   []int64
	Frac   [][]float64
}

// Curve is one policy's metric against a parameter's value.
type Curve struct {
	Label string
	X     []float64
	CI    []stats.CI
}

// Figure geometry: 6 x 4 inches, 900 x 600 pixels at DPI; an arm-fraction
// figure is 6 inches wide and PanelHeight tall per method.
const (
	DPI         = 150
	Width       = 6 * vg.Inch
	Height      = 4 * vg.Inch
	PanelHeight = 2.2 * vg.Inch
)

// Figure is something to draw on a canvas of a given size.
type Figure struct {
	W, H vg.Length
	Draw func(draw.Canvas)
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

func single(p *plot.Plot) Figure {
	return Figure{W: Width, H: Height, Draw: p.Draw}
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
	pdf := vgpdf.New(f.W, f.H)
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

// newPlot sets the fonts and sizes that stay readable at 150 dpi.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 13
	p.X.Label.Text, p.Y.Label.Text = x, y
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font.Size = 12
		ax.Tick.Label.Font.Size = 10
	}
	p.Legend.TextStyle.Font.Size = 10
	p.Add(plotter.NewGrid())
	return p
}

func color_(i int) color.Color { return plotutil.Color(i) }

// CDF draws empirical CDFs, one step line per series (x in ms, log scale
// when logX: recovery times span orders of magnitude).
func CDF(title, xlabel string, series []Series, logX bool) (Figure, error) {
	p := newPlot(title, xlabel, "fraction ≤ x")
	p.Y.Min, p.Y.Max = 0, 1
	// A CDF's top-left corner stays empty: the lines start at the bottom.
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = 8, -4
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks125{}
	}
	drawn := 0
	for i, s := range series {
		if len(s.Values) == 0 {
			continue
		}
		pts := make(plotter.XYs, 0, len(s.Values)+1)
		for j, v := range s.Values {
			if logX && v <= 0 {
				continue
			}
			if len(pts) == 0 {
				pts = append(pts, plotter.XY{X: v, Y: 0})
			}
			pts = append(pts, plotter.XY{X: v, Y: float64(j+1) / float64(len(s.Values))})
		}
		if len(pts) == 0 {
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return Figure{}, err
		}
		l.StepStyle = plotter.PostStep
		l.Color = color_(i)
		l.Width = vg.Points(1.6)
		l.Dashes = plotutil.Dashes(i / 7)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (n=%d)", s.Label, len(s.Values)), l)
		drawn++
	}
	if drawn == 0 {
		return Figure{}, fmt.Errorf("nothing to plot: no values in any series")
	}
	return single(p), nil
}

// plainTicks are gonum's default ticks labelled in the shortest form
// ("5000", not "5000.00", which a fixed axis maximum otherwise gives).
type plainTicks struct{}

func (plainTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', -1, 64)
		}
	}
	return ts
}

// logTicks125 labels 1, 2 and 5 times each power of ten (gonum's
// LogTicks labels only the powers, which leaves a range narrower than a
// decade with one label or none), with unlabelled minor ticks between.
type logTicks125 struct{}

func (logTicks125) Ticks(min, max float64) []plot.Tick {
	if min <= 0 || max <= min {
		return plot.LogTicks{Prec: -1}.Ticks(math.Max(min, 1e-9), math.Max(max, 1e-8))
	}
	// Over more than three decades, 1-2-5 labels collide: label the
	// powers of ten only.
	wide := math.Log10(max/min) > 3
	var ts []plot.Tick
	for e := math.Floor(math.Log10(min)); math.Pow(10, e) <= max; e++ {
		for m := 1.0; m < 10; m++ {
			v := m * math.Pow(10, e)
			if v < min || v > max {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (!wide && (m == 2 || m == 5)) {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// errPoints are bar tops with their interval, for YErrorBars.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

// Bars draws one bar per method with its 95 % interval as error bars.
func Bars(title, ylabel string, bars []Bar) (Figure, error) {
	p := newPlot(title, "", ylabel)
	vals := make(plotter.Values, len(bars))
	var ep errPoints
	var names []string
	for i, b := range bars {
		v := b.CI.Mean
		if math.IsNaN(v) {
			v = 0
		}
		vals[i] = v
		names = append(names, b.Label)
		if !math.IsNaN(b.CI.Mean) {
			ep.XYs = append(ep.XYs, plotter.XY{X: float64(i), Y: b.CI.Mean})
			ep.YErrors = append(ep.YErrors, struct{ Low, High float64 }{b.CI.Mean - b.CI.Lo, b.CI.Hi - b.CI.Mean})
		}
	}
	if len(bars) == 0 {
		return Figure{}, fmt.Errorf("nothing to plot: no methods")
	}
	w := vg.Points(math.Min(40, 300/float64(len(bars))))
	bc, err := plotter.NewBarChart(vals, w)
	if err != nil {
		return Figure{}, err
	}
	bc.Color = color_(0)
	bc.LineStyle.Width = 0
	p.Add(bc)
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
	top := 0.0
	for _, b := range bars {
		if !math.IsNaN(b.CI.Hi) {
			top = math.Max(top, b.CI.Hi)
		}
		top = math.Max(top, vals[0])
	}
	if top > 0 {
		p.Y.Max = top * 1.08 // room between the highest error bar and the title
	}
	p.Y.Tick.Marker = plainTicks{}
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
	return single(p), nil
}

// Arms draws the arm fractions over time, one panel per method stacked
// vertically, one line per arm.
func Arms(title string, panels []ArmPanel) (Figure, error) {
	if len(panels) == 0 {
		return Figure{}, fmt.Errorf("nothing to plot: no arm decisions")
	}
	plots := make([][]*plot.Plot, len(panels))
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
		p.Legend.Top = true
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
			l.Color = color_(a)
			l.Width = vg.Points(1.5)
			l.Dashes = plotutil.Dashes(a)
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("arm %d", arm), l)
		}
		plots[i] = []*plot.Plot{p}
	}
	h := PanelHeight * vg.Length(len(panels))
	return Figure{W: Width, H: h, Draw: func(dc draw.Canvas) {
		tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8), PadY: vg.Points(6)}
		canvases := plot.Align(plots, tiles, dc)
		for i := range plots {
			plots[i][0].Draw(canvases[i][0])
		}
	}}, nil
}

// Sensitivity draws one line per policy: the metric's mean with its
// interval against a parameter's value.
func Sensitivity(title, xlabel, ylabel string, curves []Curve) (Figure, error) {
	p := newPlot(title, xlabel, ylabel)
	p.Legend.Top = true
	n := 0
	for i, c := range curves {
		var pts plotter.XYs
		var ep errPoints
		for j, x := range c.X {
			ci := c.CI[j]
			if math.IsNaN(ci.Mean) {
				continue
			}
			pts = append(pts, plotter.XY{X: x, Y: ci.Mean})
			ep.XYs = append(ep.XYs, plotter.XY{X: x, Y: ci.Mean})
			ep.YErrors = append(ep.YErrors, struct{ Low, High float64 }{ci.Mean - ci.Lo, ci.Hi - ci.Mean})
		}
		if len(pts) == 0 {
			continue
		}
		l, s, err := plotter.NewLinePoints(pts)
		if err != nil {
			return Figure{}, err
		}
		l.Color, s.Color = color_(i), color_(i)
		l.Width = vg.Points(1.5)
		s.Shape = plotutil.Shape(i)
		eb, err := plotter.NewYErrorBars(ep)
		if err != nil {
			return Figure{}, err
		}
		eb.Color = color_(i)
		p.Add(l, s, eb)
		p.Legend.Add(c.Label, l, s)
		n++
	}
	if n == 0 {
		return Figure{}, fmt.Errorf("nothing to plot: no defined values")
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range curves {
		for _, ci := range c.CI {
			if !math.IsNaN(ci.Mean) {
				lo, hi = math.Min(lo, ci.Lo), math.Max(hi, ci.Hi)
			}
		}
	}
	p.Y.Min, p.Y.Max = lo-0.05*(hi-lo), hi+0.08*(hi-lo) // error bars clear of the title
	return single(p), nil
}
