package plot

import (
	"image"
	"image/color"
	"math"
	"testing"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// recorder is a canvas that keeps what a figure draws, in canvas
// coordinates: the tests check the real drawing, not the constants it was
// made from.
type recorder struct {
	w, h    vg.Length
	state   []penState
	strokes []stroke
	texts   []drawnText
}

type affine struct{ a, b, c, d, e, f float64 } // x' = a x + c y + e, y' = b x + d y + f

func (m affine) apply(p vg.Point) vg.Point {
	x, y := float64(p.X), float64(p.Y)
	return vg.Point{X: vg.Length(m.a*x + m.c*y + m.e), Y: vg.Length(m.b*x + m.d*y + m.f)}
}

// then is m followed, in the drawing's local frame, by n.
func (m affine) then(n affine) affine {
	return affine{
		a: m.a*n.a + m.c*n.b, b: m.b*n.a + m.d*n.b,
		c: m.a*n.c + m.c*n.d, d: m.b*n.c + m.d*n.d,
		e: m.a*n.e + m.c*n.f + m.e, f: m.b*n.e + m.d*n.f + m.f,
	}
}

type penState struct {
	m      affine
	color  color.Color
	width  vg.Length
	dashed bool
}

type stroke struct {
	color  color.Color
	width  vg.Length
	dashed bool
	pts    []vg.Point
}

type drawnText struct {
	text string
	box  vg.Rectangle // the text's extent: its advance width, ascent and descent
}

func newRecorder(f Figure) (*recorder, draw.Canvas) {
	r := &recorder{w: f.W, h: f.H, state: []penState{{m: affine{a: 1, d: 1}, color: color.Black}}}
	return r, draw.New(r)
}

// record draws f on a new recorder.
func record(f Figure) *recorder {
	r, c := newRecorder(f)
	f.Draw(c)
	return r
}

func (r *recorder) top() *penState                         { return &r.state[len(r.state)-1] }
func (r *recorder) Size() (vg.Length, vg.Length)           { return r.w, r.h }
func (r *recorder) SetLineWidth(w vg.Length)               { r.top().width = w }
func (r *recorder) SetLineDash(d []vg.Length, _ vg.Length) { r.top().dashed = len(d) > 0 }
func (r *recorder) SetColor(c color.Color)                 { r.top().color = c }
func (r *recorder) Push()                                  { r.state = append(r.state, *r.top()) }
func (r *recorder) Pop()                                   { r.state = r.state[:len(r.state)-1] }
func (r *recorder) Fill(vg.Path)                           {}
func (r *recorder) DrawImage(vg.Rectangle, image.Image)    {}

func (r *recorder) Rotate(rad float64) {
	s, c := math.Sincos(rad)
	r.top().m = r.top().m.then(affine{a: c, b: s, c: -s, d: c})
}

func (r *recorder) Translate(p vg.Point) {
	r.top().m = r.top().m.then(affine{a: 1, d: 1, e: float64(p.X), f: float64(p.Y)})
}

func (r *recorder) Scale(x, y float64) { r.top().m = r.top().m.then(affine{a: x, d: y}) }

func (r *recorder) Stroke(p vg.Path) {
	st := r.top()
	s := stroke{color: st.color, width: st.width, dashed: st.dashed}
	for _, c := range p {
		if c.Type == vg.MoveComp || c.Type == vg.LineComp {
			s.pts = append(s.pts, st.m.apply(c.Pos))
		}
	}
	r.strokes = append(r.strokes, s)
}

func (r *recorder) FillString(f font.Face, p vg.Point, text string) {
	e := f.Extents()
	m := r.top().m
	corners := []vg.Point{
		m.apply(vg.Point{X: p.X, Y: p.Y - e.Descent}), m.apply(vg.Point{X: p.X + f.Width(text), Y: p.Y - e.Descent}),
		m.apply(vg.Point{X: p.X, Y: p.Y + e.Ascent}), m.apply(vg.Point{X: p.X + f.Width(text), Y: p.Y + e.Ascent}),
	}
	box := vg.Rectangle{Min: corners[0], Max: corners[0]}
	for _, c := range corners[1:] {
		box.Min.X, box.Min.Y = min(box.Min.X, c.X), min(box.Min.Y, c.Y)
		box.Max.X, box.Max.Y = max(box.Max.X, c.X), max(box.Max.Y, c.Y)
	}
	r.texts = append(r.texts, drawnText{text, box})
}

// tolerance absorbs rounding in the geometry checks, in points.
const tolerance = 0.01

func inside(in, out vg.Rectangle) bool {
	return in.Min.X >= out.Min.X-tolerance && in.Min.Y >= out.Min.Y-tolerance &&
		in.Max.X <= out.Max.X+tolerance && in.Max.Y <= out.Max.Y+tolerance
}

// shrink pulls a text's box in by half a point on each side: the ascent
// and descent of neighbouring lines may touch.
func shrink(r vg.Rectangle) vg.Rectangle {
	const d = 0.5
	return vg.Rectangle{Min: vg.Point{X: r.Min.X + d, Y: r.Min.Y + d}, Max: vg.Point{X: r.Max.X - d, Y: r.Max.Y - d}}
}

func pointIn(p vg.Point, r vg.Rectangle) bool {
	return inside(vg.Rectangle{Min: p, Max: p}, r)
}

func overlap(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X && b.Min.X < a.Max.X && a.Min.Y < b.Max.Y && b.Min.Y < a.Max.Y
}

// legendColors maps each legend label of a panel to the colour of the
// line drawn beside it: the stroke in the legend whose middle is level
// with the label's text.
func (r *recorder) legendColors(t *testing.T, g geometry) map[string]color.Color {
	t.Helper()
	out := map[string]color.Color{}
	for _, tx := range r.texts {
		if !inside(tx.box, g.legend) {
			continue
		}
		for _, s := range r.strokes {
			// A line sample (two points) or a scatter glyph's outline: in
			// the legend, left of the label, level with it.
			lo, hi := vg.Length(math.Inf(1)), vg.Length(math.Inf(-1))
			left := true
			for _, p := range s.pts {
				lo, hi = min(lo, p.Y), max(hi, p.Y)
				left = left && p.X < tx.box.Min.X
			}
			if len(s.pts) >= 2 && pointIn(s.pts[0], g.legend) && left && hi > tx.box.Min.Y && lo < tx.box.Max.Y {
				out[tx.text] = s.color
				break
			}
		}
		if out[tx.text] == nil {
			t.Errorf("legend label %q has no line beside it", tx.text)
		}
	}
	return out
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}

func geometryOf(t *testing.T, f Figure) []geometry {
	t.Helper()
	if len(f.panels) == 0 {
		t.Fatal("figure has no panels")
	}
	_, c := newRecorder(f)
	return layout(c, f.panels)
}
