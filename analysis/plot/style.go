package plot

import (
	"hash/fnv"
	"image/color"
	"maps"
	"slices"
	"strings"

	"gonum.org/v1/plot/vg"
)

// A method keeps its colour in every figure: one palette keyed by method,
// so that bandit_safe is vermillion in a CDF, in a bar chart and in a
// sensitivity curve alike. The colours are those of Okabe and Ito (2008),
// designed to stay apart under the common colour-vision deficiencies,
// extended with Paul Tol's muted and high-contrast schemes and four of
// matplotlib's tab10 for the methods beyond them. Thirteen lines cannot all
// be told apart by hue alone, so each method also has a dash pattern,
// drawn when a figure has more than solidUpTo series; neighbours in hue
// (sky blue and cyan, green and teal, vermillion and rose) differ in dash.
type style struct {
	color color.RGBA
	dash  int // index into dashes
}

func rgb(hex uint32) color.RGBA {
	return color.RGBA{R: uint8(hex >> 16), G: uint8(hex >> 8), B: uint8(hex), A: 0xff}
}

// methodStyles are the methods of ballast's policies (the registry's names)
// and the variants the reproduced papers single out, by method key.
var methodStyles = map[string]style{
	// The reproduced papers' own methods, drawn thick (Emphasis).
	"bandit_safe": {rgb(0xD55E00), 0}, // vermillion
	"dynatune":    {rgb(0x0072B2), 0}, // blue
	// Standard Raft and the fixed ranges.
	"random":              {rgb(0x000000), 0}, // black
	"static":              {rgb(0xDDAA33), 2}, // gold
	"static_conservative": {rgb(0x999933), 1}, // olive
	// The adaptive baselines.
	"backoff":        {rgb(0x56B4E9), 0}, // sky blue
	"rtt_heuristic":  {rgb(0x009E73), 0}, // bluish green
	"phi_accrual":    {rgb(0xCC79A7), 0}, // reddish purple
	"quantile_decay": {rgb(0x332288), 1}, // indigo
	"dynatune_et":    {rgb(0xE69F00), 1}, // orange
	"dynatune_joint": {rgb(0x882255), 2}, // wine
	"neurosym":       {rgb(0x8C564B), 0}, // brown
	// BALLAST's siblings and the oracles.
	"bandit_qdecay":          {rgb(0x33BBEE), 1}, // cyan
	"bandit_ts_safe":         {rgb(0xCC6677), 1}, // rose
	"bandit_safe_ln":         {rgb(0xAA4499), 3}, // purple
	"oracle_hint":            {rgb(0x117733), 2}, // dark green
	"oracle_best_per_regime": {rgb(0x44AA99), 3}, // teal
	// The Dynatune paper's baselines: Raft is etcd's own timer (policy
	// etcd), dark grey; Raft-Low and Fix-K have their own colours.
	"etcd":           {rgb(0x4D4D4D), 0}, // dark grey
	"etcd/raft_low":  {rgb(0x9467BD), 1}, // lavender
	"dynatune/fix_k": {rgb(0xD62728), 0}, // red
	// Not a method: the RTT schedule of Dynatune Figure 6, a reference.
	"rtt": {rgb(0x7F7F7F), 0}, // grey
}

// spareColors take the methods the palette does not know, before any
// method's colour is borrowed: hues the palette leaves out.
var spareColors = []color.RGBA{rgb(0x7CAE00), rgb(0xE7298A), rgb(0x2F4F4F), rgb(0xA6761D)}

// dashes are the line patterns of style.dash.
var dashes = [][]vg.Length{
	nil,
	{vg.Points(6), vg.Points(3)},
	{vg.Points(1.5), vg.Points(2)},
	{vg.Points(6), vg.Points(2), vg.Points(1.5), vg.Points(2)},
}

// solidUpTo is how many series a figure draws solid: beyond it, the
// methods' dash patterns tell close colours apart.
const solidUpTo = 5

// policyOf is the policy of a method: the text before a variant
// ("bandit_safe/base" is bandit_safe) or a parameter list
// ("random{max_ms=450}" is random).
func policyOf(method string) string {
	if i := strings.IndexAny(method, "/{"); i > 0 {
		return method[:i]
	}
	return method
}

// styles returns a figure's series styles, one per method: each method's
// own style; then a method the palette lacks takes its policy's colour
// where the figure does not already use it (a variant of bandit_safe
// shown without bandit_safe itself is vermillion); the others take a
// spare colour chosen by a hash of the method's name, else the first
// colour the figure does not use. Only a figure with more series than
// colours repeats one, in another dash pattern.
// The result depends on the methods and their order only.
func styles(methods []string) []style {
	palette := slices.Clone(spareColors)
	for _, k := range slices.Sorted(maps.Keys(methodStyles)) {
		palette = append(palette, methodStyles[k].color)
	}
	used := map[color.RGBA]bool{}
	usedStyle := map[style]bool{}
	out := make([]style, len(methods))
	done := make([]bool, len(methods))
	for _, key := range []func(string) string{func(m string) string { return m }, policyOf} {
		for i, m := range methods {
			if s, ok := methodStyles[key(m)]; ok && !done[i] && !used[s.color] {
				out[i], used[s.color], usedStyle[s], done[i] = s, true, true, true
			}
		}
	}
	for i, m := range methods {
		if done[i] {
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(m))
		first := int(h.Sum32() % uint32(len(spareColors)))
		// The spares from the hashed one on, then the methods' colours.
		order := append(slices.Concat(palette[first:len(spareColors)], palette[:first]), palette[len(spareColors):]...)
		out[i] = style{color: order[0], dash: i % len(dashes)}
		if j := slices.IndexFunc(order, func(c color.RGBA) bool { return !used[c] }); j >= 0 {
			out[i].color = order[j]
		} else {
			// Every colour is taken: the first dash pattern not yet
			// drawn in the hashed one.
			for d := range dashes {
				if s := (style{order[0], d}); !usedStyle[s] {
					out[i] = s
					break
				}
			}
		}
		used[out[i].color], usedStyle[out[i]] = true, true
	}
	if len(methods) <= solidUpTo {
		for i := range out {
			out[i].dash = 0
		}
	}
	return out
}
