package pq

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/ballast-bench/ballast/eventlog"
)

// edgeEvents returns a few hundred events: every kind, each with a cycle of
// extreme and "none" values in every column.
func edgeEvents() []eventlog.Event {
	var (
		times  = []int64{0, 1, 49_999, 1 << 40, math.MaxInt64, -7}
		terms  = []uint64{0, 1, 2, math.MaxInt64 - 1, math.MaxInt64}
		values = []int64{0, -1, 1, 150_000, math.MinInt64, math.MaxInt64}
		msgIDs = []uint64{0, 1, 12345, math.MaxInt64}
		nodes  = []int16{-1, 0, 4, math.MaxInt16, math.MinInt16}
		peers  = []int16{-1, 3, 0, math.MinInt16, math.MaxInt16, 1}
		arms   = []int8{-1, 0, 7, math.MaxInt8, math.MinInt8}
	)
	var evs []eventlog.Event
	i := 0
	for round := range 7 {
		for _, k := range eventlog.Kinds() {
			evs = append(evs, eventlog.Event{
				TimeUS: times[i%len(times)] + int64(round),
				Term:   terms[i%len(terms)],
				Value:  values[i%len(values)],
				MsgID:  msgIDs[i%len(msgIDs)],
				Node:   nodes[i%len(nodes)],
				Peer:   peers[i%len(peers)],
				Kind:   k,
				Arm:    arms[i%len(arms)],
			})
			i++
		}
	}
	return evs
}

// writeEvents writes evs to path through a Writer, with meta added.
func writeEvents(t testing.TB, path, runID string, evs []eventlog.Event, meta map[string]string) {
	t.Helper()
	w, err := Create(path, runID)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range meta {
		w.SetMetadata(k, v)
	}
	for i := range evs {
		w.Emit(&evs[i])
	}
	if got := w.Rows(); got != int64(len(evs)) {
		t.Errorf("Rows() = %d, want %d", got, len(evs))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestEventsRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		runID string
		evs   []eventlog.Event
		long  bool // skipped with -short
	}{
		{name: "every kind and edge values", runID: "run-édge/1", evs: edgeEvents()},
		{name: "empty", runID: "empty-run"},
		{name: "empty run ID", runID: "", evs: edgeEvents()[:3]},
		{name: "several batches", runID: "hb", evs: heartbeatStream(7, 3*batchRows+5)},
		{name: "two row groups", runID: "hb-long", evs: heartbeatStream(8, rowGroupRows+1000), long: true},
		// Kinds added after schema 1's first list: in the first batch, or
		// only in later batches (the dictionary grows after rows of the
		// first kinds were written).
		{name: "later kinds in the first batch", runID: "pause-early", evs: withLaterKinds(heartbeatStream(9, 2*batchRows+5), 10, batchRows+7)},
		{name: "later kinds after the first batch", runID: "pause-late", evs: withLaterKinds(heartbeatStream(10, 3*batchRows+5), batchRows+3, 2*batchRows+11)},
		// sleep after the pause kinds, in a later batch: the dictionary
		// grows twice.
		{name: "two later generations", runID: "sleep-late", evs: withSleep(withLaterKinds(heartbeatStream(11, 3*batchRows+5), 10), 2*batchRows+11)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.long && testing.Short() {
				t.Skip("long test skipped with -short")
			}
			path := filepath.Join(t.TempDir(), "events.parquet")
			writeEvents(t, path, tt.runID, tt.evs, map[string]string{"ballast.run_info": `{"seed":1}`})

			runID, got, err := ReadEvents(path)
			if err != nil {
				t.Fatal(err)
			}
			if runID != tt.runID {
				t.Errorf("run ID = %q, want %q", runID, tt.runID)
			}
			if !slices.Equal(got, tt.evs) {
				t.Errorf("ReadEvents: got %d events, want %d; first difference at %d", len(got), len(tt.evs), firstDiff(got, tt.evs))
			}

			var scanned []eventlog.Event
			err = ScanEvents(path, func(id string, ev *eventlog.Event) error {
				if id != tt.runID {
					t.Fatalf("ScanEvents run ID = %q, want %q", id, tt.runID)
				}
				scanned = append(scanned, *ev)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(scanned, tt.evs) {
				t.Errorf("ScanEvents: got %d events, want %d; first difference at %d", len(scanned), len(tt.evs), firstDiff(scanned, tt.evs))
			}

			meta, err := ReadMetadata(path)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range map[string]string{
				MetaSchemaVersion:  "1",
				MetaRunID:          tt.runID,
				"ballast.run_info": `{"seed":1}`,
			} {
				if meta[k] != want {
					t.Errorf("metadata %q = %q, want %q", k, meta[k], want)
				}
			}
		})
	}
}

// withLaterKinds turns rows at and after each position into a pause of
// node 1 (kinds added to schema version 1 after its first list).
// withSleep turns the row at each position into a sleep of node 2 (the
// third generation) and the next into its end.
func withSleep(evs []eventlog.Event, at ...int) []eventlog.Event {
	for _, i := range at {
		evs[i] = eventlog.Event{TimeUS: evs[i].TimeUS, Term: evs[i].Term, Value: 50_000, Node: 2, Peer: -1, Kind: eventlog.Sleep, Arm: -1}
		evs[i+1] = eventlog.Event{TimeUS: evs[i+1].TimeUS, Term: evs[i+1].Term, Node: 2, Peer: -1, Kind: eventlog.PauseEnd, Arm: -1}
	}
	return evs
}

func withLaterKinds(evs []eventlog.Event, at ...int) []eventlog.Event {
	for _, i := range at {
		evs[i] = eventlog.Event{TimeUS: evs[i].TimeUS, Term: evs[i].Term, Value: 50_000, Node: 1, Peer: -1, Kind: eventlog.PauseStart, Arm: -1}
		evs[i+1] = eventlog.Event{TimeUS: evs[i+1].TimeUS, Term: evs[i+1].Term, Node: 1, Peer: -1, Kind: eventlog.PauseEnd, Arm: -1}
	}
	return evs
}

func firstDiff(a, b []eventlog.Event) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestScanEventsStops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.parquet")
	writeEvents(t, path, "r", edgeEvents(), nil)
	stop := errors.New("stop")
	n := 0
	err := ScanEvents(path, func(string, *eventlog.Event) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Errorf("ScanEvents = %v after %d events, want %v after 10", err, n, stop)
	}
}

func testRuns() []eventlog.RunInfo {
	return []eventlog.RunInfo{
		{
			RunID: "a1b2", Scenario: "wan-5", ScenarioHash: "sha256:00ff", Policy: "raft-default",
			Params: "hb=50ms;lo=150ms;hi=300ms", Seed: 0, SeedSet: "", Engine: "fast",
			ConfigHash: "c0ffee", CodeVersion: "v0.0.0-dev+abc", SchemaVersion: 1,
			Nodes: 5, DurationUS: 60_000_000, HeartbeatUS: 50_000, Events: 123_456,
		},
		{
			RunID: "ünïcode ✓", Scenario: "", Policy: "bandit", Params: "",
			Seed: math.MaxInt64, SeedSet: "main-100", Engine: "etcd",
			SchemaVersion: 1, Nodes: math.MaxInt64, DurationUS: math.MinInt64, HeartbeatUS: -1,
		},
	}
}

func TestRunsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		runs []eventlog.RunInfo
	}{
		{"empty", nil},
		{"edge values", testRuns()},
		{"many", slices.Repeat(testRuns(), 500)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "runs.parquet")
			if err := WriteRuns(path, tt.runs); err != nil {
				t.Fatal(err)
			}
			got, err := ReadRuns(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.runs) || (len(got) > 0 && !slices.Equal(got, tt.runs)) {
				t.Errorf("ReadRuns = %+v\nwant %+v", got, tt.runs)
			}
			meta, err := ReadMetadata(path)
			if err != nil {
				t.Fatal(err)
			}
			if meta[MetaSchemaVersion] != "1" {
				t.Errorf("schema version metadata = %q", meta[MetaSchemaVersion])
			}
		})
	}
}

func TestWriteRunsSeedTooLarge(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "runs.parquet")
	runs := testRuns()
	runs[1].Seed = 1 << 63
	err := WriteRuns(path, runs)
	if err == nil || !strings.Contains(err.Error(), "seed") {
		t.Errorf("WriteRuns with seed 2^63: err = %v, want a seed error", err)
	}
	assertDir(t, dir, nil)
}

// TestDeterministic writes the same input twice (different temporary
// names, metadata set in a different order) and wants identical bytes.
func TestDeterministic(t *testing.T) {
	dir := t.TempDir()
	evs := heartbeatStream(3, 2*batchRows)
	write := func(name string, keys []string) []byte {
		path := filepath.Join(dir, name)
		w, err := Create(path, "det")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			w.SetMetadata(k, "v-"+k)
		}
		for i := range evs {
			w.Emit(&evs[i])
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := write("a.parquet", []string{"x", "y", "z"})
	b := write("b.parquet", []string{"z", "x", "y"})
	if !bytes.Equal(a, b) {
		t.Error("events files differ for identical input")
	}

	runsA, runsB := filepath.Join(dir, "runs-a.parquet"), filepath.Join(dir, "runs-b.parquet")
	for _, p := range []string{runsA, runsB} {
		if err := WriteRuns(p, testRuns()); err != nil {
			t.Fatal(err)
		}
	}
	ra, _ := os.ReadFile(runsA)
	rb, _ := os.ReadFile(runsB)
	if len(ra) == 0 || !bytes.Equal(ra, rb) {
		t.Error("runs files differ for identical input")
	}
}

// assertDir fails unless dir holds exactly the named files (no leftover
// temporary files).
func assertDir(t *testing.T, dir string, want []string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, want) {
		t.Errorf("directory holds %q, want %q", got, want)
	}
}

// TestAtomic checks that nothing appears at path (and a previous file
// there stays untouched) until Close succeeds, and that failed or aborted
// writes leave no file behind.
func TestAtomic(t *testing.T) {
	evs := heartbeatStream(5, batchRows+10) // more than one batch written
	bad := evs[len(evs)/2]
	tests := []struct {
		name    string
		prepare func(w *Writer)
		abort   bool
		wantErr string // "" if Close must succeed
	}{
		{name: "close"},
		{name: "abort", abort: true},
		{name: "invalid kind", prepare: func(w *Writer) { e := bad; e.Kind = 0; w.Emit(&e) }, wantErr: "cannot store event"},
		{name: "unknown kind", prepare: func(w *Writer) { e := bad; e.Kind = 250; w.Emit(&e) }, wantErr: "kind(250)"},
		{name: "term too large", prepare: func(w *Writer) { e := bad; e.Term = 1 << 63; w.Emit(&e) }, wantErr: "cannot store event"},
		{name: "msg_id too large", prepare: func(w *Writer) { e := bad; e.MsgID = math.MaxUint64; w.Emit(&e) }, wantErr: "cannot store event"},
		{name: "reserved metadata", prepare: func(w *Writer) { w.SetMetadata(MetaRunID, "x") }, wantErr: "reserved"},
	}
	for _, tt := range tests {
		for _, existing := range []bool{false, true} {
			name := tt.name
			if existing {
				name += "/replacing a file"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "events.parquet")
				old := []byte("previous contents")
				if existing {
					if err := os.WriteFile(path, old, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				// checkOld asserts that path is as before the write.
				checkOld := func(when string) {
					t.Helper()
					b, err := os.ReadFile(path)
					switch {
					case existing && !bytes.Equal(b, old):
						t.Errorf("%s: previous file changed (err %v)", when, err)
					case !existing && !errors.Is(err, os.ErrNotExist):
						t.Errorf("%s: %s exists (err %v)", when, path, err)
					}
				}

				w, err := Create(path, "atomic")
				if err != nil {
					t.Fatal(err)
				}
				for i := range evs[:len(evs)/2] {
					w.Emit(&evs[i])
				}
				if tt.prepare != nil {
					tt.prepare(w)
				}
				for i := range evs[len(evs)/2:] {
					w.Emit(&evs[len(evs)/2+i])
				}
				checkOld("before Close")

				var keep []string
				if existing {
					keep = []string{"events.parquet"}
				}
				switch {
				case tt.abort:
					w.Abort()
					checkOld("after Abort")
					assertDir(t, dir, keep)
				case tt.wantErr != "":
					err := w.Close()
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Errorf("Close = %v, want error containing %q", err, tt.wantErr)
					}
					checkOld("after failed Close")
					assertDir(t, dir, keep)
				default:
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
					assertDir(t, dir, []string{"events.parquet"})
					if _, got, err := ReadEvents(path); err != nil || !slices.Equal(got, evs) {
						t.Errorf("ReadEvents after Close: %d events, err %v", len(got), err)
					}
				}
				w.Abort() // no-op after Close or Abort
				if err := w.Close(); err == nil {
					t.Error("second Close succeeded")
				}
			})
		}
	}
}

// writeRaw writes rows of the events schema with the given kind names, all
// else zero but the term, to make files this package's Writer refuses to
// write; it returns the file's path (in dir, named for the kinds and term).
func writeRaw(t *testing.T, dir string, kinds []string, term int64) string {
	t.Helper()
	rows := make([]eventRow, len(kinds))
	for i, k := range kinds {
		rows[i] = eventRow{RunID: "raw", Kind: k, Term: term}
	}
	path := filepath.Join(dir, fmt.Sprintf("raw-%s-%d.parquet", strings.Join(kinds, "-"), term))
	writeRows(t, path, "", rows, writerOptions()...)
	return path
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	unknown := writeRaw(t, dir, []string{"timeout", "timeout", "warp_drive_engaged", "timeout"}, 1)
	unused := filepath.Join("testdata", "arrowgo", "unused-unknown-kind.parquet") // parquet-go writes no unused entries
	negTerm := writeRaw(t, dir, []string{"timeout", "timeout"}, -5)
	notParquet := filepath.Join(dir, "text.parquet")
	if err := os.WriteFile(notParquet, []byte("not a parquet file"), 0o644); err != nil {
		t.Fatal(err)
	}
	runs := filepath.Join(dir, "runs.parquet")
	if err := WriteRuns(runs, testRuns()); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		path    string
		wantErr []string // substrings; nil: no error
	}{
		{"unknown kind", unknown, []string{unknown, `"warp_drive_engaged"`}},
		{"unknown kind in dictionary only", unused, nil},
		{"negative term", negTerm, []string{negTerm, "negative term -5"}},
		{"not parquet", notParquet, []string{notParquet}},
		{"missing file", filepath.Join(dir, "nope.parquet"), []string{"nope.parquet"}},
		{"runs table as events", runs, []string{runs, "no column"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadEvents(tt.path)
			if tt.wantErr == nil {
				if err != nil {
					t.Errorf("ReadEvents: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("ReadEvents succeeded")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

// TestLogicalTypes: readers take a column's type from its Parquet logical
// type (pyarrow, hence pandas, and DuckDB: strings as strings, the small
// integers with their own widths), so every column must carry the right
// one; and the file stores no Arrow schema, which Arrow-based readers would
// follow instead.
func TestLogicalTypes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.parquet")
	writeEvents(t, path, "types", edgeEvents()[:5], nil)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"run_id: BYTE_ARRAY STRING", "time_us: INT64 INT(64,true)", "node: INT32 INT(16,true)", "kind: BYTE_ARRAY STRING",
		"term: INT64 INT(64,true)", "peer: INT32 INT(16,true)", "value: INT64 INT(64,true)", "arm: INT32 INT(8,true)", "msg_id: INT64 INT(64,true)"}
	var got []string
	for _, el := range pf.Metadata().Schema[1:] {
		typ := el.Type.V.String()
		if el.LogicalType.Value != nil {
			typ += " " + el.LogicalType.String()
		}
		if rt := el.RepetitionType.V; rt != format.Required {
			typ += " " + rt.String()
		}
		got = append(got, el.Name+": "+typ)
	}
	if !slices.Equal(got, want) {
		t.Errorf("schema = %q, want %q", got, want)
	}
	if _, ok := pf.Lookup("ARROW:schema"); ok {
		t.Error("file stores an Arrow schema")
	}
}

// TestArrowGoFiles: files written by ballast before it moved from arrow-go
// to parquet-go (testdata/arrowgo, made by the arrow-go writer and its
// test helpers) read as they did: the events, the run ID, the metadata and
// the runs table.
func TestArrowGoFiles(t *testing.T) {
	dir := filepath.Join("testdata", "arrowgo")
	for _, tt := range []struct {
		file, runID string
		evs         []eventlog.Event
		direct      bool
	}{
		{"writer-layout.parquet", "old-writer", mixedEvents(5000)[:5000], true},
		{"dictionary-integers.parquet", "dict", mixedEvents(3000)[:3000], false},
		{"plain-v1-gzip.parquet", "", mixedEvents(3000)[:3000], true},
	} {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			if got := eligible(path); got != tt.direct {
				t.Errorf("direct decoder used: %v, want %v", got, tt.direct)
			}
			d, a, _ := scanBoth(t, path, "")
			if err := sameResult(d, a); err != nil {
				t.Error(err)
			}
			runID, evs, err := ReadEvents(path)
			if err != nil {
				t.Fatal(err)
			}
			if runID != tt.runID || !slices.Equal(evs, tt.evs) {
				t.Errorf("run %q, %d events (first difference at %d); want run %q, %d events", runID, len(evs), firstDiff(evs, tt.evs), tt.runID, len(tt.evs))
			}
		})
	}
	meta, err := ReadMetadata(filepath.Join(dir, "writer-layout.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{MetaRunID: "old-writer", MetaSchemaVersion: "1", "ballast.run": `{"seed":1}`}; !maps.Equal(meta, want) {
		t.Errorf("metadata %v, want %v", meta, want)
	}
	runs, err := ReadRuns(filepath.Join(dir, "runs.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(runs, testRuns()) {
		t.Errorf("runs table:\n%+v\nwant\n%+v", runs, testRuns())
	}
}
