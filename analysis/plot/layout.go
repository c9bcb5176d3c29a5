package plot

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The layout of every figure: plots one above the other, their data areas
// aligned (gonum's plot.Align), each with its legend to the right of the
// data area, outside it, so that no legend hides a line. Stacked panels
// share one legend column position, so their data areas end at the same x.

// Legend and margin sizes, in points.
const (
	legendFontSize = 10
	legendGap      = 12 // between the data area (or its tick labels) and the legend
	legendColGap   = 14 // between legend columns
	legendRowPad   = 1  // between legend rows
	margin         = 4  // around the figure
	panelGap       = 8  // between stacked panels
	thumbWidth     = 24 // the line shown beside a legend label
)

// entry is one legend line: a label and its line or marker.
type entry struct {
	label  string
	thumbs []plot.Thumbnailer
}

// panel is one plot and its legend entries.
type panel struct {
	p      *plot.Plot
	legend []entry
}

// geometry is where a panel draws, in canvas coordinates.
type geometry struct {
	plot    vg.Rectangle   // title, axes and data
	data    vg.Rectangle   // the data area, inside plot
	legend  vg.Rectangle   // the legend's bounding box; empty without entries
	columns []vg.Rectangle // the legend's columns, inside legend
	split   []int          // entries per column
}

// legendFace is the legends' font.
func legendFace() font.Face { return font.DefaultCache.Lookup(plot.DefaultFont, legendFontSize) }

// legendRow is the height of one legend row: a line of text.
func legendRow() vg.Length {
	face := legendFace()
	return face.Extents().Height + legendRowPad
}

// columns splits n entries into as few columns as fit into height h,
// balanced: the entries per column.
func columns(n int, h vg.Length) []int {
	if n == 0 {
		return nil
	}
	perCol := max(1, int(math.Floor(float64(h/legendRow()))))
	cols := (n + perCol - 1) / perCol
	rows := (n + cols - 1) / cols
	split := make([]int, 0, cols)
	for left := n; left > 0; left -= rows {
		split = append(split, min(rows, left))
	}
	return split
}

// columnWidths are the widths of a legend's columns: the line, a space
// and the longest label.
func columnWidths(es []entry, split []int) []vg.Length {
	face := legendFace()
	var ws []vg.Length
	i := 0
	for _, n := range split {
		var w vg.Length
		for _, e := range es[i : i+n] {
			w = max(w, thumbWidth+face.Width(" ")+face.Width(e.label))
		}
		ws = append(ws, w)
		i += n
	}
	return ws
}

// legendWidth is the width a legend of columns ws takes.
func legendWidth(ws []vg.Length) vg.Length {
	if len(ws) == 0 {
		return 0
	}
	w := legendColGap * vg.Length(len(ws)-1)
	for _, x := range ws {
		w += x
	}
	return w
}

// layout places panels on c: the geometry of each, from top to bottom.
func layout(c draw.Canvas, panels []panel) []geometry {
	plots := make([][]*plot.Plot, len(panels))
	for i, pn := range panels {
		plots[i] = []*plot.Plot{pn.p}
	}
	align := func(right vg.Length) [][]draw.Canvas {
		return plot.Align(plots, draw.Tiles{Rows: len(panels), Cols: 1, PadTop: margin, PadBottom: margin,
			PadLeft: margin, PadRight: right, PadY: panelGap}, c)
	}
	// A first pass without legends gives the data areas' heights, which
	// decide the legends' columns; the legends' widths then decide the
	// plots' widths.
	first := align(margin)
	splits := make([][]int, len(panels))
	var legW vg.Length
	for i, pn := range panels {
		data := pn.p.DataCanvas(first[i][0])
		splits[i] = columns(len(pn.legend), data.Max.Y-data.Min.Y)
		legW = max(legW, legendWidth(columnWidths(pn.legend, splits[i])))
	}
	right := vg.Length(margin)
	if legW > 0 {
		right += legW + legendGap
	}
	// A tick label centred on the x axis's last tick may reach past the
	// plot's right edge (gonum pads the data area for the one glyph that
	// sticks out most, which need not be that label): leave it room.
	var over vg.Length
	for i, pn := range panels {
		can := align(right)[i][0]
		over = max(over, labelsRight(pn.p, pn.p.DataCanvas(can))-can.Max.X)
	}
	cans := align(right + over)
	// The legends start a gap right of the data and its tick labels (which
	// can end short of the plot's edge: gonum places a log axis's label as
	// if the axis were linear, and pads the data area for it).
	out := make([]geometry, len(panels))
	var legX vg.Length
	for i, pn := range panels {
		out[i] = geometry{plot: cans[i][0].Rectangle, data: pn.p.DataCanvas(cans[i][0]).Rectangle, split: splits[i]}
		legX = max(legX, out[i].data.Max.X, labelsRight(pn.p, draw.Canvas{Rectangle: out[i].data}))
	}
	legX += legendGap
	for i, pn := range panels {
		if len(pn.legend) == 0 {
			continue
		}
		g := &out[i]
		x, top := legX, g.data.Max.Y
		bottom := top - legendRow()*vg.Length(splits[i][0])
		for _, w := range columnWidths(pn.legend, splits[i]) {
			g.columns = append(g.columns, vg.Rectangle{Min: vg.Point{X: x, Y: bottom}, Max: vg.Point{X: x + w, Y: top}})
			x += w + legendColGap
		}
		g.legend = vg.Rectangle{Min: g.columns[0].Min, Max: vg.Point{X: g.columns[len(g.columns)-1].Max.X, Y: top}}
	}
	return out
}

// labelsRight is where the labels of p's x ticks end on the right, given
// its data area (0 for rotated labels, which end left of their tick).
func labelsRight(p *plot.Plot, data draw.Canvas) vg.Length {
	if p.X.Tick.Label.Rotation != 0 {
		return 0
	}
	var right vg.Length
	for _, t := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		if t.Label != "" {
			right = max(right, data.X(p.X.Norm(t.Value))+p.X.Tick.Label.Width(t.Label)/2)
		}
	}
	return right
}

// drawPanels draws panels on c as layout places them. Legends are drawn
// here rather than by gonum's Legend, whose text sits at offsets of its
// own: each row is a line of text, its line or marker centred beside it.
func drawPanels(c draw.Canvas, panels []panel) {
	face := legendFace()
	ext := face.Extents()
	for i, g := range layout(c, panels) {
		pn := panels[i]
		pn.p.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: g.plot})
		k := 0
		for j, n := range g.split {
			col := g.columns[j]
			for r, e := range pn.legend[k : k+n] {
				top := col.Max.Y - legendRow()*vg.Length(r)
				baseline := top - ext.Ascent
				icon := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
					Min: vg.Point{X: col.Min.X, Y: baseline - ext.Descent},
					Max: vg.Point{X: col.Min.X + thumbWidth, Y: top}}}
				for _, th := range e.thumbs {
					th.Thumbnail(&icon)
				}
				c.SetColor(color.Black)
				c.FillString(face, vg.Point{X: col.Min.X + thumbWidth + face.Width(" "), Y: baseline}, e.label)
			}
			k += n
		}
	}
}

// figure is a Figure of stacked panels, each height tall.
func figure(w, height vg.Length, panels ...panel) Figure {
	return Figure{W: w, H: height * vg.Length(len(panels)), Draw: func(c draw.Canvas) { drawPanels(c, panels) },
		panels: panels, panelH: height}
}

// Stack puts figures of this package one above the other as one figure
// (a multi-panel figure): their panels laid out together, so that their
// data areas and legends line up, each as tall as the tallest and as wide
// as the widest figure.
func Stack(figs ...Figure) Figure {
	var w, h vg.Length
	var panels []panel
	for _, f := range figs {
		w, h = max(w, f.W), max(h, f.panelH)
		panels = append(panels, f.panels...)
	}
	return figure(w, h, panels...)
}
