// The PDF canvas is adapted from gonum's vg/vgpdf (gonum.org/v1/plot
// v0.17.0, Copyright ©2015 The Gonum Authors, BSD licence). It differs in
// one thing: fonts are embedded as UTF-8 TrueType subsets (fpdf's
// AddUTF8FontFromBytes: Identity-H encoding with a ToUnicode map) where
// vgpdf embeds them with the cp1252 code page and writes the UTF-8 bytes
// of the text as they are, so that every PDF showed "fraction ≤ x" as
// "fraction â‰¤ x" and a glyph outside cp1252 could not be drawn at all.

package plot

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"codeberg.org/go-pdf/fpdf"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// pdfDPI is the resolution of PDF user space: 1 unit = 1 point.
const pdfDPI = 72

// pdfCanvas implements vg.Canvas on one PDF page.
type pdfCanvas struct {
	doc   *fpdf.Fpdf
	w, h  vg.Length
	stack []vg.Length // the line width of each pushed state
	fonts map[string]bool
	image int // images drawn so far, for their names
}

func newPDF(w, h vg.Length) *pdfCanvas {
	c := &pdfCanvas{
		doc:   fpdf.NewCustom(&fpdf.InitType{UnitStr: "pt", Size: fpdf.SizeType{Wd: w.Points(), Ht: h.Points()}}),
		w:     w,
		h:     h,
		stack: make([]vg.Length, 1),
		fonts: map[string]bool{},
	}
	c.doc.SetMargins(0, 0, 0)
	c.doc.SetAutoPageBreak(false, 0)
	c.doc.AddPage()
	// vg's origin is the bottom left corner, fpdf's the top left.
	c.Push()
	c.Translate(vg.Point{X: 0, Y: h})
	c.Scale(1, -1)
	vg.Initialize(c)
	return c
}

func (c *pdfCanvas) unit(l vg.Length) float64 { return l.Dots(pdfDPI) }

func (c *pdfCanvas) Size() (vg.Length, vg.Length) { return c.w, c.h }

func (c *pdfCanvas) SetLineWidth(w vg.Length) {
	c.stack[len(c.stack)-1] = w
	c.doc.SetLineWidth(c.unit(w))
}

func (c *pdfCanvas) SetLineDash(dashes []vg.Length, offs vg.Length) {
	ds := make([]float64, len(dashes))
	for i, d := range dashes {
		ds[i] = c.unit(d)
	}
	c.doc.SetDashPattern(ds, c.unit(offs))
}

func (c *pdfCanvas) SetColor(clr color.Color) {
	if clr == nil {
		clr = color.Black
	}
	r, g, b, a := clr.RGBA()
	// Colours are alpha-premultiplied; PDF takes them straight.
	if a > 0 && a < math.MaxUint16 {
		r, g, b = r*math.MaxUint16/a, g*math.MaxUint16/a, b*math.MaxUint16/a
	}
	ri, gi, bi := int(r>>8), int(g>>8), int(b>>8)
	c.doc.SetFillColor(ri, gi, bi)
	c.doc.SetDrawColor(ri, gi, bi)
	c.doc.SetTextColor(ri, gi, bi)
	c.doc.SetAlpha(float64(a)/math.MaxUint16, "Normal")
}

func (c *pdfCanvas) Rotate(rad float64) { c.doc.TransformRotate(-rad*180/math.Pi, 0, 0) }

func (c *pdfCanvas) Translate(pt vg.Point) {
	c.doc.TransformTranslate(c.unit(pt.X), c.unit(pt.Y))
}

func (c *pdfCanvas) Scale(x, y float64) { c.doc.TransformScale(x*100, y*100, 0, 0) }

func (c *pdfCanvas) Push() {
	c.stack = append(c.stack, c.stack[len(c.stack)-1])
	c.doc.TransformBegin()
}

func (c *pdfCanvas) Pop() {
	c.doc.TransformEnd()
	c.stack = c.stack[:len(c.stack)-1]
}

func (c *pdfCanvas) Stroke(p vg.Path) {
	if c.stack[len(c.stack)-1] > 0 {
		c.path(p, "D")
	}
}

func (c *pdfCanvas) Fill(p vg.Path) { c.path(p, "F") }

// FillString draws text with its baseline starting at pt.
func (c *pdfCanvas) FillString(f font.Face, pt vg.Point, text string) {
	if f.Font.Size == 0 {
		return
	}
	name := f.Name()
	if !c.fonts[name] {
		var raw bytes.Buffer
		if _, err := f.Face.WriteSourceTo(nil, &raw); err != nil {
			c.doc.SetError(fmt.Errorf("font %s: %w", name, err))
			return
		}
		c.doc.AddUTF8FontFromBytes(name, "", raw.Bytes())
		c.fonts[name] = true
	}
	c.doc.SetFont(name, "", c.unit(f.Font.Size))
	c.Push()
	defer c.Pop()
	c.Translate(pt)
	c.Scale(1, -1) // text upright in fpdf's top-down space
	// The cell's bottom is the baseline ("BL"); its top sits an ascent
	// above (the font's ascent over its ascent + descent, as vgpdf).
	_, h := c.doc.GetFontSize()
	top := -0.81 * h
	if d := c.doc.GetFontDesc(name, ""); d.Ascent != 0 {
		top = -float64(d.Ascent) * h / float64(d.Ascent-d.Descent)
	}
	c.doc.MoveTo(-c.doc.GetCellMargin(), top)
	c.doc.CellFormat(c.doc.GetStringWidth(text), h, text, "", 0, "BL", false, 0, "")
}

func (c *pdfCanvas) DrawImage(rect vg.Rectangle, img image.Image) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		c.doc.SetError(err)
		return
	}
	c.image++
	name := fmt.Sprintf("image_%03d.png", c.image)
	opts := fpdf.ImageOptions{ImageType: "png", ReadDpi: true}
	c.doc.RegisterImageOptionsReader(name, opts, &buf)
	size := rect.Size()
	c.doc.ImageOptions(name, c.unit(rect.Min.X), c.unit(rect.Min.Y), c.unit(size.X), c.unit(size.Y), false, opts, 0, "")
}

func (c *pdfCanvas) path(p vg.Path, style string) {
	var x0, y0 float64 // the current subpath's start
	for _, comp := range p {
		switch comp.Type {
		case vg.MoveComp:
			x0, y0 = c.unit(comp.Pos.X), c.unit(comp.Pos.Y)
			c.doc.MoveTo(x0, y0)
		case vg.LineComp:
			c.doc.LineTo(c.unit(comp.Pos.X), c.unit(comp.Pos.Y))
		case vg.ArcComp:
			c.arc(comp)
		case vg.CurveComp:
			px, py := c.unit(comp.Pos.X), c.unit(comp.Pos.Y)
			switch len(comp.Control) {
			case 1:
				c.doc.CurveTo(c.unit(comp.Control[0].X), c.unit(comp.Control[0].Y), px, py)
			case 2:
				c.doc.CurveBezierCubicTo(c.unit(comp.Control[0].X), c.unit(comp.Control[0].Y),
					c.unit(comp.Control[1].X), c.unit(comp.Control[1].Y), px, py)
			default:
				panic("plot: a curve with more than two control points")
			}
		case vg.CloseComp:
			c.doc.LineTo(x0, y0)
			c.doc.ClosePath()
		default:
			panic(fmt.Sprintf("plot: unknown path component %d", comp.Type))
		}
	}
	c.doc.DrawPath(style)
}

// arc continues the path along a circular arc (vgpdf drew each arc as a
// separate stroke, rotated by its own angle).
func (c *pdfCanvas) arc(comp vg.PathComp) {
	const deg = 180 / math.Pi
	r := c.unit(comp.Radius)
	beg := comp.Start * deg
	c.doc.ArcTo(c.unit(comp.Pos.X), c.unit(comp.Pos.Y), r, r, 0, beg, beg+comp.Angle*deg)
}

// WriteTo writes the document; the canvas is finished afterwards.
func (c *pdfCanvas) WriteTo(w io.Writer) (int64, error) {
	c.Pop()
	c.doc.Close()
	wc := &countingWriter{w: w}
	b := bufio.NewWriter(wc)
	if err := c.doc.Output(b); err != nil {
		return wc.n, err
	}
	err := b.Flush()
	return wc.n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.n += int64(n)
	return n, err
}
