package plot

import (
	"fmt"
	"math"
	"strconv"
	"testing"

	"gonum.org/v1/plot"
)

func labelled(ts []plot.Tick) []plot.Tick {
	var out []plot.Tick
	for _, t := range ts {
		if t.Label != "" {
			out = append(out, t)
		}
	}
	return out
}

// ranges are axis ranges of every order of magnitude and position.
func ranges() [][2]float64 {
	var out [][2]float64
	for _, lo := range []float64{-7, -0.3, 0, 1e-4, 0.02, 1, 1.4, 10, 25, 150, 400, 550, 600, 2000, 1e5} {
		for _, width := range []float64{1e-3, 0.02, 0.5, 1, 3, 7.5, 40, 130, 900, 2330, 1e4, 3e6} {
			out = append(out, [2]float64{lo, lo + width})
		}
	}
	return out
}

// TestNiceTicks: four to eight labels on every range, at multiples of a
// round step (1, 2, 2.5 or 5 times a power of ten) inside the range, each
// label the value it marks in the shortest form.
func TestNiceTicks(t *testing.T) {
	for _, r := range ranges() {
		ls := labelled(NiceTicks{}.Ticks(r[0], r[1]))
		name := fmt.Sprintf("[%g, %g]", r[0], r[1])
		if len(ls) < 4 || len(ls) > 8 {
			t.Errorf("%s: %d labels, want 4 to 8: %v", name, len(ls), ls)
			continue
		}
		// The step, rid of the rounding of the values it came from.
		step := ls[1].Value - ls[0].Value
		e := math.Floor(math.Log10(step) + 1e-9)
		m := math.Round(step/math.Pow(10, e)*1e6) / 1e6
		step = m * math.Pow(10, e)
		if m != 1 && m != 2 && m != 2.5 && m != 5 {
			t.Errorf("%s: step %g is not 1, 2, 2.5 or 5 times a power of ten", name, step)
		}
		for i, l := range ls {
			v, err := strconv.ParseFloat(l.Label, 64)
			if err != nil || math.Abs(v-l.Value) > step*1e-6 || math.Abs(v/step-math.Round(v/step)) > 1e-6*max(1, math.Abs(v/step)) {
				t.Errorf("%s: label %q at %g is not a multiple of %g", name, l.Label, l.Value, step)
			}
			if l.Value < r[0]-step*1e-9 || l.Value > r[1]+step*1e-9 {
				t.Errorf("%s: label %q outside the range", name, l.Label)
			}
			if i > 0 && math.Abs(l.Value-ls[i-1].Value-step) > step*1e-6 {
				t.Errorf("%s: uneven labels %v", name, ls)
			}
			if l.Label == "-0" || l.Label[0] == '-' && v == 0 {
				t.Errorf("%s: label %q", name, l.Label)
			}
		}
	}
	// Dynatune Figures 6 and 7's time axes used to be labelled 250, 1250,
	// 2250.
	var got []string
	for _, l := range labelled(NiceTicks{}.Ticks(10, 2340)) {
		got = append(got, l.Label)
	}
	if fmt.Sprint(got) != "[500 1000 1500 2000]" {
		t.Errorf("[10, 2340]: labels %v, want [500 1000 1500 2000]", got)
	}
}

// TestLogTicks: at least three labels on every positive range, apart by
// at least a tenth of the axis (a line of text on a short panel; 1-2-5
// over three decades puts 1 and 2 just that far apart).
func TestLogTicks(t *testing.T) {
	worst := 1.0
	for _, r := range ranges() {
		if r[0] <= 0 {
			continue
		}
		ls := labelled(LogTicks{}.Ticks(r[0], r[1]))
		name := fmt.Sprintf("[%g, %g]", r[0], r[1])
		if len(ls) < minLabels {
			t.Errorf("%s: %d labels, want at least %d: %v", name, len(ls), minLabels, ls)
		}
		span := math.Log10(r[1] / r[0])
		for i := 1; i < len(ls); i++ {
			gap := math.Log10(ls[i].Value/ls[i-1].Value) / span
			worst = math.Min(worst, gap)
			if gap < 0.0999 {
				t.Errorf("%s: labels %s and %s are %.2f of the axis apart", name, ls[i-1].Label, ls[i].Label, gap)
			}
		}
	}
	t.Logf("closest labels: %.2f of the axis", worst)
}
