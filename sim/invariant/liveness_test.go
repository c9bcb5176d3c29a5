package invariant

import (
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
)

// TestLivenessHandBuilt feeds hand-made rows of a 3-node cluster (bound
// 1000 µs under regime 0; regime 1 is not calm) and checks what counts as
// a healthy quorum without a leader.
func TestLivenessHandBuilt(t *testing.T) {
	h := Health{Nodes: 3, BoundUS: map[int]int64{0: 1000}}
	row := func(us int64, kind eventlog.Kind, node int, term uint64, value int64) eventlog.Event {
		return eventlog.Event{TimeUS: us, Kind: kind, Node: int16(node), Term: term, Peer: -1, Value: value}
	}
	lead := func(us int64, node int, term uint64) eventlog.Event {
		return row(us, eventlog.BecameLeader, node, term, 0)
	}
	cases := []struct {
		name string
		rows []eventlog.Event
		end  int64
		fail string // "" if the run is live
	}{
		{"a leader within the bound", []eventlog.Event{lead(900, 0, 1)}, 5000, ""},
		{"no leader for longer than the bound", []eventlog.Event{lead(1200, 0, 1)}, 5000, "had no leader from 0 µs to 1200 µs"},
		{"no leader at all: the end counts", nil, 5000, "to 5000 µs"},
		{"a stale leader is no leader: node 1 moved to term 2",
			[]eventlog.Event{lead(100, 0, 1), row(200, eventlog.BecameCandidate, 1, 2, 0), row(1300, eventlog.Timeout, 2, 1, 0)},
			1400, "from 200 µs to 1300 µs"},
		{"the leader crashes: the 2 nodes left are still a quorum, and must elect",
			[]eventlog.Event{lead(100, 0, 1), row(500, eventlog.Crash, 0, 1, 0), row(1600, eventlog.Timeout, 1, 1, 0)},
			1600, "from 500 µs to 1600 µs"},
		{"two crashes: no quorum, nothing to check",
			[]eventlog.Event{lead(100, 0, 1), row(500, eventlog.Crash, 0, 1, 0), row(600, eventlog.Crash, 1, 1, 0)},
			9000, ""},
		{"a partition isolates node 0: nodes 1 and 2 are the quorum, node 0 leads only itself",
			[]eventlog.Event{row(0, eventlog.PartitionStart, 0, 0, 1), row(0, eventlog.PartitionStart, 1, 0, 0), row(0, eventlog.PartitionStart, 2, 0, 0), lead(500, 0, 1)},
			2000, "from 0 µs to 2000 µs"},
		{"the isolated node's leadership does not count; the majority's does",
			[]eventlog.Event{row(0, eventlog.PartitionStart, 0, 0, 1), row(0, eventlog.PartitionStart, 1, 0, 0), row(0, eventlog.PartitionStart, 2, 0, 0), lead(500, 1, 1)},
			2000, ""},
		{"a burst makes the network uncalm; the window restarts when it ends",
			[]eventlog.Event{row(0, eventlog.BurstStart, -1, 0, 3), row(5000, eventlog.BurstEnd, -1, 0, 0), lead(5900, 0, 1)},
			9000, ""},
		{"a regime that is not calm", []eventlog.Event{row(0, eventlog.RegimeSwitch, -1, 0, 1), lead(7000, 0, 1)}, 9000, ""},
		{"paused nodes are out of the quorum",
			[]eventlog.Event{row(0, eventlog.PauseStart, 0, 0, 5000), row(0, eventlog.PauseStart, 1, 0, 5000), row(5000, eventlog.PauseEnd, 0, 0, 0),
				row(5000, eventlog.PauseEnd, 1, 0, 0), lead(5900, 2, 1)},
			9000, ""},
	}
	for _, c := range cases {
		l := NewLiveness(h)
		for i := range c.rows {
			l.Emit(&c.rows[i])
		}
		l.Finish(c.end)
		err := l.Err()
		switch {
		case c.fail == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.fail != "" && (err == nil || !strings.Contains(err.Error(), c.fail)):
			t.Errorf("%s: got %v, want an error with %q", c.name, err, c.fail)
		}
	}
}
