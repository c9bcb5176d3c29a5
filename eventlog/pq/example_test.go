package pq_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/eventlog/pq"
)

// ExampleScanEvents writes a run's events as an engine does (a Writer is an
// eventlog.Sink; harness.Run.WriteEvents hands one to the simulation) and
// reads them back in order. Any Parquet reader reads the same file
// (docs/schema.md).
func ExampleScanEvents() {
	dir, err := os.MkdirTemp("", "pq-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "events.parquet")

	w, err := pq.Create(path, "run-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	// Node 2's election timer: reset with a 180 ms deadline, then fired.
	w.Emit(&eventlog.Event{TimeUS: 0, Node: 2, Peer: -1, Kind: eventlog.TimerReset, Value: 180_000, Arm: -1})
	w.Emit(&eventlog.Event{TimeUS: 180_000, Node: 2, Peer: -1, Kind: eventlog.Timeout, Arm: -1})
	if err := w.Close(); err != nil { // only now does the file appear
		fmt.Println(err)
		return
	}

	err = pq.ScanEvents(path, func(runID string, ev *eventlog.Event) error {
		fmt.Printf("%s: %d µs, node %d, %s, value %d\n", runID, ev.TimeUS, ev.Node, ev.Kind, ev.Value)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// run-1: 0 µs, node 2, timer_reset, value 180000
	// run-1: 180000 µs, node 2, timeout, value 0
}
