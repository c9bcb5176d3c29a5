package scenario

import (
	"testing"
)

func TestBuiltinScenariosLoad(t *testing.T) {
	all, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 2 {
		t.Fatalf("only %d built-in scenarios", len(all))
	}
	for _, s := range all {
		if s.Description == "" || len(s.Description) > 120 {
			t.Errorf("%s: description must be one short line, got %q", s.Name, s.Description)
		}
	}
}

// TestHashIgnoresFormatting: comments, key order and flow style do not
// change a scenario's identity; a value does.
func TestHashIgnoresFormatting(t *testing.T) {
	a, err := Parse("a.yaml", []byte("name: x\ndescription: d\nnodes: 3\nduration_s: 1\nraft: {heartbeat_ms: 50}\nnetwork: {default: {base_delay_ms: 5}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("b.yaml", []byte("# comment\nnodes: 3\nname: x\nnetwork:\n  default:\n    base_delay_ms: 5.0\nraft:\n  heartbeat_ms: 50\nduration_s: 1\ndescription: d\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("c.yaml", []byte("name: x\ndescription: d\nnodes: 3\nduration_s: 1\nraft: {heartbeat_ms: 50}\nnetwork: {default: {base_delay_ms: 6}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash() != b.Hash() {
		t.Errorf("formatting changed the hash: %s vs %s", a.Hash(), b.Hash())
	}
	if a.Hash() == c.Hash() {
		t.Errorf("a different delay kept the hash")
	}
}

func TestTimeline(t *testing.T) {
	s, err := Parse("t.yaml", []byte(`
name: t
description: d
nodes: 5
duration_s: 60
raft: {heartbeat_ms: 50}
network:
  default: {base_delay_ms: 5}
  regimes: [{at_s: 0, id: 0}, {at_s: 30, id: 1}]
  bursts: {mean_good_s: 5, mean_bad_ms: 500, loss: 0.2}
partitions:
  - {at_s: 10, duration_s: 2, isolate: [1], repeat: {count: 10, every_s: 20}, turbulence: {duration_ms: 1000}}
crashes:
  - {node: leader, at_s: 5, phase: heartbeat, restart_after_ms: 1000, repeat: {count: 100, every_s: 7}}
`))
	if err != nil {
		t.Fatal(err)
	}
	tl := NewTimeline(s, 9)
	if got := len(tl.Partitions); got != 3 { // at 10, 30, 50; 70 is past the end
		t.Errorf("%d partition occurrences, want 3", got)
	}
	if got := len(tl.Crashes); got != 8 { // 5, 12, ..., 54 (+ phase < 50 ms)
		t.Errorf("%d crash occurrences, want 8", got)
	}
	for i, c := range tl.Crashes {
		base := int64(5+7*i) * 1_000_000
		if c.AtUS < base || c.AtUS >= base+50_000 {
			t.Errorf("crash %d at %d µs, want within one heartbeat after %d", i, c.AtUS, base)
		}
		if c.Node != -1 {
			t.Errorf("crash %d targets node %d, want the leader (-1)", i, c.Node)
		}
	}
	var bursts, inBurst int
	for i, ev := range tl.Events {
		if i > 0 && ev.AtUS < tl.Events[i-1].AtUS {
			t.Fatalf("events out of order at %d", i)
		}
		if ev.AtUS >= s.DurationUS() {
			t.Fatalf("event past the end: %+v", ev)
		}
		switch ev.Kind {
		case InjBurstStart:
			bursts++
			inBurst++
			if inBurst != 1 {
				t.Fatal("burst started twice")
			}
		case InjBurstEnd:
			inBurst--
		}
	}
	// Good periods average 5 s: about 11 bursts in 60 s; allow wide slack.
	if bursts < 3 || bursts > 25 {
		t.Errorf("%d bursts in 60 s with mean good period 5 s", bursts)
	}
	other := NewTimeline(s, 10)
	if len(other.Events) == len(tl.Events) && other.Crashes[0].AtUS == tl.Crashes[0].AtUS {
		t.Errorf("seeds 9 and 10 gave the same timeline")
	}
}
