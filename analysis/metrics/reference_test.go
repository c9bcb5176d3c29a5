package metrics_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/eventlog/pq"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// referenceIntervals is a deliberately naive second implementation of the
// writability rule, to check the incremental one on real runs: it pairs
// every heartbeat_recv with its heartbeat_sent by message ID to learn the
// leader's term (the deriver uses leadership epochs instead), replays the
// same per-node state, and evaluates "some alive leader of term T has a
// majority: itself plus followers whose last accepted heartbeat came from
// it in term T less than grace ago" from scratch at every event time and
// at every instant a support runs out. It returns every maximal unwritable
// interval including the initial one, the last cut at the end.
func referenceIntervals(info eventlog.RunInfo, events []eventlog.Event, graceUS int64) []metrics.Interval {
	n := int(info.Nodes)
	sentTerm := map[uint64]uint64{}
	alive := make([]bool, n)
	term := make([]uint64, n)
	leads := make([]bool, n)
	leadTerm := make([]uint64, n)
	supL := make([]int, n)
	supT := make([]uint64, n)
	supAt := make([]int64, n)
	for i := range n {
		alive[i], supL[i] = true, -1
	}
	writableAt := func(t int64) bool {
		for l := range n {
			if !alive[l] || !leads[l] {
				continue
			}
			count := 1
			for f := range n {
				if f != l && supL[f] == l && supT[f] == leadTerm[l] && t < supAt[f]+graceUS {
					count++
				}
			}
			if 2*count > n {
				return true
			}
		}
		return false
	}
	var out []metrics.Interval
	writable, since := false, int64(0)
	set := func(t int64, w bool) {
		if w == writable {
			return
		}
		if w && t > since {
			out = append(out, metrics.Interval{StartUS: since, EndUS: t, RecoveryUS: t - since})
		}
		writable, since = w, t
	}
	for i := 0; i < len(events); {
		t := events[i].TimeUS
		j := i
		for ; j < len(events) && events[j].TimeUS == t; j++ {
			ev := &events[j]
			nd := int(ev.Node)
			if nd < 0 {
				continue
			}
			if ev.Term > term[nd] {
				term[nd] = ev.Term
				if supL[nd] >= 0 && ev.Term > supT[nd] {
					supL[nd] = -1
				}
			}
			switch ev.Kind {
			case eventlog.HeartbeatSent:
				sentTerm[ev.MsgID] = ev.Term
			case eventlog.HeartbeatRecv:
				if lt := sentTerm[ev.MsgID]; ev.Term <= lt {
					supL[nd], supT[nd], supAt[nd] = int(ev.Peer), lt, t
					term[nd] = max(term[nd], lt)
				}
			case eventlog.BecameLeader:
				leads[nd], leadTerm[nd] = true, ev.Term
			case eventlog.BecameFollower:
				leads[nd] = false
			case eventlog.Crash:
				alive[nd], leads[nd], supL[nd] = false, false, -1
			case eventlog.Restart:
				alive[nd] = true
			}
		}
		set(t, writableAt(t))
		// Supports running out before the next event (or the end).
		next := info.DurationUS
		if j < len(events) {
			next = events[j].TimeUS
		}
		var expiries []int64
		for f := range n {
			if supL[f] >= 0 && supAt[f]+graceUS > t && supAt[f]+graceUS < next {
				expiries = append(expiries, supAt[f]+graceUS)
			}
		}
		slices.Sort(expiries)
		for _, e := range expiries {
			set(e, writableAt(e))
		}
		i = j
	}
	if !writable {
		out = append(out, metrics.Interval{StartUS: since, EndUS: info.DurationUS, RecoveryUS: info.DurationUS - since, Censored: true})
	}
	return out
}

// TestReferenceWritability compares the deriver's unwritable intervals
// with referenceIntervals on simulated runs of the built-in scenarios
// listed below and two policies.
func TestReferenceWritability(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if testing.Short() {
		seeds = seeds[:1]
	}
	dir := t.TempDir()
	checked := 0
	// The first built-in scenarios: crashes, a partition, bursts, regime
	// switches, post-heal turbulence, with and without PreVote.
	for _, name := range []string{"lan", "wan_main", "wan_stable", "partition_recovery", "wan_main_prevote_n5"} {
		s, err := scenario.Load(name)
		if err != nil {
			t.Skipf("scenario %s: %v", name, err)
		}
		for _, policy := range []string{"random", "static"} {
			for _, seed := range seeds {
				name := fmt.Sprintf("%s-%s-%d", s.Name, policy, seed)
				r, err := harness.Resolve(harness.Spec{Scenario: s, Policy: policy, Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(dir, name+".parquet")
				info, err := r.WriteParquet(context.Background(), path)
				if err != nil {
					t.Fatal(err)
				}
				run, err := metrics.AnalyzeFile(path, metrics.Spec{Options: metrics.Options{Warmup: metrics.WarmupNone}})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				_, events, err := pq.ReadEvents(path)
				if err != nil {
					t.Fatal(err)
				}
				want := referenceIntervals(info, events, run.Row.GraceUS)
				for i := range want {
					want[i].RunID = info.RunID
				}
				if !slices.Equal(run.Intervals, want) {
					t.Errorf("%s: intervals differ from the reference:\n got %v\nwant %v", name, run.Intervals, want)
				}
				checked += len(want)
			}
		}
	}
	t.Logf("%d unwritable intervals checked", checked)
	if checked == 0 {
		t.Error("no intervals at all: the comparison tested nothing")
	}
}

// TestScanMatchesPQ: the events read back from a file are exactly the
// events the simulation emitted, on real runs (several row groups' worth
// of batches: a 600 s run with bandit_safe's arm and safety rows).
func TestScanMatchesPQ(t *testing.T) {
	s, err := scenario.Load("wan_main")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, c := range []struct {
		policy    string
		durationS float64
	}{{"random", 0}, {"bandit_safe", 600}} {
		sc := *s
		if c.durationS > 0 {
			sc.DurationS = c.durationS
		}
		r, err := harness.Resolve(harness.Spec{Scenario: &sc, Policy: c.policy, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, c.policy+".parquet")
		info, err := r.WriteParquet(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		var mem eventlog.Memory
		if _, err := r.Simulate(context.Background(), &mem); err != nil {
			t.Fatal(err)
		}
		er, err := pq.OpenEvents(path)
		if err != nil {
			t.Fatal(err)
		}
		var got []eventlog.Event
		err = er.Scan(info.RunID, func(ev *eventlog.Event) error { got = append(got, *ev); return nil })
		er.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, mem.Events) {
			t.Errorf("%s: the file's events differ from the simulation's (%d vs %d events)", c.policy, len(got), len(mem.Events))
		}
		if err := func() error {
			er, _ := pq.OpenEvents(path)
			defer er.Close()
			return er.Scan("other-run", func(*eventlog.Event) error { return nil })
		}(); err == nil {
			t.Errorf("%s: a foreign run_id was accepted", c.policy)
		}
	}
}
