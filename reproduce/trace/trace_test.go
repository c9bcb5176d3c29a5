package trace

import (
	"math"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
)

// TestHandBuiltTrace feeds a 3-node trace whose answers are worked out by
// hand: k = 2 (the quorum of 3), bins of 1 s.
func TestHandBuiltTrace(t *testing.T) {
	d := newDeriver(eventlog.RunInfo{RunID: "r", Nodes: 3, DurationUS: 4_000_000}, 1_000_000)
	ev := func(tUS int64, kind eventlog.Kind, node int, value int64) {
		d.add(&eventlog.Event{TimeUS: tUS, Kind: kind, Node: int16(node), Value: value})
	}
	ev(0, eventlog.RegimeSwitch, -1, 50)
	ev(10, eventlog.TimerReset, 0, 300_000)
	ev(10, eventlog.TimerReset, 1, 200_000)
	ev(10, eventlog.TimerReset, 2, 100_000)
	ev(400_000, eventlog.BecameLeader, 2, 0)      // node 2 leads: k-th of {300, 200} ms = 300 ms
	ev(500_000, eventlog.HeartbeatSent, 2, 0)     // bin 0
	ev(1_000_000, eventlog.HeartbeatSent, 2, 0)   // bin 1 (a bin's end belongs to the next bin)
	ev(1_500_000, eventlog.RegimeSwitch, -1, 200) // regime of bin 2
	ev(2_100_000, eventlog.Crash, 2, 0)           // the leader crashes
	ev(2_200_000, eventlog.TimerReset, 1, 250_000)
	ev(2_300_000, eventlog.Timeout, 1, 0) // first detection: node 1's latest deadline, 250 ms
	ev(2_400_000, eventlog.Timeout, 0, 0) // not the first
	ev(2_500_000, eventlog.BecameLeader, 1, 0)
	ev(3_000_000, eventlog.Crash, 1, 0)        // the leader crashes again ...
	ev(3_100_000, eventlog.BecameLeader, 0, 0) // ... and a new leader comes before any timeout
	r := d.finish()

	wantRegime := []int64{50, 50, 200, 200}
	wantHB := []int64{1, 1, 0, 0}
	// bin 0 ends with node 2 leading: {300, 200} -> 2nd smallest 300 ms.
	// bin 1: the same. bin 2 ends with node 2 dead and node 1 leading:
	// only node 0 left (< k): NaN. bin 3: node 0 leads, 1 and 2 dead: NaN.
	wantKth := []float64{300_000, 300_000, math.NaN(), math.NaN()}
	for b := range 4 {
		if r.Regime[b] != wantRegime[b] || r.Heartbeats[b] != wantHB[b] {
			t.Errorf("bin %d: regime %d heartbeats %d, want %d %d", b, r.Regime[b], r.Heartbeats[b], wantRegime[b], wantHB[b])
		}
		if got, want := r.KthDeadlineUS[b], wantKth[b]; got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("bin %d: k-th deadline %v, want %v", b, got, want)
		}
	}
	if len(r.DetectDeadlineUS) != 2 || r.DetectDeadlineUS[0] != 250_000 || r.DetectDeadlineUS[1] != -1 {
		t.Errorf("detection deadlines %v, want [250000 -1]", r.DetectDeadlineUS)
	}
	// At 2.3 s the live non-leaders are nodes 0 (300 ms) and 1 (250 ms).
	if m := r.DetectMeanDeadlineUS; len(m) != 2 || m[0] != 275_000 || !math.IsNaN(m[1]) {
		t.Errorf("mean deadlines at detection %v, want [275000 NaN]", m)
	}
	// No leader from the crash at 2.1 s to node 1's election at 2.5 s, and
	// from the crash at 3.0 s to node 0's election at 3.1 s; nothing before
	// the first leader counts.
	want := []Period{{2_100_000, 2_500_000}, {3_000_000, 3_100_000}}
	if len(r.Leaderless) != 2 || r.Leaderless[0] != want[0] || r.Leaderless[1] != want[1] {
		t.Errorf("leaderless %v, want %v", r.Leaderless, want)
	}
}
