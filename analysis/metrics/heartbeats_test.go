package metrics_test

import (
	"math"
	"slices"
	"testing"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/eventlog"
)

// TestNoHeartbeatRows: a log with leaders but no heartbeat rows (what a
// live etcd run's members log) cannot say when a leader had a quorum's
// support, so its writability and unnecessary elections are undefined,
// while its failovers are measured; the same log with the leader's
// heartbeats is writable once they are answered.
func TestNoHeartbeatRows(t *testing.T) {
	info := eventlog.RunInfo{RunID: "nohb", Nodes: 3, DurationUS: 10_000_000, HeartbeatUS: 100_000}
	ev := func(t int64, k eventlog.Kind, node int16, term uint64) eventlog.Event {
		return eventlog.Event{TimeUS: t, Kind: k, Node: node, Term: term, Peer: -1, Arm: -1}
	}
	base := []eventlog.Event{
		ev(1_000_000, eventlog.Timeout, 0, 0),
		ev(1_000_000, eventlog.BecameCandidate, 0, 1),
		ev(1_001_000, eventlog.BecameLeader, 0, 1),
		ev(5_000_000, eventlog.Crash, 0, 1),
		ev(6_100_000, eventlog.Timeout, 1, 1),
		ev(6_100_000, eventlog.BecameCandidate, 1, 2),
		ev(6_102_000, eventlog.BecameLeader, 1, 2),
	}
	run := derive(t, info, base)
	r := &run.Row
	if !math.IsNaN(r.UnwritableFrac) || !math.IsNaN(r.RecoveryMeanUS) || !math.IsNaN(r.UnnecessaryPerMin) || r.Intervals != 0 || r.NeverWritable || len(run.Intervals) != 0 {
		t.Errorf("no heartbeat rows: unwritable %v, recovery %v, unnecessary %v, %d intervals, never writable %v; want all undefined",
			r.UnwritableFrac, r.RecoveryMeanUS, r.UnnecessaryPerMin, r.Intervals, r.NeverWritable)
	}
	if len(run.Failovers) != 1 || run.Failovers[0].OutOfServiceUS != 1_102_000 || run.Failovers[0].DetectFirstUS != 1_100_000 {
		t.Errorf("failovers %+v: want one, detected after 1.1 s, a leader after 1.102 s", run.Failovers)
	}
	// With the first leader's heartbeat answered by node 1, the run is
	// writable from then on: the metrics are defined again.
	hb := slices.Clone(base[:3])
	hb = append(hb,
		eventlog.Event{TimeUS: 1_001_000, Kind: eventlog.HeartbeatSent, Node: 0, Term: 1, Peer: 1, Arm: -1, MsgID: 1},
		eventlog.Event{TimeUS: 1_002_000, Kind: eventlog.HeartbeatRecv, Node: 1, Term: 1, Peer: 0, Arm: -1, MsgID: 1, Value: 1000})
	hb = append(hb, base[3:]...)
	if r := derive(t, info, hb).Row; math.IsNaN(r.UnwritableFrac) {
		t.Errorf("with heartbeat rows: unwritable fraction undefined")
	}
}

func derive(t *testing.T, info eventlog.RunInfo, evs []eventlog.Event) *metrics.Run {
	t.Helper()
	d, err := metrics.NewDeriver(info, metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		if err := d.Add(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	run, err := d.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return run
}
