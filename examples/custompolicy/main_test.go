package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/cmd/ballast/commands"
	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/eventlog/pq"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/policies"
)

// ballast runs the command line as this program does, and fails the test
// on an exit code other than 0.
func ballast(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := commands.Main(context.Background(), &out, &errb, append([]string{"custompolicy"}, args...)); code != commands.ExitOK {
		t.Fatalf("%s: exit code %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

// TestListed: 'policies rtt_scaled' shows the registered policy with its
// parameters, and the full listing has it beside the built-in ones.
func TestListed(t *testing.T) {
	out := ballast(t, "policies", "rtt_scaled")
	for _, want := range []string{"rtt_scaled: an example out-of-tree policy", "k=10", "floor_ms=150", "jitter=0.5"} {
		if !strings.Contains(out, want) {
			t.Errorf("'policies rtt_scaled' lacks %q:\n%s", want, out)
		}
	}
	all := ballast(t, "policies")
	if !strings.Contains(all, "\nrtt_scaled: ") || !strings.Contains(all, "\nrandom: ") {
		t.Errorf("'policies' lists rtt_scaled and the built-in policies together:\n%s", all)
	}
}

// TestSim: 'sim' with rtt_scaled writes an events file whose election
// deadlines are rtt_scaled's: never below floor_ms, and on the WAN (round
// trips near 100 ms) mostly k round trips, far above floor_ms x (1 +
// jitter) = 225 ms. The runs row names the policy and its parameters.
func TestSim(t *testing.T) {
	out := filepath.Join(t.TempDir(), "rtt.parquet")
	ballast(t, "sim", "--scenario", "wan_main", "--policy", "rtt_scaled", "--seed", "1", "--out", out)
	var resets, long int
	err := pq.ScanEvents(out, func(_ string, ev *eventlog.Event) error {
		if ev.Kind == eventlog.TimerReset {
			resets++
			if ev.Value < 150_000 {
				t.Fatalf("deadline %d µs at %d µs: below floor_ms", ev.Value, ev.TimeUS)
			}
			if ev.Value > 225_000 {
				long++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if resets == 0 || long < resets/2 {
		t.Errorf("%d timer resets, %d above 225 ms: want most deadlines scaled from the round trip", resets, long)
	}
	runs, err := pq.ReadRuns(harness.RunsPath(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Policy != "rtt_scaled" || runs[0].Params != "floor_ms=150;jitter=0.5;k=10" || runs[0].Events == 0 {
		t.Errorf("runs table: %+v", runs)
	}
}

// TestVersion: the policy's Version is in the code version its runs
// record, so a sweep redoes the runs of rtt_scaled when its code (hence
// its Version) changes, and keeps the other policies' runs.
func TestVersion(t *testing.T) {
	dir := t.TempDir()
	exp := filepath.Join(dir, "custom.yaml")
	err := os.WriteFile(exp, []byte(`name: custom
description: rtt_scaled beside standard Raft on the LAN
engine: fast
scenarios: [lan]
policies:
  - policy: rtt_scaled
  - policy: random
seeds: {master: 1, tuning: 1, report: 2}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	runs := filepath.Join(dir, "runs")
	sweep := func(want string) {
		t.Helper()
		if out := ballast(t, "run", exp, "-j", "1", "--out", runs); !strings.Contains(out, want) {
			t.Errorf("run: want %q in %q", want, out)
		}
	}
	sweep("4 runs, 0 already complete, 4 ran")
	sweep("4 runs, 4 already complete, 0 ran")
	rows, err := pq.ReadRuns(filepath.Join(runs, harness.RunsTable))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		want := harness.CodeVersion()
		if r.Policy == "rtt_scaled" {
			want += "+rtt_scaled@" + spec.Version
		}
		if r.CodeVersion != want {
			t.Errorf("%s run %s: code version %q, want %q", r.Policy, r.RunID, r.CodeVersion, want)
		}
	}
	old := spec.Version
	spec.Version = "edited" // as if policy.go had changed
	t.Cleanup(func() { spec.Version = old })
	sweep("4 runs, 2 already complete (2 runs of another code version redone), 2 ran")
}

// TestVersionOneWord: Register refuses a Version that is not one word
// (code versions go into file metadata, tables and their comments), before
// the policy is registered.
func TestVersionOneWord(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `has version "2 (draft)"; allowed: letters, digits`) {
			t.Errorf("Register with a two-word version: %v", r)
		}
		if _, err := policies.Lookup("rtt_scaled_draft"); err == nil {
			t.Error("the refused policy is registered")
		}
	}()
	policies.Register(&policies.Spec{Name: "rtt_scaled_draft", Version: "2 (draft)"})
}
