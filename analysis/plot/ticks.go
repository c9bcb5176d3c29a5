package plot

import (
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
)

// minLabels is the fewest labelled ticks an axis gets (NiceTicks give at
// least four on any range wider than zero); maxLogLabels the most powers
// of ten a log axis labels (every other power over more than seven
// decades, and so on).
const (
	minLabels    = 3
	maxLogLabels = 8
)

// NiceTicks label the multiples of a round step, 1, 2, 2.5 or 5 times a
// power of ten: the largest such step that gives at least four labels,
// so four to eight (gonum's default ticks can start at an odd offset, 250,
// 1250, 2250, and leave a short axis one label). Labels are in the
// shortest form ("5000", not "5000.00"), with unlabelled minor ticks
// between.
type NiceTicks struct{}

// niceSteps are the mantissas of a step, largest first, with the minor
// ticks per step.
var niceSteps = []struct {
	m     float64
	minor int
}{{5, 5}, {2.5, 5}, {2, 4}, {1, 5}}

// Ticks implements plot.Ticker.
func (NiceTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) || math.IsInf(max-min, 0) {
		return []plot.Tick{{Value: min, Label: strconv.FormatFloat(min, 'g', 6, 64)}}
	}
	step, minor, decimals := niceStep(min, max)
	sub := step / float64(minor)
	var ts []plot.Tick
	for k := math.Ceil(min/sub - 1e-9); k <= math.Floor(max/sub+1e-9); k++ {
		t := plot.Tick{Value: k * sub}
		if t.Value == 0 {
			t.Value = 0 // not -0, which prints as "-0.00"
		}
		if math.Mod(k, float64(minor)) == 0 {
			t.Label = strconv.FormatFloat(t.Value, 'f', decimals, 64)
		}
		ts = append(ts, t)
	}
	return ts
}

// niceStep is the largest round step with at least four multiples in
// [lo, hi], its minor ticks and the decimals its labels need.
func niceStep(lo, hi float64) (step float64, minor, decimals int) {
	top := math.Floor(math.Log10(hi-lo)) + 1
	for e := top; ; e-- {
		for _, s := range niceSteps {
			step = s.m * math.Pow(10, e)
			if math.Floor(hi/step+1e-9)-math.Ceil(lo/step-1e-9) >= 3 {
				decimals = -int(e)
				if s.m == 2.5 {
					decimals++
				}
				return step, s.minor, max(decimals, 0)
			}
		}
	}
}

// LogTicks label a log axis with 1, 2 and 5 times each power of ten
// (gonum's LogTicks label only the powers, which leaves a range narrower
// than a decade one label or none); over more than three decades, where
// those collide, the powers only (at most maxLogLabels). Where 1-2-5
// gives fewer than minLabels labels: 1, 2, 3 and 5 times, then (within a
// factor of two) every multiple of a power, else the round steps of
// NiceTicks. Minor ticks sit at the multiples.
type LogTicks struct{}

// Ticks implements plot.Ticker.
func (LogTicks) Ticks(min, max float64) []plot.Tick {
	if min <= 0 || !(max > min) {
		return NiceTicks{}.Ticks(min, max)
	}
	type mark struct{ digit, exp int } // a tick at digit x 10^exp
	var ts []plot.Tick
	var marks []mark
	for e := math.Floor(math.Log10(min)); math.Pow(10, e) <= max; e++ {
		for m := 1; m < 10; m++ {
			if v := float64(m) * math.Pow(10, e); v >= min && v <= max {
				ts, marks = append(ts, plot.Tick{Value: v}), append(marks, mark{m, int(e)})
			}
		}
	}
	digits := func(ds ...int) func(mark) bool {
		return func(m mark) bool { return slices.Contains(ds, m.digit) }
	}
	// Label rules from the sparsest: 1-2-5, then with 3 (a range of a few
	// times, 25 to 150, has only 50 and 100 in 1-2-5), then, within a
	// factor of two, where they stay apart, every digit.
	rules := []func(mark) bool{digits(1, 2, 5), digits(1, 2, 3, 5)}
	switch decades := math.Log10(max / min); {
	case decades > 3:
		stride := int(math.Ceil((decades + 1) / maxLogLabels))
		rules = []func(mark) bool{func(m mark) bool { return m.digit == 1 && (m.exp%stride+stride)%stride == 0 }}
	case decades < math.Log10(2):
		rules = append(rules, digits(1, 2, 3, 4, 5, 6, 7, 8, 9))
	}
	for _, rule := range rules {
		if n := len(slices.DeleteFunc(slices.Clone(marks), func(m mark) bool { return !rule(m) })); n < minLabels {
			continue
		}
		for i, m := range marks {
			if rule(m) {
				ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', -1, 64)
			}
		}
		return ts
	}
	return NiceTicks{}.Ticks(min, max)
}
