package plot

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/internal/atomicfile"
)

// checkPNG decodes path and checks its size and that it is not blank:
// at least 2 % of the pixels differ from white (axes, text and lines).
func checkPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("%s: %dx%d pixels, want %dx%d", path, b.Dx(), b.Dy(), w, h)
	}
	if frac := inked(img); frac < 0.02 {
		t.Errorf("%s: only %.2f %% of pixels are not white", path, 100*frac)
	}
}

func inked(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

func write(t *testing.T, name string, f Figure) string {
	t.Helper()
	prefix := filepath.Join(t.TempDir(), name)
	files, err := Stage(prefix, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.CommitAll(files...); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(prefix + ".pdf"); err != nil || st.Size() < 1000 {
		t.Errorf("%s.pdf missing or tiny: %v", prefix, err)
	}
	return prefix + ".png"
}

func TestFigures(t *testing.T) {
	ci := func(m float64) stats.CI { return stats.CI{Mean: m, Lo: 0.8 * m, Hi: 1.2 * m, N: 5} }
	cdf, err := CDF("recovery", "recovery time (ms)", []Series{
		{Label: "random", Values: []float64{5, 20, 100, 400, 2000}},
		{Label: "static", Values: []float64{50, 60, 700, 900}},
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	bars, err := Bars("unwritable", "Unwritable frac.", []Bar{{Label: "random", CI: ci(0.4)}, {Label: "static", CI: ci(0.05)}, {Label: "none", CI: stats.CI{Mean: math.NaN()}}})
	if err != nil {
		t.Fatal(err)
	}
	arms, err := Arms("arms", []ArmPanel{
		{Label: "a", BinS: []float64{0, 1, 2}, BinLen: 1, Arms: []int64{0, 1}, Frac: [][]float64{{0.2, 0.5, math.NaN()}, {0.8, 0.5, math.NaN()}}},
		{Label: "b", BinS: []float64{0, 1}, BinLen: 1, Arms: []int64{2}, Frac: [][]float64{{1, 1}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	sens, err := Sensitivity("sens", "max_ms", "Recovery mean (ms)", []Curve{{Label: "random", X: []float64{300, 600, 900}, CI: []stats.CI{ci(4000), ci(700), ci(600)}}})
	if err != nil {
		t.Fatal(err)
	}
	lines, err := Lines("lines", "time (s)", "ms", []Line{{Label: "random", X: []float64{1, 2, 3}, Y: []float64{5, math.NaN(), 7}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		fig  Figure
		w, h int
	}{
		{"cdf", cdf, 1200, 600}, {"bars", bars, 900, 600}, {"arms", arms, 1200, 660}, {"sens", sens, 1200, 600},
		{"lines", lines, 1200, 390}, {"stacked", Stack(cdf, sens), 1200, 1200},
	} {
		if w, h := c.fig.Pixels(); w != c.w || h != c.h {
			t.Errorf("%s: Pixels() = %dx%d, want %dx%d", c.name, w, h, c.w, c.h)
		}
		checkPNG(t, write(t, c.name, c.fig), c.w, c.h)
	}
}

func TestNothingToPlot(t *testing.T) {
	if _, err := CDF("x", "x", []Series{{Label: "a"}}, true); err == nil {
		t.Error("CDF of nothing did not fail")
	}
	if _, err := Bars("x", "x", nil); err == nil {
		t.Error("Bars of nothing did not fail")
	}
	if _, err := Arms("x", nil); err == nil {
		t.Error("Arms of nothing did not fail")
	}
	if _, err := Sensitivity("x", "x", "y", []Curve{{Label: "a", X: []float64{1}, CI: []stats.CI{{Mean: math.NaN()}}}}); err == nil {
		t.Error("Sensitivity of nothing did not fail")
	}
	if _, err := Lines("x", "x", "y", []Line{{Label: "a", X: []float64{1}, Y: []float64{0}}}, true); err == nil {
		t.Error("Lines of nothing (0 on a log axis) did not fail")
	}
}

// TestArmLabels: arms are named as docs/policies.md names them, counted
// from 1, with the range (or factor) of the arm set the policy used.
func TestArmLabels(t *testing.T) {
	for _, c := range []struct {
		arm  Arm
		want string
	}{
		{Arm{Name: "A1", LoMS: 150, HiMS: 300}, "A1 [150, 300) ms"},
		{Arm{Name: "A2", LoMS: 224.5, HiMS: 225.5}, "A2 [224.5, 225.5) ms"},
		{Arm{Name: "A8", LoMS: 1000, HiMS: 1000}, "A8 1000 ms"},
		{Arm{Name: "R1", Factor: 0.5}, "R1 ×0.5"},
	} {
		if got := c.arm.label(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.arm, got, c.want)
		}
	}
	// Drawn: with the set's description, and without one (1-based).
	frac := [][]float64{{1, 0}, {0, 1}}
	f, err := Arms("", []ArmPanel{
		{Label: "known", BinS: []float64{0, 1}, BinLen: 1, Arms: []int64{0, 2}, Frac: frac,
			Info: []Arm{{Name: "A1", LoMS: 150, HiMS: 300}, {Name: "A3", LoMS: 600, HiMS: 1200}}},
		{Label: "unknown", BinS: []float64{0, 1}, BinLen: 1, Arms: []int64{0, 2}, Frac: frac},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := record(f)
	geo := geometryOf(t, f)
	for i, want := range [][]string{{"A1 [150, 300) ms", "A3 [600, 1200) ms"}, {"A1", "A3"}} {
		got := r.legendColors(t, geo[i])
		if len(got) != len(want) {
			t.Errorf("panel %d: legend %v, want %v", i, got, want)
		}
		for _, w := range want {
			if got[w] == nil {
				t.Errorf("panel %d: no legend entry %q (have %v)", i, w, got)
			}
		}
	}
}

// TestFiguresAreReproducible draws every kind of figure twice: both files
// must be byte-identical, and the PDF must carry the fixed date, not the
// wall clock (fpdf stamps time.Now() unless told otherwise, so two
// drawings a second apart used to differ).
func TestFiguresAreReproducible(t *testing.T) {
	files := func(name string, f Figure) (png, pdf []byte) {
		prefix := strings.TrimSuffix(write(t, name, f), ".png")
		png, err := os.ReadFile(prefix + ".png")
		if err != nil {
			t.Fatal(err)
		}
		if pdf, err = os.ReadFile(prefix + ".pdf"); err != nil {
			t.Fatal(err)
		}
		return png, pdf
	}
	first, second := figures(t), figures(t)
	for name := range first {
		png1, pdf1 := files(name, first[name])
		png2, pdf2 := files(name, second[name])
		if !bytes.Equal(png1, png2) {
			t.Errorf("%s: PNG differs between two drawings of the same figure", name)
		}
		if !bytes.Equal(pdf1, pdf2) {
			t.Errorf("%s: PDF differs between two drawings of the same figure", name)
		}
		want := "D:" + pdfDate.Format("20060102150405")
		if n := bytes.Count(pdf1, []byte(want)); n != 2 {
			t.Errorf("%s: PDF has %d dates %s, want 2 (creation and modification)", name, n, want)
		}
	}
}
