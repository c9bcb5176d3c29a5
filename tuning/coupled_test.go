package tuning

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/eventlog/pq"
	"github.com/ballast-bench/ballast/harness"
)

// TestTuneCoupledGrid: a grid of tied min_ms/max_ms crossed with the
// heartbeat runs exactly its four points, each as runs of its own that
// simulate its heartbeat (the objective below measures it from the
// events), and the report runs take the chosen heartbeat from the tuned
// file.
func TestTuneCoupledGrid(t *testing.T) {
	e, err := harness.LoadExperiment("testdata/tunecoupled.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Lower is better: the shortest heartbeat spacing wins, then the
	// fewest campaigns.
	e.Objective = []string{"hb_gap_ms", "campaigns"}
	ids := map[string]bool{}
	metrics := func(path string) (map[string]float64, error) {
		id, ev, err := pq.ReadEvents(path)
		if err != nil {
			return nil, err
		}
		ids[id] = true
		m := countMetrics(ev)
		m["hb_gap_ms"] = float64(heartbeatGapUS(ev)) / 1000
		return m, nil
	}
	tuned, err := Tune(context.Background(), e, Options{OutDir: t.TempDir(), Workers: 2, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	if len(tuned.Choices) != 1 {
		t.Fatalf("%d choices, want 1", len(tuned.Choices))
	}
	c := tuned.Choices[0]
	want := [][]string{
		{"max_ms=200", "min_ms=100", "raft.heartbeat_ms=20"},
		{"max_ms=200", "min_ms=100", "raft.heartbeat_ms=50"},
		{"max_ms=600", "min_ms=300", "raft.heartbeat_ms=20"},
		{"max_ms=600", "min_ms=300", "raft.heartbeat_ms=50"},
	}
	if len(c.Candidates) != len(want) {
		t.Fatalf("%d grid points, want %d: %+v", len(c.Candidates), len(want), c.Candidates)
	}
	for k, cand := range c.Candidates {
		if !slices.Equal(cand.Set, want[k]) {
			t.Errorf("grid point %d: %v, want %v", k, cand.Set, want[k])
		}
		if hb := []float64{20, 50, 20, 50}[k]; cand.Scores[0] != hb {
			t.Errorf("grid point %d (%v): heartbeats %v ms apart, want %v", k, cand.Set, cand.Scores[0], hb)
		}
	}
	if len(ids) != 8 {
		t.Errorf("%d distinct runs, want 4 grid points x 2 seeds", len(ids))
	}
	if !slices.Contains(c.Chosen, "raft.heartbeat_ms=20") {
		t.Fatalf("chose %v, want a 20 ms heartbeat", c.Chosen)
	}
	path := filepath.Join(t.TempDir(), "tuned.yaml")
	if err := Write(path, tuned); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	back.Apply(e, path)
	jobs, err := e.Grid(harness.SetReport, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if i := j.Run.Info; i.HeartbeatUS != 20_000 || i.Params != paramsOf(c.Chosen) {
			t.Errorf("report run: heartbeat %d µs, params %q; want the chosen %v", i.HeartbeatUS, i.Params, c.Chosen)
		}
	}
}

// heartbeatGapUS is the most common spacing between consecutive
// heartbeat_sent rows of one leader to one follower in one term.
func heartbeatGapUS(ev []eventlog.Event) int64 {
	type key struct {
		node, peer int16
		term       uint64
	}
	last := map[key]int64{}
	count := map[int64]int{}
	var best int64
	for _, e := range ev {
		if e.Kind != eventlog.HeartbeatSent {
			continue
		}
		k := key{e.Node, e.Peer, e.Term}
		if t, ok := last[k]; ok {
			gap := e.TimeUS - t
			count[gap]++
			if count[gap] > count[best] || count[gap] == count[best] && gap < best {
				best = gap
			}
		}
		last[k] = e.TimeUS
	}
	return best
}
