package etcdraft_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/ballast-bench/ballast/harness"
)

// tree maps every file under dir to its SHA-256.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := sha256.Sum256(data)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSweepDeterministic: an experiment on the etcd engine (processing
// pauses included) writes byte-identical files with -j 1 and -j 2, and its
// shards (2 and 3 of them) together write exactly the unsharded files. Runs
// in parallel share raft's process-wide state (its global logger and random
// source): none of it reaches the outputs.
func TestSweepDeterministic(t *testing.T) {
	e, err := harness.LoadExperiment("testdata/sweep_etcd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := e.Grid(harness.SetReport, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 3*2*3 || jobs[0].Run.Info.Engine != "etcd" {
		t.Fatalf("%d jobs on engine %q, want 18 on etcd", len(jobs), jobs[0].Run.Info.Engine)
	}
	base := t.TempDir()
	sweep := func(dir string, workers int, shard harness.Shard) map[string]string {
		t.Helper()
		if _, err := harness.Sweep(context.Background(), jobs, harness.Options{OutDir: dir, Workers: workers, Shard: shard}); err != nil {
			t.Fatal(err)
		}
		return tree(t, dir)
	}
	want := sweep(filepath.Join(base, "j1"), 1, harness.All)
	if len(want) != 2*len(jobs) {
		t.Fatalf("%d files, want an events file and a manifest entry per run", len(want))
	}
	if got := sweep(filepath.Join(base, "j2"), 2, harness.All); !maps.Equal(want, got) {
		t.Error("-j 2 wrote other files than -j 1")
	}
	for _, n := range []int{2, 3} {
		union := map[string]string{}
		for i := range n {
			for k, v := range sweep(filepath.Join(base, "shard", string(rune('0'+n)), string(rune('0'+i))), 2, harness.Shard{Index: i, Count: n}) {
				if _, dup := union[k]; dup {
					t.Errorf("n=%d: %s written by two shards", n, k)
				}
				union[k] = v
			}
		}
		if !maps.Equal(want, union) {
			t.Errorf("the union of %d shards differs from the unsharded sweep", n)
		}
	}
}

// TestCrossEngineTwins: the cross-engine experiment's two files differ only
// in name, description and engine, so every etcd run has a fast twin with
// the same scenario, policy and seed.
func TestCrossEngineTwins(t *testing.T) {
	f, err := harness.LoadExperiment("etcd_cross_fast")
	if err != nil {
		t.Fatal(err)
	}
	e, err := harness.LoadExperiment("etcd_cross_etcd")
	if err != nil {
		t.Fatal(err)
	}
	if f.Engine != "fast" || e.Engine != "etcd" {
		t.Fatalf("engines %q and %q", f.Engine, e.Engine)
	}
	fj, err := f.Grid(harness.SetReport, 0)
	if err != nil {
		t.Fatal(err)
	}
	ej, err := e.Grid(harness.SetReport, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(fj) != len(ej) {
		t.Fatalf("%d fast runs, %d etcd runs", len(fj), len(ej))
	}
	for i := range fj {
		a, b := fj[i].Run.Info, ej[i].Run.Info
		if a.ScenarioHash != b.ScenarioHash || a.Policy != b.Policy || a.Params != b.Params || a.Seed != b.Seed || a.Variant != b.Variant {
			t.Fatalf("run %d: fast %+v and etcd %+v are not twins", i, a, b)
		}
	}
}
