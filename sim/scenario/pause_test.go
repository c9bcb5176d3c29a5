package scenario

import (
	"slices"
	"strings"
	"testing"
)

const pauseBase = "name: x\ndescription: d\nnodes: 3\nduration_s: 60\nraft: {heartbeat_ms: 50}\nnetwork: {default: {base_delay_ms: 5}}\n"

// TestPauseValidation: bad pauses entries are rejected with one line
// naming the file, the line, the field and what is allowed.
func TestPauseValidation(t *testing.T) {
	cases := []struct {
		name, pauses, want string
	}{
		{"ok, every node", "pauses:\n  - gap: {dist: exponential, mean_ms: 2000}\n    duration: {dist: uniform, min_ms: 10, max_ms: 100}\n", ""},
		{"ok, two entries", "pauses:\n  - {nodes: [0], gap: {dist: constant, value_ms: 500}, duration: {dist: constant, value_ms: 20}}\n  - {nodes: [2, 1], gap: {dist: exponential, mean_ms: 900}, duration: {dist: exponential, mean_ms: 30}}\n", ""},
		{"ok, zero gap", "pauses:\n  - {nodes: [1], gap: {dist: constant, value_ms: 0}, duration: {dist: constant, value_ms: 20}}\n", ""},
		{"negative duration",
			"pauses:\n  - nodes: [0]\n    gap: {dist: exponential, mean_ms: 2000}\n    duration: {dist: constant, value_ms: -5}\n",
			"x.yaml:10: pauses[0].duration.value_ms: -5 is not allowed; allowed: a finite number >= 0"},
		{"negative gap",
			"pauses:\n  - nodes: [0]\n    gap: {dist: uniform, min_ms: -1, max_ms: 5}\n    duration: {dist: constant, value_ms: 5}\n",
			"x.yaml:9: pauses[0].gap.min_ms: -1 is not allowed; allowed: a finite number >= 0"},
		{"unknown node",
			"pauses:\n  - nodes: [0, 3]\n    gap: {dist: exponential, mean_ms: 2000}\n    duration: {dist: constant, value_ms: 5}\n",
			"x.yaml:8: pauses[0].nodes[1]: node 3 does not exist; allowed: a node index in [0, 2]"},
		{"empty node list",
			"pauses:\n  - nodes: []\n    gap: {dist: exponential, mean_ms: 2000}\n    duration: {dist: constant, value_ms: 5}\n",
			"x.yaml:8: pauses[0].nodes: empty; allowed: one or more node indices, or leave nodes out to pause every node"},
		{"missing gap",
			"pauses:\n  - nodes: [0]\n    duration: {dist: constant, value_ms: 5}\n",
			"x.yaml:8: pauses[0].gap: missing; allowed: a distribution of the time from the end of one pause to the start of the next"},
		{"missing duration",
			"pauses:\n  - nodes: [0]\n    gap: {dist: exponential, mean_ms: 2000}\n",
			"x.yaml:8: pauses[0].duration: missing; allowed: a distribution of the pause length"},
		{"missing dist",
			"pauses:\n  - nodes: [0]\n    gap: {mean_ms: 2000}\n    duration: {dist: constant, value_ms: 5}\n",
			"x.yaml:9: pauses[0].gap.dist: missing; allowed: constant, "},
		{"unknown field",
			"pauses:\n  - nodes: [0]\n    every: {dist: exponential, mean_ms: 2000}\n    duration: {dist: constant, value_ms: 5}\n",
			`x.yaml:9: pauses[0].every: unknown field "every"; allowed: nodes, gap, duration`},
		{"zero-length pauses",
			"pauses:\n  - nodes: [0]\n    gap: {dist: exponential, mean_ms: 2000}\n    duration: {dist: constant, value_ms: 0}\n",
			"x.yaml:10: pauses[0].duration: has mean 0 ms: no pause would last; allowed: a distribution with a mean > 0 ms"},
		{"too many pauses",
			"pauses:\n  - nodes: [0]\n    gap: {dist: constant, value_ms: 0.01}\n    duration: {dist: constant, value_ms: 0.01}\n",
			"x.yaml:9: pauses[0].gap: a run would inject about 6e+06 timeline events (6e+06 from here); allowed: at most 4000000 per run (fewer or rarer faults, a shorter run, or raise the limit with --max-events)"},
		{"same node twice in one entry",
			"pauses:\n  - nodes: [1, 1]\n    gap: {dist: exponential, mean_ms: 2000}\n    duration: {dist: constant, value_ms: 5}\n",
			"x.yaml:8: pauses[0].nodes[1]: node 1 already pauses at pauses[0].nodes[0]; allowed: each node in at most one pauses entry (its pauses must not overlap)"},
		{"overlapping entries",
			"pauses:\n  - nodes: [2]\n    gap: {dist: exponential, mean_ms: 2000}\n    duration: {dist: constant, value_ms: 5}\n  - gap: {dist: exponential, mean_ms: 500}\n    duration: {dist: constant, value_ms: 1}\n",
			"x.yaml:11: pauses[1]: node 2 already pauses at pauses[0].nodes[0]; allowed: each node in at most one pauses entry"},
	}
	for _, c := range cases {
		s, err := Parse("x.yaml", []byte(pauseBase+c.pauses))
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			} else if len(s.Pauses) == 0 {
				t.Errorf("%s: no pauses decoded", c.name)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v\nwant one line starting with %q", c.name, err, c.want)
		}
	}
}

// TestPausesKeepHash: a scenario without pauses hashes as before the
// field existed, so every existing run ID stays; one with pauses differs.
func TestPausesKeepHash(t *testing.T) {
	plain, err := Parse("x.yaml", []byte("name: x\ndescription: d\nnodes: 3\nduration_s: 1\nnetwork: {default: {base_delay_ms: 5}}\nraft: {heartbeat_ms: 50}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := plain.Hash(); got != plainHashBeforeEtcdFields {
		t.Errorf("hash of a scenario without pauses changed: %s, was %s", got, plainHashBeforeEtcdFields)
	}
	paused, err := Parse("x.yaml", []byte("name: x\ndescription: d\nnodes: 3\nduration_s: 1\nnetwork: {default: {base_delay_ms: 5}}\nraft: {heartbeat_ms: 50}\n"+
		"pauses: [{gap: {dist: constant, value_ms: 100}, duration: {dist: constant, value_ms: 10}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if paused.Hash() == plain.Hash() {
		t.Error("pauses kept the hash")
	}
}

// TestPauseTimeline: pauses alternate with gaps per node, never overlap on
// a node, come from the nodes' own streams (so adding pauses leaves the
// rest of the timeline, and one node's pauses leave another's, as they
// were), and depend on the seed.
func TestPauseTimeline(t *testing.T) {
	// pauseBase's network without bursts: replaced for this scenario.
	pauseBaseNoNet := strings.Replace(pauseBase, "network: {default: {base_delay_ms: 5}}\n", "", 1)
	mk := func(pauses string) *Scenario {
		t.Helper()
		s, err := Parse("x.yaml", []byte(pauseBaseNoNet+`network:
  default: {base_delay_ms: 5}
  bursts: {mean_good_s: 5, mean_bad_ms: 500, loss: 0.2}
crashes:
  - {node: leader, at_s: 5, phase: heartbeat, restart_after_ms: 1000, repeat: {count: 5, every_s: 7}}
`+pauses))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	plain := mk("")
	one := mk("pauses:\n  - {nodes: [1], gap: {dist: exponential, mean_ms: 2000}, duration: {dist: uniform, min_ms: 10, max_ms: 100}}\n")
	all := mk("pauses:\n  - {gap: {dist: exponential, mean_ms: 2000}, duration: {dist: uniform, min_ms: 10, max_ms: 100}}\n")
	const seed = 7
	base := NewTimeline(plain, seed)
	if len(base.Pauses) != 0 {
		t.Fatalf("%d pauses without a pauses entry", len(base.Pauses))
	}
	notPause := func(tl *Timeline) []Injected {
		var out []Injected
		for _, ev := range tl.Events {
			if ev.Kind != InjPauseStart && ev.Kind != InjPauseEnd {
				out = append(out, ev)
			}
		}
		return out
	}
	byNode := func(tl *Timeline, n int) []PauseSpan {
		var out []PauseSpan
		for _, p := range tl.Pauses {
			if p.Node == n {
				out = append(out, p)
			}
		}
		return out
	}
	tlOne, tlAll := NewTimeline(one, seed), NewTimeline(all, seed)
	for name, tl := range map[string]*Timeline{"one": tlOne, "all": tlAll} {
		sameCrashes := slices.EqualFunc(tl.Crashes, base.Crashes, func(a, b CrashEvent) bool { return a.AtUS == b.AtUS && a.Node == b.Node })
		if !slices.Equal(notPause(tl), base.Events) || !sameCrashes || len(base.Events) < 10 {
			t.Errorf("%s: pauses changed the rest of the timeline", name)
		}
		starts, ends := 0, 0
		for i, ev := range tl.Events {
			if i > 0 && ev.AtUS < tl.Events[i-1].AtUS {
				t.Fatalf("%s: events out of order at %d", name, i)
			}
			switch ev.Kind {
			case InjPauseStart:
				starts++
				if p := tl.Pauses[ev.Index]; p.StartUS != ev.AtUS {
					t.Errorf("%s: pause_start at %d for pause %+v", name, ev.AtUS, p)
				}
			case InjPauseEnd:
				ends++
				if p := tl.Pauses[ev.Index]; p.EndUS != ev.AtUS {
					t.Errorf("%s: pause_end at %d for pause %+v", name, ev.AtUS, p)
				}
			}
		}
		if starts != len(tl.Pauses) || ends < starts-3 || ends > starts {
			t.Errorf("%s: %d starts and %d ends for %d pauses", name, starts, ends, len(tl.Pauses))
		}
		for n := 0; n < 3; n++ {
			ps := byNode(tl, n)
			for i, p := range ps {
				if p.EndUS-p.StartUS < 10_000 || p.EndUS-p.StartUS > 100_000 {
					t.Errorf("%s: node %d pause %+v: length outside [10, 100] ms", name, n, p)
				}
				if i > 0 && p.StartUS < ps[i-1].EndUS {
					t.Errorf("%s: node %d: pause %+v overlaps %+v", name, n, p, ps[i-1])
				}
			}
		}
	}
	// Node 1 draws from its own stream: the same pauses alone or with
	// the others; nodes 0 and 2 have none in "one".
	if !slices.Equal(byNode(tlOne, 1), byNode(tlAll, 1)) {
		t.Error("node 1's pauses depend on other nodes' pauses")
	}
	if len(byNode(tlOne, 0))+len(byNode(tlOne, 2)) != 0 {
		t.Error("pauses on a node not listed")
	}
	// A mean cycle of ~2.055 s gives ~29 pauses per node in 60 s.
	if n := len(byNode(tlAll, 0)); n < 15 || n > 45 {
		t.Errorf("node 0: %d pauses in 60 s with a mean gap of 2 s", n)
	}
	if slices.Equal(byNode(tlAll, 0), byNode(tlAll, 2)) {
		t.Error("nodes 0 and 2 paused at the same times")
	}
	if slices.Equal(NewTimeline(all, seed+1).Pauses, tlAll.Pauses) {
		t.Error("seeds 7 and 8 gave the same pauses")
	}
	if !slices.Equal(NewTimeline(all, seed).Pauses, tlAll.Pauses) {
		t.Error("pauses not reproducible for a seed")
	}
}

// TestPauseOrderAtEqualTimes: at one instant a crash applies before a
// pause ends, a pause ends before the next one starts (zero gap), and
// every network change applies before a pause ends.
func TestPauseOrderAtEqualTimes(t *testing.T) {
	order := []InjectKind{InjPartitionEnd, InjTurbulenceEnd, InjBurstEnd, InjRestart, InjRegime, InjBurstStart,
		InjTurbulenceStart, InjPartitionStart, InjCrash, InjPauseEnd, InjPauseStart}
	if !slices.IsSorted(order) {
		t.Fatalf("injected kinds are not in the documented order: %v", order)
	}
	s, err := Parse("x.yaml", []byte(pauseBase+"pauses:\n  - {nodes: [0], gap: {dist: constant, value_ms: 0}, duration: {dist: constant, value_ms: 250}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tl := NewTimeline(s, 1)
	// Back-to-back pauses: the first starts at 0, each ends where the next starts.
	if len(tl.Pauses) != 240 || tl.Pauses[0].StartUS != 0 || tl.Pauses[1].StartUS != 250_000 {
		t.Fatalf("%d pauses, first %+v", len(tl.Pauses), tl.Pauses[:2])
	}
	for i := 1; i+1 < len(tl.Events); i += 2 {
		end, start := tl.Events[i], tl.Events[i+1]
		if end.Kind != InjPauseEnd || start.Kind != InjPauseStart || end.AtUS != start.AtUS || end.Index+1 != start.Index {
			t.Fatalf("events %d, %d: %+v then %+v; want pause i's end, then pause i+1's start", i, i+1, end, start)
		}
	}
}
