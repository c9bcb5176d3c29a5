package harness

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestVariantsAreRunsOfTheirOwn: two variants with the same resolved
// parameters used to share a run id, so each rerun redid half the grid and
// merge kept half the runs. Each variant now has its own runs.
func TestVariantsAreRunsOfTheirOwn(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "twins.yaml")
	os.WriteFile(file, []byte("name: twins\nscenarios: [lan]\npolicies:\n  - policy: random\n  - policy: random\n    variant: same\n    set: {max_ms: 300}\nseeds: {master: 1, report: 3}\n"), 0o644)
	_, jobs := grid(t, file, SetReport)
	ids := map[string]bool{}
	for _, j := range jobs {
		ids[j.Run.Info.RunID] = true
	}
	if len(ids) != 6 {
		t.Fatalf("%d distinct run ids for 6 runs", len(ids))
	}
	out := filepath.Join(dir, "out")
	sweep(t, jobs, out, 2, All)
	if sum := sweep(t, jobs, out, 2, All); sum.Skipped != 6 || sum.Ran != 0 {
		t.Fatalf("rerun: %+v; want all 6 skipped", sum)
	}
	n, err := Merge(filepath.Join(dir, "merged"), []string{out})
	if err != nil || n != 6 {
		t.Fatalf("merge kept %d runs (%v); want 6", n, err)
	}
}

// TestOtherCodeIsRedone: a complete run made by another code version is
// redone (the default) or reused only when asked, and counted.
func TestOtherCodeIsRedone(t *testing.T) {
	_, jobs := grid(t, "testdata/sweep.yaml", SetReport)
	jobs = jobs[:4]
	out := t.TempDir()
	sweep(t, jobs, out, 2, All)
	// Make run 0 look like another code's.
	path := ManifestPath(out, jobs[0].Run.Info.RunID)
	var m ManifestEntry
	data, _ := os.ReadFile(path)
	json.Unmarshal(data, &m)
	m.Run.CodeVersion = "sim-000000000000"
	if err := writeManifest(out, m); err != nil {
		t.Fatal(err)
	}
	if Status(out, jobs[0], Outputs{}) != OtherCode || Complete(out, jobs[0], Outputs{}) {
		t.Fatal("a run of other code counts as complete")
	}
	sum, err := Sweep(context.Background(), jobs, Options{OutDir: out, Workers: 1, Shard: All, ReuseOld: true})
	if err != nil || sum.ReusedOld != 1 || sum.Ran != 0 {
		t.Fatalf("--reuse-old: %+v, %v; want the old run reused and counted", sum, err)
	}
	sum, err = Sweep(context.Background(), jobs, Options{OutDir: out, Workers: 1, Shard: All})
	if err != nil || sum.Redone != 1 || sum.Ran != 1 || !Complete(out, jobs[0], Outputs{}) {
		t.Fatalf("default: %+v, %v; want the old run redone", sum, err)
	}
	sum, err = Sweep(context.Background(), jobs, Options{OutDir: out, Workers: 1, Shard: All, Force: true})
	if err != nil || sum.Ran != 4 {
		t.Fatalf("--force: %+v, %v; want every run redone", sum, err)
	}
}

// TestOneWriterPerDirectory: while a sweep writes a directory, a second
// one (here in the same process, as two shards sharing an --out would be)
// fails at once naming the holder, the first completes, and the tree is
// the one an uninterrupted sweep writes. Files ballast did not create are
// never touched, even ones that look temporary.
func TestOneWriterPerDirectory(t *testing.T) {
	_, jobs := grid(t, "testdata/sweep.yaml", SetReport)
	want := t.TempDir()
	sweep(t, jobs, want, 1, All)
	out := t.TempDir()
	mine := []string{".report.tmp.md", filepath.Join("docs", ".notes.tmp-1"), filepath.Join(".git", ".index.tmp-lock")}
	for _, p := range mine {
		os.MkdirAll(filepath.Join(out, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(out, p), []byte("user data"), 0o644)
	}
	unlock, err := Lock(out)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Sweep(context.Background(), jobs, Options{OutDir: out, Workers: 2, Shard: All})
	if err == nil || !strings.Contains(err.Error(), "is being written by this process") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("a second writer: %v; want one line naming the holder", err)
	}
	unlock()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { _, errs[i] = Sweep(context.Background(), jobs, Options{OutDir: out, Workers: 1, Shard: All}) })
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) && errs[0] != nil {
		t.Fatalf("two concurrent sweeps: %v / %v", errs[0], errs[1])
	}
	got := tree(t, out)
	for _, p := range mine {
		if data, err := os.ReadFile(filepath.Join(out, p)); err != nil || string(data) != "user data" {
			t.Errorf("%s was touched: %q %v", p, data, err)
		}
		delete(got, filepath.ToSlash(p))
	}
	sameTree(t, "after a refused second writer", tree(t, want), got)
}

// TestCancelStopsRunsInFlight: cancelling the context stops the runs in
// flight (the engines check it), reports an interruption, not failures,
// leaves no partial file, and a rerun completes the grid.
func TestCancelStopsRunsInFlight(t *testing.T) {
	_, jobs := grid(t, "testdata/sweep.yaml", SetReport)
	out := t.TempDir()
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("interrupt"))
	sum, err := Sweep(ctx, jobs, Options{OutDir: out, Workers: 2, Shard: All})
	if err == nil || !strings.Contains(err.Error(), "interrupted") || !errors.Is(err, context.Canceled) || sum.Failed != 0 {
		t.Fatalf("cancelled sweep: %+v, %v", sum, err)
	}
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") {
			t.Errorf("a cancelled run left %s", p)
		}
		return nil
	})
	// A run in flight stops at the engine's next check.
	r := jobs[0].Run
	rctx, rcancel := context.WithCancel(context.Background())
	rcancel()
	if _, err := r.Simulate(rctx, nil); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), r.Info.RunID) {
		t.Fatalf("a cancelled run: %v", err)
	}
	if sum := sweep(t, jobs, out, 2, All); sum.Ran != len(jobs) {
		t.Fatalf("resume after the interruption: %+v", sum)
	}
}

// TestPanicIsOneLine: a panicking run's error is one line naming the run,
// its seed and the file holding the stack.
func TestPanicIsOneLine(t *testing.T) {
	_, jobs := grid(t, "testdata/sweep.yaml", SetReport)
	bad := jobs[0].Run
	bad.Factory = nil // the engine panics on its first policy call
	_, err := bad.Simulate(context.Background(), nil)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), bad.Info.RunID) || !strings.Contains(err.Error(), "stack trace in ") {
		t.Fatalf("panic error %q", err)
	}
	path := err.Error()[strings.Index(err.Error(), "stack trace in ")+len("stack trace in "):]
	path = strings.TrimSuffix(path, ")")
	defer os.Remove(path)
	if data, err := os.ReadFile(path); err != nil || !strings.Contains(string(data), "goroutine") {
		t.Fatalf("stack file %s: %v", path, err)
	}
}

// TestPlantedLinksAreNotFollowed: a symbolic link planted where a manifest
// entry or an events file goes is replaced, never written through.
func TestPlantedLinksAreNotFollowed(t *testing.T) {
	_, jobs := grid(t, "testdata/sweep.yaml", SetReport)
	jobs = jobs[:2]
	out := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)
	for _, p := range []string{ManifestPath(out, jobs[0].Run.Info.RunID), filepath.Join(out, jobs[1].EventsPath())} {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(victim, p); err != nil {
			t.Skip("no symbolic links here:", err)
		}
	}
	sweep(t, jobs, out, 1, All)
	if data, _ := os.ReadFile(victim); string(data) != "precious" {
		t.Fatalf("a planted link's target was overwritten: %q", data)
	}
	for _, j := range jobs {
		if !Complete(out, j, Outputs{}) {
			t.Errorf("run %s incomplete", j.Run.Info.RunID)
		}
	}
}
