package metrics

import (
	"slices"

	"github.com/ballast-bench/ballast/analysis/stats"
)

// safety tracks the nodes' stays in forced-safe mode and the time during
// which two or three of them overlap (docs/metrics.md, "Safety
// cooldown").
type safety struct {
	inSafe   []bool
	startUS  []int64 // per node, the start of its current episode
	n        int     // nodes in safe mode now
	lastUS   int64   // the last change of n
	overlap2 int64   // time with n >= 2
	overlap3 int64   // time with n >= 3
	episodes []SafetyEpisode
}

func newSafety(n int) safety {
	return safety{inSafe: make([]bool, n), startUS: make([]int64, n)}
}

// change accounts the overlap time up to t, then changes the count of
// nodes in safe mode by delta.
func (s *safety) change(t int64, delta int) {
	if s.n >= 2 {
		s.overlap2 += t - s.lastUS
	}
	if s.n >= 3 {
		s.overlap3 += t - s.lastUS
	}
	s.lastUS = t
	s.n += delta
}

// enter processes node nd's safety_enter row; entering twice is one
// episode.
func (s *safety) enter(t int64, nd int) {
	if !s.inSafe[nd] {
		s.change(t, +1)
		s.inSafe[nd], s.startUS[nd] = true, t
	}
}

// exit processes node nd's safety_exit row.
func (s *safety) exit(t int64, nd int) {
	if s.inSafe[nd] {
		s.change(t, -1)
		s.inSafe[nd] = false
		s.episodes = append(s.episodes, SafetyEpisode{Node: int64(nd), StartUS: s.startUS[nd], EndUS: t, DurationUS: t - s.startUS[nd]})
	}
}

// finish cuts the episodes still open at end and fills in the run's
// episodes and safety metrics.
func (s *safety) finish(run *Run, end int64, id string) {
	r := &run.Row
	s.change(end, 0)
	for nd, in := range s.inSafe {
		if in {
			s.episodes = append(s.episodes, SafetyEpisode{Node: int64(nd), StartUS: s.startUS[nd], EndUS: end, DurationUS: end - s.startUS[nd], Censored: true})
			r.SafetyCensored++
		}
	}
	slices.SortStableFunc(s.episodes, func(a, b SafetyEpisode) int {
		if a.StartUS != b.StartUS {
			return cmpInt(a.StartUS, b.StartUS)
		}
		return cmpInt(a.Node, b.Node)
	})
	var dur []float64
	for i := range s.episodes {
		s.episodes[i].RunID = id
		dur = append(dur, float64(s.episodes[i].DurationUS))
	}
	run.Safety = s.episodes
	r.SafetyEpisodes = int64(len(s.episodes))
	r.SafetyMeanUS = stats.Mean(dur)
	r.SafetyOverlap2Frac = float64(s.overlap2) / float64(end)
	r.SafetyOverlap3Frac = float64(s.overlap3) / float64(end)
}
