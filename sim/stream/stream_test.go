package stream

import "testing"

func TestStreamsAreReproducibleAndIndependent(t *testing.T) {
	a := New(42, Link, 0, 1)
	b := New(42, Link, 0, 1)
	for i := 0; i < 100; i++ {
		if x, y := a.Uint64(), b.Uint64(); x != y {
			t.Fatalf("draw %d: %d != %d for the same (seed, label, ids)", i, x, y)
		}
	}
	seen := map[[2]uint64]string{}
	for _, c := range []struct {
		seed  uint64
		label string
		ids   []int
	}{
		{42, Link, []int{0, 1}}, {42, Link, []int{1, 0}}, {43, Link, []int{0, 1}},
		{42, Policy, []int{0}}, {42, Processing, []int{0}}, {42, Timeline, nil},
		{42, Link, []int{0}}, {42, Link, []int{0, 1, 0}}, {42, Pause, []int{0}}, {42, Pause, []int{1}},
	} {
		s1, s2 := Seeds(c.seed, c.label, c.ids...)
		if prev, dup := seen[[2]uint64{s1, s2}]; dup {
			t.Errorf("%v collides with %s", c, prev)
		}
		seen[[2]uint64{s1, s2}] = c.label
	}
}
