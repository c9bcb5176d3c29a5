package harness

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ballast-bench/ballast/analysis/metrics"
)

func sweepOut(t *testing.T, jobs []*Job, dir string, out Outputs, shard Shard) Summary {
	t.Helper()
	sum, err := Sweep(context.Background(), jobs, Options{OutDir: dir, Workers: 2, Shard: shard, Outputs: out})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestStoredAnalysesMatchTheEventsFiles: a sweep that analyses each run as
// it simulates it stores what reading the run's events file back gives
// (the file-based analysis is the reference: Parquet round trip, another
// code path into the same Deriver); dropping the events changes nothing
// in the analyses, and a dropped file comes back byte for byte when the
// run is redone with its events kept.
func TestStoredAnalysesMatchTheEventsFiles(t *testing.T) {
	_, jobs := grid(t, "testdata/sweep.yaml", SetReport)
	base := t.TempDir()
	spec := metrics.Spec{}
	kept, dropped := filepath.Join(base, "kept"), filepath.Join(base, "dropped")
	sweepOut(t, jobs, kept, Outputs{Analysis: &spec}, All)
	sweepOut(t, jobs, dropped, Outputs{Analysis: &spec, DropEvents: true}, All)

	var files []string
	for _, j := range jobs {
		files = append(files, filepath.Join(kept, j.EventsPath()))
		if _, err := os.Stat(filepath.Join(dropped, j.EventsPath())); !os.IsNotExist(err) {
			t.Fatalf("run %s: events file written with DropEvents (%v)", j.Run.Info.RunID, err)
		}
	}
	want, err := metrics.AnalyzeFiles(files, spec, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{kept, dropped} {
		got, err := Analyses(dir, jobs, spec, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d analyses, want %d", dir, len(got), len(want))
		}
		for i := range want {
			// Compared encoded: NaN (an undefined metric) equals itself
			// there, and an empty list equals a nil one.
			w, g := *want[i], *got[i]
			w.Row.Path, g.Row.Path = "", ""
			we, err1 := w.Encode()
			ge, err2 := g.Encode()
			if err1 != nil || err2 != nil || !bytes.Equal(we, ge) {
				t.Errorf("%s: run %s: stored analysis differs from the events file's:\n got %+v\nwant %+v", dir, w.Row.RunID, g.Row, w.Row)
			}
		}
	}
	// The analyses are the same files whether or not the events were kept.
	sameTree(t, "analyses", subtree(tree(t, kept), "analysis/"), subtree(tree(t, dropped), "analysis/"))

	j := jobs[0]
	other := metrics.Spec{Options: metrics.Options{GraceHeartbeats: 5}}
	for _, c := range []struct {
		out  Outputs
		want State
	}{
		{Outputs{}, Missing}, // the events are asked for
		{Outputs{Analysis: &spec, DropEvents: true}, Done},
		{Outputs{Analysis: &other, DropEvents: true}, Missing}, // another analysis
	} {
		if got := Status(dropped, j, c.out); got != c.want {
			t.Errorf("status of a run without its events file under %+v: %v, want %v", c.out, got, c.want)
		}
	}
	if _, err := Analyses(dropped, jobs, other, 2); err == nil {
		t.Error("Analyses of another spec without the events files: no error")
	}

	// Redone with the events kept: the dropped files come back byte for
	// byte, and nothing else changes.
	if sum := sweepOut(t, jobs, dropped, Outputs{Analysis: &spec}, All); sum.Ran != len(jobs) {
		t.Fatalf("keeping the events redid %d of %d runs", sum.Ran, len(jobs))
	}
	sameTree(t, "regenerated", tree(t, kept), tree(t, dropped))
}

// TestMergeWithoutEvents: shards that kept only the analyses merge into
// the tree of an unsharded sweep that did the same.
func TestMergeWithoutEvents(t *testing.T) {
	_, jobs := grid(t, "testdata/sweep.yaml", SetReport)
	base := t.TempDir()
	out := Outputs{Analysis: &metrics.Spec{}, DropEvents: true}
	whole := filepath.Join(base, "whole")
	sweepOut(t, jobs, whole, out, All)
	var dirs []string
	for i := range 3 {
		dir := filepath.Join(base, "shard", string(rune('0'+i)))
		sweepOut(t, jobs, dir, out, Shard{i, 3})
		dirs = append(dirs, dir)
	}
	merged := filepath.Join(base, "merged")
	if n, err := Merge(merged, dirs); err != nil || n != len(jobs) {
		t.Fatalf("merge: %d runs, %v", n, err)
	}
	if _, err := Merge(whole, []string{whole}); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "merged shards", tree(t, whole), tree(t, merged))
	for _, j := range jobs {
		if !Complete(merged, j, out) {
			t.Errorf("run %s incomplete after the merge", j.Run.Info.RunID)
		}
	}
}

// subtree keeps the entries of a tree under prefix.
func subtree(m map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix {
			out[k] = v
		}
	}
	return out
}
