package reproduce

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	bplot "github.com/ballast-bench/ballast/analysis/plot"
)

// stack draws figures one above the other (a multi-panel figure), each at
// its own height, at the widest one's width.
func stack(figs ...bplot.Figure) bplot.Figure {
	var w, h vg.Length
	for _, f := range figs {
		w = max(w, f.W)
		h += f.H
	}
	return bplot.Figure{W: w, H: h, Draw: func(dc draw.Canvas) {
		above := vg.Length(0)
		for _, f := range figs {
			below := h - above - f.H
			f.Draw(draw.Crop(dc, 0, 0, below, -above))
			above += f.H
		}
	}}
}

// line is one series of a line plot.
type line struct {
	Label string
	X, Y  []float64 // NaN Y values break the line
}

// panelHeight of a time-series panel: several stack into one figure.
const panelHeight = 2.6 * vg.Inch

// lines draws series as lines against a shared x axis, in the style of
// analysis/plot (fonts, grid, 150 dpi PNG); NaN values leave gaps.
func lines(title, xlabel, ylabel string, series []line, logY bool) (bplot.Figure, error) {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 12
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font.Size = 11
		ax.Tick.Label.Font.Size = 9
	}
	p.Legend.TextStyle.Font.Size = 9
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	drawn := 0
	for i, s := range series {
		var segs []plotter.XYs
		var cur plotter.XYs
		for j := range s.X {
			y := s.Y[j]
			if math.IsNaN(y) || (logY && y <= 0) {
				if len(cur) > 0 {
					segs, cur = append(segs, cur), nil
				}
				continue
			}
			cur = append(cur, plotter.XY{X: s.X[j], Y: y})
		}
		if len(cur) > 0 {
			segs = append(segs, cur)
		}
		for k, seg := range segs {
			l, err := plotter.NewLine(seg)
			if err != nil {
				return bplot.Figure{}, err
			}
			l.Color = plotutil.Color(i)
			l.Width = vg.Points(1.3)
			l.Dashes = plotutil.Dashes(i)
			p.Add(l)
			if k == 0 {
				p.Legend.Add(s.Label, l)
				drawn++
			}
		}
	}
	if drawn == 0 {
		return bplot.Figure{}, fmt.Errorf("nothing to plot: no defined values in %q", title)
	}
	// Headroom above the data for the legend, which sits top right.
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, y := range s.Y {
			if !math.IsNaN(y) && (!logY || y > 0) {
				ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
			}
		}
	}
	if logY {
		p.Y.Min, p.Y.Max = ymin/1.2, ymax*math.Pow(ymax/ymin, 0.35)
	} else {
		p.Y.Min, p.Y.Max = math.Min(0, ymin), ymax+0.35*(ymax-math.Min(0, ymin))
	}
	p.X.Tick.Marker = shortTicks{}
	return bplot.Figure{W: bplot.Width, H: panelHeight, Draw: p.Draw}, nil
}

// shortTicks are gonum's default ticks labelled in the shortest form
// ("250", not "250.00").
type shortTicks struct{}

func (shortTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', -1, 64)
		}
	}
	return ts
}
