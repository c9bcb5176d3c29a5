package harness

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ballast-bench/ballast/eventlog/pq"
	"github.com/ballast-bench/ballast/sim/invariant"
	"github.com/ballast-bench/ballast/sim/scenario"
)

func resolve(t testing.TB, scen, policy string, seed uint64, set ...string) *Run {
	t.Helper()
	s, err := scenario.Load(scen)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Resolve(Spec{Scenario: s, Policy: policy, Set: set, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func write(t testing.TB, r *Run, path string) {
	t.Helper()
	if _, err := r.WriteParquet(context.Background(), path); err != nil {
		t.Fatal(err)
	}
}

func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Fatalf("%s (%d bytes) and %s (%d bytes) differ", a, len(x), b, len(y))
	}
}

// childEnv makes the test binary, re-executed, write one run and exit: the
// "two processes" half of the determinism check.
const childEnv = "BALLAST_TEST_CHILD_OUT"

func TestMain(m *testing.M) {
	if out := os.Getenv(sweepChildEnv); out != "" {
		if err := sweepChild(out); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	if out := os.Getenv(childEnv); out != "" {
		s, err := scenario.Load("wan_main")
		if err == nil {
			var r *Run
			if r, err = Resolve(Spec{Scenario: s, Policy: "random", Seed: 11}); err == nil {
				_, err = r.WriteParquet(context.Background(), out)
			}
		}
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestParquetByteIdentical: the same scenario, policy and seed give
// byte-identical events and runs files, twice in one process and once in a
// separate process. make test also runs this under -race.
func TestParquetByteIdentical(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet"), filepath.Join(dir, "c.parquet")
	write(t, resolve(t, "wan_main", "random", 11), a)
	write(t, resolve(t, "wan_main", "random", 11), b)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+c)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child process: %v\n%s", err, out)
	}
	for _, p := range []string{b, c} {
		sameFiles(t, a, p)
		sameFiles(t, RunsPath(a), RunsPath(p))
	}
	d := filepath.Join(dir, "d.parquet")
	write(t, resolve(t, "wan_main", "random", 12), d)
	if x, _ := os.ReadFile(a); bytes.Equal(x, mustRead(t, d)) {
		t.Fatal("seeds 11 and 12 wrote identical files")
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParquetRoundTrip: what the file holds is what the engine emitted, and
// the runs table describes the run.
func TestParquetRoundTrip(t *testing.T) {
	r := resolve(t, "partition_recovery", "static", 3)
	path := filepath.Join(t.TempDir(), "e.parquet")
	info, err := r.WriteParquet(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	runID, evs, err := pq.ReadEvents(path)
	if err != nil {
		t.Fatal(err)
	}
	if runID != info.RunID || int64(len(evs)) != info.Events {
		t.Fatalf("file has run %s with %d events; runs table says %s with %d", runID, len(evs), info.RunID, info.Events)
	}
	chk := invariant.New(int(info.Nodes))
	for i := range evs {
		chk.Emit(&evs[i])
	}
	if err := chk.Err(); err != nil {
		t.Fatal(err)
	}
	runs, err := pq.ReadRuns(RunsPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0] != info {
		t.Fatalf("runs table %+v, want %+v", runs, info)
	}
	if info.Params != "max_ms=1200;min_ms=600" || info.Engine != "fast" || info.Scenario != "partition_recovery" {
		t.Errorf("unexpected run info %+v", info)
	}
}

func TestRunIdentity(t *testing.T) {
	a := resolve(t, "lan", "random", 1).Info
	if b := resolve(t, "lan", "random", 1).Info; a.RunID != b.RunID {
		t.Fatal("same inputs, different run ids")
	}
	for _, other := range []struct{ what, id string }{
		{"seed", resolve(t, "lan", "random", 2).Info.RunID},
		{"policy", resolve(t, "lan", "static", 1).Info.RunID},
		{"params", resolve(t, "lan", "random", 1, "max_ms=301").Info.RunID},
		{"scenario", resolve(t, "wan_stable", "random", 1).Info.RunID},
	} {
		if other.id == a.RunID {
			t.Errorf("changing the %s kept run id %s", other.what, a.RunID)
		}
	}
	// Explicitly setting a default is the same run.
	if b := resolve(t, "lan", "random", 1, "max_ms=300").Info.RunID; b != a.RunID {
		t.Errorf("setting a parameter to its default changed the run id")
	}
}

// TestAbortLeavesNothing: a run that fails leaves no events or runs file.
func TestAbortLeavesNothing(t *testing.T) {
	r := resolve(t, "lan", "random", 1)
	r.Factory = nil // the engine panics on first use; Simulate turns it into an error
	dir := t.TempDir()
	path := filepath.Join(dir, "e.parquet")
	_, err := r.WriteParquet(context.Background(), path)
	if err == nil {
		t.Fatal("no error from a panicking run")
	}
	if want := "seed 1"; !bytes.Contains([]byte(err.Error()), []byte(want)) || !bytes.Contains([]byte(err.Error()), []byte(r.Info.RunID)) {
		t.Errorf("error %q does not name the run and seed", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left %v behind", entries)
	}
}
