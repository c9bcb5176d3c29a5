package eventlog

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRunInfoJSON: run info is written with the column names and read
// back; JSON written with the Go field names (before the column names)
// still reads.
func TestRunInfoJSON(t *testing.T) {
	in := RunInfo{RunID: "r1", Experiment: "e", Scenario: "lan", Policy: "random", Variant: "v", Seed: 1 << 62,
		CodeVersion: "sim-0123456789ab", SchemaVersion: 1, Nodes: 5, DurationUS: 60e6, HeartbeatUS: 50e3, Events: 7}
	b, _ := json.Marshal(in)
	for _, key := range []string{`"run_id":"r1"`, `"seed_set":""`, `"duration_us":60000000`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("%s lacks %s", b, key)
		}
	}
	var back RunInfo
	if err := json.Unmarshal(b, &back); err != nil || back != in {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	legacy := `{"RunID":"r1","Experiment":"e","Scenario":"lan","ScenarioHash":"","Policy":"random","Variant":"v","Params":"","Seed":4611686018427387904,"SeedSet":"","Engine":"","ConfigHash":"","CodeVersion":"sim-0123456789ab","SchemaVersion":1,"Nodes":5,"DurationUS":60000000,"HeartbeatUS":50000,"Events":7}`
	var old RunInfo
	if err := json.Unmarshal([]byte(legacy), &old); err != nil || old != in {
		t.Fatalf("legacy: %+v, %v", old, err)
	}
}

// TestNewCallTimes: order statistics of rank floor(p (N-1)), worked by
// hand on five calls; no calls, no summary.
func TestNewCallTimes(t *testing.T) {
	got := NewCallTimes([]int64{5, 1, 3, 2, 4})
	want := CallTimes{N: 5, MeanNS: 3, P50NS: 3, P95NS: 4, P99NS: 4, MaxNS: 5}
	if got == nil || *got != want {
		t.Errorf("NewCallTimes(5 1 3 2 4) = %+v; want %+v", got, want)
	}
	if NewCallTimes(nil) != nil {
		t.Error("NewCallTimes(nil) is not nil")
	}
}
